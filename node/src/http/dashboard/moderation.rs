//! The node admin's moderation pages: domain blocks (a blocked server's activities are refused
//! at the inbox) and the replies from the fediverse shown under products.

use askama::Template;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::admin::admin_dash;
use super::{Dash, Visit};
use crate::domain::moderation;
use crate::error::Error;

#[derive(Template)]
#[template(path = "dash/blocks.html")]
struct BlocksPage {
    d: Dash,
    title: String,
    blocks: Vec<moderation::Block>,
}

async fn blocks_page(v: &Visit, status: StatusCode, errors: Vec<String>) -> Response {
    let mut d = match admin_dash(v, "blocks") {
        Ok(d) => d,
        Err(r) => return r,
    };
    d.errors = errors;
    let blocks = match moderation::blocks(&v.node.cx, &v.caller()).await {
        Ok(b) => b,
        Err(e) => return v.error(e),
    };
    v.render(
        status,
        &BlocksPage {
            d,
            title: v.w().blocks_title.into(),
            blocks,
        },
    )
}

/// `GET /dashboard/admin/blocks`.
pub async fn blocks(v: Visit) -> Response {
    blocks_page(&v, StatusCode::OK, vec![]).await
}

/// `POST /dashboard/admin/blocks`.
pub async fn block(v: Visit, body: Bytes) -> Response {
    if let Err(r) = admin_dash(&v, "blocks") {
        return r;
    }
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match moderation::block(
        &v.node.cx,
        &v.caller(),
        f.get("host"),
        f.opt("reason").as_deref(),
    )
    .await
    {
        Ok(_) => Visit::done("/dashboard/admin/blocks", "blocked"),
        Err(e @ Error::Invalid(_)) => {
            let lines = v.error_lines(&e);
            blocks_page(&v, StatusCode::UNPROCESSABLE_ENTITY, lines).await
        }
        Err(e) => v.error(e),
    }
}

/// `POST /dashboard/admin/blocks/{host}/remove`.
pub async fn unblock(v: Visit, Path(host): Path<String>, body: Bytes) -> Response {
    if let Err(r) = admin_dash(&v, "blocks") {
        return r;
    }
    if let Err(r) = v.form(&body) {
        return r;
    }
    match moderation::unblock(&v.node.cx, &v.caller(), &host).await {
        Ok(()) => Visit::done("/dashboard/admin/blocks", "deleted"),
        Err(e) => v.error(e),
    }
}

struct ReplyRow {
    id: String,
    actor: String,
    host: String,
    shop: String,
    content: String,
    hidden: bool,
}

#[derive(Template)]
#[template(path = "dash/moderation.html")]
struct ModerationPage {
    d: Dash,
    title: String,
    replies: Vec<ReplyRow>,
}

/// `GET /dashboard/admin/moderation`: the latest replies to every shop.
pub async fn replies(v: Visit) -> Response {
    let d = match admin_dash(&v, "moderation") {
        Ok(d) => d,
        Err(r) => return r,
    };
    let list = match moderation::replies(&v.node.cx, &v.caller()).await {
        Ok(l) => l,
        Err(e) => return v.error(e),
    };
    v.render(
        StatusCode::OK,
        &ModerationPage {
            d,
            title: v.w().moderation_title.into(),
            replies: list
                .into_iter()
                .map(|r| ReplyRow {
                    id: r.id.to_string(),
                    host: url::Url::parse(&r.actor)
                        .ok()
                        .and_then(|u| u.host_str().map(str::to_string))
                        .unwrap_or_default(),
                    actor: r.actor,
                    shop: r.shop,
                    content: super::fediverse::plain_text(&r.content),
                    hidden: r.hidden,
                })
                .collect(),
        },
    )
}

/// `POST /dashboard/admin/moderation/{id}/{hide|show}`.
pub async fn moderate(
    v: Visit,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = admin_dash(&v, "moderation") {
        return r;
    }
    if let Err(r) = v.form(&body) {
        return r;
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return v.error(Error::NotFound("no such reply".into()));
    };
    let hidden = match action.as_str() {
        "hide" => true,
        "show" => false,
        _ => return v.error(Error::NotFound(format!("no action \"{action}\""))),
    };
    match moderation::hide_reply(&v.node.cx, &v.caller(), id, hidden).await {
        Ok(()) => Visit::done("/dashboard/admin/moderation", "saved"),
        Err(e) => v.error(e),
    }
}
