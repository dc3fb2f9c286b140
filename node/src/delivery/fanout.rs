//! Fan-out: each outbox event becomes one rendered activity, queued once per distinct inbox of
//! the merchant's followers, and its `Announce` by the node actor, queued for the node's
//! followers. Events are claimed in the same transaction that queues their deliveries.

use std::collections::HashSet;

use uuid::Uuid;

use crate::db::{self, outbox, queue, Tx};
use crate::federation::outbox::render_event;
use crate::federation::to_ap;
use crate::federation::Federation;
use crate::model::actor::LocalActor;
use crate::model::outbox::{Event, Kind, Verb};

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
        .filter(|e| delay > 0 && e.verb == Verb::Create && now.saturating_sub(e.created_at) < delay)
        .map(|e| e.object_id)
        .collect();
    let mut absorbed = HashSet::new();
    for (i, e) in events.iter().enumerate() {
        if e.verb != Verb::Create || held.contains(&e.object_id) {
            continue;
        }
        absorbed.extend(
            events[i + 1..]
                .iter()
                .filter(|later| later.object_id == e.object_id && later.kind == e.kind)
                .map(|later| later.seq),
        );
    }
    (held, absorbed)
}

/// Whether `e` waits for a held Create: its object's, or its new shop's.
fn waits(held: &HashSet<Uuid>, e: &Event) -> bool {
    held.contains(&e.object_id) || held.contains(&e.merchant_id)
}

/// Events fanned out in one transaction.
const BATCH: i64 = 100;

/// Processes pending events that are due; returns how many.
pub async fn run(fed: &Federation) -> anyhow::Result<usize> {
    // Events are fanned out in order by one process at a time: a later event queued by another
    // process before an earlier one would reach a host first (a Delete before its Create).
    // A cheap look first: most wake-ups find nothing due, and must not take the write lock.
    let pending = outbox::pending(fed.cx.db.pool(), BATCH).await?;
    let (held, _) = hold_and_coalesce(
        &pending,
        fed.cx.clock.now_ms(),
        fed.cx.settings.publish_delay,
    );
    if pending.iter().all(|e| waits(&held, e)) {
        return Ok(0);
    }
    let mut tx: Tx = fed.cx.db.begin().await?;
    outbox::lock_fanout(&mut tx, fed.cx.db.backend()).await?;
    let events = outbox::pending(&mut *tx, BATCH).await?;
    let now = fed.cx.clock.now_ms();
    let (held, absorbed) = hold_and_coalesce(&events, now, fed.cx.settings.publish_delay);
    let node_inboxes = db::remote::follower_inboxes(&mut *tx, LocalActor::Node).await?;
    let mut processed = 0;
    for e in &events {
        if waits(&held, e) {
            continue;
        }
        processed += 1;
        if !absorbed.contains(&e.seq) {
            let subject = crate::domain::read::subject_in(&mut tx, e).await?;
            let rendered = render_event(fed, e, subject);
            if rendered.is_none() && e.verb == Verb::Create {
                // Created and deleted before anyone heard of it: whatever else was recorded
                // about it (a Delete, even beyond this batch) is not sent either.
                outbox::mark_later_processed(&mut tx, e.object_id, e.seq, now).await?;
            }
            if rendered.is_some() && e.verb == Verb::Create && e.kind == Kind::Product {
                // What this Create carries is not an edit: later Notes say `updated` only for
                // a change after it.
                db::products::announced(&mut tx, e.object_id).await?;
            }
            if let Some(activity) = rendered {
                let merchant = LocalActor::Merchant(e.merchant_id);
                let inboxes = db::remote::follower_inboxes(&mut *tx, merchant).await?;
                let body = serde_json::to_string(&activity)?;
                queue::enqueue(
                    &mut tx,
                    activity.id.as_str(),
                    merchant,
                    &body,
                    &inboxes,
                    now,
                )
                .await?;
                if !node_inboxes.is_empty() {
                    let announce = to_ap::announce(&fed.cx.urls, activity);
                    let body = serde_json::to_string(&announce)?;
                    queue::enqueue(
                        &mut tx,
                        announce.id.as_str(),
                        LocalActor::Node,
                        &body,
                        &node_inboxes,
                        now,
                    )
                    .await?;
                }
            }
        }
        outbox::mark_processed(&mut tx, e.seq, now).await?;
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
            verb: Verb::parse(verb).unwrap(),
            kind: if object == merchant {
                Kind::Merchant
            } else {
                Kind::Product
            },
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
