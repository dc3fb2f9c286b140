//! From ActivityPub: what followed nodes publish (shop actors, product notes, the activities
//! carrying them) read into the node's own terms, a `domain::mirror::Batch` for the mirror to
//! check and store (`open_data::from_open_data` reads change feeds into the same batches). The other direction is `to_ap`.

use serde_json::Value;
use url::Url;
use uuid::Uuid;

use crate::domain::mirror::{Batch, MirroredMerchant, MirroredProduct};
use crate::media::Variant;
use crate::model::image::Image;
use crate::model::merchant::{Address, Geo, MerchantFields};
use crate::model::product::ProductFields;
use etal_protocol::ap::{self, Activity, ActivityType, Actor, Note, Object};
use etal_protocol::{Availability, Currency, Money, Unit};

/// A remote shop actor as a mirrored merchant (checked by `domain::mirror`).
pub fn merchant(a: &Actor) -> MirroredMerchant {
    let host = a.id.host_str().unwrap_or_default();
    let host = match a.id.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let address = a
        .address
        .clone()
        .or_else(|| a.location.as_ref().and_then(|l| l.address.clone()));
    let geo = a
        .location
        .as_ref()
        .and_then(|l| match (l.latitude, l.longitude) {
            (Some(lat), Some(lon)) => Some(Geo { lat, lon }),
            _ => None,
        });
    let text = |s: &Option<String>| s.as_deref().map(super::sanitize::text);
    MirroredMerchant {
        ap_id: a.id.to_string(),
        handle: a.preferred_username.as_ref().map(|u| format!("{u}@{host}")),
        origin: ap::origin(&a.id),
        fields: MerchantFields {
            name: a
                .name
                .clone()
                .or(a.preferred_username.clone())
                .unwrap_or_else(|| a.id.to_string()),
            description: text(&a.summary),
            category: a.category.clone(),
            address: Address {
                street: address.as_ref().and_then(|x| x.street_address.clone()),
                postal_code: address
                    .as_ref()
                    .map(|x| x.postal_code.clone())
                    .unwrap_or_default(),
                city: address
                    .as_ref()
                    .map(|x| x.address_locality.clone())
                    .unwrap_or_default(),
                insee_code: address.as_ref().and_then(|x| x.insee_code.clone()),
            },
            geo,
            phone: a.telephone.clone(),
            email: a.email.clone(),
            // Published only as a profile field's link, not read back.
            website: None,
            opening_hours: a.opening_hours.clone(),
            siret: a.siret.clone(),
            indexable: a.indexable.unwrap_or(false),
        },
    }
}

fn unit_from(note: &Note) -> Unit {
    let by_code = note
        .unit_code
        .as_deref()
        .and_then(|c| Unit::ALL.into_iter().find(|u| u.unece_code() == c));
    by_code.unwrap_or(Unit::Piece)
}

/// Reads a product out of a remote Note; `None` when it has no price (not a product).
fn product_fields(note: &Note) -> Option<ProductFields> {
    let currency = note
        .price_currency
        .as_deref()
        .and_then(Currency::from_code)
        .unwrap_or(Currency::EUR);
    let amount = note.price.clone().or_else(|| {
        note.reciprocal
            .as_ref()
            .and_then(|r| r.resource_quantity.has_numerical_value.clone())
    })?;
    let price = Money::parse(&amount, currency).ok()?;
    let availability = note
        .availability
        .as_ref()
        .and_then(|a| {
            Availability::ALL
                .into_iter()
                .find(|x| x.schema_org() == a.as_str())
        })
        .unwrap_or(Availability::InStock);
    let stock = note
        .publishes
        .as_ref()
        .and_then(|p| p.available_quantity.as_ref())
        .and_then(|q| q.has_numerical_value.as_deref())
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0);
    let tags = note
        .tag
        .iter()
        .filter(|t| t.kind == "Hashtag")
        .filter_map(|t| {
            t.name
                .as_deref()
                .map(|n| n.trim_start_matches('#').to_string())
        })
        .collect();
    let name = note
        .publishes
        .as_ref()
        .and_then(|i| i.name.clone())
        .or_else(|| note.name.clone())
        .or_else(|| {
            note.content
                .as_deref()
                .map(|c| super::sanitize::text(c).chars().take(120).collect())
        })?;
    Some(ProductFields {
        name,
        description: note.description.clone(),
        price,
        unit: unit_from(note),
        availability,
        stock,
        gtin: note.gtin.clone(),
        sku: None,
        category: note
            .category
            .clone()
            .filter(|c| etal_protocol::taxonomy::find(c).is_some()),
        tags,
    })
}

