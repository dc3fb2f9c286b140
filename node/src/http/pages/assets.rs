//! Files the pages load: the stylesheet, small scripts, the icon and the node's own copy of
//! Leaflet (no CDN). They are compiled into the binary, served compressed with strong ETags,
//! and linked with a version in their URL so browsers keep them for a year.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::http::cache::Rendered;
use crate::http::Node;

/// Every asset: path under `/assets/`, content type, bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "site.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../assets/site.css"),
    ),
    (
        "site.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/site.js"),
    ),
    (
        "dash.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/dash.js"),
    ),
    (
        "map.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/map.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../../../assets/icon.svg"),
    ),
    (
        "leaflet/leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/leaflet/leaflet.js"),
    ),
    (
        "leaflet/leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../assets/leaflet/leaflet.css"),
    ),
    (
        "leaflet/LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("../../../assets/leaflet/LICENSE"),
    ),
    (
        "leaflet/images/marker-icon.png",
        "image/png",
        include_bytes!("../../../assets/leaflet/images/marker-icon.png"),
    ),
    (
        "leaflet/images/marker-icon-2x.png",
        "image/png",
        include_bytes!("../../../assets/leaflet/images/marker-icon-2x.png"),
    ),
    (
        "leaflet/images/marker-shadow.png",
        "image/png",
        include_bytes!("../../../assets/leaflet/images/marker-shadow.png"),
    ),
    (
        "leaflet/images/layers.png",
        "image/png",
        include_bytes!("../../../assets/leaflet/images/layers.png"),
    ),
    (
        "leaflet/images/layers-2x.png",
        "image/png",
        include_bytes!("../../../assets/leaflet/images/layers-2x.png"),
    ),
];

struct Asset {
    version: String,
    rendered: Arc<Rendered>,
    immutable: Arc<Rendered>,
}

fn assets() -> &'static HashMap<&'static str, Asset> {
    static ASSETS: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        FILES
            .iter()
            .map(|(path, ct, bytes)| {
                let version = crate::http::cache::fingerprint(bytes, 5);
                let make = |cache: &'static str| {
                    let mut h = HeaderMap::new();
                    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
                    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
                    let compress = !ct.starts_with("image/png");
                    Arc::new(if compress {
                        Rendered::new(StatusCode::OK, h, Bytes::from_static(bytes))
                    } else {
                        Rendered::uncompressed(StatusCode::OK, h, Bytes::from_static(bytes))
                    })
                };
                (
                    *path,
                    Asset {
                        version,
                        rendered: make("public, max-age=3600"),
                        immutable: make("public, max-age=31536000, immutable"),
                    },
                )
            })
            .collect()
    })
}

/// The versioned URL of an asset (`/assets/site.css?v=…`).
pub fn url(path: &str) -> String {
    match assets().get(path) {
        Some(a) => format!("/assets/{path}?v={}", a.version),
        None => format!("/assets/{path}"),
    }
}

/// Routes of `/assets/…`.
pub fn router() -> Router<Arc<Node>> {
    Router::new().route("/assets/{*path}", get(serve))
}

async fn serve(Path(path): Path<String>, uri: Uri, headers: HeaderMap) -> Response {
    let Some(a) = assets().get(path.as_str()) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let versioned = uri.query().is_some_and(|q| q == format!("v={}", a.version));
    if versioned {
        a.immutable.respond(&headers)
    } else {
        a.rendered.respond(&headers)
    }
}
