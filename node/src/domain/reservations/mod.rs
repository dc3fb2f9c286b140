//! Click & collect: the rules of reservations. Reserving holds the stock at once, in the same
//! transaction that stores the reservation (so the last item goes to exactly one customer);
//! every step that ends a line gives its quantity back; prices are frozen when reserved; slots
//! are checked here, from the shop's opening hours in the town's time zone. Each step queues a
//! notice (mail to the customer or the shop, or a message to a fediverse customer) in the
//! step's own transaction; `delivery::notices` sends them.

use base64::Engine;
use chrono::{NaiveDate, TimeZone};
use etal_protocol::Availability;
use uuid::Uuid;

use super::authz::{allow, Action, Caller};
use super::Context;
use crate::db;
use crate::db::outbox;
use crate::error::{Checks, Error, Result};
use crate::model::merchant::Merchant;
use crate::model::product::Product;
pub use crate::model::reservation::{
    Customer, Line, Notice, Reservation, ReservationSettings, Slot, Status, Step,
};

mod notices;
mod settings;
mod slots;
mod stock;
mod sweep;

pub use notices::{due_notices, notice_done, shop_addresses, take_notice};
pub use settings::{
    change_of, changed, reservable, save_settings, set_settings, settings_of, shop_products,
    SettingsChange,
};
use slots::{check_slot, first_slot};
pub use slots::{day_slots, free_slots, local_date, next_slots};
use stock::{give_back, take_stock};
pub use sweep::{block_customer, sweep};

/// Most lines in one reservation.
pub const MAX_LINES: usize = 30;
/// Most units of one product in one reservation.
pub const MAX_QUANTITY: i64 = 999;
/// Reservations one contact may send in a day.
pub const CONTACT_PER_DAY: i64 = 20;
/// Days ahead a customer may pick up.
pub const DAYS_AHEAD: i64 = 14;

/// What a customer asks for (from the basket page, the API or an `Offer`).
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The shop's slug.
    pub merchant: String,
    /// Product ids and quantities.
    pub lines: Vec<(String, i64)>,
    /// The slot's start, as typed (RFC 3339), or `None` for the first free slot (an `Offer`).
    pub pickup: Option<String>,
    /// Who asks.
    pub customer: Customer,
    /// A word to the shop.
    pub note: Option<String>,
    /// `fr` or `en`.
    pub lang: String,
    /// The `Offer` it comes from.
    pub offer_id: Option<String>,
    /// Who sends it: the client's address (or an `Offer`'s server), for the rate limit.
    pub client: String,
}

/// What the shop answers.
#[derive(Debug, Clone)]
pub enum Act {
    /// Accept every line, or the quantities given (a line's position → units).
    Accept {
        /// Units accepted per line, in order; `None` accepts all.
        quantities: Option<Vec<i64>>,
        /// A word to the customer.
        message: Option<String>,
    },
    /// Decline.
    Decline {
        /// Why.
        reason: Option<String>,
    },
    /// Ready to collect.
    Ready,
    /// Collected.
    Collected,
    /// Cancelled by the customer.
    Cancel,
}

impl Act {
    /// How the API spells it.
    pub fn parse(s: &str) -> Option<Act> {
        Some(match s {
            "accept" => Act::Accept {
                quantities: None,
                message: None,
            },
            "decline" => Act::Decline { reason: None },
            "ready" => Act::Ready,
            "collected" => Act::Collected,
            "cancel" => Act::Cancel,
            _ => return None,
        })
    }
}

