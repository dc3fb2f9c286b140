//! The rules' error type: what a request or a write can fail with, each invalid field named.
//! Its mapping to HTTP statuses and RFC 9457 problem documents is `http::problem`.

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
    /// 429: too many attempts; try again after `retry_after` seconds.
    #[error("{detail}")]
    TooManyRequests {
        /// What to do.
        detail: String,
        /// Seconds to wait.
        retry_after: u64,
    },
    /// 503: the node is busy with others' work (uploads held in memory); try again shortly.
    #[error("{0}")]
    Unavailable(String),
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
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Error {
        Error::Internal(e.into())
    }
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
