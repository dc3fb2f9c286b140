//! `/api/v1/reservations`: click & collect. Anyone may reserve (rate-limited); the customer
//! holds the reservation's id (its status page's secret) and may cancel; the shop's people and
//! tokens see and answer their shop's reservations. `/api/v1/merchants/{slug}/slots` lists
//! the free pick-up slots of a day.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::authz::Caller;
use crate::domain::reservations::{self, Act, Request, Reservation, Status};
use crate::error::{Error, Result};
use crate::http::extract::{ApiJson, ApiQuery, Client};
use crate::http::problem::Problem;
use crate::http::Node;
use crate::model::reservation::Customer;
use crate::present;
use crate::urls::Urls;

/// A line asked for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// Product id.
    pub product: String,
    /// Units.
    pub quantity: i64,
}

/// Who reserves: a name and an e-mail address or a phone number.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// Name.
    pub name: Option<String>,
    /// E-mail address (the status link and every step are sent there).
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

/// Body of `POST /api/v1/reservations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationCreate {
    /// The shop's slug.
    pub merchant: String,
    /// What to reserve, all from that shop.
    pub lines: Vec<LineInput>,
    /// Start of the pick-up slot (RFC 3339), one of `GET /api/v1/merchants/{slug}/slots`.
    pub pickup: String,
    /// Who reserves.
    pub customer: CustomerInput,
    /// A word to the shop.
    pub note: Option<String>,
    /// Language of the messages: `fr` (default) or `en`.
    pub lang: Option<String>,
}

/// Body of `POST /api/v1/reservations/{id}/{action}` (all optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActInput {
    /// `accept`: units accepted per line, in order (0 takes a line away).
    pub quantities: Option<Vec<i64>>,
    /// `accept`: a word to the customer; `decline`: the reason.
    pub message: Option<String>,
}

/// A line with its frozen price.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    /// Product id.
    pub product: String,
    /// Its name when reserved.
    pub name: String,
    /// Its unit of sale.
    pub unit: String,
    /// Price per unit when reserved (decimal string).
    pub unit_price: String,
    /// Units asked for.
    pub quantity: i64,
    /// Units the shop accepted, once it answered.
    pub accepted: Option<i64>,
    /// What the line holds now, priced.
    pub total: String,
}

/// The customer, as the shop sees them (empty once erased).
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    /// Name.
    pub name: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Fediverse actor.
    pub actor: Option<String>,
}

/// A reservation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReservationView {
    /// Its id, which is also the secret of its status page.
    pub id: String,
    /// A short number to speak of it at the shop.
    pub number: i64,
    /// The shop's slug.
    pub merchant: String,
    /// `requested`, `accepted`, `declined`, `ready`, `collected`, `cancelled` or `expired`.
    #[schema(value_type = String)]
    pub status: Status,
    /// The status page.
    pub status_url: String,
    /// Pick-up slot start (RFC 3339, the town's time zone).
    pub pickup: String,
    /// Pick-up slot end.
    pub pickup_end: String,
    /// Lines, prices frozen.
    pub lines: Vec<LineView>,
    /// Total of what it holds now.
    pub total: String,
    /// ISO 4217.
    pub currency: String,
    /// Who reserved.
    pub customer: CustomerView,
    /// The customer's note.
    pub note: Option<String>,
    /// The shop's word with its answer.
    pub message: Option<String>,
    /// Made.
    pub created_at: String,
    /// Last step.
    pub updated_at: String,
}

/// A page of a shop's reservations.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReservationList {
    /// Newest first (at most 200).
    pub items: Vec<ReservationView>,
}

/// A free pick-up slot.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotView {
    /// Start (RFC 3339, the town's time zone): what `pickup` takes.
    pub start: String,
    /// End.
    pub end: String,
    /// Places left.
    pub left: i64,
}

/// The free slots of a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotList {
    /// The day.
    pub date: String,
    /// Its free slots, in order.
    pub slots: Vec<SlotView>,
}

fn money(minor: i64, currency: &str) -> String {
    let digits = etal_protocol::Currency::from_code(currency).map_or(2, |c| c.minor_digits());
    etal_protocol::money::format_minor(minor, digits)
}

impl ReservationView {
    /// The API's view of a reservation.
    pub fn new(r: Reservation, slug: &str, urls: &Urls, tz: chrono_tz::Tz) -> ReservationView {
        let total = money(r.total_minor(), &r.currency);
        ReservationView {
            status_url: urls.reservation(&r.id).to_string(),
            number: r.number,
            merchant: slug.to_string(),
            status: r.status,
            pickup: present::local_time(tz, r.pickup_start),
            pickup_end: present::local_time(tz, r.pickup_end),
            lines: r
                .lines
                .iter()
                .map(|l| LineView {
                    product: l.product_id.to_string(),
                    name: l.name.clone(),
                    unit: l.unit.clone(),
                    unit_price: money(l.unit_price_minor, &r.currency),
                    quantity: l.quantity,
                    accepted: l.accepted,
                    total: money(l.unit_price_minor.saturating_mul(l.held()), &r.currency),
                })
                .collect(),
            total,
            currency: r.currency.clone(),
            customer: CustomerView {
                name: r.customer.name,
                email: r.customer.email,
                phone: r.customer.phone,
                actor: r.customer.actor,
            },
            note: r.note,
            message: r.message,
            created_at: present::local_time(tz, r.created_at),
            updated_at: present::local_time(tz, r.updated_at),
            id: r.id,
        }
    }
}

