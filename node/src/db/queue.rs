//! The persistent delivery queue: rendered activities, one delivery per distinct inbox, and
//! per-host health. A worker leases the oldest delivery of each host, so each host receives
//! in order and no two workers (or processes) send the same delivery at once.

use sqlx::Row;
use url::Url;

use super::{Backend, Db, Sql, Tx};
use crate::model::actor::LocalActor;

/// The host key of an inbox: `scheme://host:port`.
pub fn host_of(inbox: &str) -> Option<String> {
    Url::parse(inbox)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

/// Queues `body` (activity `activity_id`, signed by `signer`) for each inbox; inboxes on hosts
/// marked down or blocked by the admin (or under a blocked domain) are skipped. Returns how many deliveries were queued.
pub async fn enqueue(
    tx: &mut Tx,
    activity_id: &str,
    signer: LocalActor,
    body: &str,
    inboxes: &[String],
    now: i64,
) -> sqlx::Result<usize> {
    if inboxes.is_empty() {
        return Ok(0);
    }
    sqlx::query(
        "INSERT INTO outgoing_activities (id, signer, body, created_at) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(activity_id.to_string())
    .bind(signer.storage_key())
    .bind(body.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let down: Vec<String> =
        sqlx::query_scalar("SELECT host FROM hosts WHERE down_since IS NOT NULL")
            .fetch_all(&mut **tx)
            .await?;
    let blocked = super::moderation::blocked_hosts(&mut **tx).await?;
    let is_blocked = |inbox: &str| {
        let name = Url::parse(inbox)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.trim_end_matches('.').to_lowercase()))
            .unwrap_or_default();
        blocked
            .iter()
            .any(|b| name == *b || name.ends_with(&format!(".{b}")))
    };
    let rows: Vec<(&str, String)> = inboxes
        .iter()
        .filter_map(|inbox| Some((inbox.as_str(), host_of(inbox)?)))
        .filter(|(inbox, host)| !down.contains(host) && !is_blocked(inbox))
        .collect();
    if rows.is_empty() {
        return Ok(0);
    }
    let rows = serde_json::to_string(&rows).map_err(|e| sqlx::Error::Encode(e.into()))?;
    // `WHERE true` lets SQLite tell the upsert clause from a join condition.
    let sql = format!(
        "INSERT INTO deliveries (activity_id, inbox, host, created_at) \
         SELECT $1, x.value->>0, x.value->>1, $3 FROM {} WHERE true \
         ON CONFLICT (activity_id, inbox) DO NOTHING",
        Backend::of(tx).json_rows("$2")
    );
    let queued = sqlx::query(&sql)
        .bind(activity_id.to_string())
        .bind(rows)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected() as usize;
    Ok(queued)
}

/// Cancels the queued deliveries to a host name and its subdomains (any scheme and port, with
/// or without a final dot), for a domain block.
pub async fn cancel_host(tx: &mut Tx, host: &str) -> sqlx::Result<u64> {
    let mut done = 0;
    for pattern in super::moderation::host_patterns(host) {
        done += sqlx::query("DELETE FROM deliveries WHERE host LIKE $1")
            .bind(pattern)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    }
    Ok(done)
}

/// A delivery leased by a worker.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Row id.
    pub id: i64,
    /// The activity's IRI.
    pub activity_id: String,
    /// Where to POST.
    pub inbox: String,
    /// Host key.
    pub host: String,
    /// 'node' or a merchant id.
    pub signer: LocalActor,
    /// The activity JSON, shared by every delivery of the activity.
    pub body: std::sync::Arc<str>,
    /// Earlier attempts.
    pub attempts: i64,
}

/// A worker whose heartbeat is older than this is gone; its leases are free.
pub const HEARTBEAT_TIMEOUT_MS: i64 = 15_000;

