//! Products: what a shop sells, at a price in integer minor units. Every change others must
//! hear about records an outbox event in its transaction; stock-only changes that leave the
//! availability as it was do not.

use uuid::Uuid;

use super::authz::{allow, Action, Caller};
use super::merchants;
use crate::db::{self, outbox};
use crate::domain::Context;
use crate::error::{Error, Result};
pub use crate::model::input::{ProductCreate, ProductPatch};
pub use crate::model::product::{ListQuery, Origin, Product, ProductFields};

impl Product {
    /// Refuses changes to a product mirrored from another node.
    pub fn check_local(&self) -> Result<()> {
        if self.local {
            Ok(())
        } else {
            Err(Error::NotAllowed(format!(
                "this product is mirrored from {}; it can only change there",
                self.ap_id
            )))
        }
    }

    /// The strong ETag of the current version.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}

/// Finds a live local product: 404 when unknown, 410 when deleted.
pub async fn get(cx: &Context, id: &str) -> Result<Product> {
    let id = parse_id(id)?;
    let mut found = db::products::by_id(cx.db.pool(), id, db::Lock::None).await?;
    if let Some(p) = found.as_mut() {
        p.images = db::images::for_product(cx.db.pool(), p.id).await?;
    }
    live(found, id)
}

/// Parses a product id from a URL; anything but a UUID cannot exist.
pub fn parse_id(id: &str) -> Result<Uuid> {
    Uuid::parse_str(id).map_err(|_| Error::NotFound(format!("no product \"{id}\"")))
}

/// 404 for no product, 410 for a deleted one.
pub fn live(found: Option<Product>, id: Uuid) -> Result<Product> {
    match found {
        None => Err(Error::NotFound(format!("no product \"{id}\""))),
        Some(p) if p.deleted_at.is_some() => {
            Err(Error::Deleted(format!("the product \"{id}\" was deleted")))
        }
        Some(p) => Ok(p),
    }
}

/// Creates a product for the merchant `slug`.
pub async fn create(
    cx: &Context,
    who: &Caller,
    slug: &str,
    input: ProductCreate,
) -> Result<Product> {
    let merchant = merchants::get(cx, slug).await?;
    allow(who, Action::EditProducts(merchant.id))?;
    let fields = input.validate()?;
    let mut tx = cx.db.begin().await?;
    // The shop may have been deleted since it was read.
    merchants::live(db::merchants::by_id(&mut *tx, merchant.id).await?, slug)?;
    let most = cx.settings.max_products_per_shop;
    if db::products::count_of_shop(&mut *tx, merchant.id).await? as u64 >= most {
        return Err(Error::Conflict {
            detail: format!("this shop has {most} products, the most this node allows a shop"),
            field: None,
        });
    }
    let product = insert(cx, &mut tx, &merchant, fields).await?;
    tx.commit().await?;
    cx.committed().await;
    Ok(product)
}

/// Inserts a product and its `create` event inside a transaction.
pub async fn insert(
    cx: &Context,
    tx: &mut db::Tx,
    merchant: &merchants::Merchant,
    fields: ProductFields,
) -> Result<Product> {
    let now = cx.clock.now_ms();
    let product = new_local(cx, merchant, Uuid::now_v7(), fields, now);
    store_new(cx, tx, merchant, std::slice::from_ref(&product), now)
        .await
        .map_err(|e| sku_conflict(e, &product.fields))?;
    Ok(product)
}

/// A new product of a local shop, as it is first stored.
pub(crate) fn new_local(
    cx: &Context,
    merchant: &merchants::Merchant,
    id: Uuid,
    fields: ProductFields,
    now: i64,
) -> Product {
    Product {
        id,
        merchant_id: merchant.id,
        merchant_slug: merchant.slug.clone(),
        local: true,
        url: None,
        ap_id: cx.urls.product(&id).to_string(),
        fields,
        images: vec![],
        version: 1,
        created_at: crate::clock::time(now),
        updated_at: crate::clock::time(now),
        announced_at: None,
        deleted_at: None,
    }
}

/// Stores new products of one local shop with their search entries and their `create`
/// events, in the caller's transaction: the one way a local product comes to be (the API,
/// the dashboard, a spreadsheet, a generated dataset).
pub(crate) async fn store_new(
    cx: &Context,
    tx: &mut db::Tx,
    merchant: &merchants::Merchant,
    products: &[Product],
    now: i64,
) -> db::DbResult<()> {
    // SQLite's index is written from entries computed here; PostgreSQL computes its own.
    let entries: Vec<db::search_index::Entry> = match cx.db.backend() {
        db::Backend::Sqlite => products
            .iter()
            .map(|p| db::search_index::entry(p, &merchant.fields.name, merchant.fields.geo))
            .collect(),
        db::Backend::Postgres => vec![],
    };
    db::products::insert_many(tx, products, &entries).await?;
    let objects: Vec<(Uuid, Uuid)> = products.iter().map(|p| (p.id, merchant.id)).collect();
    outbox::record_many(
        tx,
        now,
        outbox::Verb::Create,
        outbox::Kind::Product,
        &objects,
    )
    .await?;
    Ok(())
}

/// Applies a PATCH, honouring `If-Match`.
pub async fn update(
    cx: &Context,
    who: &Caller,
    id: &str,
    if_match: Option<&str>,
    patch: ProductPatch,
) -> Result<Product> {
    let id = parse_id(id)?;
    patch.precheck()?;
    let mut tx = cx.db.begin().await?;
    let mut current = live(
        db::products::by_id(&mut *tx, id, cx.db.row_lock()).await?,
        id,
    )?;
    current.check_local()?;
    allow(who, Action::EditProducts(current.merchant_id))?;
    check_if_match(if_match, &current)?;
    let fields = patch.apply(&current.fields)?;
    if fields != current.fields {
        let now = cx.clock.now_ms();
        db::products::update(&mut tx, id, &fields, now)
            .await
            .map_err(|e| sku_conflict(e, &fields))?;
        if current.fields.announce_change_to(&fields) {
            outbox::record(
                &mut tx,
                now,
                outbox::Verb::Update,
                outbox::Kind::Product,
                id,
                current.merchant_id,
            )
            .await?;
        }
        current.fields = fields;
        current.version += 1;
        current.updated_at = crate::clock::time(now);
    }
    current.images = db::images::for_product(&mut *tx, id).await?;
    tx.commit().await?;
    cx.committed().await;
    Ok(current)
}

/// A second live product with the same SKU in a shop: 409 naming `sku`.
pub fn sku_conflict(e: db::DbError, fields: &ProductFields) -> Error {
    if db::is_unique_violation(&e) && fields.sku.is_some() {
        Error::Conflict {
            detail: format!(
                "another product of this shop has the reference (sku) \"{}\"",
                fields.sku.as_deref().unwrap_or_default()
            ),
            field: Some("sku".into()),
        }
    } else {
        e.into()
    }
}

/// `If-Match` with `*` or a list of ETags; 412 when none matches.
pub fn check_if_match(if_match: Option<&str>, product: &Product) -> Result<()> {
    let Some(header) = if_match else {
        return Ok(());
    };
    let etag = product.etag();
    let matches = header
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == etag);
    if matches {
        Ok(())
    } else {
        Err(Error::StaleVersion(format!(
            "the product changed: its ETag is now {etag}, not {header}"
        )))
    }
}

