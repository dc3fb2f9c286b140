//! `/api/v1/merchants`: the node admin creates, edits and deletes shops; anyone may read them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use super::views::{MerchantPage, MerchantView};
use crate::domain::authz::Caller;
use crate::domain::merchants::{self, MerchantCreate, MerchantPatch};
use crate::error::Result;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::problem::Problem;
use crate::http::Node;

/// Query of `GET /api/v1/merchants`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct MerchantQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<String>,
}

/// Creates a shop (node admin only).
#[utoipa::path(post, path = "/api/v1/merchants", tag = "merchants",
    request_body = MerchantCreate,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `Location` is the API URL", body = MerchantView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A merchant's token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Slug taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(node): State<Arc<Node>>,
    who: Caller,
    ApiJson(body): ApiJson<MerchantCreate>,
) -> Result<Response> {
    let merchant = merchants::create(&node.cx, &who, body).await?;
    let location = node.cx.urls.api(&format!("merchants/{}", merchant.slug));
    let settings = crate::domain::reservations::settings_of(&node.cx, merchant.id).await?;
    let mut view = MerchantView::new(merchant, &node.cx.urls);
    view.reservations = Some(settings);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location.to_string())],
        Json(view),
    )
        .into_response())
}

/// Lists live shops in slug order.
#[utoipa::path(get, path = "/api/v1/merchants", tag = "merchants", params(MerchantQuery),
    responses(
        (status = 200, body = MerchantPage),
        (status = 422, description = "Bad cursor or limit", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(node): State<Arc<Node>>,
    ApiQuery(q): ApiQuery<MerchantQuery>,
) -> Result<Json<MerchantPage>> {
    let limit = super::parse_limit(q.limit.as_deref(), 100, 500)?;
    let merchants = crate::domain::read::shops(&node.cx, q.cursor.as_deref(), limit + 1).await?;
    let more = merchants.len() as i64 > limit;
    let items: Vec<MerchantView> = merchants
        .into_iter()
        .take(limit as usize)
        .map(|m| MerchantView::new(m, &node.cx.urls))
        .collect();
    let next_cursor = more.then(|| items.last().map(|m| m.slug.clone())).flatten();
    Ok(Json(MerchantPage { items, next_cursor }))
}

/// Reads a shop.
#[utoipa::path(get, path = "/api/v1/merchants/{slug}", tag = "merchants",
    params(("slug" = String, Path, description = "Shop slug")),
    responses(
        (status = 200, body = MerchantView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Deleted", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
) -> Result<Json<MerchantView>> {
    let merchant = merchants::get(&node.cx, &slug).await?;
    let settings = crate::domain::reservations::settings_of(&node.cx, merchant.id).await?;
    let mut view = MerchantView::new(merchant, &node.cx.urls);
    view.reservations = Some(settings);
    Ok(Json(view))
}

/// Edits a shop (node admin, or the shop's own token).
#[utoipa::path(patch, path = "/api/v1/merchants/{slug}", tag = "merchants",
    params(("slug" = String, Path, description = "Shop slug")),
    request_body = MerchantPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = MerchantView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<MerchantPatch>,
) -> Result<Json<MerchantView>> {
    let merchant = merchants::update(&node.cx, &who, &slug, body).await?;
    let settings = crate::domain::reservations::settings_of(&node.cx, merchant.id).await?;
    let mut view = MerchantView::new(merchant, &node.cx.urls);
    view.reservations = Some(settings);
    Ok(Json(view))
}

/// Deletes a shop and its products (node admin only). Its slug is never reused.
#[utoipa::path(delete, path = "/api/v1/merchants/{slug}", tag = "merchants",
    params(("slug" = String, Path, description = "Shop slug")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(slug): Path<String>,
) -> Result<StatusCode> {
    merchants::delete(&node.cx, &who, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}
