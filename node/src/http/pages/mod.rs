//! Public pages: home, search, categories, shops, products, tags, about, and the error pages,
//! rendered on the server from askama templates (`node/templates/`), in French or English.
//! The shop and product URLs answer ActivityPub documents to servers that ask for them.
//!
//! Every answer here goes through the rendered-response cache (`super::cache`), which also
//! gives it its ETag and compression.

mod about;
pub mod assets;
mod basket;
pub mod cards;
mod catalog;
pub mod feeds;
mod items;
mod reservation;
pub mod texts;
pub mod views;
mod vouchers;

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use uuid::Uuid;

use super::cache::{self, lang_of};
use super::collections as documents;
use super::negotiation::wants_activity_json;
use crate::domain::merchants;
use crate::domain::products::{self, ListQuery, Product};
use crate::error::{Error, Result};
use crate::http::Node;
use crate::model::merchant::{Geo, Merchant};
use crate::model::product::Origin;
use crate::model::search::{Near, SearchQuery, MAX_RADIUS_KM};
use crate::present::{self, hours, Lang};
use etal_protocol::{taxonomy, Availability};
use texts::texts;
use views::*;

/// Products per page of a list.
pub const PER_PAGE: i64 = 24;
/// Pages a list may be turned to (deeper pages are for the API and the open data).
pub const MAX_PAGE: i64 = 400;
/// Shops on the home page's map.
const HOME_SHOPS: i64 = 500;

/// Routes of the public pages (cached), and of the assets and share cards (cached their
/// own way).
pub fn router(node: Arc<Node>) -> Router<Arc<Node>> {
    let pages = Router::new()
        .route("/", get(catalog::home))
        .route("/search", get(catalog::search))
        .route("/categories/{code}", get(catalog::category))
        .route("/shops/{slug}", get(items::shop))
        .route("/products/{id}", get(items::product))
        .route("/tags/{tag}", get(catalog::tag))
        .route("/about", get(about::about))
        .route("/open-data/", get(about::open_data))
        .route(
            "/open-data",
            get(|| async { Redirect::permanent("/open-data/") }),
        )
        .route("/oembed", get(about::oembed))
        .merge(feeds::router())
        .layer(axum::middleware::from_fn_with_state(node, cache::layer));
    Router::new()
        .merge(pages)
        .route("/follow", get(about::follow))
        .merge(basket::router())
        .merge(reservation::router())
        .merge(vouchers::router())
        .merge(assets::router())
        .merge(cards::router())
}

/// A request's language, query and path, as the pages need them.
struct Ask {
    lang: Lang,
    uri: Uri,
    params: HashMap<String, String>,
}

impl Ask {
    fn new(headers: &HeaderMap, uri: Uri) -> Ask {
        let mut params = HashMap::new();
        if let Some(q) = uri.query() {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                params
                    .entry(k.into_owned())
                    .or_insert_with(|| v.into_owned());
            }
        }
        Ask {
            lang: lang_of(headers, uri.query()),
            uri,
            params,
        }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// The page number asked (1 if none or nonsense), capped.
    fn page(&self) -> i64 {
        self.param("page")
            .and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(1)
            .clamp(1, MAX_PAGE)
    }

    /// This URL with `name` set to `value` (or removed), other parameters kept, `lang` dropped.
    fn with(&self, name: &str, value: Option<String>) -> String {
        self.with_all(&[(name, value)])
    }

    /// This URL with each `name` set to its value (or removed), as [`Ask::with`].
    fn with_all(&self, changes: &[(&str, Option<String>)]) -> String {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Some(q) = self.uri.query() {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                if !changes.iter().any(|(n, _)| *n == k) && k != "lang" && !v.is_empty() {
                    pairs.push((k.into_owned(), v.into_owned()));
                }
            }
        }
        for (name, value) in changes {
            if let Some(v) = value {
                pairs.push((name.to_string(), v.clone()));
            }
        }
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        if query.is_empty() {
            self.uri.path().to_string()
        } else {
            format!("{}?{query}", self.uri.path())
        }
    }

    fn pager(&self, total: i64) -> Pager {
        let page = self.page();
        let last = ((total + PER_PAGE - 1) / PER_PAGE).clamp(1, MAX_PAGE);
        Pager {
            page: page as u32,
            prev: (page > 1).then(|| self.with("page", (page > 2).then(|| (page - 1).to_string()))),
            next: (page < last).then(|| self.with("page", Some((page + 1).to_string()))),
        }
    }
}

fn chrome(node: &Node, ask: &Ask, scripts: &[&str]) -> Chrome {
    let other = match ask.lang {
        Lang::Fr => Lang::En,
        Lang::En => Lang::Fr,
    };
    Chrome {
        lang: ask.lang,
        t: texts(ask.lang),
        site_name: node.cx.site().name.clone(),
        site_description: node.cx.site().description.clone(),
        logo: node
            .cx
            .site()
            .logo
            .as_ref()
            .map(|l| node.cx.urls.media(l).to_string()),
        css: assets::url("site.css"),
        q: ask.param("q").unwrap_or_default().to_string(),
        switch_url: ask.with("lang", Some(other.tag().to_string())),
        other_locale: other.og_locale(),
        scripts: scripts.iter().map(|s| assets::url(s)).collect(),
        styles: if scripts.iter().any(|s| s.starts_with("leaflet/")) {
            vec![assets::url("leaflet/leaflet.css")]
        } else {
            vec![]
        },
    }
}

