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

mod accounts;
mod issuing;
mod spending;

pub use accounts::{
    accounting_csv, accounting_rows, accounting_xlsx, audit, mark_reimbursed, public_figures,
    reimbursements, Owed, ACCOUNTING_COLUMNS,
};
pub use issuing::{
    ask, awaiting_payment, confirm, issue, mark_paid, purge_requests, AtTheCounter, Payments,
};
pub use spending::{cancel_redemption, cancellable, holder_view, lookup, redeem};

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
        match crate::domain::read::shop(cx, slug).await? {
            Some(crate::domain::read::Found::Live(m)) if m.ap_id.starts_with(cx.urls.base()) => {
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

/// The live shops taking part in a campaign.
pub async fn participants(cx: &Context, c: &Campaign) -> Result<Vec<Merchant>> {
    let ids: Vec<Uuid> = db::vouchers::shops_of(cx.db.pool(), c.id)
        .await?
        .into_iter()
        .filter(|s| s.4 == ShopState::Accepted)
        .map(|s| s.0)
        .collect();
    let mut shops = crate::domain::read::live_shops(cx, &ids).await?;
    shops.sort_by(|a, b| a.fields.name.cmp(&b.fields.name));
    Ok(shops)
}
