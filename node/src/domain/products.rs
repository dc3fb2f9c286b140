//! Products: what a shop sells, at a price in integer minor units. Every change others must
//! hear about records an outbox event in its transaction; stock-only changes that leave the
//! availability as it was do not.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Principal;
use super::images::Image;
use super::{clean, max_chars, merchants, search_key, Patch};
use crate::db::{self, outbox};
use crate::error::{Checks, Error, Result};
use crate::Node;
use etal_protocol::{taxonomy, validate, Availability, Currency, Money, Unit};

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
    /// Set once deleted.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Product {
    /// Refuses changes to a product mirrored from another node.
    pub fn check_local(&self) -> Result<()> {
        if self.local {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
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

const MAX_STOCK: i64 = 1_000_000_000;

/// Body of `POST /api/v1/merchants/{slug}/products`. `null` equals absent.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductCreate {
    /// Product name, at most 200 characters.
    #[schema(required = true, example = "Baguette tradition")]
    pub name: Option<String>,
    /// Decimal string, ≥ 0, with no more decimals than the currency allows.
    #[schema(required = true, example = "1.30")]
    pub price: Option<String>,
    /// ISO 4217 code (default `EUR`).
    #[schema(example = "EUR")]
    pub currency: Option<String>,
    /// `piece` (default), `kg`, `g`, `l`, `ml`, `m`, `box`, `dozen` or `bunch`.
    #[schema(example = "piece")]
    pub unit: Option<String>,
    /// `in_stock` (default), `out_of_stock` or `preorder`.
    #[schema(example = "in_stock")]
    pub availability: Option<String>,
    /// Free text, at most 5,000 characters.
    pub description: Option<String>,
    /// Units on hand (≥ 0); when tracked, reaching 0 sets `out_of_stock`.
    pub stock: Option<i64>,
    /// GTIN: 8, 12, 13 or 14 digits with a valid check digit.
    pub gtin: Option<String>,
    /// Code from `GET /api/v1/categories`.
    #[schema(example = "food.bakery")]
    pub category: Option<String>,
    /// Free tags (at most 20, each at most 40 characters).
    pub tags: Option<Vec<String>>,
}

/// Body of `PATCH /api/v1/products/{id}`: present fields are set absolutely, `null` clears an
/// optional field, absent fields are kept. `stock_delta` adds to the stock atomically.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    /// Product name.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub name: Patch<String>,
    /// Decimal string; required when `currency` changes.
    #[schema(value_type = Option<String>, example = "3.20")]
    #[serde(default)]
    pub price: Patch<String>,
    /// ISO 4217 code.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub currency: Patch<String>,
    /// Sale unit.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub unit: Patch<String>,
    /// Availability.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub availability: Patch<String>,
    /// Free text.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub description: Patch<String>,
    /// Units on hand; `null` stops tracking stock.
    #[schema(value_type = Option<i64>)]
    #[serde(default)]
    pub stock: Patch<i64>,
    /// Added to the current stock atomically (negative to remove); not with `stock`.
    pub stock_delta: Option<i64>,
    /// GTIN.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub gtin: Patch<String>,
    /// Taxonomy code.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub category: Patch<String>,
    /// Replaces every tag.
    #[schema(value_type = Option<Vec<String>>)]
    #[serde(default)]
    pub tags: Patch<Vec<String>>,
}

fn parse_currency(code: Option<String>, checks: &mut Checks) -> Currency {
    match clean(code) {
        None => Currency::EUR,
        Some(c) => Currency::from_code(&c).unwrap_or_else(|| {
            checks.add(
                "currency",
                format!("\"{c}\" is not an ISO 4217 currency code such as EUR"),
            );
            Currency::EUR
        }),
    }
}

fn parse_price(text: &str, currency: Currency, checks: &mut Checks) -> Money {
    Money::parse(text.trim(), currency).unwrap_or_else(|e| {
        checks.add("price", e.to_string());
        Money { minor: 0, currency }
    })
}

