//! Sends what reservations' steps queued (`domain::reservations` writes a notice in each
//! step's transaction): a plain-text e-mail to the customer in their language, or to a
//! fediverse customer an `Accept`, `Reject` or direct `Note` (`federation::offers::tell`); an
//! e-mail to the shop's people at each new reservation. Also runs the reservations' sweep
//! (expiries and purges) once a minute. A notice that fails is tried again later, five times.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::domain::reservations::{self, Notice, Reservation, Step};
use crate::error::Result;
use crate::federation::Federation;
use crate::mail::Mailer;
use crate::model::merchant::Merchant;
use crate::present::reservation as words;
use crate::present::Lang;

/// How often due notices are looked for.
const POLL: Duration = Duration::from_millis(500);
/// How often reservations are swept.
const SWEEP: Duration = Duration::from_secs(60);
/// Tries before a notice is given up.
const TRIES: i64 = 5;
/// Wait before a failed notice is tried again.
const RETRY_MS: i64 = 5 * 60 * 1000;

/// Starts the loop.
pub fn spawn(fed: Arc<Federation>, mail: Arc<Mailer>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_sweep: Option<std::time::Instant> = None;
        loop {
            if last_sweep.is_none_or(|t| t.elapsed() >= SWEEP) {
                last_sweep = Some(std::time::Instant::now());
                match reservations::sweep(&fed.cx).await {
                    Ok((0, 0)) => {}
                    Ok((expired, purged)) => {
                        tracing::info!(expired, purged, "reservations swept")
                    }
                    Err(e) => tracing::error!(error = %e, "cannot sweep reservations"),
                }
                if let Err(e) = crate::domain::vouchers::purge_requests(&fed.cx).await {
                    tracing::error!(error = %e, "cannot forget old voucher requests");
                }
            }
            if let Err(e) = send_due(&fed, &mail).await {
                tracing::error!(error = %e, "cannot send reservation notices");
            }
            tokio::time::sleep(POLL).await;
        }
    })
}

/// Sends every notice due now; returns how many were handled.
pub async fn send_due(fed: &Federation, mail: &Mailer) -> Result<usize> {
    let due = reservations::due_notices(&fed.cx, 50).await?;
    let mut done = 0;
    for n in due {
        if !reservations::take_notice(&fed.cx, &n, RETRY_MS).await? {
            continue;
        }
        match send(fed, mail, &n).await {
            Ok(()) => {
                reservations::notice_done(&fed.cx, &n).await?;
                done += 1;
            }
            Err(e) if n.attempts + 1 >= TRIES => {
                tracing::error!(error = %e, reservation = n.reservation_id, "notice given up");
                reservations::notice_done(&fed.cx, &n).await?;
            }
            Err(e) => {
                tracing::warn!(error = %e, reservation = n.reservation_id, "notice to try again")
            }
        }
    }
    Ok(done)
}

async fn send(fed: &Federation, mail: &Mailer, n: &Notice) -> Result<()> {
    let r = reservations::get(&fed.cx, &n.reservation_id).await?;
    if r.purged_at.is_some() {
        return Ok(());
    }
    let Some(shop) = crate::domain::read::shop_by_id(&fed.cx, r.merchant_id).await? else {
        return Ok(());
    };
    // Said as of the step, even when the reservation moved on since.
    let mut r = r;
    if let Step::Status(s) = n.step {
        r.status = s;
    }
    match n.step {
        Step::New => {
            if !mail.can_mail() {
                // Without SMTP, the dashboard's badge says it.
                return Ok(());
            }
            let (subject, body) = to_shop(fed, &r, &shop);
            for to in reservations::shop_addresses(&fed.cx, shop.id).await? {
                mail.send(&to, &subject, &body)
                    .await
                    .map_err(crate::error::Error::Internal)?;
            }
        }
        Step::Status(s) => {
            if r.customer.actor.is_some() {
                crate::federation::offers::tell(fed, &r, s).await?;
            } else if let Some(to) = &r.customer.email {
                let (subject, body) = to_customer(fed, &r, &shop);
                mail.send(to, &subject, &body)
                    .await
                    .map_err(crate::error::Error::Internal)?;
            }
        }
    }
    Ok(())
}

