//! Shopkeepers who sign up themselves, when the admin opened sign-up: their account is made
//! at once, their shop when the admin approves it.

use uuid::Uuid;

use super::accounts::{email, link_gone};
use super::authz::{allow, Action, Caller};
use super::passwords::hash_password;
use crate::db;
use crate::domain::Context;
use crate::error::{Checks, Error, Result};
use crate::model::account::{LinkKind, Role};
use crate::model::input::{AddressInput, MerchantCreate};
use crate::model::merchant::Merchant;

pub use crate::db::signups::Request;

/// Sign-ups allowed per client address and day.
pub const MAX_PER_DAY: i64 = 5;

/// What the sign-up form sends (no password: whoever opens the mailed link chooses it).
#[derive(Debug, Clone, Default)]
pub struct SignUp {
    /// E-mail address.
    pub email: String,
    /// The shop's name.
    pub shop_name: String,
    /// Its postal code.
    pub postal_code: String,
    /// Its town.
    pub city: String,
    /// A word for the admin.
    pub message: String,
}

/// The shop's details as the person confirms them (they may correct them on the page).
#[derive(Debug, Clone, Default)]
pub struct Confirmation {
    /// The shop's name.
    pub shop_name: String,
    /// Its postal code.
    pub postal_code: String,
    /// Its town.
    pub city: String,
    /// The password chosen, for an account that has none yet (ignored otherwise).
    pub password: String,
}

/// A sign-up recorded: the link to mail to the address (never shown to the visitor), and
/// whether the address already had an account with a password (the mail says so).
#[derive(Debug, Clone)]
pub struct Requested {
    /// The confirmation link.
    pub link: super::accounts::Link,
    /// Whether the address's account already has a password.
    pub known: bool,
}

/// Sign-ups mailed per address and day (more are answered the same and mail nothing).
pub const MAILS_PER_ADDRESS: i64 = 3;

fn check_shop(checks: &mut Checks, shop: &str, postal: &str, city: &str) {
    if shop.is_empty() || shop.chars().count() > super::merchant_input::MAX_NAME_CHARS {
        checks.add(
            "shop_name",
            format!(
                "must be 1 to {} characters",
                super::merchant_input::MAX_NAME_CHARS
            ),
        );
    }
    if postal.is_empty() || postal.chars().count() > 10 {
        checks.add("postal_code", "is required");
    }
    if city.is_empty() || city.chars().count() > 100 {
        checks.add("city", "is required");
    }
}

/// Records a sign-up: a request for a shop, waiting for the confirmation of the address through
/// the mailed link, where the person chooses their password. Nothing here tells whether the
/// address has an account: the same statements run either way (the account row is added only
/// if missing), no password is hashed, and the mail goes in the background. A later sign-up of
/// the same address replaces a request not confirmed yet, and its link dies.
///
/// `Ok(None)`: the address was mailed too often today; the visitor is told the same.
pub async fn request(cx: &Context, input: &SignUp, client: &str) -> Result<Option<Requested>> {
    if !cx.site().signup_open {
        return Err(Error::NotAllowed(
            "sign-up is closed on this site: ask whoever runs it for an invitation".into(),
        ));
    }
    let mut checks = Checks::default();
    let address = email(&input.email).unwrap_or_else(|_| {
        checks.add("email", "must be an e-mail address like name@example.fr");
        String::new()
    });
    let (shop, postal, city) = (
        input.shop_name.trim(),
        input.postal_code.trim(),
        input.city.trim(),
    );
    check_shop(&mut checks, shop, postal, city);
    let message = input.message.trim();
    if message.chars().count() > 1000 {
        checks.add("message", "must be at most 1,000 characters");
    }
    checks.finish()?;
    let now = cx.clock.now_ms();
    let day_ago = now - 24 * 3600 * 1000;
    let tries =
        db::accounts::add_failure(cx.db.writer(), &format!("signup:{client}"), now, day_ago)
            .await?;
    if tries > MAX_PER_DAY {
        return Err(Error::TooManyAttempts {
            detail: "too many sign-ups from this address today".into(),
            retry_after: 3600,
        });
    }
    let mailed = db::accounts::add_failure(
        cx.db.writer(),
        &format!("signupmail:{address}"),
        now,
        day_ago,
    )
    .await?;
    if mailed > MAILS_PER_ADDRESS {
        return Ok(None);
    }
    let secret = super::auth::secret()?;
    let mut tx = cx.db.begin().await?;
    let (account, _) = db::accounts::ensure_user(&mut tx, &address, now).await?;
    let (user, known) = (account.id, account.has_password);
    db::signups::insert(
        &mut tx,
        user,
        shop,
        postal,
        city,
        Some(message).filter(|m| !m.is_empty()),
        now,
    )
    .await?;
    db::accounts::insert_link(
        &mut tx,
        &super::auth::hash(&secret),
        LinkKind::Confirm,
        user,
        now,
        now + CONFIRM_DAYS * 24 * 3600 * 1000,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Requested {
        link: super::accounts::Link {
            email: address,
            url: cx
                .urls
                .page(&format!("account/confirm/{secret}"))
                .to_string(),
            shareable: false,
        },
        known,
    }))
}

/// How long a confirmation link works.
pub const CONFIRM_DAYS: i64 = 2;

