//! `/api/v1/node/follows` (which nodes this node mirrors) and
//! `/api/v1/merchants/{slug}/interactions` (likes, boosts and replies a shop received).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::authz::{allow, Action, Caller};
use crate::domain::{audience, follows, merchants};
use crate::error::{Error, Result};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::problem::Problem;
use crate::http::Node;

/// Body of `POST /api/v1/node/follows`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowRequest {
    /// An actor URL, `@user@host`, or another node's address (its NodeInfo names its actor).
    #[schema(example = "https://marche.chartres.example")]
    pub target: String,
}

/// A follow by this node's actor.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowView {
    /// The followed actor.
    pub target: String,
    /// `pending`, `accepted` or `rejected`.
    pub state: String,
}

/// Makes the node follow another node (node admin only); its shops and products are then
/// mirrored (`GET /api/v1/products?origin=remote`).
#[utoipa::path(post, path = "/api/v1/node/follows", tag = "federation",
    request_body = FollowRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Follow sent", body = FollowView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown or unreachable target", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn follow(
    State(node): State<Arc<Node>>,
    who: Caller,
    ApiJson(body): ApiJson<FollowRequest>,
) -> Result<(StatusCode, Json<FollowView>)> {
    allow(&who, Action::RunNode)?;
    let target = crate::federation::follows::follow(&node.fed, &body.target).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(FollowView {
            target: target.to_string(),
            state: "pending".into(),
        }),
    ))
}

/// Lists whom the node follows.
#[utoipa::path(get, path = "/api/v1/node/follows", tag = "federation",
    responses((status = 200, body = Vec<FollowView>)))]
pub async fn list(State(node): State<Arc<Node>>) -> Result<Json<Vec<FollowView>>> {
    Ok(Json(
        follows::list(&node.cx)
            .await?
            .into_iter()
            .map(|f| FollowView {
                target: f.target,
                state: f.state.as_str().to_string(),
            })
            .collect(),
    ))
}

/// Query of `DELETE /api/v1/node/follows`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UnfollowQuery {
    /// The followed actor's id.
    pub target: String,
}

/// Stops following a node (node admin only).
#[utoipa::path(delete, path = "/api/v1/node/follows", tag = "federation", params(UnfollowQuery),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Undo sent"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn unfollow(
    State(node): State<Arc<Node>>,
    who: Caller,
    ApiQuery(q): ApiQuery<UnfollowQuery>,
) -> Result<StatusCode> {
    allow(&who, Action::RunNode)?;
    crate::federation::follows::unfollow(&node.fed, &q.target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A like, boost or reply from the fediverse.
#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionView {
    /// Local id.
    pub id: String,
    /// `like`, `announce` (boost) or `reply`.
    pub kind: String,
    /// Who: an ActivityPub actor id.
    pub actor: String,
    /// The product concerned.
    pub product_id: Option<String>,
    /// The reply, sanitised HTML.
    pub content: Option<String>,
    /// Where the reply is.
    pub url: Option<String>,
    /// The remote activity's id.
    pub activity_id: String,
    /// When it arrived.
    pub received_at: chrono::DateTime<chrono::Utc>,
}

/// A page of interactions.
#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionPage {
    /// Newest first.
    pub items: Vec<InteractionView>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// Query of the interactions list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InteractionQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<String>,
}

/// Likes, boosts and replies a shop received (node admin, or the shop's token: replies may be
/// addressed to the shop alone).
#[utoipa::path(get, path = "/api/v1/merchants/{slug}/interactions", tag = "federation",
    params(("slug" = String, Path, description = "Shop slug"), InteractionQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = InteractionPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn interactions(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<InteractionQuery>,
) -> Result<Json<InteractionPage>> {
    let m = merchants::get(&node.cx, &slug).await?;
    // A stranger is refused before its query is read.
    allow(&who, Action::ReadAudience(m.id))?;
    let limit = super::parse_limit(q.limit.as_deref(), 50, 100)?;
    let before = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            Uuid::parse_str(c)
                .map_err(|_| Error::field("cursor", "is not a cursor this node gave"))?,
        ),
    };
    let rows = audience::interactions(&node.cx, &who, m.id, before, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<InteractionView> = rows
        .into_iter()
        .take(limit as usize)
        .map(|i| InteractionView {
            id: i.id.to_string(),
            kind: i.kind,
            actor: i.actor,
            product_id: i.product_id.map(|p| p.to_string()),
            content: i.content,
            url: i.url,
            activity_id: i.activity_id,
            received_at: crate::clock::time(i.created_at),
        })
        .collect();
    let next_cursor = more.then(|| items.last().map(|i| i.id.clone())).flatten();
    Ok(Json(InteractionPage { items, next_cursor }))
}
