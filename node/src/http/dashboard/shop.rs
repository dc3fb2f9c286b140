//! A shop's pages: products (list with quick edits, form with photos), profile (with the
//! hours editor and map pin), people and API tokens, and the fediverse panel.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::{Dash, Fields, ShopTab, Visit};
use crate::db;
use crate::domain::authz::{allow, Action};
use crate::domain::{accounts, auth, images, merchants, products};
use crate::error::Error;
use crate::model::account::Role;
use crate::model::input::{AddressPatch, MerchantPatch, ProductCreate, ProductPatch};
use crate::model::merchant::{Geo, Merchant};
use crate::model::patch::Patch;
use crate::model::product::{ListQuery, Product};
use crate::present::{self, hours, Lang};
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
            .into_response_ext();
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

trait IntoResponseExt {
    fn into_response_ext(self) -> Response;
}

impl<T: axum::response::IntoResponse> IntoResponseExt for T {
    fn into_response_ext(self) -> Response {
        self.into_response()
    }
}

/// The shop `slug`, if the signed-in person may do `action` there.
async fn shop_for(v: &Visit, slug: &str, action: fn(Uuid) -> Action) -> Result<Merchant, Response> {
    v.signed()?;
    let m = merchants::get(&v.node, slug)
        .await
        .map_err(|e| v.error(e))?;
    allow(&v.caller(), action(m.id)).map_err(|e| v.error(e))?;
    Ok(m)
}

/// The chrome of a shop's page.
fn shop_dash(v: &Visit, m: &Merchant, tab: &'static str) -> Dash {
    let mut d = v.dash(tab);
    d.shop = Some(ShopTab {
        slug: m.slug.clone(),
        name: m.fields.name.clone(),
        owner: allow(&v.caller(), Action::EditShop(m.id)).is_ok(),
    });
    d
}

fn availabilities(lang: Lang) -> Vec<(&'static str, &'static str)> {
    Availability::ALL
        .iter()
        .map(|a| (a.as_str(), present::availability(*a, lang)))
        .collect()
}

