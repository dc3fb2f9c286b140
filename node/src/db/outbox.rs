//! The transactional outbox: each write others must hear about records an event in the same
//! transaction, so the federation layer can deliver every one of them, even after a crash.

use uuid::Uuid;

use super::Tx;
pub use crate::model::outbox::{Event, Kind, Verb};

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use super::Backend;

/// Records an event; returns the id that will mint the activity's IRI.
pub async fn record(
    tx: &mut Tx,
    now: i64,
    verb: Verb,
    kind: Kind,
    object_id: Uuid,
    merchant_id: Uuid,
) -> sqlx::Result<Uuid> {
    let activity_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO outbox_events (activity_id, verb, object_kind, object_id, merchant_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(activity_id.to_string())
    .bind(verb.as_str())
    .bind(kind.as_str())
    .bind(object_id.to_string())
    .bind(merchant_id.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(activity_id)
}

const COLUMNS: &str = "seq, activity_id, verb, object_kind, object_id, merchant_id, created_at";

fn from_row(r: &AnyRow) -> sqlx::Result<Event> {
    let uuid = |s: String| Uuid::parse_str(&s).map_err(|e| sqlx::Error::Decode(e.into()));
    let bad = |what: &str, v: &str| sqlx::Error::Decode(format!("unknown {what} {v:?}").into());
    let verb: String = r.try_get("verb")?;
    let kind: String = r.try_get("object_kind")?;
    Ok(Event {
        seq: r.try_get("seq")?,
        activity_id: uuid(r.try_get("activity_id")?)?,
        verb: Verb::parse(&verb).ok_or_else(|| bad("verb", &verb))?,
        kind: Kind::parse(&kind).ok_or_else(|| bad("kind", &kind))?,
        object_id: uuid(r.try_get("object_id")?)?,
        merchant_id: uuid(r.try_get("merchant_id")?)?,
        created_at: r.try_get("created_at")?,
    })
}

/// The oldest events not yet fanned out, at most `limit`.
pub async fn pending<'e>(
    ex: impl Executor<'e, Database = Any>,
    limit: i64,
) -> sqlx::Result<Vec<Event>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM outbox_events WHERE processed_at IS NULL ORDER BY seq LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(ex)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Makes the fan-outs of several processes on one PostgreSQL take turns, until `tx` ends
/// (SQLite has one writer anyway).
pub async fn lock_fanout(tx: &mut Tx, backend: Backend) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7310455)")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Marks an event fanned out.
pub async fn mark_processed(tx: &mut Tx, seq: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox_events SET processed_at=$2 WHERE seq=$1")
        .bind(seq)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks every pending event fanned out (a node without followers sends them to nobody).
pub async fn mark_all_processed(tx: &mut Tx, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox_events SET processed_at=$1 WHERE processed_at IS NULL")
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks every pending event about `object` after `seq` fanned out (they will not be sent).
pub async fn mark_later_processed(
    tx: &mut Tx,
    object: Uuid,
    seq: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox_events SET processed_at=$3 WHERE object_id=$1 AND seq > $2 AND processed_at IS NULL",
    )
    .bind(object.to_string())
    .bind(seq)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A page of events, newest first, below `before`: a merchant's product events, or every
/// event of the node. One more than `limit` is returned when there are more.
pub async fn page<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Option<Uuid>,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Event>> {
    let filter = if merchant.is_some() {
        "merchant_id=$1 AND object_kind='product'"
    } else {
        "$1 = $1"
    };
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM outbox_events WHERE {filter} AND seq < $2 ORDER BY seq DESC LIMIT $3"
    ))
    .bind(merchant.map_or_else(String::new, |m| m.to_string()))
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit + 1)
    .fetch_all(ex)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// How many events a merchant's outbox (its product events) or the node's holds.
pub async fn count<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Option<Uuid>,
) -> sqlx::Result<i64> {
    match merchant {
        Some(m) => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox_events WHERE merchant_id=$1 AND object_kind='product'",
            )
            .bind(m.to_string())
            .fetch_one(ex)
            .await
        }
        None => {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox_events")
                .fetch_one(ex)
                .await
        }
    }
}

/// The event whose activity is `activity_id`.
pub async fn by_activity_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    activity_id: Uuid,
) -> sqlx::Result<Option<Event>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM outbox_events WHERE activity_id=$1"
    ))
    .bind(activity_id.to_string())
    .fetch_optional(ex)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Records one event per object in one statement (a spreadsheet import).
pub async fn record_many(
    tx: &mut Tx,
    now: i64,
    verb: Verb,
    kind: Kind,
    objects: &[(Uuid, Uuid)],
) -> sqlx::Result<()> {
    if objects.is_empty() {
        return Ok(());
    }
    let rows: Vec<[String; 3]> = objects
        .iter()
        .map(|(object, merchant)| {
            [
                Uuid::now_v7().to_string(),
                object.to_string(),
                merchant.to_string(),
            ]
        })
        .collect();
    let rows = serde_json::to_string(&rows).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let sql = format!(
        "INSERT INTO outbox_events (activity_id, verb, object_kind, object_id, merchant_id, created_at) \
         SELECT x.value->>0, $2, $3, x.value->>1, x.value->>2, $4 FROM {}",
        super::Backend::of(tx).json_rows("$1")
    );
    sqlx::query(&sql)
        .bind(rows)
        .bind(verb.as_str())
        .bind(kind.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
