//! The open data's change feed: local products and shops by the counter their last visible
//! change took (kept by triggers, see `migrations/*/0008_change_feed.sql`).

use sqlx::{Any, Executor, Row};
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

/// Rows changed after `(seq, id)`, in order, at most `limit`.
pub async fn after<'e>(
    ex: impl Executor<'e, Database = Any>,
    seq: i64,
    id: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<Change>> {
    let id = id.map_or_else(String::new, |i| i.to_string());
    let rows = sqlx::query(
        "SELECT kind, id, change_seq FROM ( \
           SELECT 'product' AS kind, id, change_seq FROM products \
             WHERE local=1 AND (change_seq > $1 OR (change_seq = $1 AND id > $2)) \
           UNION ALL \
           SELECT 'merchant' AS kind, id, change_seq FROM merchants \
             WHERE local=1 AND (change_seq > $1 OR (change_seq = $1 AND id > $2)) \
         ) AS c ORDER BY change_seq, id LIMIT $3",
    )
    .bind(seq)
    .bind(id)
    .bind(limit)
    .fetch_all(ex)
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
