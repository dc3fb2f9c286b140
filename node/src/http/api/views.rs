//! What the REST API answers: stored merchants, products and photos turned into JSON.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::images::Image;
use crate::domain::merchants::{Address, Geo, Merchant};
use crate::domain::products::Product;
use crate::urls::Urls;

/// A merchant.
#[derive(Debug, Serialize, ToSchema)]
pub struct MerchantView {
    /// Permanent slug.
    pub slug: String,
    /// Public page (HTML for browsers, the ActivityPub actor for servers).
    pub url: String,
    /// ActivityPub id (the same URL).
    pub ap_id: String,
    /// Shop name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Taxonomy code.
    pub category: Option<String>,
    /// Postal address.
    pub address: Address,
    /// Coordinates.
    pub geo: Option<Geo>,
    /// Telephone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// schema.org opening hours.
    pub opening_hours: Vec<String>,
    /// SIRET.
    pub siret: Option<String>,
    /// Consent to aggregators and search engines.
    pub indexable: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Click & collect settings (in the answers about one shop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservations: Option<crate::model::reservation::ReservationSettings>,
}

impl MerchantView {
    /// Converts a stored merchant.
    pub fn new(m: Merchant, urls: &Urls) -> MerchantView {
        let f = m.fields;
        MerchantView {
            url: urls.merchant(&m.slug).to_string(),
            ap_id: m.ap_id,
            slug: m.slug,
            name: f.name,
            description: f.description,
            category: f.category,
            address: f.address,
            geo: f.geo,
            phone: f.phone,
            email: f.email,
            website: f.website,
            opening_hours: f.opening_hours,
            siret: f.siret,
            indexable: f.indexable,
            created_at: m.created_at,
            updated_at: m.updated_at,
            reservations: None,
        }
    }
}

/// A stored copy of a photo.
#[derive(Debug, Serialize, ToSchema)]
pub struct VariantView {
    /// `full` (≤ 2048 px), `large` (≤ 1200 px) or `small` (≤ 400 px).
    pub name: String,
    /// Absolute URL.
    pub url: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// A product photo.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImageView {
    /// Photo id.
    pub id: String,
    /// 0-based display order.
    pub position: i64,
    /// Alternative text.
    pub alt: Option<String>,
    /// URL of the full copy.
    pub url: String,
    /// MIME type.
    pub media_type: String,
    /// Width of the full copy, upright.
    pub width: i64,
    /// Height of the full copy, upright.
    pub height: i64,
    /// Blurhash placeholder.
    pub blurhash: String,
    /// Every stored copy.
    pub variants: Vec<VariantView>,
}

impl ImageView {
    /// Converts a stored photo.
    pub fn new(i: Image, urls: &Urls) -> ImageView {
        ImageView {
            id: i.id.to_string(),
            position: i.position,
            url: urls.media(&i.variant("full").path).to_string(),
            variants: i
                .variants
                .iter()
                .map(|v| VariantView {
                    name: v.name.clone(),
                    url: urls.media(&v.path).to_string(),
                    width: v.width,
                    height: v.height,
                })
                .collect(),
            alt: i.alt,
            media_type: i.media_type,
            width: i.width,
            height: i.height,
            blurhash: i.blurhash,
        }
    }
}

/// A product.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    /// UUIDv7.
    pub id: String,
    /// Public page (HTML for browsers, the ActivityPub object for servers).
    pub url: String,
    /// ActivityPub id (the same URL).
    pub ap_id: String,
    /// Slug of the shop (`user@host` for a shop mirrored from another node).
    pub merchant: String,
    /// `local`, or `remote` for a product mirrored from a followed node (read-only).
    pub origin: String,
    /// Product name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Decimal string with exactly the currency's decimals, e.g. `"3.20"`.
    #[schema(example = "3.20")]
    pub price: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Sale unit.
    pub unit: String,
    /// `in_stock`, `out_of_stock` or `preorder`.
    pub availability: String,
    /// Units on hand, when tracked.
    pub stock: Option<i64>,
    /// GTIN.
    pub gtin: Option<String>,
    /// Taxonomy code.
    pub category: Option<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// The shop's own reference.
    pub sku: Option<String>,
    /// Photos in display order.
    pub images: Vec<ImageView>,
    /// Version, also the ETag.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A mirrored product's page as its node gave it, if on that node's own origin (a followed node
/// cannot send readers elsewhere).
pub fn own_page(p: &Product) -> Option<&str> {
    let same_origin = |a: &str, b: &str| match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    };
    p.url.as_deref().filter(|u| same_origin(u, &p.ap_id))
}