/// Records that `worker` is alive at `real_now` (wall-clock milliseconds).
pub async fn heartbeat(db: &Db, worker: &str, real_now: i64) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO workers (id, heartbeat_at) VALUES ($1, $2) \
         ON CONFLICT (id) DO UPDATE SET heartbeat_at=$2",
    )
    .bind(worker.to_string())
    .bind(real_now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM workers WHERE heartbeat_at < $1")
        .bind(real_now - 10 * HEARTBEAT_TIMEOUT_MS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// SQL condition on a delivery (columns prefixed with `p`): free to lease when never leased,
/// its lease is over, or its worker is gone. `r` is the parameter holding the wall-clock now.
fn free(p: &str, r: &str) -> String {
    format!(
        "({p}locked_until IS NULL OR {p}locked_until < {r} OR {p}locked_by NOT IN \
         (SELECT id FROM workers WHERE heartbeat_at > {r} - {HEARTBEAT_TIMEOUT_MS}))"
    )
}

/// Leases up to `limit` deliveries: the oldest of each host that is neither leased, backing
/// off nor down. `now` is the scheduling clock (back-off); `real_now` the wall clock (leases).
pub async fn claim(
    db: &Db,
    worker: &str,
    now: i64,
    real_now: i64,
    lease_ms: i64,
    limit: i64,
) -> sqlx::Result<Vec<Claimed>> {
    if limit <= 0 {
        return Ok(vec![]);
    }
    let heads: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT d.id FROM deliveries d LEFT JOIN hosts h ON h.host = d.host \
         WHERE d.id IN (SELECT MIN(id) FROM deliveries GROUP BY host) \
           AND {} \
           AND (h.host IS NULL OR (h.next_attempt_at <= $1 AND h.down_since IS NULL)) \
         ORDER BY d.id LIMIT $2",
        free("d.", "$3")
    ))
    .bind(now)
    .bind(limit)
    .bind(real_now)
    .fetch_all(db.pool())
    .await?;
    if heads.is_empty() {
        return Ok(vec![]);
    }
    let mut tx = db.begin().await?;
    // The condition is re-checked on the row itself: of two processes racing for a delivery,
    // the second finds it leased once the first commits (PostgreSQL re-evaluates the WHERE).
    let mut sql = Sql::new(&format!(
        "UPDATE deliveries SET locked_by=$1, locked_until=$2 WHERE {} AND id IN (",
        free("", "$3")
    ));
    sql.arg(worker.to_string());
    sql.arg(real_now + lease_ms);
    sql.arg(real_now);
    sql.push_ids(&heads).push(") RETURNING id");
    let (text, args) = sql.build();
    let locked: Vec<i64> = sqlx::query_scalar_with(&text, args)
        .persistent(false)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    if locked.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new(
        "SELECT d.id, d.activity_id, d.inbox, d.host, d.attempts, o.signer FROM deliveries d \
         JOIN outgoing_activities o ON o.id = d.activity_id WHERE d.locked_by=",
    );
    sql.bind(worker.to_string())
        .push(" AND d.id IN (")
        .push_ids(&locked)
        .push(") ORDER BY d.id");
    let (text, args) = sql.build();
    let rows = sqlx::query_with(&text, args)
        .persistent(false)
        .fetch_all(db.pool())
        .await?;
    // A fan-out sends one body to many inboxes: read each body once.
    let mut bodies: std::collections::HashMap<String, std::sync::Arc<str>> =
        std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let activity_id: String = r.try_get("activity_id")?;
        let body = match bodies.get(&activity_id) {
            Some(b) => b.clone(),
            None => {
                let b: String =
                    sqlx::query_scalar("SELECT body FROM outgoing_activities WHERE id=$1")
                        .bind(activity_id.clone())
                        .fetch_one(db.pool())
                        .await?;
                let b: std::sync::Arc<str> = b.into();
                bodies.insert(activity_id.clone(), b.clone());
                b
            }
        };
        out.push(Claimed {
            id: r.try_get("id")?,
            activity_id,
            inbox: r.try_get("inbox")?,
            host: r.try_get("host")?,
            signer: {
                let key: String = r.try_get("signer")?;
                LocalActor::from_storage_key(&key)
                    .ok_or_else(|| sqlx::Error::Decode(format!("unknown signer {key:?}").into()))?
            },
            body,
            attempts: r.try_get("attempts")?,
        });
    }
    Ok(out)
}

