//! Objects: a product is a `Note` that Mastodon shows well and that also carries FEP-0837
//! Proposal terms and schema.org Offer terms; photos, hashtags, places and tombstones.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An image reference (`icon`, `image` of actors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageRef {
    /// Always `Image`.
    #[serde(rename = "type")]
    pub kind: String,
    /// MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Where it is.
    pub url: Url,
}

/// A photo attached to a product (at most four).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// `Image` (others send `Document` too).
    #[serde(rename = "type")]
    pub kind: String,
    /// MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The file.
    pub url: Url,
    /// Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Alternative text as GoToSocial sends it (Étal writes `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Blurhash placeholder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blurhash: Option<String>,
}

impl Attachment {
    /// The alternative text, wherever the sender put it (`name`, or GoToSocial's `summary`).
    pub fn alt(&self) -> Option<&str> {
        self.name
            .as_deref()
            .or(self.summary.as_deref())
            .filter(|a| !a.is_empty())
    }
}

/// A tag: `Hashtag` (or `Mention`, `Emoji` from others).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// `Hashtag`, `Mention`…
    #[serde(rename = "type")]
    pub kind: String,
    /// Link to the tag's page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<Url>,
    /// `#boulangerie`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A schema.org postal address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostalAddress {
    /// Always `PostalAddress`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Street and number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// Postal code.
    pub postal_code: String,
    /// Town.
    pub address_locality: String,
    /// ISO 3166 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_country: Option<String>,
    /// INSEE commune code (etal:inseeCode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insee_code: Option<String>,
}

/// An ActivityStreams `Place`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Always `Place`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Name of the place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// WGS 84 latitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// WGS 84 longitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<PostalAddress>,
}

/// An amount and unit (om2), numbers as strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quantity {
    /// OM 2.0 unit name: `one`, `kilogram`, `litre`…
    pub has_unit: String,
    /// Decimal number as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_numerical_value: Option<String>,
}

/// A ValueFlows `Intent` (FEP-0837): what is offered, or what is expected in return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    /// Always `Intent`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `{proposal}#primary` or `{proposal}#reciprocal`.
    pub id: Url,
    /// On the primary intent, the good's name (a product note has no `name` of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `transfer` or `deliverService`.
    pub action: String,
    /// What kind of resource: for the reciprocal intent, the currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_conforms_to: Option<Url>,
    /// Amount per unit of sale.
    pub resource_quantity: Quantity,
    /// Amount on hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_quantity: Option<Quantity>,
}

/// A `Note`: how products are published (and how others' posts arrive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// JSON-LD context (absent when embedded in an activity).
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub context: Value,
    /// The object's id.
    pub id: Url,
    /// `Note`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The merchant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<Url>,
    /// Product name (FEP-0837 `name`; Mastodon ignores it on a Note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// HTML that Mastodon keeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Content by language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_map: Option<std::collections::BTreeMap<String, String>>,
    /// A content warning when present: products have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The HTML page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Value>,
    /// Replied-to object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<Url>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// Last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    /// Primary audience.
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub to: Vec<Url>,
    /// Secondary audience.
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cc: Vec<Url>,
    /// Photos.
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub attachment: Vec<Attachment>,
    /// Hashtags.
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tag: Vec<Tag>,
    /// Hidden behind a warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<bool>,
    /// Where the product can be had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
    /// FEP-0837: `offer` or `request`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// FEP-0837: what is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publishes: Option<Intent>,
    /// FEP-0837: the price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reciprocal: Option<Intent>,
    /// FEP-0837: quantities can be multiplied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_based: Option<bool>,
    /// schema.org price, decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// schema.org ISO 4217 currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_currency: Option<String>,
    /// schema.org `ItemAvailability` IRI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<Url>,
    /// schema.org GTIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// schema.org UN/CEFACT unit code of the price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
    /// Taxonomy code (schema:category).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The merchant's own description, plain text (schema:description).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What a deleted object leaves behind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tombstone {
    /// JSON-LD context (present when served on its own, with status 410).
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub context: Value,
    /// The deleted object's id.
    pub id: Url,
    /// `Tombstone`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What it was (`Note`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub former_type: Option<String>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<DateTime<Utc>>,
}
