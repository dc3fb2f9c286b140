//! Actors: a merchant is an `Organization`, the node itself an `Application`. Remote actors of
//! any type (Person, Service, Group…) are read with the same struct.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::object::{ImageRef, Place, PostalAddress};

/// The type of an actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActorType {
    /// A shop.
    Organization,
    /// A node, relay or other software agent.
    Application,
    /// A person.
    Person,
    /// A bot.
    Service,
    /// A group.
    Group,
}

/// A `PropertyValue` profile field (Mastodon shows up to 50).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyValue {
    /// Always `PropertyValue`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Label.
    pub name: String,
    /// Value, HTML.
    pub value: String,
}

/// An actor's public key (security/v1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    /// Key id: `{actor}#main-key`.
    pub id: Url,
    /// The actor.
    pub owner: Url,
    /// SubjectPublicKeyInfo PEM.
    pub public_key_pem: String,
}

/// `endpoints` of an actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// The server-wide inbox that deduplicates deliveries to its followers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
}

/// Lenient reading of `attachment` entries: profile fields, or anything else (kept as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ActorAttachment {
    /// A profile field.
    Field(PropertyValue),
    /// Something else (links, identity proofs…).
    Other(Value),
}

/// An actor document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    /// JSON-LD context.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub context: Value,
    /// The actor's id.
    pub id: Url,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: ActorType,
    /// The handle's user part (the merchant slug).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Bio, HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The HTML profile page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Value>,
    /// Avatar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<ImageRef>,
    /// Header image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageRef>,
    /// Personal inbox.
    pub inbox: Url,
    /// Outbox collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    /// Followers collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    /// Following collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    /// Pinned objects (Mastodon's `featured`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub featured: Option<Url>,
    /// Shared inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    /// Key for HTTP signatures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKey>,
    /// Follows need approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manually_approves_followers: Option<bool>,
    /// May be suggested in directories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    /// Consents to indexing by search engines and aggregators (FEP-5feb; absent means false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexable: Option<bool>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// Last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    /// Profile fields.
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub attachment: Vec<ActorAttachment>,
    /// Where the shop is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
    /// schema.org postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<PostalAddress>,
    /// schema.org telephone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    /// schema.org e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// schema.org opening hours.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "super::one_or_many"
    )]
    pub opening_hours: Vec<String>,
    /// Taxonomy code (schema:category).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// SIRET of the establishment (etal:siret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siret: Option<String>,
}

impl Actor {
    /// The shared inbox when there is one, else the personal inbox.
    pub fn delivery_inbox(&self) -> &Url {
        self.endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_ref())
            .unwrap_or(&self.inbox)
    }
}
