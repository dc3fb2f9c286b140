//! Paged collections: outbox, followers, featured.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::activity::ObjectRef;

/// An `OrderedCollection` (its items are in pages, linked from `first`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollection {
    /// JSON-LD context.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub context: Value,
    /// The collection's id.
    pub id: Url,
    /// `OrderedCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Number of items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_items: Option<u64>,
    /// First page (an id, or the page itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<Value>,
    /// Items, for small collections served whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_items: Option<Vec<ObjectRef>>,
}

/// A page of an ordered collection, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollectionPage {
    /// JSON-LD context.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub context: Value,
    /// The page's id.
    pub id: Url,
    /// `OrderedCollectionPage`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<Url>,
    /// Items on this page.
    #[serde(default)]
    pub ordered_items: Vec<ObjectRef>,
    /// The following (older) page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Url>,
}
