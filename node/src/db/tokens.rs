//! API tokens: only the SHA-256 of each secret is stored.

use sqlx::{Any, Executor, Row};
use uuid::Uuid;

/// What a token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything on the node.
    Admin,
    /// One merchant's products.
    Merchant {
        /// The merchant's internal id.
        id: Uuid,
        /// Its slug.
        slug: String,
    },
}

/// Stores a token's hash.
pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    name: &str,
    hash: &str,
    merchant_id: Option<Uuid>,
    now: i64,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO api_tokens (id, name, token_hash, merchant_id, created_at) VALUES ($1,$2,$3,$4,$5)",
    )
    .bind(id.to_string())
    .bind(name.to_string())
    .bind(hash.to_string())
    .bind(merchant_id.map(|m| m.to_string()))
    .bind(now)
    .execute(ex)
    .await?;
    Ok(id)
}

/// The scope of a live token with this hash.
pub async fn scope_of<'e>(
    ex: impl Executor<'e, Database = Any>,
    hash: &str,
) -> sqlx::Result<Option<Scope>> {
    let row = sqlx::query(
        "SELECT t.merchant_id, m.slug FROM api_tokens t LEFT JOIN merchants m ON m.id = t.merchant_id \
         WHERE t.token_hash=$1 AND t.revoked_at IS NULL AND m.suspended_at IS NULL",
    )
    .bind(hash.to_string())
    .fetch_optional(ex)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let merchant: Option<String> = row.try_get("merchant_id")?;
    Ok(Some(match merchant {
        None => Scope::Admin,
        Some(id) => Scope::Merchant {
            id: Uuid::parse_str(&id).map_err(|e| sqlx::Error::Decode(e.into()))?,
            slug: row
                .try_get::<Option<String>, _>("slug")?
                .unwrap_or_default(),
        },
    }))
}

/// A shop's live tokens, newest first.
pub async fn list_for<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
) -> sqlx::Result<Vec<crate::model::account::TokenInfo>> {
    let rows = sqlx::query(
        "SELECT id, name, created_at FROM api_tokens WHERE merchant_id=$1 AND revoked_at IS NULL ORDER BY created_at DESC",
    )
    .bind(merchant.to_string())
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(crate::model::account::TokenInfo {
                id: Uuid::parse_str(&r.try_get::<String, _>("id")?)
                    .map_err(|e| sqlx::Error::Decode(e.into()))?,
                name: r.try_get("name")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Revokes a shop's token; false when it has no such live token.
pub async fn revoke(
    tx: &mut super::Tx,
    merchant: Uuid,
    token: Uuid,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at=$1 WHERE id=$2 AND merchant_id=$3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(token.to_string())
    .bind(merchant.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}
