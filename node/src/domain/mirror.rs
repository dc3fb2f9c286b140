//! The rules for what followed nodes send: a mirrored merchant or product obeys the same field
//! rules as a local one. Over-long texts are cut to the local limits, an invalid optional
//! value (a GTIN, a category, a phone number…) is dropped, and an object that still breaks a
//! rule (no name) is refused. Every write goes through here, in the caller's transaction.

use uuid::Uuid;

use super::{merchants, product_input};
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

/// Stores a mirrored merchant (new, or replacing what was known); returns its local id.
pub async fn save_merchant(tx: &mut Tx, m: MirroredMerchant, now: i64) -> Result<Uuid> {
    let fields = fit_merchant(m.fields)?;
    let existing = db::mirror::merchant_id(&mut **tx, &m.ap_id).await?;
    let id = existing.unwrap_or_else(Uuid::now_v7);
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

/// Stores a mirrored product of `merchant` with its photos (new, or replacing what was
/// known).
pub async fn save_product(tx: &mut Tx, merchant: Uuid, p: MirroredProduct, now: i64) -> Result<()> {
    let fields = fit_product(p.fields)?;
    let existing = db::mirror::product_id(&mut **tx, &p.ap_id).await?;
    let id = existing.unwrap_or_else(Uuid::now_v7);
    if existing.is_some() {
        db::products::update(tx, id, &fields, p.updated_at).await?;
        db::mirror::set_product_page(tx, id, p.url).await?;
    } else {
        let product = Product {
            id,
            merchant_id: merchant,
            merchant_slug: String::new(),
            ap_id: p.ap_id,
            local: false,
            url: p.url,
            fields,
            images: vec![],
            version: 1,
            created_at: db::time(p.created_at),
            updated_at: db::time(p.updated_at),
            deleted_at: None,
        };
        db::products::insert(tx, &product).await?;
    }
    db::mirror::clear_images(tx, id).await?;
    for (i, mut image) in p
        .images
        .into_iter()
        .take(super::images::MAX_IMAGES as usize)
        .enumerate()
    {
        image.product_id = id;
        image.position = i as i64;
        cut_opt(&mut image.alt, 1500);
        image.created_at = db::time(now);
        db::images::insert(&mut **tx, &image).await?;
    }
    Ok(())
}

/// Marks a mirrored merchant and its products deleted.
pub async fn delete_merchant(tx: &mut Tx, ap_id: &str, now: i64) -> Result<()> {
    Ok(db::mirror::delete_merchant(tx, ap_id, now).await?)
}

/// Marks a mirrored product deleted, if it comes from `origin`.
pub async fn delete_product(tx: &mut Tx, origin: &str, ap_id: &str, now: i64) -> Result<()> {
    Ok(db::mirror::delete_product(tx, origin, ap_id, now).await?)
}
