//! Fan-out: each outbox event becomes one rendered activity, queued once per distinct inbox of
//! the merchant's followers, and its `Announce` by the node actor, queued for the node's
//! followers. Events are claimed in the same transaction that queues their deliveries.

use std::collections::HashSet;

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

/// Which pending events wait, and which say nothing of their own.
///
/// A new object's `Create` waits `delay` after it was recorded, with every later event of the
/// object (and, for a new shop, of its products): a product created and then given its photos
/// reaches followers as one `Create` with the photos, not a `Create` then an `Update` that
/// Mastodon and GoToSocial show as "edited". Once the `Create` goes, later events of the same
/// object in the batch are absorbed by it, since activities are rendered from the object's
/// current state: an `Update` adds nothing, and after a `Delete` the `Create` renders nothing,
/// so an object deleted within the delay is never announced at all.
///
/// Returns the ids (objects and shops) whose events wait, and the `seq`s of absorbed events.
pub fn hold_and_coalesce(
    events: &[Event],
    now: i64,
    delay: std::time::Duration,
) -> (HashSet<Uuid>, HashSet<i64>) {
    let delay = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    let held: HashSet<Uuid> = events
        .iter()
        .filter(|e| delay > 0 && e.verb == "create" && now.saturating_sub(e.created_at) < delay)
        .map(|e| e.object_id)
        .collect();
    let mut absorbed = HashSet::new();
    for (i, e) in events.iter().enumerate() {
        if e.verb != "create" || held.contains(&e.object_id) {
            continue;
        }
        absorbed.extend(
            events[i + 1..]
                .iter()
                .filter(|later| {
                    later.object_id == e.object_id && later.object_kind == e.object_kind
                })
                .map(|later| later.seq),
        );
    }
    (held, absorbed)
}

/// Processes pending events that are due; returns how many.
pub async fn run(node: &Node) -> anyhow::Result<usize> {
    // Events are fanned out in order by one process at a time: a later event queued by another
    // process before an earlier one would reach a host first (a Delete before its Create).
    let serialize = node.db.backend() == db::Backend::Postgres;
    // A cheap look first: most wake-ups find nothing due, and must not take the write lock.
    let sql = format!("SELECT {EVENT_COLUMNS} FROM outbox_events WHERE processed_at IS NULL ORDER BY seq LIMIT 100");
    let pending: Vec<Event> = sqlx::query(&sql)
        .fetch_all(node.db.pool())
        .await?
        .iter()
        .map(event_from_row)
        .collect::<sqlx::Result<_>>()?;
    let (held, _) = hold_and_coalesce(&pending, node.clock.now_ms(), node.settings.publish_delay);
    if pending
        .iter()
        .all(|e| held.contains(&e.object_id) || held.contains(&e.merchant_id))
    {
        return Ok(0);
    }
    let mut tx: Tx = node.db.begin().await?;
    if serialize {
        sqlx::query("SELECT pg_advisory_xact_lock(7310455)")
            .execute(&mut *tx)
            .await?;
    }
    let events: Vec<Event> = sqlx::query(&sql)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(event_from_row)
        .collect::<sqlx::Result<_>>()?;
    let now = node.clock.now_ms();
    let (held, absorbed) = hold_and_coalesce(&events, now, node.settings.publish_delay);
    let node_inboxes = db::remote::follower_inboxes(&mut *tx, "node").await?;
    let mut processed = 0;
    for e in &events {
        if held.contains(&e.object_id) || held.contains(&e.merchant_id) {
            continue;
        }
        processed += 1;
        if !absorbed.contains(&e.seq) {
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
        }
        sqlx::query("UPDATE outbox_events SET processed_at=$2 WHERE seq=$1")
            .bind(e.seq)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(processed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn event(seq: i64, verb: &str, object: Uuid, merchant: Uuid, at: i64) -> Event {
        Event {
            seq,
            activity_id: Uuid::now_v7(),
            verb: verb.into(),
            object_kind: if object == merchant {
                "merchant"
            } else {
                "product"
            }
            .into(),
            object_id: object,
            merchant_id: merchant,
            created_at: at,
        }
    }

    #[test]
    fn a_young_create_holds_its_object_and_a_due_one_absorbs_later_changes() {
        let (shop, young, due, other) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let events = [
            event(1, "create", due, shop, 0),
            event(2, "update", other, shop, 100),
            event(3, "update", due, shop, 200),
            event(4, "create", young, shop, 9_000),
            event(5, "update", young, shop, 9_500),
            event(6, "delete", due, shop, 9_600),
        ];
        let (held, absorbed) = hold_and_coalesce(&events, 10_000, Duration::from_secs(5));
        assert_eq!(held, HashSet::from([young]));
        assert_eq!(absorbed, HashSet::from([3, 6]));
        // Without a delay nothing waits, and a Create still absorbs what follows it.
        let (held, absorbed) = hold_and_coalesce(&events, 0, Duration::ZERO);
        assert!(held.is_empty());
        assert_eq!(absorbed, HashSet::from([3, 5, 6]));
    }

    #[test]
    fn a_new_shop_holds_its_products_too() {
        let (shop, product) = (Uuid::now_v7(), Uuid::now_v7());
        let events = [
            event(1, "create", shop, shop, 1_000),
            event(2, "create", product, shop, 1_000),
        ];
        let (held, _) = hold_and_coalesce(&events, 2_000, Duration::from_secs(10));
        assert!(held.contains(&shop) && held.contains(&product));
    }
}
