//! Aggregator mode's harvester: reads each source node's change feed
//! (`/open-data/changes`, see `spec/`), page after page, into the mirror; the Follow of the
//! node's actor brings its changes live meanwhile (`federation::mirror`). Harvesting is not
//! ActivityPub: the pages are read into batches by `from_open_data`, for `domain::mirror`. Each source is read by a
//! task of its own, a few at a time, and gives up its turn after [`PAGES_PER_TURN`] pages, so
//! that one source's flood or failure never stalls the others.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

use super::from_open_data;
use crate::domain::mirror::Batch;
use crate::domain::sources::Source;
use crate::domain::{self};
use crate::federation::{fetch::FetchError, from_ap, verify_doc, Federation};
use etal_protocol::ap::{self, Actor};
use etal_protocol::open_data::ChangePage;

/// Changes asked for per page (the most the feed gives).
pub const PAGE: usize = 5000;
/// Largest page read (5000 changes of long descriptions fit).
pub const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;
/// Longest turn at one source before the others get theirs.
const TURN: Duration = Duration::from_secs(120);
/// Longest cursor kept (the feed's are under 60 characters).
const MAX_CURSOR_CHARS: usize = 200;
/// Pages a source reads before giving the others their turn.
pub const PAGES_PER_TURN: usize = 20;
/// Sources read at once.
pub const CONCURRENT: usize = 4;
/// The cursor of a source read through its outbox.
const OUTBOX: &str = "outbox";
/// Shops a page may name without describing them (fetched eight at a time).
const MAX_SHOP_FETCHES: usize = 500;

