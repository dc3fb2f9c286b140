//! Town vouchers: the rules. The node's admin runs campaigns and invites shops (an owner
//! accepts or leaves); a resident asks for a voucher with their e-mail address, confirms it by
//! the mailed link, and gets it (a gift at once; a paid one once the admin marks it paid); a
//! participating shop redeems part or all of it. A redemption takes the amount from the balance
//! in one conditional update in its own transaction, so concurrent redemptions never spend more
//! than is there; the balance always equals the face value minus the redemptions not cancelled
//! ([`audit`]). Money in integer cents.

use chrono::{NaiveDate, TimeZone};
use uuid::Uuid;

use super::accounts::email as fold_email;
use super::auth::{hash as sha256, secret};
use super::authz::{allow, Action, Caller};
use super::voucher_code;
use super::Context;
use crate::db;
use crate::error::{Checks, Error, Result};
use crate::model::merchant::Merchant;
pub use crate::model::voucher::{Campaign, Eligibility, Redemption, ShopState, Voucher};

/// A confirmation link works this long.
pub const REQUEST_MS: i64 = 24 * 3600 * 1000;
/// A shop may cancel its redemption this long after it.
pub const CANCEL_MS: i64 = 15 * 60 * 1000;
/// Codes a client (or a shop's person) may get wrong in ten minutes.
pub const WRONG_CODES: i64 = 20;
/// Requests one client may send in an hour.
pub const REQUESTS_PER_HOUR: i64 = 10;
/// Requests for one address in a day.
pub const REQUESTS_PER_ADDRESS: i64 = 3;

/// Body of `POST /api/v1/voucher-campaigns`, checked here.
#[derive(Debug, Clone, Default)]
pub struct CampaignInput {
    /// Name.
    pub name: String,
    /// Face value, euros as a decimal string.
    pub face_value: String,
    /// Price, euros (0 for a gift).
    pub price: String,
    /// Vouchers in the budget.
    pub quantity: i64,
    /// `YYYY-MM-DD` (from the start of the day) or an RFC 3339 time.
    pub issue_from: String,
    /// `YYYY-MM-DD` (to the end of the day) or an RFC 3339 time.
    pub issue_until: String,
    /// `YYYY-MM-DD` (to the end of the day) or an RFC 3339 time.
    pub valid_until: String,
    /// `anyone`, `one_per_email`, `postal_codes` or `list`.
    pub eligibility: String,
    /// With `postal_codes`.
    pub postal_codes: Vec<String>,
    /// The shops invited (slugs).
    pub merchants: Vec<String>,
}

fn euros(checks: &mut Checks, field: &str, text: &str, zero_ok: bool) -> i64 {
    match etal_protocol::Money::parse(text.trim(), etal_protocol::Currency::EUR) {
        Ok(m) if m.minor > 0 || (zero_ok && m.minor == 0) => m.minor,
        _ => {
            checks.add(
                field,
                if zero_ok {
                    "must be an amount in euros such as \"7.50\" (0 for a gift)"
                } else {
                    "must be an amount in euros above zero, such as \"10.00\""
                },
            );
            0
        }
    }
}

/// An instant from `YYYY-MM-DD` (the day's start, or its end with `end`) or RFC 3339.
fn when(cx: &Context, checks: &mut Checks, field: &str, text: &str, end: bool) -> i64 {
    let t = text.trim();
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(t) {
        return at.timestamp_millis();
    }
    if let Ok(day) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let day = if end {
            day.succ_opt().unwrap_or(day)
        } else {
            day
        };
        let local = day.and_hms_opt(0, 0, 0).expect("midnight");
        if let Some(at) = cx.settings.time_zone.from_local_datetime(&local).earliest() {
            return at.timestamp_millis() - i64::from(end);
        }
    }
    checks.add(field, "must be a day (2027-01-31) or a time (RFC 3339)");
    0
}

