//! The local actors and products an activity names, found from their URLs.

use url::Url;
use uuid::Uuid;

use super::verify::Refusal;
use super::InboxError;
use crate::db::{self, Tx};
use crate::federation::Federation;
use crate::model::actor::LocalActor;
use crate::urls::LocalRef;

/// A local actor: the node, or a merchant (id, slug).
pub(super) enum Local {
    Node,
    Merchant(Uuid, String),
}

impl Local {
    pub(super) fn key(&self) -> LocalActor {
        match self {
            Local::Node => LocalActor::Node,
            Local::Merchant(id, _) => LocalActor::Merchant(*id),
        }
    }

    pub(super) fn url(&self, fed: &Federation) -> Url {
        match self {
            Local::Node => fed.cx.urls.node_actor(),
            Local::Merchant(_, slug) => fed.cx.urls.merchant(slug),
        }
    }
}

pub(super) fn not_here(what: &Url) -> InboxError {
    InboxError::new(
        Refusal::NotFound,
        format!("{what} is not an actor or object of this node"),
    )
}

pub(super) async fn local_actor(
    fed: &Federation,
    tx: &mut Tx,
    id: &Url,
) -> Result<Local, InboxError> {
    let slug = match fed.cx.urls.parse_local(id) {
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
pub(super) async fn local_product(
    fed: &Federation,
    id: &Url,
) -> Result<Option<(Uuid, Uuid)>, InboxError> {
    let Some(LocalRef::Product(pid)) = fed.cx.urls.parse_local(id) else {
        return Ok(None);
    };
    Ok(db::products::by_id(fed.cx.db.pool(), pid, db::Lock::None)
        .await?
        .filter(|p| p.deleted_at.is_none() && p.local)
        .map(|p| (p.id, p.merchant_id)))
}