/// What the confirmation page shows: the request, and whether the account still needs a
/// password.
pub async fn awaiting(cx: &Context, secret: &str) -> Result<(Request, bool)> {
    let now = cx.clock.now_ms();
    let user = db::accounts::link_user(
        cx.db.pool(),
        &super::auth::hash(secret),
        LinkKind::Confirm,
        now,
    )
    .await?
    .ok_or_else(link_gone)?;
    let account = db::accounts::user_by_id(cx.db.pool(), user)
        .await?
        .ok_or_else(link_gone)?;
    let request = db::signups::unconfirmed_of(cx.db.pool(), user)
        .await?
        .ok_or_else(link_gone)?;
    Ok((request, !account.has_password))
}

/// Confirms a sign-up from the mailed link. An account without a password gets the one chosen
/// on the page and is signed in (the session's cookie is returned); an account that has one
/// keeps it, and its owner signs in as usual (`None`).
pub async fn confirm(
    cx: &Context,
    secret: &str,
    input: &Confirmation,
    user_agent: Option<&str>,
) -> Result<Option<super::accounts::SignedIn>> {
    let (shop, postal, city) = (
        input.shop_name.trim(),
        input.postal_code.trim(),
        input.city.trim(),
    );
    let (_, needs_password) = awaiting(cx, secret).await?;
    let mut checks = Checks::default();
    check_shop(&mut checks, shop, postal, city);
    if needs_password {
        if let Err(Error::Invalid(list)) = super::passwords::check_password(&input.password) {
            for f in list {
                checks.add(&f.field, f.message);
            }
        }
    }
    checks.finish()?;
    let hash = match needs_password {
        true => Some(hash_password(&input.password).await?),
        false => None,
    };
    let now = cx.clock.now_ms();
    let mut tx = cx.db.begin().await?;
    let user = db::accounts::use_link(&mut tx, &super::auth::hash(secret), LinkKind::Confirm, now)
        .await?
        .ok_or_else(link_gone)?;
    let account = db::accounts::user_by_id(&mut *tx, user)
        .await?
        .ok_or_else(link_gone)?;
    if !db::signups::confirm(&mut tx, user, shop, postal, city, now).await? {
        return Err(link_gone());
    }
    let signed = match (account.has_password, hash) {
        (false, Some(hash)) => {
            db::accounts::set_password(&mut tx, user, &hash).await?;
            db::accounts::end_links_of(&mut tx, user, now).await?;
            Some(super::accounts::open_session_on_new_device(&mut tx, user, user_agent, now).await?)
        }
        // The password was set meanwhile (an invitation): it stays.
        (true, _) => None,
        (false, None) => return Err(Error::field("password", "choose a password")),
    };
    tx.commit().await?;
    Ok(signed)
}

/// The requests waiting for the admin.
pub async fn pending(cx: &Context, who: &Caller) -> Result<Vec<Request>> {
    allow(who, Action::RunNode)?;
    Ok(db::signups::pending(cx.db.pool()).await?)
}

/// Whether this person's shop is waiting for approval.
pub async fn waiting(cx: &Context, user: Uuid) -> Result<bool> {
    Ok(db::signups::waiting_for(cx.db.pool(), user).await?)
}

/// Approves a request: the shop is made (with the slug the admin chose) and its owner is the
/// person who asked. Returns the shop and its owner's address.
pub async fn approve(
    cx: &Context,
    who: &Caller,
    id: Uuid,
    slug: &str,
) -> Result<(Merchant, String)> {
    allow(who, Action::CreateShop)?;
    let not_found = || Error::NotFound("no such request waiting".into());
    let waiting = db::signups::pending(cx.db.pool())
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(not_found)?;
    if !waiting.confirmed {
        return Err(Error::Conflict {
            detail: "this address is not confirmed yet: nobody has opened the mailed link".into(),
            field: None,
        });
    }
    let (slug, fields) = MerchantCreate {
        slug: Some(slug.trim().to_string()),
        name: Some(waiting.shop_name.clone()),
        address: Some(AddressInput {
            postal_code: Some(waiting.postal_code.clone()),
            city: Some(waiting.city.clone()),
            ..AddressInput::default()
        }),
        email: Some(waiting.email.clone()),
        ..MerchantCreate::default()
    }
    .validate()?;
    let keys = crate::keys::generate_async().await?;
    let now = cx.clock.now_ms();
    let mut tx = cx.db.begin().await?;
    let request = db::signups::pending_one(&mut tx, id)
        .await?
        .ok_or_else(not_found)?;
    if db::merchants::slug_taken(&mut *tx, &slug).await? {
        return Err(Error::Conflict {
            detail: format!("the slug \"{slug}\" is taken"),
            field: Some("slug".into()),
        });
    }
    let merchant = super::merchants::insert(cx, &mut tx, slug, fields, &keys).await?;
    db::accounts::set_membership(&mut tx, request.user_id, merchant.id, Role::Owner, now).await?;
    db::signups::decide(&mut tx, id, "approved", Some(merchant.id), now).await?;
    tx.commit().await?;
    cx.committed().await;
    Ok((merchant, request.email))
}

/// Refuses a request (the account stays, without a shop).
pub async fn refuse(cx: &Context, who: &Caller, id: Uuid) -> Result<()> {
    allow(who, Action::RunNode)?;
    let mut tx = cx.db.begin().await?;
    db::signups::pending_one(&mut tx, id)
        .await?
        .ok_or_else(|| Error::NotFound("no such request waiting".into()))?;
    db::signups::decide(&mut tx, id, "refused", None, cx.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(())
}
