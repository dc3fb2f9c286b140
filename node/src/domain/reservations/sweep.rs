//! Upkeep: expiring reservations not collected in time (their stock back), erasing customers'
//! details after the retention, blocking a customer.

use super::*;

/// Blocks the customer of a reservation at its shop: their new reservations are refused.
pub async fn block_customer(cx: &Context, who: &Caller, id: &str) -> Result<()> {
    let r = get(cx, id).await?;
    allow(who, Action::HandleReservations(r.merchant_id))?;
    let key = contact_key(&r.customer);
    if key.is_empty() {
        return Err(conflict(
            "customer",
            "this reservation's contact was already erased".into(),
        ));
    }
    let mut tx = cx.begin().await?;
    db::reservations::block(&mut tx, r.merchant_id, &key, cx.clock.now_ms()).await?;
    cx.commit(tx).await?;
    Ok(())
}

/// Expires the reservations not collected by the end of their slot plus their shop's grace
/// (their stock comes back), and erases the customers' details of those that ended longer ago
/// than the retention. Returns how many were expired and purged.
pub async fn sweep(cx: &Context) -> Result<(usize, u64)> {
    let now = cx.clock.now_ms();
    let due = {
        let mut conn = cx.db.pool().acquire().await?;
        db::reservations::overdue(&mut conn, now, 500).await?
    };
    let mut expired = 0;
    for id in due {
        let mut tx = cx.begin().await?;
        let Some(mut r) = db::reservations::by_id(&mut tx, &id, cx.db.row_lock()).await? else {
            continue;
        };
        if !r.status.open() {
            continue;
        }
        let mut give: Vec<(Uuid, i64)> = r.lines.iter().map(|l| (l.product_id, l.held())).collect();
        give.sort_by_key(|g| g.0);
        for (product, units) in give {
            give_back(cx, &mut tx, product, units, now).await?;
        }
        r.status = Status::Expired;
        r.ended_at = Some(now);
        db::reservations::save_step(&mut tx, &r, now).await?;
        db::reservations::notice(&mut tx, &r.id, Step::Status(Status::Expired), now).await?;
        cx.commit(tx).await?;
        expired += 1;
    }
    if expired > 0 {
        cx.committed().await;
    }
    let retention =
        i64::try_from(cx.settings.reservation_retention.as_millis()).unwrap_or(i64::MAX);
    let mut tx = cx.begin().await?;
    let purged = db::reservations::purge(&mut tx, now.saturating_sub(retention), now).await?;
    cx.commit(tx).await?;
    Ok((expired, purged))
}
