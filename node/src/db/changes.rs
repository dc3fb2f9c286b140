//! The open data's change feed: local products and shops by the counter their last visible
//! change took (kept by triggers, see `migrations/*/0008_change_feed.sql`).

use sqlx::Row;
use uuid::Uuid;

/// A row of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `product` or `merchant`.
    pub kind: &'static str,
    /// The row's id.
    pub id: Uuid,
    /// Its counter.
    pub seq: i64,
}

/// The lowest change number a running transaction may still commit (PostgreSQL: see
/// `migrations/postgres/0009_harvest.sql`), if any transaction holds one.
async fn horizon(conn: &mut sqlx::AnyConnection) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT MIN(((l.classid::bigint << 32) | l.objid::bigint) - etal_claim_key(0)) FROM pg_locks l \
         WHERE l.locktype = 'advisory' AND l.objsubid = 1 \
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND ((l.classid::bigint << 32) | l.objid::bigint) >= etal_claim_key(0) \
         AND ((l.classid::bigint << 32) | l.objid::bigint) < etal_claim_key(0) + 1099511627776",
    )
    .fetch_one(&mut *conn)
    .await
}

/// Rows changed after `(seq, id)`, in order, at most `limit`; on PostgreSQL, only below the
/// numbers transactions still running may commit.
pub async fn after(
    db: &super::Db,
    seq: i64,
    id: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<Change>> {
    let id = id.map_or_else(String::new, |i| i.to_string());
    let mut conn = db.pool().acquire().await?;
    let below = match db.backend() {
        super::Backend::Postgres => horizon(&mut conn).await?.unwrap_or(i64::MAX),
        super::Backend::Sqlite => i64::MAX,
    };
    let rows = sqlx::query(
        "SELECT kind, id, change_seq FROM ( \
           SELECT 'product' AS kind, id, change_seq FROM products \
             WHERE local=1 AND (change_seq > $1 OR (change_seq = $1 AND id > $2)) AND change_seq < $4 \
           UNION ALL \
           SELECT 'merchant' AS kind, id, change_seq FROM merchants \
             WHERE local=1 AND (change_seq > $1 OR (change_seq = $1 AND id > $2)) AND change_seq < $4 \
         ) AS c ORDER BY change_seq, id LIMIT $3",
    )
    .bind(seq)
    .bind(id)
    .bind(limit)
    .bind(below)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(Change {
                kind: if kind == "merchant" {
                    "merchant"
                } else {
                    "product"
                },
                id: Uuid::parse_str(&r.try_get::<String, _>("id")?)
                    .map_err(|e| sqlx::Error::Decode(e.into()))?,
                seq: r.try_get("change_seq")?,
            })
        })
        .collect()
}

/// The feed's last change today (what a caught-up harvester's cursor is): `None` when nothing
/// changed yet. On PostgreSQL, below the numbers transactions still running may commit.
pub async fn head(db: &super::Db) -> sqlx::Result<Option<(i64, Uuid)>> {
    let mut conn = db.pool().acquire().await?;
    let below = match db.backend() {
        super::Backend::Postgres => horizon(&mut conn).await?.unwrap_or(i64::MAX),
        super::Backend::Sqlite => i64::MAX,
    };
    let row = sqlx::query(
        "SELECT change_seq, id FROM ( \
           SELECT change_seq, id FROM products WHERE local=1 AND change_seq < $1 \
             ORDER BY change_seq DESC, id DESC LIMIT 1 \
         ) AS p UNION ALL SELECT change_seq, id FROM ( \
           SELECT change_seq, id FROM merchants WHERE local=1 AND change_seq < $1 \
             ORDER BY change_seq DESC, id DESC LIMIT 1 \
         ) AS m ORDER BY change_seq DESC, id DESC LIMIT 1",
    )
    .bind(below)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("change_seq")?,
            Uuid::parse_str(&r.try_get::<String, _>("id")?)
                .map_err(|e| sqlx::Error::Decode(e.into()))?,
        ))
    })
    .transpose()
}

/// The highest change number given so far: a cursor beyond it was never given by this feed
/// (a node restored from an older backup).
pub async fn highest(db: &super::Db) -> sqlx::Result<i64> {
    let sql = match db.backend() {
        super::Backend::Sqlite => "SELECT n FROM change_counter WHERE id = 1",
        super::Backend::Postgres => {
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM open_data_changes"
        }
    };
    sqlx::query_scalar(sql).fetch_one(db.pool()).await
}
