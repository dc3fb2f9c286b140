//! The mirror of followed nodes: their merchants and products, received as the node actor's
//! `Announce` of each Create/Update/Delete, or backfilled from its outbox after a follow is
//! accepted. Mirrored rows are read-only copies (`local = 0`) that keep their remote ids.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use url::Url;

use super::inbox::verify::check_object_origin;
use super::inbox::verify::Refusal;
use super::inbox::{InboxError, Verified};
use super::{from_ap, verify_doc};
use crate::db::{remote, Tx};
use crate::domain;
use crate::error::Error as DomainError;
use crate::Node;
use etal_protocol::ap::{self, Activity, ActivityType, Actor, Object};

/// Actor documents fetched before the transaction, by actor id.
#[derive(Debug, Default)]
pub struct Prepared {
    merchants: HashMap<String, Actor>,
}

fn announced(v: &Verified) -> Option<&Activity> {
    match (&v.activity.kind, v.activity.object.object()) {
        (ActivityType::Announce, Some(Object::Activity(inner))) => Some(inner),
        _ => None,
    }
}

async fn merchant_doc(node: &Node, id: &Url) -> Result<Actor, InboxError> {
    if let Some(stored) = remote::actor(node.db.pool(), id.as_str()).await? {
        if node.clock.now_ms() - stored.fetched_at < 3_600_000 {
            if let Ok(a) = serde_json::from_str::<Actor>(&stored.document) {
                return Ok(a);
            }
        }
    }
    let doc = node.fed.fetcher.get(id).await.map_err(|e| {
        tracing::info!(merchant = %id, error = %e, "cannot fetch a mirrored merchant");
        InboxError::new(Refusal::Upstream, format!("cannot fetch the merchant {id}"))
    })?;
    verify_doc::<Actor>(&doc).map_err(|e| InboxError::new(Refusal::Malformed, e))
}

/// Fetches what mirroring an announced activity needs (the merchant's actor document).
pub async fn prepare(node: &Node, v: &Verified) -> Result<Prepared, InboxError> {
    let mut out = Prepared::default();
    if let Some(inner) = announced(v) {
        if is_followed(node, &v.activity.actor).await? {
            prepare_inner(node, inner, &mut out).await?;
        }
    }
    Ok(out)
}

async fn prepare_inner(
    node: &Node,
    inner: &Activity,
    out: &mut Prepared,
) -> Result<(), InboxError> {
    match (&inner.kind, inner.object.object()) {
        (ActivityType::Create | ActivityType::Update, Some(Object::Note(_)))
            if !out.merchants.contains_key(inner.actor.as_str()) =>
        {
            let doc = merchant_doc(node, &inner.actor).await?;
            out.merchants.insert(inner.actor.to_string(), doc);
        }
        (ActivityType::Create | ActivityType::Update, Some(Object::Actor(a))) => {
            out.merchants.insert(a.id.to_string(), (**a).clone());
        }
        _ => {}
    }
    Ok(())
}

async fn is_followed(node: &Node, actor: &Url) -> Result<bool, InboxError> {
    Ok(remote::follow(node.db.pool(), actor.as_str())
        .await?
        .is_some_and(|f| f.state == "accepted" && f.target == actor.as_str()))
}

/// Applies an `Announce` from a followed node.
pub async fn apply_announce(
    node: &Node,
    tx: &mut Tx,
    v: &Verified,
    prepared: &Prepared,
) -> Result<(), InboxError> {
    let Some(inner) = announced(v) else {
        return Ok(());
    };
    let followed = remote::follow(&mut **tx, v.activity.actor.as_str())
        .await?
        .is_some_and(|f| f.state == "accepted");
    if !followed {
        return Ok(());
    }
    apply(node, tx, inner, prepared).await
}

