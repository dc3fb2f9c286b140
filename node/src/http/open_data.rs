//! The node's open data as files: `/open-data/merchants.csv`, `products.csv` and
//! `products.ndjson`, streamed from the database a thousand rows at a time (constant memory
//! whatever their size), gzipped on the fly when asked, with a weak ETag, `Last-Modified` and
//! 304; their Table Schemas and a Data Package describing them with the licence. Only the shops
//! that consent to being listed (`indexable`) and their products are in them.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use flate2::write::GzEncoder;
use serde_json::json;
use uuid::Uuid;

use crate::db;
use crate::error::Result;
use crate::Node;

/// Rows read and written at a time.
const PAGE: i64 = 1000;

/// The Table Schemas, compiled in.
const MERCHANTS_SCHEMA: &str =
    include_str!("../../../schemas/open-data/merchants.tableschema.json");
const PRODUCTS_SCHEMA: &str = include_str!("../../../schemas/open-data/products.tableschema.json");
/// The JSON Schemas of a `products.ndjson` line and of a page of the change feed.
const PRODUCT_JSON_SCHEMA: &str = include_str!("../../../schemas/open-data/product.schema.json");
const CHANGES_SCHEMA: &str = include_str!("../../../schemas/open-data/changes.schema.json");

/// Routes of the files (the `/open-data/` page is with the other pages).
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route("/open-data/merchants.csv", get(merchants_csv))
        .route("/open-data/products.csv", get(products_csv))
        .route("/open-data/products.ndjson", get(products_ndjson))
        .route("/open-data/datapackage.json", get(datapackage))
        .route("/open-data/changes", get(changes))
        .route(
            "/open-data/catalog.jsonld",
            get(super::dcat::catalog_jsonld),
        )
        .route("/open-data/catalog.ttl", get(super::dcat::catalog_turtle))
        .route(
            "/open-data/merchants.schema.json",
            get(|| async { schema(MERCHANTS_SCHEMA) }),
        )
        .route(
            "/open-data/products.schema.json",
            get(|| async { schema(PRODUCTS_SCHEMA) }),
        )
        .route(
            "/open-data/product.schema.json",
            get(|| async { schema(PRODUCT_JSON_SCHEMA) }),
        )
        .route(
            "/open-data/changes.schema.json",
            get(|| async { schema(CHANGES_SCHEMA) }),
        )
}

fn schema(text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        text,
    )
        .into_response()
}

/// Which file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dump {
    MerchantsCsv,
    ProductsCsv,
    ProductsNdjson,
}

impl Dump {
    fn name(self) -> &'static str {
        match self {
            Dump::MerchantsCsv => "merchants.csv",
            Dump::ProductsCsv => "products.csv",
            Dump::ProductsNdjson => "products.ndjson",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Dump::MerchantsCsv | Dump::ProductsCsv => "text/csv; charset=utf-8; header=present",
            Dump::ProductsNdjson => "application/x-ndjson",
        }
    }
}

async fn merchants_csv(State(node): State<Arc<Node>>, headers: HeaderMap) -> Result<Response> {
    dump(node, &headers, Dump::MerchantsCsv).await
}

async fn products_csv(State(node): State<Arc<Node>>, headers: HeaderMap) -> Result<Response> {
    dump(node, &headers, Dump::ProductsCsv).await
}

async fn products_ndjson(State(node): State<Arc<Node>>, headers: HeaderMap) -> Result<Response> {
    dump(node, &headers, Dump::ProductsNdjson).await
}

/// `YYYY-MM-DDTHH:MM:SSZ` (what Table Schema readers take for a datetime).
fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Where the stream is.
struct Cursor {
    node: Arc<Node>,
    kind: Dump,
    after_id: Option<Uuid>,
    after_slug: Option<String>,
    started: bool,
    done: bool,
    gzip: Option<GzEncoder<Vec<u8>>>,
}

impl Cursor {
    /// The next chunk of the file, or `None` at its end.
    async fn next(&mut self) -> std::result::Result<Option<Bytes>, std::io::Error> {
        use std::io::Write;
        if self.done {
            return Ok(None);
        }
        let mut raw = Vec::new();
        let more = self.rows(&mut raw).await.map_err(std::io::Error::other)?;
        if !more {
            self.done = true;
        }
        let Some(gz) = self.gzip.as_mut() else {
            return Ok(Some(Bytes::from(raw)));
        };
        gz.write_all(&raw)?;
        let mut out = std::mem::take(gz.get_mut());
        if self.done {
            let gz = self.gzip.take().expect("gzip state");
            out.extend(gz.finish()?);
        }
        Ok(Some(Bytes::from(out)))
    }