/// Deletes a product (its id then answers 410 and is never reused).
pub async fn delete(cx: &Context, who: &Caller, id: &str, if_match: Option<&str>) -> Result<()> {
    let id = parse_id(id)?;
    let mut tx = cx.db.begin().await?;
    let current = live(
        db::products::by_id(&mut *tx, id, cx.db.row_lock()).await?,
        id,
    )?;
    current.check_local()?;
    allow(who, Action::EditProducts(current.merchant_id))?;
    check_if_match(if_match, &current)?;
    let now = cx.clock.now_ms();
    db::products::mark_deleted(&mut tx, id, now).await?;
    outbox::record(
        &mut tx,
        now,
        outbox::Verb::Delete,
        outbox::Kind::Product,
        id,
        current.merchant_id,
    )
    .await?;
    tx.commit().await?;
    cx.committed().await;
    Ok(())
}

/// One page of products, newest first, and whether more follow.
pub async fn list(cx: &Context, query: &ListQuery) -> Result<(Vec<Product>, bool)> {
    let mut products = db::products::list(&cx.db, query).await?;
    let more = products.len() as i64 > query.limit;
    products.truncate(query.limit as usize);
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let mut images = db::images::for_products(cx.db.pool(), &ids).await?;
    for p in &mut products {
        p.images = images.remove(&p.id).unwrap_or_default();
    }
    Ok((products, more))
}

