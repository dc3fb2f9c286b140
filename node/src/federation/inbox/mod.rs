//! The inbox: every POST is checked (size, Digest, date, HTTP signature, key owner, origins)
//! before anything is stored; then it is handled once per activity id, in one transaction.

pub mod batch;
mod handle;
pub mod verify;

use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::problem_response;
use crate::Node;
pub use verify::{InboxError, Verified};

/// Largest activity accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Which inbox was posted to.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbox {
    /// `/inbox`, shared by every local actor.
    Shared,
    /// `/actor/inbox`.
    Node,
    /// `/shops/{slug}/inbox`.
    Merchant(String),
}

impl IntoResponse for InboxError {
    fn into_response(self) -> Response {
        tracing::info!(
            status = self.status.as_u16(),
            reason = self.reason,
            "inbox refused an activity"
        );
        let problem = crate::error::Problem {
            kind: "about:blank",
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: self.reason,
            errors: vec![],
        };
        problem_response(self.status, &problem, false)
    }
}

async fn receive(node: Arc<Node>, inbox: Inbox, req: Request) -> Result<StatusCode, InboxError> {
    if let Inbox::Merchant(slug) = &inbox {
        match crate::db::merchants::by_slug(node.db.pool(), slug).await {
            Ok(Some(m)) if m.deleted_at.is_none() => {}
            Ok(Some(_)) => {
                return Err(InboxError::new(
                    StatusCode::GONE,
                    format!("the shop {slug} was deleted"),
                ))
            }
            Ok(None) => {
                return Err(InboxError::new(
                    StatusCode::NOT_FOUND,
                    format!("no shop {slug}"),
                ))
            }
            Err(e) => return Err(InboxError::internal(e)),
        }
    }
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        InboxError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "an activity may be at most 1 MiB".into(),
        )
    })?;
    let verified = match verify::verify(&node, &parts, &body).await {
        Ok(v) => v,
        // Acknowledged without effect (the deletion of an unknown actor).
        Err(e) if e.status == StatusCode::ACCEPTED => {
            tracing::debug!(reason = e.reason, "inbox: nothing to do");
            return Ok(StatusCode::ACCEPTED);
        }
        Err(e) => return Err(e),
    };
    handle::dispatch(&node, &inbox, verified).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `POST /inbox`.
pub async fn shared_inbox(
    State(node): State<Arc<Node>>,
    req: Request,
) -> Result<StatusCode, InboxError> {
    receive(node, Inbox::Shared, req).await
}

/// `POST /actor/inbox`.
pub async fn node_inbox(
    State(node): State<Arc<Node>>,
    req: Request,
) -> Result<StatusCode, InboxError> {
    receive(node, Inbox::Node, req).await
}

/// `POST /shops/{slug}/inbox`.
pub async fn merchant_inbox(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
    req: Request,
) -> Result<StatusCode, InboxError> {
    receive(node, Inbox::Merchant(slug), req).await
}
