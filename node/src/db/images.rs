//! Product photo rows.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use uuid::Uuid;

use super::{time, Sql, Tx};
use crate::model::image::Image;

const COLUMNS: &str =
    "id, product_id, position, alt, width, height, blurhash, media_type, variants, created_at";

fn from_row(row: &AnyRow) -> sqlx::Result<Image> {
    let uuid = |s: String| Uuid::parse_str(&s).map_err(|e| sqlx::Error::Decode(e.into()));
    let variants: String = row.try_get("variants")?;
    Ok(Image {
        id: uuid(row.try_get("id")?)?,
        product_id: uuid(row.try_get("product_id")?)?,
        position: row.try_get("position")?,
        alt: row.try_get("alt")?,
        width: row.try_get("width")?,
        height: row.try_get("height")?,
        blurhash: row.try_get("blurhash")?,
        media_type: row.try_get("media_type")?,
        variants: serde_json::from_str(&variants).map_err(|e| sqlx::Error::Decode(e.into()))?,
        created_at: time(row.try_get("created_at")?),
    })
}

/// A product's photos in display order.
pub async fn for_product<'e>(
    ex: impl Executor<'e, Database = Any>,
    product: Uuid,
) -> sqlx::Result<Vec<Image>> {
    let sql = format!("SELECT {COLUMNS} FROM product_images WHERE product_id=$1 ORDER BY position");
    sqlx::query(&sql)
        .bind(product.to_string())
        .fetch_all(ex)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Photos of several products, grouped by product, in display order.
pub async fn for_products<'e>(
    ex: impl Executor<'e, Database = Any>,
    products: &[Uuid],
) -> sqlx::Result<HashMap<Uuid, Vec<Image>>> {
    let mut out: HashMap<Uuid, Vec<Image>> = HashMap::new();
    if products.is_empty() {
        return Ok(out);
    }
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM product_images WHERE product_id IN ("
    ));
    sql.bind_list(products.iter().map(|id| id.to_string()));
    sql.push(") ORDER BY product_id, position");
    let (text, args) = sql.build();
    for row in sqlx::query_with(&text, args).fetch_all(ex).await? {
        let image = from_row(&row)?;
        out.entry(image.product_id).or_default().push(image);
    }
    Ok(out)
}

/// How many photos a product has.
pub async fn count<'e>(ex: impl Executor<'e, Database = Any>, product: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM product_images WHERE product_id=$1")
        .bind(product.to_string())
        .fetch_one(ex)
        .await
}

/// Stores a photo's row.
pub async fn insert<'e>(ex: impl Executor<'e, Database = Any>, i: &Image) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO product_images (id, product_id, position, alt, width, height, blurhash, media_type, \
         variants, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
    )
    .bind(i.id.to_string())
    .bind(i.product_id.to_string())
    .bind(i.position)
    .bind(i.alt.clone())
    .bind(i.width)
    .bind(i.height)
    .bind(i.blurhash.clone())
    .bind(i.media_type.clone())
    .bind(serde_json::to_string(&i.variants).unwrap_or_default())
    .bind(i.created_at.timestamp_millis())
    .execute(ex)
    .await?;
    Ok(())
}

/// Writes the position and alt text of each photo.
pub async fn save_order_and_alt(tx: &mut Tx, images: &[Image]) -> sqlx::Result<()> {
    for i in images {
        sqlx::query("UPDATE product_images SET position=$2, alt=$3 WHERE id=$1")
            .bind(i.id.to_string())
            .bind(i.position)
            .bind(i.alt.clone())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Deletes a photo's row.
pub async fn delete<'e>(ex: impl Executor<'e, Database = Any>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM product_images WHERE id=$1")
        .bind(id.to_string())
        .execute(ex)
        .await?;
    Ok(())
}

/// Stores many photos' rows in one statement.
pub async fn insert_many(conn: &mut sqlx::AnyConnection, images: &[Image]) -> sqlx::Result<()> {
    if images.is_empty() {
        return Ok(());
    }
    let backend = super::Backend::of(conn);
    let rows: Vec<serde_json::Value> = images
        .iter()
        .map(|i| {
            serde_json::json!([
                i.id.to_string(),
                i.product_id.to_string(),
                i.position,
                i.alt,
                i.width,
                i.height,
                i.blurhash,
                i.media_type,
                serde_json::to_string(&i.variants).unwrap_or_default(),
                i.created_at.timestamp_millis(),
            ])
        })
        .collect();
    let rows = serde_json::to_string(&rows).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let int = |i: usize| backend.json_int(i);
    let sql = format!(
        "INSERT INTO product_images (id, product_id, position, alt, width, height, blurhash, media_type, \
         variants, created_at) SELECT x.value->>0, x.value->>1, {}, x.value->>3, {}, {}, x.value->>6, \
         x.value->>7, x.value->>8, {} FROM {}",
        int(2),
        int(4),
        int(5),
        int(9),
        backend.json_rows("$1")
    );
    sqlx::query(&sql).bind(rows).execute(&mut *conn).await?;
    Ok(())
}
