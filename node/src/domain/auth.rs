//! API tokens: stored hashed, scoped to the node or to one merchant; created on the command
//! line or by a shop's owner in the dashboard, revoked there.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use uuid::Uuid;

use super::authz::{allow, Action, Caller};
use crate::db;
use crate::domain::Context;
use crate::error::{Error, Result};
use crate::model::account::TokenInfo;

/// The stored form of a token: SHA-256, hex.
pub fn hash(token: &str) -> String {
    crate::keys::sha256_hex(token)
}

/// Creates a token named `name` (for the merchant `slug`, or the node admin) and returns the
/// secret, shown this once.
pub async fn create_token(cx: &Context, name: &str, merchant: Option<&str>) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::field("name", "must be 1 to 100 characters"));
    }
    let merchant_id = match merchant {
        Some(slug) => Some(super::merchants::get(cx, slug).await?.id),
        None => None,
    };
    let token = format!("etal_{}", secret()?);
    let mut tx = cx.db.begin().await?;
    db::tokens::insert(
        &mut *tx,
        name,
        &hash(&token),
        merchant_id,
        cx.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Resolves an `Authorization` header value: no header is [`Caller::Anonymous`], a bad or
/// revoked token is refused at once.
pub async fn authenticate(cx: &Context, header: Option<&str>) -> Result<Caller> {
    let Some(value) = header else {
        return Ok(Caller::Anonymous);
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::NotAuthenticated("the Authorization header must be \"Bearer TOKEN\"".into())
        })?;
    match db::tokens::scope_of(cx.db.pool(), &hash(token)).await? {
        Some(scope) => Ok(Caller::Token(scope)),
        None => Err(Error::NotAuthenticated(
            "this token is not valid (unknown or revoked)".into(),
        )),
    }
}

/// 32 random bytes, base64url: the secret of a token, a session cookie or a one-time link.
pub fn secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Internal(anyhow::anyhow!("no randomness")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A shop's live tokens (the dashboard's list; never the secrets).
pub async fn tokens_of(cx: &Context, who: &Caller, merchant: Uuid) -> Result<Vec<TokenInfo>> {
    allow(who, Action::ManageTokens(merchant))?;
    Ok(db::tokens::list_for(cx.db.pool(), merchant).await?)
}

/// Creates a token for a shop from the dashboard; returns the secret, shown once.
pub async fn create_shop_token(
    cx: &Context,
    who: &Caller,
    slug: &str,
    name: &str,
) -> Result<String> {
    let merchant = super::merchants::get(cx, slug).await?;
    allow(who, Action::ManageTokens(merchant.id))?;
    create_token(cx, name, Some(slug)).await
}

/// Revokes one of a shop's tokens.
pub async fn revoke(cx: &Context, who: &Caller, merchant: Uuid, token: Uuid) -> Result<()> {
    allow(who, Action::ManageTokens(merchant))?;
    let mut tx = cx.db.begin().await?;
    if !db::tokens::revoke(&mut tx, merchant, token, cx.clock.now_ms()).await? {
        return Err(Error::NotFound("no such token".into()));
    }
    tx.commit().await?;
    Ok(())
}
