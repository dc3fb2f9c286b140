//! The people of a shop and of the node: invitations (a link whose holder chooses the
//! password), who may work on a shop, the node's accounts for its admin.

use uuid::Uuid;

use super::accounts::{email, Link, DAY_MS, INVITE_DAYS};
use super::auth::{hash as sha256, secret};
use super::authz::{allow, Action, Caller};
use crate::db;
use crate::domain::Context;
use crate::error::{Error, Result};
use crate::model::account::{LinkKind, Person, Role, User};

/// Invites `email` (creating their account if new) as `role` of the shop `merchant`, or as a
/// node admin when `merchant` is `None` and the caller runs the node. Returns the link to
/// send when they have no password yet; someone who already has one is just given the role.
pub async fn invite(
    cx: &Context,
    who: &Caller,
    raw_email: &str,
    merchant: Option<(Uuid, Role)>,
) -> Result<Option<Link>> {
    match merchant {
        // An owner may add staff or a co-owner; the admin may do anything.
        Some((shop, _)) => allow(who, Action::ManagePeople(shop))?,
        None => allow(who, Action::RunNode)?,
    }
    let mut link = create_or_invite(cx, raw_email, merchant, merchant.is_none()).await?;
    if let Some(l) = link.as_mut() {
        l.shareable = allow(who, Action::RunNode).is_ok();
    }
    Ok(link)
}

/// The command line's `etal admin user create`: trusted, no caller.
pub async fn create_or_invite(
    cx: &Context,
    raw_email: &str,
    merchant: Option<(Uuid, Role)>,
    admin: bool,
) -> Result<Option<Link>> {
    let email = email(raw_email)?;
    let now = cx.clock.now_ms();
    let mut tx = cx.db.begin().await?;
    let (user, has_password) = match db::accounts::user_by_email(&mut *tx, &email).await? {
        Some((u, hash)) => (u.id, hash.is_some()),
        None => (
            db::accounts::insert_user(&mut tx, &email, admin, now).await?,
            false,
        ),
    };
    if admin {
        db::accounts::set_admin(&mut tx, user, true).await?;
    }
    if let Some((shop, role)) = merchant {
        db::accounts::set_membership(&mut tx, user, shop, role, now).await?;
    }
    let link = if has_password {
        None
    } else {
        let secret = secret()?;
        db::accounts::insert_link(
            &mut tx,
            &sha256(&secret),
            LinkKind::Invite,
            user,
            now,
            now + INVITE_DAYS * DAY_MS,
        )
        .await?;
        Some(Link {
            email: email.clone(),
            url: cx
                .urls
                .page(&format!("account/welcome/{secret}"))
                .to_string(),
            shareable: true,
        })
    };
    tx.commit().await?;
    Ok(link)
}

/// A new invitation link for an account that has no password yet (the earlier one lost, or
/// sent where it could not be read): the node's admin only, who may be shown it.
pub async fn reinvite(cx: &Context, who: &Caller, user: Uuid) -> Result<Link> {
    allow(who, Action::RunNode)?;
    let found = db::accounts::user_by_id(cx.db.pool(), user)
        .await?
        .ok_or_else(|| Error::NotFound("no such account".into()))?;
    if found.has_password {
        return Err(Error::Conflict {
            detail: "this account already has a password: its owner can ask for a new one".into(),
            field: None,
        });
    }
    let secret = secret()?;
    let now = cx.clock.now_ms();
    let mut tx = cx.db.begin().await?;
    db::accounts::insert_link(
        &mut tx,
        &sha256(&secret),
        LinkKind::Invite,
        user,
        now,
        now + INVITE_DAYS * DAY_MS,
    )
    .await?;
    tx.commit().await?;
    Ok(Link {
        email: found.email,
        url: cx
            .urls
            .page(&format!("account/welcome/{secret}"))
            .to_string(),
        shareable: true,
    })
}

/// The people of a shop.
pub async fn people(cx: &Context, who: &Caller, merchant: Uuid) -> Result<Vec<Person>> {
    allow(who, Action::ManagePeople(merchant))?;
    Ok(db::accounts::people(cx.db.pool(), merchant).await?)
}

/// Takes someone off a shop (not oneself: an owner cannot lock themself out).
pub async fn remove_person(cx: &Context, who: &Caller, merchant: Uuid, user: Uuid) -> Result<()> {
    allow(who, Action::ManagePeople(merchant))?;
    if who.person().is_some_and(|p| p.id == user) {
        return Err(Error::NotAllowed(
            "you cannot take yourself off the shop".into(),
        ));
    }
    let mut tx = cx.db.begin().await?;
    if !db::accounts::remove_membership(&mut tx, user, merchant).await? {
        return Err(Error::NotFound(
            "this person does not work for the shop".into(),
        ));
    }
    tx.commit().await?;
    Ok(())
}

/// Every account (the admin's list).
pub async fn users(cx: &Context, who: &Caller) -> Result<Vec<User>> {
    allow(who, Action::RunNode)?;
    Ok(db::accounts::users(cx.db.pool()).await?)
}