fn parse_unit(s: &str, checks: &mut Checks) -> Unit {
    Unit::parse(s.trim()).unwrap_or_else(|| {
        let all: Vec<&str> = Unit::ALL.iter().map(Unit::as_str).collect();
        checks.add("unit", format!("must be one of {}", all.join(", ")));
        Unit::Piece
    })
}

fn parse_availability(s: &str, checks: &mut Checks) -> Availability {
    Availability::parse(s.trim()).unwrap_or_else(|| {
        checks.add(
            "availability",
            "must be one of in_stock, out_of_stock, preorder",
        );
        Availability::InStock
    })
}

impl ProductCreate {
    /// Validates the body into product fields, or every problem found.
    pub fn validate(self) -> Result<ProductFields> {
        let mut checks = Checks::default();
        let name = clean(self.name).unwrap_or_else(|| {
            checks.required("name");
            String::new()
        });
        let currency = parse_currency(self.currency, &mut checks);
        let price = match &self.price {
            Some(p) => parse_price(p, currency, &mut checks),
            None => {
                checks.required("price");
                Money { minor: 0, currency }
            }
        };
        let mut fields = ProductFields {
            name,
            description: self.description,
            price,
            unit: self
                .unit
                .map_or(Unit::Piece, |u| parse_unit(&u, &mut checks)),
            availability: self.availability.map_or(Availability::InStock, |a| {
                parse_availability(&a, &mut checks)
            }),
            stock: self.stock,
            gtin: self.gtin,
            category: self.category,
            tags: self.tags.unwrap_or_default(),
        };
        if fields.stock == Some(0) && fields.availability == Availability::InStock {
            fields.availability = Availability::OutOfStock;
        }
        fields.check(&mut checks);
        checks.finish()?;
        Ok(fields)
    }
}

impl ProductPatch {
    /// Applies the patch to the stored fields (under the row's lock, so `stock_delta` is
    /// atomic) and validates the result.
    pub fn apply(self, current: &ProductFields) -> Result<ProductFields> {
        let mut checks = Checks::default();
        let c = current.clone();
        let name = match self.name {
            Patch::Keep => c.name,
            Patch::Clear => {
                checks.add("name", "is required and cannot be cleared");
                c.name
            }
            Patch::Set(n) => n,
        };
        let currency = match self.currency {
            Patch::Keep => c.price.currency,
            Patch::Clear => Currency::EUR,
            Patch::Set(code) => parse_currency(Some(code), &mut checks),
        };
        let price = match self.price {
            Patch::Set(p) => parse_price(&p, currency, &mut checks),
            Patch::Clear => {
                checks.add("price", "is required and cannot be cleared");
                c.price
            }
            Patch::Keep if currency != c.price.currency => {
                checks.add("price", "is required when the currency changes");
                c.price
            }
            Patch::Keep => c.price,
        };
        let unit = match self.unit {
            Patch::Keep => c.unit,
            Patch::Clear => Unit::Piece,
            Patch::Set(u) => parse_unit(&u, &mut checks),
        };
        let availability_given = self.availability.is_present();
        let mut availability = match self.availability {
            Patch::Keep => c.availability,
            Patch::Clear => Availability::InStock,
            Patch::Set(a) => parse_availability(&a, &mut checks),
        };
        let mut stock = match (&self.stock, self.stock_delta) {
            (Patch::Keep, None) => c.stock,
            (_, None) => self.stock.clone().apply(c.stock),
            (Patch::Keep, Some(delta)) => match c.stock {
                None => {
                    checks.add(
                        "stock_delta",
                        "stock is not tracked for this product: set stock first",
                    );
                    None
                }
                Some(s) => Some(s.saturating_add(delta)),
            },
            (_, Some(_)) => {
                checks.add("stock_delta", "cannot be combined with stock");
                c.stock
            }
        };
        if let (Some(s), Some(delta)) = (stock, self.stock_delta) {
            if s < 0 {
                checks.add(
                    "stock_delta",
                    format!("would take the stock below zero (it is {})", s - delta),
                );
                stock = c.stock;
            }
        }
        if !availability_given && stock != c.stock {
            // Stock that is tracked drives availability, unless the same request sets it.
            match stock {
                Some(0) if availability == Availability::InStock => {
                    availability = Availability::OutOfStock
                }
                Some(n) if n > 0 && availability == Availability::OutOfStock => {
                    availability = Availability::InStock
                }
                _ => {}
            }
        }
        let mut fields = ProductFields {
            name,
            description: self.description.apply(c.description),
            price,
            unit,
            availability,
            stock,
            gtin: self.gtin.apply(c.gtin),
            category: self.category.apply(c.category),
            tags: self.tags.apply(Some(c.tags)).unwrap_or_default(),
        };
        fields.check(&mut checks);
        checks.finish()?;
        Ok(fields)
    }
}

