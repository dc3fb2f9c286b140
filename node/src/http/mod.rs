//! HTTP: the REST API, its docs, media files and public pages, on one axum router.

pub mod api;
pub mod extract;
pub mod pages;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::Error;
use crate::Node;

/// Largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// The whole application.
pub fn router(node: Arc<Node>) -> Router {
    let media = Router::new()
        .nest_service("/media", ServeDir::new(node.media_dir()))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ));
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(crate::federation::routes::router())
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", api::ApiDoc::openapi()))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .with_state(node)
        .merge(media)
        .layer(TraceLayer::new_for_http())
}

async fn not_found() -> impl IntoResponse {
    Error::NotFound("nothing here; the API is under /api/v1 (docs at /api/docs)".into())
}

/// Turns a status into a problem document (for routes that answer with bare statuses).
pub fn status_problem(status: StatusCode, detail: &str) -> axum::response::Response {
    let problem = crate::error::Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail: detail.to_string(),
        errors: vec![],
    };
    crate::error::problem_response(status, &problem, false)
}
