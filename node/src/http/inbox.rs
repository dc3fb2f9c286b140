//! The inboxes' HTTP side: reading the body (at most 1 MiB), and the status and problem
//! document of each kind of refusal. The checks and the handling are `federation::inbox`.

use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::problem::problem_response;
use crate::federation::inbox::{self, Inbox, InboxError, Refusal, MAX_BODY_BYTES};
use crate::http::Node;

/// The status of each kind of refusal.
pub fn status_of(kind: Refusal) -> StatusCode {
    match kind {
        Refusal::Malformed => StatusCode::BAD_REQUEST,
        Refusal::Unauthorized => StatusCode::UNAUTHORIZED,
        Refusal::NotFound => StatusCode::NOT_FOUND,
        Refusal::Gone => StatusCode::GONE,
        Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Refusal::NothingToDo => StatusCode::ACCEPTED,
        Refusal::Upstream => StatusCode::BAD_GATEWAY,
        Refusal::Blocked => StatusCode::FORBIDDEN,
        Refusal::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for InboxError {
    fn into_response(self) -> Response {
        let status = status_of(self.kind);
        tracing::info!(
            status = status.as_u16(),
            reason = self.reason,
            "inbox refused an activity"
        );
        let problem = crate::http::problem::Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.reason,
            errors: vec![],
        };
        problem_response(status, &problem, false)
    }
}

async fn receive(node: Arc<Node>, inbox: Inbox, req: Request) -> Result<StatusCode, InboxError> {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        InboxError::new(Refusal::TooLarge, "an activity may be at most 1 MiB".into())
    })?;
    if let Some(sender) = inbox::receive(&node.fed, inbox, &parts, &body).await? {
        // The sender is alive: deliveries waiting for it may go now.
        let _ = node.hosts.answered(&node.cx, &sender).await;
    }
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