/// Creates a campaign and invites its shops (the node's admin).
pub async fn create_campaign(cx: &Context, who: &Caller, input: CampaignInput) -> Result<Campaign> {
    allow(who, Action::RunNode)?;
    let mut checks = Checks::default();
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 120 {
        checks.add("name", "must be 1 to 120 characters");
    }
    let face = euros(&mut checks, "face_value", &input.face_value, false);
    let price = euros(&mut checks, "price", &input.price, true);
    if face > 10_000_000 {
        checks.add("face_value", "at most 100000.00 euros");
    }
    if face > 0 && price > face {
        checks.add("price", "must not exceed the face value");
    }
    if !(1..=1_000_000).contains(&input.quantity) {
        checks.add("quantity", "must be between 1 and 1,000,000");
    }
    let from = when(cx, &mut checks, "issue_from", &input.issue_from, false);
    let until = when(cx, &mut checks, "issue_until", &input.issue_until, true);
    let valid = when(cx, &mut checks, "valid_until", &input.valid_until, true);
    if !checks.has("issue_until") && !checks.has("issue_from") && until <= from {
        checks.add("issue_until", "must be after issue_from");
    }
    if !checks.has("valid_until") && !checks.has("issue_until") && valid < until {
        checks.add("valid_until", "must not be before issue_until");
    }
    let eligibility = match input.eligibility.trim() {
        "anyone" => Eligibility::Anyone,
        "one_per_email" | "" => Eligibility::OnePerEmail,
        "list" => Eligibility::List,
        "postal_codes" => {
            let codes: Vec<String> = input
                .postal_codes
                .iter()
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            if codes.is_empty()
                || codes
                    .iter()
                    .any(|c| c.len() != 5 || !c.bytes().all(|b| b.is_ascii_digit()))
            {
                checks.add("postal_codes", "a list of five-digit postal codes");
            }
            Eligibility::PostalCodes(codes)
        }
        _ => {
            checks.add(
                "eligibility",
                "must be anyone, one_per_email, postal_codes or list",
            );
            Eligibility::Anyone
        }
    };
    let mut shops = Vec::new();
    for (i, slug) in input.merchants.iter().enumerate() {
        match super::read::shop(cx, slug).await? {
            Some(super::read::Found::Live(m)) if m.ap_id.starts_with(cx.urls.base()) => {
                shops.push(m)
            }
            _ => checks.add(
                format!("merchants[{i}]"),
                format!("no shop \"{slug}\" here"),
            ),
        }
    }
    checks.finish()?;
    let now = cx.clock.now_ms();
    let c = Campaign {
        id: Uuid::now_v7(),
        name,
        face_minor: face,
        price_minor: price,
        currency: "EUR".into(),
        quantity: input.quantity,
        issue_from: from,
        issue_until: until,
        valid_until: valid,
        eligibility,
        created_at: now,
    };
    let mut tx = cx.begin().await?;
    db::vouchers::insert_campaign(&mut tx, &c).await?;
    for m in &shops {
        db::vouchers::set_shop(&mut tx, c.id, m.id, ShopState::Invited, now).await?;
    }
    cx.commit(tx).await?;
    Ok(c)
}

/// A campaign by id.
pub async fn campaign(cx: &Context, id: &str) -> Result<Campaign> {
    let id = Uuid::parse_str(id).map_err(|_| Error::NotFound("no such campaign".into()))?;
    db::vouchers::campaign(cx.db.pool(), id)
        .await?
        .ok_or_else(|| Error::NotFound("no such campaign".into()))
}

/// A campaign's figures, in cents: issued (count), issued (value), spent, left on vouchers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Figures {
    /// Vouchers issued.
    pub issued: i64,
    /// Their face value.
    pub issued_minor: i64,
    /// Spent in the shops.
    pub spent_minor: i64,
    /// Left on the vouchers.
    pub left_minor: i64,
    /// Left on vouchers whose validity ended (never to be spent).
    pub expired_minor: i64,
    /// Vouchers still to issue in the budget.
    pub budget_left: i64,
}