const MAP_SCRIPTS: &[&str] = &["leaflet/leaflet.js", "map.js", "site.js"];

fn map_data(node: &Node) -> MapData {
    MapData {
        tiles: node.cx.site().tile_url.clone(),
        attribution: node.cx.site().tile_attribution.clone(),
    }
}

/// A number with French or English digit grouping.
fn count(n: i64, lang: Lang) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(match lang {
                Lang::Fr => "\u{202f}",
                Lang::En => ",",
            });
        }
        out.push(c);
    }
    out
}

fn results_text(n: i64, lang: Lang) -> String {
    let t = texts(lang);
    format!(
        "{} {}",
        count(n, lang),
        if n == 1 { t.result_one } else { t.results }
    )
}

fn html<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => {
            let mut res = (status, body).into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            );
            h.insert(
                header::VARY,
                HeaderValue::from_static("Accept, Accept-Language, Cookie"),
            );
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be drawn",
            )
                .into_response()
        }
    }
}

/// The page for an error: 404, 410 or 500, in the site's style.
pub fn error_page(node: &Node, headers: &HeaderMap, uri: Uri, e: Error) -> Response {
    let status = super::problem::status_of(&e);
    let ask = Ask::new(headers, uri);
    let t = texts(ask.lang);
    let (heading, text) = match status {
        StatusCode::NOT_FOUND => (t.not_found, t.not_found_text),
        StatusCode::GONE => (t.gone, t.gone_text),
        s if s.is_server_error() => {
            tracing::error!(error = %e, "page failed");
            (t.error, t.error_text)
        }
        _ => {
            return e.into_response();
        }
    };
    let page = ErrorPage {
        head: Head {
            title: format!("{heading} — {}", node.cx.site().name),
            og_title: heading.to_string(),
            description: text.to_string(),
            canonical: node.cx.urls.base().to_string(),
            og_type: "website",
            image: Some(site_image(node)),
            noindex: true,
            ..Head::default()
        },
        c: chrome(node, &ask, &[]),
        heading: heading.to_string(),
        text: text.to_string(),
    };
    let mut res = html(status, &page);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// A page that is the visitor's own (a basket, a reservation's or a voucher's page): never
/// stored by caches, never indexed, and its address never sent on as a referrer.
fn private(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        axum::http::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    h.insert(
        axum::http::HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// Answers a page's result: the page, or the error page.
fn answer(node: &Node, headers: &HeaderMap, uri: Uri, result: Result<Response>) -> Response {
    match result {
        Ok(r) => r,
        Err(e) => error_page(node, headers, uri, e),
    }
}

/// Products with their shops' names, for grids.
async fn cards(node: &Node, items: &[Product], lang: Lang) -> Result<Vec<ProductCard>> {
    let ids: Vec<Uuid> = items.iter().map(|p| p.merchant_id).collect();
    let names = crate::domain::read::shop_names(&node.cx, &ids).await?;
    Ok(items
        .iter()
        .map(|p| {
            product_card(
                &node.cx.urls,
                p,
                names.get(&p.merchant_id).map_or("", String::as_str),
                lang,
            )
        })
        .collect())
}

fn category_links(lang: Lang, parent: Option<&str>) -> Vec<(String, String)> {
    taxonomy::CATEGORIES
        .iter()
        .filter(|c| c.parent == parent)
        .map(|c| {
            (
                present::category_label(c.code, lang),
                format!("/categories/{}", c.code),
            )
        })
        .collect()
}

/// The first step of every breadcrumb trail: the home page.
fn home_crumb(node: &Node, t: &texts::Texts) -> (String, String) {
    (t.home.to_string(), format!("{}/", node.cx.urls.base()))
}

fn first_sentence(text: &str, max: usize) -> String {
    let t: String = text.chars().take(max).collect();
    if t.chars().count() < text.chars().count() {
        format!("{}…", t.trim_end())
    } else {
        t
    }
}

/// The share image of a shop.
fn shop_image(node: &Node, m: &Merchant) -> OgImage {
    OgImage {
        url: format!(
            "{}?v={}",
            node.cx.urls.merchant_part(&m.slug, "card.jpg"),
            m.version
        ),
        width: crate::card::WIDTH,
        height: crate::card::HEIGHT,
        alt: format!("{} — {}", m.fields.name, address_line(m)),
    }
}

/// The share image of the pages that show no shop or product: the node's card.
fn site_image(node: &Node) -> OgImage {
    OgImage {
        url: cards::site_card_url(node),
        width: crate::card::WIDTH,
        height: crate::card::HEIGHT,
        alt: node.cx.site().name.clone(),
    }
}

/// The share image of a product.
fn product_image(node: &Node, p: &Product, m: &Merchant, lang: Lang) -> OgImage {
    OgImage {
        url: cards::product_card_url(&node.cx.urls, p, m.version),
        width: crate::card::WIDTH,
        height: crate::card::HEIGHT,
        alt: format!(
            "{} — {}",
            p.fields.name,
            present::price_per_unit(&p.fields.price, p.fields.unit, lang)
        ),
    }
}

fn page_canonical(base: &str, page: i64) -> String {
    if page > 1 {
        format!("{base}?page={page}")
    } else {
        base.to_string()
    }
}

/// `@slug@host`.
fn handle(node: &Node, slug: &str) -> String {
    format!("@{slug}@{}", node.cx.urls.host())
}
