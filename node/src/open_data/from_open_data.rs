//! From open data: a page of another node's change feed (`etal_protocol::open_data`) read into
//! the node's own terms, a `domain::mirror::Batch` for the mirror to check and store, as
//! `federation::from_ap` reads ActivityPub activities. The other direction is `to_open_data`.

use std::collections::HashSet;

use url::Url;

use crate::domain::mirror::{Batch, MirroredMerchant, MirroredProduct};
use crate::federation::from_ap;
use crate::model::merchant::{Address, Geo, MerchantFields};
use crate::model::product::ProductFields;
use etal_protocol::ap;
use etal_protocol::open_data::{
    Change, ChangeAction, ChangeType, MerchantRecord, ProductRecord, Record,
};
use etal_protocol::{Availability, Currency, Money, Unit};

/// Reads a page's changes into a batch for `domain::mirror`; changes it cannot read are left
/// out (and logged).
pub fn batch(origin: &str, items: Vec<Change>) -> Batch {
    let mut batch = Batch::default();
    // An object twice in a page (a feed gives each once): its last change counts.
    let mut seen = HashSet::new();
    let mut latest: Vec<Change> = items
        .into_iter()
        .rev()
        .filter(|c| {
            let key =
                c.id.clone()
                    .or_else(|| match &c.data {
                        Some(Record::Product(p)) => Some(p.id.clone()),
                        Some(Record::Merchant(m)) => Some(m.id.clone()),
                        None => None,
                    })
                    .unwrap_or_else(|| c.cursor.clone());
            seen.insert(key)
        })
        .collect();
    latest.reverse();
    for c in latest {
        match (c.kind, c.action, c.data) {
            (ChangeType::Product, ChangeAction::Upsert, Some(Record::Product(p))) => {
                let shop = p.merchant.clone();
                match product(origin, p) {
                    Ok(p) => batch.products.push((shop, p)),
                    Err(e) => {
                        tracing::info!(cursor = %c.cursor, error = e, "a harvested product is unreadable")
                    }
                }
            }
            (ChangeType::Merchant, ChangeAction::Upsert, Some(Record::Merchant(m))) => {
                match merchant(origin, m) {
                    Some(m) => batch.merchants.push(m),
                    None => tracing::info!(cursor = %c.cursor, "a harvested shop has a bad slug"),
                }
            }
            (ChangeType::Product, ChangeAction::Delete, _) => {
                batch.deleted_products.extend(c.id);
            }
            (ChangeType::Merchant, ChangeAction::Delete, _) => {
                batch.deleted_merchants.extend(c.id);
            }
            _ => tracing::info!(cursor = %c.cursor, "a change without the data it announces"),
        }
    }
    batch
}

fn time(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

fn product(origin: &str, p: ProductRecord) -> Result<MirroredProduct, &'static str> {
    let currency = Currency::from_code(&p.currency).ok_or("unknown currency")?;
    let price = Money::parse(&p.price, currency).map_err(|_| "bad price")?;
    let updated_at = time(&p.updated_at).ok_or("bad updated_at")?;
    let unit = Unit::parse(&p.unit).ok_or("unknown unit")?;
    let availability = Availability::parse(&p.availability).ok_or("unknown availability")?;
    // Photos from the node itself only (no third party on the aggregator's pages).
    let images = p
        .images
        .iter()
        .filter(|u| u.len() <= 2000)
        .filter(|u| Url::parse(u).is_ok_and(|x| ap::origin(&x) == origin))
        .take(4)
        .map(|u| from_ap::linked_image(u.clone(), 0, 0, None, updated_at))
        .collect();
    Ok(MirroredProduct {
        url: Some(p.id.clone()),
        ap_id: p.id,
        fields: ProductFields {
            name: p.name,
            description: p.description,
            price,
            unit,
            availability,
            stock: p.stock.filter(|n| *n >= 0),
            gtin: p.gtin,
            sku: None,
            category: p
                .category
                .filter(|c| etal_protocol::taxonomy::find(c).is_some()),
            tags: p.tags,
        },
        images,
        created_at: updated_at,
        updated_at,
    })
}

fn merchant(origin: &str, m: MerchantRecord) -> Option<MirroredMerchant> {
    let slug_ok = !m.slug.is_empty()
        && m.slug.len() <= 64
        && m.slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_ok {
        return None;
    }
    let host = Url::parse(origin)
        .ok()
        .map(|u| match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => String::new(),
        })
        .unwrap_or_default();
    Some(MirroredMerchant {
        handle: Some(format!("{}@{host}", m.slug)),
        origin: origin.to_string(),
        ap_id: m.id,
        fields: MerchantFields {
            name: m.name,
            description: m.description,
            category: m.category,
            address: Address {
                street: m.street,
                postal_code: m.postal_code,
                city: m.city,
                insee_code: m.insee_code,
            },
            geo: m.lat.zip(m.lon).map(|(lat, lon)| Geo { lat, lon }),
            phone: m.phone,
            email: m.email,
            website: m.website,
            opening_hours: m.opening_hours,
            siret: m.siret,
            // Only shops that consent are in a node's open data.
            indexable: true,
        },
    })
}
