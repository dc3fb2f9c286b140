//! Errors as HTTP answers: the status of each kind of error and the RFC 9457
//! `application/problem+json` document, the body of every error answer.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, FieldError};

/// An RFC 9457 problem document, the body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The HTTP status phrase.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Invalid fields, for 422 answers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The HTTP status of an error.
pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::BadRequest(_) => StatusCode::BAD_REQUEST,
        Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::Gone(_) => StatusCode::GONE,
        Error::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
        Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The problem document shown to the client.
pub fn problem_of(e: &Error) -> Problem {
    let status = status_of(e);
    let (detail, errors) = match e {
        Error::Invalid(errors) => {
            let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            (
                format!("invalid field(s): {}", fields.join(", ")),
                errors.clone(),
            )
        }
        Error::Conflict {
            detail,
            field: Some(field),
        } => (
            detail.clone(),
            vec![FieldError {
                field: field.clone(),
                message: detail.clone(),
            }],
        ),
        Error::Internal(_) => (
            "the node hit an internal error; it has been logged".to_string(),
            vec![],
        ),
        other => (other.to_string(), vec![]),
    };
    Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
        errors,
    }
}

impl Problem {
    /// The detail followed by each invalid field, for command-line output.
    pub fn detail_with_fields(&self) -> String {
        let mut out = self.detail.clone();
        for e in &self.errors {
            out.push_str(&format!("\n  {}: {}", e.field, e.message));
        }
        out
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Internal(cause) = &self {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        let mut res = problem_response(
            status_of(&self),
            &problem_of(&self),
            matches!(self, Error::Unauthorized(_)),
        );
        if let Error::TooManyRequests { retry_after, .. } = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        if let Error::Unavailable(_) = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(30));
        }
        res
    }
}

/// Serialises a problem with its content type (and a Bearer challenge on 401).
pub fn problem_response(status: StatusCode, problem: &Problem, challenge: bool) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut res = (status, body).into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if challenge {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"etal\""),
        );
    }
    res
}
