//! `Announce` by a followed node's actor of what one of its shops did (a product or the shop
//! created, changed or deleted): mirrored. The shop's document is fetched and the change
//! checked against the rules before the transaction (`prepare`); the transaction stores it
//! with the announced activity's receipt (`apply`).

use super::{InboxError, Refusal, Verified};
use crate::domain::Tx;
use crate::domain::{self, mirror::CheckedBatch};
use crate::federation::mirror::{self, MirrorError};
use crate::federation::{from_ap, Federation};
use etal_protocol::ap::{self, Activity, ActivityType, Object};

/// An announced change, checked and ready to store.
#[derive(Debug)]
pub(super) struct Announced {
    /// The announced activity's id: stored once.
    receipt: String,
    checked: CheckedBatch,
}

fn announced(v: &Verified) -> Option<&Activity> {
    match (&v.activity.kind, v.activity.object.object()) {
        (ActivityType::Announce, Some(Object::Activity(inner))) => Some(inner),
        _ => None,
    }
}

fn refused(e: MirrorError) -> InboxError {
    match e {
        MirrorError::Upstream(s) => InboxError::new(Refusal::Upstream, s),
        MirrorError::Malformed(s) => InboxError::new(Refusal::Malformed, s),
        MirrorError::Storage(s) => InboxError::internal(s),
    }
}

/// Reads and checks what a followed node announces (nothing for another Announce: a boost of
/// a product is an interaction).
pub(super) async fn prepare(
    fed: &Federation,
    v: &Verified,
) -> Result<Option<Announced>, InboxError> {
    let Some(inner) = announced(v) else {
        return Ok(None);
    };
    if !domain::follows::is_accepted(&fed.cx, v.activity.actor.as_str())
        .await
        .map_err(InboxError::internal)?
    {
        return Ok(None);
    }
    let shops = mirror::describe(fed, inner).await.map_err(refused)?;
    let Some(batch) = from_ap::batch(inner, &shops, fed.cx.clock.now_ms()) else {
        return Ok(None);
    };
    let checked = domain::mirror::check(&fed.cx, &ap::origin(&inner.actor), batch)
        .await
        .map_err(InboxError::internal)?;
    if checked.refused > 0 {
        tracing::warn!(activity = %inner.id, refused = checked.refused, "a mirrored object breaks the rules: skipped");
    }
    Ok(Some(Announced {
        receipt: inner.id.to_string(),
        checked,
    }))
}

/// Stores an announced change, unless the node stopped following its sender meanwhile or
/// already has it.
pub(super) async fn apply(
    tx: &mut Tx,
    v: &Verified,
    announced: Announced,
    now: i64,
) -> Result<(), InboxError> {
    let followed = domain::follows::accepted_in(tx, v.activity.actor.as_str())
        .await
        .map_err(InboxError::internal)?;
    if !followed
        || !domain::audience::first_receipt(tx, &announced.receipt, now)
            .await
            .map_err(InboxError::internal)?
    {
        return Ok(());
    }
    domain::mirror::save(tx, announced.checked, now)
        .await
        .map_err(InboxError::internal)?;
    Ok(())
}
