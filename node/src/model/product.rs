//! A product: what a shop sells, and how lists of products are asked for.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::image::Image;
pub use super::search::Origin;
use etal_protocol::{Availability, Money, Unit};

/// What a merchant edits on a product.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFields {
    /// Product name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Price per unit.
    pub price: Money,
    /// What the price buys.
    pub unit: Unit,
    /// Whether it can be had.
    pub availability: Availability,
    /// Units on hand, when tracked.
    pub stock: Option<i64>,
    /// GS1 GTIN.
    pub gtin: Option<String>,
    /// Taxonomy code.
    pub category: Option<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// The shop's own reference (stock-keeping unit), unique among its live products;
    /// spreadsheet imports match rows by it. Not published to the fediverse.
    pub sku: Option<String>,
}

/// A stored product.
#[derive(Debug, Clone)]
pub struct Product {
    /// UUIDv7: `/products/{id}`.
    pub id: Uuid,
    /// Owner.
    pub merchant_id: Uuid,
    /// Owner's slug (`user@host` for a mirrored shop).
    pub merchant_slug: String,
    /// Published here, or mirrored from a followed node.
    pub local: bool,
    /// The HTML page of a mirrored product.
    pub url: Option<String>,
    /// ActivityPub id.
    pub ap_id: String,
    /// Editable fields.
    pub fields: ProductFields,
    /// Photos in display order.
    pub images: Vec<Image>,
    /// Incremented by each change: the ETag.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The last change its `Create` carried to the fediverse (`None` until it went out): only
    /// a change after it makes the Note say `updated`.
    pub announced_at: Option<DateTime<Utc>>,
    /// Set once deleted.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl ProductFields {
    /// The words besides name and description that a search finds the product by: its tags
    /// and its category's labels.
    pub fn search_keywords(&self) -> String {
        search_keywords(&self.tags, self.category.as_deref())
    }

    /// The tags folded for matching (see [`tag_key`]), one a line, each between newlines.
    pub fn tag_keys(&self) -> String {
        tag_keys(&self.tags)
    }
}

/// Filters of the public product list.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    /// Words that must all appear, through the full-text index (see `model::search`).
    pub q: Option<String>,
    /// A category code; a family includes its kinds.
    pub category: Option<String>,
    /// A merchant slug.
    pub merchant: Option<String>,
    /// An availability.
    pub availability: Option<Availability>,
    /// A hashtag: one of the product's tags, or its category's hashtag.
    pub tag: Option<String>,
    /// Only products with an id below this one (the cursor).
    pub before: Option<Uuid>,
    /// Page size.
    pub limit: i64,
    /// Local, mirrored, or both.
    pub origin: Origin,
}

/// Tags and category labels, as indexed for search.
pub fn search_keywords(tags: &[String], category: Option<&str>) -> String {
    let mut out = tags.join(" ");
    out.push(' ');
    out.push_str(&super::search::category_words(category));
    out
}

/// A tag as searches compare it: without `#`, in lower case in every script, without the
/// accents of Latin, Greek and Cyrillic letters (`Été`, `ÉTÉ` and `ete` are one tag), other
/// scripts kept as they are (`パン` is not `pan`), control characters as spaces.
pub fn tag_key(tag: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    tag.trim()
        .trim_start_matches('#')
        .nfd()
        // Combining diacritical marks (U+0300–U+036F): the accents of European alphabets.
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .nfc()
        .collect::<String>()
        .to_lowercase()
        .trim()
        .to_string()
}

/// The stored form of a product's tag keys: `"\nkey1\nkey2\n"`.
pub fn tag_keys(tags: &[String]) -> String {
    let mut out = String::from("\n");
    for t in tags {
        out.push_str(&tag_key(t));
        out.push('\n');
    }
    out
}
