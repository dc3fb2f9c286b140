//! ActivityPub documents served by URL: the node actor, merchants' and products' documents,
//! the collections (outboxes, followers, following, featured), activities, the inboxes' routes,
//! and generated profile pictures.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;
use url::Url;
use uuid::Uuid;

use super::negotiation::ap_response;
use crate::domain::read::{self, Found};
use crate::domain::{merchants, products};
use crate::error::{Error, Result};
use crate::federation::outbox::render_event;
use crate::federation::to_ap;
use crate::http::Node;
use crate::model::actor::LocalActor;
use crate::model::outbox::Event;
use etal_protocol::ap::{
    self, context, Object, ObjectRef, OrderedCollection, OrderedCollectionPage,
};

/// Items per collection page.
pub const PAGE_SIZE: i64 = 20;

/// Routes of this module.
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route("/actor", get(node_actor))
        .route("/actor/outbox", get(node_outbox))
        .route("/actor/followers", get(node_followers))
        .route("/actor/following", get(node_following))
        .route("/actor/inbox", post(super::inbox::node_inbox))
        .route("/inbox", post(super::inbox::shared_inbox))
        .route("/shops/{slug}/inbox", post(super::inbox::merchant_inbox))
        .route("/shops/{slug}/outbox", get(merchant_outbox))
        .route("/shops/{slug}/followers", get(merchant_followers))
        .route("/shops/{slug}/following", get(merchant_following))
        .route("/shops/{slug}/featured", get(merchant_featured))
        .route("/shops/{slug}/replies/{id}", get(shop_reply))
        .route("/shops/{slug}/icon.png", get(merchant_icon))
        .route("/shops/{slug}/header.png", get(merchant_header))
        .route("/activities/{id}", get(activity))
        .route("/activities/{id}/announce", get(announced_activity))
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("local URL")
}

async fn node_actor(State(node): State<Arc<Node>>) -> Response {
    ap_response(
        StatusCode::OK,
        &to_ap::node_actor(&node.cx.urls, &node.fed.node_public_pem),
    )
}

