//! Accounts: users, their shops, sessions, one-time links and the login throttle.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use uuid::Uuid;

use super::Tx;
use crate::model::account::{LinkKind, Membership, Person, Role, Session, SessionInfo, User};

use super::uuid;

const USER_COLUMNS: &str = "id, email, admin, password_hash, disabled_at, created_at";

fn user_from_row(row: &AnyRow) -> sqlx::Result<(User, Option<String>)> {
    let hash: Option<String> = row.try_get("password_hash")?;
    Ok((
        User {
            id: uuid(&row.try_get::<String, _>("id")?)?,
            email: row.try_get("email")?,
            admin: row.try_get::<i64, _>("admin")? != 0,
            has_password: hash.is_some(),
            disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
            memberships: vec![],
            created_at: row.try_get("created_at")?,
        },
        hash,
    ))
}

/// Adds a user without a password (they set it from their invitation).
pub async fn insert_user(tx: &mut Tx, email: &str, admin: bool, now: i64) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO users (id, email, admin, created_at) VALUES ($1,$2,$3,$4)")
        .bind(id.to_string())
        .bind(email.to_string())
        .bind(admin as i64)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Makes a user a node admin (or not).
pub async fn set_admin(tx: &mut Tx, user: Uuid, admin: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET admin=$1 WHERE id=$2")
        .bind(admin as i64)
        .bind(user.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A user by e-mail, with their password hash, without their shops.
pub async fn user_by_email<'e>(
    ex: impl Executor<'e, Database = Any>,
    email: &str,
) -> sqlx::Result<Option<(User, Option<String>)>> {
    sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE email=$1"))
        .bind(email.to_string())
        .fetch_optional(ex)
        .await?
        .map(|r| user_from_row(&r))
        .transpose()
}

/// A user by id, without their shops.
pub async fn user_by_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: Uuid,
) -> sqlx::Result<Option<User>> {
    sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id=$1"))
        .bind(id.to_string())
        .fetch_optional(ex)
        .await?
        .map(|r| user_from_row(&r).map(|(u, _)| u))
        .transpose()
}

/// The live, unsuspended shops a user works for, by name.
pub async fn memberships<'e>(
    ex: impl Executor<'e, Database = Any>,
    user: Uuid,
) -> sqlx::Result<Vec<Membership>> {
    let rows = sqlx::query(
        "SELECT m.id, m.slug, m.name, ms.role FROM memberships ms JOIN merchants m ON m.id = ms.merchant_id \
         WHERE ms.user_id=$1 AND m.deleted_at IS NULL AND m.suspended_at IS NULL ORDER BY m.name",
    )
    .bind(user.to_string())
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Membership {
                merchant_id: uuid(&r.try_get::<String, _>("id")?)?,
                slug: r.try_get::<Option<String>, _>("slug")?.unwrap_or_default(),
                name: r.try_get("name")?,
                role: Role::parse(&r.try_get::<String, _>("role")?).unwrap_or(Role::Staff),
            })
        })
        .collect()
}

/// Every user, by e-mail (the admin's list).
pub async fn users<'e>(ex: impl Executor<'e, Database = Any>) -> sqlx::Result<Vec<User>> {
    let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY email"))
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|r| user_from_row(r).map(|(u, _)| u))
        .collect()
}

/// Sets a user's password hash.
pub async fn set_password(tx: &mut Tx, user: Uuid, hash: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash=$1 WHERE id=$2")
        .bind(hash.to_string())
        .bind(user.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives a user a role at a shop (replacing the one they had there).
pub async fn set_membership(
    tx: &mut Tx,
    user: Uuid,
    merchant: Uuid,
    role: Role,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO memberships (user_id, merchant_id, role, created_at) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (user_id, merchant_id) DO UPDATE SET role=excluded.role",
    )
    .bind(user.to_string())
    .bind(merchant.to_string())
    .bind(role.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Takes a user off a shop.
pub async fn remove_membership(tx: &mut Tx, user: Uuid, merchant: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM memberships WHERE user_id=$1 AND merchant_id=$2")
        .bind(user.to_string())
        .bind(merchant.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The people of a shop, owners first.
pub async fn people<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
) -> sqlx::Result<Vec<Person>> {
    let rows = sqlx::query(
        "SELECT u.id, u.email, u.password_hash, ms.role FROM memberships ms JOIN users u ON u.id = ms.user_id \
         WHERE ms.merchant_id=$1 ORDER BY ms.role, u.email",
    )
    .bind(merchant.to_string())
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Person {
                user_id: uuid(&r.try_get::<String, _>("id")?)?,
                email: r.try_get("email")?,
                role: Role::parse(&r.try_get::<String, _>("role")?).unwrap_or(Role::Staff),
                active: r.try_get::<Option<String>, _>("password_hash")?.is_some(),
            })
        })
        .collect()
}

/// Records a session.
pub async fn insert_session(
    tx: &mut Tx,
    id_hash: &str,
    user: Uuid,
    csrf: &str,
    user_agent: Option<&str>,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf, user_agent, created_at, seen_at, expires_at) \
         VALUES ($1,$2,$3,$4,$5,$5,$6)",
    )
    .bind(id_hash.to_string())
    .bind(user.to_string())
    .bind(csrf.to_string())
    .bind(user_agent.map(str::to_string))
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A live session with its user (shops not loaded).
pub async fn session<'e>(
    ex: impl Executor<'e, Database = Any>,
    id_hash: &str,
    now: i64,
) -> sqlx::Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT s.csrf, s.seen_at, u.id, u.email, u.admin, u.password_hash, u.disabled_at, u.created_at \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash=$1 AND s.expires_at > $2",
    )
    .bind(id_hash.to_string())
    .bind(now)
    .fetch_optional(ex)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let (user, _) = user_from_row(&row)?;
    Ok(Some(Session {
        id_hash: id_hash.to_string(),
        user,
        csrf: row.try_get("csrf")?,
        seen_at: row.try_get("seen_at")?,
    }))
}

