//! The mirror of followed nodes, as ActivityPub brings it: the shop documents an activity
//! needs (fetched before any transaction), and the walk of a followed node's outbox after a
//! follow is accepted. What the node actor announces live goes through `inbox/announce.rs`;
//! both read activities into batches (`from_ap::batch`) that `domain::mirror` checks and
//! stores, as it does the pages of harvested change feeds. Mirrored rows are read-only copies
//! (`local = 0`) that keep their remote ids.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use url::Url;

use super::{from_ap, verify_doc};
use crate::domain;
use crate::federation::Federation;
use etal_protocol::ap::{self, Activity, Actor, Object};

/// Why an activity of a followed node could not be mirrored.
#[derive(Debug)]
pub enum MirrorError {
    /// The server it depends on did not answer as it should (a shop's document).
    Upstream(String),
    /// What it sent is not what it should be.
    Malformed(String),
    /// Storing it failed.
    Storage(String),
}

impl std::fmt::Display for MirrorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MirrorError::Upstream(s) | MirrorError::Malformed(s) | MirrorError::Storage(s) => {
                f.write_str(s)
            }
        }
    }
}

impl std::error::Error for MirrorError {}

impl From<crate::error::Error> for MirrorError {
    fn from(e: crate::error::Error) -> MirrorError {
        MirrorError::Storage(e.to_string())
    }
}

/// A shop's actor document: as stored if fetched within the hour, fetched otherwise.
async fn shop_doc(fed: &Federation, id: &Url) -> Result<Actor, MirrorError> {
    if let Some(stored) = domain::audience::stored_actor(&fed.cx, id.as_str()).await? {
        if fed.cx.clock.now_ms() - stored.fetched_at < 3_600_000 {
            if let Ok(a) = serde_json::from_str::<Actor>(&stored.document) {
                return Ok(a);
            }
        }
    }
    let doc = fed.fetcher.get(id).await.map_err(|e| {
        tracing::info!(merchant = %id, error = %e, "cannot fetch a mirrored merchant");
        MirrorError::Upstream(format!("cannot fetch the merchant {id}"))
    })?;
    verify_doc::<Actor>(&doc).map_err(MirrorError::Malformed)
}

/// Fetches the shop documents mirroring `a` needs (before any transaction).
pub async fn describe(
    fed: &Federation,
    a: &Activity,
) -> Result<HashMap<String, Actor>, MirrorError> {
    let mut shops = HashMap::new();
    if let Some(id) = from_ap::shop_to_describe(a) {
        shops.insert(id.to_string(), shop_doc(fed, id).await?);
    }
    Ok(shops)
}

/// Walks a followed node's outbox in the background, newest activity first; one walk per
/// followed node at a time.
pub fn spawn_backfill(fed: Arc<Federation>, target: String) {
    if fed.cx.settings.aggregator {
        // A harvested node's change feed is read instead (`open_data::harvest`), much faster.
        let fed = fed.clone();
        let target2 = target.clone();
        tokio::spawn(async move {
            match domain::sources::by_actor(&fed.cx, &target2).await {
                // Unless it has no feed and is read through its outbox.
                Ok(Some(s)) if s.cursor != "outbox" => {}
                _ => spawn_outbox_backfill(fed, target2),
            }
        });
        return;
    }
    spawn_outbox_backfill(fed, target);
}

fn spawn_outbox_backfill(fed: Arc<Federation>, target: String) {
    if !fed.start_backfill(&target) {
        tracing::info!(target, "a backfill of this node is already running");
        return;
    }
    tokio::spawn(async move {
        match backfill(&fed, &target).await {
            Ok(n) => tracing::info!(target, activities = n, "backfill done"),
            Err(e) => tracing::warn!(target, error = %e, "backfill failed"),
        }
        fed.end_backfill(&target);
    });
}

/// Reads the outbox of `target` (a node actor) and mirrors every announced activity.
pub async fn backfill(fed: &Federation, target: &str) -> anyhow::Result<usize> {
    let actor_url = Url::parse(target)?;
    let actor: Actor =
        verify_doc(&fed.fetcher.get(&actor_url).await?).map_err(anyhow::Error::msg)?;
    let outbox_url = actor
        .outbox
        .ok_or_else(|| anyhow::anyhow!("{target} has no outbox"))?;
    let outbox = fed.fetcher.get(&outbox_url).await?;
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
        if !domain::follows::is_accepted(&fed.cx, target).await? {
            tracing::info!(target, "backfill stopped: the node is no longer followed");
            return Ok(applied);
        }
        let page_url = Url::parse(&page_url)?;
        if ap::origin(&page_url) != origin {
            anyhow::bail!("outbox page {page_url} is on another server");
        }
        let page: ap::OrderedCollectionPage =
            serde_json::from_value(fed.fetcher.get(&page_url).await?)?;
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
                || from_ap::foreign_object(inner, &origin).is_some()
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
            match backfill_one(fed, inner).await {
                Ok(()) => applied += 1,
                Err(e) => {
                    tracing::warn!(activity = %inner.id, error = %e, "backfill skipped an activity")
                }
            }
        }
        next = page.next.map(|u| u.to_string());
    }
    domain::audience::backfilled(&fed.cx, target).await?;
    Ok(applied)
}

async fn backfill_one(fed: &Federation, inner: &Activity) -> anyhow::Result<()> {
    let shops = describe(fed, inner).await?;
    let now = fed.cx.clock.now_ms();
    if let Some(batch) = from_ap::batch(inner, &shops, now) {
        domain::mirror::apply(
            &fed.cx,
            &ap::origin(&inner.actor),
            batch,
            Some(inner.id.as_str()),
        )
        .await?;
    }
    Ok(())
}
