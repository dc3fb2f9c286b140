//! `Like`, `Announce` (boost) and `Create` of a reply, when they are about a local product:
//! listed in the shop's interactions.

use url::Url;
use uuid::Uuid;

use super::{InboxError, Verified};
use crate::domain::audience;
use crate::domain::Tx;
use crate::federation::sanitize;
use crate::federation::Federation;
use crate::model::remote::Interaction;
use crate::urls::LocalRef;
use etal_protocol::ap::{ActivityType, Object};

fn interaction_row(
    v: &Verified,
    kind: &str,
    product: Option<Uuid>,
    note: Option<&etal_protocol::ap::Note>,
    now: i64,
) -> Interaction {
    Interaction {
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

pub(super) async fn interaction(
    tx: &mut Tx,
    merchant: Uuid,
    v: &Verified,
    kind: &str,
    product: Option<Uuid>,
    note: Option<&etal_protocol::ap::Note>,
    now: i64,
) -> Result<(), InboxError> {
    let i = interaction_row(v, kind, product, note, now);
    audience::add_interaction(tx, merchant, &i)
        .await
        .map_err(InboxError::internal)
}

/// A like, boost or reply of a local product by an actor already known: one statement that
/// finds the product and records the interaction, atomic on its own and idempotent
/// (interactions are unique by activity id). The common case, kept to a single write because
/// SQLite has a single writer.
pub(super) async fn interaction_fast_path(
    fed: &Federation,
    v: &Verified,
    target: Option<&Url>,
    now: i64,
) -> Result<bool, InboxError> {
    let a = &v.activity;
    let product = target.and_then(|t| match fed.cx.urls.parse_local(t) {
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
    fed.cx
        .interactions
        .write(i)
        .await
        .map_err(InboxError::internal)?;
    Ok(true)
}
