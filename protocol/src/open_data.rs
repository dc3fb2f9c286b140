//! The open data's change feed (`/open-data/changes`), as a harvester reads it: pages of
//! changes, each a product or a shop in its current state (`upsert`) or a tombstone
//! (`delete`). The fields are those of `products.ndjson` and `merchants.csv`; their JSON
//! Schema is `schemas/open-data/changes.schema.json`.

use std::marker::PhantomData;

use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// Most changes a page holds (one more than the feed gives, so that a harvester sees a page
/// that holds too many).
pub const MAX_ITEMS: usize = 5001;

/// Reads a list keeping its first `N` elements and skipping the rest without storing them, so
/// that a hostile document cannot turn a few bytes an element into many.
fn capped<'de, D: Deserializer<'de>, T: Deserialize<'de>, const N: usize>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    struct Capped<T, const N: usize>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for Capped<T, N> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "a list")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while out.len() < N {
                match seq.next_element()? {
                    Some(x) => out.push(x),
                    None => return Ok(out),
                }
            }
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(out)
        }
    }
    d.deserialize_seq(Capped::<T, N>(PhantomData))
}

fn items<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Change>, D::Error> {
    capped::<D, Change, MAX_ITEMS>(d)
}

fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    capped::<D, String, 64>(d)
}

/// One page of the feed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangePage {
    /// The changes, oldest first (read: at most [`MAX_ITEMS`]).
    #[serde(deserialize_with = "items")]
    pub items: Vec<Change>,
    /// The cursor to ask with next (the same one when the page is empty: up to date).
    pub next_cursor: String,
    /// The next page's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The data's licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
}

/// What a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeType {
    /// A product.
    Product,
    /// A shop.
    Merchant,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeAction {
    /// Created or changed: `data` is its current state.
    Upsert,
    /// Deleted, or its shop no longer consents to open data.
    Delete,
}

/// One change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    /// Where this change sits in the feed.
    pub cursor: String,
    /// Product or shop.
    #[serde(rename = "type")]
    pub kind: ChangeType,
    /// Upsert or delete.
    pub action: ChangeAction,
    /// The object's id (its ActivityPub id and page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its state, for an upsert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Record>,
}

/// A product or a shop as the feed gives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Record {
    /// A product (it has a price).
    Product(ProductRecord),
    /// A shop.
    Merchant(MerchantRecord),
}

/// A product, as `products.ndjson` gives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductRecord {
    /// Its id (ActivityPub id and page).
    pub id: String,
    /// Its shop's id.
    pub merchant: String,
    /// Name.
    pub name: String,
    /// Description (plain text).
    #[serde(default)]
    pub description: Option<String>,
    /// Category (taxonomy key).
    #[serde(default)]
    pub category: Option<String>,
    /// Price, a decimal with a point (`"4.50"`).
    pub price: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Unit of sale.
    pub unit: String,
    /// Availability.
    pub availability: String,
    /// Stock, when counted.
    #[serde(default)]
    pub stock: Option<i64>,
    /// GTIN.
    #[serde(default)]
    pub gtin: Option<String>,
    /// Tags (read: at most 64).
    #[serde(default, deserialize_with = "strings")]
    pub tags: Vec<String>,
    /// Photos' URLs, in order (read: at most 64).
    #[serde(default, deserialize_with = "strings")]
    pub images: Vec<String>,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// A shop, as `merchants.csv` gives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MerchantRecord {
    /// Its id (ActivityPub actor and page).
    pub id: String,
    /// Its short name on its node.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Description (plain text).
    #[serde(default)]
    pub description: Option<String>,
    /// Category (taxonomy key).
    #[serde(default)]
    pub category: Option<String>,
    /// Street address.
    #[serde(default)]
    pub street: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: String,
    /// Town.
    #[serde(default)]
    pub city: String,
    /// INSEE code of the commune.
    #[serde(default)]
    pub insee_code: Option<String>,
    /// Latitude.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude.
    #[serde(default)]
    pub lon: Option<f64>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Web site.
    #[serde(default)]
    pub website: Option<String>,
    /// SIRET.
    #[serde(default)]
    pub siret: Option<String>,
    /// Opening hours (schema.org `openingHours` values; read: at most 64).
    #[serde(default, deserialize_with = "strings")]
    pub opening_hours: Vec<String>,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_read_only_up_to_their_caps() {
        let tags = vec!["\"\""; 100_000].join(",");
        let product = format!(
            r#"{{"id":"https://a.example/products/1","merchant":"https://a.example/shops/s","name":"x",
                "price":"1.00","currency":"EUR","unit":"piece","availability":"in_stock",
                "tags":[{tags}],"images":[],"updated_at":"2026-11-30T10:00:00Z"}}"#
        );
        let items = vec![
            format!(r#"{{"cursor":"1.a","type":"product","action":"upsert","id":"https://a.example/products/1","data":{product}}}"#);
            2
        ]
        .join(",");
        let page: ChangePage =
            serde_json::from_str(&format!(r#"{{"items":[{items}],"next_cursor":"1.a"}}"#)).unwrap();
        let Some(Record::Product(p)) = &page.items[0].data else {
            panic!("a product");
        };
        assert_eq!(p.tags.len(), 64);
        let many = vec![r#"{"cursor":"1.a","type":"product","action":"delete"}"#; 6000].join(",");
        let page: ChangePage =
            serde_json::from_str(&format!(r#"{{"items":[{many}],"next_cursor":"1.a"}}"#)).unwrap();
        assert_eq!(
            page.items.len(),
            MAX_ITEMS,
            "one more than a feed gives, no more"
        );
    }
}
