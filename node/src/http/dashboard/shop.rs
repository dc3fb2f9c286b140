//! A shop's pages: products (list with quick edits, form with photos), profile (with the
//! hours editor and map pin), people and API tokens, and the fediverse panel.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::{Dash, Fields, ShopTab, Visit};
use crate::domain::authz::{allow, Action};
use crate::domain::{images, merchants, products};
use crate::error::Error;
use crate::model::account::Role;
use crate::model::input::{typed_price, ProductCreate, ProductPatch};
use crate::model::merchant::Merchant;
use crate::model::patch::Patch;
use crate::model::product::{ListQuery, Product};
use crate::present::{self, Lang};
use etal_protocol::{taxonomy, Availability, Unit};

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
        && crate::domain::signups::waiting(&v.node, s.user.id)
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

/// The shop `slug`, if the signed-in person may do `action` there.
pub(super) async fn shop_for(
    v: &Visit,
    slug: &str,
    action: fn(Uuid) -> Action,
) -> Result<Merchant, Response> {
    v.signed()?;
    let m = merchants::get(&v.node, slug)
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
fn price_input(p: &Product, lang: Lang) -> String {
    let s = p.fields.price.amount_string();
    match lang {
        Lang::Fr => s.replace('.', ","),
        Lang::En => s,
    }
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
    let (list, more) = match products::list(&v.node, &query).await {
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
                .map(|i| v.node.urls.media(&i.variant("small").path).to_string()),
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

/// What the product form shows.
#[derive(Default)]
struct ProductForm {
    name: String,
    price: String,
    unit: String,
    availability: String,
    stock: String,
    description: String,
    category: String,
    tags: String,
    sku: String,
    gtin: String,
    more_open: bool,
}

impl ProductForm {
    fn of(p: &Product, lang: Lang) -> ProductForm {
        let f = &p.fields;
        ProductForm {
            name: f.name.clone(),
            price: price_input(p, lang),
            unit: f.unit.as_str().into(),
            availability: f.availability.as_str().into(),
            stock: f.stock.map(|s| s.to_string()).unwrap_or_default(),
            description: f.description.clone().unwrap_or_default(),
            category: f.category.clone().unwrap_or_default(),
            tags: f.tags.join(", "),
            sku: f.sku.clone().unwrap_or_default(),
            gtin: f.gtin.clone().unwrap_or_default(),
            more_open: false,
        }
    }

    fn from_fields(f: &Fields) -> ProductForm {
        let form = ProductForm {
            name: f.get("name").into(),
            price: f.get("price").into(),
            unit: f.get("unit").into(),
            availability: f.get("availability").into(),
            stock: f.get("stock").into(),
            description: f.get("description").into(),
            category: f.get("category").into(),
            tags: f.get("tags").into(),
            sku: f.get("sku").into(),
            gtin: f.get("gtin").into(),
            more_open: false,
        };
        ProductForm {
            more_open: !(form.description.is_empty()
                && form.category.is_empty()
                && form.tags.is_empty()
                && form.sku.is_empty()
                && form.gtin.is_empty()),
            ..form
        }
    }
}

struct PhotoRow {
    id: String,
    src: String,
    alt: String,
}

#[derive(Template)]
#[template(path = "dash/product.html")]
struct ProductPage {
    d: Dash,
    title: String,
    action: String,
    submit: String,
    id: String,
    f: ProductForm,
    units: Vec<(&'static str, &'static str)>,
    availabilities: Vec<(&'static str, &'static str)>,
    categories: Vec<(String, String)>,
    photos: Vec<PhotoRow>,
    photo_slots: usize,
    photos_hint: String,
}

fn product_page(
    v: &Visit,
    m: &Merchant,
    product: Option<&Product>,
    f: ProductForm,
    errors: Vec<String>,
) -> Response {
    let w = v.w();
    let mut d = shop_dash(v, m, "products");
    d.scripts = vec![super::super::pages::assets::url("dash.js")];
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    d.errors = errors;
    let photos: Vec<PhotoRow> = product
        .map(|p| {
            p.images
                .iter()
                .map(|i| PhotoRow {
                    id: i.id.to_string(),
                    src: v.node.urls.media(&i.variant("small").path).to_string(),
                    alt: i.alt.clone().unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let slots = (images::MAX_IMAGES as usize).saturating_sub(photos.len());
    v.render(
        status,
        &ProductPage {
            d,
            title: if product.is_some() {
                w.edit_product_title
            } else {
                w.new_product_title
            }
            .into(),
            action: match product {
                Some(p) => format!("/dashboard/products/{}", p.id),
                None => format!("/dashboard/shops/{}/products/new", m.slug),
            },
            submit: if product.is_some() {
                w.save
            } else {
                w.add_product
            }
            .into(),
            id: product.map(|p| p.id.to_string()).unwrap_or_default(),
            f,
            units: Unit::ALL
                .iter()
                .map(|u| (u.as_str(), present::unit(*u, v.lang)))
                .collect(),
            availabilities: availabilities(v.lang),
            categories: categories(v.lang),
            photos,
            photo_slots: slots,
            photos_hint: format!("{slots} {}", w.photos_left),
        },
    )
}

/// `GET /dashboard/shops/{slug}/products/new`.
pub async fn new_product(v: Visit, Path(slug): Path<String>) -> Response {
    let m = match shop_for(&v, &slug, Action::EditProducts).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let f = ProductForm {
        unit: "piece".into(),
        availability: "in_stock".into(),
        category: m.fields.category.clone().unwrap_or_default(),
        ..ProductForm::default()
    };
    product_page(&v, &m, None, f, vec![])
}

/// A multipart form's fields and photos, after its CSRF token is checked.
pub(super) async fn read_multipart(
    v: &Visit,
    mut form: Multipart,
) -> Result<(Fields, Vec<Bytes>), Response> {
    v.check_origin()?;
    let mut fields = Fields::default();
    let mut photos = Vec::new();
    let too_large = |v: &Visit| {
        v.message(
            StatusCode::PAYLOAD_TOO_LARGE,
            v.w().error_title,
            "the form is larger than this page accepts (four photos of at most 10 MB each)",
        )
    };
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large(v)),
            Err(e) => {
                return Err(v.message(StatusCode::BAD_REQUEST, v.w().error_title, &e.body_text()))
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field.file_name().is_some();
        let data = match field.bytes().await {
            Ok(d) => d,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large(v)),
            Err(e) => {
                return Err(v.message(StatusCode::BAD_REQUEST, v.w().error_title, &e.body_text()))
            }
        };
        if is_file {
            if !data.is_empty() && (name == "photo" || name == "file" || name == "logo") {
                photos.push(data);
            }
        } else {
            fields.insert(&name, String::from_utf8_lossy(&data).into_owned());
        }
    }
    v.check_token(fields.get("_csrf"))?;
    Ok((fields, photos))
}

fn tags_of(f: &Fields) -> Vec<String> {
    f.get("tags")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
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

/// Adds photos one by one; the first failure is reported (the product and the photos
/// before it stay).
async fn add_photos(
    v: &Visit,
    id: &str,
    photos: Vec<Bytes>,
    alt: Option<String>,
) -> Result<(), Error> {
    let caller = v.caller();
    for data in photos {
        images::upload(&v.node, &caller, id, data, alt.clone()).await?;
    }
    Ok(())
}

/// `POST /dashboard/shops/{slug}/products/new`: creates the product, then adds its photos.
pub async fn create_product(v: Visit, Path(slug): Path<String>, form: Multipart) -> Response {
    let m = match shop_for(&v, &slug, Action::EditProducts).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let (f, photos) = match read_multipart(&v, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if photos.len() > images::MAX_IMAGES as usize {
        let e = Error::field("photo", format!("at most {} photos", images::MAX_IMAGES));
        let lines = v.error_lines(&e);
        return product_page(&v, &m, None, ProductForm::from_fields(&f), lines);
    }
    let stock = match stock_of(&f) {
        Ok(s) => s,
        Err(e) => {
            let lines = v.error_lines(&e);
            return product_page(&v, &m, None, ProductForm::from_fields(&f), lines);
        }
    };
    let input = ProductCreate {
        name: f.opt("name"),
        price: f.opt("price").map(|p| typed_price(&p)),
        currency: None,
        unit: f.opt("unit"),
        availability: f.opt("availability"),
        description: f.opt("description"),
        stock,
        gtin: f.opt("gtin"),
        category: f.opt("category"),
        tags: Some(tags_of(&f)),
        sku: f.opt("sku"),
    };
    let caller = v.caller();
    let product = match products::create(&v.node, &caller, &slug, input).await {
        Ok(p) => p,
        Err(e @ (Error::Invalid(_) | Error::Conflict { .. })) => {
            let lines = v.error_lines(&e);
            return product_page(&v, &m, None, ProductForm::from_fields(&f), lines);
        }
        Err(e) => return v.error(e),
    };
    let id = product.id.to_string();
    if let Err(e) = add_photos(&v, &id, photos, f.opt("name")).await {
        return match products::get(&v.node, &id).await {
            Ok(p) => {
                let lines = v.error_lines(&e);
                product_page(&v, &m, Some(&p), ProductForm::of(&p, v.lang), lines)
            }
            Err(e) => v.error(e),
        };
    }
    Visit::done(&format!("/dashboard/shops/{slug}"), "created")
}

/// The product `id` and its shop, if the person may change its products.
async fn product_for(v: &Visit, id: &str) -> Result<(Product, Merchant), Response> {
    v.signed()?;
    let p = products::get(&v.node, id).await.map_err(|e| v.error(e))?;
    p.check_local().map_err(|e| v.error(e))?;
    allow(&v.caller(), Action::EditProducts(p.merchant_id)).map_err(|e| v.error(e))?;
    let m = merchants::get(&v.node, &p.merchant_slug)
        .await
        .map_err(|e| v.error(e))?;
    Ok((p, m))
}

/// `GET /dashboard/products/{id}`.
pub async fn edit_product(v: Visit, Path(id): Path<String>) -> Response {
    match product_for(&v, &id).await {
        Ok((p, m)) => {
            let f = ProductForm::of(&p, v.lang);
            product_page(&v, &m, Some(&p), f, vec![])
        }
        Err(r) => r,
    }
}

/// `POST /dashboard/products/{id}`: saves the fields, adds new photos.
pub async fn update_product(v: Visit, Path(id): Path<String>, form: Multipart) -> Response {
    let (p, m) = match product_for(&v, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (f, photos) = match read_multipart(&v, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let again = |v: &Visit, e: &Error| {
        let lines = v.error_lines(e);
        product_page(v, &m, Some(&p), ProductForm::from_fields(&f), lines)
    };
    if p.images.len() + photos.len() > images::MAX_IMAGES as usize {
        return again(
            &v,
            &Error::field("photo", format!("at most {} photos", images::MAX_IMAGES)),
        );
    }
    let stock = match stock_of(&f) {
        Ok(s) => s,
        Err(e) => return again(&v, &e),
    };
    let opt = |name: &str| match f.opt(name) {
        Some(x) => Patch::Set(x),
        None => Patch::Clear,
    };
    let patch = ProductPatch {
        name: opt("name"),
        price: opt("price").map_set(|p| typed_price(&p)),
        unit: opt("unit"),
        availability: opt("availability"),
        description: opt("description"),
        stock: match stock {
            Some(s) => Patch::Set(s),
            None => Patch::Clear,
        },
        gtin: opt("gtin"),
        category: opt("category"),
        tags: Patch::Set(tags_of(&f)),
        sku: opt("sku"),
        ..ProductPatch::default()
    };
    let caller = v.caller();
    match products::update(&v.node, &caller, &id, None, patch).await {
        Ok(_) => {}
        Err(e @ (Error::Invalid(_) | Error::Conflict { .. })) => return again(&v, &e),
        Err(e) => return v.error(e),
    }
    if let Err(e) = add_photos(&v, &id, photos, f.opt("name")).await {
        return again(&v, &e);
    }
    Visit::done(&format!("/dashboard/products/{id}"), "saved")
}

trait MapSet<T> {
    fn map_set(self, f: impl FnOnce(T) -> T) -> Patch<T>;
}

impl<T> MapSet<T> for Patch<T> {
    fn map_set(self, f: impl FnOnce(T) -> T) -> Patch<T> {
        match self {
            Patch::Set(x) => Patch::Set(f(x)),
            other => other,
        }
    }
}

/// `POST /dashboard/products/{id}/quick`: price, stock and availability from the list (or
/// the one-tap "sold out").
pub async fn quick_edit(v: Visit, Path(id): Path<String>, body: Bytes) -> Response {
    let (p, _) = match product_for(&v, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
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
    match products::update(&v.node, &caller, &id, None, patch).await {
        Ok(_) => Visit::done(&format!("/dashboard/shops/{}", p.merchant_slug), "saved"),
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
    match products::delete(&v.node, &v.caller(), &id, None).await {
        Ok(()) => Visit::done(&format!("/dashboard/shops/{}", p.merchant_slug), "deleted"),
        Err(e) => v.error(e),
    }
}

/// `POST /dashboard/products/{id}/photos/{image}/delete`.
pub async fn delete_photo(
    v: Visit,
    Path((id, image)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = v.signed() {
        return r;
    }
    if let Err(r) = v.form(&body) {
        return r;
    }
    match images::delete(&v.node, &v.caller(), &id, &image).await {
        Ok(()) => Visit::done(&format!("/dashboard/products/{id}"), "deleted"),
        Err(e) => v.error(e),
    }
}
