//! Accounts: one-time links, sign-in with a throttle, sessions, password resets (invitations
//! and who works on a shop: `people`). Passwords are
//! checked and hashed by `passwords`, before any transaction begins, so a sign-in never holds
//! the SQLite writer while it computes.

use uuid::Uuid;

use super::auth::{hash as sha256, secret};
use super::passwords::{check_password, hash_password, verify_password, MAX_PASSWORD_CHARS};
use crate::db;
use crate::domain::Context;
use crate::error::{Error, Result};
use crate::model::account::{LinkKind, Session, SessionInfo};

/// How long an invitation link works.
pub const INVITE_DAYS: i64 = 14;
/// How long a password-reset link works.
pub const RESET_MINUTES: i64 = 60;
/// Password resets a client may ask for in an hour.
pub const RESETS_PER_HOUR: i64 = 10;
/// How long a session lasts without being used.
pub const SESSION_DAYS: i64 = 30;
/// Failed sign-ins allowed (per client, and per client and address) before the back-off
/// starts.
pub const FREE_FAILURES: i64 = 5;
/// Failed sign-ins for one address from browsers it was never used in, within
/// [`ADDRESS_WINDOW_MS`], before such browsers get one try a minute between them.
pub const ADDRESS_FAILURES: i64 = 50;
/// The window of [`ADDRESS_FAILURES`]: it starts at its first failure and is not stretched by
/// later ones.
pub const ADDRESS_WINDOW_MS: i64 = 3600 * 1000;
/// Longest back-off, in seconds.
pub const MAX_BACKOFF_SECONDS: i64 = 15 * 60;
/// How long a device cookie (a browser where the person signed in) is honoured.
pub const DEVICE_DAYS: i64 = 365;
/// Password-reset links mailed to one address: one per this window (a link works for
/// [`RESET_MINUTES`], so the newest in the mailbox always works).
pub const RESET_MAIL_WINDOW_MS: i64 = 5 * 60 * 1000;

pub(super) const DAY_MS: i64 = 24 * 3600 * 1000;

/// A successful sign-in: the secrets of the session cookie and of the device cookie (this
/// browser is now one where the person signed in; see [`sign_in`]).
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The session cookie's secret.
    pub session: String,
    /// The device cookie's secret.
    pub device: String,
}

/// A one-time link to send to someone.
#[derive(Debug, Clone)]
pub struct Link {
    /// Who it is for.
    pub email: String,
    /// The absolute URL.
    pub url: String,
    /// Whether whoever asked for it may be shown it when it cannot be mailed: only the node's
    /// admin (or the command line). A shop owner's invitation is mailed or written to the log,
    /// never shown to them: whoever holds the link chooses the account's password.
    pub shareable: bool,
}

/// Checks and normalises an e-mail address (lower-case).
pub fn email(raw: &str) -> Result<String> {
    let e = raw.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    if ok {
        Ok(e)
    } else {
        Err(Error::field(
            "email",
            "must be an e-mail address like name@example.fr",
        ))
    }
}

/// The e-mail of the person a still-good link is for (to greet them on its page).
pub async fn link_email(cx: &Context, secret: &str, kind: LinkKind) -> Result<String> {
    let now = cx.clock.now_ms();
    let user = db::accounts::link_user(cx.db.pool(), &sha256(secret), kind, now)
        .await?
        .ok_or_else(link_gone)?;
    Ok(db::accounts::user_by_id(cx.db.pool(), user)
        .await?
        .ok_or_else(link_gone)?
        .email)
}

pub(super) fn link_gone() -> Error {
    Error::Deleted("this link has expired or was already used; ask for a new one".into())
}

/// Sets a password from an invitation or reset link, ends the person's other sessions, links
/// and device cookies, and signs them in on this browser.
pub async fn use_link(
    cx: &Context,
    secret: &str,
    kind: LinkKind,
    password: &str,
    user_agent: Option<&str>,
) -> Result<SignedIn> {
    check_password(password)?;
    // A link that does not work costs no hashing.
    db::accounts::link_user(cx.db.pool(), &sha256(secret), kind, cx.clock.now_ms())
        .await?
        .ok_or_else(link_gone)?;
    let hash = hash_password(password).await?;
    let now = cx.clock.now_ms();
    let mut tx = cx.db.begin().await?;
    let user = db::accounts::use_link(&mut tx, &sha256(secret), kind, now)
        .await?
        .ok_or_else(link_gone)?;
    db::accounts::set_password(&mut tx, user, &hash).await?;
    db::accounts::delete_sessions_of(&mut tx, user).await?;
    // Every other link of the person stops working, and their address is no longer held back.
    db::accounts::end_links_of(&mut tx, user, now).await?;
    if let Some(u) = db::accounts::user_by_id(&mut *tx, user).await? {
        db::accounts::clear_failures(&mut *tx, &format!("email:{}", u.email)).await?;
    }
    let signed = open_session_on_new_device(&mut tx, user, user_agent, now).await?;
    tx.commit().await?;
    Ok(signed)
}

