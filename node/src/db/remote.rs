//! Remote actors, followers, the node's follows, received activity ids and interactions.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use uuid::Uuid;

use super::{Db, Sql, Tx};
use crate::model::actor::LocalActor;
pub use crate::model::remote::{Follow, FollowState, Interaction, RemoteActor};

fn actor_from_row(r: &AnyRow) -> sqlx::Result<RemoteActor> {
    Ok(RemoteActor {
        ap_id: r.try_get("ap_id")?,
        kind: r.try_get("kind")?,
        preferred_username: r.try_get("preferred_username")?,
        name: r.try_get("name")?,
        inbox: r.try_get("inbox")?,
        shared_inbox: r.try_get("shared_inbox")?,
        key_id: r.try_get("key_id")?,
        public_key_pem: r.try_get("public_key_pem")?,
        url: r.try_get("url")?,
        document: r.try_get("document")?,
        fetched_at: r.try_get("fetched_at")?,
    })
}

/// The query for a remote actor that is not deleted, by one unique column.
macro_rules! select_live_actor_by {
    ($column:literal) => {
        concat!(
            "SELECT ap_id, kind, preferred_username, name, inbox, shared_inbox, key_id, public_key_pem, \
             url, document, fetched_at FROM remote_actors WHERE ",
            $column,
            "=$1 AND deleted_at IS NULL"
        )
    };
}

/// A stored remote actor by id.
pub async fn actor<'e>(
    ex: impl Executor<'e, Database = Any>,
    ap_id: &str,
) -> sqlx::Result<Option<RemoteActor>> {
    fetch_actor(ex, select_live_actor_by!("ap_id"), ap_id).await
}

/// A stored remote actor by the id of its key.
pub async fn actor_by_key<'e>(
    ex: impl Executor<'e, Database = Any>,
    key_id: &str,
) -> sqlx::Result<Option<RemoteActor>> {
    fetch_actor(ex, select_live_actor_by!("key_id"), key_id).await
}

async fn fetch_actor<'e>(
    ex: impl Executor<'e, Database = Any>,
    sql: &'static str,
    key: &str,
) -> sqlx::Result<Option<RemoteActor>> {
    sqlx::query(sql)
        .bind(key.to_string())
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(actor_from_row)
        .transpose()
}

