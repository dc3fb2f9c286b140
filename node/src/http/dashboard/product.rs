//! A product's form in the dashboard, phone-first: create, edit, photos (added with the form,
//! removed one by one).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::Response;

use super::wares::{
    availabilities, categories, price_input, product_for, shop_dash, shop_for, stock_of,
};
use super::{read_multipart, Dash, Fields, Visit};
use crate::domain::authz::Action;
use crate::domain::{images, products};
use crate::error::Error;
use crate::model::input::{typed_price, ProductCreate, ProductPatch};
use crate::model::merchant::Merchant;
use crate::model::patch::Patch;
use crate::model::product::Product;
use crate::present::{self, Lang};
use etal_protocol::Unit;

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
                    src: v.node.cx.urls.media(&i.variant("small").path).to_string(),
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

fn tags_of(f: &Fields) -> Vec<String> {
    f.get("tags")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
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
        images::upload(&v.node.cx, &caller, id, data, alt.clone()).await?;
    }
    Ok(())
}

/// `POST /dashboard/shops/{slug}/products/new`: creates the product, then adds its photos.
pub async fn create_product(v: Visit, Path(slug): Path<String>, form: Multipart) -> Response {
    let m = match shop_for(&v, &slug, Action::EditProducts).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let (f, photos, _buffered) =
        match read_multipart(&v, form, crate::media::MAX_UPLOAD_BYTES).await {
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
    let product = match products::create(&v.node.cx, &caller, &slug, input).await {
        Ok(p) => p,
        Err(e @ (Error::Invalid(_) | Error::Conflict { .. })) => {
            let lines = v.error_lines(&e);
            return product_page(&v, &m, None, ProductForm::from_fields(&f), lines);
        }
        Err(e) => return v.error(e),
    };
    let id = product.id.to_string();
    if let Err(e) = add_photos(&v, &id, photos, f.opt("name")).await {
        return match products::get(&v.node.cx, &id).await {
            Ok(p) => {
                let lines = v.error_lines(&e);
                product_page(&v, &m, Some(&p), ProductForm::of(&p, v.lang), lines)
            }
            Err(e) => v.error(e),
        };
    }
    Visit::done(&format!("/dashboard/shops/{slug}"), "created")
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
    let (f, photos, _buffered) =
        match read_multipart(&v, form, crate::media::MAX_UPLOAD_BYTES).await {
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
    match products::update(&v.node.cx, &caller, &id, None, patch).await {
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
    match images::delete(&v.node.cx, &v.caller(), &id, &image).await {
        Ok(()) => Visit::done(&format!("/dashboard/products/{id}"), "deleted"),
        Err(e) => v.error(e),
    }
}
