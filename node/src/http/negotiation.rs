//! Content negotiation: one URL answers HTML to browsers and ActivityPub to servers.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use etal_protocol::ap;

/// Whether a request asks for ActivityPub rather than HTML.
pub fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let m = part.trim().to_ascii_lowercase();
            m.starts_with("application/activity+json") || m.starts_with("application/ld+json")
        })
}

/// An ActivityPub document answer.
pub fn ap_response<T: Serialize>(status: StatusCode, doc: &T) -> Response {
    let body = serde_json::to_vec(doc).unwrap_or_default();
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(ap::ACTIVITY_JSON),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    res
}
