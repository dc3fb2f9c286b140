//! Rows mirrored from followed nodes (`local = 0`): merchants and products keyed by their
//! remote ids, with their photos as links to the other node's files.

use sqlx::{Any, Executor};
use uuid::Uuid;

use super::Tx;
use crate::model::merchant::MerchantFields;

/// The local id of a mirrored merchant, by its ActivityPub id.
pub async fn merchant_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    ap_id: &str,
) -> sqlx::Result<Option<Uuid>> {
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM merchants WHERE ap_id=$1 AND local=0")
            .bind(ap_id.to_string())
            .fetch_optional(ex)
            .await?;
    Ok(id.and_then(|s| Uuid::parse_str(&s).ok()))
}

/// The local id of a mirrored product, by its ActivityPub id.
pub async fn product_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    ap_id: &str,
) -> sqlx::Result<Option<Uuid>> {
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM products WHERE ap_id=$1 AND local=0")
            .bind(ap_id.to_string())
            .fetch_optional(ex)
            .await?;
    Ok(id.and_then(|s| Uuid::parse_str(&s).ok()))
}

/// What is stored of a mirrored merchant besides its fields.
#[derive(Debug, Clone)]
pub struct MerchantRow<'a> {
    /// Local id (new or existing).
    pub id: Uuid,
    /// ActivityPub id.
    pub ap_id: &'a str,
    /// `user@host`.
    pub handle: Option<&'a str>,
    /// Its server's origin.
    pub origin: &'a str,
    /// The checked fields.
    pub fields: &'a MerchantFields,
}

/// Inserts a mirrored merchant, or replaces the fields of an existing one (`exists`).
pub async fn save_merchant(
    tx: &mut Tx,
    m: &MerchantRow<'_>,
    exists: bool,
    now: i64,
) -> sqlx::Result<()> {
    let sql = if exists {
        "UPDATE merchants SET name=$3, description=$4, category=$5, street=$6, postal_code=$7, city=$8, \
         insee_code=$9, lat=$10, lon=$11, phone=$12, website=NULL, opening_hours=$13, indexable=$14, \
         handle=$15, origin=$16, updated_at=$17, deleted_at=NULL, version=version+1 WHERE id=$1 AND ap_id=$2"
    } else {
        "INSERT INTO merchants (id, ap_id, local, name, description, category, street, postal_code, city, \
         insee_code, lat, lon, phone, opening_hours, indexable, handle, origin, created_at, updated_at) \
         VALUES ($1,$2,0,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$17)"
    };
    let f = m.fields;
    // The index holds the shop's name and position in each product: re-index only when they
    // change (a followed node re-sends its actors often).
    let before = if exists {
        super::search::shop_indexed(tx, m.id).await?
    } else {
        None
    };
    sqlx::query(sql)
        .bind(m.id.to_string())
        .bind(m.ap_id.to_string())
        .bind(f.name.clone())
        .bind(f.description.clone())
        .bind(f.category.clone())
        .bind(f.address.street.clone())
        .bind(f.address.postal_code.clone())
        .bind(f.address.city.clone())
        .bind(f.address.insee_code.clone())
        .bind(f.geo.map(|g| g.lat))
        .bind(f.geo.map(|g| g.lon))
        .bind(f.phone.clone())
        .bind(serde_json::to_string(&f.opening_hours).unwrap_or_else(|_| "[]".into()))
        .bind(f.indexable as i64)
        .bind(m.handle.map(str::to_string))
        .bind(m.origin.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    if exists {
        super::search::reindex_shop_if_changed(tx, m.id, before, f).await?;
    }
    Ok(())
}

/// Sets a mirrored product's page and brings it back if it was deleted.
pub async fn set_product_page(tx: &mut Tx, id: Uuid, page: Option<String>) -> sqlx::Result<()> {
    sqlx::query("UPDATE products SET url=$2, deleted_at=NULL WHERE id=$1")
        .bind(id.to_string())
        .bind(page)
        .execute(&mut **tx)
        .await?;
    super::search::index(tx, super::search::Which::Product(id)).await
}

/// Forgets a mirrored product's photos (before storing the new list).
pub async fn clear_images(tx: &mut Tx, product: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM product_images WHERE product_id=$1")
        .bind(product.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks a mirrored merchant and its products deleted.
pub async fn delete_merchant(tx: &mut Tx, ap_id: &str, now: i64) -> sqlx::Result<()> {
    if let Some(id) = merchant_id(&mut **tx, ap_id).await? {
        sqlx::query("UPDATE merchants SET deleted_at=$2 WHERE id=$1")
            .bind(id.to_string())
            .bind(now)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "UPDATE products SET deleted_at=$2 WHERE merchant_id=$1 AND deleted_at IS NULL",
        )
        .bind(id.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
        super::search::index(tx, super::search::Which::Merchant(id)).await?;
    }
    Ok(())
}

/// Marks a mirrored product deleted, if it comes from `origin`.
pub async fn delete_product(tx: &mut Tx, origin: &str, ap_id: &str, now: i64) -> sqlx::Result<()> {
    let id: Option<String> = sqlx::query_scalar(
        "UPDATE products SET deleted_at=$3 WHERE ap_id=$1 AND local=0 AND origin=$2 AND deleted_at IS NULL \
         RETURNING id",
    )
    .bind(ap_id.to_string())
    .bind(origin.to_string())
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = id {
        let id = Uuid::parse_str(&id).map_err(|e| sqlx::Error::Decode(e.into()))?;
        super::search::index(tx, super::search::Which::Product(id)).await?;
    }
    Ok(())
}

/// Records that a followed node's outbox was read to its end.
pub async fn mark_backfilled(tx: &mut Tx, target: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE follows SET backfilled_at=$2 WHERE target=$1")
        .bind(target.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
