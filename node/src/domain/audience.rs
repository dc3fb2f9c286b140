//! Who listens to the node's shops, and what they say back: followers of local actors,
//! remote actors as last verified, likes, boosts and replies, and the node's own follows'
//! states. The inbox writes all of it through here, in its transaction.

use uuid::Uuid;

use crate::db::{queue, remote, Tx};
use crate::error::Result;
use crate::model::actor::LocalActor;
use crate::model::remote::{FollowState, Interaction, RemoteActor};

/// Records that activity `id` was received; false when it was before (redeliveries are
/// acknowledged and change nothing).
pub async fn first_receipt(tx: &mut Tx, id: &str, now: i64) -> Result<bool> {
    Ok(remote::first_receipt(tx, id, now).await?)
}

/// Queues an answer from a local actor (an `Accept`) for one inbox.
pub async fn answer(
    tx: &mut Tx,
    from: LocalActor,
    activity_id: &str,
    body: &str,
    inbox: &str,
    now: i64,
) -> Result<()> {
    queue::enqueue(tx, activity_id, from, body, &[inbox.to_string()], now).await?;
    Ok(())
}

/// Records that a followed node's outbox was read to its end.
pub async fn mark_backfilled(tx: &mut Tx, target: &str, now: i64) -> Result<()> {
    Ok(crate::db::mirror::mark_backfilled(tx, target, now).await?)
}

