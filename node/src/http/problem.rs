//! Errors as HTTP answers: the status of each kind of error and the RFC 9457
//! `application/problem+json` document, the body of every error answer.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;

/// One invalid field of a request, as a problem document names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `address.postal_code`.
    pub field: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl From<&crate::error::FieldError> for FieldError {
    fn from(e: &crate::error::FieldError) -> FieldError {
        FieldError {
            field: e.field.clone(),
            message: e.message.clone(),
        }
    }
}

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

/// The HTTP status of an error: the one place where what went wrong becomes a status.
pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Unreadable(_) => StatusCode::BAD_REQUEST,
        Error::NotAuthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::NotAllowed(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::Deleted(_) => StatusCode::GONE,
        Error::StaleVersion(_) => StatusCode::PRECONDITION_FAILED,
        Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::UnsupportedFormat(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
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
                errors.iter().map(FieldError::from).collect(),
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
            matches!(self, Error::NotAuthenticated(_)),
        );
        if let Error::TooManyAttempts { retry_after, .. } = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        if let Error::Busy(_) = self {
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
