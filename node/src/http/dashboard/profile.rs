//! A shop's profile: its fields, the opening-hours editor and the map pin.

use askama::Template;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;

use super::wares::{categories, shop_dash, shop_for};
use super::{Dash, Fields, Visit};
use crate::domain::authz::Action;
use crate::domain::merchants;
use crate::error::Error;
use crate::model::input::{AddressPatch, MerchantPatch};
use crate::model::merchant::{Geo, Merchant};
use crate::model::patch::Patch;
use crate::present::{hours, Lang};

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
            tiles: v.node.cx.site().tile_url.clone(),
            attribution: v.node.cx.site().tile_attribution.clone(),
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
    match merchants::update(&v.node.cx, &v.caller(), &slug, patch).await {
        Ok(_) => Visit::done(&format!("/dashboard/shops/{slug}/profile"), "saved"),
        Err(e @ (Error::Invalid(_) | Error::Conflict { .. })) => {
            let lines = v.error_lines(&e);
            profile_page(&v, &m, form, &week, other, lines)
        }
        Err(e) => v.error(e),
    }
}