/// A new reservation id: 144 random bits, base64url (24 characters).
fn new_id() -> String {
    let bytes: [u8; 18] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `id` looks like a reservation id (before any query).
pub fn plausible_id(id: &str) -> bool {
    id.len() == 24
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What limits and blocks match a customer by: the folded e-mail, the phone's digits, or the
/// actor's id.
pub fn contact_key(c: &Customer) -> String {
    if let Some(a) = &c.actor {
        return format!("actor:{a}");
    }
    if let Some(e) = &c.email {
        return format!("email:{}", e.trim().to_lowercase());
    }
    if let Some(p) = &c.phone {
        let digits: String = p.chars().filter(char::is_ascii_digit).collect();
        let national = digits
            .strip_prefix("33")
            .map(|d| format!("0{d}"))
            .unwrap_or(digits);
        return format!("phone:{national}");
    }
    String::new()
}

/// A live shop by slug (404, or 410 once deleted).
async fn shop(cx: &Context, slug: &str) -> Result<Merchant> {
    match super::read::shop(cx, slug).await? {
        Some(super::read::Found::Live(m)) => Ok(m),
        Some(super::read::Found::Deleted(_)) => {
            Err(Error::Deleted(format!("the shop \"{slug}\" was deleted")))
        }
        None => Err(Error::NotFound(format!("no shop \"{slug}\""))),
    }
}

fn parse_time(field: &str, text: &str) -> Result<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|_| invalid(field, "must be a time such as 2026-12-09T10:00:00+01:00"))
}

fn invalid(field: &str, message: &str) -> Error {
    let mut c = Checks::default();
    c.add(field, message);
    c.finish().expect_err("one error")
}

fn conflict(field: &str, detail: String) -> Error {
    Error::Conflict {
        detail,
        field: Some(field.into()),
    }
}

/// Checks what can be checked before any transaction.
fn precheck(r: &Request) -> Result<()> {
    let mut checks = Checks::default();
    if r.merchant.trim().is_empty() {
        checks.required("merchant");
    }
    if r.lines.is_empty() {
        checks.add("lines", "at least one line");
    }
    if r.lines.len() > MAX_LINES {
        checks.add("lines", format!("at most {MAX_LINES} lines"));
    }
    for (i, (product, q)) in r.lines.iter().enumerate() {
        if Uuid::parse_str(product).is_err() {
            checks.add(format!("lines[{i}].product"), "is not a product id");
        }
        if !(1..=MAX_QUANTITY).contains(q) {
            checks.add(
                format!("lines[{i}].quantity"),
                format!("must be between 1 and {MAX_QUANTITY}"),
            );
        }
    }
    let c = &r.customer;
    if c.actor.is_none() {
        let name = c.name.as_deref().unwrap_or("").trim();
        if name.is_empty() {
            checks.required("customer.name");
        } else if name.chars().count() > 100 {
            checks.add("customer.name", "at most 100 characters");
        }
        let email = c.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
        let phone = c.phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
        if email.is_none() && phone.is_none() {
            checks.add(
                "customer.email",
                "an e-mail address or a phone number is needed",
            );
        }
        if let Some(e) = email {
            let ok = e.len() <= 200
                && e.split_once('@').is_some_and(|(a, b)| {
                    !a.is_empty() && b.contains('.') && !b.starts_with('.') && !b.ends_with('.')
                })
                && !e
                    .chars()
                    .any(|ch| ch.is_whitespace() || ch == '<' || ch == '>');
            if !ok {
                checks.add("customer.email", "is not an e-mail address");
            }
        }
        if let Some(p) = phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            let ok = (8..=15).contains(&digits)
                && p.chars()
                    .all(|ch| ch.is_ascii_digit() || " +.-()".contains(ch));
            if !ok {
                checks.add("customer.phone", "is not a phone number");
            }
        }
    }
    if r.note.as_deref().is_some_and(|n| n.chars().count() > 1000) {
        checks.add("note", "at most 1,000 characters");
    }
    if r.pickup.is_none() && r.offer_id.is_none() {
        checks.required("pickup");
    }
    checks.finish()
}

fn clean(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A shop as reservations need it: live, local, reservations on (its settings row locked).
async fn open_shop(
    cx: &Context,
    tx: &mut db::Tx,
    slug: &str,
) -> Result<(Merchant, ReservationSettings)> {
    let m = db::merchants::by_slug_locked(&mut **tx, slug, db::Lock::None)
        .await?
        .filter(|m| m.deleted_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("no shop \"{slug}\"")))?;
    let s = db::reservations::settings(&mut **tx, m.id, cx.db.row_lock())
        .await?
        .unwrap_or_default();
    if !s.enabled {
        return Err(conflict(
            "merchant",
            format!("the shop \"{slug}\" does not take reservations"),
        ));
    }
    Ok((m, s))
}

