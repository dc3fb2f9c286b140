//! What each verified activity does, in one transaction with its dedup record and the
//! verified actor: Follow, Undo, Like, Announce, Create (replies), Update, Delete, Accept,
//! Reject. An error rolls everything back.

use super::verify::Refusal;
use url::Url;
use uuid::Uuid;

use super::{Inbox, InboxError, Verified};
use crate::db::{self, queue, remote, Tx};
use crate::federation::{mirror, render, sanitize};
use crate::model::actor::LocalActor;
use crate::urls::LocalRef;
use crate::Node;
use etal_protocol::ap::{Activity, ActivityType, Object, ObjectRef};

/// A local actor: the node, or a merchant (id, slug).
enum Local {
    Node,
    Merchant(Uuid, String),
}

impl Local {
    fn key(&self) -> LocalActor {
        match self {
            Local::Node => LocalActor::Node,
            Local::Merchant(id, _) => LocalActor::Merchant(*id),
        }
    }

    fn url(&self, node: &Node) -> String {
        match self {
            Local::Node => node.urls.node_actor(),
            Local::Merchant(_, slug) => node.urls.merchant(slug),
        }
    }
}

fn not_here(what: &Url) -> InboxError {
    InboxError::new(
        Refusal::NotFound,
        format!("{what} is not an actor or object of this node"),
    )
}

async fn local_actor(node: &Node, tx: &mut Tx, id: &Url) -> Result<Local, InboxError> {
    let slug = match node.urls.parse_local(id) {
        Some(LocalRef::NodeActor) => return Ok(Local::Node),
        Some(LocalRef::Merchant(slug)) => slug,
        _ => return Err(not_here(id)),
    };
    match db::merchants::by_slug(&mut **tx, &slug).await? {
        Some(m) if m.deleted_at.is_none() => Ok(Local::Merchant(m.id, m.slug)),
        _ => Err(not_here(id)),
    }
}

/// A local product by its URL: (product id, merchant id).
async fn local_product(node: &Node, id: &Url) -> Result<Option<(Uuid, Uuid)>, InboxError> {
    let Some(LocalRef::Product(pid)) = node.urls.parse_local(id) else {
        return Ok(None);
    };
    Ok(db::products::by_id(node.db.pool(), pid, db::Lock::None)
        .await?
        .filter(|p| p.deleted_at.is_none() && p.local)
        .map(|p| (p.id, p.merchant_id)))
}

