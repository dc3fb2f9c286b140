//! Town vouchers: campaigns, their shops and entitled addresses, requests waiting for their
//! e-mail confirmation, vouchers, redemptions and reimbursements.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use uuid::Uuid;

use super::{column, DbResult, Tx};
use crate::model::voucher::{Campaign, Eligibility, Redemption, ShopState, Voucher};

/// A list of columns, each prefixed with a table's alias (`r.id, r.voucher_id…`).
pub(super) fn qualified(columns: &str, alias: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

const CAMPAIGN: &str = "id, name, face_minor, price_minor, currency, quantity, issue_from, \
     issue_until, valid_until, eligibility, postal_codes, created_at";

fn campaign_row(r: &AnyRow) -> DbResult<Campaign> {
    let kind: String = r.try_get("eligibility")?;
    let eligibility = match kind.as_str() {
        "anyone" => Eligibility::Anyone,
        "one_per_email" => Eligibility::OnePerEmail,
        "postal_codes" => Eligibility::PostalCodes(column::texts(r, "postal_codes")?),
        _ => Eligibility::List,
    };
    Ok(Campaign {
        id: column::id(r, "id")?,
        name: r.try_get("name")?,
        face_minor: r.try_get("face_minor")?,
        price_minor: r.try_get("price_minor")?,
        currency: r.try_get("currency")?,
        quantity: r.try_get("quantity")?,
        issue_from: r.try_get("issue_from")?,
        issue_until: r.try_get("issue_until")?,
        valid_until: r.try_get("valid_until")?,
        eligibility,
        created_at: r.try_get("created_at")?,
    })
}

/// Stores a campaign.
pub async fn insert_campaign(tx: &mut Tx, c: &Campaign) -> DbResult<()> {
    let codes = match &c.eligibility {
        Eligibility::PostalCodes(list) => serde_json::to_string(list).unwrap_or_default(),
        _ => "[]".into(),
    };
    sqlx::query(
        "INSERT INTO voucher_campaigns (id, name, face_minor, price_minor, currency, quantity, \
         issue_from, issue_until, valid_until, eligibility, postal_codes, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(c.id.to_string())
    .bind(c.name.clone())
    .bind(c.face_minor)
    .bind(c.price_minor)
    .bind(c.currency.clone())
    .bind(c.quantity)
    .bind(c.issue_from)
    .bind(c.issue_until)
    .bind(c.valid_until)
    .bind(c.eligibility.as_str())
    .bind(codes)
    .bind(c.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A campaign by id.
pub async fn campaign<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: Uuid,
) -> DbResult<Option<Campaign>> {
    let sql = format!("SELECT {CAMPAIGN} FROM voucher_campaigns WHERE id=$1");
    sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(campaign_row)
        .transpose()
}

/// Takes a campaign's row until the transaction ends (PostgreSQL; SQLite's writer already
/// excludes the others): issuing counts its vouchers, then adds one.
pub async fn lock_campaign(tx: &mut Tx, id: Uuid, lock: super::Lock) -> DbResult<()> {
    if lock == super::Lock::Row {
        sqlx::query("SELECT id FROM voucher_campaigns WHERE id=$1 FOR UPDATE")
            .bind(id.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Every campaign, newest first.
pub async fn campaigns<'e>(ex: impl Executor<'e, Database = Any>) -> DbResult<Vec<Campaign>> {
    let sql = format!("SELECT {CAMPAIGN} FROM voucher_campaigns ORDER BY created_at DESC");
    sqlx::query(&sql)
        .fetch_all(ex)
        .await?
        .iter()
        .map(campaign_row)
        .collect()
}

/// A campaign's figures: vouchers issued and their value, spent (redemptions not cancelled),
/// the balance left on vouchers (all cents), and every voucher made (those waiting for their
/// payment too: the budget's count).
pub async fn figures<'e>(
    ex: impl Executor<'e, Database = Any>,
    campaign: Uuid,
) -> DbResult<(i64, i64, i64, i64, i64)> {
    let row = sqlx::query(
        "SELECT \
           (SELECT COUNT(*) FROM vouchers WHERE campaign_id=$1) AS made, \
           (SELECT COUNT(*) FROM vouchers WHERE campaign_id=$1 AND state='issued') AS issued, \
           (SELECT CAST(COALESCE(SUM(face_minor), 0) AS BIGINT) FROM vouchers WHERE campaign_id=$1 AND state='issued') AS value, \
           (SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM voucher_redemptions WHERE campaign_id=$1 AND cancelled_at IS NULL) AS spent, \
           (SELECT CAST(COALESCE(SUM(balance_minor), 0) AS BIGINT) FROM vouchers WHERE campaign_id=$1 AND state='issued') AS left_over",
    )
    .bind(campaign.to_string())
    .fetch_one(ex)
    .await?;
    Ok((
        row.try_get("issued")?,
        row.try_get("value")?,
        row.try_get("spent")?,
        row.try_get("left_over")?,
        row.try_get("made")?,
    ))
}

/// Sets where a shop stands in a campaign.
pub async fn set_shop(
    tx: &mut Tx,
    campaign: Uuid,
    merchant: Uuid,
    state: ShopState,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO voucher_campaign_shops (campaign_id, merchant_id, state, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (campaign_id, merchant_id) DO UPDATE SET state=$3, updated_at=$4",
    )
    .bind(campaign.to_string())
    .bind(merchant.to_string())
    .bind(state.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Where a shop stands in a campaign, if it was invited.
pub async fn shop_state<'e>(
    ex: impl Executor<'e, Database = Any>,
    campaign: Uuid,
    merchant: Uuid,
) -> DbResult<Option<ShopState>> {
    let s: Option<String> = sqlx::query_scalar(
        "SELECT state FROM voucher_campaign_shops WHERE campaign_id=$1 AND merchant_id=$2",
    )
    .bind(campaign.to_string())
    .bind(merchant.to_string())
    .fetch_optional(ex)
    .await?;
    Ok(s.as_deref().and_then(ShopState::parse))
}

/// A campaign's shops: id, slug, name, SIRET, state.
pub async fn shops_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    campaign: Uuid,
) -> DbResult<Vec<(Uuid, String, String, Option<String>, ShopState)>> {
    let rows = sqlx::query(
        "SELECT m.id, m.slug, m.name, m.siret, s.state FROM voucher_campaign_shops s \
         JOIN merchants m ON m.id = s.merchant_id WHERE s.campaign_id=$1 AND m.deleted_at IS NULL \
         ORDER BY m.name",
    )
    .bind(campaign.to_string())
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            let state: String = r.try_get("state")?;
            Ok((
                column::id(r, "id")?,
                r.try_get("slug")?,
                r.try_get("name")?,
                r.try_get("siret")?,
                ShopState::parse(&state).unwrap_or(ShopState::Left),
            ))
        })
        .collect()
}

/// The campaigns a shop was invited to, with where it stands.
pub async fn campaigns_of_shop<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
) -> DbResult<Vec<(Campaign, ShopState)>> {
    let sql = format!(
        "SELECT {}, s.state FROM voucher_campaigns c JOIN voucher_campaign_shops s ON s.campaign_id = c.id \
         WHERE s.merchant_id=$1 ORDER BY c.created_at DESC",
        qualified(CAMPAIGN, "c")
    );
    let rows = sqlx::query(&sql)
        .bind(merchant.to_string())
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|r| {
            let state: String = r.try_get("state")?;
            Ok((
                campaign_row(r)?,
                ShopState::parse(&state).unwrap_or(ShopState::Left),
            ))
        })
        .collect()
}

