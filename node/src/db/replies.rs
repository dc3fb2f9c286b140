//! A shop's answers to the replies it received.

use sqlx::{Any, Executor, Row};
use uuid::Uuid;

use super::Tx;
use crate::model::remote::{Interaction, ShopReply};

use super::uuid;

/// Stores an answer.
pub async fn insert(tx: &mut Tx, r: &ShopReply) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO shop_replies (id, merchant_id, interaction_id, in_reply_to, to_actor, content, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
    )
    .bind(r.id.to_string())
    .bind(r.merchant_id.to_string())
    .bind(r.interaction_id.to_string())
    .bind(r.in_reply_to.clone())
    .bind(r.to_actor.clone())
    .bind(r.content.clone())
    .bind(r.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An answer by id.
pub async fn get<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: Uuid,
) -> sqlx::Result<Option<ShopReply>> {
    let row = sqlx::query(
        "SELECT id, merchant_id, interaction_id, in_reply_to, to_actor, content, created_at \
         FROM shop_replies WHERE id=$1",
    )
    .bind(id.to_string())
    .fetch_optional(ex)
    .await?;
    row.map(|r| {
        Ok(ShopReply {
            id: uuid(&r.try_get::<String, _>("id")?)?,
            merchant_id: uuid(&r.try_get::<String, _>("merchant_id")?)?,
            interaction_id: uuid(&r.try_get::<String, _>("interaction_id")?)?,
            in_reply_to: r.try_get("in_reply_to")?,
            to_actor: r.try_get("to_actor")?,
            content: r.try_get("content")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// How many answers each of these interactions got.
pub async fn answered<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
) -> sqlx::Result<Vec<Uuid>> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT interaction_id FROM shop_replies WHERE merchant_id=$1")
            .bind(merchant.to_string())
            .fetch_all(ex)
            .await?;
    ids.iter().map(|s| uuid(s)).collect()
}

/// A reply a shop received, if it is one (not hidden by the admin).
pub async fn interaction<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Interaction>> {
    sqlx::query(&format!(
        "SELECT {} FROM interactions \
         WHERE id=$1 AND merchant_id=$2 AND kind='reply' AND hidden_at IS NULL",
        super::remote::INTERACTION_COLUMNS
    ))
    .bind(id.to_string())
    .bind(merchant.to_string())
    .fetch_optional(ex)
    .await?
    .as_ref()
    .map(super::remote::interaction_from_row)
    .transpose()
}
