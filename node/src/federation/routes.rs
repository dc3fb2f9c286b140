//! ActivityPub and discovery endpoints: WebFinger, NodeInfo, the node actor, merchants' and
//! the node's collections, activities, and generated profile pictures.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use url::Url;
use uuid::Uuid;

use super::{ap_response, render};
use crate::db;
use crate::delivery::fanout::{self, Event, EVENT_COLUMNS};
use crate::domain::{merchants, products};
use crate::error::{Error, Result};
use crate::Node;
use etal_protocol::ap::{
    self, context, Jrd, JrdLink, NodeInfo, NodeInfoLinks, Object, ObjectRef, OrderedCollection,
    OrderedCollectionPage,
};

/// Items per collection page.
pub const PAGE_SIZE: i64 = 20;

/// Routes of this module.
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo_21))
        .route("/nodeinfo/2.0", get(nodeinfo_20))
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
        .route("/shops/{slug}/icon.png", get(merchant_icon))
        .route("/shops/{slug}/header.png", get(merchant_header))
        .route("/activities/{id}", get(activity))
        .route("/activities/{id}/announce", get(announced_activity))
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("local URL")
}

/// `?resource=` of WebFinger.
#[derive(Deserialize)]
pub struct Resource {
    resource: Option<String>,
}

/// WebFinger: `acct:slug@host` (with or without the port) or an actor URL.
pub async fn webfinger(
    State(node): State<Arc<Node>>,
    Query(q): Query<Resource>,
) -> Result<Response> {
    let resource = q
        .resource
        .ok_or_else(|| Error::BadRequest("the resource parameter is required".into()))?;
    let urls = &node.urls;
    let bare_host = urls
        .host()
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string();
    let user = if let Some(acct) = resource.strip_prefix("acct:") {
        let (user, host) = acct
            .rsplit_once('@')
            .ok_or_else(|| Error::BadRequest("expected acct:user@host".into()))?;
        if !host.eq_ignore_ascii_case(urls.host()) && !host.eq_ignore_ascii_case(&bare_host) {
            return Err(Error::NotFound(format!("{host} is not this node")));
        }
        user.trim_start_matches('@').to_string()
    } else if resource == urls.node_actor() {
        render::NODE_USERNAME.to_string()
    } else if let Some(slug) = resource.strip_prefix(&format!("{}/shops/", urls.base())) {
        slug.to_string()
    } else {
        return Err(Error::NotFound(format!("no resource {resource} here")));
    };
    let (href, page) = if user == render::NODE_USERNAME {
        (urls.node_actor(), format!("{}/", urls.base()))
    } else {
        let m = merchants::get(&node, &user).await?;
        (urls.merchant(&m.slug), urls.merchant(&m.slug))
    };
    let jrd = Jrd {
        subject: format!("acct:{user}@{}", urls.host()),
        aliases: vec![href.clone()],
        links: vec![
            JrdLink {
                rel: "self".into(),
                kind: Some(ap::ACTIVITY_JSON.into()),
                href: Some(href),
                template: None,
            },
            JrdLink {
                rel: "http://webfinger.net/rel/profile-page".into(),
                kind: Some("text/html".into()),
                href: Some(page),
                template: None,
            },
        ],
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/jrd+json"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        serde_json::to_vec(&jrd).unwrap_or_default(),
    )
        .into_response())
}

async fn nodeinfo_links(State(node): State<Arc<Node>>) -> Json<NodeInfoLinks> {
    Json(NodeInfoLinks {
        links: vec![
            JrdLink {
                rel: "http://nodeinfo.diaspora.software/ns/schema/2.1".into(),
                kind: None,
                href: Some(format!("{}/nodeinfo/2.1", node.urls.base())),
                template: None,
            },
            JrdLink {
                rel: "http://nodeinfo.diaspora.software/ns/schema/2.0".into(),
                kind: None,
                href: Some(format!("{}/nodeinfo/2.0", node.urls.base())),
                template: None,
            },
            JrdLink {
                rel: "https://www.w3.org/ns/activitystreams#Application".into(),
                kind: None,
                href: Some(node.urls.node_actor()),
                template: None,
            },
        ],
    })
}

async fn nodeinfo_21(State(node): State<Arc<Node>>) -> Result<Response> {
    nodeinfo(&node, "2.1").await
}

/// NodeInfo 2.0, for software that reads no other version (GoToSocial).
async fn nodeinfo_20(State(node): State<Arc<Node>>) -> Result<Response> {
    nodeinfo(&node, "2.0").await
}

