//! The node's shops and products as its open data publishes them: rows of `merchants.csv`
//! and `products.csv`, records of `products.ndjson` and of the change feed
//! (`etal_protocol::open_data`). Served by `http::open_data` and `http::dumps`.

use crate::model::image::Image;
use crate::model::merchant::Merchant;
use crate::model::product::Product;
use crate::urls::Urls;
use etal_protocol::open_data::{MerchantRecord, ProductRecord};

/// `YYYY-MM-DDTHH:MM:SSZ` (what Table Schema readers take for a datetime).
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The columns of `merchants.csv`.
pub const MERCHANT_COLUMNS: [&str; 16] = [
    "id",
    "slug",
    "name",
    "category",
    "street",
    "postal_code",
    "city",
    "insee_code",
    "lat",
    "lon",
    "phone",
    "email",
    "website",
    "siret",
    "opening_hours",
    "updated_at",
];

/// A shop as a row of `merchants.csv`.
pub fn merchant_row(urls: &Urls, m: &Merchant) -> [String; 16] {
    let f = &m.fields;
    [
        urls.merchant(&m.slug).to_string(),
        m.slug.clone(),
        f.name.clone(),
        f.category.clone().unwrap_or_default(),
        f.address.street.clone().unwrap_or_default(),
        f.address.postal_code.clone(),
        f.address.city.clone(),
        f.address.insee_code.clone().unwrap_or_default(),
        f.geo.map(|g| g.lat.to_string()).unwrap_or_default(),
        f.geo.map(|g| g.lon.to_string()).unwrap_or_default(),
        f.phone.clone().unwrap_or_default(),
        f.email.clone().unwrap_or_default(),
        f.website.clone().unwrap_or_default(),
        f.siret.clone().unwrap_or_default(),
        f.opening_hours.join("; "),
        stamp(m.updated_at),
    ]
}

/// The columns of `products.csv`.
pub const PRODUCT_COLUMNS: [&str; 14] = [
    "id",
    "merchant",
    "name",
    "description",
    "category",
    "price",
    "currency",
    "unit",
    "availability",
    "stock",
    "gtin",
    "tags",
    "image",
    "updated_at",
];

/// A product's photos as the open data links them: the same `full` copy its Note attaches,
/// so that a consumer can match them by URL.
fn image_urls(urls: &Urls, images: Option<&Vec<Image>>) -> Vec<String> {
    images
        .map(|list| {
            list.iter()
                .map(|i| urls.media(&i.variant("full").path).to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A product as a row of `products.csv` (its first photo).
pub fn product_row(urls: &Urls, p: &Product, images: Option<&Vec<Image>>) -> [String; 14] {
    let f = &p.fields;
    [
        urls.product(&p.id).to_string(),
        urls.merchant(&p.merchant_slug).to_string(),
        f.name.clone(),
        f.description.clone().unwrap_or_default(),
        f.category.clone().unwrap_or_default(),
        f.price.amount_string(),
        f.price.currency.code().to_string(),
        f.unit.as_str().to_string(),
        f.availability.as_str().to_string(),
        f.stock.map(|s| s.to_string()).unwrap_or_default(),
        f.gtin.clone().unwrap_or_default(),
        f.tags.join("|"),
        image_urls(urls, images)
            .into_iter()
            .next()
            .unwrap_or_default(),
        stamp(p.updated_at),
    ]
}

/// A product as `products.ndjson` and the change feed give it.
pub fn product_record(urls: &Urls, p: &Product, images: Option<&Vec<Image>>) -> ProductRecord {
    let f = &p.fields;
    ProductRecord {
        id: urls.product(&p.id).to_string(),
        merchant: urls.merchant(&p.merchant_slug).to_string(),
        name: f.name.clone(),
        description: f.description.clone(),
        category: f.category.clone(),
        price: f.price.amount_string(),
        currency: f.price.currency.code().to_string(),
        unit: f.unit.as_str().to_string(),
        availability: f.availability.as_str().to_string(),
        stock: f.stock,
        gtin: f.gtin.clone(),
        tags: f.tags.clone(),
        images: image_urls(urls, images),
        updated_at: stamp(p.updated_at),
    }
}

/// A shop as the change feed gives it (the fields of `merchants.csv`, with its description,
/// its opening hours as a list).
pub fn merchant_record(urls: &Urls, m: &Merchant) -> MerchantRecord {
    let f = &m.fields;
    MerchantRecord {
        id: urls.merchant(&m.slug).to_string(),
        slug: m.slug.clone(),
        name: f.name.clone(),
        description: f.description.clone(),
        category: f.category.clone(),
        street: f.address.street.clone(),
        postal_code: f.address.postal_code.clone(),
        city: f.address.city.clone(),
        insee_code: f.address.insee_code.clone(),
        lat: f.geo.map(|g| g.lat),
        lon: f.geo.map(|g| g.lon),
        phone: f.phone.clone(),
        email: f.email.clone(),
        website: f.website.clone(),
        siret: f.siret.clone(),
        opening_hours: f.opening_hours.clone(),
        updated_at: stamp(m.updated_at),
    }
}