    /// Writes the next page of rows (and the header first); whether more may follow.
    async fn rows(&mut self, out: &mut Vec<u8>) -> anyhow::Result<bool> {
        let urls = &self.node.urls;
        let pool = self.node.db.pool();
        let first = !self.started;
        self.started = true;
        match self.kind {
            Dump::MerchantsCsv => {
                let page =
                    db::merchants::open_data_page(pool, self.after_slug.as_deref(), PAGE).await?;
                let mut w = csv::WriterBuilder::new().from_writer(out);
                if first {
                    w.write_record([
                        "id",
                        "slug",
                        "name",
                        "category",
                        "street",
                        "postal_code",
                        "city",
                        "insee_code",
                        "lat",
                        "lon",
                        "phone",
                        "email",
                        "website",
                        "siret",
                        "opening_hours",
                        "updated_at",
                    ])?;
                }
                for m in &page {
                    let f = &m.fields;
                    w.write_record([
                        urls.merchant(&m.slug).to_string(),
                        m.slug.clone(),
                        f.name.clone(),
                        f.category.clone().unwrap_or_default(),
                        f.address.street.clone().unwrap_or_default(),
                        f.address.postal_code.clone(),
                        f.address.city.clone(),
                        f.address.insee_code.clone().unwrap_or_default(),
                        f.geo.map(|g| g.lat.to_string()).unwrap_or_default(),
                        f.geo.map(|g| g.lon.to_string()).unwrap_or_default(),
                        f.phone.clone().unwrap_or_default(),
                        f.email.clone().unwrap_or_default(),
                        f.website.clone().unwrap_or_default(),
                        f.siret.clone().unwrap_or_default(),
                        f.opening_hours.join("; "),
                        stamp(m.updated_at),
                    ])?;
                }
                w.flush()?;
                self.after_slug = page.last().map(|m| m.slug.clone());
                Ok(page.len() as i64 == PAGE)
            }
            Dump::ProductsCsv | Dump::ProductsNdjson => {
                let page = db::products::open_data_page(pool, self.after_id, PAGE).await?;
                let ids: Vec<Uuid> = page.iter().map(|p| p.id).collect();
                let images = db::images::for_products(pool, &ids).await?;
                let image = |id: &Uuid| {
                    images
                        .get(id)
                        .and_then(|list| list.first())
                        .map(|i| urls.media(&i.variant("large").path).to_string())
                };
                if self.kind == Dump::ProductsCsv {
                    let mut w = csv::WriterBuilder::new().from_writer(&mut *out);
                    if first {
                        w.write_record([
                            "id",
                            "merchant",
                            "name",
                            "description",
                            "category",
                            "price",
                            "currency",
                            "unit",
                            "availability",
                            "stock",
                            "gtin",
                            "tags",
                            "image",
                            "updated_at",
                        ])?;
                    }
                    for p in &page {
                        let f = &p.fields;
                        w.write_record([
                            urls.product(&p.id).to_string(),
                            urls.merchant(&p.merchant_slug).to_string(),
                            f.name.clone(),
                            f.description.clone().unwrap_or_default(),
                            f.category.clone().unwrap_or_default(),
                            f.price.amount_string(),
                            f.price.currency.code().to_string(),
                            f.unit.as_str().to_string(),
                            f.availability.as_str().to_string(),
                            f.stock.map(|s| s.to_string()).unwrap_or_default(),
                            f.gtin.clone().unwrap_or_default(),
                            f.tags.join("|"),
                            image(&p.id).unwrap_or_default(),
                            stamp(p.updated_at),
                        ])?;
                    }
                    w.flush()?;
                } else {
                    for p in &page {
                        let line = product_json(urls, p, images.get(&p.id));
                        serde_json::to_writer(&mut *out, &line)?;
                        out.push(b'\n');
                    }
                }
                self.after_id = page.last().map(|p| p.id);
                Ok(page.len() as i64 == PAGE)
            }
        }
    }
}

