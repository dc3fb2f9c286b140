//! Handles a verified activity once: what needs the network or only reads happens first, then
//! one transaction holds its dedup record, the verified actor and the activity's effects
//! (each type in a module of its own), and an error rolls everything back.

use super::local::local_product;
use super::{accept, announce, delete, follow, interaction, undo, update};
use super::{Inbox, InboxError, Verified};
use crate::domain::audience;
use crate::federation::mirror;
use crate::federation::Federation;
use etal_protocol::ap::{ActivityType, Object};

/// Handles a verified activity once.
pub async fn dispatch(
    fed: &std::sync::Arc<Federation>,
    _inbox: &Inbox,
    v: Verified,
) -> Result<(), InboxError> {
    let a = &v.activity;
    let now = fed.cx.clock.now_ms();
    // Anything that needs the network, and read-only lookups, happen before the transaction:
    // it holds SQLite's single write lock.
    let target = match (&a.kind, a.object.object()) {
        (ActivityType::Like | ActivityType::Announce, _) => a.object.id().cloned(),
        (ActivityType::Create, Some(Object::Note(note))) => note.in_reply_to.clone(),
        _ => None,
    };
    if interaction::interaction_fast_path(fed, &v, target.as_ref(), now).await? {
        return Ok(());
    }
    if a.kind == ActivityType::Offer {
        return offer(fed, &v, now).await;
    }
    let mut announced = announce::prepare(fed, &v).await?;
    let product = match &target {
        Some(t) => local_product(fed, t).await?,
        None => None,
    };
    let mut tx = fed.cx.begin().await?;
    if !first_time(&mut tx, &v, now).await? {
        return Ok(());
    }
    let mut after = After::default();
    match a.kind {
        ActivityType::Follow => {
            let local = follow::follow(fed, &mut tx, &v, now).await?;
            after.log = Some(("follow accepted", local));
        }
        ActivityType::Undo => {
            if let Some(local) = undo::undo(fed, &mut tx, &v).await? {
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
                interaction::interaction(&mut tx, mid, &v, kind, Some(pid), None, now).await?;
            }
            None if a.kind == ActivityType::Announce => {
                if let Some(announced) = announced.take() {
                    announce::apply(&mut tx, &v, announced, now).await?;
                    after.mirrored = true;
                }
            }
            None => {}
        },
        ActivityType::Create => {
            if let (Some(Object::Note(note)), Some((pid, mid))) = (a.object.object(), product) {
                interaction::interaction(&mut tx, mid, &v, "reply", Some(pid), Some(note), now)
                    .await?;
            }
        }
        ActivityType::Update => {
            update::update(fed, &mut tx, &v, now).await?;
            after.mirrored = true;
        }
        ActivityType::Delete => {
            delete::delete(fed, &mut tx, &v, now).await?;
            after.mirrored = true;
        }
        ActivityType::Accept | ActivityType::Reject => {
            after.backfill = accept::answer(&mut tx, &v, now).await?;
        }
        _ => {}
    }
    fed.cx.commit(tx).await?;
    if v.fresh {
        fed.cache_actor(&v.actor);
    }
    if after.mirrored {
        // Mirrored shops and products are served here too: pages must show the change.
        fed.cx.committed().await;
    } else {
        fed.cx.queued();
    }
    if let Some((what, local)) = after.log {
        tracing::info!(follower = %a.actor, actor = local, "{what}");
    }
    if let Some(target) = after.backfill {
        mirror::spawn_backfill(fed.clone(), target);
    }
    Ok(())
}

#[derive(Default)]
struct After {
    backfill: Option<String>,
    /// What to log once the transaction is committed: (what happened, the local actor).
    log: Option<(&'static str, String)>,
    /// Mirrored shops or products changed (pages kept rendered must be forgotten).
    mirrored: bool,
}

/// An `Offer` (FEP-0837): read and checked before any transaction, then the reservation in
/// the same transaction as the activity's receipt (a fault rolls both back, and the sender's
/// retry is not taken for a duplicate); when it cannot be made, a `Reject` saying why, and
/// nothing else stored.
async fn offer(fed: &std::sync::Arc<Federation>, v: &Verified, now: i64) -> Result<(), InboxError> {
    use crate::error::Error;
    use crate::federation::offers;
    let a = &v.activity;
    let checked = match offers::read(fed, a, &v.actor).await {
        Ok(request) => crate::domain::reservations::rate_limit(&fed.cx, &request)
            .await
            .map(|()| request),
        Err(e) => Err(e),
    };
    let refusal = match checked {
        Err(Error::Internal(e)) => return Err(InboxError::internal(e)),
        Err(e) => Some(e),
        Ok(request) => {
            let mut tx = fed.cx.begin().await?;
            if !first_time(&mut tx, v, now).await? {
                return Ok(());
            }
            match crate::domain::reservations::reserve_in(&fed.cx, &mut tx, request).await {
                Ok(r) => {
                    fed.cx.commit(tx).await?;
                    fed.cx.committed().await;
                    if v.fresh {
                        fed.cache_actor(&v.actor);
                    }
                    tracing::info!(customer = %a.actor, reservation = r.number, "offer reserved");
                    return Ok(());
                }
                Err(Error::Internal(e)) => return Err(InboxError::internal(e)),
                // Rolled back: the refusal is stored alone, below.
                Err(e) => {
                    let _ = tx.rollback().await;
                    Some(e)
                }
            }
        }
    };
    let why = refusal.map(|e| e.to_string()).unwrap_or_default();
    let mut tx = fed.cx.begin().await?;
    if !first_time(&mut tx, v, now).await? {
        return Ok(());
    }
    offers::reject(fed, &mut tx, a, &v.actor, &why)
        .await
        .map_err(|e| InboxError::internal(anyhow::anyhow!("{e}")))?;
    fed.cx.commit(tx).await?;
    fed.cx.queued();
    if v.fresh {
        fed.cache_actor(&v.actor);
    }
    tracing::info!(customer = %a.actor, reason = why, "offer rejected");
    Ok(())
}

/// Records the activity's receipt (false when it was received before) and, when it was
/// fetched now, its verified actor, in the caller's transaction.
async fn first_time(
    tx: &mut crate::domain::Tx,
    v: &Verified,
    now: i64,
) -> Result<bool, InboxError> {
    if !audience::first_receipt(tx, v.activity.id.as_str(), now)
        .await
        .map_err(InboxError::internal)?
    {
        return Ok(false);
    }
    if v.fresh {
        audience::save_actor(tx, &v.actor)
            .await
            .map_err(InboxError::internal)?;
    }
    Ok(true)
}