/// After a password was set: forgets the person's device cookies (a browser that knew the old
/// password is trusted no more), then opens a session on this browser with a new one.
pub(crate) async fn open_session_on_new_device(
    tx: &mut db::Tx,
    user: Uuid,
    user_agent: Option<&str>,
    now: i64,
) -> Result<SignedIn> {
    db::accounts::delete_devices_of(tx, user, now).await?;
    Ok(SignedIn {
        session: open_session(tx, user, user_agent, now).await?,
        device: new_device(tx, user, now).await?,
    })
}

async fn new_device(tx: &mut db::Tx, user: Uuid, now: i64) -> Result<String> {
    let device = secret()?;
    db::accounts::insert_device(tx, &sha256(&device), user, now, now + DEVICE_DAYS * DAY_MS)
        .await?;
    Ok(device)
}

pub(crate) async fn open_session(
    tx: &mut db::Tx,
    user: Uuid,
    user_agent: Option<&str>,
    now: i64,
) -> Result<String> {
    let cookie = secret()?;
    let agent: Option<String> = user_agent.map(|a| a.chars().take(200).collect());
    db::accounts::insert_session(
        tx,
        &sha256(&cookie),
        user,
        &secret()?,
        agent.as_deref(),
        now,
        now + SESSION_DAYS * DAY_MS,
    )
    .await?;
    Ok(cookie)
}

/// Signs in: the new session's and device cookies' secrets.
///
/// Online guessing is slowed without letting strangers lock the owner out (OWASP's device
/// cookies). A browser where the person signed in before carries a device cookie (`device`):
/// only that browser's own failures count against it (after [`FREE_FAILURES`], a wait that
/// doubles with each failure, up to [`MAX_BACKOFF_SECONDS`]), so nobody else can keep the
/// right password out there. Any other client is limited per client and per client and
/// address the same way, and per address: past [`ADDRESS_FAILURES`] failures from such clients
/// in [`ADDRESS_WINDOW_MS`], they get one try a minute between them. The owner can always get in
/// by a browser they used before or by a reset link (which gives that browser a device
/// cookie).
///
/// Attempts are counted before the password is checked, so that a burst of concurrent
/// guesses counts as many attempts. A success forgets its client's failures; a password
/// reset, the address's.
pub async fn sign_in(
    cx: &Context,
    raw_email: &str,
    password: &str,
    client: &str,
    user_agent: Option<&str>,
    device: Option<&str>,
) -> Result<SignedIn> {
    let email = raw_email.trim().to_lowercase();
    let now = cx.clock.now_ms();
    let found = db::accounts::user_by_email(cx.db.pool(), &email).await?;
    let device_hash = device.map(sha256);
    let trusted = match (&device_hash, &found) {
        (Some(d), Some((u, _))) => {
            db::accounts::device_user(cx.db.pool(), d, now).await? == Some(u.id)
        }
        _ => false,
    };
    // The client's own keys: its device, or its address and its address with this e-mail.
    let own: Vec<String> = match (&device_hash, trusted) {
        (Some(d), true) => vec![format!("device:{d}")],
        _ => vec![format!("pair:{email}|{client}"), format!("ip:{client}")],
    };
    let address = format!("email:{email}");
    let own_refs: Vec<&str> = own.iter().map(String::as_str).collect();
    let until = db::accounts::blocked_until(cx.db.pool(), &own_refs).await?;
    if until > now {
        return Err(too_many(until - now));
    }
    // Count the attempt first: concurrent attempts beyond the free ones are refused.
    let mut over = 0;
    for key in &own {
        let n = db::accounts::add_failure(cx.db.writer(), key, now, now - DAY_MS).await?;
        over = over.max(n - FREE_FAILURES);
    }
    if over > 0 {
        let wait = backoff(over, MAX_BACKOFF_SECONDS);
        for key in &own {
            db::accounts::block(cx.db.writer(), key, now + wait * 1000).await?;
        }
        return Err(too_many(wait * 1000));
    }
    if !trusted {
        let n = db::accounts::add_failure(cx.db.writer(), &address, now, now - ADDRESS_WINDOW_MS)
            .await?;
        // Past the free failures, one try a minute between all such clients: taken here,
        // atomically, before the password is checked.
        if n > ADDRESS_FAILURES
            && !db::accounts::take_turn(cx.db.writer(), &address, now, now + 60_000).await?
        {
            let until = db::accounts::blocked_until(cx.db.pool(), &[&address]).await?;
            return Err(too_many((until - now).clamp(1000, 60_000)));
        }
    }
    let stored = found
        .as_ref()
        .filter(|(u, _)| !u.disabled)
        .and_then(|(_, h)| h.clone());
    let password = password
        .chars()
        .take(MAX_PASSWORD_CHARS)
        .collect::<String>();
    if !verify_password(&password, stored).await? {
        let now = cx.clock.now_ms();
        for key in &own {
            let n = db::accounts::failures(cx.db.pool(), key).await?;
            if n >= FREE_FAILURES {
                let wait = backoff(n - FREE_FAILURES + 1, MAX_BACKOFF_SECONDS);
                db::accounts::block(cx.db.writer(), key, now + wait * 1000).await?;
            }
        }
        return Err(Error::NotAuthenticated(
            "wrong e-mail address or password".into(),
        ));
    }
    let (user, _) = found.expect("a verified password has a user");
    // This attempt was a good one: it no longer counts against the client or the address.
    db::accounts::clear_failures(cx.db.writer(), &own[0]).await?;
    for key in own
        .iter()
        .skip(1)
        .chain(Some(&address).filter(|_| !trusted))
    {
        db::accounts::forget_one(cx.db.writer(), key).await?;
    }
    let now = cx.clock.now_ms();
    let mut tx = cx.db.begin().await?;
    let session = open_session(&mut tx, user.id, user_agent, now).await?;
    // A new device cookie each time; the one this browser had is used up.
    if let (Some(d), true) = (&device_hash, trusted) {
        db::accounts::delete_device(&mut tx, d).await?;
    }
    let device = new_device(&mut tx, user.id, now).await?;
    tx.commit().await?;
    Ok(SignedIn { session, device })
}