/// A merchant's actor document (410 with a Tombstone once deleted).
pub async fn merchant_document(node: &Node, slug: &str) -> Response {
    match read::shop(&node.cx, slug).await {
        Ok(Some(Found::Deleted(at))) => ap_response(
            StatusCode::GONE,
            &to_ap::tombstone(&node.cx.urls.merchant(slug), "Organization", at, true),
        ),
        Ok(Some(Found::Live(m))) => {
            ap_response(StatusCode::OK, &to_ap::merchant_actor(&node.cx.urls, &m))
        }
        Ok(None) => Error::NotFound(format!("no shop \"{slug}\"")).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A product's Note (410 with a Tombstone once it or its shop was deleted).
pub async fn product_document(node: &Node, id: &str) -> Response {
    let result = async {
        let pid = products::parse_id(id)?;
        match read::product(&node.cx, pid).await? {
            Some(Found::Deleted(at)) => Ok(ap_response(
                StatusCode::GONE,
                &to_ap::tombstone(&node.cx.urls.product(&pid), "Note", at, true),
            )),
            Some(Found::Live((p, m))) => {
                let reservable = crate::domain::reservations::reservable(&node.cx, &p).await?;
                Ok(ap_response(
                    StatusCode::OK,
                    &to_ap::product_note(&node.cx.urls, &m, &p, true, reservable),
                ))
            }
            None => Err(Error::NotFound(format!("no product \"{id}\""))),
        }
    }
    .await;
    result.unwrap_or_else(Error::into_response)
}

/// `?page=true&before=SEQ` of outboxes.
#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
    before: Option<i64>,
}

async fn outbox(
    node: &Node,
    base: Url,
    merchant: Option<uuid::Uuid>,
    q: PageQuery,
) -> Result<Response> {
    if q.page.is_none() && q.before.is_none() {
        let total = crate::domain::read::outbox_count(&node.cx, merchant).await?;
        let c = OrderedCollection {
            context: context::basic(),
            id: base.clone(),
            kind: "OrderedCollection".into(),
            total_items: Some(total as u64),
            first: Some(json!(format!("{base}?page=true"))),
            ordered_items: None,
        };
        return Ok(ap_response(StatusCode::OK, &c));
    }
    let events: Vec<Event> =
        crate::domain::read::outbox_page(&node.cx, merchant, q.before, PAGE_SIZE).await?;
    let more = events.len() as i64 > PAGE_SIZE;
    let mut items = Vec::new();
    for e in events.iter().take(PAGE_SIZE as usize) {
        let subject = crate::domain::read::subject(&node.cx, e).await?;
        if let Some(mut a) = render_event(&node.fed, e, subject) {
            a.context = serde_json::Value::Null;
            let a = if merchant.is_none() {
                let mut announce = to_ap::announce(&node.cx.urls, a);
                announce.context = serde_json::Value::Null;
                announce
            } else {
                a
            };
            items.push(ObjectRef::Object(Box::new(Object::Activity(Box::new(a)))));
        }
    }
    let id = match q.before {
        Some(b) => format!("{base}?page=true&before={b}"),
        None => format!("{base}?page=true"),
    };
    let page = OrderedCollectionPage {
        context: context::full(),
        id: url(&id),
        kind: "OrderedCollectionPage".into(),
        part_of: Some(base.clone()),
        ordered_items: items,
        next: more
            .then(|| {
                events
                    .get(PAGE_SIZE as usize - 1)
                    .map(|e| url(&format!("{base}?page=true&before={}", e.seq)))
            })
            .flatten(),
    };
    Ok(ap_response(StatusCode::OK, &page))
}

async fn merchant_outbox(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    let m = merchants::get(&node.cx, &slug).await?;
    outbox(
        &node,
        node.cx.urls.merchant_part(&slug, "outbox"),
        Some(m.id),
        q,
    )
    .await
}

async fn node_outbox(
    State(node): State<Arc<Node>>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    outbox(&node, node.cx.urls.node_outbox(), None, q).await
}

fn count_only(id: String, total: i64) -> Response {
    ap_response(
        StatusCode::OK,
        &OrderedCollection {
            context: context::basic(),
            id: url(&id),
            kind: "OrderedCollection".into(),
            total_items: Some(total as u64),
            first: None,
            ordered_items: None,
        },
    )
}

async fn merchant_followers(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
) -> Result<Response> {
    let m = merchants::get(&node.cx, &slug).await?;
    let total = crate::domain::read::follower_count(&node.cx, LocalActor::Merchant(m.id)).await?;
    Ok(count_only(
        node.cx.urls.merchant_part(&slug, "followers").to_string(),
        total,
    ))
}

/// Shops follow no one, but say so: GoToSocial takes a remote actor without a `following`
/// collection for a server's own account and hides it from search.
async fn merchant_following(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    merchants::get(&node.cx, &slug).await?;
    let base = node.cx.urls.merchant_part(&slug, "following");
    if q.page.is_none() {
        return Ok(ap_response(
            StatusCode::OK,
            &OrderedCollection {
                context: context::basic(),
                id: base.clone(),
                kind: "OrderedCollection".into(),
                total_items: Some(0),
                first: Some(json!(format!("{base}?page=true"))),
                ordered_items: None,
            },
        ));
    }
    Ok(ap_response(
        StatusCode::OK,
        &OrderedCollectionPage {
            context: context::basic(),
            id: url(&format!("{base}?page=true")),
            kind: "OrderedCollectionPage".into(),
            part_of: Some(base.clone()),
            ordered_items: vec![],
            next: None,
        },
    ))
}

async fn node_followers(State(node): State<Arc<Node>>) -> Result<Response> {
    let total = crate::domain::read::follower_count(&node.cx, LocalActor::Node).await?;
    Ok(count_only(node.cx.urls.node_followers().to_string(), total))
}

async fn node_following(State(node): State<Arc<Node>>) -> Result<Response> {
    let follows = crate::domain::read::follows(&node.cx).await?;
    let accepted: Vec<ObjectRef> = follows
        .iter()
        .filter(|f| f.state == crate::model::remote::FollowState::Accepted)
        .filter_map(|f| Url::parse(&f.target).ok().map(ObjectRef::Id))
        .collect();
    Ok(ap_response(
        StatusCode::OK,
        &OrderedCollection {
            context: context::basic(),
            id: node.cx.urls.node_following(),
            kind: "OrderedCollection".into(),
            total_items: Some(accepted.len() as u64),
            first: None,
            ordered_items: Some(accepted),
        },
    ))
}

/// A shop's answer to a reply: its `Note` for servers, the shop's page for browsers.
async fn shop_reply(
    State(node): State<Arc<Node>>,
    Path((slug, id)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Result<Response> {
    let note = crate::federation::replies::document(&node.fed, &slug, &id).await?;
    if super::wants_html(&headers) && !super::negotiation::wants_activity_json(&headers) {
        return Ok(axum::response::Redirect::to(&format!("/shops/{slug}")).into_response());
    }
    Ok(ap_response(StatusCode::OK, &note))
}

/// The shop's newest products, shown pinned on its profile.
async fn merchant_featured(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
) -> Result<Response> {
    let m = merchants::get(&node.cx, &slug).await?;
    let (items, _) = products::list(
        &node.cx,
        &products::ListQuery {
            merchant: Some(slug.clone()),
            limit: 4,
            ..Default::default()
        },
    )
    .await?;
    let settings = crate::domain::reservations::settings_of(&node.cx, m.id).await?;
    let notes: Vec<ObjectRef> = items
        .iter()
        .map(|p| {
            let reservable = settings.reservable(p.id)
                && p.fields.availability != etal_protocol::Availability::OutOfStock;
            ObjectRef::Object(Box::new(Object::Note(Box::new(to_ap::product_note(
                &node.cx.urls,
                &m,
                p,
                false,
                reservable,
            )))))
        })
        .collect();
    Ok(ap_response(
        StatusCode::OK,
        &OrderedCollection {
            context: context::full(),
            id: node.cx.urls.merchant_part(&slug, "featured"),
            kind: "OrderedCollection".into(),
            total_items: Some(notes.len() as u64),
            first: None,
            ordered_items: Some(notes),
        },
    ))
}

async fn picture(node: &Node, slug: &str, icon: bool) -> Result<Response> {
    let m = merchants::get(&node.cx, slug).await?;
    let bytes = node
        .avatars
        .get(icon, &m.fields.name, m.fields.category.as_deref())
        .await;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response())
}

async fn merchant_icon(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
) -> Result<Response> {
    picture(&node, &slug, true).await
}

async fn merchant_header(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
) -> Result<Response> {
    picture(&node, &slug, false).await
}

async fn load_activity(node: &Node, id: &str) -> Result<ap::Activity> {
    let not_found = || Error::NotFound(format!("no activity {id}"));
    let uuid = Uuid::parse_str(id).map_err(|_| not_found())?;
    let event = crate::domain::read::event(&node.cx, uuid)
        .await?
        .ok_or_else(not_found)?;
    let subject = crate::domain::read::subject(&node.cx, &event).await?;
    render_event(&node.fed, &event, subject)
        .ok_or_else(|| Error::Deleted(format!("activity {id} is about a deleted object")))
}

async fn activity(State(node): State<Arc<Node>>, Path(id): Path<String>) -> Result<Response> {
    Ok(ap_response(
        StatusCode::OK,
        &load_activity(&node, &id).await?,
    ))
}

async fn announced_activity(
    State(node): State<Arc<Node>>,
    Path(id): Path<String>,
) -> Result<Response> {
    let a = load_activity(&node, &id).await?;
    Ok(ap_response(
        StatusCode::OK,
        &to_ap::announce(&node.cx.urls, a),
    ))
}
