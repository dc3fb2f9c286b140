//! Who is calling: bearer tokens, stored hashed, scoped to the node or to one merchant.

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use uuid::Uuid;

use crate::db::{self, tokens::Scope};
use crate::error::{Error, Result};
use crate::Node;

/// The authenticated caller of an API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal(pub Scope);

impl Principal {
    /// Only a node admin.
    pub fn require_admin(&self) -> Result<()> {
        match &self.0 {
            Scope::Admin => Ok(()),
            Scope::Merchant { .. } => Err(Error::Forbidden(
                "this token belongs to a merchant; the node admin's token is required".into(),
            )),
        }
    }

    /// A node admin, or the token of the merchant `merchant_id`.
    pub fn may_manage(&self, merchant_id: Uuid) -> Result<()> {
        match &self.0 {
            Scope::Admin => Ok(()),
            Scope::Merchant { id, .. } if *id == merchant_id => Ok(()),
            Scope::Merchant { slug, .. } => Err(Error::Forbidden(format!(
                "this token belongs to the shop \"{slug}\" and cannot change another shop"
            ))),
        }
    }
}

/// The stored form of a token: SHA-256, hex.
pub fn hash(token: &str) -> String {
    digest::digest(&digest::SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Creates a token named `name` (for the merchant `slug`, or the node admin) and returns the
/// secret, shown this once.
pub async fn create_token(node: &Node, name: &str, merchant: Option<&str>) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::field("name", "must be 1 to 100 characters"));
    }
    let merchant_id = match merchant {
        Some(slug) => Some(super::merchants::get(node, slug).await?.id),
        None => None,
    };
    let mut secret = [0u8; 32];
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| Error::Internal(anyhow::anyhow!("no randomness")))?;
    let token = format!(
        "etal_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let mut tx = node.db.begin().await?;
    db::tokens::insert(
        &mut *tx,
        name,
        &hash(&token),
        merchant_id,
        node.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Resolves an `Authorization` header value.
pub async fn authenticate(node: &Node, header: Option<&str>) -> Result<Principal> {
    let Some(value) = header else {
        return Err(Error::Unauthorized(
            "this endpoint needs an Authorization: Bearer token (see `etal admin token create`)"
                .into(),
        ));
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::Unauthorized("the Authorization header must be \"Bearer TOKEN\"".into())
        })?;
    match db::tokens::scope_of(node.db.pool(), &hash(token)).await? {
        Some(scope) => Ok(Principal(scope)),
        None => Err(Error::Unauthorized(
            "this token is not valid (unknown or revoked)".into(),
        )),
    }
}
