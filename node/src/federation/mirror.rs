//! The mirror of followed nodes: their merchants and products, received as the node actor's
//! `Announce` of each Create/Update/Delete, or backfilled from its outbox after a follow is
//! accepted. Mirrored rows are read-only copies (`local = 0`) that keep their remote ids.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use url::Url;
use uuid::Uuid;

use super::inbox::verify::check_object_origin;
use super::inbox::verify::Refusal;
use super::inbox::{InboxError, Verified};
use super::verify_doc;
use crate::db::{remote, Tx};
use crate::domain;
use crate::domain::mirror::{MirroredMerchant, MirroredProduct};
use crate::error::Error as DomainError;
use crate::media::Variant;
use crate::model::image::Image;
use crate::model::merchant::{Address, Geo, MerchantFields};
use crate::model::product::ProductFields;
use crate::Node;
use etal_protocol::ap::{self, Activity, ActivityType, Actor, Note, Object};
use etal_protocol::{Availability, Currency, Money, Unit};

/// Actor documents fetched before the transaction, by actor id.
#[derive(Debug, Default)]
pub struct Prepared {
    merchants: HashMap<String, Actor>,
}

fn announced(v: &Verified) -> Option<&Activity> {
    match (&v.activity.kind, v.activity.object.object()) {
        (ActivityType::Announce, Some(Object::Activity(inner))) => Some(inner),
        _ => None,
    }
}

async fn merchant_doc(node: &Node, id: &Url) -> Result<Actor, InboxError> {
    if let Some(stored) = remote::actor(node.db.pool(), id.as_str()).await? {
        if node.clock.now_ms() - stored.fetched_at < 3_600_000 {
            if let Ok(a) = serde_json::from_str::<Actor>(&stored.document) {
                return Ok(a);
            }
        }
    }
    let doc = node.fed.fetcher.get(id).await.map_err(|e| {
        InboxError::new(
            Refusal::Upstream,
            format!("cannot fetch the merchant {id}: {e}"),
        )
    })?;
    verify_doc::<Actor>(&doc).map_err(|e| InboxError::new(Refusal::Malformed, e))
}

/// Fetches what mirroring an announced activity needs (the merchant's actor document).
pub async fn prepare(node: &Node, v: &Verified) -> Result<Prepared, InboxError> {
    let mut out = Prepared::default();
    if let Some(inner) = announced(v) {
        if is_followed(node, &v.activity.actor).await? {
            prepare_inner(node, inner, &mut out).await?;
        }
    }
    Ok(out)
}

async fn prepare_inner(
    node: &Node,
    inner: &Activity,
    out: &mut Prepared,
) -> Result<(), InboxError> {
    match (&inner.kind, inner.object.object()) {
        (ActivityType::Create | ActivityType::Update, Some(Object::Note(_)))
            if !out.merchants.contains_key(inner.actor.as_str()) =>
        {
            let doc = merchant_doc(node, &inner.actor).await?;
            out.merchants.insert(inner.actor.to_string(), doc);
        }
        (ActivityType::Create | ActivityType::Update, Some(Object::Actor(a))) => {
            out.merchants.insert(a.id.to_string(), (**a).clone());
        }
        _ => {}
    }
    Ok(())
}

async fn is_followed(node: &Node, actor: &Url) -> Result<bool, InboxError> {
    Ok(remote::follow(node.db.pool(), actor.as_str())
        .await?
        .is_some_and(|f| f.state == "accepted" && f.target == actor.as_str()))
}

/// Applies an `Announce` from a followed node.
pub async fn apply_announce(
    node: &Node,
    tx: &mut Tx,
    v: &Verified,
    prepared: &Prepared,
) -> Result<(), InboxError> {
    let Some(inner) = announced(v) else {
        return Ok(());
    };
    let followed = remote::follow(&mut **tx, v.activity.actor.as_str())
        .await?
        .is_some_and(|f| f.state == "accepted");
    if !followed {
        return Ok(());
    }
    apply(node, tx, inner, prepared).await
}

