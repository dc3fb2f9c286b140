//! Reservations (click & collect): shops' settings, reservations and their lines, the notices
//! each step sends, and the contacts a shop blocked.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use uuid::Uuid;

use super::{column, Conn, DbResult, Lock, Tx};
use crate::model::reservation::{
    Customer, Line, Notice, Reservation, ReservationSettings, Status, Step,
};

/// A shop's settings, if its owner ever saved them; `lock` takes the row (PostgreSQL), which
/// makes one shop's reservations wait for each other.
pub async fn settings<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
    lock: Lock,
) -> DbResult<Option<ReservationSettings>> {
    let lock = match lock {
        Lock::None => "",
        Lock::Row => " FOR UPDATE",
    };
    let sql = format!(
        "SELECT enabled, preparation_minutes, slot_minutes, slot_capacity, grace_minutes, \
         excluded_products FROM reservation_settings WHERE merchant_id=$1{lock}"
    );
    sqlx::query(&sql)
        .bind(merchant.to_string())
        .fetch_optional(ex)
        .await?
        .map(|r| {
            Ok(ReservationSettings {
                enabled: column::flag(&r, "enabled")?,
                preparation_minutes: r.try_get("preparation_minutes")?,
                slot_minutes: r.try_get("slot_minutes")?,
                slot_capacity: r.try_get("slot_capacity")?,
                grace_minutes: r.try_get("grace_minutes")?,
                excluded_products: column::texts(&r, "excluded_products")?
                    .iter()
                    .filter_map(|s| Uuid::parse_str(s).ok())
                    .collect(),
            })
        })
        .transpose()
}

/// Writes a shop's settings.
pub async fn save_settings(
    tx: &mut Tx,
    merchant: Uuid,
    s: &ReservationSettings,
    now: i64,
) -> DbResult<()> {
    let excluded: Vec<String> = s.excluded_products.iter().map(Uuid::to_string).collect();
    sqlx::query(
        "INSERT INTO reservation_settings (merchant_id, enabled, preparation_minutes, \
         slot_minutes, slot_capacity, grace_minutes, excluded_products, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (merchant_id) DO UPDATE SET \
         enabled=$2, preparation_minutes=$3, slot_minutes=$4, slot_capacity=$5, \
         grace_minutes=$6, excluded_products=$7, updated_at=$8",
    )
    .bind(merchant.to_string())
    .bind(i64::from(s.enabled))
    .bind(s.preparation_minutes)
    .bind(s.slot_minutes)
    .bind(s.slot_capacity)
    .bind(s.grace_minutes)
    .bind(serde_json::to_string(&excluded).unwrap_or_else(|_| "[]".into()))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The next short number of a shop's reservations (call with the shop's settings locked).
pub async fn next_number(tx: &mut Tx, merchant: Uuid) -> DbResult<i64> {
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM reservations WHERE merchant_id=$1")
        .bind(merchant.to_string())
        .fetch_one(&mut **tx)
        .await
}

/// Reservations of a shop holding a place in the slot starting at `start`.
pub async fn taken_in_slot(tx: &mut Tx, merchant: Uuid, start: i64) -> DbResult<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM reservations WHERE merchant_id=$1 AND pickup_start=$2 \
         AND status IN ('requested', 'accepted', 'ready')",
    )
    .bind(merchant.to_string())
    .bind(start)
    .fetch_one(&mut **tx)
    .await
}

/// Places taken in each slot of a shop starting between `from` and `until`.
pub async fn taken_between<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
    from: i64,
    until: i64,
) -> DbResult<Vec<(i64, i64)>> {
    sqlx::query_as(
        "SELECT pickup_start, COUNT(*) FROM reservations WHERE merchant_id=$1 \
         AND pickup_start >= $2 AND pickup_start < $3 \
         AND status IN ('requested', 'accepted', 'ready') GROUP BY pickup_start",
    )
    .bind(merchant.to_string())
    .bind(from)
    .bind(until)
    .fetch_all(ex)
    .await
}

/// Open reservations of a contact, all shops together.
pub async fn open_of_contact(tx: &mut Tx, contact_key: &str) -> DbResult<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM reservations WHERE contact_key=$1 \
         AND status IN ('requested', 'accepted', 'ready')",
    )
    .bind(contact_key)
    .fetch_one(&mut **tx)
    .await
}

/// Whether a shop blocked a contact.
pub async fn blocked(tx: &mut Tx, merchant: Uuid, contact_key: &str) -> DbResult<bool> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM reservation_blocks WHERE merchant_id=$1 AND contact_key=$2",
    )
    .bind(merchant.to_string())
    .bind(contact_key)
    .fetch_one(&mut **tx)
    .await?
        > 0)
}

