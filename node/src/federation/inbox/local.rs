//! The local actors and products an activity names, found from their URLs.

use url::Url;
use uuid::Uuid;

use super::verify::Refusal;
use super::InboxError;
use crate::domain::Tx;
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
    match crate::domain::read::live_shop_in(tx, &slug)
        .await
        .map_err(InboxError::internal)?
    {
        Some(m) => Ok(Local::Merchant(m.id, m.slug)),
        None => Err(not_here(id)),
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
    crate::domain::read::live_local_product(&fed.cx, pid)
        .await
        .map_err(InboxError::internal)
}