async fn view(node: &Node, r: Reservation) -> Result<ReservationView> {
    let slug = crate::domain::read::shop_by_id(&node.cx, r.merchant_id)
        .await?
        .map(|m| m.slug)
        .unwrap_or_default();
    Ok(ReservationView::new(
        r,
        &slug,
        &node.cx.urls,
        node.cx.settings.time_zone,
    ))
}

/// Reserves products of one shop for a pick-up slot; the stock is held at once.
#[utoipa::path(post, path = "/api/v1/reservations", tag = "reservations",
    request_body = ReservationCreate,
    responses(
        (status = 201, description = "Reserved; `Location` is the status page", body = ReservationView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The shop blocked this contact", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such shop", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Reservations off, a line short (the problem names it), the slot full or not the shop's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many reservations from this address or contact", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(node): State<Arc<Node>>,
    Client(client): Client,
    ApiJson(body): ApiJson<ReservationCreate>,
) -> Result<Response> {
    let request = Request {
        merchant: body.merchant,
        lines: body
            .lines
            .into_iter()
            .map(|l| (l.product, l.quantity))
            .collect(),
        pickup: Some(body.pickup),
        customer: Customer {
            name: body.customer.name,
            email: body.customer.email,
            phone: body.customer.phone,
            actor: None,
        },
        note: body.note,
        lang: body.lang.unwrap_or_else(|| "fr".into()),
        offer_id: None,
        client,
    };
    let r = reservations::reserve(&node.cx, request).await?;
    let v = view(&node, r).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, v.status_url.clone())],
        Json(v),
    )
        .into_response())
}

/// Reads a reservation (whoever holds its id: the customer, or the shop).
#[utoipa::path(get, path = "/api/v1/reservations/{id}", tag = "reservations",
    params(("id" = String, Path, description = "Reservation id")),
    responses(
        (status = 200, body = ReservationView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Result<Response> {
    let r = reservations::get(&node.cx, &id).await?;
    let v = view(&node, r).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(v)).into_response())
}

/// Query of a shop's reservations.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this status.
    pub status: Option<String>,
}

/// A shop's reservations, newest first (its people and tokens).
#[utoipa::path(get, path = "/api/v1/merchants/{slug}/reservations", tag = "reservations",
    params(("slug" = String, Path, description = "Shop slug"), ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ReservationList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn of_shop(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            Error::field(
                "status",
                "must be one of requested, accepted, declined, ready, collected, cancelled, expired",
            )
        })?),
    };
    let (m, list) = reservations::of_shop(&node.cx, &who, &slug, status).await?;
    let items = list
        .into_iter()
        .map(|r| ReservationView::new(r, &m.slug, &node.cx.urls, node.cx.settings.time_zone))
        .collect();
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(ReservationList { items }),
    )
        .into_response())
}

/// A step: `accept` (optionally some quantities, with a message), `decline` (with a reason),
/// `ready`, `collected` (the shop), or `cancel` (the customer, until it is ready).
#[utoipa::path(post, path = "/api/v1/reservations/{id}/{action}", tag = "reservations",
    params(
        ("id" = String, Path, description = "Reservation id"),
        ("action" = String, Path, description = "accept, decline, ready, collected or cancel"),
    ),
    request_body(content = Option<ActInput>, description = "Optional"),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = ReservationView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in its status", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn act(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<ReservationView>> {
    let input: ActInput = if body.iter().all(u8::is_ascii_whitespace) {
        ActInput::default()
    } else {
        crate::http::extract::parse_json(&body)?
    };
    let act = match Act::parse(&action) {
        Some(Act::Accept { .. }) => Act::Accept {
            quantities: input.quantities,
            message: input.message,
        },
        Some(Act::Decline { .. }) => Act::Decline {
            reason: input.message,
        },
        Some(a) => a,
        None => {
            return Err(Error::NotFound(format!(
                "no action {action:?}: accept, decline, ready, collected or cancel"
            )))
        }
    };
    let r = reservations::act(&node.cx, &who, &id, act).await?;
    Ok(Json(view(&node, r).await?))
}

/// Query of the slots.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SlotQuery {
    /// The day, `YYYY-MM-DD` (default: today).
    pub date: Option<String>,
}

/// The free pick-up slots of a shop on a day (none when it takes no reservations).
#[utoipa::path(get, path = "/api/v1/merchants/{slug}/slots", tag = "reservations",
    params(("slug" = String, Path, description = "Shop slug"), SlotQuery),
    responses(
        (status = 200, body = SlotList),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn slots(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<SlotQuery>,
) -> Result<Response> {
    let day = match q.date.as_deref().filter(|d| !d.is_empty()) {
        None => reservations::local_date(&node.cx, node.cx.clock.now_ms()),
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| Error::field("date", "must be a day such as 2026-12-09"))?,
    };
    let tz = node.cx.settings.time_zone;
    let slots = reservations::free_slots(&node.cx, &slug, day)
        .await?
        .into_iter()
        .map(|s| SlotView {
            start: present::local_time(tz, s.start),
            end: present::local_time(tz, s.end),
            left: s.left,
        })
        .collect();
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(SlotList {
            date: day.to_string(),
            slots,
        }),
    )
        .into_response())
}