/// A campaign's figures, live.
pub async fn figures(cx: &Context, c: &Campaign) -> Result<Figures> {
    let (issued, issued_minor, spent_minor, left_minor, made) =
        db::vouchers::figures(cx.db.pool(), c.id).await?;
    let expired = cx.clock.now_ms() > c.valid_until;
    Ok(Figures {
        issued,
        issued_minor,
        spent_minor,
        left_minor,
        expired_minor: if expired { left_minor } else { 0 },
        budget_left: (c.quantity - made).max(0),
    })
}

/// Every campaign with its figures (the admin).
pub async fn campaigns(cx: &Context, who: &Caller) -> Result<Vec<(Campaign, Figures)>> {
    allow(who, Action::RunNode)?;
    let mut out = Vec::new();
    for c in db::vouchers::campaigns(cx.db.pool()).await? {
        let f = figures(cx, &c).await?;
        out.push((c, f));
    }
    Ok(out)
}

/// The shops of a campaign: id, slug, name, SIRET, state.
pub async fn shops_of(
    cx: &Context,
    c: &Campaign,
) -> Result<Vec<(Uuid, String, String, Option<String>, ShopState)>> {
    Ok(db::vouchers::shops_of(cx.db.pool(), c.id).await?)
}

/// The campaigns a shop was invited to (its people and tokens).
pub async fn campaigns_of_shop(
    cx: &Context,
    who: &Caller,
    m: &Merchant,
) -> Result<Vec<(Campaign, ShopState)>> {
    allow(who, Action::RedeemVouchers(m.id))?;
    Ok(db::vouchers::campaigns_of_shop(cx.db.pool(), m.id).await?)
}

/// A shop's owner accepts the campaign's invitation, or leaves it.
pub async fn answer_invitation(
    cx: &Context,
    who: &Caller,
    campaign_id: &str,
    m: &Merchant,
    accept: bool,
) -> Result<()> {
    allow(who, Action::EditShop(m.id))?;
    let c = campaign(cx, campaign_id).await?;
    if db::vouchers::shop_state(cx.db.pool(), c.id, m.id)
        .await?
        .is_none()
    {
        return Err(Error::NotAllowed(
            "this shop was not invited to this campaign".into(),
        ));
    }
    let mut tx = cx.begin().await?;
    let state = if accept {
        ShopState::Accepted
    } else {
        ShopState::Left
    };
    db::vouchers::set_shop(&mut tx, c.id, m.id, state, cx.clock.now_ms()).await?;
    cx.commit(tx).await?;
    Ok(())
}

/// Imports the addresses entitled to a `list` campaign, one a line (a CSV's first column;
/// a header line and blank lines are skipped). Returns how many were new; every bad line is
/// named.
pub async fn import_entitled(
    cx: &Context,
    who: &Caller,
    campaign_id: &str,
    text: &str,
) -> Result<u64> {
    allow(who, Action::RunNode)?;
    let c = campaign(cx, campaign_id).await?;
    let mut checks = Checks::default();
    let mut emails = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let first = line
            .split([',', ';', '\t'])
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if first.is_empty() || (i == 0 && !first.contains('@')) {
            continue;
        }
        match fold_email(first) {
            Ok(e) => emails.push(e),
            Err(_) => checks.add(
                format!("line {}", i + 1),
                format!("{first:?} is not an e-mail address"),
            ),
        }
        if emails.len() > 200_000 {
            checks.add("file", "at most 200,000 addresses");
            break;
        }
    }
    checks.finish()?;
    // Short transactions of 5,000 addresses: the writer is never held for long.
    let mut added = 0;
    for chunk in emails.chunks(5000) {
        let mut tx = cx.begin().await?;
        added += db::vouchers::add_entitled(&mut tx, c.id, chunk).await?;
        cx.commit(tx).await?;
    }
    Ok(added)
}