impl ProductFields {
    fn check(&mut self, checks: &mut Checks) {
        self.name = self.name.trim().to_string();
        if self.name.is_empty() && !checks.has("name") {
            checks.required("name");
        }
        checks.check("name", max_chars(&Some(self.name.clone()), 200));
        self.description = clean(self.description.take());
        checks.check("description", max_chars(&self.description, 5000));
        if let Some(s) = self.stock {
            if !(0..=MAX_STOCK).contains(&s) && !checks.has("stock_delta") {
                checks.add("stock", format!("must be between 0 and {MAX_STOCK}"));
            }
        }
        self.gtin = clean(self.gtin.take());
        if let Some(g) = &self.gtin {
            checks.check("gtin", validate::gtin(g));
        }
        self.category = clean(self.category.take());
        if let Some(c) = &self.category {
            checks.check("category", taxonomy::check(c).map(|_| ()));
        }
        let mut tags: Vec<String> = Vec::new();
        for (i, t) in self.tags.iter().enumerate() {
            let t = t.trim().trim_start_matches('#').trim();
            if t.is_empty() {
                checks.add(format!("tags[{i}]"), "must not be empty");
            } else if t.chars().count() > 40 {
                checks.add(format!("tags[{i}]"), "must be at most 40 characters");
            } else if !tags.iter().any(|x| x.to_lowercase() == t.to_lowercase()) {
                tags.push(t.to_string());
            }
        }
        if tags.len() > 20 {
            checks.add("tags", "at most 20 tags");
        }
        self.tags = tags;
    }

    /// The text `q` searches: name, tags and description, lower-case without accents.
    pub fn search_text(&self) -> String {
        let mut text = self.name.clone();
        for t in &self.tags {
            text.push(' ');
            text.push_str(t);
        }
        if let Some(d) = &self.description {
            text.push(' ');
            text.push_str(d);
        }
        search_key(&text)
    }

    /// Whether going from `self` to `next` must be announced: anything but a stock change
    /// that leaves the availability alone.
    pub fn announce_change_to(&self, next: &ProductFields) -> bool {
        let mut same_stock = next.clone();
        same_stock.stock = self.stock;
        &same_stock != self
    }
}

/// Finds a live local product: 404 when unknown, 410 when deleted.
pub async fn get(node: &Node, id: &str) -> Result<Product> {
    let id = parse_id(id)?;
    let mut found = db::products::by_id(node.db.pool(), id, "").await?;
    if let Some(p) = found.as_mut() {
        p.images = db::images::for_product(node.db.pool(), p.id).await?;
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
            Err(Error::Gone(format!("the product \"{id}\" was deleted")))
        }
        Some(p) => Ok(p),
    }
}

/// Creates a product for the merchant `slug`.
pub async fn create(
    node: &Node,
    who: &Principal,
    slug: &str,
    input: ProductCreate,
) -> Result<Product> {
    let merchant = merchants::get(node, slug).await?;
    who.may_manage(merchant.id)?;
    let fields = input.validate()?;
    let mut tx = node.db.begin().await?;
    // The shop may have been deleted since it was read.
    merchants::live(db::merchants::by_id(&mut *tx, merchant.id).await?, slug)?;
    let product = insert(node, &mut tx, &merchant, fields).await?;
    tx.commit().await?;
    node.wake();
    Ok(product)
}

