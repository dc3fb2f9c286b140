//! Self sign-up requests, waiting for the admin.

use sqlx::{Any, Executor, Row};
use uuid::Uuid;

use super::Tx;

/// A request as the admin sees it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Its id.
    pub id: Uuid,
    /// The person.
    pub user_id: Uuid,
    /// Their e-mail address.
    pub email: String,
    /// The shop they want.
    pub shop_name: String,
    /// Its postal code.
    pub postal_code: String,
    /// Its town.
    pub city: String,
    /// What they wrote.
    pub message: Option<String>,
    /// When (ms).
    pub created_at: i64,
    /// Whether the person confirmed the request from the mailed link.
    pub confirmed: bool,
}

/// Records a request, not confirmed yet. A request of the same person that was not confirmed
/// is replaced (its link dies with the new one: see `accounts::insert_link`).
pub async fn insert(
    tx: &mut Tx,
    user: Uuid,
    shop_name: &str,
    postal_code: &str,
    city: &str,
    message: Option<&str>,
    now: i64,
) -> sqlx::Result<Uuid> {
    sqlx::query(
        "DELETE FROM signup_requests WHERE user_id=$1 AND confirmed_at IS NULL AND decided_at IS NULL",
    )
    .bind(user.to_string())
    .execute(&mut **tx)
    .await?;
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO signup_requests (id, user_id, shop_name, postal_code, city, message, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
    )
    .bind(id.to_string())
    .bind(user.to_string())
    .bind(shop_name.to_string())
    .bind(postal_code.to_string())
    .bind(city.to_string())
    .bind(message.map(str::to_string))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

fn from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<Request> {
    let uuid = |s: String| Uuid::parse_str(&s).map_err(|e| sqlx::Error::Decode(e.into()));
    Ok(Request {
        id: uuid(r.try_get("id")?)?,
        user_id: uuid(r.try_get("user_id")?)?,
        email: r.try_get("email")?,
        shop_name: r.try_get("shop_name")?,
        postal_code: r.try_get("postal_code")?,
        city: r.try_get("city")?,
        message: r.try_get("message")?,
        created_at: r.try_get("created_at")?,
        confirmed: r.try_get::<Option<i64>, _>("confirmed_at")?.is_some(),
    })
}

const COLUMNS: &str =
    "s.id, s.user_id, u.email, s.shop_name, s.postal_code, s.city, s.message, s.created_at, \
    s.confirmed_at";

/// The person's request waiting for its confirmation, if any.
pub async fn unconfirmed_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    user: Uuid,
) -> sqlx::Result<Option<Request>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM signup_requests s JOIN users u ON u.id = s.user_id \
         WHERE s.user_id=$1 AND s.confirmed_at IS NULL AND s.decided_at IS NULL"
    ))
    .bind(user.to_string())
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Confirms the person's waiting request, with the shop's details as they confirmed them;
/// false if there was none.
pub async fn confirm(
    tx: &mut Tx,
    user: Uuid,
    shop_name: &str,
    postal_code: &str,
    city: &str,
    now: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE signup_requests SET confirmed_at=$1, shop_name=$2, postal_code=$3, city=$4 \
         WHERE user_id=$5 AND confirmed_at IS NULL AND decided_at IS NULL",
    )
    .bind(now)
    .bind(shop_name.to_string())
    .bind(postal_code.to_string())
    .bind(city.to_string())
    .bind(user.to_string())
    .execute(&mut **tx)
    .await?
    .rows_affected()
        > 0)
}

/// The requests waiting, oldest first.
pub async fn pending<'e>(ex: impl Executor<'e, Database = Any>) -> sqlx::Result<Vec<Request>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM signup_requests s JOIN users u ON u.id = s.user_id \
         WHERE s.decided_at IS NULL ORDER BY s.created_at"
    ))
    .fetch_all(ex)
    .await?;
    rows.iter().map(from_row).collect()
}

/// A waiting request, locked for its decision.
pub async fn pending_one(tx: &mut Tx, id: Uuid) -> sqlx::Result<Option<Request>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM signup_requests s JOIN users u ON u.id = s.user_id \
         WHERE s.id=$1 AND s.decided_at IS NULL"
    ))
    .bind(id.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Whether this person has a request waiting.
pub async fn waiting_for<'e>(
    ex: impl Executor<'e, Database = Any>,
    user: Uuid,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM signup_requests WHERE user_id=$1 AND decided_at IS NULL",
    )
    .bind(user.to_string())
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

/// Records the decision.
pub async fn decide(
    tx: &mut Tx,
    id: Uuid,
    decision: &str,
    merchant: Option<Uuid>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE signup_requests SET decided_at=$1, decision=$2, merchant_id=$3 WHERE id=$4",
    )
    .bind(now)
    .bind(decision.to_string())
    .bind(merchant.map(|m| m.to_string()))
    .bind(id.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