/// Adds entitled addresses (already folded), bound as one JSON array; returns how many were
/// new.
pub async fn add_entitled(tx: &mut Tx, campaign: Uuid, emails: &[String]) -> DbResult<u64> {
    let backend = super::Backend::of(tx);
    let value = match backend {
        super::Backend::Sqlite => "x.value",
        // jsonb_array_elements gives jsonb: take the text.
        super::Backend::Postgres => "x.value #>> '{}'",
    };
    let sql = format!(
        "INSERT INTO voucher_entitled (campaign_id, email) SELECT $1, {value} FROM {} \
         WHERE true ON CONFLICT (campaign_id, email) DO NOTHING",
        backend.json_rows("$2")
    );
    Ok(sqlx::query(&sql)
        .bind(campaign.to_string())
        .bind(serde_json::to_string(emails).unwrap_or_else(|_| "[]".into()))
        .execute(&mut **tx)
        .await?
        .rows_affected())
}

/// Whether an address is on a campaign's list.
pub async fn is_entitled<'e>(
    ex: impl Executor<'e, Database = Any>,
    campaign: Uuid,
    email: &str,
) -> DbResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM voucher_entitled WHERE campaign_id=$1 AND email=$2",
    )
    .bind(campaign.to_string())
    .bind(email.to_string())
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

/// Addresses on a campaign's list.
pub async fn entitled_count<'e>(
    ex: impl Executor<'e, Database = Any>,
    campaign: Uuid,
) -> DbResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM voucher_entitled WHERE campaign_id=$1")
        .bind(campaign.to_string())
        .fetch_one(ex)
        .await
}