/// Removes finished deliveries (sent, or refused for good) that `worker` still holds: a
/// delivery whose lease another worker took over is that worker's to finish.
pub async fn finish(tx: &mut Tx, ids: &[i64], worker: &str) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("DELETE FROM deliveries WHERE locked_by=");
    sql.bind(worker.to_string())
        .push(" AND id IN (")
        .push_ids(ids)
        .push(")");
    let (text, args) = sql.build();
    sqlx::query_with(&text, args)
        .persistent(false)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives a delivery `worker` holds back for a later attempt.
pub async fn release(tx: &mut Tx, id: i64, worker: &str, error: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE deliveries SET locked_by=NULL, locked_until=NULL, attempts=attempts+1, last_error=$3 \
         WHERE id=$1 AND locked_by=$2",
    )
    .bind(id)
    .bind(worker.to_string())
    .bind(error.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A host's delivery health.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostState {
    /// Consecutive failures.
    pub failures: i64,
    /// Start of the current run of failures.
    pub failing_since: Option<i64>,
    /// No attempt before this time.
    pub next_attempt_at: i64,
    /// Set once marked down.
    pub down_since: Option<i64>,
}

/// A host's state (default when never failing).
pub async fn host_state<'e>(
    ex: impl sqlx::Executor<'e, Database = sqlx::Any>,
    host: &str,
) -> sqlx::Result<HostState> {
    let row = sqlx::query(
        "SELECT failures, failing_since, next_attempt_at, down_since FROM hosts WHERE host=$1",
    )
    .bind(host.to_string())
    .fetch_optional(ex)
    .await?;
    Ok(match row {
        None => HostState::default(),
        Some(r) => HostState {
            failures: r.try_get("failures")?,
            failing_since: r.try_get("failing_since")?,
            next_attempt_at: r.try_get("next_attempt_at")?,
            down_since: r.try_get("down_since")?,
        },
    })
}

/// Stores a host's state.
pub async fn set_host_state(
    tx: &mut Tx,
    host: &str,
    s: &HostState,
    error: Option<&str>,
    success_at: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO hosts (host, failures, failing_since, next_attempt_at, down_since, last_success_at, last_error) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (host) DO UPDATE SET failures=$2, failing_since=$3, \
         next_attempt_at=$4, down_since=$5, last_success_at=COALESCE($6, hosts.last_success_at), last_error=$7",
    )
    .bind(host.to_string())
    .bind(s.failures)
    .bind(s.failing_since)
    .bind(s.next_attempt_at)
    .bind(s.down_since)
    .bind(success_at)
    .bind(error.map(str::to_string))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Hosts with failures on record (to know when a success must reset one).
pub async fn troubled_hosts(db: &Db) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT host FROM hosts WHERE failures > 0 OR down_since IS NOT NULL")
        .fetch_all(db.pool())
        .await
}

/// Down hosts due for a probe.
pub async fn hosts_to_probe(db: &Db, now: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT host FROM hosts WHERE down_since IS NOT NULL AND next_attempt_at <= $1",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await
}

/// Drops every queued delivery to a host (it is down); returns how many.
pub async fn drop_host(tx: &mut Tx, host: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM deliveries WHERE host=$1")
        .bind(host.to_string())
        .execute(&mut **tx)
        .await?
        .rows_affected())
}

/// Clears every lease: at start on SQLite, where this process is the only sender.
pub async fn release_all_leases(db: &Db) -> sqlx::Result<()> {
    if db.backend() == Backend::Sqlite {
        let mut tx = db.begin().await?;
        sqlx::query(
            "UPDATE deliveries SET locked_by=NULL, locked_until=NULL WHERE locked_by IS NOT NULL",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Deletes rendered activities no delivery needs any more.
pub async fn collect_garbage(db: &Db) -> sqlx::Result<u64> {
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "DELETE FROM outgoing_activities WHERE NOT EXISTS \
         (SELECT 1 FROM deliveries d WHERE d.activity_id = outgoing_activities.id)",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(n)
}

/// Deliveries waiting, in total.
pub async fn pending(db: &Db) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
        .fetch_one(db.pool())
        .await
}
