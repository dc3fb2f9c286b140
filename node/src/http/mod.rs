//! HTTP: the REST API, its docs, media files and public pages, on one axum router.

pub mod api;
pub mod cache;
pub mod collections;
pub mod dashboard;
pub mod dcat;
pub mod dumps;
pub mod extract;
pub mod freshness;
pub mod guard;
pub mod inbox;
pub mod mails;
pub mod negotiation;
pub mod node;
pub mod open_data;
pub mod pages;
pub mod problem;
pub mod well_known;

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
pub use node::Node;

/// Largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// The whole application.
pub fn router(node: Arc<Node>) -> Router {
    let body_timeout = node.cx.settings.limits.body_timeout;
    let forwarded = guard::Holds::new(node.cx.settings.limits.max_connections_per_client);
    let media = Router::new()
        .nest_service("/media", ServeDir::new(node.cx.media_dir()))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ));
    Router::new()
        .merge(api::router())
        .merge(pages::router(node.clone()))
        .merge(dashboard::router())
        .merge(open_data::router())
        .merge(collections::router())
        .merge(well_known::router())
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", api::ApiDoc::openapi()))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .with_state(node)
        .merge(media)
        .layer(axum::middleware::map_response(security_headers))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            body_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            forwarded,
            guard::limit_forwarded,
        ))
        .layer(TraceLayer::new_for_http())
}

/// The Content-Security-Policy of every HTML page: nothing from elsewhere but images, no
/// inline script, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob: https:; \
     style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'self'";

/// `X-Content-Type-Options: nosniff` on every response, and the CSP on HTML ones.
async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    if html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    res
}

async fn not_found(
    axum::extract::State(node): axum::extract::State<Arc<Node>>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> axum::response::Response {
    let e = Error::NotFound("nothing here; the API is under /api/v1 (docs at /api/docs)".into());
    if wants_html(&headers) {
        pages::error_page(&node, &headers, uri, e)
    } else {
        e.into_response()
    }
}

/// Whether a request comes from a browser (it names `text/html` in `Accept`).
pub fn wants_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"))
}

/// Turns a status into a problem document (for routes that answer with bare statuses).
pub fn status_problem(status: StatusCode, detail: &str) -> axum::response::Response {
    let problem = problem::Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail: detail.to_string(),
        errors: vec![],
    };
    problem::problem_response(status, &problem, false)
}
