//! A shop's reservations (its owners and staff): the list, new ones first, each with its
//! lines, slot and contact, and the answers (accept all or some, decline with a reason, ready,
//! collected, block the customer); and the settings (owners only).

use askama::Template;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;

use super::wares::{shop_dash, shop_for};
use super::{Dash, Visit};
use crate::domain::authz::Action;
use crate::domain::reservations::{self, Act, SettingsChange, Status};
use crate::error::Error;
use crate::model::merchant::Merchant;
use crate::present::reservation as words;
use crate::present::Lang;

/// Words of these pages.
pub struct ResWords {
    title: &'static str,
    none: &'static str,
    new: &'static str,
    others: &'static str,
    accept: &'static str,
    accept_some: &'static str,
    message: &'static str,
    decline: &'static str,
    reason: &'static str,
    ready: &'static str,
    collected: &'static str,
    block: &'static str,
    note: &'static str,
    settings: &'static str,
    enabled: &'static str,
    preparation: &'static str,
    slot: &'static str,
    capacity: &'static str,
    grace: &'static str,
    reservable: &'static str,
    save: &'static str,
    settings_hint: &'static str,
}

fn res_words(lang: Lang) -> ResWords {
    match lang {
        Lang::Fr => ResWords {
            title: "Réservations",
            none: "Aucune réservation pour l’instant.",
            new: "Nouvelles",
            others: "Les autres",
            accept: "Tout accepter",
            accept_some: "Accepter ces quantités",
            message: "Un mot pour le client (facultatif)",
            decline: "Refuser",
            reason: "Raison (facultatif)",
            ready: "Prête",
            collected: "Retirée",
            block: "Bloquer ce client",
            note: "Note du client",
            settings: "Réglages des réservations",
            enabled: "Prendre des réservations (retrait en boutique)",
            preparation: "Délai de préparation (minutes)",
            slot: "Durée d’un créneau (minutes)",
            capacity: "Réservations par créneau",
            grace: "Délai de grâce après le créneau (minutes)",
            reservable: "Produits réservables",
            save: "Enregistrer",
            settings_hint: "Les créneaux suivent vos horaires d’ouverture.",
        },
        Lang::En => ResWords {
            title: "Reservations",
            none: "No reservations yet.",
            new: "New",
            others: "The others",
            accept: "Accept all",
            accept_some: "Accept these quantities",
            message: "A word for the customer (optional)",
            decline: "Decline",
            reason: "Reason (optional)",
            ready: "Ready",
            collected: "Collected",
            block: "Block this customer",
            note: "Customer's note",
            settings: "Reservation settings",
            enabled: "Take reservations (collect at the shop)",
            preparation: "Preparation time (minutes)",
            slot: "Slot length (minutes)",
            capacity: "Reservations per slot",
            grace: "Grace after the slot (minutes)",
            reservable: "Products that can be reserved",
            save: "Save",
            settings_hint: "Slots follow your opening hours.",
        },
    }
}

/// A reservation as the list shows it.
pub struct Row {
    id: String,
    number: i64,
    status: String,
    open_new: bool,
    can_ready: bool,
    can_collect: bool,
    can_decline: bool,
    when: String,
    lines: Vec<(usize, String, i64)>,
    line_words: Vec<String>,
    total: String,
    contact: Vec<String>,
    note: Option<String>,
    message: Option<String>,
}

#[derive(Template)]
#[template(path = "dash/reservations.html")]
struct ListPage {
    d: Dash,
    title: &'static str,
    r: ResWords,
    slug: String,
    owner: bool,
    new: Vec<Row>,
    others: Vec<Row>,
}

fn row(v: &Visit, r: &reservations::Reservation) -> Row {
    let lang = v.lang;
    let tz = v.node.cx.settings.time_zone;
    let c = &r.customer;
    Row {
        id: r.id.clone(),
        number: r.number,
        status: words::status_name(lang, r.status.as_str()).to_string(),
        open_new: r.status == Status::Requested,
        can_ready: matches!(r.status, Status::Requested | Status::Accepted),
        can_collect: matches!(r.status, Status::Accepted | Status::Ready),
        can_decline: matches!(r.status, Status::Requested | Status::Accepted),
        when: words::slot(lang, tz, r.pickup_start, r.pickup_end),
        lines: r
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| (i, l.name.clone(), l.quantity))
            .collect(),
        line_words: words::lines(lang, &r.told()),
        total: words::amount(lang, r.total_minor(), &r.currency),
        contact: [&c.name, &c.email, &c.phone, &c.actor]
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
        note: r.note.clone(),
        message: r.message.clone(),
    }
}

/// `GET /dashboard/shops/{slug}/reservations`.
pub async fn list(v: Visit, Path(slug): Path<String>) -> Response {
    let m = match shop_for(&v, &slug, Action::HandleReservations).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    list_page(&v, &m, StatusCode::OK, vec![]).await
}

async fn list_page(v: &Visit, m: &Merchant, status: StatusCode, errors: Vec<String>) -> Response {
    let all = match reservations::of_shop(&v.node.cx, &v.caller(), &m.slug, None).await {
        Ok((_, list)) => list,
        Err(e) => return v.error(e),
    };
    let (new, others): (Vec<_>, Vec<_>) = all.iter().partition(|r| r.status == Status::Requested);
    let mut d = shop_dash(v, m, "reservations");
    d.errors = errors;
    let owner = crate::domain::authz::allow(&v.caller(), Action::EditShop(m.id)).is_ok();
    v.render(
        status,
        &ListPage {
            d,
            title: res_words(v.lang).title,
            r: res_words(v.lang),
            slug: m.slug.clone(),
            owner,
            new: new.iter().map(|r| row(v, r)).collect(),
            others: others.iter().map(|r| row(v, r)).collect(),
        },
    )
}

