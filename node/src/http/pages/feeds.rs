//! Feeds and discovery for crawlers and aggregators: Atom feeds of new and changed products
//! (the node's and each shop's), `sitemap.xml` (an index, then files of at most 50,000 URLs
//! with their last change) and `robots.txt`. Shops that have not consented to indexing stay
//! out of the node's feed and of the sitemaps; their own feed is marked `noindex`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::domain::merchants;
use crate::error::{Error, Result};
use crate::model::merchant::Merchant;
use crate::model::product::Product;
use crate::present::{self, Lang};

/// Escapes text for XML, dropping the characters XML 1.0 does not allow (control characters
/// a name may hold would make the whole feed unreadable).
fn esc(s: impl AsRef<str>) -> String {
    let clean: String = s
        .as_ref()
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .filter(|c| !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        .collect();
    crate::present::esc(clean)
}
use crate::http::Node;

/// Entries of a feed.
pub const FEED_ENTRIES: i64 = 50;
/// URLs of one sitemap file (the protocol's limit).
pub const SITEMAP_URLS: i64 = 50_000;

/// Routes of the feeds, sitemaps and robots.txt.
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route("/feed.atom", get(node_feed))
        .route("/shops/{slug}/feed.atom", get(shop_feed))
        .route("/robots.txt", get(robots))
        .route("/sitemap.xml", get(sitemap_index))
        .route("/sitemaps/{file}", get(sitemap_file))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn xml(body: String, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}

fn entry(node: &Node, p: &Product, shop: &str) -> String {
    let f = &p.fields;
    let url = node.cx.urls.product(&p.id);
    let mut summary = format!(
        "{} · {} · {shop}",
        present::price_per_unit(&f.price, f.unit, Lang::Fr),
        present::availability(f.availability, Lang::Fr)
    );
    if let Some(d) = &f.description {
        summary.push_str(" — ");
        summary.push_str(d);
    }
    let mut out = format!(
        "<entry><id>{url}</id><title>{}</title><updated>{}</updated><published>{}</published>\
         <link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\
         <link rel=\"enclosure\" type=\"image/jpeg\" href=\"{}\"/>\
         <author><name>{}</name></author><summary>{}</summary>",
        esc(&f.name),
        rfc3339(p.updated_at),
        rfc3339(p.created_at),
        esc(format!(
            "{}/cards/products/{}.jpg",
            node.cx.urls.base(),
            p.id
        )),
        esc(shop),
        esc(&summary),
    );
    if let Some(c) = &f.category {
        out.push_str(&format!(
            "<category term=\"{}\" label=\"{}\"/>",
            esc(c),
            esc(present::category_label(c, Lang::Fr))
        ));
    }
    out.push_str("</entry>");
    out
}

async fn feed(node: &Node, shop: Option<&Merchant>) -> Result<String> {
    let items = crate::domain::read::recently_changed(
        &node.cx,
        shop.map(|m| m.id),
        shop.is_none(),
        FEED_ENTRIES,
    )
    .await?;
    let ids: Vec<_> = items.iter().map(|p| p.merchant_id).collect();
    let names = crate::domain::read::shop_names(&node.cx, &ids).await?;
    let (self_url, alternate, title) = match shop {
        Some(m) => (
            node.cx.urls.merchant_part(&m.slug, "feed.atom").to_string(),
            node.cx.urls.merchant(&m.slug).to_string(),
            m.fields.name.clone(),
        ),
        None => (
            format!("{}/feed.atom", node.cx.urls.base()),
            format!("{}/", node.cx.urls.base()),
            node.cx.site().name.clone(),
        ),
    };
    let updated = items
        .iter()
        .map(|p| p.updated_at)
        .max()
        .or(shop.map(|m| m.updated_at))
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"fr\">\
         <id>{0}</id><title>{1}</title><updated>{2}</updated>\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{0}\"/>\
         <link rel=\"alternate\" type=\"text/html\" href=\"{3}\"/>\
         <author><name>{1}</name></author><generator uri=\"https://etal.coop\">Étal</generator>\
         <rights>{4}</rights>",
        esc(&self_url),
        esc(&title),
        rfc3339(updated),
        esc(&alternate),
        esc(node.cx.site().licence.name()),
    );
    for p in &items {
        let shop = names.get(&p.merchant_id).map_or("", String::as_str);
        out.push_str(&entry(node, p, shop));
    }
    out.push_str("</feed>\n");
    Ok(out)
}