/// Stores a request waiting for its e-mail confirmation.
pub async fn insert_request(
    tx: &mut Tx,
    secret_hash: &str,
    campaign: Uuid,
    email: &str,
    postal_code: Option<&str>,
    lang: &str,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO voucher_requests (secret_hash, campaign_id, email, postal_code, lang, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(secret_hash.to_string())
    .bind(campaign.to_string())
    .bind(email.to_string())
    .bind(postal_code.map(str::to_string))
    .bind(lang.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes the requests made before `before`.
pub async fn purge_requests(tx: &mut Tx, before: i64) -> DbResult<u64> {
    Ok(
        sqlx::query("DELETE FROM voucher_requests WHERE created_at < $1")
            .bind(before)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
    )
}

/// Uses a request: its campaign, address and language, once, if made after `since`.
pub async fn take_request(
    tx: &mut Tx,
    secret_hash: &str,
    since: i64,
    now: i64,
) -> DbResult<Option<(Uuid, String, String)>> {
    let row = sqlx::query(
        "UPDATE voucher_requests SET used_at=$3 WHERE secret_hash=$1 AND used_at IS NULL AND created_at >= $2 \
         RETURNING campaign_id, email, lang",
    )
    .bind(secret_hash.to_string())
    .bind(since)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok((
            column::id(&r, "campaign_id")?,
            r.try_get("email")?,
            r.try_get("lang")?,
        ))
    })
    .transpose()
}

const VOUCHER: &str =
    "id, campaign_id, code, holder_secret, email, face_minor, balance_minor, state, \
     payment_ref, created_at, issued_at";

fn voucher_row(r: &AnyRow) -> DbResult<Voucher> {
    let state: String = r.try_get("state")?;
    Ok(Voucher {
        id: column::id(r, "id")?,
        campaign_id: column::id(r, "campaign_id")?,
        code: r.try_get("code")?,
        holder_secret: r.try_get("holder_secret")?,
        email: r.try_get("email")?,
        face_minor: r.try_get("face_minor")?,
        balance_minor: r.try_get("balance_minor")?,
        issued: state == "issued",
        payment_ref: r.try_get("payment_ref")?,
        created_at: r.try_get("created_at")?,
        issued_at: r.try_get("issued_at")?,
    })
}

/// Stores a voucher.
pub async fn insert_voucher(tx: &mut Tx, v: &Voucher) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO vouchers (id, campaign_id, code, holder_secret, email, face_minor, balance_minor, \
         state, payment_ref, created_at, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(v.id.to_string())
    .bind(v.campaign_id.to_string())
    .bind(v.code.clone())
    .bind(v.holder_secret.clone())
    .bind(v.email.clone())
    .bind(v.face_minor)
    .bind(v.balance_minor)
    .bind(if v.issued { "issued" } else { "awaiting_payment" })
    .bind(v.payment_ref.clone())
    .bind(v.created_at)
    .bind(v.issued_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Vouchers of a campaign, issued or waiting for payment (the budget's count).
pub async fn count_vouchers(tx: &mut Tx, campaign: Uuid) -> DbResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM vouchers WHERE campaign_id=$1")
        .bind(campaign.to_string())
        .fetch_one(&mut **tx)
        .await
}

/// Whether an address already has a voucher of a campaign.
pub async fn has_voucher(tx: &mut Tx, campaign: Uuid, email: &str) -> DbResult<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM vouchers WHERE campaign_id=$1 AND email=$2")
            .bind(campaign.to_string())
            .bind(email.to_string())
            .fetch_one(&mut **tx)
            .await?;
    Ok(n > 0)
}

/// A voucher by one of its unique columns.
async fn voucher_by<'e>(
    ex: impl Executor<'e, Database = Any>,
    column: &'static str,
    value: String,
) -> DbResult<Option<Voucher>> {
    let sql = format!("SELECT {VOUCHER} FROM vouchers WHERE {column}=$1");
    sqlx::query(&sql)
        .bind(value)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(voucher_row)
        .transpose()
}

/// A voucher by its code.
pub async fn by_code<'e>(
    ex: impl Executor<'e, Database = Any>,
    code: &str,
) -> DbResult<Option<Voucher>> {
    voucher_by(ex, "code", code.to_string()).await
}

/// A voucher by its id.
pub async fn by_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: Uuid,
) -> DbResult<Option<Voucher>> {
    voucher_by(ex, "id", id.to_string()).await
}

/// A voucher by its holder's secret.
pub async fn by_holder<'e>(
    ex: impl Executor<'e, Database = Any>,
    secret: &str,
) -> DbResult<Option<Voucher>> {
    voucher_by(ex, "holder_secret", secret.to_string()).await
}

/// Vouchers waiting for their price to be paid, oldest first.
pub async fn awaiting_payment<'e>(
    ex: impl Executor<'e, Database = Any>,
    campaign: Uuid,
) -> DbResult<Vec<Voucher>> {
    let sql = format!(
        "SELECT {VOUCHER} FROM vouchers WHERE campaign_id=$1 AND state='awaiting_payment' ORDER BY created_at"
    );
    sqlx::query(&sql)
        .bind(campaign.to_string())
        .fetch_all(ex)
        .await?
        .iter()
        .map(voucher_row)
        .collect()
}

