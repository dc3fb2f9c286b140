//! Spending a voucher: a code read by a shop taking part (wrong codes counted), a redemption
//! as one conditional update, its cancellation, and the holder's own view.

use super::*;

/// Counts a wrong code against the client and the person: at most [`WRONG_CODES`] in ten
/// minutes.
async fn count_wrong(cx: &Context, client: &str, who: &Caller) -> Result<()> {
    let now = cx.clock.now_ms();
    for key in [format!("vouchercode:{client}"), who_key(who)] {
        let n = db::accounts::add_failure(cx.db.writer(), &key, now, now - 600_000).await?;
        if n > WRONG_CODES {
            return Err(Error::TooManyAttempts {
                detail: "too many wrong codes: wait ten minutes".into(),
                retry_after: 600,
            });
        }
    }
    Ok(())
}

/// The throttle's key of who reads codes: a person, or a shop's tokens (each shop its own).
fn who_key(who: &Caller) -> String {
    match who {
        Caller::Person(u) => format!("vouchercode:person:{}", u.id),
        Caller::Token(crate::db::tokens::Scope::Merchant { id, .. }) => {
            format!("vouchercode:shop:{id}")
        }
        Caller::Token(_) => "vouchercode:admin-token".into(),
        _ => "vouchercode:anonymous".into(),
    }
}

/// Refuses before any lookup once the client or the person got too many codes wrong lately.
async fn too_many_wrong(cx: &Context, client: &str, who: &Caller) -> Result<()> {
    let since = cx.clock.now_ms() - 600_000;
    for key in [format!("vouchercode:{client}"), who_key(who)] {
        let n = db::accounts::recent_failures(cx.db.pool(), &key, since).await?;
        if n >= WRONG_CODES {
            return Err(Error::TooManyAttempts {
                detail: "too many wrong codes: wait ten minutes".into(),
                retry_after: 600,
            });
        }
    }
    Ok(())
}

/// Reads a code for a shop (its people or token, or the admin): the voucher and its campaign.
/// A code mistyped or unknown counts against the client and the person.
pub async fn lookup(
    cx: &Context,
    who: &Caller,
    code: &str,
    merchant: Option<&Merchant>,
    client: &str,
) -> Result<(Voucher, Campaign)> {
    match merchant {
        Some(m) => allow(who, Action::RedeemVouchers(m.id))?,
        None => {
            if !matches!(who, Caller::Person(_) | Caller::Token(_) | Caller::Operator) {
                allow(who, Action::RunNode)?;
            }
        }
    }
    too_many_wrong(cx, client, who).await?;
    let Some(normal) = voucher_code::read(code) else {
        count_wrong(cx, client, who).await?;
        let mut k = Checks::default();
        k.add("code", "this is not a voucher code: check each character");
        return Err(k.finish().expect_err("one error"));
    };
    let Some(v) = db::vouchers::by_code(cx.db.pool(), &normal).await? else {
        count_wrong(cx, client, who).await?;
        return Err(Error::NotFound("no voucher has this code".into()));
    };
    let c = db::vouchers::campaign(cx.db.pool(), v.campaign_id)
        .await?
        .ok_or_else(|| Error::NotFound("no such campaign".into()))?;
    // Who may see it: the admin, or a shop taking part.
    let admin = allow(who, Action::RunNode).is_ok();
    if !admin {
        let shops: Vec<Uuid> = match (merchant, who) {
            (Some(m), _) => vec![m.id],
            (None, Caller::Person(u)) => u.memberships.iter().map(|m| m.merchant_id).collect(),
            (None, Caller::Token(crate::db::tokens::Scope::Merchant { id, .. })) => vec![*id],
            _ => vec![],
        };
        let mut taking_part = false;
        for s in shops {
            if db::vouchers::shop_state(cx.db.pool(), c.id, s).await? == Some(ShopState::Accepted) {
                taking_part = true;
            }
        }
        if !taking_part {
            return Err(Error::NotAllowed(
                "this shop does not take part in this voucher's campaign".into(),
            ));
        }
    }
    Ok((v, c))
}

