//! The node's open data: the files `/open-data/merchants.csv`, `products.csv` and
//! `products.ndjson` (made and served by `dumps`; their rows are written here), their Table
//! Schemas and a Data Package describing them with the licence and the cursor of the change
//! feed each is consistent with, and the change feed itself. Only the shops that consent to
//! being listed (`indexable`) and their products are in them.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use uuid::Uuid;

use super::dumps::{self, Dump};
use crate::error::{Error, Result};
use crate::http::Node;
use crate::open_data::to_open_data::{self};
use etal_protocol::open_data::{Change, ChangeAction, ChangePage, ChangeType, Record};

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
        .route("/open-data/vouchers.json", get(vouchers))
        .route(
            "/open-data/catalog.jsonld",
            get(super::dcat::catalog_jsonld),
        )
        .route("/open-data/catalog.ttl", get(super::dcat::catalog_turtle))
        // The Table Schemas of the CSV files, by names that say so (the first names, one
        // letter from the JSON Schema of an ndjson line, stay).
        .route(
            "/open-data/merchants.tableschema.json",
            get(|| async { schema(MERCHANTS_SCHEMA) }),
        )
        .route(
            "/open-data/products.tableschema.json",
            get(|| async { schema(PRODUCTS_SCHEMA) }),
        )
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

async fn merchants_csv(State(node): State<Arc<Node>>, headers: HeaderMap) -> Result<Response> {
    dumps::serve(&node, &headers, Dump::MerchantsCsv).await
}

async fn products_csv(State(node): State<Arc<Node>>, headers: HeaderMap) -> Result<Response> {
    dumps::serve(&node, &headers, Dump::ProductsCsv).await
}

async fn products_ndjson(State(node): State<Arc<Node>>, headers: HeaderMap) -> Result<Response> {
    dumps::serve(&node, &headers, Dump::ProductsNdjson).await
}

/// Most changes a page of the feed gives.
pub const MAX_CHANGES: i64 = 5000;

