//! `Follow` of a shop or of the node actor: the follower is recorded and accepted at once.

use super::local::local_actor;
use super::{InboxError, Refusal, Verified};
use crate::domain::audience;
use crate::domain::Tx;
use crate::federation::to_ap;
use crate::federation::Federation;
use etal_protocol::ap::{Activity, ActivityType, Object, ObjectRef};

/// Records a follower and queues the Accept; returns the followed local actor's URL.
pub(super) async fn follow(
    fed: &Federation,
    tx: &mut Tx,
    v: &Verified,
    now: i64,
) -> Result<String, InboxError> {
    let a = &v.activity;
    let target = a
        .object
        .id()
        .ok_or_else(|| InboxError::new(Refusal::Malformed, "Follow of nothing".into()))?;
    let local = local_actor(fed, tx, target).await?;
    audience::add_follower(tx, local.key(), a.actor.as_str(), a.id.as_str(), now)
        .await
        .map_err(InboxError::internal)?;
    // Accept it at once, through the persistent queue.
    let follow_doc: Activity = {
        let mut f = a.clone();
        f.context = serde_json::Value::Null;
        f
    };
    let accept = to_ap::direct(
        to_ap::new_activity_id(&fed.cx.urls),
        ActivityType::Accept,
        &local.url(fed),
        &a.actor,
        ObjectRef::Object(Box::new(Object::Activity(Box::new(follow_doc)))),
    );
    let body = serde_json::to_string(&accept).map_err(InboxError::internal)?;
    audience::answer(
        tx,
        local.key(),
        accept.id.as_str(),
        &body,
        &v.actor.inbox,
        now,
    )
    .await
    .map_err(InboxError::internal)?;
    Ok(local.url(fed).to_string())
}