/// The NodeInfo document: the same content in versions 2.0 and 2.1 (2.1 only adds optional
/// `software.repository` and `software.homepage`, which Étal does not send).
async fn nodeinfo(node: &Node, version: &str) -> Result<Response> {
    let merchants = db::merchants::count_live(node.db.pool()).await?;
    let products = db::products::count_live(node.db.pool()).await?;
    let info = NodeInfo {
        version: version.into(),
        software: ap::discovery::Software {
            name: "etal".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            repository: None,
            homepage: None,
        },
        protocols: vec!["activitypub".into()],
        services: ap::discovery::Services {
            inbound: vec![],
            outbound: vec![],
        },
        open_registrations: false,
        usage: ap::discovery::Usage {
            users: ap::discovery::Users {
                total: Some(merchants as u64),
                active_month: Some(merchants as u64),
                active_halfyear: Some(merchants as u64),
            },
            local_posts: Some(products as u64),
        },
        metadata: json!({"nodeName": format!("Étal {}", node.urls.host()), "actor": node.urls.node_actor()}),
    };
    Ok((
        [(
            header::CONTENT_TYPE,
            format!("application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""),
        )],
        serde_json::to_vec(&info).unwrap_or_default(),
    )
        .into_response())
}

async fn node_actor(State(node): State<Arc<Node>>) -> Response {
    ap_response(
        StatusCode::OK,
        &render::node_actor(&node.urls, &node.fed.node_public_pem),
    )
}

/// A merchant's actor document (410 with a Tombstone once deleted).
pub async fn merchant_document(node: &Node, slug: &str) -> Response {
    match db::merchants::by_slug(node.db.pool(), slug).await {
        Ok(Some(m)) if m.deleted_at.is_some() => ap_response(
            StatusCode::GONE,
            &render::tombstone(
                &node.urls.merchant(slug),
                "Organization",
                m.deleted_at.unwrap_or_default(),
                true,
            ),
        ),
        Ok(Some(m)) => ap_response(StatusCode::OK, &render::merchant_actor(&node.urls, &m)),
        Ok(None) => Error::NotFound(format!("no shop \"{slug}\"")).into_response(),
        Err(e) => Error::from(e).into_response(),
    }
}

/// A product's Note (410 with a Tombstone once deleted).
pub async fn product_document(node: &Node, id: &str) -> Response {
    let result = async {
        let pid = products::parse_id(id)?;
        let found = db::products::by_id(node.db.pool(), pid, "").await?;
        match found {
            Some(p) if p.deleted_at.is_some() => Ok(ap_response(
                StatusCode::GONE,
                &render::tombstone(
                    &node.urls.product(&p.id),
                    "Note",
                    p.deleted_at.unwrap_or_default(),
                    true,
                ),
            )),
            Some(mut p) => {
                p.images = db::images::for_product(node.db.pool(), p.id).await?;
                let m = db::merchants::by_id(node.db.pool(), p.merchant_id)
                    .await?
                    .ok_or_else(|| Error::NotFound("no shop".into()))?;
                Ok(ap_response(
                    StatusCode::OK,
                    &render::product_note(&node.urls, &m, &p, true),
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

async fn events_page(
    node: &Node,
    merchant: Option<uuid::Uuid>,
    before: Option<i64>,
) -> sqlx::Result<Vec<Event>> {
    let filter = if merchant.is_some() {
        "merchant_id=$1 AND object_kind='product'"
    } else {
        "$1 = $1"
    };
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE {filter} AND seq < $2 ORDER BY seq DESC LIMIT $3"
    );
    sqlx::query(&sql)
        .bind(merchant.map_or_else(String::new, |m| m.to_string()))
        .bind(before.unwrap_or(i64::MAX))
        .bind(PAGE_SIZE + 1)
        .fetch_all(node.db.pool())
        .await?
        .iter()
        .map(fanout::event_from_row)
        .collect()
}

async fn outbox(
    node: &Node,
    base: String,
    merchant: Option<uuid::Uuid>,
    q: PageQuery,
) -> Result<Response> {
    if q.page.is_none() && q.before.is_none() {
        let total: i64 = match merchant {
            Some(m) => sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox_events WHERE merchant_id=$1 AND object_kind='product'",
            )
            .bind(m.to_string())
            .fetch_one(node.db.pool())
            .await?,
            None => {
                sqlx::query_scalar("SELECT COUNT(*) FROM outbox_events")
                    .fetch_one(node.db.pool())
                    .await?
            }
        };
        let c = OrderedCollection {
            context: context::basic(),
            id: url(&base),
            kind: "OrderedCollection".into(),
            total_items: Some(total as u64),
            first: Some(json!(format!("{base}?page=true"))),
            ordered_items: None,
        };
        return Ok(ap_response(StatusCode::OK, &c));
    }
    let events = events_page(node, merchant, q.before).await?;
    let more = events.len() as i64 > PAGE_SIZE;
    let mut items = Vec::new();
    let mut conn = node.db.pool().acquire().await?;
    for e in events.iter().take(PAGE_SIZE as usize) {
        if let Some(mut a) = fanout::render_event(node, &mut conn, e)
            .await
            .map_err(Error::Internal)?
        {
            a.context = serde_json::Value::Null;
            let a = if merchant.is_none() {
                let mut announce = render::announce(&node.urls, a);
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
        part_of: Some(url(&base)),
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
    let m = merchants::get(&node, &slug).await?;
    outbox(
        &node,
        node.urls.merchant_part(&slug, "outbox"),
        Some(m.id),
        q,
    )
    .await
}

async fn node_outbox(
    State(node): State<Arc<Node>>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    outbox(&node, node.urls.node_outbox(), None, q).await
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
    let m = merchants::get(&node, &slug).await?;
    let total = db::remote::follower_count(node.db.pool(), &m.id.to_string()).await?;
    Ok(count_only(
        node.urls.merchant_part(&slug, "followers"),
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
    merchants::get(&node, &slug).await?;
    let base = node.urls.merchant_part(&slug, "following");
    if q.page.is_none() {
        return Ok(ap_response(
            StatusCode::OK,
            &OrderedCollection {
                context: context::basic(),
                id: url(&base),
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
            part_of: Some(url(&base)),
            ordered_items: vec![],
            next: None,
        },
    ))
}

async fn node_followers(State(node): State<Arc<Node>>) -> Result<Response> {
    let total = db::remote::follower_count(node.db.pool(), "node").await?;
    Ok(count_only(node.urls.node_followers(), total))
}

async fn node_following(State(node): State<Arc<Node>>) -> Result<Response> {
    let follows = db::remote::follows(node.db.pool()).await?;
    let accepted: Vec<ObjectRef> = follows
        .iter()
        .filter(|f| f.state == "accepted")
        .filter_map(|f| Url::parse(&f.target).ok().map(ObjectRef::Id))
        .collect();
    Ok(ap_response(
        StatusCode::OK,
        &OrderedCollection {
            context: context::basic(),
            id: url(&node.urls.node_following()),
            kind: "OrderedCollection".into(),
            total_items: Some(accepted.len() as u64),
            first: None,
            ordered_items: Some(accepted),
        },
    ))
}

/// The shop's newest products, shown pinned on its profile.
async fn merchant_featured(
    State(node): State<Arc<Node>>,
    Path(slug): Path<String>,
) -> Result<Response> {
    let m = merchants::get(&node, &slug).await?;
    let (items, _) = products::list(
        &node,
        &products::ListQuery {
            merchant: Some(slug.clone()),
            limit: 4,
            ..Default::default()
        },
    )
    .await?;
    let notes: Vec<ObjectRef> = items
        .iter()
        .map(|p| {
            ObjectRef::Object(Box::new(Object::Note(Box::new(render::product_note(
                &node.urls, &m, p, false,
            )))))
        })
        .collect();
    Ok(ap_response(
        StatusCode::OK,
        &OrderedCollection {
            context: context::full(),
            id: url(&node.urls.merchant_part(&slug, "featured")),
            kind: "OrderedCollection".into(),
            total_items: Some(notes.len() as u64),
            first: None,
            ordered_items: Some(notes),
        },
    ))
}

async fn picture(node: &Node, slug: &str, icon: bool) -> Result<Response> {
    let m = merchants::get(node, slug).await?;
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
    let row = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE activity_id=$1"
    ))
    .bind(uuid.to_string())
    .fetch_optional(node.db.pool())
    .await?
    .ok_or_else(not_found)?;
    let event = fanout::event_from_row(&row)?;
    let mut conn = node.db.pool().acquire().await?;
    fanout::render_event(node, &mut conn, &event)
        .await
        .map_err(Error::Internal)?
        .ok_or_else(|| Error::Gone(format!("activity {id} is about a deleted object")))
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
        &render::announce(&node.urls, a),
    ))
}

/// Whether a request wants ActivityPub (re-exported for the pages).
pub fn wants_ap(headers: &HeaderMap) -> bool {
    super::wants_activity_json(headers)
}