/// `POST /dashboard/shops/{slug}/reservations/{id}/{action}`.
pub async fn act(
    v: Visit,
    Path((slug, id, action)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let m = match shop_for(&v, &slug, Action::HandleReservations).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    // The reservation must be this shop's.
    match reservations::get(&v.node.cx, &id).await {
        Ok(r) if r.merchant_id == m.id => {}
        Ok(_) => return v.error(Error::NotFound("no such reservation".into())),
        Err(e) => return v.error(e),
    }
    let back = format!("/dashboard/shops/{slug}/reservations");
    let act = match action.as_str() {
        "accept" => Act::Accept {
            quantities: None,
            message: f.opt("message"),
        },
        "accept-some" => {
            let mut q = Vec::new();
            for i in 0..reservations::MAX_LINES {
                let raw = f.get(&format!("q{i}"));
                if raw.is_empty() {
                    break;
                }
                q.push(raw.trim().parse::<i64>().unwrap_or(-1));
            }
            Act::Accept {
                quantities: Some(q),
                message: f.opt("message"),
            }
        }
        "decline" => Act::Decline {
            reason: f.opt("reason"),
        },
        "ready" => Act::Ready,
        "collected" => Act::Collected,
        "block" => {
            return match reservations::block_customer(&v.node.cx, &v.caller(), &id).await {
                Ok(()) => Visit::done(&back, "saved"),
                Err(e @ (Error::Invalid(_) | Error::Conflict { .. })) => {
                    let lines = v.error_lines(&e);
                    list_page(&v, &m, StatusCode::CONFLICT, lines).await
                }
                Err(e) => v.error(e),
            };
        }
        _ => return v.error(Error::NotFound("no such action".into())),
    };
    match reservations::act(&v.node.cx, &v.caller(), &id, act).await {
        Ok(_) => Visit::done(&back, "saved"),
        Err(e @ (Error::Invalid(_) | Error::Conflict { .. })) => {
            let lines = v.error_lines(&e);
            let status = if matches!(e, Error::Invalid(_)) {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::CONFLICT
            };
            list_page(&v, &m, status, lines).await
        }
        Err(e) => v.error(e),
    }
}

#[derive(Template)]
#[template(path = "dash/reservation_settings.html")]
struct SettingsPage {
    d: Dash,
    title: &'static str,
    r: ResWords,
    slug: String,
    enabled: bool,
    preparation: i64,
    slot: i64,
    capacity: i64,
    grace: i64,
    products: Vec<(String, String, bool)>,
}

async fn settings_page(
    v: &Visit,
    m: &Merchant,
    status: StatusCode,
    errors: Vec<String>,
) -> Response {
    let s = match reservations::settings_of(&v.node.cx, m.id).await {
        Ok(s) => s,
        Err(e) => return v.error(e),
    };
    let products = match reservations::shop_products(&v.node.cx, m.id).await {
        Ok(p) => p,
        Err(e) => return v.error(e),
    };
    let mut d = shop_dash(v, m, "reservations");
    d.errors = errors;
    v.render(
        status,
        &SettingsPage {
            d,
            title: res_words(v.lang).settings,
            r: res_words(v.lang),
            slug: m.slug.clone(),
            enabled: s.enabled,
            preparation: s.preparation_minutes,
            slot: s.slot_minutes,
            capacity: s.slot_capacity,
            grace: s.grace_minutes,
            products: products
                .into_iter()
                .map(|(id, name)| {
                    let on = !s.excluded_products.contains(&id);
                    (id.to_string(), name, on)
                })
                .collect(),
        },
    )
}

/// `GET /dashboard/shops/{slug}/reservations/settings` (owners).
pub async fn settings(v: Visit, Path(slug): Path<String>) -> Response {
    match shop_for(&v, &slug, Action::EditShop).await {
        Ok(m) => settings_page(&v, &m, StatusCode::OK, vec![]).await,
        Err(r) => r,
    }
}

/// `POST /dashboard/shops/{slug}/reservations/settings` (owners).
pub async fn save_settings(v: Visit, Path(slug): Path<String>, body: Bytes) -> Response {
    let m = match shop_for(&v, &slug, Action::EditShop).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let number = |name: &str| f.get(name).trim().parse::<i64>().ok().or(Some(-1));
    let products = match reservations::shop_products(&v.node.cx, m.id).await {
        Ok(p) => p,
        Err(e) => return v.error(e),
    };
    let chosen = f.all("reservable");
    let change = SettingsChange {
        enabled: Some(!f.get("enabled").is_empty()),
        preparation_minutes: number("preparation_minutes"),
        slot_minutes: number("slot_minutes"),
        slot_capacity: number("slot_capacity"),
        grace_minutes: number("grace_minutes"),
        excluded_products: Some(
            products
                .iter()
                .filter(|(id, _)| !chosen.contains(&id.to_string()))
                .map(|(id, _)| *id)
                .collect(),
        ),
    };
    match reservations::set_settings(&v.node.cx, &v.caller(), &slug, &change).await {
        Ok(_) => Visit::done(&format!("/dashboard/shops/{slug}/reservations"), "saved"),
        Err(e @ Error::Invalid(_)) => {
            let lines = v.error_lines(&e);
            settings_page(&v, &m, StatusCode::UNPROCESSABLE_ENTITY, lines).await
        }
        Err(e) => v.error(e),
    }
}
