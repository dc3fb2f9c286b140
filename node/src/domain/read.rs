//! The read side: shops and products as the public may see them, with the rules already
//! applied (a deleted shop or product is said to be deleted, with when; lists, counts and
//! sitemaps hold live shops and products only, and only those of shops that consent where
//! they are listed). Pages, documents and the inbox read through here (the open data through
//! `domain::open_data`) rather than reading rows and judging them themselves.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Context;
use crate::db::{self, Tx};
use crate::error::Result;
use crate::model::actor::LocalActor;
use crate::model::merchant::Merchant;
use crate::model::outbox::Event;
use crate::model::product::Product;
use crate::model::remote::Follow;

/// What a read of one shop or product finds, when it exists or existed.
#[derive(Debug)]
pub enum Found<T> {
    /// It is there.
    Live(T),
    /// It was deleted at this time (its URL answers 410 with a Tombstone).
    Deleted(DateTime<Utc>),
}

impl<T> Found<T> {
    /// The live one, if it is.
    pub fn live(self) -> Option<T> {
        match self {
            Found::Live(t) => Some(t),
            Found::Deleted(_) => None,
        }
    }
}

fn found<T>(row: Option<T>, deleted_at: impl Fn(&T) -> Option<DateTime<Utc>>) -> Option<Found<T>> {
    row.map(|r| match deleted_at(&r) {
        Some(at) => Found::Deleted(at),
        None => Found::Live(r),
    })
}

/// A local or mirrored shop by its slug (or handle).
pub async fn shop(cx: &Context, slug: &str) -> Result<Option<Found<Merchant>>> {
    Ok(found(
        db::merchants::by_slug(cx.db.pool(), slug).await?,
        |m| m.deleted_at,
    ))
}

/// A live shop by its slug, read in the caller's transaction (the inbox's).
pub async fn live_shop_in(tx: &mut Tx, slug: &str) -> Result<Option<Merchant>> {
    Ok(found(db::merchants::by_slug(&mut **tx, slug).await?, |m| {
        m.deleted_at
    })
    .and_then(Found::live))
}

/// A product with its photos and its shop; deleted when it or its shop was.
pub async fn product(cx: &Context, id: Uuid) -> Result<Option<Found<(Product, Merchant)>>> {
    let Some(mut p) = db::products::by_id(cx.db.pool(), id, db::Lock::None).await? else {
        return Ok(None);
    };
    if let Some(at) = p.deleted_at {
        return Ok(Some(Found::Deleted(at)));
    }
    let Some(m) = db::merchants::by_id(cx.db.pool(), p.merchant_id).await? else {
        return Ok(None);
    };
    if let Some(at) = m.deleted_at {
        return Ok(Some(Found::Deleted(at)));
    }
    p.images = db::images::for_product(cx.db.pool(), p.id).await?;
    Ok(Some(Found::Live((p, m))))
}

/// A live local product by id: (product id, shop id), for likes, boosts and replies.
pub async fn live_local_product(cx: &Context, id: Uuid) -> Result<Option<(Uuid, Uuid)>> {
    Ok(db::products::by_id(cx.db.pool(), id, db::Lock::None)
        .await?
        .filter(|p| p.deleted_at.is_none() && p.local)
        .map(|p| (p.id, p.merchant_id)))
}

/// The live shops among `ids` (deleted ones left out), in any order.
pub async fn live_shops(cx: &Context, ids: &[Uuid]) -> Result<Vec<Merchant>> {
    Ok(db::merchants::any_by_ids(&cx.db, ids)
        .await?
        .into_iter()
        .filter(|m| m.deleted_at.is_none())
        .collect())
}

/// The shops among `ids` as the open data sees them: `Some` for a live shop that consents to
/// being listed, `None` for one deleted or withdrawn (a tombstone in the change feed).
pub async fn listed_shops(cx: &Context, ids: &[Uuid]) -> Result<Vec<(Merchant, bool)>> {
    Ok(db::merchants::any_by_ids(&cx.db, ids)
        .await?
        .into_iter()
        .map(|m| {
            let listed = m.deleted_at.is_none() && m.fields.indexable;
            (m, listed)
        })
        .collect())
}

/// A shop by id, deleted or not (what a product or a card names).
pub async fn shop_by_id(cx: &Context, id: Uuid) -> Result<Option<Merchant>> {
    Ok(db::merchants::by_id(cx.db.pool(), id).await?)
}

/// A product's photos, in order.
pub async fn photos(cx: &Context, product: Uuid) -> Result<Vec<crate::model::image::Image>> {
    Ok(db::images::for_product(cx.db.pool(), product).await?)
}

/// The node's live shops, and its live products in live shops.
pub async fn counts(cx: &Context) -> Result<(i64, i64)> {
    let pool = cx.db.pool();
    Ok((
        db::merchants::count_live(pool).await?,
        db::products::count_live(pool).await?,
    ))
}

/// The node's live shops, by slug after `after`.
pub async fn shops(cx: &Context, after: Option<&str>, limit: i64) -> Result<Vec<Merchant>> {
    Ok(db::merchants::list(cx.db.pool(), after, limit).await?)
}