/// A photo kept as a link to another node's file (one "full" copy), for `domain::mirror` to
/// number and attach.
pub fn linked_image(
    url: String,
    width: u32,
    height: u32,
    media_type: Option<String>,
    now: i64,
) -> Image {
    Image {
        id: Uuid::now_v7(),
        product_id: Uuid::nil(),
        position: 0,
        alt: None,
        width: i64::from(width),
        height: i64::from(height),
        blurhash: String::new(),
        media_type: media_type.unwrap_or_else(|| "image/jpeg".into()),
        variants: vec![Variant {
            name: "full".into(),
            path: url,
            width,
            height,
        }],
        created_at: crate::clock::time(now),
    }
}

/// A remote product Note as a mirrored product (checked by `domain::mirror`); `None` when it
/// has no price (not a product).
pub fn product(note: &Note, now: i64) -> Option<MirroredProduct> {
    let fields = product_fields(note)?;
    let created_at = note.published.map_or(now, |p| p.timestamp_millis());
    let images = note
        .attachment
        .iter()
        .filter(|a| a.kind == "Image" || a.kind == "Document")
        .take(4)
        .map(|att| {
            let mut image = linked_image(
                att.url.to_string(),
                att.width.unwrap_or(0),
                att.height.unwrap_or(0),
                att.media_type.clone(),
                now,
            );
            image.alt = att.alt().map(str::to_string);
            image.blurhash = att.blurhash.clone().unwrap_or_default();
            image
        })
        .collect();
    Some(MirroredProduct {
        ap_id: note.id.to_string(),
        url: note
            .url
            .as_ref()
            .and_then(Value::as_str)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(str::to_string),
        fields,
        images,
        created_at,
        updated_at: note.updated.map_or(created_at, |u| u.timestamp_millis()),
    })
}

/// Why the object an activity carries (or any activity an Announce relays) is not its actor's
/// to speak for: it is not on the actor's server. `None` when it is.
pub fn foreign_object(a: &Activity, actor_origin: &str) -> Option<String> {
    let foreign = |what: &str, u: &Url| {
        Some(format!(
            "the {what} {u} is not on its actor's server ({actor_origin})"
        ))
    };
    match (&a.kind, a.object.object()) {
        (ActivityType::Create | ActivityType::Update, Some(o)) => {
            if let Some(id) = o.id() {
                if ap::origin(id) != actor_origin {
                    return foreign("object", id);
                }
            }
            match o {
                Object::Note(n) => match &n.attributed_to {
                    Some(by) if ap::origin(by) != actor_origin => foreign("author", by),
                    _ => None,
                },
                _ => None,
            }
        }
        (ActivityType::Delete, _) => match a.object.id() {
            Some(id) if ap::origin(id) != actor_origin => foreign("object", id),
            _ => None,
        },
        (ActivityType::Undo, Some(Object::Activity(inner))) if inner.actor != a.actor => {
            Some("an actor may only undo its own activities".into())
        }
        (ActivityType::Announce, Some(Object::Activity(inner))) => {
            // A node relays what its own merchants did.
            if ap::origin(&inner.actor) != actor_origin || ap::origin(&inner.id) != actor_origin {
                return foreign("announced activity", &inner.id);
            }
            foreign_object(inner, actor_origin)
        }
        _ => None,
    }
}

/// The shop actors an activity of a followed node needs described before it can be
/// mirrored: the author of a product note (the actor a shop's own document describes itself).
pub fn shop_to_describe(a: &Activity) -> Option<&Url> {
    match (&a.kind, a.object.object()) {
        (ActivityType::Create | ActivityType::Update, Some(Object::Note(_))) => Some(&a.actor),
        _ => None,
    }
}

/// What a followed node's activity (the one its node actor announces) changes in the mirror:
/// a batch of one. `shops`: the documents of the shops it names, by id (a product note's
/// author; a shop's own Create or Update carries it). `None` for anything else.
pub fn batch(
    a: &Activity,
    shops: &std::collections::HashMap<String, Actor>,
    now: i64,
) -> Option<Batch> {
    let mut b = Batch::default();
    match (&a.kind, a.object.object()) {
        (ActivityType::Create | ActivityType::Update, Some(Object::Note(note))) => {
            let shop = merchant(shops.get(a.actor.as_str())?);
            if let Some(p) = product(note, now) {
                b.products.push((shop.ap_id.clone(), p));
            }
            b.merchants.push(shop);
        }
        (ActivityType::Create | ActivityType::Update, Some(Object::Actor(actor))) => {
            b.merchants.push(merchant(actor));
        }
        (ActivityType::Delete, _) => {
            let target = a.object.id()?;
            if *target == a.actor {
                b.deleted_merchants.push(target.to_string());
            } else {
                b.deleted_products.push(target.to_string());
            }
        }
        _ => return None,
    }
    Some(b)
}
