//! Click & collect for customers, without an account and without JavaScript: the product page's
//! "Réserver" adds to a basket kept in a cookie (one shop per basket, like a paper order);
//! `/basket` shows it and sends it with a pick-up slot and a contact; the reservation's status
//! page (`/reservations/{id}`, its id the secret, `noindex`) shows each step and lets the
//! customer cancel until it is ready. None of these pages is cached.

use axum::extract::Form;
use serde::Deserialize;

use super::*;
use crate::domain::reservations::{self, Request};
use crate::http::extract::Client;
use crate::model::reservation::Customer;
use crate::present::reservation as words;

/// The basket's cookie: `slug|product:quantity,product:quantity`.
const COOKIE: &str = "etal_basket";
/// Most lines a basket holds.
const MAX_LINES: usize = reservations::MAX_LINES;

/// Routes (not cached: each answer is the visitor's own).
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route("/basket", get(show).post(add))
        .route("/basket/send", axum::routing::post(send))
}

/// What the cookie holds.
#[derive(Debug, Default, Clone, PartialEq)]
struct Basket {
    shop: String,
    lines: Vec<(Uuid, i64)>,
}

impl Basket {
    fn read(headers: &HeaderMap) -> Basket {
        let raw = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == COOKIE)
            .map(|(_, v)| v);
        let Some(raw) = raw else {
            return Basket::default();
        };
        let Some((shop, lines)) = raw.split_once('|') else {
            return Basket::default();
        };
        let lines = lines
            .split(',')
            .filter_map(|l| {
                let (id, q) = l.split_once(':')?;
                Some((Uuid::parse_str(id).ok()?, q.parse::<i64>().ok()?))
            })
            .filter(|(_, q)| (1..=reservations::MAX_QUANTITY).contains(q))
            .take(MAX_LINES)
            .collect();
        Basket {
            shop: shop
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(60)
                .collect(),
            lines,
        }
    }

    fn cookie(&self) -> String {
        if self.lines.is_empty() {
            return format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
        }
        let lines: Vec<String> = self
            .lines
            .iter()
            .map(|(id, q)| format!("{id}:{q}"))
            .collect();
        format!(
            "{COOKIE}={}|{}; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax",
            self.shop,
            lines.join(",")
        )
    }
}

/// The product page's form.
#[derive(Debug, Deserialize)]
pub(super) struct AddForm {
    product: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    lang: String,
}

/// Adds a product to the basket (or sets its quantity; 0 takes it out). A product of another
/// shop starts a new basket.
async fn add(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    Form(f): Form<AddForm>,
) -> Response {
    let lang = if f.lang == "en" {
        Lang::En
    } else {
        lang_of(&headers, None)
    };
    let mut basket = Basket::read(&headers);
    let quantity = f
        .quantity
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(0, reservations::MAX_QUANTITY);
    let product = match products::get(&node.cx, &f.product).await {
        Ok(p) if p.local => p,
        Ok(_) | Err(_) => return Redirect::to("/basket").into_response(),
    };
    let shop = crate::domain::read::shop_by_id(&node.cx, product.merchant_id)
        .await
        .ok()
        .flatten();
    let Some(shop) = shop else {
        return Redirect::to("/basket").into_response();
    };
    let mut replaced = false;
    if basket.shop != shop.slug {
        replaced = !basket.lines.is_empty();
        basket = Basket {
            shop: shop.slug.clone(),
            lines: vec![],
        };
    }
    let room = basket.lines.len() < MAX_LINES;
    match basket.lines.iter_mut().find(|(id, _)| *id == product.id) {
        Some(line) => line.1 = quantity,
        None if quantity > 0 && room => basket.lines.push((product.id, quantity)),
        None => {}
    }
    basket.lines.retain(|(_, q)| *q > 0);
    let to = match (replaced, lang) {
        (true, Lang::En) => "/basket?replaced=1&lang=en",
        (true, Lang::Fr) => "/basket?replaced=1",
        (false, Lang::En) => "/basket?lang=en",
        (false, Lang::Fr) => "/basket",
    };
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&basket.cookie()) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    private(res)
}

/// The basket form's fields.
#[derive(Debug, Default, Deserialize)]
pub(super) struct SendForm {
    #[serde(default)]
    pickup: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    lang: String,
}

async fn show(State(node): State<Arc<Node>>, headers: HeaderMap, uri: Uri) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let basket = Basket::read(&headers);
    let notice = ask.param("replaced").map(|_| match ask.lang {
        Lang::Fr => "Votre panier contenait des produits d’une autre boutique : il ne garde que celle-ci (un panier par boutique).".to_string(),
        Lang::En => "Your basket held another shop's products: it now keeps only this shop (one basket per shop).".to_string(),
    });
    let result = basket_page(&node, &ask, &basket, &SendForm::default(), vec![], notice).await;
    private(answer(&node, &headers, uri, result))
}

