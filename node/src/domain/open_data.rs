//! What the open data publishes, read for `http::open_data` and `http::dumps`: only live shops
//! that consent to being listed, and their live products; the change feed's entries.

use std::collections::HashMap;

use uuid::Uuid;

use super::Context;
use crate::db;
use crate::db::changes::Change;
use crate::error::Result;
use crate::model::image::Image;
use crate::model::merchant::Merchant;
use crate::model::product::Product;

/// What the files' contents depend on (counts and last changes), to tell when they change.
pub async fn version(cx: &Context) -> Result<(i64, i64, i64, i64)> {
    Ok(db::open_data::version(cx.db.pool()).await?)
}

/// The INSEE codes of the communes of the listed shops, in order (DCAT's spatial coverage).
pub async fn communes(cx: &Context) -> Result<Vec<String>> {
    Ok(db::open_data::communes(cx.db.pool()).await?)
}

/// Listed shops by slug, after `after`.
pub async fn shops_page(cx: &Context, after: Option<&str>, limit: i64) -> Result<Vec<Merchant>> {
    Ok(db::open_data::merchants_page(cx.db.pool(), after, limit).await?)
}

/// Listed products by id, after `after`.
pub async fn products_page(cx: &Context, after: Option<Uuid>, limit: i64) -> Result<Vec<Product>> {
    Ok(db::open_data::products_page(cx.db.pool(), after, limit).await?)
}

/// Those of `ids` that are listed products.
pub async fn products(cx: &Context, ids: &[Uuid]) -> Result<Vec<Product>> {
    Ok(db::open_data::products_by_ids(&cx.db, ids).await?)
}

/// The photos of products, by product.
pub async fn photos(cx: &Context, products: &[Uuid]) -> Result<HashMap<Uuid, Vec<Image>>> {
    Ok(db::images::for_products(cx.db.pool(), products).await?)
}

/// The change feed's last entry (its counter and id), if any.
pub async fn head(cx: &Context) -> Result<Option<(i64, Uuid)>> {
    Ok(db::changes::head(&cx.db).await?)
}

/// The highest counter the feed has given.
pub async fn highest(cx: &Context) -> Result<i64> {
    Ok(db::changes::highest(&cx.db).await?)
}

/// The feed's entries after a cursor (counter and id), oldest first.
pub async fn changes_after(
    cx: &Context,
    seq: i64,
    id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Change>> {
    Ok(db::changes::after(&cx.db, seq, id, limit).await?)
}
