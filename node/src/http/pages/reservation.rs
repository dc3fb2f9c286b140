//! A reservation's status page (`/reservations/{id}`, its id the secret, `noindex`): each step,
//! the lines, the shop, and the customer's cancel until it is ready. Not cached.

use axum::extract::Form;

use serde::Deserialize;

use super::basket::words_of;
use super::*;
use crate::domain::authz::Caller;
use crate::domain::reservations::{self, Act, Reservation, Status};
use crate::present::reservation as words;

/// The cancel form: the language the page was read in.
#[derive(Debug, Default, Deserialize)]
struct LangForm {
    #[serde(default)]
    lang: String,
}

/// Routes (not cached).
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route("/reservations/{id}", get(status_page))
        .route("/reservations/{id}/cancel", axum::routing::post(cancel))
}

/// The status page.
#[allow(missing_docs)]
#[derive(Template)]
#[template(path = "reservation.html")]
struct StatusPage {
    c: Chrome,
    head: Head,
    heading: String,
    sentence: String,
    steps: Vec<(String, bool, bool)>,
    lines: Vec<String>,
    total: String,
    pay: &'static str,
    message: Option<String>,
    shop_name: String,
    shop_url: String,
    shop_address: String,
    phone: Option<(String, String)>,
    cancel: Option<(String, &'static str)>,
    lang: &'static str,
}

async fn status_page(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = async {
        let r = reservations::get(&node.cx, &id).await?;
        render_status(&node, &ask, &r).await
    }
    .await;
    private(answer(&node, &headers, uri, result))
}

async fn render_status(node: &Node, ask: &Ask, r: &Reservation) -> Result<Response> {
    let lang = ask.lang;
    let w = words_of(lang);
    let m = crate::domain::read::shop_by_id(&node.cx, r.merchant_id)
        .await?
        .ok_or_else(|| Error::NotFound("no such shop".into()))?;
    let tz = node.cx.settings.time_zone;
    let when = words::slot(lang, tz, r.pickup_start, r.pickup_end);
    let path: Vec<Status> = match r.status {
        Status::Declined => vec![Status::Requested, Status::Declined],
        Status::Cancelled => vec![Status::Requested, Status::Cancelled],
        Status::Expired => vec![Status::Requested, Status::Accepted, Status::Expired],
        _ => vec![
            Status::Requested,
            Status::Accepted,
            Status::Ready,
            Status::Collected,
        ],
    };
    let at = path.iter().position(|s| *s == r.status).unwrap_or(0);
    let steps = path
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let name = words::status_name(lang, s.as_str());
            let mut c = name.chars();
            let name = c
                .next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default();
            (name, i <= at, i == at)
        })
        .collect();
    let heading = match lang {
        Lang::Fr => format!("Réservation n° {} — {}", r.number, m.fields.name),
        Lang::En => format!("Reservation no. {} — {}", r.number, m.fields.name),
    };
    let cancel = matches!(r.status, Status::Requested | Status::Accepted).then(|| {
        (
            format!("/reservations/{}/cancel", r.id),
            match lang {
                Lang::Fr => "Annuler la réservation",
                Lang::En => "Cancel the reservation",
            },
        )
    });
    let page = StatusPage {
        head: Head {
            title: format!("{heading} — {}", node.cx.site().name),
            og_title: heading.clone(),
            description: w.pay.to_string(),
            canonical: node.cx.urls.base().to_string(),
            og_type: "website",
            image: None,
            noindex: true,
            ..Head::default()
        },
        c: chrome(node, ask, &[]),
        sentence: words::step_sentence(lang, &r.told(), &m.fields.name, &when),
        heading,
        steps,
        lines: words::lines(lang, &r.told()),
        total: format!(
            "{} : {}",
            w.total,
            words::amount(lang, r.total_minor(), &r.currency)
        ),
        pay: w.pay,
        message: words::shop_word(lang, &r.told()),
        shop_url: node.cx.urls.merchant(&m.slug).to_string(),
        shop_address: address_line(&m),
        phone: m.fields.phone.as_deref().map(views::phone),
        shop_name: m.fields.name.clone(),
        cancel,
        lang: match lang {
            Lang::Fr => "fr",
            Lang::En => "en",
        },
    };
    Ok(html(StatusCode::OK, &page))
}

/// The customer cancels (the id is their secret).
async fn cancel(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    Form(f): Form<LangForm>,
) -> Response {
    let result = reservations::act(&node.cx, &Caller::Anonymous, &id, Act::Cancel).await;
    match result {
        Ok(_) | Err(Error::Conflict { .. }) => {
            let to = if f.lang == "en" {
                format!("/reservations/{id}?lang=en")
            } else {
                format!("/reservations/{id}")
            };
            private(Redirect::to(&to).into_response())
        }
        Err(e) => private(error_page(&node, &headers, uri, e)),
    }
}