/// How many addresses a campaign's list holds.
pub async fn entitled_count(cx: &Context, c: &Campaign) -> Result<i64> {
    Ok(db::vouchers::entitled_count(cx.db.pool(), c.id).await?)
}

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
    let m = match super::read::shop(cx, slug).await? {
        Some(super::read::Found::Live(m)) => m,
        Some(super::read::Found::Deleted(_)) => {
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
    if db::vouchers::reimbursed_up_to(&mut tx, r.campaign_id, r.merchant_id)
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

/// The live shops taking part in a campaign.
pub async fn participants(cx: &Context, c: &Campaign) -> Result<Vec<Merchant>> {
    let ids: Vec<Uuid> = db::vouchers::shops_of(cx.db.pool(), c.id)
        .await?
        .into_iter()
        .filter(|s| s.4 == ShopState::Accepted)
        .map(|s| s.0)
        .collect();
    let mut shops = super::read::live_shops(cx, &ids).await?;
    shops.sort_by(|a, b| a.fields.name.cmp(&b.fields.name));
    Ok(shops)
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

/// What the town owes each shop of a campaign.
#[derive(Debug, Clone)]
pub struct Owed {
    /// Shop id.
    pub merchant_id: Uuid,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// SIRET.
    pub siret: Option<String>,
    /// Redemptions not cancelled.
    pub redemptions: i64,
    /// Their total, cents.
    pub amount_minor: i64,
    /// Reimbursed so far, cents.
    pub reimbursed_minor: i64,
}

/// Per shop: redemptions, amount, reimbursed (the admin).
pub async fn reimbursements(
    cx: &Context,
    who: &Caller,
    campaign_id: &str,
) -> Result<(Campaign, Vec<Owed>)> {
    allow(who, Action::RunNode)?;
    let c = campaign(cx, campaign_id).await?;
    let shops = db::vouchers::shops_of(cx.db.pool(), c.id).await?;
    let owed = db::vouchers::owed(cx.db.pool(), c.id).await?;
    let rows = shops
        .into_iter()
        .map(|(id, slug, name, siret, _)| {
            let (n, amount, paid) = owed
                .iter()
                .find(|o| o.0 == id)
                .map_or((0, 0, 0), |o| (o.1, o.2, o.3));
            Owed {
                merchant_id: id,
                slug,
                name,
                siret,
                redemptions: n,
                amount_minor: amount,
                reimbursed_minor: paid,
            }
        })
        .collect();
    Ok((c, rows))
}

/// Every redemption of a campaign as the accountant needs it: campaign, shop, SIRET, voucher,
/// amount, date, redemption id.
pub async fn accounting_rows(
    cx: &Context,
    who: &Caller,
    campaign_id: &str,
) -> Result<(Campaign, Vec<[String; 7]>)> {
    let (c, owed) = reimbursements(cx, who, campaign_id).await?;
    let rows = db::vouchers::redemptions_of(cx.db.pool(), c.id).await?;
    let tz = cx.settings.time_zone;
    let out = rows
        .into_iter()
        .map(|(r, code)| {
            let shop = owed.iter().find(|o| o.merchant_id == r.merchant_id);
            [
                c.name.clone(),
                shop.map(|s| s.name.clone()).unwrap_or_default(),
                shop.and_then(|s| s.siret.clone()).unwrap_or_default(),
                voucher_code::masked(&code),
                etal_protocol::money::format_minor(r.amount_minor, 2),
                tz.timestamp_millis_opt(r.created_at)
                    .single()
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                r.id.to_string(),
            ]
        })
        .collect();
    Ok((c, out))
}

/// The admin records that a shop was reimbursed what it is owed now (date and reference).
/// What is owed is read in the same transaction, the campaign's row taken: a second click
/// finds nothing more to reimburse.
pub async fn mark_reimbursed(
    cx: &Context,
    who: &Caller,
    campaign_id: &str,
    slug: &str,
    reference: &str,
) -> Result<i64> {
    let (c, owed) = reimbursements(cx, who, campaign_id).await?;
    let Some(o) = owed.iter().find(|o| o.slug == slug) else {
        return Err(Error::NotFound(format!(
            "the shop \"{slug}\" is not in this campaign"
        )));
    };
    if reference.trim().is_empty() || reference.chars().count() > 200 {
        let mut k = Checks::default();
        k.add("reference", "the payment's reference, 1 to 200 characters");
        k.finish()?;
    }
    let mut tx = cx.begin().await?;
    db::vouchers::lock_campaign(&mut tx, c.id, cx.db.row_lock()).await?;
    let (amount, paid) = db::vouchers::owed_to(&mut tx, c.id, o.merchant_id).await?;
    let due = amount - paid;
    if due <= 0 {
        return Err(Error::Conflict {
            detail: "nothing is owed to this shop".into(),
            field: None,
        });
    }
    db::vouchers::reimburse(
        &mut tx,
        c.id,
        o.merchant_id,
        due,
        reference.trim(),
        cx.clock.now_ms(),
    )
    .await?;
    cx.commit(tx).await?;
    Ok(due)
}

/// Forgets the requests older than two days (their addresses with them).
pub async fn purge_requests(cx: &Context) -> Result<u64> {
    let mut tx = cx.begin().await?;
    let n = db::vouchers::purge_requests(&mut tx, cx.clock.now_ms() - 2 * REQUEST_MS).await?;
    cx.commit(tx).await?;
    Ok(n)
}

/// Vouchers whose stored balance is not their face value minus their redemptions (none, ever).
pub async fn audit(cx: &Context) -> Result<Vec<(Uuid, i64, i64)>> {
    Ok(db::vouchers::audit(cx.db.pool()).await?)
}

/// The accounting rows as CSV (UTF-8 with a BOM, `;`, decimal comma: what a French
/// spreadsheet opens as is).
pub fn accounting_csv(rows: &[[String; 7]]) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let _ = w.write_record(ACCOUNTING_COLUMNS);
    for r in rows {
        let mut r: Vec<String> = r.iter().map(|c| spreadsheet_safe(c)).collect();
        r[4] = r[4].replace('.', ",");
        let _ = w.write_record(&r);
    }
    out.extend(w.into_inner().unwrap_or_default());
    out
}

/// A cell a spreadsheet shows as written: one starting like a formula gets a leading quote.
fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// The columns of the accounting exports.
pub const ACCOUNTING_COLUMNS: [&str; 7] = [
    "campagne",
    "commerce",
    "siret",
    "bon",
    "montant_eur",
    "date",
    "id_encaissement",
];

/// The accounting rows as an Excel workbook (amounts as numbers).
pub fn accounting_xlsx(c: &Campaign, rows: &[[String; 7]]) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let xlsx = |e: rust_xlsxwriter::XlsxError| Error::Internal(e.into());
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("0.00");
    let sheet = book.add_worksheet();
    let name: String = c
        .name
        .chars()
        .filter(|ch| !"[]:*?/\\".contains(*ch))
        .take(31)
        .collect();
    if !name.is_empty() {
        sheet.set_name(&name).map_err(xlsx)?;
    }
    for (i, h) in ACCOUNTING_COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(0, i as u16, *h, &bold)
            .map_err(xlsx)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (i, v) in row.iter().enumerate() {
            if i == 4 {
                let n: f64 = v.parse().unwrap_or(0.0);
                sheet
                    .write_number_with_format(r, i as u16, n, &money)
                    .map_err(xlsx)?;
            } else {
                sheet.write_string(r, i as u16, v).map_err(xlsx)?;
            }
        }
    }
    book.save_to_buffer().map_err(xlsx)
}

/// Every campaign's figures and its number of participating shops, for the open data (no
/// person, no voucher, no shop's own takings).
pub async fn public_figures(cx: &Context) -> Result<Vec<(Campaign, Figures, usize)>> {
    let mut out = Vec::new();
    for c in db::vouchers::campaigns(cx.db.pool()).await? {
        let f = figures(cx, &c).await?;
        let shops = participants(cx, &c).await?.len();
        out.push((c, f, shops));
    }
    Ok(out)
}
