//! The node actor's follows of other nodes (or any actor), as stored: recording a follow with
//! its Follow activity, and an unfollow with its Undo, each in one transaction with the queued
//! delivery. Finding the actor and writing the activities is `federation::follows`.

use crate::db::{self, queue, remote};
use crate::domain::Context;
use crate::error::{Error, Result};
use crate::model::actor::LocalActor;
use crate::model::remote::RemoteActor;

/// Records that the node follows `actor` (pending until it accepts), with the Follow
/// activity `follow_id` (`body`) queued for its inbox.
pub async fn record_follow(
    cx: &Context,
    actor: &RemoteActor,
    follow_id: &str,
    body: &str,
) -> Result<()> {
    let now = cx.clock.now_ms();
    let mut tx = cx.db.begin().await?;
    remote::upsert_actor(&mut tx, actor).await?;
    remote::upsert_follow(&mut tx, &actor.ap_id, follow_id, now).await?;
    queue::enqueue(
        &mut tx,
        follow_id,
        LocalActor::Node,
        body,
        std::slice::from_ref(&actor.inbox),
        now,
    )
    .await?;
    tx.commit().await?;
    cx.queued();
    Ok(())
}

/// Whether the node follows `actor` (an actor id) and its follow was accepted.
pub async fn is_accepted(cx: &Context, actor: &str) -> Result<bool> {
    Ok(remote::follow(cx.db.pool(), actor).await?.is_some_and(|f| {
        f.state == crate::model::remote::FollowState::Accepted && f.target == actor
    }))
}

/// Whether the node's follow of `actor` is accepted, read in the caller's transaction.
pub async fn accepted_in(tx: &mut db::Tx, actor: &str) -> Result<bool> {
    Ok(remote::follow(&mut **tx, actor)
        .await?
        .is_some_and(|f| f.state == crate::model::remote::FollowState::Accepted))
}

/// The follow of `target`, if the node follows it.
pub async fn get(cx: &Context, target: &str) -> Result<db::remote::Follow> {
    remote::follow(cx.db.pool(), target)
        .await?
        .filter(|f| f.target == target)
        .ok_or_else(|| Error::NotFound(format!("the node does not follow {target}")))
}

/// Forgets the follow of `target`, queuing the Undo (`undo`: its id, body and the inbox) when
/// the actor is known.
pub async fn record_unfollow(
    cx: &Context,
    target: &str,
    undo: Option<(&str, &str, &str)>,
) -> Result<()> {
    let now = cx.clock.now_ms();
    let mut tx = cx.db.begin().await?;
    remote::delete_follow(&mut tx, target).await?;
    if let Some((id, body, inbox)) = undo {
        queue::enqueue(
            &mut tx,
            id,
            LocalActor::Node,
            body,
            &[inbox.to_string()],
            now,
        )
        .await?;
    }
    tx.commit().await?;
    cx.queued();
    Ok(())
}

/// The node's follows.
pub async fn list(cx: &Context) -> Result<Vec<db::remote::Follow>> {
    Ok(remote::follows(cx.db.pool()).await?)
}