async fn apply(
    node: &Node,
    tx: &mut Tx,
    inner: &Activity,
    prepared: &Prepared,
) -> Result<(), InboxError> {
    let now = node.clock.now_ms();
    if !domain::audience::first_receipt(tx, inner.id.as_str(), now)
        .await
        .map_err(InboxError::internal)?
    {
        return Ok(());
    }
    match (&inner.kind, inner.object.object()) {
        (ActivityType::Create | ActivityType::Update, Some(Object::Note(note))) => {
            let Some(actor) = prepared.merchants.get(inner.actor.as_str()) else {
                return Ok(());
            };
            let shop = from_ap::merchant(actor);
            if node.settings.aggregator && !domain::mirror::consents(&shop) {
                return withdrawn(tx, &shop.ap_id, now).await;
            }
            let saved = async {
                let merchant = domain::mirror::save_merchant(tx, shop, now).await?;
                if let Some(p) = from_ap::product(note, now) {
                    domain::mirror::save_product(tx, merchant, p, now).await?;
                }
                Ok(())
            };
            skip_refused(&note.id, saved.await)?;
        }
        (ActivityType::Create | ActivityType::Update, Some(Object::Actor(actor))) => {
            let shop = from_ap::merchant(actor);
            if node.settings.aggregator && !domain::mirror::consents(&shop) {
                return withdrawn(tx, &shop.ap_id, now).await;
            }
            let saved = domain::mirror::save_merchant(tx, shop, now).await;
            skip_refused(&actor.id, saved.map(|_| ()))?;
        }
        (ActivityType::Delete, _) => {
            if let Some(target) = inner.object.id() {
                if *target == inner.actor {
                    domain::mirror::delete_merchant(tx, inner.actor.as_str(), now)
                        .await
                        .map_err(InboxError::internal)?;
                } else {
                    domain::mirror::delete_product(
                        tx,
                        &ap::origin(&inner.actor),
                        target.as_str(),
                        now,
                    )
                    .await
                    .map_err(InboxError::internal)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// An aggregator holds only shops that consent to being indexed: one that does not (or no
/// longer does) leaves the aggregate with its products.
async fn withdrawn(tx: &mut Tx, shop: &str, now: i64) -> Result<(), InboxError> {
    domain::mirror::delete_merchant(tx, shop, now)
        .await
        .map_err(InboxError::internal)
}

/// A refused mirrored object is skipped (the rest of the activity stands); other failures
/// fail the activity.
fn skip_refused(what: &Url, r: Result<(), DomainError>) -> Result<(), InboxError> {
    match r {
        Ok(()) => Ok(()),
        Err(DomainError::Invalid(fields)) => {
            tracing::warn!(object = %what, ?fields, "a mirrored object breaks the rules: skipped");
            Ok(())
        }
        Err(e) => Err(InboxError::internal(e)),
    }
}

/// Walks a followed node's outbox in the background, newest activity first; one walk per
/// followed node at a time.
pub fn spawn_backfill(node: Arc<Node>, target: String) {
    if node.settings.aggregator {
        // A harvested node's change feed is read instead (`harvest.rs`), much faster.
        let node = node.clone();
        let target2 = target.clone();
        tokio::spawn(async move {
            match crate::db::sources::by_actor(node.db.pool(), &target2).await {
                // Unless it has no feed and is read through its outbox.
                Ok(Some(s)) if s.cursor != "outbox" => {}
                _ => spawn_outbox_backfill(node, target2),
            }
        });
        return;
    }
    spawn_outbox_backfill(node, target);
}

fn spawn_outbox_backfill(node: Arc<Node>, target: String) {
    if !node.fed.start_backfill(&target) {
        tracing::info!(target, "a backfill of this node is already running");
        return;
    }
    tokio::spawn(async move {
        match backfill(&node, &target).await {
            Ok(n) => tracing::info!(target, activities = n, "backfill done"),
            Err(e) => tracing::warn!(target, error = %e, "backfill failed"),
        }
        node.fed.end_backfill(&target);
    });
}

/// Reads the outbox of `target` (a node actor) and mirrors every announced activity.
pub async fn backfill(node: &Node, target: &str) -> anyhow::Result<usize> {
    let actor_url = Url::parse(target)?;
    let actor: Actor =
        verify_doc(&node.fed.fetcher.get(&actor_url).await?).map_err(anyhow::Error::msg)?;
    let outbox_url = actor
        .outbox
        .ok_or_else(|| anyhow::anyhow!("{target} has no outbox"))?;
    let outbox = node.fed.fetcher.get(&outbox_url).await?;
    let mut next = outbox
        .get("first")
        .and_then(Value::as_str)
        .map(str::to_string);
    let origin = ap::origin(&actor_url);
    // Newest first: the first activity seen about an object is its current state, and the
    // older ones about it are skipped. Only ids are kept in memory, page after page.
    let mut seen: HashSet<String> = HashSet::new();
    let mut applied = 0;
    let mut visited: HashSet<String> = HashSet::new();
    while let Some(page_url) = next.take() {
        // A page seen before ends the walk: an outbox whose pages loop is read once.
        if visited.len() >= 100_000 || !visited.insert(page_url.clone()) {
            break;
        }
        // Unfollowed meanwhile: stop.
        let following = crate::db::remote::follow(node.db.pool(), target)
            .await?
            .is_some_and(|f| f.state == "accepted");
        if !following {
            tracing::info!(target, "backfill stopped: the node is no longer followed");
            return Ok(applied);
        }
        let page_url = Url::parse(&page_url)?;
        if ap::origin(&page_url) != origin {
            anyhow::bail!("outbox page {page_url} is on another server");
        }
        let page: ap::OrderedCollectionPage =
            serde_json::from_value(node.fed.fetcher.get(&page_url).await?)?;
        for item in &page.ordered_items {
            let Some(Object::Activity(announce)) = item.object() else {
                continue;
            };
            let Some(Object::Activity(inner)) = announce.object.object() else {
                continue;
            };
            // What a node relays must be its own, and so must what its activities carry.
            if ap::origin(&inner.id) != origin
                || ap::origin(&inner.actor) != origin
                || check_object_origin(inner, &origin).is_err()
            {
                tracing::warn!(activity = %inner.id, "backfill skipped an activity from another server");
                continue;
            }
            let Some(object) = inner.object.id() else {
                continue;
            };
            if !seen.insert(object.to_string()) {
                continue;
            }
            match backfill_one(node, inner).await {
                Ok(()) => applied += 1,
                Err(e) => {
                    tracing::warn!(activity = %inner.id, error = %e, "backfill skipped an activity")
                }
            }
        }
        next = page.next.map(|u| u.to_string());
    }
    let mut tx = node.db.begin().await?;
    domain::audience::mark_backfilled(&mut tx, target, node.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(applied)
}

async fn backfill_one(node: &Node, inner: &Activity) -> anyhow::Result<()> {
    let mut prepared = Prepared::default();
    prepare_inner(node, inner, &mut prepared)
        .await
        .map_err(|e| anyhow::anyhow!(e.reason))?;
    let mut tx = node.db.begin().await?;
    apply(node, &mut tx, inner, &prepared)
        .await
        .map_err(|e| anyhow::anyhow!(e.reason))?;
    tx.commit().await?;
    node.committed().await;
    Ok(())
}