/// `/open-data/changes?since=CURSOR&limit=N`: what changed after the cursor, oldest first;
/// each product or shop once, in its current state (`upsert`), or as a tombstone (`delete`)
/// when it was deleted or its shop no longer consents. `next_cursor` is the cursor to ask
/// with next; an empty page means the harvester is up to date. A cursor this feed cannot have
/// given (malformed, or beyond its last change: the node was restored from an older backup)
/// is refused with 422: the harvester starts again from the files.
async fn changes(
    State(node): State<Arc<Node>>,
    crate::http::extract::ApiQuery(q): crate::http::extract::ApiQuery<
        std::collections::HashMap<String, String>,
    >,
) -> Result<Response> {
    let never = || {
        Error::field(
            "since",
            "is not a cursor this feed gave: start again from the files of /open-data/datapackage.json and the cursor they give",
        )
    };
    let (seq, after) = match q.get("since").map(String::as_str).unwrap_or("") {
        "" | "0" => (0, None),
        c => {
            let parsed = c
                .split_once('.')
                .and_then(|(s, i)| Some((s.parse::<i64>().ok()?, Some(Uuid::parse_str(i).ok()?))));
            parsed.ok_or_else(never)?
        }
    };
    if seq > crate::domain::open_data::highest(&node.cx).await? {
        return Err(never());
    }
    let limit =
        crate::http::api::parse_limit(q.get("limit").map(String::as_str), 1000, MAX_CHANGES)?;
    let page = crate::domain::open_data::changes_after(&node.cx, seq, after, limit).await?;
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
    let visible = crate::domain::open_data::products(&node.cx, &products).await?;
    let images = crate::domain::open_data::photos(&node.cx, &products).await?;
    let shops = crate::domain::read::listed_shops(&node.cx, &merchants).await?;
    let urls = &node.cx.urls;
    let items: Vec<Change> = page
        .iter()
        .map(|c| {
            let cursor = format!("{}.{}", c.seq, c.id);
            let (kind, action, id, data) = if c.kind == "product" {
                match visible.iter().find(|p| p.id == c.id) {
                    Some(p) => (
                        ChangeType::Product,
                        ChangeAction::Upsert,
                        Some(urls.product(&p.id).to_string()),
                        Some(Record::Product(to_open_data::product_record(
                            urls,
                            p,
                            images.get(&p.id),
                        ))),
                    ),
                    None => (
                        ChangeType::Product,
                        ChangeAction::Delete,
                        Some(urls.product(&c.id).to_string()),
                        None,
                    ),
                }
            } else {
                match shops.iter().find(|(m, _)| m.id == c.id) {
                    Some((m, true)) => (
                        ChangeType::Merchant,
                        ChangeAction::Upsert,
                        Some(urls.merchant(&m.slug).to_string()),
                        Some(Record::Merchant(to_open_data::merchant_record(urls, m))),
                    ),
                    Some((m, false)) => (
                        ChangeType::Merchant,
                        ChangeAction::Delete,
                        Some(urls.merchant(&m.slug).to_string()),
                        None,
                    ),
                    None => (ChangeType::Merchant, ChangeAction::Delete, None, None),
                }
            };
            Change {
                cursor,
                kind,
                action,
                id,
                data,
            }
        })
        .collect();
    let next_cursor = page
        .last()
        .map(|c| format!("{}.{}", c.seq, c.id))
        .unwrap_or_else(|| q.get("since").cloned().unwrap_or_else(|| "0".into()));
    let doc = ChangePage {
        items,
        next: Some(format!(
            "{}/open-data/changes?since={next_cursor}",
            urls.base()
        )),
        next_cursor,
        licence: Some(node.cx.site().licence.url().to_string()),
    };
    let body = serde_json::to_string(&doc).map_err(|e| Error::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}

/// `/open-data/datapackage.json`: a Frictionless Data Package describing the files, their
/// schemas, the licence and whom to credit; each file with the change feed's cursor it is
/// consistent with (`cursor`), and the change feed (`changes`), so that a harvester finds
/// everything from here.
async fn datapackage(State(node): State<Arc<Node>>) -> Result<Response> {
    let site = node.cx.site();
    let base = node.cx.urls.base();
    let merchants: serde_json::Value = serde_json::from_str(MERCHANTS_SCHEMA).unwrap_or_default();
    let products: serde_json::Value = serde_json::from_str(PRODUCTS_SCHEMA).unwrap_or_default();
    let mut cursors = vec![];
    for kind in Dump::ALL {
        cursors.push(dumps::current(&node, kind).await?.cursor);
    }
    let doc = json!({
        "profile": "tabular-data-package",
        "name": format!("etal-{}", node.cx.urls.host().replace([':', '.'], "-")),
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
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": merchants,
             "cursor": cursors[0]},
            {"name": "products", "path": format!("{base}/open-data/products.csv"), "profile": "tabular-data-resource",
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": products,
             "cursor": cursors[1]},
            {"name": "products-ndjson", "path": format!("{base}/open-data/products.ndjson"),
             "format": "ndjson", "mediatype": "application/x-ndjson", "encoding": "utf-8",
             "jsonschema": format!("{base}/open-data/product.schema.json"), "cursor": cursors[2]},
        ],
        "changes": {
            "path": format!("{base}/open-data/changes"),
            "mediatype": "application/json",
            "jsonschema": format!("{base}/open-data/changes.schema.json"),
        },
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

/// `/open-data/vouchers.json`: the town's voucher campaigns in figures, nothing personal: face
/// value, price, budget, dates, vouchers issued, amounts issued, spent and left (euros), and
/// how many shops take part.
async fn vouchers(State(node): State<Arc<Node>>) -> Result<Response> {
    let all = crate::domain::vouchers::public_figures(&node.cx).await?;
    let euros = |m: i64| etal_protocol::money::format_minor(m, 2);
    let tz = node.cx.settings.time_zone;
    let campaigns: Vec<serde_json::Value> = all
        .into_iter()
        .map(|(c, f, shops)| {
            json!({
                "id": c.id,
                "name": c.name,
                "face_value": euros(c.face_minor),
                "price": euros(c.price_minor),
                "currency": c.currency,
                "quantity": c.quantity,
                "issue_from": crate::present::local_time(tz, c.issue_from),
                "issue_until": crate::present::local_time(tz, c.issue_until),
                "valid_until": crate::present::local_time(tz, c.valid_until),
                "vouchers_issued": f.issued,
                "issued": euros(f.issued_minor),
                "spent": euros(f.spent_minor),
                "left": euros(f.left_minor),
                "expired_unspent": euros(f.expired_minor),
                "shops": shops,
            })
        })
        .collect();
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(json!({ "campaigns": campaigns })),
    )
        .into_response())
}