/// A product as `products.ndjson` and the change feed give it.
fn product_json(
    urls: &crate::urls::Urls,
    p: &crate::model::product::Product,
    images: Option<&Vec<crate::model::image::Image>>,
) -> serde_json::Value {
    let f = &p.fields;
    json!({
        "id": urls.product(&p.id),
        "merchant": urls.merchant(&p.merchant_slug),
        "name": f.name,
        "description": f.description,
        "category": f.category,
        "price": f.price.amount_string(),
        "currency": f.price.currency.code(),
        "unit": f.unit.as_str(),
        "availability": f.availability.as_str(),
        "stock": f.stock,
        "gtin": f.gtin,
        "tags": f.tags,
        "images": images.map(|list| {
            list.iter()
                .map(|i| urls.media(&i.variant("large").path).to_string())
                .collect::<Vec<_>>()
        }).unwrap_or_default(),
        "updated_at": stamp(p.updated_at),
    })
}

/// A shop as the change feed gives it (the columns of `merchants.csv`).
fn merchant_json(
    urls: &crate::urls::Urls,
    m: &crate::model::merchant::Merchant,
) -> serde_json::Value {
    let f = &m.fields;
    json!({
        "id": urls.merchant(&m.slug),
        "slug": m.slug,
        "name": f.name,
        "description": f.description,
        "category": f.category,
        "street": f.address.street,
        "postal_code": f.address.postal_code,
        "city": f.address.city,
        "insee_code": f.address.insee_code,
        "lat": f.geo.map(|g| g.lat),
        "lon": f.geo.map(|g| g.lon),
        "phone": f.phone,
        "email": f.email,
        "website": f.website,
        "siret": f.siret,
        "opening_hours": f.opening_hours,
        "updated_at": stamp(m.updated_at),
    })
}

/// Most changes a page of the feed gives.
pub const MAX_CHANGES: i64 = 5000;

/// `/open-data/changes?since=CURSOR&limit=N`: what changed after the cursor, oldest first;
/// each product or shop once, in its current state (`upsert`), or as a tombstone (`delete`)
/// when it was deleted or its shop no longer consents. `next_cursor` is the cursor to ask
/// with next; an empty page means the harvester is up to date.
async fn changes(
    State(node): State<Arc<Node>>,
    crate::http::extract::ApiQuery(q): crate::http::extract::ApiQuery<
        std::collections::HashMap<String, String>,
    >,
) -> Result<Response> {
    use crate::error::Error;
    let (seq, after) = match q.get("since").map(String::as_str).unwrap_or("") {
        "" | "0" => (0, None),
        c => {
            let parsed = c
                .split_once('.')
                .and_then(|(s, i)| Some((s.parse::<i64>().ok()?, Some(Uuid::parse_str(i).ok()?))));
            parsed.ok_or_else(|| Error::field("since", "is not a cursor this feed gave"))?
        }
    };
    let limit =
        crate::http::api::parse_limit(q.get("limit").map(String::as_str), 1000, MAX_CHANGES)?;
    let page = db::changes::after(&node.db, seq, after, limit).await?;
    let products: Vec<Uuid> = page
        .iter()
        .filter(|c| c.kind == "product")
        .map(|c| c.id)
        .collect();
    let merchants: Vec<Uuid> = page
        .iter()
        .filter(|c| c.kind == "merchant")
        .map(|c| c.id)
        .collect();
    let visible = db::products::open_data_by_ids(&node.db, &products).await?;
    let images = db::images::for_products(node.db.pool(), &products).await?;
    let shops = db::merchants::any_by_ids(&node.db, &merchants).await?;
    let urls = &node.urls;
    let items: Vec<serde_json::Value> = page
        .iter()
        .map(|c| {
            let cursor = format!("{}.{}", c.seq, c.id);
            if c.kind == "product" {
                match visible.iter().find(|p| p.id == c.id) {
                    Some(p) => json!({"cursor": cursor, "type": "product", "action": "upsert",
                        "id": urls.product(&p.id), "data": product_json(urls, p, images.get(&p.id))}),
                    None => json!({"cursor": cursor, "type": "product", "action": "delete",
                        "id": urls.product(&c.id)}),
                }
            } else {
                match shops.iter().find(|m| m.id == c.id) {
                    Some(m) if m.deleted_at.is_none() && m.fields.indexable => json!({"cursor": cursor,
                        "type": "merchant", "action": "upsert", "id": urls.merchant(&m.slug),
                        "data": merchant_json(urls, m)}),
                    Some(m) => json!({"cursor": cursor, "type": "merchant", "action": "delete",
                        "id": urls.merchant(&m.slug)}),
                    None => json!({"cursor": cursor, "type": "merchant", "action": "delete"}),
                }
            }
        })
        .collect();
    let next_cursor = page
        .last()
        .map(|c| format!("{}.{}", c.seq, c.id))
        .unwrap_or_else(|| q.get("since").cloned().unwrap_or_else(|| "0".into()));
    let doc = json!({
        "items": items,
        "next_cursor": next_cursor,
        "next": format!("{}/open-data/changes?since={next_cursor}", urls.base()),
        "licence": node.site().licence.url(),
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        doc.to_string(),
    )
        .into_response())
}

