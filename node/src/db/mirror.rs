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
        super::search_index::shop_indexed(tx, m.id).await?
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
        super::search_index::reindex_shop_if_changed(tx, m.id, before, f).await?;
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
    super::search_index::index(tx, super::search_index::Which::Product(id)).await
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
        super::search_index::index(tx, super::search_index::Which::Merchant(id)).await?;
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
        super::search_index::index(tx, super::search_index::Which::Product(id)).await?;
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

/// What a product's index entry holds of its mirrored shop.
#[derive(Debug, Clone)]
pub struct KnownShop {
    /// Local id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Position.
    pub geo: Option<crate::model::merchant::Geo>,
    /// Deleted (or its consent withdrawn).
    pub deleted: bool,
}

/// Mirrored shops by ActivityPub id (deleted ones included: a new upsert brings them back).
pub async fn shops_by_ap_ids<'e>(
    ex: impl Executor<'e, Database = Any>,
    ap_ids: &[String],
) -> sqlx::Result<std::collections::HashMap<String, KnownShop>> {
    let mut out = std::collections::HashMap::new();
    if ap_ids.is_empty() {
        return Ok(out);
    }
    let mut sql = super::Sql::new(
        "SELECT id, ap_id, name, lat, lon, deleted_at FROM merchants WHERE local=0 AND ap_id IN (",
    );
    sql.bind_list(ap_ids.iter().cloned());
    sql.push(")");
    let (text, args) = sql.build();
    for row in sqlx::query_with(&text, args).fetch_all(ex).await? {
        use sqlx::Row;
        let lat: Option<f64> = row.try_get("lat")?;
        let lon: Option<f64> = row.try_get("lon")?;
        out.insert(
            row.try_get("ap_id")?,
            KnownShop {
                id: super::uuid(&row.try_get::<String, _>("id")?)?,
                name: row.try_get("name")?,
                geo: lat
                    .zip(lon)
                    .map(|(lat, lon)| crate::model::merchant::Geo { lat, lon }),
                deleted: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
            },
        );
    }
    Ok(out)
}

/// Mirrored products' local ids and last change (ms) by ActivityPub id.
pub async fn product_ids(
    conn: &mut sqlx::AnyConnection,
    ap_ids: &[String],
) -> sqlx::Result<std::collections::HashMap<String, (Uuid, i64)>> {
    use sqlx::Row;
    let mut out = std::collections::HashMap::new();
    if ap_ids.is_empty() {
        return Ok(out);
    }
    let backend = super::Backend::of(conn);
    let json = serde_json::to_string(&ap_ids.iter().map(|a| [a.as_str()]).collect::<Vec<_>>())
        .map_err(|e| sqlx::Error::Encode(e.into()))?;
    let sql = format!(
        "SELECT id, ap_id, updated_at FROM products WHERE local=0 AND ap_id IN (SELECT x.value->>0 FROM {})",
        backend.json_rows("$1")
    );
    for row in sqlx::query(&sql).bind(json).fetch_all(&mut *conn).await? {
        out.insert(
            row.try_get("ap_id")?,
            (
                super::uuid(&row.try_get::<String, _>("id")?)?,
                row.try_get::<i64, _>("updated_at")?,
            ),
        );
    }
    Ok(out)
}

/// Forgets the photos of many mirrored products (before storing their new lists).
pub async fn clear_images_many(conn: &mut sqlx::AnyConnection, ids: &[Uuid]) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = super::Backend::of(conn);
    let json = serde_json::to_string(&ids.iter().map(|i| [i.to_string()]).collect::<Vec<_>>())
        .map_err(|e| sqlx::Error::Encode(e.into()))?;
    let sql = format!(
        "DELETE FROM product_images WHERE product_id IN (SELECT x.value->>0 FROM {})",
        backend.json_rows("$1")
    );
    sqlx::query(&sql).bind(json).execute(&mut *conn).await?;
    Ok(())
}

/// Updates many mirrored products' fields at once; each keeps its id, and comes back if it
/// was deleted. The caller re-indexes them.
pub async fn update_many(
    conn: &mut sqlx::AnyConnection,
    products: &[crate::model::product::Product],
) -> sqlx::Result<()> {
    for p in products {
        let f = &p.fields;
        sqlx::query(
            "UPDATE products SET name=$2, description=$3, price_minor=$4, currency=$5, unit=$6, \
             availability=$7, stock=$8, gtin=$9, category=$10, tags=$11, tag_keys=$12, \
             search_keywords=$13, url=$14, merchant_id=$15, version=version+1, updated_at=$16, \
             deleted_at=NULL WHERE id=$1",
        )
        .bind(p.id.to_string())
        .bind(f.name.clone())
        .bind(f.description.clone())
        .bind(f.price.minor)
        .bind(f.price.currency.code().to_string())
        .bind(f.unit.as_str().to_string())
        .bind(f.availability.as_str().to_string())
        .bind(f.stock)
        .bind(f.gtin.clone())
        .bind(f.category.clone())
        .bind(serde_json::to_string(&f.tags).unwrap_or_else(|_| "[]".into()))
        .bind(f.tag_keys())
        .bind(f.search_keywords())
        .bind(p.url.clone())
        .bind(p.merchant_id.to_string())
        .bind(p.updated_at.timestamp_millis())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Marks many mirrored products of `origin` deleted; returns the ids it deleted.
pub async fn delete_products_many(
    conn: &mut sqlx::AnyConnection,
    origin: &str,
    ap_ids: &[String],
    now: i64,
) -> sqlx::Result<Vec<Uuid>> {
    use sqlx::Row;
    if ap_ids.is_empty() {
        return Ok(vec![]);
    }
    let backend = super::Backend::of(conn);
    let json = serde_json::to_string(&ap_ids.iter().map(|a| [a.as_str()]).collect::<Vec<_>>())
        .map_err(|e| sqlx::Error::Encode(e.into()))?;
    let sql = format!(
        "UPDATE products SET deleted_at=$2 WHERE local=0 AND origin=$3 AND deleted_at IS NULL \
         AND ap_id IN (SELECT x.value->>0 FROM {}) RETURNING id",
        backend.json_rows("$1")
    );
    let rows = sqlx::query(&sql)
        .bind(json)
        .bind(now)
        .bind(origin.to_string())
        .fetch_all(&mut *conn)
        .await?;
    let ids = rows
        .iter()
        .map(|r| super::uuid(&r.try_get::<String, _>("id")?))
        .collect::<sqlx::Result<Vec<_>>>()?;
    for id in &ids {
        super::search_index::index(conn, super::search_index::Which::Product(*id)).await?;
    }
    Ok(ids)
}
