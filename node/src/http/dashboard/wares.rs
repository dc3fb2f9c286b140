//! What a shop's pages and its product form share: the shop or product the signed-in person
//! may change, the chrome of a shop's page, and the choices and values of product fields.

use axum::response::Response;
use uuid::Uuid;

use super::{Dash, Fields, ShopTab, Visit};
use crate::domain::authz::{allow, Action};
use crate::domain::{merchants, products};
use crate::error::Error;
use crate::model::merchant::Merchant;
use crate::model::product::Product;
use crate::present::{self, Lang};
use etal_protocol::{taxonomy, Availability};

/// The shop `slug`, if the signed-in person may do `action` there.
pub(super) async fn shop_for(
    v: &Visit,
    slug: &str,
    action: fn(Uuid) -> Action,
) -> Result<Merchant, Response> {
    v.signed()?;
    let m = merchants::get(&v.node.cx, slug)
        .await
        .map_err(|e| v.error(e))?;
    allow(&v.caller(), action(m.id)).map_err(|e| v.error(e))?;
    Ok(m)
}

/// The chrome of a shop's page.
pub(super) fn shop_dash(v: &Visit, m: &Merchant, tab: &'static str) -> Dash {
    let mut d = v.dash(tab);
    d.shop = Some(ShopTab {
        slug: m.slug.clone(),
        name: m.fields.name.clone(),
        owner: allow(&v.caller(), Action::EditShop(m.id)).is_ok(),
    });
    d
}

pub(super) fn availabilities(lang: Lang) -> Vec<(&'static str, &'static str)> {
    Availability::ALL
        .iter()
        .map(|a| (a.as_str(), present::availability(*a, lang)))
        .collect()
}

pub(super) fn categories(lang: Lang) -> Vec<(String, String)> {
    taxonomy::CATEGORIES
        .iter()
        .map(|c| {
            let label = present::category_label(c.code, lang);
            let label = if c.parent.is_some() {
                format!("\u{a0}\u{a0}{label}")
            } else {
                label
            };
            (c.code.to_string(), label)
        })
        .collect()
}

/// A price as a French or English form shows it (`3,20` / `3.20`).
pub(super) fn price_input(p: &Product, lang: Lang) -> String {
    let s = p.fields.price.amount_string();
    match lang {
        Lang::Fr => s.replace('.', ","),
        Lang::En => s,
    }
}

/// The product `id` and its shop, if the person may change its products.
pub(super) async fn product_for(v: &Visit, id: &str) -> Result<(Product, Merchant), Response> {
    v.signed()?;
    let p = products::get(&v.node.cx, id)
        .await
        .map_err(|e| v.error(e))?;
    p.check_local().map_err(|e| v.error(e))?;
    allow(&v.caller(), Action::EditProducts(p.merchant_id)).map_err(|e| v.error(e))?;
    let m = merchants::get(&v.node.cx, &p.merchant_slug)
        .await
        .map_err(|e| v.error(e))?;
    Ok((p, m))
}

pub(super) fn stock_of(f: &Fields) -> Result<Option<i64>, Error> {
    match f.opt("stock") {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Error::field("stock", "must be a whole number")),
    }
}