/// Handles a verified activity once.
pub async fn dispatch(
    node: &std::sync::Arc<Node>,
    _inbox: &Inbox,
    v: Verified,
) -> Result<(), InboxError> {
    let a = &v.activity;
    let now = node.clock.now_ms();
    // Anything that needs the network, and read-only lookups, happen before the transaction:
    // it holds SQLite's single write lock.
    let target = match (&a.kind, a.object.object()) {
        (ActivityType::Like | ActivityType::Announce, _) => a.object.id().cloned(),
        (ActivityType::Create, Some(Object::Note(note))) => note.in_reply_to.clone(),
        _ => None,
    };
    if interaction_fast_path(node, &v, target.as_ref(), now).await? {
        let _ = crate::federation::host_answered(node, &etal_protocol::ap::origin(&a.actor)).await;
        return Ok(());
    }
    let prepared = mirror::prepare(node, &v).await?;
    let product = match &target {
        Some(t) => local_product(node, t).await?,
        None => None,
    };
    let mut tx = node.db.begin().await?;
    if !remote::first_receipt(&mut tx, a.id.as_str(), now).await? {
        return Ok(());
    }
    if v.fresh {
        remote::upsert_actor(&mut tx, &v.actor).await?;
    }
    let mut after = After::default();
    match a.kind {
        ActivityType::Follow => {
            let local = follow(node, &mut tx, &v, now).await?;
            after.log = Some(("follow accepted", local));
        }
        ActivityType::Undo => {
            if let Some(local) = undo(node, &mut tx, &v).await? {
                after.log = Some(("unfollowed", local));
            }
        }
        ActivityType::Like | ActivityType::Announce => match product {
            Some((pid, mid)) => {
                let kind = if a.kind == ActivityType::Like {
                    "like"
                } else {
                    "announce"
                };
                interaction(&mut tx, mid, &v, kind, Some(pid), None, now).await?;
            }
            None if a.kind == ActivityType::Announce => {
                mirror::apply_announce(node, &mut tx, &v, &prepared).await?;
            }
            None => {}
        },
        ActivityType::Create => {
            if let (Some(Object::Note(note)), Some((pid, mid))) = (a.object.object(), product) {
                interaction(&mut tx, mid, &v, "reply", Some(pid), Some(note), now).await?;
            }
        }
        ActivityType::Update => {
            if let Some(Object::Actor(actor)) = a.object.object() {
                if actor.id == a.actor {
                    // Key rotation and profile changes: the embedded document replaces ours.
                    let doc = serde_json::to_value(actor).unwrap_or_default();
                    if let Ok((_, stored)) = super::verify::remote_actor(&doc, now) {
                        remote::upsert_actor(&mut tx, &stored).await?;
                        node.fed.forget_actor(&stored.ap_id);
                    }
                }
            }
            if let Some(Object::Note(note)) = a.object.object() {
                let content = note.content.as_deref().map(sanitize::html);
                remote::edit_reply(&mut tx, a.actor.as_str(), note.id.as_str(), content).await?;
            }
        }
        ActivityType::Delete => {
            let target =
                a.object.id().cloned().ok_or_else(|| {
                    InboxError::new(Refusal::Malformed, "Delete of nothing".into())
                })?;
            if target == a.actor {
                remote::delete_actor(&mut tx, a.actor.as_str(), now).await?;
                node.fed.forget_actor(a.actor.as_str());
                crate::domain::mirror::delete_merchant(&mut tx, a.actor.as_str(), now)
                    .await
                    .map_err(InboxError::internal)?;
            } else {
                remote::remove_interaction(&mut tx, a.actor.as_str(), target.as_str()).await?;
                crate::domain::mirror::delete_product(
                    &mut tx,
                    &etal_protocol::ap::origin(&a.actor),
                    target.as_str(),
                    now,
                )
                .await
                .map_err(InboxError::internal)?;
            }
        }
        ActivityType::Accept | ActivityType::Reject => {
            let follow_id = a.object.id().map(Url::to_string).unwrap_or_default();
            let found = remote::follow(&mut *tx, &follow_id)
                .await?
                .filter(|f| f.target == a.actor.as_str());
            let found = match found {
                Some(f) => Some(f),
                None => remote::follow(&mut *tx, a.actor.as_str()).await?,
            };
            if let Some(f) = found {
                let state = if a.kind == ActivityType::Accept {
                    "accepted"
                } else {
                    "rejected"
                };
                remote::set_follow_state(&mut tx, &f.target, state, now).await?;
                // Only the first acceptance backfills: a repeated Accept changes nothing.
                if state == "accepted" && f.state == "pending" {
                    after.backfill = Some(f.target);
                }
            }
        }
        _ => {}
    }
    tx.commit().await?;
    if v.fresh {
        node.fed.cache_actor(&v.actor);
    }
    node.wake.notify_one();
    if let Some((what, local)) = after.log {
        tracing::info!(follower = %a.actor, actor = local, "{what}");
    }
    let _ = crate::federation::host_answered(node, &etal_protocol::ap::origin(&a.actor)).await;
    if let Some(target) = after.backfill {
        mirror::spawn_backfill(node.clone(), target);
    }
    Ok(())
}

