//! The town's accounts of voucher campaigns: what each shop took, what was reimbursed, every
//! redemption for the accountant, and the audit of balances.

use sqlx::{Any, Executor, Row};
use uuid::Uuid;

use super::vouchers::{qualified, redemption_row, REDEMPTION};
use super::{column, DbResult, Tx};
use crate::model::voucher::Redemption;

/// Each shop of a campaign with its redemptions not cancelled: shop id, count, cents, and
/// what was reimbursed so far.
pub async fn owed<'e>(
    ex: impl Executor<'e, Database = Any>,
    campaign: Uuid,
) -> DbResult<Vec<(Uuid, i64, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT s.merchant_id, \
           (SELECT COUNT(*) FROM voucher_redemptions r WHERE r.campaign_id=s.campaign_id AND r.merchant_id=s.merchant_id AND r.cancelled_at IS NULL) AS n, \
           (SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM voucher_redemptions r WHERE r.campaign_id=s.campaign_id AND r.merchant_id=s.merchant_id AND r.cancelled_at IS NULL) AS amount, \
           (SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM voucher_reimbursements p WHERE p.campaign_id=s.campaign_id AND p.merchant_id=s.merchant_id) AS paid \
         FROM voucher_campaign_shops s WHERE s.campaign_id=$1",
    )
    .bind(campaign.to_string())
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                column::id(r, "merchant_id")?,
                r.try_get("n")?,
                r.try_get("amount")?,
                r.try_get("paid")?,
            ))
        })
        .collect()
}

/// Every redemption of a campaign not cancelled, oldest first, with the voucher's code.
pub async fn redemptions_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    campaign: Uuid,
) -> DbResult<Vec<(Redemption, String)>> {
    let sql = format!(
        "SELECT {}, v.code FROM voucher_redemptions r JOIN vouchers v ON v.id = r.voucher_id \
         WHERE r.campaign_id=$1 AND r.cancelled_at IS NULL ORDER BY r.created_at, r.id",
        qualified(REDEMPTION, "r")
    );
    sqlx::query(&sql)
        .bind(campaign.to_string())
        .fetch_all(ex)
        .await?
        .iter()
        .map(|r| Ok((redemption_row(r)?, r.try_get("code")?)))
        .collect()
}

/// What a shop took in a campaign (redemptions not cancelled) and what it was reimbursed,
/// cents, read in the caller's transaction.
pub async fn owed_to(tx: &mut Tx, campaign: Uuid, merchant: Uuid) -> DbResult<(i64, i64)> {
    let row = sqlx::query(
        "SELECT \
           (SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM voucher_redemptions WHERE campaign_id=$1 AND merchant_id=$2 AND cancelled_at IS NULL) AS amount, \
           (SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM voucher_reimbursements WHERE campaign_id=$1 AND merchant_id=$2) AS paid",
    )
    .bind(campaign.to_string())
    .bind(merchant.to_string())
    .fetch_one(&mut **tx)
    .await?;
    Ok((row.try_get("amount")?, row.try_get("paid")?))
}

/// When a shop was last reimbursed in a campaign (its redemptions before then are paid for).
pub async fn reimbursed_up_to(
    tx: &mut Tx,
    campaign: Uuid,
    merchant: Uuid,
) -> DbResult<Option<i64>> {
    sqlx::query_scalar(
        "SELECT MAX(up_to) FROM voucher_reimbursements WHERE campaign_id=$1 AND merchant_id=$2",
    )
    .bind(campaign.to_string())
    .bind(merchant.to_string())
    .fetch_one(&mut **tx)
    .await
}

/// Records a reimbursement of a shop.
pub async fn reimburse(
    tx: &mut Tx,
    campaign: Uuid,
    merchant: Uuid,
    amount: i64,
    reference: &str,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO voucher_reimbursements (id, campaign_id, merchant_id, amount_minor, reference, reimbursed_at, up_to) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(campaign.to_string())
    .bind(merchant.to_string())
    .bind(amount)
    .bind(reference.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Vouchers whose stored balance is not their face value minus their redemptions not
/// cancelled (the audit: always none).
pub async fn audit<'e>(ex: impl Executor<'e, Database = Any>) -> DbResult<Vec<(Uuid, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT v.id, v.balance_minor, CAST(v.face_minor - COALESCE((SELECT SUM(r.amount_minor) FROM voucher_redemptions r \
           WHERE r.voucher_id = v.id AND r.cancelled_at IS NULL), 0) AS BIGINT) AS computed \
         FROM vouchers v WHERE v.state='issued'",
    )
    .fetch_all(ex)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let stored: i64 = r.try_get("balance_minor")?;
        let computed: i64 = r.try_get("computed")?;
        if stored != computed {
            out.push((column::id(&r, "id")?, stored, computed));
        }
    }
    Ok(out)
}