/// Makes a reservation: checks the shop, the products, the slot and the stock, holds the
/// stock and queues the notices, all in one transaction. A short line is a 409 naming it.
pub async fn reserve(cx: &Context, r: Request) -> Result<Reservation> {
    precheck(&r)?;
    rate_limit(cx, &r).await?;
    let mut tx = cx.begin().await?;
    let made = reserve_in(cx, &mut tx, r).await?;
    cx.commit(tx).await?;
    cx.committed().await;
    Ok(made)
}

/// At most so many reservations from one client an hour, and from one contact a day.
pub async fn rate_limit(cx: &Context, r: &Request) -> Result<()> {
    let now = cx.clock.now_ms();
    let per_client = cx.settings.limits.reservations_per_client_hour;
    let tries = db::accounts::add_failure(
        cx.db.writer(),
        &format!("reserve:{}", r.client),
        now,
        now - 3_600_000,
    )
    .await?;
    if tries > per_client {
        return Err(Error::TooManyAttempts {
            detail: format!("at most {per_client} reservations an hour from one address"),
            retry_after: 600,
        });
    }
    let key = contact_key(&r.customer);
    let tries = db::accounts::add_failure(
        cx.db.writer(),
        // Hashed: the throttle keeps no address nor phone number in clear.
        &format!("reservecontact:{}", crate::keys::sha256_hex(&key)),
        now,
        now - 86_400_000,
    )
    .await?;
    if tries > CONTACT_PER_DAY {
        return Err(Error::TooManyAttempts {
            detail: format!("at most {CONTACT_PER_DAY} reservations a day for one contact"),
            retry_after: 3600,
        });
    }
    Ok(())
}

