//! Writes a generated dataset (`crate::dev::dataset`) onto a node as its own shops and
//! products, through the same storage and outbox events as any write, fifty shops per
//! transaction. Meant for a new node: it has no followers yet, so the events it records are
//! fanned out to nobody (marked done) rather than announced later.

use uuid::Uuid;

use crate::db::{self, outbox};
use crate::dev::dataset::Shop;
use crate::domain::Context;
use crate::error::{Error, Result};
use crate::keys::PemKeyPair;
use crate::model::product::Product;

/// Shops per transaction.
const SHOPS_PER_TX: usize = 50;

/// Writes `shops` (their key pairs taken in turn from `keys`); `progress` hears how many
/// shops are written. Returns (shops, products) written.
pub async fn write(
    cx: &Context,
    shops: Vec<Shop>,
    keys: &[PemKeyPair],
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<(usize, usize)> {
    if keys.is_empty() {
        return Err(Error::Internal(anyhow::anyhow!("no key pairs")));
    }
    if db::products::count_live(cx.db.pool()).await? > 0
        || db::merchants::count_live(cx.db.pool()).await? > 0
    {
        return Err(Error::Conflict {
            detail: "the node already has shops: generate into an empty one".into(),
            field: None,
        });
    }
    let total = shops.len();
    let (mut done, mut products_written) = (0, 0);
    for (c, chunk) in shops.chunks(SHOPS_PER_TX).enumerate() {
        let now = cx.clock.now_ms();
        let mut tx = cx.db.begin().await?;
        for (i, shop) in chunk.iter().enumerate() {
            let keys = &keys[(c * SHOPS_PER_TX + i) % keys.len()];
            let fields = shop.fields.clone();
            let merchant =
                super::merchants::insert(cx, &mut tx, shop.slug.clone(), fields, keys).await?;
            let products: Vec<Product> = shop
                .products
                .iter()
                .map(|f| super::products::new_local(cx, &merchant, Uuid::now_v7(), f.clone(), now))
                .collect();
            super::products::store_new(cx, &mut tx, &merchant, &products, now).await?;
            products_written += products.len();
        }
        outbox::mark_all_processed(&mut tx, now).await?;
        tx.commit().await?;
        done += chunk.len();
        progress(done, total);
    }
    cx.committed().await;
    Ok((done, products_written))
}
