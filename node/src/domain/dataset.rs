//! Writes a generated dataset (`crate::dev::dataset`) onto a node as its own shops and
//! products, through the same storage and outbox events as any write, fifty shops per
//! transaction. Meant for a new node: it has no followers yet, so the events it records are
//! fanned out to nobody (marked done) rather than announced later.

use uuid::Uuid;

use crate::db::{self, outbox};
use crate::dev::dataset::Shop;
use crate::error::{Error, Result};
use crate::keys::PemKeyPair;
use crate::model::product::Product;
use crate::Node;

/// Shops per transaction.
const SHOPS_PER_TX: usize = 50;

/// Writes `shops` (their key pairs taken in turn from `keys`); `progress` hears how many
/// shops are written. Returns (shops, products) written.
pub async fn write(
    node: &Node,
    shops: Vec<Shop>,
    keys: &[PemKeyPair],
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<(usize, usize)> {
    if keys.is_empty() {
        return Err(Error::Internal(anyhow::anyhow!("no key pairs")));
    }
    if db::products::count_live(node.db.pool()).await? > 0
        || db::merchants::count_live(node.db.pool()).await? > 0
    {
        return Err(Error::Conflict {
            detail: "the node already has shops: generate into an empty one".into(),
            field: None,
        });
    }
    let total = shops.len();
    let (mut done, mut products_written) = (0, 0);
    for (c, chunk) in shops.chunks(SHOPS_PER_TX).enumerate() {
        let now = node.clock.now_ms();
        let mut tx = node.db.begin().await?;
        for (i, shop) in chunk.iter().enumerate() {
            let keys = &keys[(c * SHOPS_PER_TX + i) % keys.len()];
            let fields = shop.fields.clone();
            let merchant =
                super::merchants::insert(node, &mut tx, shop.slug.clone(), fields, keys).await?;
            let products: Vec<Product> = shop
                .products
                .iter()
                .map(|f| {
                    let id = Uuid::now_v7();
                    Product {
                        id,
                        merchant_id: merchant.id,
                        merchant_slug: merchant.slug.clone(),
                        local: true,
                        url: None,
                        ap_id: node.urls.product(&id).to_string(),
                        fields: f.clone(),
                        images: vec![],
                        version: 1,
                        created_at: db::time(now),
                        updated_at: db::time(now),
                        announced_at: None,
                        deleted_at: None,
                    }
                })
                .collect();
            let entries: Vec<db::search_index::Entry> = products
                .iter()
                .map(|p| db::search_index::entry(p, &merchant.fields.name, merchant.fields.geo))
                .collect();
            db::products::insert_many(&mut tx, &products, &entries).await?;
            let objects: Vec<(Uuid, Uuid)> = products.iter().map(|p| (p.id, merchant.id)).collect();
            outbox::record_many(
                &mut tx,
                now,
                outbox::Verb::Create,
                outbox::Kind::Product,
                &objects,
            )
            .await?;
            products_written += products.len();
        }
        outbox::mark_all_processed(&mut tx, now).await?;
        tx.commit().await?;
        done += chunk.len();
        progress(done, total);
    }
    node.committed().await;
    Ok((done, products_written))
}
