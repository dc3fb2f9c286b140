//! A product photo and its stored copies.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::media::Variant;

/// A stored photo.
#[derive(Debug, Clone)]
pub struct Image {
    /// UUIDv7.
    pub id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// 0-based display order.
    pub position: i64,
    /// Alternative text.
    pub alt: Option<String>,
    /// Width of the full copy.
    pub width: i64,
    /// Height of the full copy.
    pub height: i64,
    /// Blurhash.
    pub blurhash: String,
    /// MIME type of every copy.
    pub media_type: String,
    /// Stored copies.
    pub variants: Vec<Variant>,
    /// Upload time.
    pub created_at: DateTime<Utc>,
}

impl Image {
    /// The copy named `name`, else the largest.
    pub fn variant(&self, name: &str) -> &Variant {
        self.variants
            .iter()
            .find(|v| v.name == name)
            .unwrap_or(&self.variants[0])
    }
}
