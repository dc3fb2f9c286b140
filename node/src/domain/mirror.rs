//! The mirror of other nodes' shops and products, one path for every source: an `Announce`
//! from a followed node, its outbox walked after a follow (`federation::mirror`), a page of a
//! harvested change feed (`open_data::harvest`). Each source turns what it read into a
//! [`Batch`] (`federation::from_ap`, `open_data::from_open_data`); [`check`] holds it to the
//! rules before any transaction, [`save`] stores it in the source's transaction.
//!
//! A mirrored merchant or product obeys the same field rules as a local one. Over-long texts are cut to the local limits, an invalid optional
//! value (a GTIN, a category, a phone number…) is dropped, and an object that still breaks a
//! rule (no name) is refused. Every write goes through here, in the caller's transaction.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::{merchants, product_input, Context};
use crate::db::{self, Tx};
use crate::error::{Checks, Error, Result};
use crate::model::image::Image;
use crate::model::merchant::MerchantFields;
use crate::model::product::{Product, ProductFields};

/// A merchant as a followed node describes it.
#[derive(Debug, Clone)]
pub struct MirroredMerchant {
    /// ActivityPub id.
    pub ap_id: String,
    /// `user@host`.
    pub handle: Option<String>,
    /// Its server's origin.
    pub origin: String,
    /// Fields as received (checked here).
    pub fields: MerchantFields,
}