fn when(fed: &Federation, r: &Reservation, lang: Lang) -> String {
    words::slot(
        lang,
        fed.cx.settings.time_zone,
        r.pickup_start,
        r.pickup_end,
    )
}

/// The customer's e-mail of a step, in their language: what happened, the lines, the total,
/// the shop's word, where to collect, and the status page.
pub fn to_customer(fed: &Federation, r: &Reservation, shop: &Merchant) -> (String, String) {
    let lang = words::lang_of(&r.lang);
    let when = when(fed, r, lang);
    let subject = match lang {
        Lang::Fr => format!(
            "{} — réservation n° {} {}",
            shop.fields.name,
            r.number,
            words::status_name(lang, r.status.as_str())
        ),
        Lang::En => format!(
            "{} — reservation no. {} {}",
            shop.fields.name,
            r.number,
            words::status_name(lang, r.status.as_str())
        ),
    };
    let mut body = vec![
        words::step_sentence(lang, &r.told(), &shop.fields.name, &when),
        String::new(),
    ];
    body.extend(words::lines(lang, &r.told()));
    body.push(match lang {
        Lang::Fr => format!(
            "Total : {} (à régler en boutique)",
            words::amount(lang, r.total_minor(), &r.currency)
        ),
        Lang::En => format!(
            "Total: {} (to pay at the shop)",
            words::amount(lang, r.total_minor(), &r.currency)
        ),
    });
    if let Some(w) = words::shop_word(lang, &r.told()) {
        body.push(String::new());
        body.push(w);
    }
    body.push(String::new());
    let a = &shop.fields.address;
    body.push(format!(
        "{} — {}{} {}",
        shop.fields.name,
        a.street
            .as_deref()
            .map(|s| format!("{s}, "))
            .unwrap_or_default(),
        a.postal_code,
        a.city
    ));
    if let Some(p) = &shop.fields.phone {
        body.push(p.clone());
    }
    body.push(String::new());
    body.push(match lang {
        Lang::Fr => "Suivre ou annuler la réservation :".to_string(),
        Lang::En => "Follow or cancel the reservation:".to_string(),
    });
    body.push(fed.cx.urls.reservation(&r.id).to_string());
    (subject, body.join("\n"))
}

/// The shop's e-mail of a new reservation (in French: the shops' language).
pub fn to_shop(fed: &Federation, r: &Reservation, shop: &Merchant) -> (String, String) {
    let lang = Lang::Fr;
    let subject = format!(
        "Nouvelle réservation n° {} — {}",
        r.number,
        r.customer.name.clone().unwrap_or_else(|| "client".into())
    );
    let mut body = vec![
        format!(
            "Nouvelle réservation n° {} pour {}, à retirer {}.",
            r.number,
            shop.fields.name,
            when(fed, r, lang)
        ),
        String::new(),
    ];
    body.extend(words::lines(lang, &r.told()));
    body.push(format!(
        "Total : {}",
        words::amount(lang, r.total_minor(), &r.currency)
    ));
    body.push(String::new());
    let c = &r.customer;
    for v in [&c.name, &c.email, &c.phone, &c.actor]
        .into_iter()
        .flatten()
    {
        body.push(v.clone());
    }
    if let Some(n) = &r.note {
        body.push(format!("Note : {n}"));
    }
    body.push(String::new());
    body.push("Accepter, refuser ou préparer la réservation :".into());
    body.push(
        fed.cx
            .urls
            .page(&format!("dashboard/shops/{}/reservations", shop.slug))
            .to_string(),
    );
    (subject, body.join("\n"))
}