/// Notes that a session is in use and pushes its end back.
pub async fn touch_session<'e>(
    ex: impl Executor<'e, Database = Any>,
    id_hash: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET seen_at=$1, expires_at=$2 WHERE id_hash=$3")
        .bind(now)
        .bind(expires_at)
        .bind(id_hash.to_string())
        .execute(ex)
        .await?;
    Ok(())
}

/// Ends one session.
pub async fn delete_session<'e>(
    ex: impl Executor<'e, Database = Any>,
    id_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash=$1")
        .bind(id_hash.to_string())
        .execute(ex)
        .await?;
    Ok(())
}

/// Ends every session of a user; returns how many there were.
pub async fn delete_sessions_of(tx: &mut Tx, user: Uuid) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id=$1")
        .bind(user.to_string())
        .execute(&mut **tx)
        .await?
        .rows_affected())
}

/// A user's live sessions, latest first.
pub async fn sessions_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    user: Uuid,
    current: &str,
    now: i64,
) -> sqlx::Result<Vec<SessionInfo>> {
    let rows = sqlx::query(
        "SELECT id_hash, user_agent, created_at, seen_at FROM sessions \
         WHERE user_id=$1 AND expires_at > $2 ORDER BY seen_at DESC",
    )
    .bind(user.to_string())
    .bind(now)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SessionInfo {
                user_agent: r.try_get("user_agent")?,
                created_at: r.try_get("created_at")?,
                seen_at: r.try_get("seen_at")?,
                current: r.try_get::<String, _>("id_hash")? == current,
            })
        })
        .collect()
}

/// Records a one-time link (older unused links of the same kind stop working).
pub async fn insert_link(
    tx: &mut Tx,
    token_hash: &str,
    kind: LinkKind,
    user: Uuid,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE user_links SET used_at=$1 WHERE user_id=$2 AND kind=$3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user.to_string())
    .bind(kind.as_str())
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO user_links (token_hash, kind, user_id, created_at, expires_at) VALUES ($1,$2,$3,$4,$5)",
    )
    .bind(token_hash.to_string())
    .bind(kind.as_str())
    .bind(user.to_string())
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The user of an unused, unexpired link.
pub async fn link_user<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    kind: LinkKind,
    now: i64,
) -> sqlx::Result<Option<Uuid>> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT user_id FROM user_links WHERE token_hash=$1 AND kind=$2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash.to_string())
    .bind(kind.as_str())
    .bind(now)
    .fetch_optional(ex)
    .await?;
    id.map(|s| uuid(&s)).transpose()
}

/// Uses a link up: its user, if it was still good.
pub async fn use_link(
    tx: &mut Tx,
    token_hash: &str,
    kind: LinkKind,
    now: i64,
) -> sqlx::Result<Option<Uuid>> {
    let id: Option<String> = sqlx::query_scalar(
        "UPDATE user_links SET used_at=$1 WHERE token_hash=$2 AND kind=$3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id",
    )
    .bind(now)
    .bind(token_hash.to_string())
    .bind(kind.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    id.map(|s| uuid(&s)).transpose()
}

/// The latest time until which any of `keys` is blocked (0 when none is).
pub async fn blocked_until<'e>(
    ex: impl Executor<'e, Database = Any>,
    keys: &[&str],
) -> sqlx::Result<i64> {
    if keys.is_empty() {
        return Ok(0);
    }
    let mut sql = super::Sql::new(
        "SELECT COALESCE(MAX(blocked_until), 0) FROM login_throttle WHERE key IN (",
    );
    sql.bind_list(keys.iter().map(|k| k.to_string()));
    sql.push(")");
    let (text, args) = sql.build();
    sqlx::query_scalar_with(&text, args).fetch_one(ex).await
}

/// The failures on record for `key`.
pub async fn failures<'e>(ex: impl Executor<'e, Database = Any>, key: &str) -> sqlx::Result<i64> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT failures FROM login_throttle WHERE key=$1")
            .bind(key.to_string())
            .fetch_optional(ex)
            .await?
            .unwrap_or(0),
    )
}