/// A product's page: here for a local product; for a mirrored one [`own_page`], else its id.
fn page_url(p: &Product, urls: &Urls) -> String {
    if p.local {
        return p
            .url
            .clone()
            .unwrap_or_else(|| urls.product(&p.id).to_string());
    }
    own_page(p).unwrap_or(&p.ap_id).to_string()
}

impl ProductView {
    /// Converts a stored product.
    pub fn new(p: Product, urls: &Urls) -> ProductView {
        let url = page_url(&p, urls);
        let f = p.fields;
        ProductView {
            id: p.id.to_string(),
            url,
            origin: if p.local { "local" } else { "remote" }.into(),
            ap_id: p.ap_id,
            merchant: p.merchant_slug,
            name: f.name,
            description: f.description,
            price: f.price.amount_string(),
            currency: f.price.currency.code().to_string(),
            unit: f.unit.as_str().to_string(),
            availability: f.availability.as_str().to_string(),
            stock: f.stock,
            gtin: f.gtin,
            category: f.category,
            tags: f.tags,
            sku: f.sku,
            images: p
                .images
                .into_iter()
                .map(|i| ImageView::new(i, urls))
                .collect(),
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// One page of merchants.
#[derive(Debug, Serialize, ToSchema)]
pub struct MerchantPage {
    /// Merchants in slug order.
    pub items: Vec<MerchantView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// One page of products.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPage {
    /// Products, newest first.
    pub items: Vec<ProductView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A category of the taxonomy.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    /// Stable code.
    pub code: &'static str,
    /// Parent family, for second-level categories.
    pub parent: Option<&'static str>,
    /// French label.
    pub label_fr: &'static str,
    /// English label.
    pub label_en: &'static str,
    /// Hashtag used on the fediverse.
    pub hashtag: &'static str,
}

/// The category taxonomy.
#[derive(Debug, Serialize, ToSchema)]
pub struct Taxonomy {
    /// Taxonomy version.
    pub version: &'static str,
    /// Every category, families first.
    pub categories: Vec<CategoryView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirrored_products_page_stays_on_its_own_node() {
        let urls = Urls::new(&url::Url::parse("https://here.example").unwrap());
        let mut p = Product {
            id: uuid::Uuid::now_v7(),
            merchant_id: uuid::Uuid::now_v7(),
            merchant_slug: "s@there.example".into(),
            local: false,
            url: Some("https://evil.example/phish".into()),
            ap_id: "https://there.example/products/1".into(),
            fields: crate::model::product::ProductFields {
                name: "Miel".into(),
                description: None,
                price: etal_protocol::Money::parse("1.00", etal_protocol::Currency::EUR).unwrap(),
                unit: etal_protocol::Unit::Piece,
                availability: etal_protocol::Availability::InStock,
                stock: None,
                gtin: None,
                sku: None,
                category: None,
                tags: vec![],
            },
            images: vec![],
            version: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            announced_at: None,
            deleted_at: None,
        };
        assert_eq!(
            ProductView::new(p.clone(), &urls).url,
            "https://there.example/products/1"
        );
        p.url = Some("https://there.example/p/miel".into());
        assert_eq!(
            ProductView::new(p, &urls).url,
            "https://there.example/p/miel"
        );
    }
}
