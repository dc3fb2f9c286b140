//! What a product request may say: the bodies of POST and PATCH, and the rules a product's
//! fields obey (prices in the currency's minor unit, units, GTIN, taxonomy, tags, stock).

use super::products::ProductFields;
use super::{clean, Patch};
use crate::error::{Checks, Result};
use crate::model::input::{ProductCreate, ProductPatch};
use etal_protocol::{taxonomy, validate, Availability, Currency, Money, Unit};

const MAX_STOCK: i64 = 1_000_000_000;

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
            sku: self.sku,
        };
        if fields.stock == Some(0) && fields.availability == Availability::InStock {
            fields.availability = Availability::OutOfStock;
        }
        fields.check(&mut checks);
        checks.finish()?;
        Ok(fields)
    }
}

/// Longest product name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest product description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 5000;
/// Longest SKU, in characters.
pub const MAX_SKU_CHARS: usize = 64;
/// Most tags a product may have.
pub const MAX_TAGS: usize = 20;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;

/// Checks tags, limits first (a body may carry thousands): at most [`MAX_TAGS`] before any
/// is looked at, then each at most [`MAX_TAG_CHARS`], then duplicates (regardless of case)
/// dropped in one pass.
fn check_tags(raw: Vec<String>, checks: &mut Checks) -> Vec<String> {
    if raw.len() > MAX_TAGS {
        checks.add(
            "tags",
            format!("at most {MAX_TAGS} tags (there are {})", raw.len()),
        );
        return vec![];
    }
    let mut seen = std::collections::HashSet::new();
    let mut tags = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let t = t.trim().trim_start_matches('#').trim();
        if t.is_empty() || crate::model::product::tag_key(t).is_empty() {
            checks.add(format!("tags[{i}]"), "must not be empty");
        } else if t.chars().count() > MAX_TAG_CHARS {
            checks.add(
                format!("tags[{i}]"),
                format!("must be at most {MAX_TAG_CHARS} characters"),
            );
        } else if seen.insert(t.to_lowercase()) {
            tags.push(t.to_string());
        }
    }
    tags
}

impl ProductPatch {
    /// The checks a patch can pass or fail on its own, before the product is read: run
    /// before the write transaction begins, so that an oversized request never holds it.
    pub fn precheck(&self) -> Result<()> {
        let mut checks = Checks::default();
        if let Patch::Set(tags) = &self.tags {
            if tags.len() > MAX_TAGS {
                checks.add(
                    "tags",
                    format!("at most {MAX_TAGS} tags (there are {})", tags.len()),
                );
            } else {
                check_tags(tags.clone(), &mut checks);
            }
        }
        checks.finish()
    }

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
            sku: self.sku.apply(c.sku),
        };
        fields.check(&mut checks);
        checks.finish()?;
        Ok(fields)
    }
}

impl ProductFields {
    pub(crate) fn check(&mut self, checks: &mut Checks) {
        super::check_name_and_description(
            &mut self.name,
            &mut self.description,
            MAX_NAME_CHARS,
            MAX_DESCRIPTION_CHARS,
            checks,
        );
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
        self.tags = check_tags(std::mem::take(&mut self.tags), checks);
        self.sku = clean(self.sku.take());
        if let Some(s) = &self.sku {
            if s.chars().count() > MAX_SKU_CHARS || s.chars().any(char::is_control) {
                checks.add(
                    "sku",
                    format!(
                        "must be at most {MAX_SKU_CHARS} characters, without control characters"
                    ),
                );
            }
        }
    }

    /// Whether going from `self` to `next` must be announced: anything but a stock change
    /// that leaves the availability alone.
    pub fn announce_change_to(&self, next: &ProductFields) -> bool {
        let mut same_stock = next.clone();
        same_stock.stock = self.stock;
        &same_stock != self
    }
}
