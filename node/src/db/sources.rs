//! The nodes an aggregator harvests (`harvest_sources`) and their sync state.

use sqlx::{Any, Executor, Row};

use super::Tx;

/// Where a harvested node's harvest stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceState {
    /// Added, not read yet.
    New,
    /// Its feed is being read from the start.
    Backfilling,
    /// Read to the end; new pages are read as they come.
    Live,
    /// The last reads failed; retried later and later.
    Down,
}

impl SourceState {
    /// As stored and as `etal aggregator sources` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::New => "new",
            SourceState::Backfilling => "backfilling",
            SourceState::Live => "live",
            SourceState::Down => "down",
        }
    }

    /// Reads a stored state.
    pub fn parse(s: &str) -> Option<SourceState> {
        [
            SourceState::New,
            SourceState::Backfilling,
            SourceState::Live,
            SourceState::Down,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

impl std::fmt::Display for SourceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A harvested node and where its harvest stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The node's address (its origin).
    pub url: String,
    /// Its Application actor, followed for live changes.
    pub actor: Option<String>,
    /// Its change feed.
    pub feed: String,
    /// The last change applied.
    pub cursor: String,
    /// Where its harvest stands.
    pub state: SourceState,
    /// When it was added (ms).
    pub added_at: i64,
    /// Last attempt.
    pub checked_at: Option<i64>,
    /// Last time its feed was read to the end.
    pub synced_at: Option<i64>,
    /// Next attempt.
    pub next_at: i64,
    /// Failed attempts in a row.
    pub failures: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Changes applied in all.
    pub changes: i64,
    /// The cursor before the last page applied (a feed that goes back to it makes no
    /// progress).
    pub prev_cursor: Option<String>,
}

const COLUMNS: &str = "url, actor, feed, cursor, state, added_at, checked_at, synced_at, next_at, \
                       failures, last_error, changes, prev_cursor";

fn read(r: &sqlx::any::AnyRow) -> sqlx::Result<Source> {
    Ok(Source {
        url: r.try_get("url")?,
        actor: r.try_get("actor")?,
        feed: r.try_get("feed")?,
        cursor: r.try_get("cursor")?,
        state: {
            let s: String = r.try_get("state")?;
            SourceState::parse(&s)
                .ok_or_else(|| sqlx::Error::Decode(format!("source state {s:?}").into()))?
        },
        added_at: r.try_get("added_at")?,
        checked_at: r.try_get("checked_at")?,
        synced_at: r.try_get("synced_at")?,
        next_at: r.try_get("next_at")?,
        failures: r.try_get("failures")?,
        last_error: r.try_get("last_error")?,
        changes: r.try_get("changes")?,
        prev_cursor: r.try_get("prev_cursor")?,
    })
}

/// Adds a source, or names its actor and feed again if it exists (its state is kept).
pub async fn add(
    tx: &mut Tx,
    url: &str,
    actor: Option<&str>,
    feed: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO harvest_sources (url, actor, feed, added_at, next_at) VALUES ($1,$2,$3,$4,0) \
         ON CONFLICT (url) DO UPDATE SET actor=excluded.actor, feed=excluded.feed, next_at=0",
    )
    .bind(url.to_string())
    .bind(actor.map(str::to_string))
    .bind(feed.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Forgets a source; true if it existed.
pub async fn remove(tx: &mut Tx, url: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM harvest_sources WHERE url=$1")
        .bind(url.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Every source, by address.
pub async fn list<'e>(ex: impl Executor<'e, Database = Any>) -> sqlx::Result<Vec<Source>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM harvest_sources ORDER BY url"
    ))
    .fetch_all(ex)
    .await?;
    rows.iter().map(read).collect()
}

/// One source.
pub async fn get<'e>(
    ex: impl Executor<'e, Database = Any>,
    url: &str,
) -> sqlx::Result<Option<Source>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM harvest_sources WHERE url=$1"
    ))
    .bind(url.to_string())
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(read).transpose()
}

/// Sources whose next attempt is due at `now` and that no process holds, soonest first.
pub async fn due<'e>(ex: impl Executor<'e, Database = Any>, now: i64) -> sqlx::Result<Vec<Source>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM harvest_sources WHERE next_at <= $1 AND lease_until <= $1 \
         ORDER BY next_at, url"
    ))
    .bind(now)
    .fetch_all(ex)
    .await?;
    rows.iter().map(read).collect()
}

/// The soonest next attempt of any source.
pub async fn next_due<'e>(ex: impl Executor<'e, Database = Any>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT MIN(next_at) FROM harvest_sources")
        .fetch_one(ex)
        .await
}

/// Takes the source for a turn, for `owner` (a process) until `until` (ms), if it is due and
/// no process holds it: the source as it stands then (another process may have read it since
/// it was listed as due). Several aggregator processes on one database read each source once.
pub async fn claim<'e>(
    ex: impl Executor<'e, Database = Any>,
    url: &str,
    owner: &str,
    now: i64,
    until: i64,
) -> sqlx::Result<Option<Source>> {
    let row = sqlx::query(&format!(
        "UPDATE harvest_sources SET lease_until=$3, lease_owner=$4 \
         WHERE url=$1 AND next_at <= $2 AND lease_until <= $2 RETURNING {COLUMNS}"
    ))
    .bind(url.to_string())
    .bind(now)
    .bind(until)
    .bind(owner.to_string())
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(read).transpose()
}

