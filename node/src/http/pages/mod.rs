//! Public pages: home, search, categories, shops, products, tags, about, and the error pages,
//! rendered on the server from askama templates (`node/templates/`), in French or English.
//! The shop and product URLs answer ActivityPub documents to servers that ask for them.
//!
//! Every answer here goes through the rendered-response cache (`super::cache`), which also
//! gives it its ETag and compression.

pub mod assets;
pub mod cards;
pub mod feeds;
pub mod texts;
pub mod views;

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
use crate::db;
use crate::domain::merchants;
use crate::domain::products::{self, ListQuery, Product};
use crate::error::{Error, Result};
use crate::model::merchant::{Geo, Merchant};
use crate::model::product::Origin;
use crate::model::search::{Near, SearchQuery, MAX_RADIUS_KM};
use crate::present::{self, hours, Lang};
use crate::Node;
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
        .route("/", get(home))
        .route("/search", get(search))
        .route("/categories/{code}", get(category))
        .route("/shops/{slug}", get(shop))
        .route("/products/{id}", get(product))
        .route("/tags/{tag}", get(tag))
        .route("/about", get(about))
        .route("/oembed", get(oembed))
        .merge(feeds::router())
        .layer(axum::middleware::from_fn_with_state(node, cache::layer));
    Router::new()
        .merge(pages)
        .route("/follow", get(follow))
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
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Some(q) = self.uri.query() {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                if k != name && k != "lang" && !v.is_empty() {
                    pairs.push((k.into_owned(), v.into_owned()));
                }
            }
        }
        if let Some(v) = value {
            pairs.push((name.to_string(), v));
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
        site_name: node.settings.site.name.clone(),
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
        tiles: node.settings.site.tile_url.clone(),
        attribution: node.settings.site.tile_attribution.clone(),
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
            title: format!("{heading} — {}", node.settings.site.name),
            og_title: heading.to_string(),
            description: text.to_string(),
            canonical: node.urls.base().to_string(),
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
    let names = db::merchants::names(node.db.pool(), &ids).await?;
    Ok(items
        .iter()
        .map(|p| {
            product_card(
                &node.urls,
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

fn first_sentence(text: &str, max: usize) -> String {
    let t: String = text.chars().take(max).collect();
    if t.chars().count() < text.chars().count() {
        format!("{}…", t.trim_end())
    } else {
        t
    }
}

async fn home(State(node): State<Arc<Node>>, headers: HeaderMap, uri: Uri) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = async {
        let lang = ask.lang;
        let t = texts(lang);
        let (newest, total) = products::search(
            &node,
            &SearchQuery {
                limit: 12,
                ..SearchQuery::default()
            },
        )
        .await?;
        let shops = db::merchants::list(node.db.pool(), None, HOME_SHOPS).await?;
        let shop_count = db::merchants::count_live(node.db.pool()).await?;
        let site = &node.settings.site.name;
        let intro = match lang {
            Lang::Fr => format!(
                "{} commerces, {} produits : cherchez, comparez, suivez vos commerçants sur le fédivers.",
                count(shop_count, lang),
                count(total, lang)
            ),
            Lang::En => format!(
                "{} shops, {} products: search, compare, follow your shopkeepers on the fediverse.",
                count(shop_count, lang),
                count(total, lang)
            ),
        };
        let ld = json!({
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": site,
            "url": node.urls.base(),
            "potentialAction": {
                "@type": "SearchAction",
                "target": format!("{}/search?q={{q}}", node.urls.base()),
                "query-input": "required name=q",
            },
        });
        let page = HomePage {
            head: Head {
                title: site.clone(),
                og_title: site.clone(),
                description: intro.clone(),
                canonical: format!("{}/", node.urls.base()),
                og_type: "website",
                image: Some(site_image(&node)),
                activity: Some(node.urls.node_actor().to_string()),
                feed: Some(format!("{}/feed.atom", node.urls.base())),
                json_ld: Some(json_ld(&ld)),
                ..Head::default()
            },
            c: chrome(&node, &ask, MAP_SCRIPTS),
            intro,
            categories: category_links(lang, None),
            newest: cards(&node, &newest, lang).await?,
            all_products: match lang {
                Lang::Fr => "Tous les produits".into(),
                Lang::En => "All products".into(),
            },
            shops: shops.iter().map(|m| place(&node.urls, m)).collect(),
            map: map_data(&node),
        };
        let _ = t;
        Ok(html(StatusCode::OK, &page))
    }
    .await;
    answer(&node, &headers, uri, result)
}

/// The share image of a shop.
fn shop_image(node: &Node, m: &Merchant) -> OgImage {
    OgImage {
        url: format!(
            "{}?v={}",
            node.urls.merchant_part(&m.slug, "card.jpg"),
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
        alt: node.settings.site.name.clone(),
    }
}

/// The share image of a product.
fn product_image(node: &Node, p: &Product, m: &Merchant, lang: Lang) -> OgImage {
    OgImage {
        url: cards::product_card_url(&node.urls, p, m.version),
        width: crate::card::WIDTH,
        height: crate::card::HEIGHT,
        alt: format!(
            "{} — {}",
            p.fields.name,
            present::price_per_unit(&p.fields.price, p.fields.unit, lang)
        ),
    }
}

/// Reads the search filters; a filter that makes no sense is reported, not fatal.
fn search_query(ask: &Ask, node_merchant: Option<Uuid>) -> (SearchQuery, Option<String>) {
    let t = ask.lang;
    let mut error = None;
    let mut q = SearchQuery {
        q: ask.param("q").map(str::to_string),
        category: ask
            .param("category")
            .filter(|c| taxonomy::CATEGORIES.iter().any(|x| x.code == *c))
            .map(str::to_string),
        availability: ask.param("availability").and_then(Availability::parse),
        merchant: node_merchant,
        origin: Origin::Local,
        offset: (ask.page() - 1) * PER_PAGE,
        limit: PER_PAGE,
        ..SearchQuery::default()
    };
    let num = |name: &str| ask.param(name).map(|v| v.replace(',', ".").parse::<f64>());
    match (num("lat"), num("lon")) {
        (None, None) => {}
        (Some(Ok(lat)), Some(Ok(lon)))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            let km = match num("km") {
                Some(Ok(km)) if km > 0.0 && km <= MAX_RADIUS_KM => km,
                None => 10.0,
                _ => {
                    error = Some(match t {
                        Lang::Fr => format!(
                            "Le rayon doit être entre 0 et {MAX_RADIUS_KM} km ; 10 km utilisés."
                        ),
                        Lang::En => format!(
                            "The radius must be between 0 and {MAX_RADIUS_KM} km; 10 km used."
                        ),
                    });
                    10.0
                }
            };
            q.near = Some(Near {
                at: Geo { lat, lon },
                km,
            });
        }
        _ => {
            error = Some(match t {
                Lang::Fr => "Latitude et longitude doivent être des nombres en degrés (par exemple 48.64 et 1.83) ; filtre ignoré.".to_string(),
                Lang::En => "Latitude and longitude must be numbers in degrees (for example 48.64 and 1.83); filter ignored.".to_string(),
            });
        }
    }
    (q, error)
}

async fn search(State(node): State<Arc<Node>>, headers: HeaderMap, uri: Uri) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = async {
        let lang = ask.lang;
        let t = texts(lang);
        let shop = match ask.param("shop") {
            Some(slug) => Some(merchants::get(&node, slug).await?),
            None => None,
        };
        let (query, error) = search_query(&ask, shop.as_ref().map(|m| m.id));
        let (found, total) = products::search(&node, &query).await?;
        let heading = match (&query.q, &shop) {
            (Some(q), _) => match lang {
                Lang::Fr => format!("Résultats pour « {q} »"),
                Lang::En => format!("Results for “{q}”"),
            },
            (None, Some(m)) => format!("{} — {}", t.products, m.fields.name),
            (None, None) => t.products.to_string(),
        };
        let category_options = taxonomy::CATEGORIES
            .iter()
            .map(|c| {
                let label = present::category_label(c.code, lang);
                (
                    c.code.to_string(),
                    if c.parent.is_some() {
                        format!("— {label}")
                    } else {
                        label
                    },
                    query.category.as_deref() == Some(c.code),
                )
            })
            .collect();
        let availability_options = Availability::ALL
            .iter()
            .map(|a| {
                (
                    a.as_str().to_string(),
                    present::availability(*a, lang).to_string(),
                    query.availability == Some(*a),
                )
            })
            .collect();
        let near = query.near;
        let page = SearchPage {
            head: Head {
                title: format!("{heading} — {}", node.settings.site.name),
                og_title: heading.clone(),
                description: results_text(total, lang),
                canonical: format!("{}{}", node.urls.base(), ask.with("lang", None)),
                og_type: "website",
                image: Some(site_image(&node)),
                noindex: true,
                ..Head::default()
            },
            c: chrome(&node, &ask, &[]),
            heading,
            category_options,
            availability_options,
            shop: shop.map(|m| m.slug),
            near_open: near.is_some(),
            lat: near.map(|n| n.at.lat.to_string()).unwrap_or_default(),
            lon: near.map(|n| n.at.lon.to_string()).unwrap_or_default(),
            km: near.map(|n| n.km.to_string()).unwrap_or_default(),
            error,
            count: results_text(total, lang),
            results: cards(&node, &found, lang).await?,
            pager: ask.pager(total),
        };
        Ok(html(StatusCode::OK, &page))
    }
    .await;
    answer(&node, &headers, uri, result)
}

async fn category(
    State(node): State<Arc<Node>>,
    Path(code): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = async {
        let lang = ask.lang;
        let t = texts(lang);
        let cat = taxonomy::CATEGORIES
            .iter()
            .find(|c| c.code == code)
            .ok_or_else(|| Error::NotFound(format!("no category \"{code}\"")))?;
        let label = present::category_label(cat.code, lang);
        let (items, total) = products::search(
            &node,
            &SearchQuery {
                category: Some(cat.code.to_string()),
                offset: (ask.page() - 1) * PER_PAGE,
                limit: PER_PAGE,
                ..SearchQuery::default()
            },
        )
        .await?;
        let shops = db::merchants::in_category(node.db.pool(), cat.code, HOME_SHOPS).await?;
        let mut crumbs = vec![(t.home.to_string(), format!("{}/", node.urls.base()))];
        if let Some(parent) = cat.parent {
            crumbs.push((
                present::category_label(parent, lang),
                format!("{}/categories/{parent}", node.urls.base()),
            ));
        }
        let canonical = format!("{}/categories/{}", node.urls.base(), cat.code);
        crumbs.push((label.clone(), canonical.clone()));
        let description = match lang {
            Lang::Fr => format!(
                "{label} : {} chez les commerçants de {}.",
                results_text(total, lang),
                node.settings.site.name
            ),
            Lang::En => format!(
                "{label}: {} from the shops of {}.",
                results_text(total, lang),
                node.settings.site.name
            ),
        };
        let page = ListingPage {
            head: Head {
                title: format!("{label} — {}", node.settings.site.name),
                og_title: label.clone(),
                description,
                canonical: page_canonical(&canonical, ask.page()),
                og_type: "website",
                image: Some(site_image(&node)),
                json_ld: Some(json_ld(&json!({
                    "@context": "https://schema.org",
                    "@graph": [breadcrumbs(&crumbs)],
                }))),
                ..Head::default()
            },
            c: chrome(&node, &ask, MAP_SCRIPTS),
            crumbs,
            heading: label,
            links: category_links(lang, Some(cat.code)),
            shops: shops.iter().map(|m| place(&node.urls, m)).collect(),
            map: map_data(&node),
            count: results_text(total, lang),
            products: cards(&node, &items, lang).await?,
            pager: ask.pager(total),
        };
        Ok(html(StatusCode::OK, &page))
    }
    .await;
    answer(&node, &headers, uri, result)
}

fn page_canonical(base: &str, page: i64) -> String {
    if page > 1 {
        format!("{base}?page={page}")
    } else {
        base.to_string()
    }
}

async fn tag(
    State(node): State<Arc<Node>>,
    Path(tag): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = async {
        let lang = ask.lang;
        let t = texts(lang);
        let before = ask.param("before").and_then(|b| Uuid::parse_str(b).ok());
        let (items, more) = products::list(
            &node,
            &ListQuery {
                tag: Some(tag.clone()),
                before,
                limit: PER_PAGE,
                ..ListQuery::default()
            },
        )
        .await?;
        let heading = format!("#{}", tag.trim_start_matches('#'));
        let canonical = node.urls.tag(&tag).to_string();
        let crumbs = vec![
            (t.home.to_string(), format!("{}/", node.urls.base())),
            (heading.clone(), canonical.clone()),
        ];
        let pager = Pager {
            page: 1,
            prev: before.map(|_| ask.with("before", None)),
            next: if more {
                items
                    .last()
                    .map(|p| ask.with("before", Some(p.id.to_string())))
            } else {
                None
            },
        };
        let page = ListingPage {
            head: Head {
                title: format!("{heading} — {}", node.settings.site.name),
                og_title: heading.clone(),
                description: format!("{} {heading}", t.tagged),
                canonical,
                og_type: "website",
                image: Some(site_image(&node)),
                noindex: items.is_empty(),
                ..Head::default()
            },
            c: chrome(&node, &ask, &[]),
            crumbs,
            heading,
            links: vec![],
            shops: vec![],
            map: map_data(&node),
            count: String::new(),
            products: cards(&node, &items, lang).await?,
            pager,
        };
        Ok(html(StatusCode::OK, &page))
    }
    .await;
    answer(&node, &headers, uri, result)
}

/// `@slug@host`.
fn handle(node: &Node, slug: &str) -> String {
    format!("@{slug}@{}", node.urls.host())
}

async fn shop(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if wants_activity_json(&headers) {
        return documents::merchant_document(&node, &slug).await;
    }
    let ask = Ask::new(&headers, uri.clone());
    let result = async {
        let lang = ask.lang;
        let t = texts(lang);
        let m = merchants::get(&node, &slug).await?;
        let (items, total) = products::search(
            &node,
            &SearchQuery {
                merchant: Some(m.id),
                offset: (ask.page() - 1) * PER_PAGE,
                limit: PER_PAGE,
                ..SearchQuery::default()
            },
        )
        .await?;
        let f = &m.fields;
        let url = node.urls.merchant(&m.slug).to_string();
        let mut crumbs = vec![(t.home.to_string(), format!("{}/", node.urls.base()))];
        if let Some(c) = &f.category {
            crumbs.push((
                present::category_label(c, lang),
                format!("{}/categories/{c}", node.urls.base()),
            ));
        }
        crumbs.push((f.name.clone(), url.clone()));
        let hours_words = hours::in_words(&f.opening_hours, lang);
        let description = match &f.description {
            Some(d) => first_sentence(d, 200),
            None => format!("{} — {}", f.name, address_line(&m)),
        };
        let mut business = local_business(&node.urls, &m);
        business["@context"] = json!("https://schema.org");
        let ld = json!({
            "@context": "https://schema.org",
            "@graph": [business, breadcrumbs(&crumbs)],
        });
        let page = ShopPage {
            head: Head {
                title: format!("{} — {}", f.name, node.settings.site.name),
                og_title: f.name.clone(),
                description,
                canonical: page_canonical(&url, ask.page()),
                og_type: "website",
                image: Some(shop_image(&node, &m)),
                activity: Some(url.clone()),
                creator: Some(handle(&node, &m.slug)),
                feed: Some(node.urls.merchant_part(&m.slug, "feed.atom").to_string()),
                json_ld: Some(json_ld(&ld)),
                noindex: !f.indexable,
                ..Head::default()
            },
            c: chrome(&node, &ask, MAP_SCRIPTS),
            crumbs,
            icon: node.urls.merchant_part(&m.slug, "icon.png").to_string(),
            name: f.name.clone(),
            category: f
                .category
                .as_deref()
                .map(|c| present::category_label(c, lang)),
            description: f.description.clone(),
            address: address_line(&m),
            map_url: directions_url(&m),
            hours: hours_words,
            phone: f.phone.as_deref().map(views::phone),
            website: f.website.clone(),
            email: f.email.clone(),
            follow: FollowBox {
                handle: handle(&node, &m.slug),
                slug: m.slug.clone(),
            },
            places: vec![place(&node.urls, &m)],
            map: map_data(&node),
            count: results_text(total, lang),
            products: items
                .iter()
                .map(|p| product_card(&node.urls, p, &f.name, lang))
                .collect(),
            pager: ask.pager(total),
            feed: node.urls.merchant_part(&m.slug, "feed.atom").to_string(),
        };
        Ok(html(StatusCode::OK, &page))
    }
    .await;
    answer(&node, &headers, uri, result)
}

async fn product(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if wants_activity_json(&headers) {
        return documents::product_document(&node, &id).await;
    }
    let ask = Ask::new(&headers, uri.clone());
    let result = async {
        let lang = ask.lang;
        let t = texts(lang);
        let p = products::get(&node, &id).await?;
        if !p.local {
            // A mirrored product lives on its own node: send visitors there, but only to a
            // page of the node that published it.
            let same_origin = |a: &str, b: &str| match (url::Url::parse(a), url::Url::parse(b)) {
                (Ok(a), Ok(b)) => a.scheme() == "https" && a.origin() == b.origin(),
                _ => false,
            };
            return match p.url.as_deref().filter(|u| same_origin(u, &p.ap_id)) {
                Some(page) => Ok(Redirect::to(page).into_response()),
                None => Err(Error::NotFound(format!("no product \"{id}\" here"))),
            };
        }
        let m = db::merchants::by_id(node.db.pool(), p.merchant_id)
            .await?
            .filter(|m| m.deleted_at.is_none())
            .ok_or_else(|| Error::Gone("the shop of this product was deleted".into()))?;
        let f = &p.fields;
        let url = node.urls.product(&p.id).to_string();
        let mut crumbs = vec![(t.home.to_string(), format!("{}/", node.urls.base()))];
        crumbs.push((
            m.fields.name.clone(),
            node.urls.merchant(&m.slug).to_string(),
        ));
        crumbs.push((f.name.clone(), url.clone()));
        let price = present::price_per_unit(&f.price, f.unit, lang);
        let image = product_image(&node, &p, &m, lang);
        let description = {
            let mut d = format!(
                "{price} · {} · {}",
                present::availability(f.availability, lang),
                m.fields.name
            );
            if let Some(text) = &f.description {
                d.push_str(" — ");
                d.push_str(&first_sentence(text, 160));
            }
            d
        };
        let ld = json!({
            "@context": "https://schema.org",
            "@graph": [product_ld(&node.urls, &m, &p, &image.url), breadcrumbs(&crumbs)],
        });
        let mut photos = p
            .images
            .iter()
            .map(|i| img(&node.urls, i, "large", &f.name));
        let main_photo = photos.next();
        let more_photos = p
            .images
            .iter()
            .skip(1)
            .map(|i| img(&node.urls, i, "small", &f.name))
            .collect();
        drop(photos);
        let page = ProductPage {
            head: Head {
                title: format!("{} — {} — {}", f.name, price, m.fields.name),
                og_title: format!("{} — {}", f.name, price),
                description,
                canonical: url.clone(),
                og_type: "product",
                price: Some((f.price.amount_string(), f.price.currency.code().to_string())),
                activity: Some(url.clone()),
                creator: Some(handle(&node, &m.slug)),
                oembed: Some(format!(
                    "{}/oembed?format=json&url={}",
                    node.urls.base(),
                    url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>()
                )),
                json_ld: Some(json_ld(&ld)),
                noindex: !m.fields.indexable,
                image: Some(image),
                feed: Some(node.urls.merchant_part(&m.slug, "feed.atom").to_string()),
            },
            c: chrome(&node, &ask, &["site.js"]),
            crumbs,
            main_photo,
            more_photos,
            card: cards::product_card_url(&node.urls, &p, m.version),
            name: f.name.clone(),
            price,
            availability: present::availability(f.availability, lang),
            availability_class: match f.availability {
                Availability::InStock => "in",
                _ => "out",
            },
            stock: f
                .stock
                .map(|s| format!("{} {}", count(s, lang), t.stock_left)),
            description: f.description.clone(),
            tags: f
                .tags
                .iter()
                .map(|tg| (tg.clone(), node.urls.tag(tg).to_string()))
                .collect(),
            shop_url: node.urls.merchant(&m.slug).to_string(),
            shop_name: m.fields.name.clone(),
            shop_address: address_line(&m),
            map_url: directions_url(&m),
            hours: hours::in_words(&m.fields.opening_hours, lang),
            phone: m.fields.phone.as_deref().map(views::phone),
            follow: FollowBox {
                handle: handle(&node, &m.slug),
                slug: m.slug.clone(),
            },
        };
        Ok(html(StatusCode::OK, &page))
    }
    .await;
    answer(&node, &headers, uri, result)
}

async fn about(State(node): State<Arc<Node>>, headers: HeaderMap, uri: Uri) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = async {
        let lang = ask.lang;
        let t = texts(lang);
        let shops = db::merchants::count_live(node.db.pool()).await?;
        let products = db::products::count_live(node.db.pool()).await?;
        let site = &node.settings.site;
        let operator = site.operator.clone().unwrap_or_else(|| match lang {
            Lang::Fr => format!(
                "Le nœud {} n’a pas encore indiqué qui le gère.",
                node.urls.host()
            ),
            Lang::En => format!(
                "The node {} has not said yet who runs it.",
                node.urls.host()
            ),
        });
        let contact_href = site.contact.as_deref().and_then(|c| {
            if c.contains('@') && !c.contains('/') {
                Some(format!("mailto:{c}"))
            } else if c.starts_with("https://") || c.starts_with("http://") {
                Some(c.to_string())
            } else {
                None
            }
        });
        let counts = match lang {
            Lang::Fr => format!(
                "{} commerces, {} produits.",
                count(shops, lang),
                count(products, lang)
            ),
            Lang::En => format!(
                "{} shops, {} products.",
                count(shops, lang),
                count(products, lang)
            ),
        };
        let page = AboutPage {
            head: Head {
                title: format!("{} — {}", t.about, site.name),
                og_title: format!("{} — {}", t.about, site.name),
                description: t.data_licence_text.to_string(),
                canonical: format!("{}/about", node.urls.base()),
                og_type: "website",
                image: Some(site_image(&node)),
                ..Head::default()
            },
            c: chrome(&node, &ask, &[]),
            operator,
            contact: site.contact.clone(),
            contact_href,
            counts,
        };
        Ok(html(StatusCode::OK, &page))
    }
    .await;
    answer(&node, &headers, uri, result)
}

/// `/follow?shop=…&server=…`: sends the visitor to their own server's page for following
/// the shop (Mastodon's and most servers' `authorize_interaction`).
async fn follow(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(_): RawQuery,
) -> Response {
    let ask = Ask::new(&headers, uri.clone());
    let result = async {
        let slug = ask
            .param("shop")
            .ok_or_else(|| Error::BadRequest("shop: which shop to follow is missing".into()))?;
        let m = merchants::get(&node, slug).await?;
        let server = ask.param("server").unwrap_or_default();
        let host = server_host(server).ok_or_else(|| {
            Error::BadRequest(format!(
                "server: {server:?} is not a server name such as mastodon.social"
            ))
        })?;
        let target = format!(
            "https://{host}/authorize_interaction?uri={}",
            url::form_urlencoded::byte_serialize(node.urls.merchant(&m.slug).as_str().as_bytes())
                .collect::<String>()
        );
        Ok::<_, Error>(Redirect::to(&target).into_response())
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e @ Error::BadRequest(_)) => e.into_response(),
        Err(e) => error_page(&node, &headers, uri, e),
    }
}

/// The host of what someone typed as their server: `mastodon.social`,
/// `https://mastodon.social/`, `@alice@mastodon.social` or `alice@mastodon.social`.
pub fn server_host(typed: &str) -> Option<String> {
    let t = typed.trim();
    let t = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .unwrap_or(t);
    let t = t.split('/').next().unwrap_or("");
    let t = t.rsplit('@').next().unwrap_or("");
    let host = t.to_ascii_lowercase();
    let (name, port) = match host.split_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host.as_str(), None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let valid = name.len() <= 253
        && name.contains('.')
        && name.split('.').all(label_ok)
        && port.is_none_or(|p| p.parse::<u16>().is_ok());
    valid.then_some(host)
}

/// oEmbed (JSON) of a product page: `/oembed?url=…`.
async fn oembed(State(node): State<Arc<Node>>, uri: Uri, headers: HeaderMap) -> Response {
    let ask = Ask::new(&headers, uri);
    let result = async {
        if ask.param("format").is_some_and(|f| f != "json") {
            return Ok((StatusCode::NOT_IMPLEMENTED, "only format=json is served").into_response());
        }
        let url = ask
            .param("url")
            .ok_or_else(|| Error::BadRequest("url: the page to embed is missing".into()))?;
        let parsed = url::Url::parse(url)
            .map_err(|_| Error::BadRequest(format!("url: {url:?} is not a URL")))?;
        let id = match node.urls.parse_local(&parsed) {
            Some(crate::urls::LocalRef::Product(id)) => id,
            _ => {
                return Err(Error::NotFound(format!(
                    "url: {url} is not a product page of this node"
                )))
            }
        };
        let p = products::get(&node, &id.to_string()).await?;
        let m = db::merchants::by_id(node.db.pool(), p.merchant_id)
            .await?
            .ok_or_else(|| Error::NotFound("no shop".into()))?;
        let price = present::price_per_unit(&p.fields.price, p.fields.unit, ask.lang);
        let doc = json!({
            "version": "1.0",
            "type": "link",
            "title": format!("{} — {}", p.fields.name, price),
            "author_name": m.fields.name,
            "author_url": node.urls.merchant(&m.slug).to_string(),
            "provider_name": node.settings.site.name,
            "provider_url": format!("{}/", node.urls.base()),
            "cache_age": 3600,
            "thumbnail_url": cards::product_card_url(&node.urls, &p, m.version),
            "thumbnail_width": crate::card::WIDTH,
            "thumbnail_height": crate::card::HEIGHT,
        });
        let mut res = axum::Json(doc).into_response();
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
        Ok(res)
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
