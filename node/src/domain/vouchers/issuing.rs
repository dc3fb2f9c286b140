//! Getting a voucher: a resident's request and its mailed confirmation, the admin's issue, a
//! paid voucher waiting for its payment, old requests forgotten.

use super::*;

/// Whether an address may get a voucher of the campaign now (checked again when confirmed).
async fn check_eligible(
    cx: &Context,
    tx: &mut db::Tx,
    c: &Campaign,
    email: &str,
    postal_code: Option<&str>,
) -> Result<()> {
    db::vouchers::lock_campaign(tx, c.id, cx.db.row_lock()).await?;
    let now = cx.clock.now_ms();
    if now < c.issue_from {
        return Err(Error::Conflict {
            detail: "this campaign has not opened yet".into(),
            field: None,
        });
    }
    if now > c.issue_until {
        return Err(Error::Deleted("this campaign is closed".into()));
    }
    if db::vouchers::count_vouchers(tx, c.id).await? >= c.quantity {
        return Err(Error::Conflict {
            detail: "every voucher of this campaign was given".into(),
            field: None,
        });
    }
    match &c.eligibility {
        Eligibility::Anyone => {}
        Eligibility::OnePerEmail => {}
        Eligibility::PostalCodes(codes) => {
            if !postal_code.is_some_and(|p| codes.iter().any(|c| c == p.trim())) {
                return Err(Error::Conflict {
                    detail: format!("this campaign is for the postal codes {}", codes.join(", ")),
                    field: Some("postal_code".into()),
                });
            }
        }
        Eligibility::List => {
            if !db::vouchers::is_entitled(&mut **tx, c.id, email).await? {
                return Err(Error::Conflict {
                    detail: "this address is not on the campaign's list: ask the town hall".into(),
                    field: Some("email".into()),
                });
            }
        }
    }
    if c.eligibility.one_each() && db::vouchers::has_voucher(tx, c.id, email).await? {
        return Err(Error::Conflict {
            detail: "this address already has a voucher of this campaign".into(),
            field: Some("email".into()),
        });
    }
    Ok(())
}

/// A resident asks for a voucher: after the checks, a confirmation secret to mail to the
/// address (the voucher comes only from that link, so nobody gets one in another's name).
/// `None` when the address may not have one (not on the list, or it has one already): the
/// page answers the same either way, so nobody learns who is on a town's list of households
/// entitled to help.
pub async fn ask(
    cx: &Context,
    campaign_id: &str,
    email: &str,
    postal_code: Option<&str>,
    lang: &str,
    client: &str,
) -> Result<Option<String>> {
    let c = campaign(cx, campaign_id).await?;
    let email = fold_email(email).map_err(|_| {
        let mut k = Checks::default();
        k.add("email", "must be an e-mail address like name@example.fr");
        k.finish().expect_err("one error")
    })?;
    let now = cx.clock.now_ms();
    let tries = db::accounts::add_failure(
        cx.db.writer(),
        &format!("voucherask:{client}"),
        now,
        now - 3_600_000,
    )
    .await?;
    let mailed = db::accounts::add_failure(
        cx.db.writer(),
        // Hashed: the throttle keeps no address in clear.
        &format!("voucherask:{}", sha256(&email)),
        now,
        now - 86_400_000,
    )
    .await?;
    if tries > REQUESTS_PER_HOUR || mailed > REQUESTS_PER_ADDRESS {
        return Err(Error::TooManyAttempts {
            detail: "too many requests: try again later".into(),
            retry_after: 3600,
        });
    }
    let mut tx = cx.begin().await?;
    match check_eligible(cx, &mut tx, &c, &email, postal_code).await {
        Ok(()) => {}
        Err(Error::Conflict {
            field: Some(field), ..
        }) if field == "email" => return Ok(None),
        Err(e) => return Err(e),
    }
    let s = secret()?;
    db::vouchers::insert_request(
        &mut tx,
        &sha256(&s),
        c.id,
        &email,
        postal_code,
        if lang == "en" { "en" } else { "fr" },
        now,
    )
    .await?;
    cx.commit(tx).await?;
    Ok(Some(s))
}

fn new_voucher(
    c: &Campaign,
    email: &str,
    issued: bool,
    payment_ref: Option<String>,
    now: i64,
) -> Result<Voucher> {
    Ok(Voucher {
        id: Uuid::now_v7(),
        campaign_id: c.id,
        code: voucher_code::new_code(),
        holder_secret: secret()?,
        email: email.to_string(),
        face_minor: c.face_minor,
        balance_minor: c.face_minor,
        issued,
        payment_ref,
        created_at: now,
        issued_at: issued.then_some(now),
    })
}

/// The mailed link: the voucher is made (issued at once for a gift; waiting for its payment
/// otherwise). Returns it with its campaign and the language asked in.
pub async fn confirm(cx: &Context, secret: &str) -> Result<(Voucher, Campaign, String)> {
    let now = cx.clock.now_ms();
    let mut tx = cx.begin().await?;
    let Some((campaign_id, email, lang)) =
        db::vouchers::take_request(&mut tx, &sha256(secret), now - REQUEST_MS, now).await?
    else {
        return Err(Error::NotFound(
            "this link was already used or is too old: ask again".into(),
        ));
    };
    let c = db::vouchers::campaign(&mut *tx, campaign_id)
        .await?
        .ok_or_else(|| Error::NotFound("no such campaign".into()))?;
    db::vouchers::lock_campaign(&mut tx, c.id, cx.db.row_lock()).await?;
    let postal = None;
    match &c.eligibility {
        // The postal code was checked when asked.
        Eligibility::PostalCodes(_) => {
            if now > c.issue_until {
                return Err(Error::Deleted("this campaign is closed".into()));
            }
            if db::vouchers::count_vouchers(&mut tx, c.id).await? >= c.quantity
                || db::vouchers::has_voucher(&mut tx, c.id, &email).await?
            {
                return Err(Error::Conflict {
                    detail: "this address already has a voucher, or none is left".into(),
                    field: None,
                });
            }
        }
        _ => check_eligible(cx, &mut tx, &c, &email, postal).await?,
    }
    let v = new_voucher(&c, &email, c.price_minor == 0, None, now)?;
    db::vouchers::insert_voucher(&mut tx, &v).await?;
    cx.commit(tx).await?;
    Ok((v, c, lang))
}