/// Inserts a product and its `create` event inside a transaction.
pub async fn insert(
    node: &Node,
    tx: &mut db::Tx,
    merchant: &merchants::Merchant,
    fields: ProductFields,
) -> Result<Product> {
    let now = db::now_ms();
    let id = Uuid::now_v7();
    let product = Product {
        id,
        merchant_id: merchant.id,
        merchant_slug: merchant.slug.clone(),
        local: true,
        url: None,
        ap_id: node.urls.product(&id),
        fields,
        images: vec![],
        version: 1,
        created_at: db::time(now),
        updated_at: db::time(now),
        deleted_at: None,
    };
    db::products::insert(&mut **tx, &product).await?;
    outbox::record(
        tx,
        outbox::Verb::Create,
        outbox::Kind::Product,
        id,
        merchant.id,
    )
    .await?;
    Ok(product)
}

/// Applies a PATCH, honouring `If-Match`.
pub async fn update(
    node: &Node,
    who: &Principal,
    id: &str,
    if_match: Option<&str>,
    patch: ProductPatch,
) -> Result<Product> {
    let id = parse_id(id)?;
    let mut tx = node.db.begin().await?;
    let mut current = live(
        db::products::by_id(&mut *tx, id, node.db.for_update()).await?,
        id,
    )?;
    current.check_local()?;
    who.may_manage(current.merchant_id)?;
    check_if_match(if_match, &current)?;
    let fields = patch.apply(&current.fields)?;
    if fields != current.fields {
        let now = db::now_ms();
        db::products::update(&mut *tx, id, &fields, now).await?;
        if current.fields.announce_change_to(&fields) {
            outbox::record(
                &mut tx,
                outbox::Verb::Update,
                outbox::Kind::Product,
                id,
                current.merchant_id,
            )
            .await?;
        }
        current.fields = fields;
        current.version += 1;
        current.updated_at = db::time(now);
    }
    current.images = db::images::for_product(&mut *tx, id).await?;
    tx.commit().await?;
    node.wake();
    Ok(current)
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
        Err(Error::PreconditionFailed(format!(
            "the product changed: its ETag is now {etag}, not {header}"
        )))
    }
}

/// Deletes a product (its id then answers 410 and is never reused).
pub async fn delete(node: &Node, who: &Principal, id: &str, if_match: Option<&str>) -> Result<()> {
    let id = parse_id(id)?;
    let mut tx = node.db.begin().await?;
    let current = live(
        db::products::by_id(&mut *tx, id, node.db.for_update()).await?,
        id,
    )?;
    current.check_local()?;
    who.may_manage(current.merchant_id)?;
    check_if_match(if_match, &current)?;
    db::products::mark_deleted(&mut *tx, id, db::now_ms()).await?;
    outbox::record(
        &mut tx,
        outbox::Verb::Delete,
        outbox::Kind::Product,
        id,
        current.merchant_id,
    )
    .await?;
    tx.commit().await?;
    node.wake();
    Ok(())
}

/// Filters of the public product list.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    /// Words that must all appear (accents and case ignored).
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

/// Which products a list shows.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Published on this node (the default).
    #[default]
    Local,
    /// Mirrored from followed nodes.
    Remote,
    /// Both.
    All,
}

/// One page of products, newest first, and whether more follow.
pub async fn list(node: &Node, query: &ListQuery) -> Result<(Vec<Product>, bool)> {
    let mut products = db::products::list(node.db.pool(), query).await?;
    let more = products.len() as i64 > query.limit;
    products.truncate(query.limit as usize);
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let mut images = db::images::for_products(node.db.pool(), &ids).await?;
    for p in &mut products {
        p.images = images.remove(&p.id).unwrap_or_default();
    }
    Ok((products, more))
}
