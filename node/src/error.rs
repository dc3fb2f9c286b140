//! The node's error type and its single mapping to RFC 9457 `application/problem+json`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `address.postal_code`.
    pub field: String,
    /// What is wrong, in a sentence.
    pub message: String,
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

/// Everything a request can fail with. Internal causes are logged, never shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: the body is not what the endpoint reads (not JSON, truncated, empty).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no token, or not a valid one.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: a valid token that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 409: conflicts with existing state (a taken slug).
    #[error("{detail}")]
    Conflict {
        /// What conflicts.
        detail: String,
        /// The field at fault.
        field: Option<String>,
    },
    /// 410: it existed and was deleted.
    #[error("{0}")]
    Gone(String),
    /// 412: `If-Match` does not match the current version.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 413.
    #[error("{0}")]
    TooLarge(String),
    /// 415.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: fields that break the rules; all of them at once.
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// 500: a fault of the node.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Result of a request handler or domain operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A 422 about one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
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
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document shown to the client.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (detail, errors) = match self {
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

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Error {
        Error::Internal(e.into())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Internal(cause) = &self {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        problem_response(
            self.status(),
            &self.problem(),
            matches!(self, Error::Unauthorized(_)),
        )
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

/// Collects field errors so a request learns about all of them at once.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    /// Records a problem with `field`.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Records `result`'s error, if any, against `field`.
    pub fn check(&mut self, field: &str, result: std::result::Result<(), String>) {
        if let Err(message) = result {
            self.add(field, message);
        }
    }

    /// The fields with a problem.
    pub fn fields(&self) -> Vec<String> {
        self.0.iter().map(|e| e.field.clone()).collect()
    }

    /// Whether a problem with `field` is already recorded.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    /// Records that a required field is missing.
    pub fn required(&mut self, field: &str) {
        self.add(field, "is required");
    }

    /// `Ok` when nothing was recorded, else a 422 with every problem.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}