/// The admin issues a voucher to an address (paid at the counter, with the payment's
/// reference, or from the campaign's list).
pub async fn issue(
    cx: &Context,
    who: &Caller,
    campaign_id: &str,
    email: &str,
    payment_ref: Option<String>,
) -> Result<(Voucher, Campaign)> {
    allow(who, Action::RunNode)?;
    let c = campaign(cx, campaign_id).await?;
    let email = fold_email(email).map_err(|_| {
        let mut k = Checks::default();
        k.add("email", "must be an e-mail address like name@example.fr");
        k.finish().expect_err("one error")
    })?;
    let now = cx.clock.now_ms();
    let mut tx = cx.begin().await?;
    db::vouchers::lock_campaign(&mut tx, c.id, cx.db.row_lock()).await?;
    if now > c.valid_until {
        return Err(Error::Deleted("this campaign's vouchers expired".into()));
    }
    if db::vouchers::count_vouchers(&mut tx, c.id).await? >= c.quantity {
        return Err(Error::Conflict {
            detail: "every voucher of this campaign was given".into(),
            field: None,
        });
    }
    if c.eligibility.one_each() && db::vouchers::has_voucher(&mut tx, c.id, &email).await? {
        return Err(Error::Conflict {
            detail: "this address already has a voucher of this campaign".into(),
            field: Some("email".into()),
        });
    }
    let reference = payment_ref
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let v = new_voucher(&c, &email, true, reference, now)?;
    db::vouchers::insert_voucher(&mut tx, &v).await?;
    cx.commit(tx).await?;
    Ok((v, c))
}

/// What takes payment for a paid campaign's vouchers. The node takes no money itself: today
/// the admin marks a voucher paid (at the counter, or from the town's own payment service's
/// reference); a payment provider can implement this later and call [`mark_paid`] when it
/// hears of a payment.
pub trait Payments {
    /// Where the resident pays, for a voucher waiting for its payment (shown on its page and
    /// in its mail).
    fn how_to_pay(&self, c: &Campaign, v: &Voucher, lang: crate::present::Lang) -> String;
}

/// Payment at the town hall's counter or by the town's own service: the admin marks it paid.
#[derive(Debug, Clone, Copy, Default)]
pub struct AtTheCounter;

impl Payments for AtTheCounter {
    fn how_to_pay(&self, c: &Campaign, _v: &Voucher, lang: crate::present::Lang) -> String {
        let price = crate::present::price(
            &etal_protocol::Money {
                minor: c.price_minor,
                currency: etal_protocol::Currency::EUR,
            },
            lang,
        );
        match lang {
            crate::present::Lang::Fr => format!(
                "{price} à régler à la mairie, ou par le service de paiement de la commune : le bon est actif dès qu’il est payé."
            ),
            crate::present::Lang::En => format!(
                "{price} to pay at the town hall, or by the town's payment service: the voucher works once it is paid."
            ),
        }
    }
}

/// Vouchers of a campaign waiting for their payment (the admin).
pub async fn awaiting_payment(cx: &Context, who: &Caller, c: &Campaign) -> Result<Vec<Voucher>> {
    allow(who, Action::RunNode)?;
    Ok(db::vouchers::awaiting_payment(cx.db.pool(), c.id).await?)
}

/// The admin (or, later, a payment provider) marks a voucher paid: it is issued.
pub async fn mark_paid(
    cx: &Context,
    who: &Caller,
    voucher_id: &str,
    reference: &str,
) -> Result<(Voucher, Campaign)> {
    allow(who, Action::RunNode)?;
    let id = Uuid::parse_str(voucher_id).map_err(|_| Error::NotFound("no such voucher".into()))?;
    if reference.trim().is_empty() || reference.chars().count() > 200 {
        let mut k = Checks::default();
        k.add(
            "payment_ref",
            "the payment's reference, 1 to 200 characters",
        );
        k.finish()?;
    }
    let mut tx = cx.begin().await?;
    if !db::vouchers::mark_paid(&mut tx, id, reference.trim(), cx.clock.now_ms()).await? {
        return Err(Error::Conflict {
            detail: "this voucher is not waiting for a payment".into(),
            field: None,
        });
    }
    let v = db::vouchers::by_id(&mut *tx, id)
        .await?
        .ok_or_else(|| Error::NotFound("no such voucher".into()))?;
    let c = db::vouchers::campaign(&mut *tx, v.campaign_id)
        .await?
        .ok_or_else(|| Error::NotFound("no such campaign".into()))?;
    cx.commit(tx).await?;
    Ok((v, c))
}

/// Forgets the requests older than two days (their addresses with them).
pub async fn purge_requests(cx: &Context) -> Result<u64> {
    let mut tx = cx.begin().await?;
    let n = db::vouchers::purge_requests(&mut tx, cx.clock.now_ms() - 2 * REQUEST_MS).await?;
    cx.commit(tx).await?;
    Ok(n)
}
