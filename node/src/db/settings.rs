//! Node-wide settings and the node actor's key.

use sqlx::{Any, Executor};

use super::{Db, Tx};
use crate::keys::PemKeyPair;

/// Reads a setting.
pub async fn get<'e>(
    ex: impl Executor<'e, Database = Any>,
    key: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT value FROM node_settings WHERE key=$1")
        .bind(key.to_string())
        .fetch_optional(ex)
        .await
}

/// Sets a setting unless it exists; returns whether this call set it. Concurrent callers on
/// PostgreSQL wait for each other, so exactly one of them wins.
pub async fn insert_if_absent(tx: &mut Tx, key: &str, value: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO node_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key.to_string())
    .bind(value.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The node actor's public key, creating the key pair on first start.
pub async fn ensure_node_key(db: &Db, now: i64) -> anyhow::Result<String> {
    if let Some(pem) = node_public_key(db).await? {
        return Ok(pem);
    }
    let keys: PemKeyPair = crate::keys::generate_async().await?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO node_actor (id, public_key_pem, private_key_pem, created_at) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(keys.public_pem)
    .bind(keys.private_pem)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(node_public_key(db).await?.expect("node key just stored"))
}

async fn node_public_key(db: &Db) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT public_key_pem FROM node_actor WHERE id=1")
        .fetch_optional(db.pool())
        .await
}

/// The node actor's key pair (public, private PEM).
pub async fn node_key_pair(db: &Db) -> sqlx::Result<(String, String)> {
    sqlx::query_as("SELECT public_key_pem, private_key_pem FROM node_actor WHERE id=1")
        .fetch_one(db.pool())
        .await
}

/// The site as the admin set it, over `defaults` (the command line's).
pub async fn site(db: &Db, defaults: &crate::config::Site) -> sqlx::Result<crate::config::Site> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT key, value FROM node_settings WHERE key LIKE 'site.%'")
            .fetch_all(db.pool())
            .await?;
    let mut site = defaults.clone();
    for (key, value) in rows {
        let value = Some(value).filter(|v| !v.is_empty());
        match key.as_str() {
            "site.name" => {
                if let Some(v) = value {
                    site.name = v;
                }
            }
            "site.description" => site.description = value,
            "site.operator" => site.operator = value.or(site.operator),
            "site.contact" => site.contact = value.or(site.contact),
            "site.licence" => {
                if let Some(l) = value.as_deref().and_then(crate::config::Licence::parse) {
                    site.licence = l;
                }
            }
            "site.logo" => site.logo = value,
            "site.signup" => site.signup_open = value.as_deref() == Some("1"),
            _ => {}
        }
    }
    Ok(site)
}

/// Sets (or, with an empty value, clears) a site setting.
pub async fn set(tx: &mut Tx, key: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO node_settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key.to_string())
    .bind(value.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