fn categories(lang: Lang) -> Vec<(String, String)> {
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

/// A typed price back to the API's decimal string: `3,20 €` → `3.20`.
fn price_text(raw: &str) -> String {
    raw.trim()
        .trim_end_matches('€')
        .trim()
        .replace([' ', '\u{a0}', '\u{202f}'], "")
        .replace(',', ".")
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

fn stock_of(f: &Fields) -> Result<Option<i64>, Error> {
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
        price: f.opt("price").map(|p| price_text(&p)),
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
        price: opt("price").map_set(|p| price_text(&p)),
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
        patch.price = Patch::Set(price_text(&price));
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

/// What the profile form shows.
struct ProfileForm {
    name: String,
    description: String,
    category: String,
    street: String,
    postal_code: String,
    city: String,
    lat: String,
    lon: String,
    phone: String,
    email: String,
    website: String,
    siret: String,
    indexable: bool,
}

struct DayRow {
    index: usize,
    name: String,
    a: String,
    b: String,
    c: String,
    d: String,
}

#[derive(Template)]
#[template(path = "dash/profile.html")]
struct ProfilePage {
    d: Dash,
    title: String,
    f: ProfileForm,
    categories: Vec<(String, String)>,
    week: Vec<DayRow>,
    other_hours: Vec<String>,
    tiles: String,
    attribution: String,
}

fn week_rows(lang: Lang, week: &hours::Week) -> Vec<DayRow> {
    let names: Vec<&str> = super::words::words(lang).days.split(',').collect();
    (0..7)
        .map(|i| {
            let r = &week[i];
            let at = |k: usize, open: bool| {
                r.get(k)
                    .map(|&(o, c)| hours::hhmm(if open { o } else { c }))
                    .unwrap_or_default()
            };
            DayRow {
                index: i,
                name: names.get(i).copied().unwrap_or_default().to_string(),
                a: at(0, true),
                b: at(0, false),
                c: at(1, true),
                d: at(1, false),
            }
        })
        .collect()
}

fn profile_page(
    v: &Visit,
    m: &Merchant,
    f: ProfileForm,
    week: &hours::Week,
    other: Vec<String>,
    errors: Vec<String>,
) -> Response {
    let mut d = shop_dash(v, m, "profile");
    d.scripts = vec![
        super::super::pages::assets::url("leaflet/leaflet.js"),
        super::super::pages::assets::url("dash.js"),
    ];
    d.styles = vec![super::super::pages::assets::url("leaflet/leaflet.css")];
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    d.errors = errors;
    v.render(
        status,
        &ProfilePage {
            d,
            title: v.w().profile.into(),
            f,
            categories: categories(v.lang),
            week: week_rows(v.lang, week),
            other_hours: other,
            tiles: v.node.site().tile_url.clone(),
            attribution: v.node.site().tile_attribution.clone(),
        },
    )
}

/// `GET /dashboard/shops/{slug}/profile`.
pub async fn profile(v: Visit, Path(slug): Path<String>) -> Response {
    let m = match shop_for(&v, &slug, Action::EditShop).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let x = &m.fields;
    let f = ProfileForm {
        name: x.name.clone(),
        description: x.description.clone().unwrap_or_default(),
        category: x.category.clone().unwrap_or_default(),
        street: x.address.street.clone().unwrap_or_default(),
        postal_code: x.address.postal_code.clone(),
        city: x.address.city.clone(),
        lat: x.geo.map(|g| g.lat.to_string()).unwrap_or_default(),
        lon: x.geo.map(|g| g.lon.to_string()).unwrap_or_default(),
        phone: x.phone.clone().unwrap_or_default(),
        email: x.email.clone().unwrap_or_default(),
        website: x.website.clone().unwrap_or_default(),
        siret: x.siret.clone().unwrap_or_default(),
        indexable: x.indexable,
    };
    let (week, other) = hours::week_of(&x.opening_hours);
    profile_page(&v, &m, f, &week, other, vec![])
}

/// Reads the hours editor: for each day, up to two ranges of `HH:MM` inputs.
fn week_from(f: &Fields) -> Result<hours::Week, Error> {
    let map = f.as_map();
    let mut week: hours::Week = Default::default();
    for (day, ranges) in week.iter_mut().enumerate() {
        for (open, close) in [("a", "b"), ("c", "d")] {
            let o = map
                .get(format!("h{day}{open}").as_str())
                .copied()
                .unwrap_or("");
            let c = map
                .get(format!("h{day}{close}").as_str())
                .copied()
                .unwrap_or("");
            match (o.trim().is_empty(), c.trim().is_empty()) {
                (true, true) => {}
                (false, false) => {
                    let (Some(o), Some(c)) = (hours::minutes(o), hours::minutes(c)) else {
                        return Err(Error::field("opening_hours", "times are written HH:MM"));
                    };
                    if o == c {
                        return Err(Error::field(
                            "opening_hours",
                            "a slot must close after it opens",
                        ));
                    }
                    ranges.push((o, c));
                }
                _ => {
                    return Err(Error::field(
                        "opening_hours",
                        "each slot needs an opening and a closing time",
                    ))
                }
            }
        }
    }
    Ok(week)
}

/// `POST /dashboard/shops/{slug}/profile`.
pub async fn save_profile(v: Visit, Path(slug): Path<String>, body: Bytes) -> Response {
    let m = match shop_for(&v, &slug, Action::EditShop).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let form = ProfileForm {
        name: f.get("name").into(),
        description: f.get("description").into(),
        category: f.get("category").into(),
        street: f.get("street").into(),
        postal_code: f.get("postal_code").into(),
        city: f.get("city").into(),
        lat: f.get("lat").into(),
        lon: f.get("lon").into(),
        phone: f.get("phone").into(),
        email: f.get("email").into(),
        website: f.get("website").into(),
        siret: f.get("siret").into(),
        indexable: f.get("indexable") == "1",
    };
    let other = f.all("hours_other");
    let (week, hours_error) = match week_from(&f) {
        Ok(w) => (w, None),
        Err(e) => (hours::week_of(&m.fields.opening_hours).0, Some(e)),
    };
    let decimal = |s: &str| s.trim().replace(',', ".").parse::<f64>().ok();
    let geo = match (f.opt("lat"), f.opt("lon")) {
        (None, None) => Ok(Patch::Clear),
        (Some(a), Some(b)) => match (decimal(&a), decimal(&b)) {
            (Some(lat), Some(lon)) => Ok(Patch::Set(Geo { lat, lon })),
            _ => Err(Error::field(
                "geo",
                "latitude and longitude are decimal numbers",
            )),
        },
        _ => Err(Error::field(
            "geo",
            "give both the latitude and the longitude, or neither",
        )),
    };
    let first_error = hours_error.or_else(|| {
        geo.as_ref()
            .err()
            .map(|e| Error::field("geo", e.to_string()))
    });
    if let Some(e) = first_error {
        let lines = match &e {
            Error::Invalid(_) => v.error_lines(&e),
            other => vec![other.to_string()],
        };
        return profile_page(&v, &m, form, &week, other, lines);
    }
    let mut values = hours::values_of(&week);
    values.extend(other.iter().cloned());
    let opt = |name: &str| match f.opt(name) {
        Some(x) => Patch::Set(x),
        None => Patch::Clear,
    };
    let patch = MerchantPatch {
        name: opt("name"),
        description: opt("description"),
        category: opt("category"),
        address: Patch::Set(AddressPatch {
            street: opt("street"),
            postal_code: opt("postal_code"),
            city: opt("city"),
            ..AddressPatch::default()
        }),
        geo: geo.unwrap_or(Patch::Keep),
        phone: opt("phone"),
        email: opt("email"),
        website: opt("website"),
        opening_hours: Patch::Set(values),
        siret: opt("siret"),
        indexable: Patch::Set(form.indexable),
        ..MerchantPatch::default()
    };
    match merchants::update(&v.node, &v.caller(), &slug, patch).await {
        Ok(_) => Visit::done(&format!("/dashboard/shops/{slug}/profile"), "saved"),
        Err(e @ (Error::Invalid(_) | Error::Conflict { .. })) => {
            let lines = v.error_lines(&e);
            profile_page(&v, &m, form, &week, other, lines)
        }
        Err(e) => v.error(e),
    }
}

struct PersonRow {
    id: String,
    email: String,
    role: String,
    active: bool,
    removable: bool,
}

struct TokenRow {
    id: String,
    name: String,
    created: String,
}

#[derive(Template)]
#[template(path = "dash/people.html")]
struct PeoplePage {
    d: Dash,
    title: String,
    slug: String,
    people: Vec<PersonRow>,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
}

async fn people_page(
    v: &Visit,
    m: &Merchant,
    status: StatusCode,
    new_token: Option<String>,
    flash: Option<String>,
    errors: Vec<String>,
) -> Response {
    let caller = v.caller();
    let people = match accounts::people(&v.node, &caller, m.id).await {
        Ok(p) => p,
        Err(e) => return v.error(e),
    };
    let tokens = match auth::tokens_of(&v.node, &caller, m.id).await {
        Ok(t) => t,
        Err(e) => return v.error(e),
    };
    let me = caller.person().map(|p| p.id);
    let w = v.w();
    let mut d = shop_dash(v, m, "people");
    d.errors = errors;
    if flash.is_some() {
        d.flash = flash;
    }
    v.render(
        status,
        &PeoplePage {
            d,
            title: w.people_title.into(),
            slug: m.slug.clone(),
            people: people
                .into_iter()
                .map(|p| PersonRow {
                    id: p.user_id.to_string(),
                    removable: Some(p.user_id) != me,
                    email: p.email,
                    role: match p.role {
                        Role::Owner => w.role_owner,
                        Role::Staff => w.role_staff,
                    }
                    .into(),
                    active: p.active,
                })
                .collect(),
            tokens: tokens
                .into_iter()
                .map(|t| TokenRow {
                    id: t.id.to_string(),
                    name: t.name,
                    created: db::time(t.created_at).format("%Y-%m-%d").to_string(),
                })
                .collect(),
            new_token,
        },
    )
}

/// `GET /dashboard/shops/{slug}/people`: people and API tokens.
pub async fn people(v: Visit, Path(slug): Path<String>) -> Response {
    match shop_for(&v, &slug, Action::ManagePeople).await {
        Ok(m) => people_page(&v, &m, StatusCode::OK, None, None, vec![]).await,
        Err(r) => r,
    }
}

/// `POST /dashboard/shops/{slug}/people`: invites someone.
pub async fn invite(v: Visit, Path(slug): Path<String>, body: Bytes) -> Response {
    let m = match shop_for(&v, &slug, Action::ManagePeople).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let role = Role::parse(f.get("role")).unwrap_or(Role::Staff);
    match accounts::invite(&v.node, &v.caller(), f.get("email"), Some((m.id, role))).await {
        Ok(None) => Visit::done(&format!("/dashboard/shops/{slug}/people"), "invited"),
        Ok(Some(link)) => match super::send_link(&v.node, v.lang, &link, true).await {
            Ok(None) if !v.node.mail.can_mail() => {
                Visit::done(&format!("/dashboard/shops/{slug}/people"), "invited_logged")
            }
            Ok(None) => Visit::done(&format!("/dashboard/shops/{slug}/people"), "invited"),
            Ok(Some(url)) => {
                let text = format!("{} {url}", v.w().invite_logged);
                people_page(&v, &m, StatusCode::OK, None, Some(text), vec![]).await
            }
            Err(e) => v.error(e),
        },
        Err(e @ Error::Invalid(_)) => {
            let lines = v.error_lines(&e);
            people_page(&v, &m, StatusCode::UNPROCESSABLE_ENTITY, None, None, lines).await
        }
        Err(e) => v.error(e),
    }
}

/// `POST /dashboard/shops/{slug}/people/{user}/remove`.
pub async fn remove_person(
    v: Visit,
    Path((slug, user)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let m = match shop_for(&v, &slug, Action::ManagePeople).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = v.form(&body) {
        return r;
    }
    let Ok(user) = Uuid::parse_str(&user) else {
        return v.error(Error::NotFound("no such person".into()));
    };
    match accounts::remove_person(&v.node, &v.caller(), m.id, user).await {
        Ok(()) => Visit::done(&format!("/dashboard/shops/{slug}/people"), "deleted"),
        Err(e) => v.error(e),
    }
}

/// `POST /dashboard/shops/{slug}/tokens`: shows the new token once.
pub async fn create_token(v: Visit, Path(slug): Path<String>, body: Bytes) -> Response {
    let m = match shop_for(&v, &slug, Action::ManageTokens).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match auth::create_shop_token(&v.node, &v.caller(), &slug, f.get("name")).await {
        Ok(token) => people_page(&v, &m, StatusCode::OK, Some(token), None, vec![]).await,
        Err(e @ Error::Invalid(_)) => {
            let lines = v.error_lines(&e);
            people_page(&v, &m, StatusCode::UNPROCESSABLE_ENTITY, None, None, lines).await
        }
        Err(e) => v.error(e),
    }
}

/// `POST /dashboard/shops/{slug}/tokens/{id}/revoke`.
pub async fn revoke_token(
    v: Visit,
    Path((slug, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let m = match shop_for(&v, &slug, Action::ManageTokens).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = v.form(&body) {
        return r;
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return v.error(Error::NotFound("no such token".into()));
    };
    match auth::revoke(&v.node, &v.caller(), m.id, id).await {
        Ok(()) => Visit::done(&format!("/dashboard/shops/{slug}/people"), "revoked"),
        Err(e) => v.error(e),
    }
}

struct FollowerRow {
    url: String,
    name: String,
}

struct InteractionRow {
    id: String,
    answered: bool,
    kind: String,
    actor: String,
    actor_name: String,
    product: Option<String>,
    content: Option<String>,
}

#[derive(Template)]
#[template(path = "dash/fediverse.html")]
struct FediversePage {
    d: Dash,
    title: String,
    slug: String,
    can_answer: bool,
    handle: String,
    followers_text: String,
    followers: Vec<FollowerRow>,
    interactions: Vec<InteractionRow>,
}

/// Text of sanitised reply HTML: tags dropped, entities read.
pub(super) fn plain_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `GET /dashboard/shops/{slug}/fediverse`: followers, likes, boosts and replies.
pub async fn fediverse(v: Visit, Path(slug): Path<String>) -> Response {
    let m = match shop_for(&v, &slug, Action::ReadAudience).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let audience = match crate::domain::audience::panel(&v.node, &v.caller(), m.id).await {
        Ok(a) => a,
        Err(e) => return v.error(e),
    };
    let answered = crate::domain::audience::answered(&v.node, m.id)
        .await
        .unwrap_or_default();
    let w = v.w();
    let n = audience.follower_count;
    v.render(
        StatusCode::OK,
        &FediversePage {
            d: shop_dash(&v, &m, "fediverse"),
            title: w.fediverse_title.into(),
            slug: m.slug.clone(),
            can_answer: allow(&v.caller(), Action::AnswerReplies(m.id)).is_ok(),
            handle: format!("@{}@{}", m.slug, v.node.urls.host()),
            followers_text: format!(
                "{n} {}",
                if n == 1 {
                    w.followers_one
                } else {
                    w.followers_many
                }
            ),
            followers: audience
                .followers
                .into_iter()
                .map(|(url, name)| FollowerRow { url, name })
                .collect(),
            interactions: audience
                .interactions
                .into_iter()
                .map(|(i, product)| InteractionRow {
                    id: i.id.to_string(),
                    answered: answered.contains(&i.id),
                    kind: match i.kind.as_str() {
                        "like" => w.like,
                        "announce" => w.announce,
                        _ => w.reply,
                    }
                    .into(),
                    actor_name: i.actor.clone(),
                    actor: i.actor,
                    product,
                    content: i.content.map(|c| plain_text(&c)),
                })
                .collect(),
        },
    )
}

struct ReportRow {
    line: usize,
    column: String,
    message: String,
}

struct ReportView {
    summary: String,
    rows: Vec<ReportRow>,
}

#[derive(Template)]
#[template(path = "dash/import.html")]
struct ImportPage {
    d: Dash,
    title: String,
    slug: String,
    report: Option<ReportView>,
}

/// `GET /dashboard/shops/{slug}/import`.
pub async fn import_form(v: Visit, Path(slug): Path<String>) -> Response {
    match shop_for(&v, &slug, Action::EditProducts).await {
        Ok(m) => v.render(
            StatusCode::OK,
            &ImportPage {
                d: shop_dash(&v, &m, "import"),
                title: v.w().import_title.into(),
                slug: m.slug.clone(),
                report: None,
            },
        ),
        Err(r) => r,
    }
}

/// `POST /dashboard/shops/{slug}/import`: imports a CSV file and shows the report.
pub async fn import(v: Visit, Path(slug): Path<String>, form: Multipart) -> Response {
    let m = match shop_for(&v, &slug, Action::EditProducts).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let (f, files) = match read_multipart(&v, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(file) = files.into_iter().next() else {
        return v.error(Error::field("file", "choose a CSV file"));
    };
    let valid_only = f.get("valid_only") == "1";
    let report = match crate::domain::spreadsheet::import(
        &v.node,
        &v.caller(),
        &slug,
        file,
        valid_only,
        &mut |_| {},
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return v.error(e),
    };
    let w = v.w();
    let summary = if report.written || report.bad_rows == 0 {
        match v.lang {
            Lang::Fr => format!(
                "{} lignes lues : {} produits ajoutés, {} modifiés, {} inchangés, {} lignes refusées.",
                report.rows, report.created, report.updated, report.unchanged, report.bad_rows
            ),
            Lang::En => format!(
                "{} rows read: {} products added, {} changed, {} unchanged, {} rows refused.",
                report.rows, report.created, report.updated, report.unchanged, report.bad_rows
            ),
        }
    } else {
        format!(
            "{} ({} / {})",
            w.import_refused, report.bad_rows, report.rows
        )
    };
    let status = if report.written || report.bad_rows == 0 {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    v.render(
        status,
        &ImportPage {
            d: shop_dash(&v, &m, "import"),
            title: w.import_title.into(),
            slug: m.slug.clone(),
            report: Some(ReportView {
                summary,
                rows: report
                    .errors
                    .into_iter()
                    .map(|e| ReportRow {
                        line: e.line,
                        column: e.column,
                        message: e.message,
                    })
                    .collect(),
            }),
        },
    )
}

/// `GET /dashboard/shops/{slug}/products.csv`: the catalogue as a spreadsheet.
pub async fn export(v: Visit, Path(slug): Path<String>) -> Response {
    if let Err(r) = v.signed() {
        return r;
    }
    match crate::domain::spreadsheet::export(&v.node, &v.caller(), &slug).await {
        Ok(csv) => {
            use axum::http::{header, HeaderValue};
            let mut res = csv.into_response_ext();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"{slug}-products.csv\""))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => v.error(e),
    }
}

/// `POST /dashboard/shops/{slug}/replies/{id}`: answers a reply as the shop.
pub async fn answer_reply(
    v: Visit,
    Path((slug, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = shop_for(&v, &slug, Action::AnswerReplies).await {
        return r;
    }
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return v.error(Error::NotFound("no such reply".into()));
    };
    match crate::federation::replies::answer(&v.node, &v.caller(), &slug, id, f.get("content"))
        .await
    {
        Ok(_) => Visit::done(&format!("/dashboard/shops/{slug}/fediverse"), "answered"),
        Err(e) => v.error(e),
    }
}

/// `GET /dashboard/shops/{slug}/products.xlsx`: the catalogue as an Excel workbook.
pub async fn export_xlsx(v: Visit, Path(slug): Path<String>) -> Response {
    if let Err(r) = v.signed() {
        return r;
    }
    match crate::domain::spreadsheet::export_xlsx(&v.node, &v.caller(), &slug).await {
        Ok(bytes) => {
            use axum::http::{header, HeaderValue};
            let mut res = bytes.into_response_ext();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"{slug}-products.xlsx\""))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => v.error(e),
    }
}