/// A product as a followed node describes it.
#[derive(Debug, Clone)]
pub struct MirroredProduct {
    /// ActivityPub id.
    pub ap_id: String,
    /// Its page on the other node.
    pub url: Option<String>,
    /// Fields as received (checked here).
    pub fields: ProductFields,
    /// Photos (links to the other node's files), in order.
    pub images: Vec<Image>,
    /// Creation and last change, in milliseconds.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

fn cut(text: &mut String, max: usize) {
    if let Some((i, _)) = text.char_indices().nth(max) {
        text.truncate(i);
    }
}

fn cut_opt(text: &mut Option<String>, max: usize) {
    if let Some(t) = text {
        cut(t, max);
    }
}

/// Brings a mirrored merchant's fields within the local rules.
pub fn fit_merchant(mut f: MerchantFields) -> Result<MerchantFields> {
    cut(&mut f.name, merchants::MAX_NAME_CHARS);
    cut_opt(&mut f.description, merchants::MAX_DESCRIPTION_CHARS);
    cut_opt(&mut f.address.street, 200);
    cut(&mut f.address.city, 100);
    f.opening_hours.truncate(14);
    f.email = None;
    f.website = None;
    f.siret = None;
    let mut checks = Checks::default();
    f.check(&mut checks);
    let invalid = checks.fields();
    if invalid.iter().any(|x| x == "name") {
        return Err(Error::field("name", "a mirrored shop needs a name"));
    }
    for field in invalid {
        match field.split(['[', '.']).next().unwrap_or_default() {
            "description" => f.description = None,
            "category" => f.category = None,
            "address" if field == "address.postal_code" => f.address.postal_code.clear(),
            "address" if field == "address.insee_code" => f.address.insee_code = None,
            "address" => f.address.street = None,
            "geo" => f.geo = None,
            "phone" => f.phone = None,
            "opening_hours" => f.opening_hours.clear(),
            _ => {}
        }
    }
    let mut checks = Checks::default();
    f.check(&mut checks);
    checks.finish()?;
    Ok(f)
}

/// Brings a mirrored product's fields within the local rules.
pub fn fit_product(mut f: ProductFields) -> Result<ProductFields> {
    cut(&mut f.name, product_input::MAX_NAME_CHARS);
    cut_opt(&mut f.description, product_input::MAX_DESCRIPTION_CHARS);
    f.tags = f
        .tags
        .into_iter()
        .map(|mut t| {
            t = t.trim().trim_start_matches('#').trim().to_string();
            cut(&mut t, product_input::MAX_TAG_CHARS);
            t
        })
        .filter(|t| !t.is_empty())
        .take(product_input::MAX_TAGS)
        .collect();
    let mut checks = Checks::default();
    f.check(&mut checks);
    let invalid = checks.fields();
    if invalid.iter().any(|x| x == "name") {
        return Err(Error::field("name", "a mirrored product needs a name"));
    }
    for field in invalid {
        match field.split(['[', '.']).next().unwrap_or_default() {
            "description" => f.description = None,
            "gtin" => f.gtin = None,
            "category" => f.category = None,
            "stock" => f.stock = None,
            "tags" => f.tags.clear(),
            _ => {}
        }
    }
    let mut checks = Checks::default();
    f.check(&mut checks);
    checks.finish()?;
    Ok(f)
}

/// Stores a mirrored merchant (new, or replacing what was known), with the id a new merchant
/// takes; returns its local id.
async fn save_merchant_as(
    tx: &mut Tx,
    m: MirroredMerchant,
    new_id: Uuid,
    now: i64,
) -> Result<Uuid> {
    let fields = fit_merchant(m.fields)?;
    let existing = db::mirror::merchant_id(&mut **tx, &m.ap_id).await?;
    let id = existing.unwrap_or(new_id);
    let row = db::mirror::MerchantRow {
        id,
        ap_id: &m.ap_id,
        handle: m.handle.as_deref(),
        origin: &m.origin,
        fields: &fields,
    };
    db::mirror::save_merchant(tx, &row, existing.is_some(), now).await?;
    Ok(id)
}

/// Whether a version of a product changed at `incoming` (ms) is older than the stored one,
/// changed at `stored`. In whole seconds: change feeds give seconds, ActivityPub documents
/// milliseconds, so within one second the version that arrives last wins.
fn older(incoming: i64, stored: i64) -> bool {
    incoming.div_euclid(1000) < stored.div_euclid(1000)
}

/// Changes of another node's shops and products, however they came: an announced activity
/// (a batch of one), an activity of its outbox, a page of its change feed.
#[derive(Debug, Default)]
pub struct Batch {
    /// Shops created or changed.
    pub merchants: Vec<MirroredMerchant>,
    /// Products created or changed, each with its shop's ActivityPub id.
    pub products: Vec<(String, MirroredProduct)>,
    /// Products deleted (ActivityPub ids).
    pub deleted_products: Vec<String>,
    /// Shops deleted, or whose consent was withdrawn (ActivityPub ids).
    pub deleted_merchants: Vec<String>,
}

impl Batch {
    /// Shops its products belong to that it does not carry itself.
    pub fn shops_named(&self) -> Vec<String> {
        let carried: HashSet<&str> = self.merchants.iter().map(|m| m.ap_id.as_str()).collect();
        let mut out: Vec<String> = self
            .products
            .iter()
            .map(|(m, _)| m.clone())
            .filter(|m| !carried.contains(m.as_str()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// How many changes it holds.
    pub fn len(&self) -> usize {
        self.merchants.len()
            + self.products.len()
            + self.deleted_products.len()
            + self.deleted_merchants.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The mirrored shops among `ap_ids` that are stored, by ActivityPub id.
pub async fn known_shops(
    cx: &Context,
    ap_ids: &[String],
) -> Result<HashMap<String, db::mirror::KnownShop>> {
    Ok(db::mirror::shops_by_ap_ids(cx.db.pool(), ap_ids).await?)
}

/// Whether the aggregate may hold this shop: only shops that consent to being indexed.
pub fn consents(m: &MirroredMerchant) -> bool {
    m.fields.indexable
}

/// A product of a batch, checked, with its index entry computed before the transaction.
#[derive(Debug)]
struct Ready {
    product: Product,
    images: Vec<Image>,
    entry: db::search_index::Entry,
    shop: String,
    shop_id: Uuid,
}

/// A batch whose rules were checked and whose index entries were computed, ready for one
/// short transaction.
#[derive(Debug)]
pub struct CheckedBatch {
    origin: String,
    merchants: Vec<(MirroredMerchant, Uuid)>,
    products: Vec<Ready>,
    deleted_products: Vec<String>,
    deleted_merchants: Vec<String>,
    /// Changes refused by the rules (logged), or products of shops nobody described.
    pub refused: usize,
}

/// Checks a batch from `origin` against the rules, outside any transaction: fields fitted as
/// for any mirrored object, every id on `origin`, index entries computed; on an aggregator,
/// shops without consent turned into deletions.
pub async fn check(cx: &Context, origin: &str, batch: Batch) -> Result<CheckedBatch> {
    let (db, now) = (&cx.db, cx.clock.now_ms());
    let same_origin =
        |id: &str| url::Url::parse(id).is_ok_and(|u| etal_protocol::ap::origin(&u) == origin);
    let mut refused = 0;
    let mut deleted_merchants: Vec<String> = batch
        .deleted_merchants
        .into_iter()
        .filter(|id| same_origin(id))
        .collect();
    let mut named: Vec<String> = batch.merchants.iter().map(|m| m.ap_id.clone()).collect();
    named.extend(batch.products.iter().map(|(m, _)| m.clone()));
    named.sort();
    named.dedup();
    let known = db::mirror::shops_by_ap_ids(db.pool(), &named).await?;
    // Shop ap id → (local id, name, position) as the products' entries will hold it.
    // A deleted shop's products stay out unless the page brings the shop back.
    let mut shops: HashMap<String, (Uuid, String, Option<crate::model::merchant::Geo>)> = known
        .iter()
        .filter(|(_, v)| !v.deleted)
        .map(|(k, v)| (k.clone(), (v.id, v.name.clone(), v.geo)))
        .collect();
    let mut merchants = Vec::new();
    for mut m in batch.merchants {
        if !same_origin(&m.ap_id) {
            refused += 1;
            continue;
        }
        if cx.settings.aggregator && !consents(&m) {
            shops.remove(&m.ap_id);
            deleted_merchants.push(m.ap_id);
            continue;
        }
        match fit_merchant(m.fields.clone()) {
            Ok(f) => {
                m.fields = f;
                let id = known.get(&m.ap_id).map_or_else(Uuid::now_v7, |k| k.id);
                shops.insert(m.ap_id.clone(), (id, m.fields.name.clone(), m.fields.geo));
                merchants.push((m, id));
            }
            Err(e) => {
                tracing::warn!(shop = %m.ap_id, error = %e, "a harvested shop breaks the rules: skipped");
                refused += 1;
            }
        }
    }
    let gone: HashSet<&str> = deleted_merchants.iter().map(String::as_str).collect();
    // SQLite's index is fed stemmed documents; PostgreSQL builds its own.
    let stems = db.backend() == db::Backend::Sqlite;
    let mut products = Vec::with_capacity(batch.products.len());
    for (shop_ap_id, p) in batch.products {
        if gone.contains(shop_ap_id.as_str()) {
            continue;
        }
        let Some((shop_id, shop, geo)) = shops.get(&shop_ap_id).cloned() else {
            refused += 1;
            continue;
        };
        // A node speaks for its own products in its own shops only.
        if !same_origin(&p.ap_id) || !same_origin(&shop_ap_id) {
            refused += 1;
            continue;
        }
        let fields = match fit_product(p.fields) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(product = %p.ap_id, error = %e, "a harvested product breaks the rules: skipped");
                refused += 1;
                continue;
            }
        };
        let id = Uuid::now_v7();
        let product = Product {
            id,
            merchant_id: shop_id,
            merchant_slug: String::new(),
            ap_id: p.ap_id,
            local: false,
            url: p.url,
            fields,
            images: vec![],
            version: 1,
            created_at: crate::clock::time(p.created_at),
            updated_at: crate::clock::time(p.updated_at),
            announced_at: None,
            deleted_at: None,
        };
        let images = p
            .images
            .into_iter()
            .take(super::images::MAX_IMAGES as usize)
            .enumerate()
            .map(|(i, mut image)| {
                image.product_id = id;
                image.position = i as i64;
                cut_opt(&mut image.alt, 1500);
                image.created_at = crate::clock::time(now);
                image
            })
            .collect();
        let entry = if stems {
            db::search_index::entry(&product, &shop, geo)
        } else {
            db::search_index::Entry::id_only(product.id)
        };
        products.push(Ready {
            product,
            images,
            entry,
            shop,
            shop_id,
        });
    }
    Ok(CheckedBatch {
        origin: origin.to_string(),
        merchants,
        products,
        deleted_products: batch
            .deleted_products
            .into_iter()
            .filter(|id| same_origin(id))
            .collect(),
        deleted_merchants,
        refused,
    })
}

/// Stores a checked batch in the caller's transaction (with what else the source records:
/// the activity's receipt, the feed's cursor); returns how many changes it applied.
pub async fn save(tx: &mut Tx, b: CheckedBatch, now: i64) -> Result<usize> {
    let mut applied = 0;
    let mut moved: HashMap<Uuid, (Uuid, Option<crate::model::merchant::Geo>)> = HashMap::new();
    for (m, assumed) in b.merchants {
        let geo = m.fields.geo;
        let id = save_merchant_as(tx, m, assumed, now).await?;
        if id != assumed {
            // Written meanwhile by a live activity under another id.
            moved.insert(assumed, (id, geo));
        }
        applied += 1;
    }
    let ap_ids: Vec<String> = b.products.iter().map(|r| r.product.ap_id.clone()).collect();
    let existing = db::mirror::product_ids(tx, &ap_ids).await?;
    let (mut new, mut old) = (Vec::new(), Vec::new());
    let (mut new_entries, mut old_entries) = (Vec::new(), Vec::new());
    let mut images = Vec::new();
    for mut r in b.products {
        if let Some((id, geo)) = moved.get(&r.shop_id) {
            r.product.merchant_id = *id;
            if !r.entry.doc.facets.is_empty() {
                r.entry = db::search_index::entry(&r.product, &r.shop, *geo);
            }
        }
        if let Some((id, stored_at)) = existing.get(&r.product.ap_id) {
            if older(r.product.updated_at.timestamp_millis(), *stored_at) {
                // What is stored is newer (a live activity came first): kept.
                continue;
            }
            r.product.id = *id;
            r.entry.id = *id;
            for i in &mut r.images {
                i.product_id = *id;
            }
            old.push(r.product);
            old_entries.push(r.entry);
        } else {
            new.push(r.product);
            new_entries.push(r.entry);
        }
        images.extend(r.images);
    }
    applied += new.len() + old.len();
    db::products::insert_many(tx, &new, &new_entries).await?;
    db::mirror::update_many(tx, &old).await?;
    db::search_index::index_many(tx, &old_entries).await?;
    let old_ids: Vec<Uuid> = old.iter().map(|p| p.id).collect();
    db::mirror::clear_images_many(tx, &old_ids).await?;
    db::images::insert_many(tx, &images).await?;
    applied += db::mirror::delete_products_many(tx, &b.origin, &b.deleted_products, now)
        .await?
        .len();
    for m in &b.deleted_merchants {
        db::mirror::delete_merchant(tx, m, now).await?;
        applied += 1;
    }
    Ok(applied)
}

/// Checks and stores a batch from `origin` in a transaction of its own, and tells the pages;
/// returns how many changes it applied. With `receipt`, the id of the activity that carried
/// it: an activity already received is not applied again.
pub async fn apply(
    cx: &Context,
    origin: &str,
    batch: Batch,
    receipt: Option<&str>,
) -> Result<usize> {
    let checked = check(cx, origin, batch).await?;
    if checked.refused > 0 {
        tracing::info!(
            origin,
            refused = checked.refused,
            "changes refused by the rules"
        );
    }
    let now = cx.clock.now_ms();
    let mut tx = cx.db.begin().await?;
    if let Some(id) = receipt {
        if !super::audience::first_receipt(&mut tx, id, now).await? {
            return Ok(0);
        }
    }
    let applied = save(&mut tx, checked, now).await?;
    tx.commit().await?;
    cx.committed().await;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::older;

    #[test]
    fn versions_are_compared_in_whole_seconds() {
        // A feed's 10:00:00 and a Note's 10:00:00.200 are the same second.
        assert!(!older(1_000_200, 1_000_000));
        assert!(!older(1_000_000, 1_000_200));
        assert!(older(999_999, 1_000_000));
        assert!(!older(1_001_000, 1_000_999));
    }
}