/// A page of search results with the number of matches in all.
pub async fn search(
    cx: &Context,
    query: &crate::model::search::SearchQuery,
) -> Result<(Vec<Product>, i64)> {
    let found = db::search::search(&cx.db, query).await?;
    let mut products = db::products::by_ids(&cx.db, &found.ids).await?;
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let mut images = db::images::for_products(cx.db.pool(), &ids).await?;
    for p in &mut products {
        p.images = images.remove(&p.id).unwrap_or_default();
    }
    Ok((products, found.total))
}

/// A place searched near: a commune, or the communes of a postal code.
#[derive(Debug, Clone)]
pub struct Place {
    /// What the person typed.
    pub code: String,
    /// The communes' names, e.g. "Rambouillet" or "Rambouillet, Sonchamp…".
    pub name: String,
    /// Where the shops known there stand, on average.
    pub at: crate::model::merchant::Geo,
}

/// Resolves a postal code, or else an INSEE code, to the point its communes' shops stand at (Etalab's table
/// of communes; the point from the shops' own positions). `field` names the parameter in
/// errors.
pub async fn place(cx: &Context, code: &str, field: &str) -> Result<Place> {
    let code = code.trim();
    let table = crate::model::commune::communes();
    // Many five-digit codes are both (78120 is Rambouillet's postal code and Bullion's INSEE
    // code): people type postal codes, so a postal code wins.
    let mut communes = table.by_postal_code(code);
    if communes.is_empty() {
        communes.extend(table.by_insee(code));
    }
    if communes.is_empty() {
        return Err(Error::field(
            field,
            format!("{code:?} is neither a French postal code nor an INSEE code"),
        ));
    }
    let codes: Vec<&str> = communes.iter().map(|c| c.insee).collect();
    let mut name = communes
        .iter()
        .take(3)
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ");
    if communes.len() > 3 {
        name.push('…');
    }
    let (at, _) = db::towns::communes_point(&cx.db, &codes)
        .await?
        .ok_or_else(|| {
            Error::field(field, format!("no shop with a position is known in {name}"))
        })?;
    Ok(Place {
        code: code.to_string(),
        name,
        at,
    })
}

/// Restricts a search to the shops of a commune (its INSEE code).
pub async fn in_town(
    cx: &Context,
    query: &mut crate::model::search::SearchQuery,
    insee: &str,
) -> Result<()> {
    query.shops = Some(db::towns::shops_in(&cx.db, insee).await?);
    Ok(())
}

/// A national search's page with its facet by town.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// The page, best first.
    pub products: Vec<Product>,
    /// Matches in all (at least this many if `capped`).
    pub total: i64,
    /// The count stopped at a bound.
    pub capped: bool,
    /// The towns with the most matches (at most 12), most first.
    pub towns: Vec<db::towns::TownCount>,
    /// How many matches the towns were counted over.
    pub towns_counted: i64,
    /// Whether those are the closest matches (else the newest), when not all are counted.
    pub towns_closest: bool,
}

/// A search with its facet by town (the national search's API and page). A search with words,
/// or near a point on PostgreSQL, reads one bounded window of matches ([`db::window`]);
/// otherwise the page, count and towns are read as for any search.
pub async fn search_ranked(
    cx: &Context,
    query: &crate::model::search::SearchQuery,
) -> Result<Ranked> {
    const TOWNS: i64 = 12;
    let windowed = db::window::applies(&cx.db, query);
    let (found, towns, towns_counted) = if windowed {
        let r = db::window::ranked(&cx.db, query, TOWNS).await?;
        let counted = r.found.total;
        (r.found, r.towns, counted)
    } else {
        let found = db::search::search(&cx.db, query).await?;
        let towns = db::towns::town_facets(&cx.db, query, TOWNS).await?;
        let counted = found.total.min(db::towns::FACET_MATCHES);
        (found, towns, counted)
    };
    let mut products = db::products::by_ids(&cx.db, &found.ids).await?;
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let mut images = db::images::for_products(cx.db.pool(), &ids).await?;
    for p in &mut products {
        p.images = images.remove(&p.id).unwrap_or_default();
    }
    Ok(Ranked {
        products,
        total: found.total,
        capped: found.capped,
        towns,
        towns_counted,
        towns_closest: windowed && query.near.is_some(),
    })
}