async fn node_feed(State(node): State<Arc<Node>>) -> Response {
    match feed(&node, None).await {
        Ok(body) => xml(body, "application/atom+xml; charset=utf-8"),
        Err(e) => e.into_response(),
    }
}

async fn shop_feed(State(node): State<Arc<Node>>, Path(slug): Path<String>) -> Response {
    let result = async {
        let m = merchants::get(&node.cx, &slug).await?;
        let body = feed(&node, Some(&m)).await?;
        let mut res = xml(body, "application/atom+xml; charset=utf-8");
        if !m.fields.indexable {
            res.headers_mut()
                .insert("x-robots-tag", HeaderValue::from_static("noindex"));
        }
        Ok::<_, Error>(res)
    }
    .await;
    result.unwrap_or_else(|e| e.into_response())
}

async fn robots(State(node): State<Arc<Node>>) -> Response {
    let body = format!(
        "# Shops and products are open data: crawl the pages, the feeds and the API freely.\n\
         User-agent: *\nDisallow: /search\nDisallow: /follow\nDisallow: /oembed\n\n\
         Sitemap: {}/sitemap.xml\n",
        node.cx.urls.base()
    );
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

async fn sitemap_index(State(node): State<Arc<Node>>) -> Response {
    let result = async {
        let products = crate::domain::read::listed_product_count(&node.cx).await?;
        let base = node.cx.urls.base();
        let mut out = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">",
        );
        out.push_str(&format!("<sitemap><loc>{base}/sitemaps/pages.xml</loc></sitemap>"));
        let files = (products + SITEMAP_URLS - 1) / SITEMAP_URLS;
        for n in 1..=files.max(1) {
            out.push_str(&format!(
                "<sitemap><loc>{base}/sitemaps/products-{n}.xml</loc></sitemap>"
            ));
        }
        out.push_str("</sitemapindex>\n");
        Ok::<_, Error>(xml(out, "application/xml; charset=utf-8"))
    }
    .await;
    result.unwrap_or_else(|e| e.into_response())
}

fn url_entry(loc: &str, lastmod: Option<i64>) -> String {
    match lastmod.and_then(DateTime::<Utc>::from_timestamp_millis) {
        Some(t) => format!(
            "<url><loc>{}</loc><lastmod>{}</lastmod></url>",
            esc(loc),
            rfc3339(t)
        ),
        None => format!("<url><loc>{}</loc></url>", esc(loc)),
    }
}

async fn sitemap_file(State(node): State<Arc<Node>>, Path(file): Path<String>) -> Response {
    let result = async {
        let not_found = || Error::NotFound(format!("no sitemap {file:?}"));
        let name = file.strip_suffix(".xml").ok_or_else(not_found)?;
        let mut out = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">",
        );
        let base = node.cx.urls.base();
        if name == "pages" {
            out.push_str(&url_entry(&format!("{base}/"), None));
            out.push_str(&url_entry(&format!("{base}/about"), None));
            for c in etal_protocol::taxonomy::CATEGORIES {
                out.push_str(&url_entry(&format!("{base}/categories/{}", c.code), None));
            }
            // Shops: at most a few thousand per town; an aggregator's 14,019 fit too.
            let shops = crate::domain::read::listed_shops_page(&node.cx, 0, SITEMAP_URLS - 100).await?;
            for (slug, t) in shops {
                out.push_str(&url_entry(node.cx.urls.merchant(&slug).as_str(), Some(t)));
            }
        } else {
            let n: i64 = name
                .strip_prefix("products-")
                .and_then(|n| n.parse().ok())
                .filter(|n| *n >= 1)
                .ok_or_else(not_found)?;
            let rows =
                crate::domain::read::listed_products_page(&node.cx, (n - 1) * SITEMAP_URLS, SITEMAP_URLS)
                    .await?;
            if rows.is_empty() && n > 1 {
                return Err(not_found());
            }
            for (id, t) in rows {
                out.push_str(&url_entry(node.cx.urls.product(&id).as_str(), Some(t)));
            }
        }
        out.push_str("</urlset>\n");
        Ok::<_, Error>(xml(out, "application/xml; charset=utf-8"))
    }
    .await;
    result.unwrap_or_else(|e| e.into_response())
}
