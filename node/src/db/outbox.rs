//! The transactional outbox: each write others must hear about records an event in the same
//! transaction, so the federation layer can deliver every one of them, even after a crash.

use uuid::Uuid;

use super::{now_ms, Tx};

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
    /// Storage spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Merchant => "merchant",
            Kind::Product => "product",
        }
    }
}

/// Records an event; returns the id that will mint the activity's IRI.
pub async fn record(
    tx: &mut Tx,
    verb: Verb,
    kind: Kind,
    object_id: Uuid,
    merchant_id: Uuid,
) -> sqlx::Result<Uuid> {
    let activity_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO outbox_events (activity_id, verb, object_kind, object_id, merchant_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(activity_id.to_string())
    .bind(verb.as_str())
    .bind(kind.as_str())
    .bind(object_id.to_string())
    .bind(merchant_id.to_string())
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(activity_id)
}
