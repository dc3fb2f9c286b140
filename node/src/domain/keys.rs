//! The private keys the node signs with: its own actor's, and each local shop's. They never
//! leave the node (documents carry the public halves).

use uuid::Uuid;

use super::Context;
use crate::db;
use crate::error::Result;

/// The node actor's key pair (public PEM, private PEM).
pub async fn node_key_pair(cx: &Context) -> Result<(String, String)> {
    Ok(db::settings::node_key_pair(&cx.db).await?)
}

/// A local shop's slug and private key (PEM).
pub async fn shop_signing_key(cx: &Context, merchant: Uuid) -> Result<(String, String)> {
    Ok(db::merchants::signing_key(cx.db.pool(), merchant).await?)
}
