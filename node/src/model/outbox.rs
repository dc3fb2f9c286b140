//! The transactional outbox's vocabulary: what happened, to what, and the recorded event.

use uuid::Uuid;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// Created: federated as `Create`.
    Create,
    /// Changed: `Update`.
    Update,
    /// Deleted: `Delete`.
    Delete,
}

impl Verb {
    /// Reads the storage spelling.
    pub fn parse(s: &str) -> Option<Verb> {
        [Verb::Create, Verb::Update, Verb::Delete]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    /// Storage spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Delete => "delete",
        }
    }
}

/// What it happened to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A merchant (an actor).
    Merchant,
    /// A product (an object).
    Product,
}

impl Kind {
    /// Reads the storage spelling.
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Merchant, Kind::Product]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// Storage spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Merchant => "merchant",
            Kind::Product => "product",
        }
    }
}

/// A recorded event.
#[derive(Debug, Clone)]
pub struct Event {
    /// Order of events.
    pub seq: i64,
    /// Mints the activity IRI.
    pub activity_id: Uuid,
    /// What happened.
    pub verb: Verb,
    /// To what.
    pub kind: Kind,
    /// The merchant or product id.
    pub object_id: Uuid,
    /// The merchant.
    pub merchant_id: Uuid,
    /// When it happened (milliseconds since the epoch).
    pub created_at: i64,
}