/// Blocks a contact at a shop.
pub async fn block(tx: &mut Tx, merchant: Uuid, contact_key: &str, now: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO reservation_blocks (merchant_id, contact_key, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (merchant_id, contact_key) DO NOTHING",
    )
    .bind(merchant.to_string())
    .bind(contact_key)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores a new reservation with its lines; `contact_key` is what limits and blocks match.
pub async fn insert(tx: &mut Tx, r: &Reservation, contact_key: &str) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO reservations (id, seq, merchant_id, status, pickup_start, pickup_end, \
         customer_name, customer_email, customer_phone, customer_actor, offer_id, contact_key, \
         note, message, lang, currency, total_minor, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)",
    )
    .bind(r.id.clone())
    .bind(r.number)
    .bind(r.merchant_id.to_string())
    .bind(r.status.as_str())
    .bind(r.pickup_start)
    .bind(r.pickup_end)
    .bind(r.customer.name.clone())
    .bind(r.customer.email.clone())
    .bind(r.customer.phone.clone())
    .bind(r.customer.actor.clone())
    .bind(r.offer_id.clone())
    .bind(contact_key.to_string())
    .bind(r.note.clone())
    .bind(r.message.clone())
    .bind(r.lang.clone())
    .bind(r.currency.clone())
    .bind(r.total_minor())
    .bind(r.created_at)
    .execute(&mut **tx)
    .await?;
    for (i, l) in r.lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO reservation_lines (reservation_id, position, product_id, name, unit, \
             unit_price_minor, quantity, accepted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(r.id.clone())
        .bind(i as i64)
        .bind(l.product_id.to_string())
        .bind(l.name.clone())
        .bind(l.unit.clone())
        .bind(l.unit_price_minor)
        .bind(l.quantity)
        .bind(l.accepted)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

const COLUMNS: &str = "id, seq, merchant_id, status, pickup_start, pickup_end, customer_name, \
     customer_email, customer_phone, customer_actor, offer_id, note, message, lang, currency, \
     created_at, updated_at, ended_at, purged_at";

fn from_row(r: &AnyRow) -> DbResult<Reservation> {
    let status: String = r.try_get("status")?;
    Ok(Reservation {
        id: r.try_get("id")?,
        number: r.try_get("seq")?,
        merchant_id: column::id(r, "merchant_id")?,
        status: Status::parse(&status)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown status {status:?}").into()))?,
        pickup_start: r.try_get("pickup_start")?,
        pickup_end: r.try_get("pickup_end")?,
        customer: Customer {
            name: r.try_get("customer_name")?,
            email: r.try_get("customer_email")?,
            phone: r.try_get("customer_phone")?,
            actor: r.try_get("customer_actor")?,
        },
        offer_id: r.try_get("offer_id")?,
        note: r.try_get("note")?,
        message: r.try_get("message")?,
        lang: r.try_get("lang")?,
        currency: r.try_get("currency")?,
        lines: Vec::new(),
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        ended_at: r.try_get("ended_at")?,
        purged_at: r.try_get("purged_at")?,
    })
}

async fn lines_of(conn: &mut Conn, ids: &[String]) -> DbResult<Vec<(String, Line)>> {
    let mut out = Vec::new();
    for id in ids {
        let rows = sqlx::query(
            "SELECT product_id, name, unit, unit_price_minor, quantity, accepted \
             FROM reservation_lines WHERE reservation_id=$1 ORDER BY position",
        )
        .bind(id.clone())
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            out.push((
                id.clone(),
                Line {
                    product_id: column::id(&r, "product_id")?,
                    name: r.try_get("name")?,
                    unit: r.try_get("unit")?,
                    unit_price_minor: r.try_get("unit_price_minor")?,
                    quantity: r.try_get("quantity")?,
                    accepted: r.try_get("accepted")?,
                },
            ));
        }
    }
    Ok(out)
}

async fn with_lines(conn: &mut Conn, mut list: Vec<Reservation>) -> DbResult<Vec<Reservation>> {
    let ids: Vec<String> = list.iter().map(|r| r.id.clone()).collect();
    let lines = lines_of(conn, &ids).await?;
    for (id, line) in lines {
        if let Some(r) = list.iter_mut().find(|r| r.id == id) {
            r.lines.push(line);
        }
    }
    Ok(list)
}

/// A reservation with its lines; `lock` takes its row until the transaction ends.
pub async fn by_id(conn: &mut Conn, id: &str, lock: Lock) -> DbResult<Option<Reservation>> {
    let lock = match lock {
        Lock::None => "",
        Lock::Row => " FOR UPDATE",
    };
    let sql = format!("SELECT {COLUMNS} FROM reservations WHERE id=$1{lock}");
    let Some(row) = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(with_lines(conn, vec![from_row(&row)?]).await?.pop())
}

