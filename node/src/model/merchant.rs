//! A merchant: a shop of the town (or of a followed node), an ActivityPub actor.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A postal address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Address {
    /// Street and number.
    pub street: Option<String>,
    /// Postal code, e.g. `78120`.
    pub postal_code: String,
    /// Town.
    pub city: String,
    /// INSEE commune code (COG), e.g. `78517`.
    pub insee_code: Option<String>,
}

/// A position in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Geo {
    /// Latitude, -90 to 90.
    pub lat: f64,
    /// Longitude, -180 to 180.
    pub lon: f64,
}

/// What a merchant's owner or the node admin may edit.
#[derive(Debug, Clone, PartialEq)]
pub struct MerchantFields {
    /// Shop name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// A taxonomy code.
    pub category: Option<String>,
    /// Where the shop is.
    pub address: Address,
    /// Coordinates.
    pub geo: Option<Geo>,
    /// Telephone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// schema.org `openingHours` values.
    pub opening_hours: Vec<String>,
    /// SIRET of the establishment.
    pub siret: Option<String>,
    /// Consent to aggregators and search engines.
    pub indexable: bool,
}

/// A stored merchant.
#[derive(Debug, Clone)]
pub struct Merchant {
    /// Internal id (UUIDv7).
    pub id: Uuid,
    /// Permanent slug: `/shops/{slug}`.
    pub slug: String,
    /// ActivityPub id.
    pub ap_id: String,
    /// Editable fields.
    pub fields: MerchantFields,
    /// SPKI PEM of the actor's key.
    pub public_key_pem: Option<String>,
    /// Incremented by each change.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Set once deleted: the slug then answers 410.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A slug proposed from a shop's name: `Boulangerie Martin` → `boulangerie-martin` (letters
/// without their accents, other characters as single hyphens, at most 40 characters; the
/// rules still check it: `etal_protocol::validate::slug`).
pub fn slug_of(name: &str) -> String {
    let mut out = String::new();
    for c in deunicode::deunicode(name).to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-')
        .chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}
