//! The inbox: every POST is checked (size, Digest, date, HTTP signature, key owner, origins)
//! before anything is stored; then it is handled once per activity id, in one transaction.

mod accept;
mod announce;
mod delete;
mod follow;
mod handle;
mod interaction;
mod local;
mod undo;
mod update;
pub mod verify;

use std::sync::Arc;

use axum::http::request::Parts;

use crate::domain::read::Found;
use crate::federation::Federation;
pub use verify::{InboxError, Refusal, Verified};

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

/// Receives a POST to an inbox: checks it, then handles it once. `Ok` means accepted (handled
/// now, or seen before, or nothing to do), with the origin of the server that sent a verified
/// activity (it is alive).
pub async fn receive(
    fed: &Arc<Federation>,
    inbox: Inbox,
    parts: &Parts,
    body: &[u8],
) -> Result<Option<String>, InboxError> {
    if let Inbox::Merchant(slug) = &inbox {
        match crate::domain::read::shop(&fed.cx, slug).await {
            Ok(Some(Found::Live(_))) => {}
            Ok(Some(Found::Deleted(_))) => {
                return Err(InboxError::new(
                    Refusal::Gone,
                    format!("the shop {slug} was deleted"),
                ))
            }
            Ok(None) => {
                return Err(InboxError::new(
                    Refusal::NotFound,
                    format!("no shop {slug}"),
                ))
            }
            Err(e) => return Err(InboxError::internal(e)),
        }
    }
    let verified = match verify::verify(fed, parts, body).await {
        Ok(v) => v,
        // Acknowledged without effect (the deletion of an unknown actor).
        Err(e) if e.kind == Refusal::NothingToDo => {
            tracing::debug!(reason = e.reason, "inbox: nothing to do");
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let sender = etal_protocol::ap::origin(&verified.activity.actor);
    handle::dispatch(fed, &inbox, verified).await?;
    Ok(Some(sender))
}