async fn apply(
    node: &Node,
    tx: &mut Tx,
    inner: &Activity,
    prepared: &Prepared,
) -> Result<(), InboxError> {
    let now = node.clock.now_ms();
    if !remote::first_receipt(tx, inner.id.as_str(), now).await? {
        return Ok(());
    }
    match (&inner.kind, inner.object.object()) {
        (ActivityType::Create | ActivityType::Update, Some(Object::Note(note))) => {
            let Some(actor) = prepared.merchants.get(inner.actor.as_str()) else {
                return Ok(());
            };
            let saved = async {
                let merchant =
                    domain::mirror::save_merchant(tx, merchant_from_ap(actor), now).await?;
                if let Some(p) = product_from_ap(note, now) {
                    domain::mirror::save_product(tx, merchant, p, now).await?;
                }
                Ok(())
            };
            skip_refused(&note.id, saved.await)?;
        }
        (ActivityType::Create | ActivityType::Update, Some(Object::Actor(actor))) => {
            let saved = domain::mirror::save_merchant(tx, merchant_from_ap(actor), now).await;
            skip_refused(&actor.id, saved.map(|_| ()))?;
        }
        (ActivityType::Delete, _) => {
            if let Some(target) = inner.object.id() {
                if *target == inner.actor {
                    domain::mirror::delete_merchant(tx, inner.actor.as_str(), now)
                        .await
                        .map_err(InboxError::internal)?;
                } else {
                    domain::mirror::delete_product(
                        tx,
                        &ap::origin(&inner.actor),
                        target.as_str(),
                        now,
                    )
                    .await
                    .map_err(InboxError::internal)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// A remote shop actor as a mirrored merchant (checked by `domain::mirror`).
pub fn merchant_from_ap(a: &Actor) -> MirroredMerchant {
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
            email: None,
            website: None,
            opening_hours: a.opening_hours.clone(),
            siret: None,
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
pub fn product_fields(note: &Note) -> Option<ProductFields> {
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
        category: note
            .category
            .clone()
            .filter(|c| etal_protocol::taxonomy::find(c).is_some()),
        tags,
    })
}

/// A remote product Note as a mirrored product (checked by `domain::mirror`); `None` when it
/// has no price (not a product).
pub fn product_from_ap(note: &Note, now: i64) -> Option<MirroredProduct> {
    let fields = product_fields(note)?;
    let created_at = note.published.map_or(now, |p| p.timestamp_millis());
    let images = note
        .attachment
        .iter()
        .filter(|a| a.kind == "Image" || a.kind == "Document")
        .take(4)
        .map(|att| Image {
            id: Uuid::now_v7(),
            product_id: Uuid::nil(),
            position: 0,
            alt: att.alt().map(str::to_string),
            width: att.width.unwrap_or(0) as i64,
            height: att.height.unwrap_or(0) as i64,
            blurhash: att.blurhash.clone().unwrap_or_default(),
            media_type: att
                .media_type
                .clone()
                .unwrap_or_else(|| "image/jpeg".into()),
            variants: vec![Variant {
                name: "full".into(),
                path: att.url.to_string(),
                width: att.width.unwrap_or(0),
                height: att.height.unwrap_or(0),
            }],
            created_at: crate::db::time(now),
        })
        .collect();
    Some(MirroredProduct {
        ap_id: note.id.to_string(),
        url: note
            .url
            .as_ref()
            .and_then(Value::as_str)
            .map(str::to_string),
        fields,
        images,
        created_at,
        updated_at: note.updated.map_or(created_at, |u| u.timestamp_millis()),
    })
}

/// A refused mirrored object is skipped (the rest of the activity stands); other failures
/// fail the activity.
fn skip_refused(what: &Url, r: Result<(), DomainError>) -> Result<(), InboxError> {
    match r {
        Ok(()) => Ok(()),
        Err(e @ DomainError::Invalid(_)) => {
            tracing::warn!(object = %what, error = %e, "a mirrored object breaks the rules: skipped");
            Ok(())
        }
        Err(e) => Err(InboxError::internal(e)),
    }
}

/// Walks a followed node's outbox in the background, newest activity first; one walk per
/// followed node at a time.
pub fn spawn_backfill(node: Arc<Node>, target: String) {
    if !node.fed.start_backfill(&target) {
        tracing::info!(target, "a backfill of this node is already running");
        return;
    }
    tokio::spawn(async move {
        match backfill(&node, &target).await {
            Ok(n) => tracing::info!(target, activities = n, "backfill done"),
            Err(e) => tracing::warn!(target, error = %e, "backfill failed"),
        }
        node.fed.end_backfill(&target);
    });
}

/// Reads the outbox of `target` (a node actor) and mirrors every announced activity.
pub async fn backfill(node: &Node, target: &str) -> anyhow::Result<usize> {
    let actor_url = Url::parse(target)?;
    let actor: Actor =
        verify_doc(&node.fed.fetcher.get(&actor_url).await?).map_err(anyhow::Error::msg)?;
    let outbox_url = actor
        .outbox
        .ok_or_else(|| anyhow::anyhow!("{target} has no outbox"))?;
    let outbox = node.fed.fetcher.get(&outbox_url).await?;
    let mut next = outbox
        .get("first")
        .and_then(Value::as_str)
        .map(str::to_string);
    let origin = ap::origin(&actor_url);
    // Newest first: the first activity seen about an object is its current state, and the
    // older ones about it are skipped. Only ids are kept in memory, page after page.
    let mut seen: HashSet<String> = HashSet::new();
    let mut applied = 0;
    let mut visited: HashSet<String> = HashSet::new();
    while let Some(page_url) = next.take() {
        // A page seen before ends the walk: an outbox whose pages loop is read once.
        if visited.len() >= 100_000 || !visited.insert(page_url.clone()) {
            break;
        }
        // Unfollowed meanwhile: stop.
        let following = crate::db::remote::follow(node.db.pool(), target)
            .await?
            .is_some_and(|f| f.state == "accepted");
        if !following {
            tracing::info!(target, "backfill stopped: the node is no longer followed");
            return Ok(applied);
        }
        let page_url = Url::parse(&page_url)?;
        if ap::origin(&page_url) != origin {
            anyhow::bail!("outbox page {page_url} is on another server");
        }
        let page: ap::OrderedCollectionPage =
            serde_json::from_value(node.fed.fetcher.get(&page_url).await?)?;
        for item in &page.ordered_items {
            let Some(Object::Activity(announce)) = item.object() else {
                continue;
            };
            let Some(Object::Activity(inner)) = announce.object.object() else {
                continue;
            };
            // What a node relays must be its own, and so must what its activities carry.
            if ap::origin(&inner.id) != origin
                || ap::origin(&inner.actor) != origin
                || check_object_origin(inner, &origin).is_err()
            {
                tracing::warn!(activity = %inner.id, "backfill skipped an activity from another server");
                continue;
            }
            let Some(object) = inner.object.id() else {
                continue;
            };
            if !seen.insert(object.to_string()) {
                continue;
            }
            match backfill_one(node, inner).await {
                Ok(()) => applied += 1,
                Err(e) => {
                    tracing::warn!(activity = %inner.id, error = %e, "backfill skipped an activity")
                }
            }
        }
        next = page.next.map(|u| u.to_string());
    }
    let mut tx = node.db.begin().await?;
    crate::db::mirror::mark_backfilled(&mut tx, target, node.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(applied)
}

async fn backfill_one(node: &Node, inner: &Activity) -> anyhow::Result<()> {
    let mut prepared = Prepared::default();
    prepare_inner(node, inner, &mut prepared)
        .await
        .map_err(|e| anyhow::anyhow!(e.reason))?;
    let mut tx = node.db.begin().await?;
    apply(node, &mut tx, inner, &prepared)
        .await
        .map_err(|e| anyhow::anyhow!(e.reason))?;
    tx.commit().await?;
    Ok(())
}