#[derive(Default)]
struct After {
    backfill: Option<String>,
    /// What to log once the transaction is committed: (what happened, the local actor).
    log: Option<(&'static str, String)>,
}

/// Records a follower and queues the Accept; returns the followed local actor's URL.
async fn follow(node: &Node, tx: &mut Tx, v: &Verified, now: i64) -> Result<String, InboxError> {
    let a = &v.activity;
    let target = a
        .object
        .id()
        .ok_or_else(|| InboxError::new(Refusal::Malformed, "Follow of nothing".into()))?;
    let local = local_actor(node, tx, target).await?;
    remote::add_follower(tx, local.key(), a.actor.as_str(), a.id.as_str(), now).await?;
    // Accept it at once, through the persistent queue.
    let follow_doc: Activity = {
        let mut f = a.clone();
        f.context = serde_json::Value::Null;
        f
    };
    let accept = render::direct(
        render::new_activity_id(&node.urls),
        ActivityType::Accept,
        &local.url(node),
        &a.actor,
        ObjectRef::Object(Box::new(Object::Activity(Box::new(follow_doc)))),
    );
    let body = serde_json::to_string(&accept).map_err(InboxError::internal)?;
    queue::enqueue(
        tx,
        accept.id.as_str(),
        local.key(),
        &body,
        std::slice::from_ref(&v.actor.inbox),
        now,
    )
    .await?;
    Ok(local.url(node))
}

/// Undoes a Follow, Like or Announce; returns the local actor that lost a follower, if any.
async fn undo(node: &Node, tx: &mut Tx, v: &Verified) -> Result<Option<String>, InboxError> {
    let a = &v.activity;
    let inner_id = a.object.id().map(Url::to_string).unwrap_or_default();
    match a.object.object() {
        Some(Object::Activity(inner)) if inner.kind == ActivityType::Follow => {
            let target = inner.object.id().ok_or_else(|| {
                InboxError::new(Refusal::Malformed, "Undo of a Follow of nothing".into())
            })?;
            if let Ok(local) = local_actor(node, tx, target).await {
                remote::remove_follower(tx, Some(local.key()), a.actor.as_str()).await?;
                return Ok(Some(local.url(node)));
            }
        }
        _ => {
            // By id: a Follow we recorded, or a Like/Announce.
            let n = remote::remove_follow_activity(tx, a.actor.as_str(), &inner_id).await?;
            if n == 0 {
                remote::remove_interaction(tx, a.actor.as_str(), &inner_id).await?;
            } else {
                return Ok(Some(format!("the follow {inner_id}")));
            }
        }
    }
    Ok(None)
}

fn interaction_row(
    v: &Verified,
    kind: &str,
    product: Option<Uuid>,
    note: Option<&etal_protocol::ap::Note>,
    now: i64,
) -> remote::Interaction {
    remote::Interaction {
        id: Uuid::now_v7(),
        activity_id: v.activity.id.to_string(),
        kind: kind.into(),
        product_id: product,
        actor: v.activity.actor.to_string(),
        object_id: note.map(|n| n.id.to_string()),
        content: note.and_then(|n| n.content.as_deref()).map(sanitize::html),
        // Only a real web address is kept as the reply's link.
        url: note
            .and_then(|n| n.url.as_ref())
            .and_then(|u| u.as_str())
            .and_then(|u| Url::parse(u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(String::from)
            .or_else(|| note.map(|n| n.id.to_string())),
        created_at: now,
    }
}

async fn interaction(
    tx: &mut Tx,
    merchant: Uuid,
    v: &Verified,
    kind: &str,
    product: Option<Uuid>,
    note: Option<&etal_protocol::ap::Note>,
    now: i64,
) -> Result<(), InboxError> {
    let i = interaction_row(v, kind, product, note, now);
    remote::add_interaction(&mut **tx, merchant, &i).await?;
    Ok(())
}

/// A like, boost or reply of a local product by an actor already known: one statement that
/// finds the product and records the interaction, atomic on its own and idempotent
/// (interactions are unique by activity id). The common case, kept to a single write because
/// SQLite has a single writer.
async fn interaction_fast_path(
    node: &Node,
    v: &Verified,
    target: Option<&Url>,
    now: i64,
) -> Result<bool, InboxError> {
    let a = &v.activity;
    let product = target.and_then(|t| match node.urls.parse_local(t) {
        Some(LocalRef::Product(id)) => Some(id),
        _ => None,
    });
    let (Some(pid), false) = (product, v.fresh) else {
        return Ok(false);
    };
    let (kind, note) = match (&a.kind, a.object.object()) {
        (ActivityType::Like, _) => ("like", None),
        (ActivityType::Announce, None) => ("announce", None),
        (ActivityType::Create, Some(Object::Note(n))) => ("reply", Some(&**n)),
        _ => return Ok(false),
    };
    let i = interaction_row(v, kind, Some(pid), note, now);
    node.fed
        .interactions
        .write(i)
        .await
        .map_err(InboxError::internal)?;
    Ok(true)
}