/// A shop's reservations, newest first, with one status or all, at most `limit`.
pub async fn of_shop(
    conn: &mut Conn,
    merchant: Uuid,
    status: Option<Status>,
    limit: i64,
) -> DbResult<Vec<Reservation>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM reservations WHERE merchant_id=$1 AND ($2 = '' OR status = $2) \
         ORDER BY created_at DESC, seq DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(merchant.to_string())
        .bind(status.map(Status::as_str).unwrap_or_default())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let list = rows.iter().map(from_row).collect::<DbResult<Vec<_>>>()?;
    with_lines(conn, list).await
}

/// New (requested) reservations of each of `merchants`.
pub async fn requested_count<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchants: &[Uuid],
) -> DbResult<i64> {
    if merchants.is_empty() {
        return Ok(0);
    }
    let mut sql = super::Sql::new(
        "SELECT COUNT(*) FROM reservations WHERE status = 'requested' AND merchant_id IN (",
    );
    for (i, m) in merchants.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(m.to_string());
    }
    sql.push(")");
    let (text, args) = sql.build();
    sqlx::query_scalar_with(&text, args).fetch_one(ex).await
}

/// Writes a reservation's new status, message, accepted quantities and end.
pub async fn save_step(tx: &mut Tx, r: &Reservation, now: i64) -> DbResult<()> {
    sqlx::query(
        "UPDATE reservations SET status=$2, message=$3, total_minor=$4, updated_at=$5, ended_at=$6 \
         WHERE id=$1",
    )
    .bind(r.id.clone())
    .bind(r.status.as_str())
    .bind(r.message.clone())
    .bind(r.total_minor())
    .bind(now)
    .bind(r.ended_at)
    .execute(&mut **tx)
    .await?;
    for (i, l) in r.lines.iter().enumerate() {
        sqlx::query(
            "UPDATE reservation_lines SET accepted=$3 WHERE reservation_id=$1 AND position=$2",
        )
        .bind(r.id.clone())
        .bind(i as i64)
        .bind(l.accepted)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Open reservations whose slot ended before `before` (ms) plus their shop's grace.
pub async fn overdue(conn: &mut Conn, now: i64, limit: i64) -> DbResult<Vec<String>> {
    sqlx::query_scalar(
        "SELECT r.id FROM reservations r \
         LEFT JOIN reservation_settings s ON s.merchant_id = r.merchant_id \
         WHERE r.status IN ('requested', 'accepted', 'ready') \
         AND r.pickup_end + COALESCE(s.grace_minutes, 60) * 60000 < $1 \
         ORDER BY r.pickup_end LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}

/// Erases the customer's details of reservations that ended before `before`.
pub async fn purge(tx: &mut Tx, before: i64, now: i64) -> DbResult<u64> {
    let done = sqlx::query(
        "UPDATE reservations SET customer_name=NULL, customer_email=NULL, customer_phone=NULL, \
         customer_actor=NULL, offer_id=NULL, note=NULL, contact_key='', purged_at=$2 \
         WHERE ended_at IS NOT NULL AND ended_at < $1 AND purged_at IS NULL",
    )
    .bind(before)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Queues a notice of a step.
pub async fn notice(tx: &mut Tx, reservation: &str, step: Step, now: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO reservation_notices (reservation_id, step, created_at, next_try_at) \
         VALUES ($1, $2, $3, $3)",
    )
    .bind(reservation.to_string())
    .bind(step.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Notices due, oldest first.
pub async fn due_notices<'e>(
    ex: impl Executor<'e, Database = Any>,
    now: i64,
    limit: i64,
) -> DbResult<Vec<Notice>> {
    let rows = sqlx::query(
        "SELECT seq, reservation_id, step, attempts FROM reservation_notices \
         WHERE done_at IS NULL AND next_try_at <= $1 ORDER BY seq LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            let step: String = r.try_get("step")?;
            Ok(Notice {
                seq: r.try_get("seq")?,
                reservation_id: r.try_get("reservation_id")?,
                step: Step::parse(&step)
                    .ok_or_else(|| sqlx::Error::Decode(format!("unknown step {step:?}").into()))?,
                attempts: r.try_get("attempts")?,
            })
        })
        .collect()
}

/// Takes a notice for sending: false when another process took it first. Taken notices are
/// due again at `retry_at` unless marked done.
pub async fn take_notice<'e>(
    ex: impl Executor<'e, Database = Any>,
    seq: i64,
    now: i64,
    retry_at: i64,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE reservation_notices SET next_try_at=$3, attempts=attempts+1 \
         WHERE seq=$1 AND done_at IS NULL AND next_try_at <= $2",
    )
    .bind(seq)
    .bind(now)
    .bind(retry_at)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a notice sent (or given up).
pub async fn notice_done<'e>(
    ex: impl Executor<'e, Database = Any>,
    seq: i64,
    now: i64,
) -> DbResult<()> {
    sqlx::query("UPDATE reservation_notices SET done_at=$2 WHERE seq=$1")
        .bind(seq)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(())
}
