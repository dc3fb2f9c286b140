//! A shop's pages: the dashboard's home and the products list with its quick edits (the
//! product form with photos: `product`).

use askama::Template;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::wares::{availabilities, price_input, product_for, shop_dash, shop_for, stock_of};
use super::{Dash, Visit};
use crate::domain::authz::Action;
use crate::domain::products;
use crate::model::account::Role;
use crate::model::input::{typed_price, ProductPatch};
use crate::model::patch::Patch;
use crate::model::product::ListQuery;

/// Products per page of the dashboard's list.
const PER_PAGE: i64 = 50;

struct ShopLink {
    slug: String,
    name: String,
    role: String,
}

#[derive(Template)]
#[template(path = "dash/home.html")]
struct HomePage {
    d: Dash,
    title: String,
    shops: Vec<ShopLink>,
    admin: bool,
    waiting: bool,
}

/// `GET /dashboard`: the person's shops (straight to the only one).
pub async fn home(v: Visit) -> Response {
    let s = match v.signed() {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !s.user.admin && s.user.memberships.len() == 1 {
        let slug = &s.user.memberships[0].slug;
        let done = v.uri.query().map(|q| format!("?{q}")).unwrap_or_default();
        return axum::response::Redirect::to(&format!("/dashboard/shops/{slug}{done}"))
            .into_response();
    }
    let waiting = s.user.memberships.is_empty()
        && crate::domain::signups::waiting(&v.node.cx, s.user.id)
            .await
            .unwrap_or(false);
    let w = v.w();
    v.render(
        StatusCode::OK,
        &HomePage {
            waiting,
            d: v.dash(""),
            title: w.dashboard_title.into(),
            shops: s
                .user
                .memberships
                .iter()
                .map(|m| ShopLink {
                    slug: m.slug.clone(),
                    name: m.name.clone(),
                    role: match m.role {
                        Role::Owner => w.role_owner,
                        Role::Staff => w.role_staff,
                    }
                    .into(),
                })
                .collect(),
            admin: s.user.admin,
        },
    )
}

struct ProductRow {
    id: String,
    name: String,
    thumb: Option<String>,
    price: String,
    stock: String,
    availability: &'static str,
}

#[derive(Template)]
#[template(path = "dash/products.html")]
struct ProductsPage {
    d: Dash,
    title: String,
    slug: String,
    products: Vec<ProductRow>,
    availabilities: Vec<(&'static str, &'static str)>,
    next: Option<String>,
}

/// `GET /dashboard/shops/{slug}`: the products, newest first, each with a quick-edit form.
pub async fn products(v: Visit, Path(slug): Path<String>) -> Response {
    let m = match shop_for(&v, &slug, Action::EditProducts).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let before = v.uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "before")
            .and_then(|(_, b)| Uuid::parse_str(&b).ok())
    });
    let query = ListQuery {
        merchant: Some(m.slug.clone()),
        before,
        limit: PER_PAGE,
        ..ListQuery::default()
    };
    let (list, more) = match products::list(&v.node.cx, &query).await {
        Ok(l) => l,
        Err(e) => return v.error(e),
    };
    let next = more
        .then(|| {
            list.last()
                .map(|p| format!("/dashboard/shops/{slug}?before={}", p.id))
        })
        .flatten();
    let rows = list
        .iter()
        .map(|p| ProductRow {
            id: p.id.to_string(),
            name: p.fields.name.clone(),
            thumb: p
                .images
                .first()
                .map(|i| v.node.cx.urls.media(&i.variant("small").path).to_string()),
            price: price_input(p, v.lang),
            stock: p.fields.stock.map(|s| s.to_string()).unwrap_or_default(),
            availability: p.fields.availability.as_str(),
        })
        .collect();
    v.render(
        StatusCode::OK,
        &ProductsPage {
            d: shop_dash(&v, &m, "products"),
            title: m.fields.name.clone(),
            slug: m.slug.clone(),
            products: rows,
            availabilities: availabilities(v.lang),
            next,
        },
    )
}

/// `POST /dashboard/products/{id}/quick`: price, stock and availability from the list (or
/// the one-tap "sold out").
pub async fn quick_edit(v: Visit, Path(id): Path<String>, body: Bytes) -> Response {
    // The rules read the product once, check who may change it and apply the change.
    if let Err(r) = v.signed() {
        return r;
    }
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut patch = ProductPatch::default();
    if let Some(a) = f.opt("availability") {
        patch.availability = Patch::Set(a);
    }
    if let Some(price) = f.opt("price") {
        patch.price = Patch::Set(typed_price(&price));
    }
    // The stock field is only in the full quick form: there, empty means "not tracked".
    if f.0.iter().any(|(k, _)| k == "stock") {
        patch.stock = match stock_of(&f) {
            Ok(Some(s)) => Patch::Set(s),
            Ok(None) => Patch::Clear,
            Err(e) => return v.error(e),
        };
    }
    let caller = v.caller();
    match products::update(&v.node.cx, &caller, &id, None, patch).await {
        Ok(p) => Visit::done(&format!("/dashboard/shops/{}", p.merchant_slug), "saved"),
        Err(e) => v.error(e),
    }
}

/// `POST /dashboard/products/{id}/delete`.
pub async fn delete_product(v: Visit, Path(id): Path<String>, body: Bytes) -> Response {
    let (p, _) = match product_for(&v, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(r) = v.form(&body) {
        return r;
    }
    match products::delete(&v.node.cx, &v.caller(), &id, None).await {
        Ok(()) => Visit::done(&format!("/dashboard/shops/{}", p.merchant_slug), "deleted"),
        Err(e) => v.error(e),
    }
}