/// Seconds to wait after `over` failures beyond the free ones: 1, 2, 4… up to `max`.
fn backoff(over: i64, max: i64) -> i64 {
    (1i64 << (over - 1).clamp(0, 20)).min(max)
}

fn too_many(ms: i64) -> Error {
    let wait = ((ms + 999) / 1000).max(1);
    Error::TooManyAttempts {
        detail: format!("too many failed sign-ins: try again in {wait} s"),
        retry_after: wait as u64,
    }
}

/// The session of a cookie, with the person's shops; `None` when unknown, expired or the
/// account is disabled. Its end is pushed back at most once an hour.
pub async fn session(cx: &Context, cookie: &str) -> Result<Option<Session>> {
    let now = cx.clock.now_ms();
    let id_hash = sha256(cookie);
    let Some(mut session) = db::accounts::session(cx.db.pool(), &id_hash, now).await? else {
        return Ok(None);
    };
    if session.user.disabled {
        return Ok(None);
    }
    session.user.memberships = db::accounts::memberships(cx.db.pool(), session.user.id).await?;
    if now - session.seen_at > 3600 * 1000 {
        db::accounts::touch_session(cx.db.writer(), &id_hash, now, now + SESSION_DAYS * DAY_MS)
            .await?;
    }
    Ok(Some(session))
}

/// Signs this session out.
pub async fn sign_out(cx: &Context, session: &Session) -> Result<()> {
    db::accounts::delete_session(cx.db.writer(), &session.id_hash).await?;
    Ok(())
}

/// Signs out every session of the person (this one included); returns how many ended.
pub async fn sign_out_everywhere(cx: &Context, user: Uuid) -> Result<u64> {
    let mut tx = cx.db.begin().await?;
    let n = db::accounts::delete_sessions_of(&mut tx, user).await?;
    tx.commit().await?;
    Ok(n)
}

