//! `Accept` or `Reject` of one of the node's own follows.

use url::Url;

use super::{InboxError, Verified};
use crate::domain::audience;
use crate::domain::Tx;
use etal_protocol::ap::ActivityType;

/// Records the answer; returns the followed node to backfill when this is its first
/// acceptance.
pub(super) async fn answer(
    tx: &mut Tx,
    v: &Verified,
    now: i64,
) -> Result<Option<String>, InboxError> {
    let a = &v.activity;
    let follow_id = a.object.id().map(Url::to_string).unwrap_or_default();
    audience::answer_follow(
        tx,
        &follow_id,
        a.actor.as_str(),
        a.kind == ActivityType::Accept,
        now,
    )
    .await
    .map_err(InboxError::internal)
}