/// Sends the basket: the reservation is made, the basket emptied, and the customer sent to
/// its status page. Errors come back on the basket page, the fields kept.
async fn send(
    State(node): State<Arc<Node>>,
    Client(client): Client,
    headers: HeaderMap,
    uri: Uri,
    Form(f): Form<SendForm>,
) -> Response {
    let mut ask = Ask::new(&headers, uri.clone());
    if f.lang == "en" {
        ask.lang = Lang::En;
    } else if f.lang == "fr" {
        ask.lang = Lang::Fr;
    }
    let basket = Basket::read(&headers);
    let mut errors: Vec<(String, String)> = Vec::new();
    if f.consent.is_empty() {
        errors.push((
            "consent".into(),
            match ask.lang {
                Lang::Fr => "Cochez la case pour que la boutique puisse vous contacter au sujet de cette commande.".into(),
                Lang::En => "Tick the box so the shop may contact you about this order.".into(),
            },
        ));
    }
    if errors.is_empty() && !basket.lines.is_empty() {
        let request = Request {
            merchant: basket.shop.clone(),
            lines: basket
                .lines
                .iter()
                .map(|(id, q)| (id.to_string(), *q))
                .collect(),
            pickup: Some(f.pickup.clone()),
            customer: Customer {
                name: Some(f.name.clone()),
                email: Some(f.email.clone()).filter(|s| !s.trim().is_empty()),
                phone: Some(f.phone.clone()).filter(|s| !s.trim().is_empty()),
                actor: None,
            },
            note: Some(f.note.clone()),
            lang: match ask.lang {
                Lang::Fr => "fr",
                Lang::En => "en",
            }
            .into(),
            offer_id: None,
            client,
        };
        match reservations::reserve(&node.cx, request).await {
            Ok(r) => {
                let mut res = Redirect::to(&format!("/reservations/{}", r.id)).into_response();
                if let Ok(v) = HeaderValue::from_str(&Basket::default().cookie()) {
                    res.headers_mut().insert(header::SET_COOKIE, v);
                }
                return private(res);
            }
            Err(Error::Invalid(list)) => {
                errors.extend(list.into_iter().map(|e| (e.field, e.message)))
            }
            Err(Error::Conflict { detail, field }) => {
                errors.push((field.unwrap_or_default(), detail))
            }
            Err(Error::TooManyAttempts { detail, .. }) | Err(Error::NotAllowed(detail)) => {
                errors.push((String::new(), detail))
            }
            Err(e) => return private(error_page(&node, &headers, uri, e)),
        }
    }
    let result = basket_page(&node, &ask, &basket, &f, errors, None).await;
    let mut res = private(answer(&node, &headers, uri, result));
    if res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// Texts of the basket and status pages.
pub(super) struct Words {
    basket: &'static str,
    empty: &'static str,
    pub(super) total: &'static str,
    pub(super) pay: &'static str,
    slot: &'static str,
    no_slot: &'static str,
    name: &'static str,
    email: &'static str,
    phone: &'static str,
    contact_hint: &'static str,
    note: &'static str,
    consent: &'static str,
    send: &'static str,
    remove: &'static str,
    quantity: &'static str,
    update: &'static str,
    errors: &'static str,
    off: &'static str,
}

pub(super) fn words_of(lang: Lang) -> Words {
    match lang {
        Lang::Fr => Words {
            basket: "Votre panier",
            empty: "Votre panier est vide. Choisissez un produit et touchez « Réserver ».",
            total: "Total",
            pay: "Vous réglez en boutique, au retrait.",
            slot: "Créneau de retrait",
            no_slot: "Cette boutique n’a pas de créneau libre dans les deux semaines qui viennent.",
            name: "Votre nom",
            email: "E-mail",
            phone: "Téléphone",
            contact_hint: "Un e-mail ou un téléphone : la boutique vous y répond, et l’e-mail reçoit le lien de suivi.",
            note: "Un mot pour la boutique (facultatif)",
            consent: "J’accepte que la boutique me contacte au sujet de cette commande. Ces coordonnées sont effacées 30 jours après la fin de la réservation.",
            send: "Envoyer la réservation",
            remove: "Retirer",
            quantity: "Quantité",
            update: "Mettre à jour",
            errors: "La réservation n’est pas partie :",
            off: "Cette boutique ne prend pas de réservations pour le moment.",
        },
        Lang::En => Words {
            basket: "Your basket",
            empty: "Your basket is empty. Choose a product and tap “Reserve”.",
            total: "Total",
            pay: "You pay at the shop when you collect.",
            slot: "Pick-up slot",
            no_slot: "This shop has no free slot in the next two weeks.",
            name: "Your name",
            email: "E-mail",
            phone: "Phone",
            contact_hint: "An e-mail or a phone: the shop answers you there, and the e-mail gets the tracking link.",
            note: "A word for the shop (optional)",
            consent: "I agree that the shop may contact me about this order. These details are erased 30 days after the reservation ends.",
            send: "Send the reservation",
            remove: "Remove",
            quantity: "Quantity",
            update: "Update",
            errors: "The reservation was not sent:",
            off: "This shop takes no reservations at the moment.",
        },
    }
}

async fn basket_page(
    node: &Node,
    ask: &Ask,
    basket: &Basket,
    form: &SendForm,
    errors: Vec<(String, String)>,
    notice: Option<String>,
) -> Result<Response> {
    let lang = ask.lang;
    let w = words_of(lang);
    let mut lines = Vec::new();
    let mut total = 0;
    let mut currency = "EUR".to_string();
    let mut shop_name = String::new();
    let mut slots = Vec::new();
    let mut open = false;
    if !basket.lines.is_empty() {
        if let Ok(m) = merchants::get(&node.cx, &basket.shop).await {
            shop_name = m.fields.name.clone();
            open = reservations::settings_of(&node.cx, m.id).await?.enabled;
            let ids: Vec<Uuid> = basket.lines.iter().map(|(id, _)| *id).collect();
            for p in crate::domain::read::products_by_ids(&node.cx, &ids).await? {
                let Some((_, q)) = basket.lines.iter().find(|(id, _)| *id == p.id) else {
                    continue;
                };
                let price = p.fields.price;
                total = price.minor.saturating_mul(*q).saturating_add(total);
                currency = price.currency.code().to_string();
                lines.push(BasketLine {
                    id: p.id.to_string(),
                    name: p.fields.name.clone(),
                    url: node.cx.urls.product(&p.id).to_string(),
                    quantity: *q,
                    price: present::price_per_unit(&price, p.fields.unit, lang),
                    total: words::amount(lang, price.minor.saturating_mul(*q), &currency),
                });
            }
            if open {
                let tz = node.cx.settings.time_zone;
                slots = reservations::next_slots(&node.cx, &m.slug, 200)
                    .await?
                    .into_iter()
                    .map(|s| {
                        let value = crate::present::local_time(tz, s.start);
                        (
                            value.clone(),
                            words::slot(lang, tz, s.start, s.end),
                            value == form.pickup,
                        )
                    })
                    .collect();
            }
        }
    }
    let t = texts(lang);
    let page = BasketPage {
        head: Head {
            title: format!("{} — {}", w.basket, node.cx.site().name),
            og_title: w.basket.to_string(),
            description: w.pay.to_string(),
            canonical: format!("{}/basket", node.cx.urls.base()),
            og_type: "website",
            image: Some(site_image(node)),
            noindex: true,
            ..Head::default()
        },
        c: chrome(node, ask, &[]),
        heading: w.basket,
        shop_name,
        lines,
        total: words::amount(lang, total, &currency),
        open,
        slots,
        name: form.name.clone(),
        email: form.email.clone(),
        phone: form.phone.clone(),
        note: form.note.clone(),
        lang: match lang {
            Lang::Fr => "fr",
            Lang::En => "en",
        },
        errors: errors
            .into_iter()
            .map(|(f, m)| {
                let label = field_label(&w, &f);
                if label.is_empty() {
                    m
                } else {
                    format!("{label} : {m}")
                }
            })
            .collect(),
        notice,
        w,
        back: t.back_home,
    };
    Ok(html(StatusCode::OK, &page))
}

fn field_label(w: &Words, field: &str) -> String {
    match field {
        "customer.name" => w.name.to_string(),
        "customer.email" => w.email.to_string(),
        "customer.phone" => w.phone.to_string(),
        "pickup" => w.slot.to_string(),
        "note" => w.note.to_string(),
        "consent" => String::new(),
        f if f.starts_with("lines") => w.quantity.to_string(),
        f => f.to_string(),
    }
}

/// A line of the basket.
pub struct BasketLine {
    /// Product id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its page.
    pub url: String,
    /// Units.
    pub quantity: i64,
    /// Price per unit, in words.
    pub price: String,
    /// The line's total.
    pub total: String,
}

/// The basket page.
#[allow(missing_docs)]
#[derive(Template)]
#[template(path = "basket.html")]
struct BasketPage {
    c: Chrome,
    head: Head,
    heading: &'static str,
    shop_name: String,
    lines: Vec<BasketLine>,
    total: String,
    open: bool,
    slots: Vec<(String, String, bool)>,
    name: String,
    email: String,
    phone: String,
    note: String,
    lang: &'static str,
    errors: Vec<String>,
    notice: Option<String>,
    w: Words,
    back: &'static str,
}
