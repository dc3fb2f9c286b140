//! What the open data publishes (`merchants.csv`, `products.csv`, `products.ndjson`, the
//! catalogue): local, live shops that consent to being listed, and their live products.

use sqlx::{Any, Executor};
use uuid::Uuid;

use super::merchants::{self, COLUMNS as MERCHANT_COLUMNS};
use super::products::{self, COLUMNS as PRODUCT_COLUMNS};
use super::{Db, Sql};
use crate::model::merchant::Merchant;
use crate::model::product::Product;

/// Shops of the open data, `limit` after the slug `after`, by slug: live, local, consenting
/// to being listed (`indexable`).
pub async fn merchants_page<'e>(
    ex: impl Executor<'e, Database = Any>,
    after: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<Merchant>> {
    let sql = format!(
        "SELECT {MERCHANT_COLUMNS} FROM merchants WHERE local=1 AND deleted_at IS NULL AND indexable=1 AND slug > $1 \
         ORDER BY slug LIMIT $2"
    );
    sqlx::query(&sql)
        .bind(after.unwrap_or("").to_string())
        .bind(limit)
        .fetch_all(ex)
        .await?
        .iter()
        .map(merchants::from_row)
        .collect()
}

/// The INSEE codes of the communes of the open data's shops, in order.
pub async fn communes<'e>(ex: impl Executor<'e, Database = Any>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT insee_code FROM merchants WHERE local=1 AND deleted_at IS NULL \
         AND indexable=1 AND insee_code IS NOT NULL ORDER BY insee_code",
    )
    .fetch_all(ex)
    .await
}

/// Products of the open data, `limit` after the id `after`, by id: live, local, of a live
/// shop that consents to being listed (`indexable`).
pub async fn products_page<'e>(
    ex: impl Executor<'e, Database = Any>,
    after: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<Product>> {
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS} FROM products p JOIN merchants m ON m.id = p.merchant_id \
         WHERE p.id > $1 AND p.deleted_at IS NULL AND p.local=1 AND m.deleted_at IS NULL AND m.indexable=1 \
         ORDER BY p.id LIMIT $2"
    );
    sqlx::query(&sql)
        .bind(after.map_or_else(String::new, |a| a.to_string()))
        .bind(limit)
        .fetch_all(ex)
        .await?
        .iter()
        .map(products::from_row)
        .collect()
}

/// What the open data's version depends on: how many local products and shops there are, and
/// their latest changes (ms). Any write of a local product or shop, a consent given or withdrawn
/// included, moves it.
pub async fn version<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> sqlx::Result<(i64, i64, i64, i64)> {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM products WHERE local=1), \
                (SELECT COALESCE(MAX(updated_at), 0) FROM products WHERE local=1), \
                (SELECT COUNT(*) FROM merchants WHERE local=1), \
                (SELECT COALESCE(MAX(updated_at), 0) FROM merchants WHERE local=1)",
    )
    .fetch_one(ex)
    .await
}

/// Of these products, those the open data shows (live, of a live shop that consents), in any
/// order.
pub async fn products_by_ids(db: &Db, ids: &[Uuid]) -> sqlx::Result<Vec<Product>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products p JOIN merchants m ON m.id = p.merchant_id \
         WHERE p.deleted_at IS NULL AND p.local=1 AND m.deleted_at IS NULL AND m.indexable=1 AND p.id IN ("
    ));
    sql.bind_list(ids.iter().map(|id| id.to_string()));
    sql.push(")");
    let (text, args) = sql.build();
    sqlx::query_with(&text, args)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(products::from_row)
        .collect()
}
