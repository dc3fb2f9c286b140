//! `/api/v1/products`: public, cursor-paged reading; writes by the node admin or the shop.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::views::{ProductPage, ProductView};
use crate::domain::authz::Caller;
use crate::domain::products::{self, ListQuery, Origin, Product, ProductCreate, ProductPatch};
use crate::error::{Checks, Result};
use crate::http::extract::{if_match, ApiJson, ApiQuery};
use crate::http::problem::Problem;
use crate::http::Node;

/// Query of `GET /api/v1/products`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ProductQuery {
    /// Words that must all appear in the name, tags, category, shop name or description (case
    /// and accents ignored, French word forms matched: "pommes" finds "Pomme").
    pub q: Option<String>,
    /// Category code; a family (`food`) includes its kinds (`food.bakery`).
    pub category: Option<String>,
    /// Shop slug.
    pub merchant: Option<String>,
    /// `in_stock`, `out_of_stock` or `preorder`.
    pub availability: Option<String>,
    /// A hashtag (without `#`): the product's own tags and its category's hashtag.
    pub tag: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<String>,
    /// `local` (default: this node's shops), `remote` (mirrored from followed nodes) or `all`.
    pub origin: Option<String>,
}

fn with_etag(status: StatusCode, product: Product, node: &Node, location: bool) -> Response {
    let etag = product.etag();
    let url = node.cx.urls.api(&format!("products/{}", product.id));
    let mut res = (status, Json(ProductView::new(product, &node.cx.urls))).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    if location {
        if let Ok(v) = HeaderValue::from_str(url.as_str()) {
            res.headers_mut().insert(header::LOCATION, v);
        }
    }
    res
}

/// Adds a product to a shop (node admin, or the shop's token).
#[utoipa::path(post, path = "/api/v1/merchants/{slug}/products", tag = "products",
    params(("slug" = String, Path, description = "Shop slug")),
    request_body = ProductCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created, with `id`, `url` and `ap_id`; `ETag` and `Location` set", body = ProductView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another shop's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ProductCreate>,
) -> Result<Response> {
    let product = products::create(&node.cx, &who, &slug, body).await?;
    Ok(with_etag(StatusCode::CREATED, product, &node, true))
}

/// Lists live products, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/products", tag = "products", params(ProductQuery),
    responses(
        (status = 200, description = "A page; `Link: rel=\"next\"` when more follow", body = ProductPage),
        (status = 422, description = "Bad filter, cursor or limit", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(node): State<Arc<Node>>,
    ApiQuery(q): ApiQuery<ProductQuery>,
) -> Result<Response> {
    let mut checks = Checks::default();
    let (limit, category, availability) = super::common_filters(
        &mut checks,
        q.limit.as_deref(),
        q.category.as_deref(),
        q.availability.as_deref(),
    );
    let before = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Uuid::parse_str(c).ok().or_else(|| {
            checks.add("cursor", "is not a cursor this node gave");
            None
        }),
    };
    let origin = match q.origin.as_deref().filter(|o| !o.is_empty()) {
        None | Some("local") => Origin::Local,
        Some("remote") => Origin::Remote,
        Some("all") => Origin::All,
        Some(_) => {
            checks.add("origin", "must be one of local, remote, all");
            Origin::Local
        }
    };
    checks.finish()?;
    let query = ListQuery {
        origin,
        q: q.q.clone().filter(|s| !s.trim().is_empty()),
        category,
        merchant: q.merchant.clone().filter(|m| !m.is_empty()),
        availability,
        tag: q.tag.clone().filter(|t| !t.trim().is_empty()),
        before,
        limit,
    };
    let (items, more) = products::list(&node.cx, &query).await?;
    let next_cursor = more
        .then(|| items.last().map(|p| p.id.to_string()))
        .flatten();
    let mut res = Json(ProductPage {
        items: items
            .into_iter()
            .map(|p| ProductView::new(p, &node.cx.urls))
            .collect(),
        next_cursor: next_cursor.clone(),
    })
    .into_response();
    if let Some(cursor) = next_cursor {
        let mut next = node.cx.urls.api("products");
        {
            let mut pairs = next.query_pairs_mut();
            for (k, v) in [
                ("q", &q.q),
                ("category", &q.category),
                ("merchant", &q.merchant),
                ("availability", &q.availability),
                ("origin", &q.origin),
                ("tag", &q.tag),
            ] {
                if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                    pairs.append_pair(k, v);
                }
            }
            pairs.append_pair("limit", &limit.to_string());
            pairs.append_pair("cursor", &cursor);
        }
        if let Ok(v) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")) {
            res.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(res)
}

/// Reads a product; the `ETag` header carries its version.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = String, Path, description = "Product id (UUIDv7)")),
    responses(
        (status = 200, body = ProductView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Deleted", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Result<Response> {
    let product = products::get(&node.cx, &id).await?;
    Ok(with_etag(StatusCode::OK, product, &node, false))
}

/// Edits a product. Fields are set absolutely; `stock_delta` changes the stock atomically.
/// With `If-Match`, answers 412 unless the ETag is current.
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "products",
    params(
        ("id" = String, Path, description = "Product id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    request_body = ProductPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProductView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ProductPatch>,
) -> Result<Response> {
    let product = products::update(&node.cx, &who, &id, if_match(&headers), body).await?;
    Ok(with_etag(StatusCode::OK, product, &node, false))
}

/// Deletes a product; its id then answers 410 and is never reused.
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "products",
    params(
        ("id" = String, Path, description = "Product id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode> {
    products::delete(&node.cx, &who, &id, if_match(&headers)).await?;
    Ok(StatusCode::NO_CONTENT)
}
