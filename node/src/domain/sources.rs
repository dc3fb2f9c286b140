//! Aggregator mode's rules for the nodes it harvests: a source is a node's address; its change
//! feed is read page after page, each page stored with the source's new cursor in one
//! transaction (a restart resumes after the last page stored); a source that fails is marked
//! down and tried again later, sooner at first, then less and less often.

use crate::db;
pub use crate::db::sources::{Source, SourceState};
use crate::domain::mirror::{self, Batch};
use crate::domain::Context;
use crate::error::{Error, Result};

/// The longest wait between two attempts at a source that is down, unless the sources are
/// read less often than that (`--harvest-every`).
pub const MAX_BACKOFF_MS: i64 = 15 * 60 * 1000;

/// A source as `etal aggregator sources` shows it.
#[derive(Debug, Clone)]
pub struct SourceView {
    /// What is stored.
    pub source: Source,
    /// Whether its actor accepted the aggregator's Follow (live changes).
    pub follow: Option<String>,
    /// Live shops mirrored from it.
    pub shops: i64,
    /// Live products mirrored from it.
    pub products: i64,
}

/// Where a node's change feed is.
pub fn feed_of(origin: &str) -> String {
    format!("{}/open-data/changes", origin.trim_end_matches('/'))
}

/// Adds `origin` (a node's address) as a source, with its actor when known. Adding it again
/// keeps its cursor and asks for a look at once.
pub async fn add(cx: &Context, origin: &str, actor: Option<&str>) -> Result<()> {
    let url = url::Url::parse(origin).map_err(|_| Error::field("url", "is not an address"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::field("url", "must be an http(s) address"));
    }
    let origin = etal_protocol::ap::origin(&url);
    let mut tx = cx.db.begin().await?;
    db::sources::add(
        &mut tx,
        &origin,
        actor,
        &feed_of(&origin),
        cx.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Forgets a source (what was harvested from it stays until its shops delete it).
pub async fn remove(cx: &Context, origin: &str) -> Result<()> {
    let mut tx = cx.db.begin().await?;
    let found = db::sources::remove(&mut tx, origin.trim_end_matches('/')).await?;
    tx.commit().await?;
    if found {
        Ok(())
    } else {
        Err(Error::NotFound(format!("{origin} is not a source")))
    }
}

/// The source whose node actor is `actor`, if any.
pub async fn by_actor(cx: &Context, actor: &str) -> Result<Option<Source>> {
    Ok(db::sources::by_actor(cx.db.pool(), actor).await?)
}

/// Every source with its state and what it brought.
pub async fn list(cx: &Context) -> Result<Vec<SourceView>> {
    let pool = cx.db.pool();
    let mut out = Vec::new();
    for source in db::sources::list(pool).await? {
        let (shops, products) = db::sources::counts(pool, &source.url).await?;
        let follow = match &source.actor {
            Some(a) => db::remote::follow(pool, a)
                .await?
                .map(|f| f.state.as_str().to_string()),
            None => None,
        };
        out.push(SourceView {
            source,
            follow,
            shops,
            products,
        });
    }
    Ok(out)
}

/// Stores one page of a source's feed, read after the cursor `from`, and its new cursor, in
/// one transaction; returns how many changes were applied, or `None` (and nothing is written)
/// if another aggregator process on the same database moved the cursor meanwhile (it held the
/// source after this one's lease ran out). The rules are checked and the search entries
/// computed before the transaction begins.
pub async fn apply_page(
    cx: &Context,
    source: &Source,
    from: &str,
    cursor: &str,
    batch: Batch,
) -> Result<Option<usize>> {
    let now = cx.clock.now_ms();
    let count = batch.len() as i64;
    let checked = mirror::check(cx, &source.url, batch).await?;
    if checked.refused > 0 {
        tracing::info!(source = %source.url, refused = checked.refused, "changes refused by the rules");
    }
    let mut tx = cx.db.begin().await?;
    let applied = mirror::save(&mut tx, checked, now).await?;
    if !db::sources::advance(&mut tx, &source.url, from, cursor, count, now).await? {
        tx.rollback().await?;
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(applied))
}

/// Records that the source's feed was read to its end; the next look is `every_ms` later. The
/// turn's process (`owner`) gives the source back; if another process holds it now, nothing is
/// recorded.
pub async fn caught_up(cx: &Context, source: &Source, owner: &str, every_ms: i64) -> Result<()> {
    let now = cx.clock.now_ms();
    db::sources::caught_up(cx.db.writer(), &source.url, owner, now, now + every_ms).await?;
    if source.state != db::sources::SourceState::Live && cx.db.backend() == db::Backend::Postgres {
        // A backfill is a bulk load: PostgreSQL plans searches from statistics that
        // autovacuum would refresh only later (searches took seconds before it did).
        db::sources::analyze(cx.db.pool()).await?;
    }
    Ok(())
}

/// Gives other sources their turn before reading more pages of this one (`owner` gives it
/// back).
pub async fn yield_turn(cx: &Context, source: &Source, owner: &str) -> Result<()> {
    let now = cx.clock.now_ms();
    db::sources::again(cx.db.writer(), &source.url, owner, now, now).await?;
    Ok(())
}

/// Pages a source may have read in an hour: a national-scale node's backfill (60 pages) fits
/// many times; a feed that never ends costs a bounded amount.
pub const PAGES_PER_HOUR: i64 = 240;

/// Counts a page against the source's hourly budget: `None` if it may be read, else when the
/// budget is renewed.
pub async fn take_page(cx: &Context, source: &Source, owner: &str) -> Result<Option<i64>> {
    Ok(db::sources::take_page(
        cx.db.writer(),
        &source.url,
        owner,
        cx.clock.now_ms(),
        PAGES_PER_HOUR,
    )
    .await?)
}

/// Gives the source back until `next_at` (a page brought nothing new, or its budget is spent):
/// not a failure, but no more now.
pub async fn wait(cx: &Context, source: &Source, owner: &str, next_at: i64) -> Result<()> {
    let now = cx.clock.now_ms();
    db::sources::again(cx.db.writer(), &source.url, owner, now, next_at.max(now)).await?;
    Ok(())
}

/// Records a failed attempt: the source is down; the next attempt waits `every_ms` times
/// 2^failures, at most [`MAX_BACKOFF_MS`] (or `every_ms` if longer: a source that is down is
/// not read more often than one that is live). `owner` gives the source back.
pub async fn failed(
    cx: &Context,
    source: &Source,
    owner: &str,
    error: &str,
    every_ms: i64,
) -> Result<()> {
    let now = cx.clock.now_ms();
    let wait = every_ms
        .saturating_mul(1 << source.failures.clamp(0, 10))
        .min(MAX_BACKOFF_MS.max(every_ms));
    db::sources::failed(cx.db.writer(), &source.url, owner, error, now, now + wait).await?;
    Ok(())
}

/// How long a process holds a source for a turn without renewing: a turn renews before each
/// page ([`renew`]), and stops starting pages after 2 minutes.
pub const LEASE_MS: i64 = 10 * 60 * 1000;

/// Takes a due source for a turn by the process `owner`: the source as it stands now, or
/// `None` if another aggregator process on the same database holds it or it is no longer due.
/// The turn's end gives it back.
pub async fn claim(cx: &Context, source: &Source, owner: &str) -> Result<Option<Source>> {
    let now = cx.clock.now_ms();
    Ok(db::sources::claim(cx.db.writer(), &source.url, owner, now, now + LEASE_MS).await?)
}

/// Extends `owner`'s hold on the source before another page: false if another process took
/// it (this turn outlived its lease), and the turn must stop.
pub async fn renew(cx: &Context, source: &Source, owner: &str) -> Result<bool> {
    let until = cx.clock.now_ms() + LEASE_MS;
    Ok(db::sources::renew(cx.db.writer(), &source.url, owner, until).await?)
}

/// Sources due for a look now.
pub async fn due(cx: &Context) -> Result<Vec<Source>> {
    Ok(db::sources::due(cx.db.pool(), cx.clock.now_ms()).await?)
}

/// When the next source is due (ms), if any.
pub async fn next_due(cx: &Context) -> Result<Option<i64>> {
    Ok(db::sources::next_due(cx.db.pool()).await?)
}

/// A source by address.
pub async fn get(cx: &Context, origin: &str) -> Result<Source> {
    db::sources::get(cx.db.pool(), origin.trim_end_matches('/'))
        .await?
        .ok_or_else(|| Error::NotFound(format!("{origin} is not a source")))
}
