//! The node actor following other nodes (or any actor): finding the actor behind an address,
//! a handle or a URL, and writing the Follow and Undo activities. The other side then
//! announces every Create, Update and Delete of its shops to this node, which mirrors them.

use url::Url;

use crate::domain;
use crate::error::{Error, Result};
use crate::federation::inbox::verify::remote_actor;
use crate::federation::to_ap;
use crate::federation::Federation;
use etal_protocol::ap::{ActivityType, ObjectRef};

/// Finds the actor behind `target`: an actor URL, `@user@host`, or a node's address (its
/// NodeInfo names its actor, FEP-2677).
pub async fn resolve(fed: &Federation, target: &str) -> Result<Url> {
    let target = target.trim();
    let bad = |m: String| Error::field("target", m);
    if target.contains('@') && !target.starts_with("http") {
        return fed
            .fetcher
            .webfinger(target)
            .await
            .map_err(|e| bad(e.to_string()));
    }
    let url = Url::parse(target)
        .map_err(|_| bad("must be an actor URL, @user@host or a node's address".into()))?;
    if url.path() != "/" && !url.path().is_empty() {
        return Ok(url);
    }
    let links_url = url
        .join("/.well-known/nodeinfo")
        .map_err(|e| bad(e.to_string()))?;
    let links: etal_protocol::ap::NodeInfoLinks = fed
        .fetcher
        .get_discovery(&links_url)
        .await
        .map_err(|e| bad(e.to_string()))?;
    links
        .links
        .iter()
        .find(|l| l.rel == "https://www.w3.org/ns/activitystreams#Application")
        .and_then(|l| l.href.as_deref())
        .and_then(|h| Url::parse(h).ok())
        .ok_or_else(|| bad(format!("{url} names no actor in its NodeInfo (FEP-2677)")))
}

/// Makes the node actor follow `target`; the Follow is queued for delivery.
pub async fn follow(fed: &Federation, target: &str) -> Result<Url> {
    let actor_url = resolve(fed, target).await?;
    if fed.cx.urls.is_local(&actor_url) {
        return Err(Error::field("target", "this is the node itself"));
    }
    let doc = fed
        .fetcher
        .get(&actor_url)
        .await
        .map_err(|e| Error::field("target", e.to_string()))?;
    let now = fed.cx.clock.now_ms();
    let (actor, stored) = remote_actor(&doc, now).map_err(|e| Error::field("target", e))?;
    let id = to_ap::new_activity_id(&fed.cx.urls);
    let follow = to_ap::direct(
        id.clone(),
        ActivityType::Follow,
        &fed.cx.urls.node_actor(),
        &actor.id,
        ObjectRef::Id(actor.id.clone()),
    );
    let body = serde_json::to_string(&follow).map_err(|e| Error::Internal(e.into()))?;
    domain::follows::record_follow(&fed.cx, &stored, id.as_str(), &body).await?;
    Ok(actor.id)
}

/// Stops following `target` (an actor id); mirrored products stay until their shop deletes them.
pub async fn unfollow(fed: &Federation, target: &str) -> Result<()> {
    let f = domain::follows::get(&fed.cx, target).await?;
    let actor = domain::audience::stored_actor(&fed.cx, &f.target).await?;
    let mut undo_doc = None;
    if let Some(actor) = actor {
        let target_url = Url::parse(&f.target).map_err(|e| Error::Internal(e.into()))?;
        let follow = to_ap::direct(
            Url::parse(&f.follow_activity).map_err(|e| Error::Internal(e.into()))?,
            ActivityType::Follow,
            &fed.cx.urls.node_actor(),
            &target_url,
            ObjectRef::Id(target_url.clone()),
        );
        let mut inner = follow;
        inner.context = serde_json::Value::Null;
        let undo = to_ap::direct(
            to_ap::new_activity_id(&fed.cx.urls),
            ActivityType::Undo,
            &fed.cx.urls.node_actor(),
            &target_url,
            ObjectRef::Object(Box::new(etal_protocol::ap::Object::Activity(Box::new(
                inner,
            )))),
        );
        let body = serde_json::to_string(&undo).map_err(|e| Error::Internal(e.into()))?;
        undo_doc = Some((undo.id.to_string(), body, actor.inbox));
    }
    let undo = undo_doc
        .as_ref()
        .map(|(id, body, inbox)| (id.as_str(), body.as_str(), inbox.as_str()));
    domain::follows::record_unfollow(&fed.cx, &f.target, undo).await
}