/// A shop redeems `amount` (euros) of a voucher: 409 when the balance is short, 403 for a shop
/// not taking part, 410 once expired. Returns the redemption and the new balance.
pub async fn redeem(
    cx: &Context,
    who: &Caller,
    code: &str,
    slug: &str,
    amount: &str,
    client: &str,
) -> Result<(Redemption, i64, Campaign)> {
    let m = match crate::domain::read::shop(cx, slug).await? {
        Some(crate::domain::read::Found::Live(m)) => m,
        Some(crate::domain::read::Found::Deleted(_)) => {
            return Err(Error::Deleted("this shop was deleted".into()))
        }
        None => return Err(Error::NotFound(format!("no shop \"{slug}\""))),
    };
    allow(who, Action::RedeemVouchers(m.id))?;
    let mut checks = Checks::default();
    let amount = euros(&mut checks, "amount", amount, false);
    checks.finish()?;
    let (v, c) = lookup(cx, who, code, Some(&m), client).await?;
    // Even the admin redeems only at a shop taking part: the town owes only those.
    if db::vouchers::shop_state(cx.db.pool(), c.id, m.id).await? != Some(ShopState::Accepted) {
        return Err(Error::NotAllowed(
            "this shop does not take part in this voucher's campaign".into(),
        ));
    }
    if !v.issued {
        return Err(Error::Conflict {
            detail: "this voucher is not paid yet".into(),
            field: Some("code".into()),
        });
    }
    let now = cx.clock.now_ms();
    if now > c.valid_until {
        return Err(Error::Deleted(format!(
            "this voucher expired on {}",
            crate::clock::time(c.valid_until).format("%Y-%m-%d")
        )));
    }
    let by_whom = match who {
        Caller::Person(u) => u.email.clone(),
        Caller::Token(crate::db::tokens::Scope::Merchant { slug, .. }) => {
            format!("token of {slug}")
        }
        Caller::Token(_) => "admin token".into(),
        Caller::Operator => "operator".into(),
        Caller::Anonymous => "anonymous".into(),
    };
    let r = Redemption {
        id: Uuid::now_v7(),
        voucher_id: v.id,
        campaign_id: c.id,
        merchant_id: m.id,
        by_whom,
        amount_minor: amount,
        created_at: now,
        cancelled_at: None,
    };
    let mut tx = cx.begin().await?;
    if !db::vouchers::debit(&mut tx, v.id, amount).await? {
        let left = db::vouchers::balance(&mut tx, v.id).await?;
        return Err(Error::Conflict {
            detail: format!(
                "the voucher has {} € left",
                etal_protocol::money::format_minor(left, 2)
            ),
            field: Some("amount".into()),
        });
    }
    db::vouchers::insert_redemption(&mut tx, &r).await?;
    let balance = db::vouchers::balance(&mut tx, v.id).await?;
    cx.commit(tx).await?;
    Ok((r, balance, c))
}

/// The shop that took a redemption cancels it within [`CANCEL_MS`]: the amount goes back.
/// Returns the voucher's new balance.
pub async fn cancel_redemption(cx: &Context, who: &Caller, id: &str) -> Result<i64> {
    let id = Uuid::parse_str(id).map_err(|_| Error::NotFound("no such redemption".into()))?;
    let r = db::vouchers::redemption(cx.db.pool(), id)
        .await?
        .ok_or_else(|| Error::NotFound("no such redemption".into()))?;
    allow(who, Action::RedeemVouchers(r.merchant_id))?;
    let now = cx.clock.now_ms();
    if now > r.created_at + CANCEL_MS {
        return Err(Error::Conflict {
            detail: "a redemption can be cancelled only within 15 minutes".into(),
            field: None,
        });
    }
    let mut tx = cx.begin().await?;
    db::vouchers::lock_campaign(&mut tx, r.campaign_id, cx.db.row_lock()).await?;
    if db::voucher_accounts::reimbursed_up_to(&mut tx, r.campaign_id, r.merchant_id)
        .await?
        .is_some_and(|up_to| up_to >= r.created_at)
    {
        return Err(Error::Conflict {
            detail: "the town already reimbursed this redemption: it cannot be cancelled".into(),
            field: None,
        });
    }
    if !db::vouchers::cancel_redemption(&mut tx, id, now).await? {
        return Err(Error::Conflict {
            detail: "this redemption was already cancelled".into(),
            field: None,
        });
    }
    db::vouchers::credit(&mut tx, r.voucher_id, r.amount_minor).await?;
    let balance = db::vouchers::balance(&mut tx, r.voucher_id).await?;
    cx.commit(tx).await?;
    Ok(balance)
}

/// A shop's redemptions it may still cancel (the last [`CANCEL_MS`]), newest first.
pub async fn cancellable(cx: &Context, who: &Caller, m: &Merchant) -> Result<Vec<Redemption>> {
    allow(who, Action::RedeemVouchers(m.id))?;
    let since = cx.clock.now_ms() - CANCEL_MS;
    Ok(db::vouchers::recent_of_shop(cx.db.pool(), m.id, since).await?)
}

/// What the holder's private page shows: the voucher, its campaign, its redemptions with the
/// shops' names, and the shops taking part.
pub async fn holder_view(
    cx: &Context,
    secret: &str,
) -> Result<(Voucher, Campaign, Vec<(Redemption, String)>, Vec<Merchant>)> {
    if secret.len() < 32 {
        return Err(Error::NotFound("no such voucher".into()));
    }
    let v = db::vouchers::by_holder(cx.db.pool(), secret)
        .await?
        .ok_or_else(|| Error::NotFound("no such voucher".into()))?;
    let c = db::vouchers::campaign(cx.db.pool(), v.campaign_id)
        .await?
        .ok_or_else(|| Error::NotFound("no such campaign".into()))?;
    let history = db::vouchers::history(cx.db.pool(), v.id).await?;
    let shops = participants(cx, &c).await?;
    Ok((v, c, history, shops))
}