/// Marks a voucher paid and issued; false when it was not waiting.
pub async fn mark_paid(tx: &mut Tx, id: Uuid, reference: &str, now: i64) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE vouchers SET state='issued', payment_ref=$2, issued_at=$3 WHERE id=$1 AND state='awaiting_payment'",
    )
    .bind(id.to_string())
    .bind(reference.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes `amount` from a voucher's balance, at once and only if it is there: true when taken.
/// Concurrent debits of one voucher never take it below zero (the row is updated in place,
/// the condition checked on the row as it is then).
pub async fn debit(tx: &mut Tx, id: Uuid, amount: i64) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE vouchers SET balance_minor = balance_minor - $2 \
         WHERE id=$1 AND state='issued' AND balance_minor >= $2",
    )
    .bind(id.to_string())
    .bind(amount)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives `amount` back to a voucher (a cancelled redemption).
pub async fn credit(tx: &mut Tx, id: Uuid, amount: i64) -> DbResult<()> {
    sqlx::query("UPDATE vouchers SET balance_minor = balance_minor + $2 WHERE id=$1")
        .bind(id.to_string())
        .bind(amount)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A voucher's balance as it is now.
pub async fn balance(tx: &mut Tx, id: Uuid) -> DbResult<i64> {
    sqlx::query_scalar("SELECT balance_minor FROM vouchers WHERE id=$1")
        .bind(id.to_string())
        .fetch_one(&mut **tx)
        .await
}

pub(super) const REDEMPTION: &str =
    "id, voucher_id, campaign_id, merchant_id, by_whom, amount_minor, created_at, cancelled_at";

pub(super) fn redemption_row(r: &AnyRow) -> DbResult<Redemption> {
    Ok(Redemption {
        id: column::id(r, "id")?,
        voucher_id: column::id(r, "voucher_id")?,
        campaign_id: column::id(r, "campaign_id")?,
        merchant_id: column::id(r, "merchant_id")?,
        by_whom: r.try_get("by_whom")?,
        amount_minor: r.try_get("amount_minor")?,
        created_at: r.try_get("created_at")?,
        cancelled_at: r.try_get("cancelled_at")?,
    })
}

/// Records a redemption.
pub async fn insert_redemption(tx: &mut Tx, r: &Redemption) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO voucher_redemptions (id, voucher_id, campaign_id, merchant_id, by_whom, amount_minor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.id.to_string())
    .bind(r.voucher_id.to_string())
    .bind(r.campaign_id.to_string())
    .bind(r.merchant_id.to_string())
    .bind(r.by_whom.clone())
    .bind(r.amount_minor)
    .bind(r.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A redemption by id.
pub async fn redemption<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: Uuid,
) -> DbResult<Option<Redemption>> {
    let sql = format!("SELECT {REDEMPTION} FROM voucher_redemptions WHERE id=$1");
    sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(redemption_row)
        .transpose()
}

/// A shop's redemptions made since `since` and not cancelled, newest first.
pub async fn recent_of_shop<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
    since: i64,
) -> DbResult<Vec<Redemption>> {
    let sql = format!(
        "SELECT {REDEMPTION} FROM voucher_redemptions WHERE merchant_id=$1 AND created_at >= $2 \
         AND cancelled_at IS NULL ORDER BY created_at DESC LIMIT 50"
    );
    sqlx::query(&sql)
        .bind(merchant.to_string())
        .bind(since)
        .fetch_all(ex)
        .await?
        .iter()
        .map(redemption_row)
        .collect()
}

/// Cancels a redemption; false when it already was.
pub async fn cancel_redemption(tx: &mut Tx, id: Uuid, now: i64) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE voucher_redemptions SET cancelled_at=$2 WHERE id=$1 AND cancelled_at IS NULL",
    )
    .bind(id.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A voucher's redemptions with their shops' names, newest first.
pub async fn history<'e>(
    ex: impl Executor<'e, Database = Any>,
    voucher: Uuid,
) -> DbResult<Vec<(Redemption, String)>> {
    let sql = format!(
        "SELECT {}, m.name AS shop FROM voucher_redemptions r JOIN merchants m ON m.id = r.merchant_id \
         WHERE r.voucher_id=$1 ORDER BY r.created_at DESC",
        qualified(REDEMPTION, "r")
    );
    sqlx::query(&sql)
        .bind(voucher.to_string())
        .fetch_all(ex)
        .await?
        .iter()
        .map(|r| Ok((redemption_row(r)?, r.try_get("shop")?)))
        .collect()
}