/// Records in its own transaction that a followed node's outbox was walked to its end.
pub async fn backfilled(cx: &crate::domain::Context, target: &str) -> Result<()> {
    let mut tx = cx.db.begin().await?;
    mark_backfilled(&mut tx, target, cx.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// A remote actor as last verified and stored, by id.
pub async fn stored_actor(cx: &crate::domain::Context, ap_id: &str) -> Result<Option<RemoteActor>> {
    Ok(remote::actor(cx.db.pool(), ap_id).await?)
}

/// A remote actor as last verified and stored, by the id of its key.
pub async fn actor_by_key(
    cx: &crate::domain::Context,
    key_id: &str,
) -> Result<Option<RemoteActor>> {
    Ok(remote::actor_by_key(cx.db.pool(), key_id).await?)
}

/// Stores a remote actor as verified (new, or replacing what was known).
pub async fn save_actor(tx: &mut Tx, actor: &RemoteActor) -> Result<()> {
    Ok(remote::upsert_actor(tx, actor).await?)
}

/// Forgets a deleted remote actor, with its follows of local actors and its interactions.
pub async fn delete_actor(tx: &mut Tx, ap_id: &str, now: i64) -> Result<()> {
    Ok(remote::delete_actor(tx, ap_id, now).await?)
}

/// Records that `follower` follows `local` through the Follow `follow_id`.
pub async fn add_follower(
    tx: &mut Tx,
    local: LocalActor,
    follower: &str,
    follow_id: &str,
    now: i64,
) -> Result<()> {
    Ok(remote::add_follower(tx, local, follower, follow_id, now).await?)
}

/// `follower` stops following `local`.
pub async fn remove_follower(tx: &mut Tx, local: LocalActor, follower: &str) -> Result<()> {
    remote::remove_follower(tx, Some(local), follower).await?;
    Ok(())
}

/// Undoes what `actor`'s activity `activity_id` did: a follow, or else a like, boost or
/// reply. Returns whether it was a follow.
pub async fn undo(tx: &mut Tx, actor: &str, activity_id: &str) -> Result<bool> {
    if remote::remove_follow_activity(tx, actor, activity_id).await? > 0 {
        return Ok(true);
    }
    remote::remove_interaction(tx, actor, activity_id).await?;
    Ok(false)
}

/// Records a like, boost or reply of `merchant`'s product (its content already sanitised).
pub async fn add_interaction(tx: &mut Tx, merchant: Uuid, i: &Interaction) -> Result<()> {
    Ok(remote::add_interaction(&mut **tx, merchant, i).await?)
}

/// Removes what `actor` deleted (a reply).
pub async fn remove_interaction(tx: &mut Tx, actor: &str, object_id: &str) -> Result<()> {
    remote::remove_interaction(tx, actor, object_id).await?;
    Ok(())
}

/// Replaces the text of a reply its author edited (already sanitised).
pub async fn edit_reply(
    tx: &mut Tx,
    actor: &str,
    object_id: &str,
    content: Option<String>,
) -> Result<()> {
    Ok(remote::edit_reply(tx, actor, object_id, content).await?)
}

/// Records the answer to one of the node's follows; returns the follow's target when this
/// acceptance is its first (it then starts a backfill).
pub async fn answer_follow(
    tx: &mut Tx,
    follow_id: &str,
    answerer: &str,
    accepted: bool,
    now: i64,
) -> Result<Option<String>> {
    let found = remote::follow(&mut **tx, follow_id)
        .await?
        .filter(|f| f.target == answerer);
    let found = match found {
        Some(f) => Some(f),
        None => remote::follow(&mut **tx, answerer).await?,
    };
    let Some(f) = found else {
        return Ok(None);
    };
    let state = if accepted {
        FollowState::Accepted
    } else {
        FollowState::Rejected
    };
    remote::set_follow_state(tx, &f.target, state, now).await?;
    // A backfill starts when the follow is first accepted, or again when an earlier walk did
    // not reach the end (a network failure); a repeated Accept after a complete walk, or
    // while one runs (see `Federation::start_backfill`), starts nothing.
    Ok((accepted && (f.state == FollowState::Pending || !f.backfilled)).then_some(f.target))
}

/// What a shop's fediverse panel shows.
#[derive(Debug)]
pub struct Panel {
    /// How many follow the shop.
    pub follower_count: i64,
    /// The latest followers: (profile URL, name shown).
    pub followers: Vec<(String, String)>,
    /// The latest likes, boosts and replies (not those the admin hid), with the name of the
    /// product concerned.
    pub interactions: Vec<(Interaction, Option<String>)>,
}

/// A shop's likes, boosts and replies, newest first, before the interaction `before` (not
/// those the admin hid, nor those of a deleted product), for its owner (or the admin, or its
/// token).
pub async fn interactions(
    cx: &crate::domain::Context,
    who: &super::authz::Caller,
    merchant: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Interaction>> {
    super::authz::allow(who, super::authz::Action::ReadAudience(merchant))?;
    Ok(remote::interactions(cx.db.pool(), merchant, before, limit).await?)
}

/// A shop's audience, for its owner (or the admin, or its token).
pub async fn panel(
    cx: &crate::domain::Context,
    who: &super::authz::Caller,
    merchant: Uuid,
) -> Result<Panel> {
    super::authz::allow(who, super::authz::Action::ReadAudience(merchant))?;
    let pool = cx.db.pool();
    let local = LocalActor::Merchant(merchant);
    let follower_count = remote::follower_count(pool, local).await?;
    let followers = crate::db::moderation::followers(pool, &local.storage_key(), 100).await?;
    let interactions = remote::interactions(pool, merchant, None, 100).await?;
    let ids: Vec<Uuid> = interactions.iter().filter_map(|i| i.product_id).collect();
    let products = crate::db::products::by_ids(&cx.db, &ids).await?;
    let name_of = |id: Option<Uuid>| {
        id.and_then(|id| products.iter().find(|p| p.id == id))
            .map(|p| p.fields.name.clone())
    };
    Ok(Panel {
        follower_count,
        followers,
        interactions: interactions
            .into_iter()
            .map(|i| {
                let name = name_of(i.product_id);
                (i, name)
            })
            .collect(),
    })
}

/// Longest answer to a reply, in characters.
pub const MAX_ANSWER_CHARS: usize = 2000;

/// The reply `interaction` of the shop `merchant` and its author as last verified: what an
/// answer needs. Only the shop's owner (or the admin, or its token) may answer.
pub async fn reply_to_answer(
    cx: &crate::domain::Context,
    who: &super::authz::Caller,
    merchant: Uuid,
    interaction: Uuid,
) -> Result<(Interaction, RemoteActor)> {
    super::authz::allow(who, super::authz::Action::AnswerReplies(merchant))?;
    let pool = cx.db.pool();
    let i = crate::db::replies::interaction(pool, merchant, interaction)
        .await?
        .filter(|i| i.object_id.is_some())
        .ok_or_else(|| crate::error::Error::NotFound("no such reply to this shop".into()))?;
    let author = remote::actor(pool, &i.actor).await?.ok_or_else(|| {
        crate::error::Error::NotFound("the reply's author is no longer known here".into())
    })?;
    Ok((i, author))
}

/// Checks the text of an answer: 1 to [`MAX_ANSWER_CHARS`] characters.
pub fn check_answer(text: &str) -> Result<String> {
    let t = text.trim();
    let n = t.chars().count();
    if n == 0 || n > MAX_ANSWER_CHARS {
        return Err(crate::error::Error::field(
            "content",
            format!("must be 1 to {MAX_ANSWER_CHARS} characters"),
        ));
    }
    Ok(t.replace("\r\n", "\n"))
}

/// Stores an answer and queues its `Create` for the author's inbox, in one transaction.
pub async fn record_answer(
    cx: &crate::domain::Context,
    reply: &crate::model::remote::ShopReply,
    activity_id: &str,
    body: &str,
    inbox: &str,
) -> Result<()> {
    let mut tx = cx.db.begin().await?;
    crate::db::replies::insert(&mut tx, reply).await?;
    queue::enqueue(
        &mut tx,
        activity_id,
        LocalActor::Merchant(reply.merchant_id),
        body,
        &[inbox.to_string()],
        reply.created_at,
    )
    .await?;
    tx.commit().await?;
    cx.queued();
    Ok(())
}

/// An answer by id, with the author it mentions (to serve its document).
pub async fn answer_of(
    cx: &crate::domain::Context,
    merchant: Uuid,
    id: Uuid,
) -> Result<(crate::model::remote::ShopReply, RemoteActor)> {
    let pool = cx.db.pool();
    let not_found = || crate::error::Error::NotFound("no such answer".into());
    let r = crate::db::replies::get(pool, id)
        .await?
        .filter(|r| r.merchant_id == merchant)
        .ok_or_else(not_found)?;
    let author = remote::actor(pool, &r.to_actor)
        .await?
        .ok_or_else(not_found)?;
    Ok((r, author))
}

/// The replies of a shop that it answered.
pub async fn answered(cx: &crate::domain::Context, merchant: Uuid) -> Result<Vec<Uuid>> {
    Ok(crate::db::replies::answered(cx.db.pool(), merchant).await?)
}
