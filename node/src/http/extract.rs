//! Request extractors that fail with the node's own problem documents: JSON bodies, bearer
//! tokens, query strings.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, StatusCode};
use serde::de::DeserializeOwned;

use crate::domain::auth;
use crate::domain::authz::Caller;
use crate::error::{Error, FieldError};
use crate::http::Node;

/// A JSON body, with 415 for another content type, 400 for malformed JSON, 413 when too large,
/// and 422 naming the field for a value of the wrong type or an unknown field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(Error::UnsupportedFormat(
                "send the body as JSON with Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::TooLarge("the body is larger than the 1 MiB this endpoint accepts".into())
            } else {
                Error::Unreadable(r.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON object into `T`, mapping serde's errors to the node's.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Unreadable(
            "the body is empty: send a JSON object".into(),
        ));
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        if serde_json::from_slice::<serde_json::Value>(bytes).is_err() {
            return Err(Error::Unreadable("the body is not valid JSON".into()));
        }
        return Err(Error::Unreadable("the body must be a JSON object".into()));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.classify() != serde_json::error::Category::Data {
            return Error::Unreadable(format!("the body is not valid JSON: {inner}"));
        }
        let message = inner.to_string();
        let message = message
            .rfind(" at line ")
            .map_or(message.as_str(), |i| &message[..i])
            .to_string();
        let mut field = if path == "." { String::new() } else { path };
        if let Some(rest) = message.strip_prefix("unknown field `") {
            let name = rest.split('`').next().unwrap_or_default();
            if !field.ends_with(name) {
                field = if field.is_empty() {
                    name.to_string()
                } else {
                    format!("{field}.{name}")
                };
            }
            return Error::Invalid(vec![FieldError {
                field,
                message: "is not a field of this resource".into(),
            }]);
        }
        Error::Invalid(vec![FieldError {
            field: if field.is_empty() {
                "body".into()
            } else {
                field
            },
            message,
        }])
    })?;
    de.end().map_err(|_| {
        Error::Unreadable("the body has trailing characters after the JSON object".into())
    })?;
    Ok(value)
}

/// The caller of an API request, from its bearer token (none: anonymous; the action decides).
impl FromRequestParts<Arc<Node>> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, node: &Arc<Node>) -> Result<Self, Error> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or(""));
        auth::authenticate(&node.cx, header).await
    }
}

/// The `If-Match` header, if any.
pub fn if_match(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

/// A query string, with a problem document when it cannot be read.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded_like(query).map(ApiQuery)
    }
}

fn serde_urlencoded_like<T: DeserializeOwned>(query: &str) -> Result<T, Error> {
    let pairs: serde_json::Map<String, serde_json::Value> =
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect();
    serde_json::from_value(serde_json::Value::Object(pairs))
        .map_err(|e| Error::Unreadable(format!("cannot read the query string: {e}")))
}

/// Who the client is, as rate limits count it (`http::guard::client_of`): the peer, or the
/// address a reverse proxy on the node's machine forwards for.
pub struct Client(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0);
        Ok(Client(match peer {
            Some(peer) => crate::http::guard::client_of(&parts.headers, peer),
            None => "unknown".into(),
        }))
    }
}
