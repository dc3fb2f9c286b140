//! `Undo` of a `Follow` (unfollow), a `Like` or an `Announce`.

use url::Url;

use super::local::local_actor;
use super::{InboxError, Refusal, Verified};
use crate::domain::audience;
use crate::domain::Tx;
use crate::federation::Federation;
use etal_protocol::ap::{ActivityType, Object};

/// Undoes a Follow, Like or Announce; returns the local actor that lost a follower, if any.
pub(super) async fn undo(
    fed: &Federation,
    tx: &mut Tx,
    v: &Verified,
) -> Result<Option<String>, InboxError> {
    let a = &v.activity;
    let inner_id = a.object.id().map(Url::to_string).unwrap_or_default();
    match a.object.object() {
        Some(Object::Activity(inner)) if inner.kind == ActivityType::Follow => {
            let target = inner.object.id().ok_or_else(|| {
                InboxError::new(Refusal::Malformed, "Undo of a Follow of nothing".into())
            })?;
            if let Ok(local) = local_actor(fed, tx, target).await {
                audience::remove_follower(tx, local.key(), a.actor.as_str())
                    .await
                    .map_err(InboxError::internal)?;
                return Ok(Some(local.url(fed).to_string()));
            }
        }
        _ => {
            // By id: a Follow we recorded, or a Like/Announce.
            let was_follow = audience::undo(tx, a.actor.as_str(), &inner_id)
                .await
                .map_err(InboxError::internal)?;
            if was_follow {
                return Ok(Some(format!("the follow {inner_id}")));
            }
        }
    }
    Ok(None)
}