/// Extends `owner`'s lease on the source to `until`: false if another process holds it now.
pub async fn renew<'e>(
    ex: impl Executor<'e, Database = Any>,
    url: &str,
    owner: &str,
    until: i64,
) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE harvest_sources SET lease_until=$3 WHERE url=$1 AND lease_owner=$2")
            .bind(url.to_string())
            .bind(owner.to_string())
            .bind(until)
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a page applied: the new cursor and how many changes it held, in the page's
/// transaction (a restart resumes after it); false, and nothing recorded, if the cursor is no
/// longer `from` (another process read the page first).
pub async fn advance(
    tx: &mut Tx,
    url: &str,
    from: &str,
    cursor: &str,
    changes: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE harvest_sources SET prev_cursor=cursor, cursor=$2, changes=changes+$3, checked_at=$4, \
         failures=0, last_error=NULL, state=CASE WHEN state='live' THEN 'live' ELSE 'backfilling' END \
         WHERE url=$1 AND cursor=$5",
    )
    .bind(url.to_string())
    .bind(cursor.to_string())
    .bind(changes)
    .bind(now)
    .bind(from.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the feed read to its end: the source is live; next look at `next_at`. Only by the
/// process holding the source (`owner`), which gives it back.
pub async fn caught_up<'e>(
    ex: impl Executor<'e, Database = Any>,
    url: &str,
    owner: &str,
    now: i64,
    next_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE harvest_sources SET state='live', synced_at=$2, checked_at=$2, next_at=$3, failures=0, \
         last_error=NULL, lease_until=0, lease_owner=NULL WHERE url=$1 AND lease_owner=$4",
    )
    .bind(url.to_string())
    .bind(now)
    .bind(next_at)
    .bind(owner.to_string())
    .execute(ex)
    .await?;
    Ok(())
}

/// Asks for another look at `next_at` (a source with more pages yields its turn, at once or
/// later); only by `owner`, which gives the source back.
pub async fn again<'e>(
    ex: impl Executor<'e, Database = Any>,
    url: &str,
    owner: &str,
    now: i64,
    next_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE harvest_sources SET next_at=$4, checked_at=$2, lease_until=0, lease_owner=NULL \
         WHERE url=$1 AND lease_owner=$3",
    )
    .bind(url.to_string())
    .bind(now)
    .bind(owner.to_string())
    .bind(next_at)
    .execute(ex)
    .await?;
    Ok(())
}

/// Counts a page against the source's budget of `max` pages an hour (its hour starts with its
/// first page): `None` if the page may be read, else when the budget is renewed.
pub async fn take_page<'e>(
    ex: impl Executor<'e, Database = Any> + Copy,
    url: &str,
    owner: &str,
    now: i64,
    max: i64,
) -> sqlx::Result<Option<i64>> {
    const HOUR: i64 = 3600 * 1000;
    let done = sqlx::query(
        "UPDATE harvest_sources SET \
           budget_pages = CASE WHEN budget_since <= $3 - 3600000 THEN 1 ELSE budget_pages + 1 END, \
           budget_since = CASE WHEN budget_since <= $3 - 3600000 THEN $3 ELSE budget_since END \
         WHERE url=$1 AND lease_owner=$2 AND (budget_since <= $3 - 3600000 OR budget_pages < $4)",
    )
    .bind(url.to_string())
    .bind(owner.to_string())
    .bind(now)
    .bind(max)
    .execute(ex)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(None);
    }
    let since: i64 = sqlx::query_scalar("SELECT budget_since FROM harvest_sources WHERE url=$1")
        .bind(url.to_string())
        .fetch_one(ex)
        .await?;
    Ok(Some(since + HOUR))
}

/// Records a failed attempt: the source is down until `next_at`; only by `owner`, which gives
/// the source back.
pub async fn failed<'e>(
    ex: impl Executor<'e, Database = Any>,
    url: &str,
    owner: &str,
    error: &str,
    now: i64,
    next_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE harvest_sources SET state='down', failures=failures+1, last_error=$2, checked_at=$3, \
         next_at=$4, lease_until=0, lease_owner=NULL WHERE url=$1 AND lease_owner=$5",
    )
    .bind(url.to_string())
    .bind(error.chars().take(500).collect::<String>())
    .bind(now)
    .bind(next_at)
    .bind(owner.to_string())
    .execute(ex)
    .await?;
    Ok(())
}

/// Live shops and products mirrored from `origin`.
pub async fn counts<'e>(
    ex: impl Executor<'e, Database = Any> + Copy,
    origin: &str,
) -> sqlx::Result<(i64, i64)> {
    let shops: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM merchants WHERE origin=$1 AND local=0 AND deleted_at IS NULL",
    )
    .bind(origin.to_string())
    .fetch_one(ex)
    .await?;
    let products: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM products WHERE origin=$1 AND local=0 AND deleted_at IS NULL",
    )
    .bind(origin.to_string())
    .fetch_one(ex)
    .await?;
    Ok((shops, products))
}

/// The source whose actor is `actor`.
pub async fn by_actor<'e>(
    ex: impl Executor<'e, Database = Any>,
    actor: &str,
) -> sqlx::Result<Option<Source>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM harvest_sources WHERE actor=$1"
    ))
    .bind(actor.to_string())
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(read).transpose()
}

/// After a bulk load (PostgreSQL; never blocks writers): marks the new rows visible to all
/// once, so that the first searches that read them do not (each would dirty the pages it
/// reads), and refreshes the planner's statistics. Pages already marked are skipped, so each
/// backfill pays for its own rows only.
pub async fn analyze<'e>(ex: impl Executor<'e, Database = Any>) -> sqlx::Result<()> {
    sqlx::raw_sql("VACUUM (ANALYZE) products, merchants, product_images")
        .execute(ex)
        .await?;
    Ok(())
}