/// Live shops of a category (or of its subcategories).
pub async fn shops_in_category(cx: &Context, code: &str, limit: i64) -> Result<Vec<Merchant>> {
    Ok(db::merchants::in_category(cx.db.pool(), code, limit).await?)
}

/// Shops' names by id.
pub async fn shop_names(cx: &Context, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
    Ok(db::merchants::names(cx.db.pool(), ids).await?)
}

/// The latest changed live products (of one shop, or of the node; only those of shops that
/// consent to being listed if `listed_only`), for the Atom feeds.
pub async fn recently_changed(
    cx: &Context,
    merchant: Option<Uuid>,
    listed_only: bool,
    limit: i64,
) -> Result<Vec<Product>> {
    Ok(db::products::recently_changed(&cx.db, merchant, listed_only, limit).await?)
}

/// What the sitemaps list: shops that consent to being listed (slug, last change), and their
/// products (id, last change) by page.
pub async fn listed_shops_page(
    cx: &Context,
    offset: i64,
    limit: i64,
) -> Result<Vec<(String, i64)>> {
    Ok(db::merchants::indexable(cx.db.pool(), offset, limit).await?)
}

/// See [`listed_shops_page`].
pub async fn listed_products_page(
    cx: &Context,
    offset: i64,
    limit: i64,
) -> Result<Vec<(Uuid, i64)>> {
    Ok(db::products::indexable_page(&cx.db, offset, limit).await?)
}

/// How many products the sitemaps list.
pub async fn listed_product_count(cx: &Context) -> Result<i64> {
    Ok(db::products::count_indexable(&cx.db).await?)
}

/// The activities of a shop's outbox (or the node's, `None`), newest first, before `before`.
pub async fn outbox_page(
    cx: &Context,
    merchant: Option<Uuid>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Event>> {
    Ok(db::outbox::page(cx.db.pool(), merchant, before, limit).await?)
}

/// How many activities a shop's outbox (or the node's) holds.
pub async fn outbox_count(cx: &Context, merchant: Option<Uuid>) -> Result<i64> {
    Ok(db::outbox::count(cx.db.pool(), merchant).await?)
}

/// The outbox event of an activity id.
pub async fn event(cx: &Context, activity_id: Uuid) -> Result<Option<Event>> {
    Ok(db::outbox::by_activity_id(cx.db.pool(), activity_id).await?)
}

/// How many followers a local actor has.
pub async fn follower_count(cx: &Context, actor: LocalActor) -> Result<i64> {
    Ok(db::remote::follower_count(cx.db.pool(), actor).await?)
}

/// Whom the node actor follows.
pub async fn follows(cx: &Context) -> Result<Vec<Follow>> {
    Ok(db::remote::follows(cx.db.pool()).await?)
}

/// What an outbox event is about, as it stands now: its shop and, for a product's event, the
/// product with its photos (deleted ones included: their event renders as a Delete).
#[derive(Debug)]
pub struct Subject {
    /// The shop.
    pub merchant: Merchant,
    /// The product, for a product's event (`None` if it is no longer stored at all).
    pub product: Option<Product>,
    /// Whether the product can be reserved now (its Note then ends with a "Réserver" link).
    pub reservable: bool,
}

/// The subject of an event, read on `conn` (the fan-out's transaction).
pub async fn subject_in(conn: &mut db::Conn, e: &Event) -> Result<Option<Subject>> {
    let Some(merchant) = db::merchants::by_id(&mut *conn, e.merchant_id).await? else {
        return Ok(None);
    };
    let product = match e.kind {
        crate::model::outbox::Kind::Product => {
            match db::products::by_id(&mut *conn, e.object_id, db::Lock::None).await? {
                Some(mut p) => {
                    if p.deleted_at.is_none() {
                        p.images = db::images::for_product(&mut *conn, p.id).await?;
                    }
                    Some(p)
                }
                None => None,
            }
        }
        crate::model::outbox::Kind::Merchant => None,
    };
    let reservable = match &product {
        Some(p) => reservable_in(&mut *conn, p).await?,
        None => false,
    };
    Ok(Some(Subject {
        merchant,
        product,
        reservable,
    }))
}

/// The subject of an event (for the outbox collections and `/activities/{id}`).
pub async fn subject(cx: &Context, e: &Event) -> Result<Option<Subject>> {
    let mut conn = cx.db.pool().acquire().await?;
    subject_in(&mut conn, e).await
}

/// Live local products by id (a basket's), in no order.
pub async fn products_by_ids(cx: &Context, ids: &[Uuid]) -> Result<Vec<Product>> {
    Ok(db::products::by_ids(&cx.db, ids)
        .await?
        .into_iter()
        .filter(|p| p.local && p.deleted_at.is_none())
        .collect())
}

/// Whether a product can be reserved now: a live local product, not out of stock, of a shop
/// taking reservations that did not exclude it (its Note then ends with a "Réserver" link).
pub async fn reservable_in(conn: &mut db::Conn, p: &Product) -> Result<bool> {
    if !p.local
        || p.deleted_at.is_some()
        || p.fields.availability == etal_protocol::Availability::OutOfStock
    {
        return Ok(false);
    }
    let s = db::reservations::settings(&mut *conn, p.merchant_id, db::Lock::None)
        .await?
        .unwrap_or_default();
    Ok(s.reservable(p.id))
}
