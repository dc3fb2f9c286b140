//! Shopkeepers who sign up themselves, when the admin opened sign-up: their account is made
//! at once, their shop when the admin approves it.

use uuid::Uuid;

use super::accounts::email;
use super::authz::{allow, Action, Caller};
use super::passwords::hash_password;
use crate::db;
use crate::error::{Checks, Error, Result};
use crate::model::account::{LinkKind, Role};
use crate::model::input::{AddressInput, MerchantCreate};
use crate::model::merchant::Merchant;
use crate::Node;

pub use crate::db::signups::Request;

/// Sign-ups allowed per client address and day.
pub const MAX_PER_DAY: i64 = 5;

/// What the sign-up form sends.
#[derive(Debug, Clone, Default)]
pub struct SignUp {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
    /// The shop's name.
    pub shop_name: String,
    /// Its postal code.
    pub postal_code: String,
    /// Its town.
    pub city: String,
    /// A word for the admin.
    pub message: String,
}

/// What became of a sign-up, for the mail to send.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A new account: its address must be confirmed by this link (mailed, never shown).
    Confirm(super::accounts::Link),
    /// The address already has an account: its owner is told by mail (the visitor is told the
    /// same as for a new one).
    Known(String),
}

/// Records a sign-up: an account without a password yet and the request for a shop (holding
/// the password chosen). The password takes effect when the address is confirmed through the
/// mailed link, so nobody can claim an address that is not theirs.
pub async fn request(node: &Node, input: &SignUp, client: &str) -> Result<Outcome> {
    if !node.site().signup_open {
        return Err(Error::Forbidden(
            "sign-up is closed on this site: ask whoever runs it for an invitation".into(),
        ));
    }
    let mut checks = Checks::default();
    let address = email(&input.email).unwrap_or_else(|_| {
        checks.add("email", "must be an e-mail address like name@example.fr");
        String::new()
    });
    let n = input.password.chars().count();
    if !(super::passwords::MIN_PASSWORD_CHARS..=super::passwords::MAX_PASSWORD_CHARS).contains(&n) {
        checks.add(
            "password",
            format!(
                "must be {} to {} characters",
                super::passwords::MIN_PASSWORD_CHARS,
                super::passwords::MAX_PASSWORD_CHARS
            ),
        );
    }
    let shop = input.shop_name.trim();
    if shop.is_empty() || shop.chars().count() > 100 {
        checks.add("shop_name", "must be 1 to 100 characters");
    }
    let postal = input.postal_code.trim();
    if postal.is_empty() || postal.chars().count() > 10 {
        checks.add("postal_code", "is required");
    }
    let city = input.city.trim();
    if city.is_empty() || city.chars().count() > 100 {
        checks.add("city", "is required");
    }
    let message = input.message.trim();
    if message.chars().count() > 1000 {
        checks.add("message", "must be at most 1,000 characters");
    }
    checks.finish()?;
    let now = node.clock.now_ms();
    let tries = db::accounts::add_failure(
        node.db.writer(),
        &format!("signup:{client}"),
        now,
        now - 24 * 3600 * 1000,
    )
    .await?;
    if tries > MAX_PER_DAY {
        return Err(Error::TooManyRequests {
            detail: "too many sign-ups from this address today".into(),
            retry_after: 3600,
        });
    }
    // Checked before hashing (no cost for a known address), and again in the transaction.
    if db::accounts::user_by_email(node.db.pool(), &address)
        .await?
        .is_some()
    {
        return Ok(Outcome::Known(address));
    }
    let hash = hash_password(&input.password).await?;
    let secret = super::auth::secret()?;
    let mut tx = node.db.begin().await?;
    if db::accounts::user_by_email(&mut *tx, &address)
        .await?
        .is_some()
    {
        return Ok(Outcome::Known(address));
    }
    let user = db::accounts::insert_user(&mut tx, &address, false, now).await?;
    db::signups::insert(
        &mut tx,
        user,
        shop,
        postal,
        city,
        Some(message).filter(|m| !m.is_empty()),
        &hash,
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
    Ok(Outcome::Confirm(super::accounts::Link {
        email: address,
        url: node
            .urls
            .page(&format!("account/confirm/{secret}"))
            .to_string(),
        shareable: false,
    }))
}

/// How long a confirmation link works.
pub const CONFIRM_DAYS: i64 = 2;

/// Confirms an address from the mailed link: the password chosen at sign-up takes effect (if
/// the account has none yet) and the person is signed in; returns the session's cookie.
pub async fn confirm(node: &Node, secret: &str, user_agent: Option<&str>) -> Result<String> {
    let now = node.clock.now_ms();
    let gone = || Error::Gone("this link has expired or was already used".into());
    let mut tx = node.db.begin().await?;
    let user = db::accounts::use_link(&mut tx, &super::auth::hash(secret), LinkKind::Confirm, now)
        .await?
        .ok_or_else(gone)?;
    let account = db::accounts::user_by_id(&mut *tx, user)
        .await?
        .ok_or_else(gone)?;
    if !account.has_password {
        let hash = db::signups::chosen_password(&mut tx, user)
            .await?
            .ok_or_else(gone)?;
        db::accounts::set_password(&mut tx, user, &hash).await?;
    }
    db::accounts::end_links_of(&mut tx, user, now).await?;
    let cookie = super::accounts::open_session(&mut tx, user, user_agent, now).await?;
    tx.commit().await?;
    Ok(cookie)
}

/// The requests waiting for the admin.
pub async fn pending(node: &Node, who: &Caller) -> Result<Vec<Request>> {
    allow(who, Action::RunNode)?;
    Ok(db::signups::pending(node.db.pool()).await?)
}

/// Whether this person's shop is waiting for approval.
pub async fn waiting(node: &Node, user: Uuid) -> Result<bool> {
    Ok(db::signups::waiting_for(node.db.pool(), user).await?)
}

/// Approves a request: the shop is made (with the slug the admin chose) and its owner is the
/// person who asked. Returns the shop and its owner's address.
pub async fn approve(
    node: &Node,
    who: &Caller,
    id: Uuid,
    slug: &str,
) -> Result<(Merchant, String)> {
    allow(who, Action::CreateShop)?;
    let not_found = || Error::NotFound("no such request waiting".into());
    let waiting = db::signups::pending(node.db.pool())
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(not_found)?;
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
    let now = node.clock.now_ms();
    let mut tx = node.db.begin().await?;
    let request = db::signups::pending_one(&mut tx, id)
        .await?
        .ok_or_else(not_found)?;
    if db::merchants::slug_taken(&mut *tx, &slug).await? {
        return Err(Error::Conflict {
            detail: format!("the slug \"{slug}\" is taken"),
            field: Some("slug".into()),
        });
    }
    let merchant = super::merchants::insert(node, &mut tx, slug, fields, &keys).await?;
    db::accounts::set_membership(&mut tx, request.user_id, merchant.id, Role::Owner, now).await?;
    db::signups::decide(&mut tx, id, "approved", Some(merchant.id), now).await?;
    tx.commit().await?;
    node.committed().await;
    Ok((merchant, request.email))
}

/// Refuses a request (the account stays, without a shop).
pub async fn refuse(node: &Node, who: &Caller, id: Uuid) -> Result<()> {
    allow(who, Action::RunNode)?;
    let mut tx = node.db.begin().await?;
    db::signups::pending_one(&mut tx, id)
        .await?
        .ok_or_else(|| Error::NotFound("no such request waiting".into()))?;
    db::signups::decide(&mut tx, id, "refused", None, node.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(())
}
