//! The notices of reservations' steps as `delivery::notices` takes and sends them.

use super::*;

/// Notices due now, for `delivery::notices`.
pub async fn due_notices(cx: &Context, limit: i64) -> Result<Vec<Notice>> {
    Ok(db::reservations::due_notices(cx.db.pool(), cx.clock.now_ms(), limit).await?)
}

/// Takes a notice to send it: false when another process has it. Untaken again after
/// `retry_ms` unless [`notice_done`] is called.
pub async fn take_notice(cx: &Context, n: &Notice, retry_ms: i64) -> Result<bool> {
    let now = cx.clock.now_ms();
    Ok(db::reservations::take_notice(cx.db.writer(), n.seq, now, now + retry_ms).await?)
}

/// Marks a notice sent or given up.
pub async fn notice_done(cx: &Context, n: &Notice) -> Result<()> {
    Ok(db::reservations::notice_done(cx.db.writer(), n.seq, cx.clock.now_ms()).await?)
}

/// Where the shop's notices of new reservations go: its own address and its people's.
pub async fn shop_addresses(cx: &Context, merchant: Uuid) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let people = db::accounts::people(cx.db.pool(), merchant).await?;
    for p in people {
        if !out.contains(&p.email) {
            out.push(p.email);
        }
    }
    if out.is_empty() {
        if let Some(m) = crate::domain::read::shop_by_id(cx, merchant).await? {
            if let Some(e) = m.fields.email {
                out.push(e);
            }
        }
    }
    Ok(out)
}