/// Whether the client takes gzip.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    == Some(0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

async fn dump(node: Arc<Node>, headers: &HeaderMap, kind: Dump) -> Result<Response> {
    let (products, products_at, merchants, merchants_at) =
        db::products::open_data_version(node.db.pool()).await?;
    let site = node.site();
    let gzip = accepts_gzip(headers);
    let etag = format!(
        "W/\"{}-{products}-{products_at}-{merchants}-{merchants_at}-{}\"",
        kind.name(),
        site.licence.code()
    );
    let modified = db::time(products_at.max(merchants_at));
    let last_modified = modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(tags) => tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            .is_some_and(|since| modified.timestamp() <= since.timestamp()),
    };
    let mut res = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let cursor = Cursor {
            node: node.clone(),
            kind,
            after_id: None,
            after_slug: None,
            started: false,
            done: false,
            gzip: gzip.then(|| GzEncoder::new(Vec::new(), flate2::Compression::fast())),
        };
        let stream = futures::stream::unfold(cursor, |mut c| async move {
            match c.next().await {
                Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(chunk), c)),
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(error = %e, "open data stream failed");
                    c.done = true;
                    Some((Err(e), c))
                }
            }
        });
        let mut res = Body::from_stream(stream).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(kind.content_type()),
        );
        if gzip {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{}\"", kind.name())) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        res
    };
    let h = res.headers_mut();
    for (name, value) in [
        (header::ETAG, etag),
        (header::LAST_MODIFIED, last_modified),
        (
            header::CACHE_CONTROL,
            "public, max-age=300, must-revalidate".to_string(),
        ),
        (
            header::LINK,
            format!(
                "<{}>; rel=\"license\"; title=\"{}\", <{}/open-data/datapackage.json>; rel=\"describedby\"; type=\"application/json\"",
                site.licence.url(),
                site.licence.name(),
                node.urls.base()
            ),
        ),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    Ok(res)
}

/// `/open-data/datapackage.json`: a Frictionless Data Package describing the files, their
/// schemas, the licence and whom to credit.
async fn datapackage(State(node): State<Arc<Node>>) -> Response {
    let site = node.site();
    let base = node.urls.base();
    let merchants: serde_json::Value = serde_json::from_str(MERCHANTS_SCHEMA).unwrap_or_default();
    let products: serde_json::Value = serde_json::from_str(PRODUCTS_SCHEMA).unwrap_or_default();
    let doc = json!({
        "profile": "tabular-data-package",
        "name": format!("etal-{}", node.urls.host().replace([':', '.'], "-")),
        "title": format!("{} — commerces et produits", site.name),
        "description": site.description.clone().unwrap_or_else(|| format!(
            "Les commerces de {} et leurs produits, en données ouvertes.", site.name)),
        "homepage": format!("{base}/open-data/"),
        "licenses": [{"name": site.licence.code(), "path": site.licence.url(), "title": site.licence.name()}],
        "sources": [{"title": site.name, "path": base}],
        "contributors": [{
            "title": site.operator.clone().unwrap_or_else(|| site.name.clone()),
            "role": "publisher",
            "email": site.contact.clone().filter(|c| c.contains('@') && !c.contains('/')),
        }],
        "resources": [
            {"name": "merchants", "path": format!("{base}/open-data/merchants.csv"), "profile": "tabular-data-resource",
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": merchants},
            {"name": "products", "path": format!("{base}/open-data/products.csv"), "profile": "tabular-data-resource",
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": products},
            {"name": "products-ndjson", "path": format!("{base}/open-data/products.ndjson"),
             "format": "ndjson", "mediatype": "application/x-ndjson", "encoding": "utf-8",
             "jsonschema": format!("{base}/open-data/product.schema.json")},
        ],
    });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        doc.to_string(),
    )
        .into_response()
}
