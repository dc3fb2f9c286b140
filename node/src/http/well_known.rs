//! Discovery: WebFinger (`acct:slug@host` to a shop's actor) and NodeInfo 2.1 and 2.0.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::domain::merchants;
use crate::error::{Error, Result};
use crate::federation::to_ap;
use crate::http::Node;
use crate::urls::LocalRef;
use etal_protocol::ap::{self, Jrd, JrdLink, NodeInfo, NodeInfoLinks};

/// Routes of this module.
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo_21))
        .route("/nodeinfo/2.0", get(nodeinfo_20))
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
        .ok_or_else(|| Error::Unreadable("the resource parameter is required".into()))?;
    let urls = &node.cx.urls;
    let bare_host = urls
        .host()
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string();
    let user = if let Some(acct) = resource.strip_prefix("acct:") {
        let (user, host) = acct
            .rsplit_once('@')
            .ok_or_else(|| Error::Unreadable("expected acct:user@host".into()))?;
        if !host.eq_ignore_ascii_case(urls.host()) && !host.eq_ignore_ascii_case(&bare_host) {
            return Err(Error::NotFound(format!("{host} is not this node")));
        }
        user.trim_start_matches('@').to_string()
    } else {
        match url::Url::parse(&resource)
            .ok()
            .and_then(|u| urls.parse_local(&u))
        {
            Some(LocalRef::NodeActor) => to_ap::NODE_USERNAME.to_string(),
            Some(LocalRef::Merchant(slug)) => slug,
            _ => return Err(Error::NotFound(format!("no resource {resource} here"))),
        }
    };
    let (href, page) = if user == to_ap::NODE_USERNAME {
        (urls.node_actor().to_string(), format!("{}/", urls.base()))
    } else {
        let m = merchants::get(&node.cx, &user).await?;
        (
            urls.merchant(&m.slug).to_string(),
            urls.merchant(&m.slug).to_string(),
        )
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
                href: Some(format!("{}/nodeinfo/2.1", node.cx.urls.base())),
                template: None,
            },
            JrdLink {
                rel: "http://nodeinfo.diaspora.software/ns/schema/2.0".into(),
                kind: None,
                href: Some(format!("{}/nodeinfo/2.0", node.cx.urls.base())),
                template: None,
            },
            JrdLink {
                rel: "https://www.w3.org/ns/activitystreams#Application".into(),
                kind: None,
                href: Some(node.cx.urls.node_actor().to_string()),
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
    let merchants = crate::domain::read::counts(&node.cx).await?.0;
    let products = crate::domain::read::counts(&node.cx).await?.1;
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
        // The open data, found from the base URL alone (spec §15).
        metadata: json!({
            "nodeName": format!("Étal {}", node.cx.urls.host()),
            "actor": node.cx.urls.node_actor(),
            "openData": {
                "catalog": format!("{}/open-data/catalog.jsonld", node.cx.urls.base()),
                "dataPackage": format!("{}/open-data/datapackage.json", node.cx.urls.base()),
                "changes": format!("{}/open-data/changes", node.cx.urls.base()),
                "licence": node.cx.site().licence.url(),
            },
        }),
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
