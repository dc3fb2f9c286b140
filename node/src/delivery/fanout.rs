//! Fan-out: each outbox event becomes one rendered activity, queued once per distinct inbox of
//! the merchant's followers, and its `Announce` by the node actor, queued for the node's
//! followers. Events are claimed in the same transaction that queues their deliveries.

use sqlx::Row;
use uuid::Uuid;

use crate::db::{self, queue, Tx};
use crate::federation::render;
use crate::Node;
use etal_protocol::ap::{Activity, ActivityType, Object, ObjectRef};

/// An outbox event row.
#[derive(Debug, Clone)]
pub struct Event {
    /// Order of events.
    pub seq: i64,
    /// Mints the activity IRI.
    pub activity_id: Uuid,
    /// create | update | delete.
    pub verb: String,
    /// merchant | product.
    pub object_kind: String,
    /// The merchant or product id.
    pub object_id: Uuid,
    /// The merchant.
    pub merchant_id: Uuid,
    /// When it happened.
    pub created_at: i64,
}

/// Reads an event row.
pub fn event_from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<Event> {
    let uuid = |s: String| Uuid::parse_str(&s).map_err(|e| sqlx::Error::Decode(e.into()));
    Ok(Event {
        seq: r.try_get("seq")?,
        activity_id: uuid(r.try_get("activity_id")?)?,
        verb: r.try_get("verb")?,
        object_kind: r.try_get("object_kind")?,
        object_id: uuid(r.try_get("object_id")?)?,
        merchant_id: uuid(r.try_get("merchant_id")?)?,
        created_at: r.try_get("created_at")?,
    })
}

/// Event columns, for queries.
pub const EVENT_COLUMNS: &str =
    "seq, activity_id, verb, object_kind, object_id, merchant_id, created_at";

/// Renders the activity an event stands for, from the current state of its object. `None`
/// when there is nothing to say any more (a product created then deleted before fan-out).
pub async fn render_event(
    node: &Node,
    ex: &mut sqlx::AnyConnection,
    e: &Event,
) -> anyhow::Result<Option<Activity>> {
    let Some(merchant) = db::merchants::by_id(&mut *ex, e.merchant_id).await? else {
        return Ok(None);
    };
    let urls = &node.urls;
    let actor = urls.merchant(&merchant.slug);
    let followers = urls.merchant_part(&merchant.slug, "followers");
    let id = urls.activity(&e.activity_id);
    let at = db::time(e.created_at);
    let (kind, object) = match (e.object_kind.as_str(), e.verb.as_str()) {
        ("product", verb) => {
            let Some(mut p) = db::products::by_id(&mut *ex, e.object_id, "").await? else {
                return Ok(None);
            };
            if verb == "delete" {
                let deleted = p.deleted_at.unwrap_or(at);
                let t = render::tombstone(&urls.product(&p.id), "Note", deleted, false);
                (ActivityType::Delete, Object::Tombstone(t))
            } else {
                if p.deleted_at.is_some() {
                    return Ok(None);
                }
                p.images = db::images::for_product(&mut *ex, p.id).await?;
                let note = render::product_note(urls, &merchant, &p, false);
                let kind = if verb == "create" {
                    ActivityType::Create
                } else {
                    ActivityType::Update
                };
                (kind, Object::Note(Box::new(note)))
            }
        }
        ("merchant", "delete") => {
            let a = render::public_activity(
                id,
                ActivityType::Delete,
                &actor,
                &followers,
                ObjectRef::Id(url::Url::parse(&actor)?),
                at,
            );
            return Ok(Some(a));
        }
        ("merchant", verb) => {
            if merchant.deleted_at.is_some() {
                return Ok(None);
            }
            let mut a = render::merchant_actor(urls, &merchant);
            a.context = serde_json::Value::Null;
            let kind = if verb == "create" {
                ActivityType::Create
            } else {
                ActivityType::Update
            };
            (kind, Object::Actor(Box::new(a)))
        }
        _ => return Ok(None),
    };
    Ok(Some(render::public_activity(
        id,
        kind,
        &actor,
        &followers,
        ObjectRef::Object(Box::new(object)),
        at,
    )))
}

/// Processes pending events; returns how many.
pub async fn run(node: &Node) -> anyhow::Result<usize> {
    // Events are fanned out in order by one process at a time: a later event queued by another
    // process before an earlier one would reach a host first (a Delete before its Create).
    let serialize = node.db.backend() == db::Backend::Postgres;
    // A cheap look first: most wake-ups find nothing, and must not take the write lock.
    let pending: Option<i64> =
        sqlx::query_scalar("SELECT seq FROM outbox_events WHERE processed_at IS NULL LIMIT 1")
            .fetch_optional(node.db.pool())
            .await?;
    if pending.is_none() {
        return Ok(0);
    }
    let mut tx: Tx = node.db.begin().await?;
    if serialize {
        sqlx::query("SELECT pg_advisory_xact_lock(7310455)")
            .execute(&mut *tx)
            .await?;
    }
    let sql = format!("SELECT {EVENT_COLUMNS} FROM outbox_events WHERE processed_at IS NULL ORDER BY seq LIMIT 100");
    let events: Vec<Event> = sqlx::query(&sql)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(event_from_row)
        .collect::<sqlx::Result<_>>()?;
    let now = node.clock.now_ms();
    let node_inboxes = db::remote::follower_inboxes(&mut *tx, "node").await?;
    for e in &events {
        if let Some(activity) = render_event(node, &mut tx, e).await? {
            let merchant = e.merchant_id.to_string();
            let inboxes = db::remote::follower_inboxes(&mut *tx, &merchant).await?;
            let body = serde_json::to_string(&activity)?;
            queue::enqueue(
                &mut tx,
                activity.id.as_str(),
                &merchant,
                &body,
                &inboxes,
                now,
            )
            .await?;
            if !node_inboxes.is_empty() {
                let announce = render::announce(&node.urls, activity);
                let body = serde_json::to_string(&announce)?;
                queue::enqueue(
                    &mut tx,
                    announce.id.as_str(),
                    "node",
                    &body,
                    &node_inboxes,
                    now,
                )
                .await?;
            }
        }
        sqlx::query("UPDATE outbox_events SET processed_at=$2 WHERE seq=$1")
            .bind(e.seq)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(events.len())
}