/// [`reserve`] inside the caller's transaction (an `Offer` arriving in the inbox).
pub async fn reserve_in(cx: &Context, tx: &mut db::Tx, r: Request) -> Result<Reservation> {
    precheck(&r)?;
    let now = cx.clock.now_ms();
    let (m, settings) = open_shop(cx, tx, &r.merchant).await?;
    let key = contact_key(&r.customer);
    if db::reservations::blocked(tx, m.id, &key).await? {
        return Err(Error::NotAllowed(
            "this shop does not take reservations from you".into(),
        ));
    }
    if db::reservations::open_of_contact(tx, &key).await? >= cx.settings.max_open_reservations {
        return Err(conflict(
            "customer",
            format!(
                "you already have {} reservations waiting: collect or cancel one first",
                cx.settings.max_open_reservations
            ),
        ));
    }
    // One line per product, quantities added up, in the customer's order.
    let mut wanted: Vec<(usize, Uuid, i64)> = Vec::new();
    for (i, (product, q)) in r.lines.iter().enumerate() {
        let id = Uuid::parse_str(product)
            .map_err(|_| invalid(&format!("lines[{i}].product"), "is not a product id"))?;
        match wanted.iter_mut().find(|w| w.1 == id) {
            Some(w) => w.2 += q,
            None => wanted.push((i, id, *q)),
        }
    }
    // Products are taken in the order of their ids, whatever the customer's order, so that two
    // transactions taking the same products never wait for each other in a circle.
    wanted.sort_by_key(|w| w.1);
    let mut currency: Option<String> = None;
    let mut lines = Vec::new();
    for (i, id, q) in wanted {
        let field = format!("lines[{i}].quantity");
        let mut p = match db::products::by_id(&mut **tx, id, cx.db.row_lock()).await? {
            Some(p) if p.deleted_at.is_none() && p.merchant_id == m.id && p.local => p,
            _ => {
                return Err(conflict(
                    &format!("lines[{i}].product"),
                    format!("no product {id} at this shop"),
                ))
            }
        };
        // Sold out by its stock: short (below), not unreservable.
        let sold_out = p.fields.availability == Availability::OutOfStock
            && p.fields.stock.is_none_or(|s| s > 0);
        if !settings.reservable(p.id) || sold_out {
            return Err(conflict(
                &format!("lines[{i}].product"),
                format!("\"{}\" cannot be reserved", p.fields.name),
            ));
        }
        if q > MAX_QUANTITY {
            return Err(invalid(
                &field,
                &format!("must be between 1 and {MAX_QUANTITY}"),
            ));
        }
        let code = p.fields.price.currency.code().to_string();
        if currency.as_ref().is_some_and(|c| *c != code) {
            return Err(conflict(&field, "one currency per reservation".into()));
        }
        currency = Some(code);
        if p.fields.price.minor.checked_mul(q).is_none() {
            return Err(conflict(
                &field,
                "this quantity at this price is too much".into(),
            ));
        }
        let left = p.fields.stock;
        if !take_stock(cx, tx, &mut p, q, now).await? {
            return Err(conflict(
                &field,
                format!("only {} left of \"{}\"", left.unwrap_or(0), p.fields.name),
            ));
        }
        lines.push((
            i,
            Line {
                product_id: p.id,
                name: p.fields.name.clone(),
                unit: p.fields.unit.as_str().to_string(),
                unit_price_minor: p.fields.price.minor,
                quantity: q,
                accepted: None,
            },
        ));
    }
    // Back in the customer's order.
    lines.sort_by_key(|l| l.0);
    let lines: Vec<Line> = lines.into_iter().map(|l| l.1).collect();
    let (start, end) = match &r.pickup {
        Some(text) => {
            let start = parse_time("pickup", text)?;
            check_slot(cx, tx, &m, &settings, start, now).await?
        }
        None => first_slot(cx, tx, &m, &settings, now).await?,
    };
    let reservation = Reservation {
        id: new_id(),
        number: db::reservations::next_number(tx, m.id).await?,
        merchant_id: m.id,
        status: Status::Requested,
        pickup_start: start,
        pickup_end: end,
        customer: Customer {
            name: clean(&r.customer.name),
            email: clean(&r.customer.email).map(|e| e.to_lowercase()),
            phone: clean(&r.customer.phone),
            actor: r.customer.actor.clone(),
        },
        offer_id: r.offer_id.clone(),
        note: clean(&r.note),
        message: None,
        lang: if r.lang == "en" { "en" } else { "fr" }.into(),
        currency: currency.unwrap_or_else(|| "EUR".into()),
        lines,
        created_at: now,
        updated_at: now,
        ended_at: None,
        purged_at: None,
    };
    db::reservations::insert(tx, &reservation, &key).await?;
    db::reservations::notice(tx, &reservation.id, Step::New, now).await?;
    if reservation.customer.actor.is_none() {
        db::reservations::notice(tx, &reservation.id, Step::Status(Status::Requested), now).await?;
    }
    Ok(reservation)
}

/// A reservation by its id, as the customer (who holds the id) or the shop sees it.
pub async fn get(cx: &Context, id: &str) -> Result<Reservation> {
    if !plausible_id(id) {
        return Err(Error::NotFound("no such reservation".into()));
    }
    let mut conn = cx.db.pool().acquire().await?;
    db::reservations::by_id(&mut conn, id, db::Lock::None)
        .await?
        .ok_or_else(|| Error::NotFound("no such reservation".into()))
}

/// A shop's reservations for its people, newest first.
pub async fn of_shop(
    cx: &Context,
    who: &Caller,
    slug: &str,
    status: Option<Status>,
) -> Result<(Merchant, Vec<Reservation>)> {
    let m = shop(cx, slug).await?;
    allow(who, Action::HandleReservations(m.id))?;
    let mut conn = cx.db.pool().acquire().await?;
    let mut list = db::reservations::of_shop(&mut conn, m.id, status, 200).await?;
    if status.is_none() {
        // Every new one, however old: the badge counts them all.
        let waiting =
            db::reservations::of_shop(&mut conn, m.id, Some(Status::Requested), 1000).await?;
        for r in waiting {
            if !list.iter().any(|x| x.id == r.id) {
                list.push(r);
            }
        }
    }
    Ok((m, list))
}