/// Starts the harvester: it looks for due sources every half second (so a source added by
/// `etal aggregator follow` while the server runs is read at once).
pub fn spawn(fed: Arc<Federation>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // This process, as it holds sources (several may share one database).
        let owner: Arc<str> = Arc::from(uuid::Uuid::now_v7().to_string());
        let running: Arc<Mutex<HashSet<String>>> = Arc::default();
        let slots = Arc::new(tokio::sync::Semaphore::new(CONCURRENT));
        loop {
            match domain::sources::due(&fed.cx).await {
                Ok(due) => {
                    for source in due {
                        if !running.lock().expect("lock").insert(source.url.clone()) {
                            continue;
                        }
                        let (fed, running, slots, owner) =
                            (fed.clone(), running.clone(), slots.clone(), owner.clone());
                        tokio::spawn(async move {
                            if let Ok(_permit) = slots.acquire().await {
                                // Another aggregator process on the same database may hold it.
                                match domain::sources::claim(&fed.cx, &source, &owner).await {
                                    Ok(Some(current)) => turn(&fed, &current, &owner).await,
                                    Ok(None) => {}
                                    Err(e) => {
                                        tracing::warn!(source = %source.url, error = %e, "cannot take the source")
                                    }
                                }
                            }
                            running.lock().expect("lock").remove(&source.url);
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the harvest sources"),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
}

/// One turn at a source, held by the process `owner`: pages until its feed is read to the end
/// or the turn is over.
pub async fn turn(fed: &Federation, source: &Source, owner: &str) {
    let every = fed.cx.settings.harvest_every.as_millis() as i64;
    match read(fed, source, owner).await {
        Ok(Turn::CaughtUp) => {
            if let Err(e) = domain::sources::caught_up(&fed.cx, source, owner, every).await {
                tracing::warn!(source = %source.url, error = %e, "cannot record the harvest");
            }
        }
        Ok(Turn::Superseded) => {
            tracing::info!(source = %source.url, "read meanwhile by another aggregator process");
        }
        Ok(Turn::More) => {
            if let Err(e) = domain::sources::yield_turn(&fed.cx, source, owner).await {
                tracing::warn!(source = %source.url, error = %e, "cannot record the harvest");
            }
        }
        Ok(Turn::Wait(until, why)) => {
            tracing::info!(source = %source.url, why, "harvest paused");
            if let Err(e) = domain::sources::wait(&fed.cx, source, owner, until).await {
                tracing::warn!(source = %source.url, error = %e, "cannot record the harvest");
            }
        }
        Err(e) => {
            let error = format!("{e:#}");
            tracing::warn!(source = %source.url, error, "harvest failed; the source is down");
            if let Err(e) = domain::sources::failed(&fed.cx, source, owner, &error, every).await {
                tracing::warn!(source = %source.url, error = %e, "cannot record the failure");
            }
        }
    }
}

enum Turn {
    CaughtUp,
    More,
    /// No more pages until then: a full page brought nothing newer, or the source's budget of
    /// pages for the hour is spent.
    Wait(i64, &'static str),
    /// Another aggregator process took this source meanwhile (this turn outlived its lease):
    /// the source is theirs now, nothing more is recorded.
    Superseded,
}

async fn read(fed: &Federation, source: &Source, owner: &str) -> anyhow::Result<Turn> {
    if source.cursor == OUTBOX {
        // Read once through its outbox; its activities arrive live since.
        return Ok(Turn::CaughtUp);
    }
    let mut cursor = source.cursor.clone();
    // Cursors this source went through: a feed that gives one again goes round in circles.
    let mut seen: HashSet<String> = [source.cursor.clone()]
        .into_iter()
        .chain(source.prev_cursor.clone())
        .collect();
    let started = std::time::Instant::now();
    let every = fed.cx.settings.harvest_every.as_millis() as i64;
    for n in 0..PAGES_PER_TURN {
        if started.elapsed() > TURN {
            return Ok(Turn::More);
        }
        // The claim leased it for the first page; each next one renews the lease.
        if n > 0 && !domain::sources::renew(&fed.cx, source, owner).await? {
            return Ok(Turn::Superseded);
        }
        if let Some(until) = domain::sources::take_page(&fed.cx, source, owner).await? {
            return Ok(Turn::Wait(until, "its pages for the hour are read"));
        }
        let mut url = Url::parse(&source.feed)?;
        url.query_pairs_mut()
            .append_pair("since", &cursor)
            .append_pair("limit", &PAGE.to_string());
        let body = match fed.fetcher.get_open_data(&url, MAX_PAGE_BYTES).await {
            Ok(b) => b,
            Err(e) if e.is_gone() && cursor == "0" && source.actor.is_some() => {
                // A node without a change feed (not an Étal node, or an older one): its
                // outbox, walked once, then its live activities.
                let actor = source.actor.clone().unwrap_or_default();
                let n = crate::federation::mirror::backfill(fed, &actor).await?;
                tracing::info!(source = %source.url, activities = n, "no change feed: read its outbox");
                if domain::sources::apply_page(&fed.cx, source, &cursor, OUTBOX, Batch::default())
                    .await?
                    .is_none()
                {
                    return Ok(Turn::Superseded);
                }
                return Ok(Turn::CaughtUp);
            }
            Err(e) => return Err(e.into()),
        };
        let page: ChangePage = serde_json::from_slice(&body)
            .map_err(|e| anyhow::anyhow!("{url} is not a change feed page: {e}"))?;
        drop(body);
        if page.items.len() > PAGE {
            anyhow::bail!("{url} gave {} changes, more than asked", page.items.len());
        }
        if page.next_cursor.len() > MAX_CURSOR_CHARS
            || !page
                .next_cursor
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            anyhow::bail!("{url} gave a cursor this harvester does not keep");
        }
        let full = page.items.len() == PAGE;
        if page.items.is_empty() || page.next_cursor == cursor {
            return Ok(Turn::CaughtUp);
        }
        if !seen.insert(page.next_cursor.clone()) {
            anyhow::bail!(
                "the feed went back to a cursor it gave before ({}): it makes no progress",
                page.next_cursor
            );
        }
        let mut batch = from_open_data::batch(&source.url, page.items);
        describe_shops(fed, &source.url, &mut batch).await?;
        let Some(applied) =
            domain::sources::apply_page(&fed.cx, source, &cursor, &page.next_cursor, batch).await?
        else {
            return Ok(Turn::Superseded);
        };
        fed.cx.committed().await;
        tracing::debug!(source = %source.url, applied, cursor = %page.next_cursor, "harvested a page");
        cursor = page.next_cursor;
        if !full {
            return Ok(Turn::CaughtUp);
        }
        if applied == 0 {
            // A full page of nothing newer: no more this turn (its changes may also have
            // arrived live; the next page waits the usual interval).
            return Ok(Turn::Wait(
                fed.cx.clock.now_ms() + every,
                "a full page brought nothing newer",
            ));
        }
    }
    Ok(Turn::More)
}

/// Fetches the actor documents of shops a page's products belong to that neither the page nor
/// the aggregate describes (a shop changed after its products sits later in the feed). A shop
/// that is gone (404, 410) leaves its products out (its tombstone follows in the feed); any
/// other failure fails the page, which is read again later, so no product is lost.
async fn describe_shops(fed: &Federation, origin: &str, batch: &mut Batch) -> anyhow::Result<()> {
    use futures::StreamExt;
    let named = batch.shops_named();
    let known = domain::mirror::known_shops(&fed.cx, &named).await?;
    let missing: Vec<Url> = named
        .iter()
        .filter(|id| !known.contains_key(*id))
        .filter_map(|id| Url::parse(id).ok())
        .filter(|u| ap::origin(u) == origin)
        .collect();
    if missing.len() > MAX_SHOP_FETCHES {
        anyhow::bail!(
            "a page names {} shops it does not describe (at most {MAX_SHOP_FETCHES})",
            missing.len()
        );
    }
    let fetched: Vec<(Url, Result<serde_json::Value, FetchError>)> = futures::stream::iter(missing)
        .map(|url| async move {
            let doc = fed.fetcher.get(&url).await;
            (url, doc)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for (url, doc) in fetched {
        match doc {
            Ok(doc) => {
                let actor = verify_doc::<Actor>(&doc)
                    .map_err(|e| anyhow::anyhow!("the shop {url} is unreadable: {e}"))?;
                batch.merchants.push(from_ap::merchant(&actor));
            }
            Err(e) if e.is_gone() => {
                tracing::info!(shop = %url, "a harvested shop is gone: its products are left out");
            }
            Err(e) => anyhow::bail!("cannot describe the shop {url}: {e}"),
        }
    }
    Ok(())
}
