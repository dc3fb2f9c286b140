//! The rules' error type: what a request or a write can fail with, each invalid field named.
//! Its mapping to HTTP statuses and RFC 9457 problem documents is `http::problem`.

use serde::Serialize;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `address.postal_code`.
    pub field: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

/// What a request or a write can fail with, said as what went wrong (`http::problem` alone
/// turns each into a status). Internal causes are logged, never shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be read (not JSON, truncated, empty, a multipart form that is not).
    #[error("{0}")]
    Unreadable(String),
    /// Nobody is signed in, or the token or session is not a valid one.
    #[error("{0}")]
    NotAuthenticated(String),
    /// The caller may not do this.
    #[error("{0}")]
    NotAllowed(String),
    /// No such thing.
    #[error("{0}")]
    NotFound(String),
    /// It conflicts with what exists (a taken slug, a SKU another product has).
    #[error("{detail}")]
    Conflict {
        /// What conflicts.
        detail: String,
        /// The field at fault.
        field: Option<String>,
    },
    /// It existed and was deleted.
    #[error("{0}")]
    Deleted(String),
    /// The version the caller read (`If-Match`) is no longer the current one.
    #[error("{0}")]
    StaleVersion(String),
    /// Over a size limit.
    #[error("{0}")]
    TooLarge(String),
    /// A format the node does not read (a photo that is not JPEG, PNG or WebP…).
    #[error("{0}")]
    UnsupportedFormat(String),
    /// Fields that break the rules; all of them at once.
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// Too many attempts; try again after `retry_after` seconds.
    #[error("{detail}")]
    TooManyAttempts {
        /// What to do.
        detail: String,
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The node is busy with others' work (uploads held in memory); try again shortly.
    #[error("{0}")]
    Busy(String),
    /// A fault of the node.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Result of a request handler or domain operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// One invalid field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
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