/// New reservations waiting at the shops a person handles (the dashboard's badge).
pub async fn waiting(cx: &Context, shops: &[Uuid]) -> Result<i64> {
    Ok(db::reservations::requested_count(cx.db.pool(), shops).await?)
}

/// Applies a step. The customer (who holds the id) may cancel until it is ready; the shop's
/// people and tokens do the rest. Steps that end lines give their stock back.
pub async fn act(cx: &Context, who: &Caller, id: &str, act: Act) -> Result<Reservation> {
    if !plausible_id(id) {
        return Err(Error::NotFound("no such reservation".into()));
    }
    let mut tx = cx.begin().await?;
    let Some(mut r) = db::reservations::by_id(&mut tx, id, cx.db.row_lock()).await? else {
        return Err(Error::NotFound("no such reservation".into()));
    };
    if !matches!(act, Act::Cancel) {
        allow(who, Action::HandleReservations(r.merchant_id))?;
    }
    let now = cx.clock.now_ms();
    let from = r.status;
    let refuse = |what: &str| {
        Err(conflict(
            "status",
            format!("a reservation {} cannot be {what}", from.as_str()),
        ))
    };
    let mut give: Vec<(Uuid, i64)> = Vec::new();
    let to = match &act {
        Act::Accept {
            quantities,
            message,
        } => {
            if from != Status::Requested {
                return refuse("accepted");
            }
            if let Some(q) = quantities {
                let mut checks = Checks::default();
                if q.len() != r.lines.len() {
                    checks.add("quantities", format!("one per line: {}", r.lines.len()));
                }
                for (i, (n, l)) in q.iter().zip(&r.lines).enumerate() {
                    if *n < 0 || *n > l.quantity {
                        checks.add(
                            format!("quantities[{i}]"),
                            format!("must be between 0 and {}", l.quantity),
                        );
                    }
                }
                checks.finish()?;
            }
            for (i, l) in r.lines.iter_mut().enumerate() {
                let n = quantities.as_ref().map_or(l.quantity, |q| q[i]);
                give.push((l.product_id, l.quantity - n));
                l.accepted = Some(n);
            }
            r.message = clean(message);
            if r.lines.iter().all(|l| l.accepted == Some(0)) {
                Status::Declined
            } else {
                Status::Accepted
            }
        }
        Act::Decline { reason } => {
            if !matches!(from, Status::Requested | Status::Accepted) {
                return refuse("declined");
            }
            for l in &r.lines {
                give.push((l.product_id, l.held()));
            }
            r.message = clean(reason);
            Status::Declined
        }
        Act::Ready => {
            if !matches!(from, Status::Requested | Status::Accepted) {
                return refuse("made ready");
            }
            for l in &mut r.lines {
                l.accepted.get_or_insert(l.quantity);
            }
            Status::Ready
        }
        Act::Collected => {
            if !matches!(from, Status::Accepted | Status::Ready) {
                return refuse("collected");
            }
            Status::Collected
        }
        Act::Cancel => {
            if !matches!(from, Status::Requested | Status::Accepted) {
                return refuse("cancelled");
            }
            for l in &r.lines {
                give.push((l.product_id, l.held()));
            }
            Status::Cancelled
        }
    };
    // In the order of the products' ids, as reserving takes them (no lock circle).
    give.sort_by_key(|g| g.0);
    for (product, units) in give {
        give_back(cx, &mut tx, product, units, now).await?;
    }
    r.status = to;
    if !to.open() {
        r.ended_at = Some(now);
    }
    r.updated_at = now;
    db::reservations::save_step(&mut tx, &r, now).await?;
    if from == Status::Requested && to == Status::Ready {
        // Ready without a word before: accepted first (an Offer's sender gets its Accept).
        db::reservations::notice(&mut tx, &r.id, Step::Status(Status::Accepted), now).await?;
    }
    db::reservations::notice(&mut tx, &r.id, Step::Status(to), now).await?;
    cx.commit(tx).await?;
    cx.committed().await;
    Ok(r)
}
