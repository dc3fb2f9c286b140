//! The admin's decisions: domain blocks (activities from a blocked host are refused, and
//! nothing is sent to it), hidden replies, suspended shops.

use uuid::Uuid;

use super::authz::{allow, Action, Caller};
pub use crate::db::moderation::{Block, Reply, ShopRow};
use crate::db::{self, moderation};
use crate::domain::Context;
use crate::error::{Error, Result};

/// Reads a host name typed by the admin: `spam.example`, `https://spam.example/`, `@u@spam.example`.
pub fn host_of(raw: &str) -> Result<String> {
    let t = raw.trim().trim_start_matches('@');
    let t = t.rsplit('@').next().unwrap_or(t);
    let t = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .unwrap_or(t);
    let host = t
        .split(['/', ':'])
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_lowercase();
    let ok = !host.is_empty()
        && host.len() <= 253
        && host.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if ok {
        Ok(host)
    } else {
        Err(Error::field(
            "host",
            "must be a domain name like spam.example",
        ))
    }
}

/// Blocks a domain: its followers are dropped and its queued deliveries cancelled.
pub async fn block(cx: &Context, who: &Caller, raw: &str, reason: Option<&str>) -> Result<String> {
    allow(who, Action::RunNode)?;
    let host = host_of(raw)?;
    if host == cx.urls.host().split(':').next().unwrap_or_default() {
        return Err(Error::field("host", "is this node's own domain"));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let mut tx = cx.db.begin().await?;
    moderation::block(&mut tx, &host, reason, cx.clock.now_ms()).await?;
    moderation::drop_followers_on(&mut tx, &host).await?;
    db::queue::cancel_host(&mut tx, &host).await?;
    tx.commit().await?;
    Ok(host)
}

/// Lifts a block.
pub async fn unblock(cx: &Context, who: &Caller, host: &str) -> Result<()> {
    allow(who, Action::RunNode)?;
    let mut tx = cx.db.begin().await?;
    if !moderation::unblock(&mut tx, host).await? {
        return Err(Error::NotFound(format!("{host} is not blocked")));
    }
    tx.commit().await?;
    Ok(())
}

/// Every blocked domain.
pub async fn blocks(cx: &Context, who: &Caller) -> Result<Vec<Block>> {
    allow(who, Action::RunNode)?;
    Ok(moderation::blocks(cx.db.pool()).await?)
}

/// Whether `host` (or a domain it is under) is blocked.
pub async fn is_blocked(cx: &Context, host: &str) -> Result<bool> {
    // `spam.example.` is `spam.example`.
    let host = host.trim_end_matches('.').to_lowercase();
    let mut candidates = vec![host.clone()];
    let mut rest = host.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        if parent.contains('.') {
            candidates.push(parent.to_string());
        }
        rest = parent;
    }
    Ok(db::moderation::any_blocked(cx.db.pool(), &candidates).await?)
}

/// The latest replies to the node's shops.
pub async fn replies(cx: &Context, who: &Caller) -> Result<Vec<Reply>> {
    allow(who, Action::RunNode)?;
    Ok(moderation::replies(cx.db.pool(), 200).await?)
}

/// Hides a reply from the shop's panel and the API, or shows it again.
pub async fn hide_reply(cx: &Context, who: &Caller, id: Uuid, hidden: bool) -> Result<()> {
    allow(who, Action::RunNode)?;
    let mut tx = cx.db.begin().await?;
    let at = hidden.then(|| cx.clock.now_ms());
    if !moderation::set_hidden(&mut tx, id, at).await? {
        return Err(Error::NotFound("no such reply".into()));
    }
    tx.commit().await?;
    Ok(())
}

/// Every local shop with its state.
pub async fn shops(cx: &Context, who: &Caller) -> Result<Vec<ShopRow>> {
    allow(who, Action::RunNode)?;
    Ok(moderation::shops(cx.db.pool()).await?)
}

/// Suspends a shop (its people and tokens lose access to it) or lifts the suspension.
pub async fn suspend(cx: &Context, who: &Caller, slug: &str, on: bool) -> Result<()> {
    let m = super::merchants::get(cx, slug).await?;
    allow(who, Action::SuspendShop(m.id))?;
    let mut tx = cx.db.begin().await?;
    moderation::set_suspended(&mut tx, m.id, on.then(|| cx.clock.now_ms())).await?;
    tx.commit().await?;
    Ok(())
}