/// Takes one attempt off `key` (a counted attempt that succeeded).
pub async fn forget_one<'e>(ex: impl Executor<'e, Database = Any>, key: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE login_throttle SET failures = failures - 1 WHERE key=$1 AND failures > 0")
        .bind(key.to_string())
        .execute(ex)
        .await?;
    Ok(())
}

/// Ends every unused link of a person.
pub async fn end_links_of(tx: &mut Tx, user: Uuid, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE user_links SET used_at=$1 WHERE user_id=$2 AND used_at IS NULL")
        .bind(now)
        .bind(user.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends every session of a person but `keep`.
pub async fn delete_other_sessions(tx: &mut Tx, user: Uuid, keep: &str) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE user_id=$1 AND id_hash<>$2")
            .bind(user.to_string())
            .bind(keep.to_string())
            .execute(&mut **tx)
            .await?
            .rows_affected(),
    )
}

/// Counts an attempt against `key`; returns the attempts of its window. A window starts at its
/// first attempt (kept in `updated_at`) and ends for good once that start is before
/// `forget_before`: later attempts do not stretch it, so that nobody can keep a count up for
/// ever by trying now and then.
pub async fn add_failure<'e>(
    ex: impl Executor<'e, Database = Any>,
    key: &str,
    now: i64,
    forget_before: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO login_throttle (key, failures, blocked_until, updated_at) VALUES ($1, 1, 0, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN login_throttle.updated_at < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
           updated_at = CASE WHEN login_throttle.updated_at < $3 THEN $2 ELSE login_throttle.updated_at END \
         RETURNING failures",
    )
    .bind(key.to_string())
    .bind(now)
    .bind(forget_before)
    .fetch_one(ex)
    .await
}

/// Blocks `key` until `until`.
pub async fn block<'e>(
    ex: impl Executor<'e, Database = Any>,
    key: &str,
    until: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE login_throttle SET blocked_until=$1 WHERE key=$2")
        .bind(until)
        .bind(key.to_string())
        .execute(ex)
        .await?;
    Ok(())
}

/// Forgets the failures of `key` (after a successful sign-in).
pub async fn clear_failures<'e>(
    ex: impl Executor<'e, Database = Any>,
    key: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key=$1")
        .bind(key.to_string())
        .execute(ex)
        .await?;
    Ok(())
}

/// Takes `key`'s one turn until `until`: true if it was free (not blocked at `now`), and then
/// it is blocked until `until`; false if another attempt holds it. Atomic, so that concurrent
/// attempts get one turn between them.
pub async fn take_turn<'e>(
    ex: impl Executor<'e, Database = Any>,
    key: &str,
    now: i64,
    until: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE login_throttle SET blocked_until=$1 WHERE key=$2 AND blocked_until <= $3",
    )
    .bind(until)
    .bind(key.to_string())
    .bind(now)
    .execute(ex)
    .await?
    .rows_affected()
        > 0)
}

/// Adds a user unless one has this address (then nothing changes); the user either way, with
/// their password hash (as [`user_by_email`] reads them).
pub async fn ensure_user(
    tx: &mut Tx,
    email: &str,
    now: i64,
) -> sqlx::Result<(User, Option<String>)> {
    sqlx::query(
        "INSERT INTO users (id, email, admin, created_at) VALUES ($1,$2,0,$3) \
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(email.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    user_by_email(&mut **tx, email)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

/// Records a browser where `user` signed in (the SHA-256 of its device cookie).
pub async fn insert_device(
    tx: &mut Tx,
    token_hash: &str,
    user: Uuid,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO login_devices (token_hash, user_id, created_at, expires_at) VALUES ($1,$2,$3,$4)",
    )
    .bind(token_hash.to_string())
    .bind(user.to_string())
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The person a live device cookie was given to.
pub async fn device_user<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<Option<Uuid>> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT user_id FROM login_devices WHERE token_hash=$1 AND expires_at > $2",
    )
    .bind(token_hash.to_string())
    .bind(now)
    .fetch_optional(ex)
    .await?;
    id.map(|s| uuid(&s)).transpose()
}

/// Forgets every device of a person (their password changed), and the expired ones of anyone.
pub async fn delete_devices_of(tx: &mut Tx, user: Uuid, now: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_devices WHERE user_id=$1 OR expires_at <= $2")
        .bind(user.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Forgets one device cookie (replaced by a new one at sign-in).
pub async fn delete_device(tx: &mut Tx, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_devices WHERE token_hash=$1")
        .bind(token_hash.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The failures on record for `key` in the window that began after `since` (see
/// [`add_failure`]).
pub async fn recent_failures<'e>(
    ex: impl Executor<'e, Database = Any>,
    key: &str,
    since: i64,
) -> sqlx::Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT failures FROM login_throttle WHERE key=$1 AND updated_at >= $2",
    )
    .bind(key.to_string())
    .bind(since)
    .fetch_optional(ex)
    .await?
    .unwrap_or(0))
}