/// The person's sessions, for their account page.
pub async fn sessions(cx: &Context, session: &Session) -> Result<Vec<SessionInfo>> {
    Ok(db::accounts::sessions_of(
        cx.db.pool(),
        session.user.id,
        &session.id_hash,
        cx.clock.now_ms(),
    )
    .await?)
}

/// Makes a password-reset link for `email` if it has an active account. The visitor is told
/// the same either way.
///
/// Asking is limited per client ([`RESETS_PER_HOUR`] an hour, then 429) and per address (one
/// link per [`RESET_MAIL_WINDOW_MS`]; more asks are answered the same but mail nothing), so
/// that nobody is flooded with mail, while the owner always has a working link: one mailed
/// in the last five minutes is good for fifty-five more, whoever asked for it.
pub async fn reset_link(cx: &Context, raw_email: &str, client: &str) -> Result<Option<Link>> {
    let email = email(raw_email)?;
    let now = cx.clock.now_ms();
    let hour_ago = now - 3600 * 1000;
    let asked =
        db::accounts::add_failure(cx.db.writer(), &format!("reset:{client}"), now, hour_ago)
            .await?;
    if asked > RESETS_PER_HOUR {
        return Err(Error::TooManyAttempts {
            detail: "too many password resets asked from here: try again in an hour".into(),
            retry_after: 3600,
        });
    }
    let Some((user, hash)) = db::accounts::user_by_email(cx.db.pool(), &email).await? else {
        return Ok(None);
    };
    if user.disabled || hash.is_none() {
        return Ok(None);
    }
    let mailed = db::accounts::add_failure(
        cx.db.writer(),
        &format!("resetmail:{email}"),
        now,
        now - RESET_MAIL_WINDOW_MS,
    )
    .await?;
    if mailed > 1 {
        return Ok(None);
    }
    let secret = secret()?;
    let now = cx.clock.now_ms();
    let mut tx = cx.db.begin().await?;
    db::accounts::insert_link(
        &mut tx,
        &sha256(&secret),
        LinkKind::Reset,
        user.id,
        now,
        now + RESET_MINUTES * 60 * 1000,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Link {
        email,
        url: cx.urls.page(&format!("account/reset/{secret}")).to_string(),
        shareable: false,
    }))
}

/// Changes the password of a signed-in person who knows the current one; their other
/// sessions, their outstanding links and their other browsers' device cookies end (one someone
/// else holds ends with the old password). Returns this browser's new device cookie. Wrong
/// current passwords back off as sign-ins do.
pub async fn change_password(
    cx: &Context,
    session: &Session,
    current: &str,
    new: &str,
) -> Result<String> {
    let user = &session.user;
    check_password(new)?;
    let key = format!("change:{}", user.id);
    let now = cx.clock.now_ms();
    let until = db::accounts::blocked_until(cx.db.pool(), &[&key]).await?;
    if until > now {
        return Err(too_many(until - now));
    }
    let stored = db::accounts::user_by_email(cx.db.pool(), &user.email)
        .await?
        .and_then(|(_, h)| h);
    if !verify_password(current, stored).await? {
        let n = db::accounts::add_failure(cx.db.writer(), &key, now, now - DAY_MS).await?;
        if n >= FREE_FAILURES {
            let wait = backoff(n - FREE_FAILURES + 1, MAX_BACKOFF_SECONDS);
            db::accounts::block(cx.db.writer(), &key, now + wait * 1000).await?;
        }
        return Err(Error::field(
            "current_password",
            "is not your current password",
        ));
    }
    let hash = hash_password(new).await?;
    let now = cx.clock.now_ms();
    let mut tx = cx.db.begin().await?;
    db::accounts::set_password(&mut tx, user.id, &hash).await?;
    db::accounts::delete_other_sessions(&mut tx, user.id, &session.id_hash).await?;
    // Reset and invitation links mailed before stop working; browsers that knew the old
    // password are no longer trusted, but for this one.
    db::accounts::end_links_of(&mut tx, user.id, now).await?;
    db::accounts::delete_devices_of(&mut tx, user.id, now).await?;
    let device = new_device(&mut tx, user.id, now).await?;
    db::accounts::clear_failures(&mut *tx, &key).await?;
    tx.commit().await?;
    Ok(device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_lower_cased() {
        assert_eq!(
            email("  Marie@Boulangerie.FR ").unwrap(),
            "marie@boulangerie.fr"
        );
        for bad in [
            "", "marie", "marie@", "@x.fr", "a b@x.fr", "a@x", "a@.fr", "a@x.fr.",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }
}
