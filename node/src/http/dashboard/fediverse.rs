//! A shop's fediverse panel: followers, likes, boosts and replies, and answers to replies.

use askama::Template;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::wares::{shop_dash, shop_for};
use super::{Dash, Visit};
use crate::domain::authz::{allow, Action};
use crate::error::Error;

struct FollowerRow {
    url: String,
    name: String,
}

struct InteractionRow {
    id: String,
    answered: bool,
    kind: String,
    actor: String,
    actor_name: String,
    product: Option<String>,
    content: Option<String>,
}

#[derive(Template)]
#[template(path = "dash/fediverse.html")]
struct FediversePage {
    d: Dash,
    title: String,
    slug: String,
    can_answer: bool,
    handle: String,
    followers_text: String,
    followers: Vec<FollowerRow>,
    interactions: Vec<InteractionRow>,
}

/// Text of sanitised reply HTML: tags dropped, entities read.
pub(super) fn plain_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `GET /dashboard/shops/{slug}/fediverse`: followers, likes, boosts and replies.
pub async fn fediverse(v: Visit, Path(slug): Path<String>) -> Response {
    let m = match shop_for(&v, &slug, Action::ReadAudience).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let audience = match crate::domain::audience::panel(&v.node.cx, &v.caller(), m.id).await {
        Ok(a) => a,
        Err(e) => return v.error(e),
    };
    let answered = crate::domain::audience::answered(&v.node.cx, m.id)
        .await
        .unwrap_or_default();
    let w = v.w();
    let n = audience.follower_count;
    v.render(
        StatusCode::OK,
        &FediversePage {
            d: shop_dash(&v, &m, "fediverse"),
            title: w.fediverse_title.into(),
            slug: m.slug.clone(),
            can_answer: allow(&v.caller(), Action::AnswerReplies(m.id)).is_ok(),
            handle: format!("@{}@{}", m.slug, v.node.cx.urls.host()),
            followers_text: format!(
                "{n} {}",
                if n == 1 {
                    w.followers_one
                } else {
                    w.followers_many
                }
            ),
            followers: audience
                .followers
                .into_iter()
                .map(|(url, name)| FollowerRow { url, name })
                .collect(),
            interactions: audience
                .interactions
                .into_iter()
                .map(|(i, product)| InteractionRow {
                    id: i.id.to_string(),
                    answered: answered.contains(&i.id),
                    kind: match i.kind.as_str() {
                        "like" => w.like,
                        "announce" => w.announce,
                        _ => w.reply,
                    }
                    .into(),
                    actor_name: i.actor.clone(),
                    actor: i.actor,
                    product,
                    content: i.content.map(|c| plain_text(&c)),
                })
                .collect(),
        },
    )
}

/// `POST /dashboard/shops/{slug}/replies/{id}`: answers a reply as the shop.
pub async fn answer_reply(
    v: Visit,
    Path((slug, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = shop_for(&v, &slug, Action::AnswerReplies).await {
        return r;
    }
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return v.error(Error::NotFound("no such reply".into()));
    };
    match crate::federation::replies::answer(&v.node.fed, &v.caller(), &slug, id, f.get("content"))
        .await
    {
        Ok(_) => Visit::done(&format!("/dashboard/shops/{slug}/fediverse"), "answered"),
        Err(e) => v.error(e),
    }
}