/// Stores or refreshes a remote actor.
pub async fn upsert_actor(tx: &mut Tx, a: &RemoteActor) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO remote_actors (ap_id, kind, preferred_username, name, inbox, shared_inbox, key_id, \
         public_key_pem, url, document, fetched_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) \
         ON CONFLICT (ap_id) DO UPDATE SET kind=$2, preferred_username=$3, name=$4, inbox=$5, \
         shared_inbox=$6, key_id=$7, public_key_pem=$8, url=$9, document=$10, fetched_at=$11, deleted_at=NULL",
    )
    .bind(a.ap_id.clone())
    .bind(a.kind.clone())
    .bind(a.preferred_username.clone())
    .bind(a.name.clone())
    .bind(a.inbox.clone())
    .bind(a.shared_inbox.clone())
    .bind(a.key_id.clone())
    .bind(a.public_key_pem.clone())
    .bind(a.url.clone())
    .bind(a.document.clone())
    .bind(a.fetched_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Forgets a deleted remote actor: its follows and interactions go with it.
pub async fn delete_actor(tx: &mut Tx, ap_id: &str, now: i64) -> sqlx::Result<()> {
    for sql in [
        "DELETE FROM followers WHERE follower=$1",
        "DELETE FROM interactions WHERE actor=$1",
    ] {
        sqlx::query(sql)
            .bind(ap_id.to_string())
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("UPDATE remote_actors SET deleted_at=$2 WHERE ap_id=$1")
        .bind(ap_id.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records a follower of `local_actor`.
pub async fn add_follower(
    tx: &mut Tx,
    local_actor: LocalActor,
    follower: &str,
    follow_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO followers (local_actor, follower, follow_activity, created_at) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (local_actor, follower) DO UPDATE SET follow_activity=$3",
    )
    .bind(local_actor.storage_key())
    .bind(follower.to_string())
    .bind(follow_id.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes a follower; returns whether there was one.
pub async fn remove_follower(
    tx: &mut Tx,
    local_actor: Option<LocalActor>,
    follower: &str,
) -> sqlx::Result<bool> {
    let done = match local_actor {
        Some(l) => {
            sqlx::query("DELETE FROM followers WHERE local_actor=$1 AND follower=$2")
                .bind(l.storage_key())
                .bind(follower.to_string())
                .execute(&mut **tx)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM followers WHERE follower=$1")
                .bind(follower.to_string())
                .execute(&mut **tx)
                .await?
        }
    };
    Ok(done.rows_affected() > 0)
}

/// Removes followers whose inbox is gone (410).
pub async fn remove_followers_at(tx: &mut Tx, inbox: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM followers WHERE follower IN \
         (SELECT ap_id FROM remote_actors WHERE inbox=$1 OR shared_inbox=$1)",
    )
    .bind(inbox.to_string())
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Distinct delivery inboxes of `local_actor`'s followers (shared inboxes deduplicate).
pub async fn follower_inboxes<'e>(
    ex: impl Executor<'e, Database = Any>,
    local_actor: LocalActor,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT COALESCE(a.shared_inbox, a.inbox) FROM followers f \
         JOIN remote_actors a ON a.ap_id = f.follower WHERE f.local_actor=$1 AND a.deleted_at IS NULL",
    )
    .bind(local_actor.storage_key())
    .fetch_all(ex)
    .await
}

/// How many followers `local_actor` has.
pub async fn follower_count<'e>(
    ex: impl Executor<'e, Database = Any>,
    local_actor: LocalActor,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM followers WHERE local_actor=$1")
        .bind(local_actor.storage_key())
        .fetch_one(ex)
        .await
}

/// Marks an activity id as processed; false when it already was.
pub async fn first_receipt(tx: &mut Tx, activity_id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("INSERT INTO received_activities (id, received_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
        .bind(activity_id.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records (or renews) a follow by the node actor.
pub async fn upsert_follow(
    tx: &mut Tx,
    target: &str,
    follow_activity: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO follows (target, follow_activity, state, created_at) VALUES ($1,$2,'pending',$3) \
         ON CONFLICT (target) DO UPDATE SET follow_activity=$2, state='pending', created_at=$3, accepted_at=NULL",
    )
    .bind(target.to_string())
    .bind(follow_activity.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The follow with this Follow activity id, or of this target.
pub async fn follow<'e>(
    ex: impl Executor<'e, Database = Any>,
    target_or_activity: &str,
) -> sqlx::Result<Option<Follow>> {
    let row = sqlx::query(
        "SELECT target, follow_activity, state, backfilled_at FROM follows WHERE follow_activity=$1 OR target=$1",
    )
    .bind(target_or_activity.to_string())
    .fetch_optional(ex)
    .await?;
    row.map(|r| {
        Ok(Follow {
            target: r.try_get("target")?,
            follow_activity: r.try_get("follow_activity")?,
            state: follow_state(&r)?,
            backfilled: r.try_get::<Option<i64>, _>("backfilled_at")?.is_some(),
        })
    })
    .transpose()
}

fn follow_state(r: &AnyRow) -> sqlx::Result<FollowState> {
    let s: String = r.try_get("state")?;
    FollowState::parse(&s).ok_or_else(|| sqlx::Error::Decode(format!("follow state {s:?}").into()))
}

/// Every follow of the node actor.
pub async fn follows<'e>(ex: impl Executor<'e, Database = Any>) -> sqlx::Result<Vec<Follow>> {
    sqlx::query(
        "SELECT target, follow_activity, state, backfilled_at FROM follows ORDER BY created_at",
    )
    .fetch_all(ex)
    .await?
    .iter()
    .map(|r| {
        Ok(Follow {
            target: r.try_get("target")?,
            follow_activity: r.try_get("follow_activity")?,
            state: follow_state(r)?,
            backfilled: r.try_get::<Option<i64>, _>("backfilled_at")?.is_some(),
        })
    })
    .collect()
}

/// Sets a follow's state.
pub async fn set_follow_state(
    tx: &mut Tx,
    target: &str,
    state: FollowState,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE follows SET state=$2, accepted_at=CASE WHEN $2='accepted' THEN $3 ELSE accepted_at END WHERE target=$1")
        .bind(target.to_string())
        .bind(state.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Removes a follow.
pub async fn delete_follow(tx: &mut Tx, target: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM follows WHERE target=$1")
        .bind(target.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Stores an interaction (once per activity id).
pub async fn add_interaction<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant_id: Uuid,
    i: &Interaction,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO interactions (id, activity_id, kind, merchant_id, product_id, actor, object_id, content, url, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (activity_id) DO NOTHING",
    )
    .bind(i.id.to_string())
    .bind(i.activity_id.clone())
    .bind(i.kind.clone())
    .bind(merchant_id.to_string())
    .bind(i.product_id.map(|p| p.to_string()))
    .bind(i.actor.clone())
    .bind(i.object_id.clone())
    .bind(i.content.clone())
    .bind(i.url.clone())
    .bind(i.created_at)
    .execute(ex)
    .await?;
    Ok(())
}

/// Removes interactions made by `activity_or_object` (an undone Like, a deleted reply), only
/// if `actor` made them.
pub async fn remove_interaction(
    tx: &mut Tx,
    actor: &str,
    activity_or_object: &str,
) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM interactions WHERE actor=$1 AND (activity_id=$2 OR object_id=$2)")
            .bind(actor.to_string())
            .bind(activity_or_object.to_string())
            .execute(&mut **tx)
            .await?
            .rows_affected(),
    )
}

/// A merchant's interactions, newest first: not those the admin hid, nor those of a deleted
/// product.
pub async fn interactions<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant_id: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<Interaction>> {
    let rows = sqlx::query(&format!(
        "SELECT {INTERACTION_COLUMNS} FROM interactions i \
         WHERE merchant_id=$1 AND id < $2 AND hidden_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM products p WHERE p.id = i.product_id AND p.deleted_at IS NOT NULL) \
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(merchant_id.to_string())
    .bind(before.map_or_else(|| "~".to_string(), |b| b.to_string()))
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter().map(interaction_from_row).collect()
}

/// The columns an interaction is read from.
pub const INTERACTION_COLUMNS: &str =
    "id, activity_id, kind, product_id, actor, object_id, content, url, created_at";

/// Reads an interaction from the row of [`INTERACTION_COLUMNS`].
pub fn interaction_from_row(r: &AnyRow) -> sqlx::Result<Interaction> {
    Ok(Interaction {
        id: super::uuid(&r.try_get::<String, _>("id")?)?,
        activity_id: r.try_get("activity_id")?,
        kind: r.try_get("kind")?,
        product_id: r
            .try_get::<Option<String>, _>("product_id")?
            .map(|s| super::uuid(&s))
            .transpose()?,
        actor: r.try_get("actor")?,
        object_id: r.try_get("object_id")?,
        content: r.try_get("content")?,
        url: r.try_get("url")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Replaces the text of a stored reply after its author edited it.
pub async fn edit_reply(
    tx: &mut Tx,
    actor: &str,
    object_id: &str,
    content: Option<String>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE interactions SET content=$3 WHERE actor=$1 AND object_id=$2")
        .bind(actor.to_string())
        .bind(object_id.to_string())
        .bind(content)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Removes the follower that `follow_activity` made; returns how many rows went.
pub async fn remove_follow_activity(
    tx: &mut Tx,
    follower: &str,
    follow_activity: &str,
) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM followers WHERE follower=$1 AND follow_activity=$2")
            .bind(follower.to_string())
            .bind(follow_activity.to_string())
            .execute(&mut **tx)
            .await?
            .rows_affected(),
    )
}

/// Stores likes, boosts and replies in one transaction: those whose activity is new and whose
/// product is a live local product (the others are skipped).
pub async fn insert_interactions(db: &Db, batch: &[&Interaction]) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    // Activities seen before (a redelivery, or a Like undone since) are not stored again.
    let mut seen = Sql::new("INSERT INTO received_activities (id, received_at) VALUES ");
    for (n, i) in batch.iter().enumerate() {
        if n > 0 {
            seen.push(",");
        }
        seen.push("(")
            .bind(i.activity_id.clone())
            .push(",")
            .bind(i.created_at)
            .push(")");
    }
    seen.push(" ON CONFLICT (id) DO NOTHING RETURNING id");
    let (text, args) = seen.build();
    let new: std::collections::HashSet<String> = sqlx::query_scalar_with(&text, args)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let fresh: Vec<&&Interaction> = batch
        .iter()
        .filter(|i| new.contains(&i.activity_id))
        .collect();
    if fresh.is_empty() {
        return tx.commit().await;
    }
    let mut sql = Sql::new(
        "INSERT INTO interactions (id, activity_id, kind, merchant_id, product_id, actor, object_id, content, url, created_at) \
         SELECT v.column1, v.column2, v.column3, p.merchant_id, p.id, v.column5, v.column6, v.column7, v.column8, v.column9 \
         FROM (VALUES ",
    );
    for (n, i) in fresh.iter().enumerate() {
        if n > 0 {
            sql.push(",");
        }
        sql.push("(")
            .bind(i.id.to_string())
            .push(",")
            .bind(i.activity_id.clone())
            .push(",")
            .bind(i.kind.clone())
            .push(",")
            .bind(i.product_id.map(|p| p.to_string()).unwrap_or_default())
            .push(",")
            .bind(i.actor.clone())
            .push(",")
            .bind(i.object_id.clone())
            .push(",")
            .bind(i.content.clone())
            .push(",")
            .bind(i.url.clone())
            .push(",")
            .bind(i.created_at)
            .push(")");
    }
    sql.push(
        ") AS v JOIN products p ON p.id = v.column4 \
         WHERE p.local = 1 AND p.deleted_at IS NULL \
         ON CONFLICT (activity_id) DO NOTHING",
    );
    let (text, args) = sql.build();
    sqlx::query_with(&text, args).execute(&mut *tx).await?;
    tx.commit().await
}
