//! `Delete` of a remote actor (forgotten, with its follows, interactions and mirrored shop)
//! or of one of its objects (a reply, a mirrored product).

use super::{InboxError, Refusal, Verified};
use crate::domain::Tx;
use crate::domain::{audience, mirror};
use crate::federation::{from_ap, Federation};
use etal_protocol::ap;

/// Applies a `Delete` from `v`'s actor.
pub(super) async fn delete(
    fed: &Federation,
    tx: &mut Tx,
    v: &Verified,
    now: i64,
) -> Result<(), InboxError> {
    let a = &v.activity;
    let target = a
        .object
        .id()
        .cloned()
        .ok_or_else(|| InboxError::new(Refusal::Malformed, "Delete of nothing".into()))?;
    if target == a.actor {
        audience::delete_actor(tx, a.actor.as_str(), now)
            .await
            .map_err(InboxError::internal)?;
        fed.forget_actor(a.actor.as_str());
    } else {
        audience::remove_interaction(tx, a.actor.as_str(), target.as_str())
            .await
            .map_err(InboxError::internal)?;
    }
    // The mirror forgets the shop or product too, if it holds it.
    if let Some(batch) = from_ap::batch(a, &Default::default(), now) {
        let checked = mirror::check(&fed.cx, &ap::origin(&a.actor), batch)
            .await
            .map_err(InboxError::internal)?;
        mirror::save(tx, checked, now)
            .await
            .map_err(InboxError::internal)?;
    }
    Ok(())
}
