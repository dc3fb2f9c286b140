//! The merchant and admin space: sign-in and account pages (`/login`, `/account/…`) and the
//! dashboard (`/dashboard/…`), rendered on the server, phone-first, usable without
//! JavaScript.
//!
//! Every write goes through `domain` with a [`Caller::Person`], so the dashboard and the API
//! are allowed the same things by the same function (`domain::authz::allow`). Every POST is
//! checked (by [`Visit`], in `visit.rs`) before it is read: a cross-site request is refused (`Sec-Fetch-Site`, then
//! `Origin`), and its `_csrf` field must match the session's token (or, before sign-in, the
//! `etal_csrf` cookie).

// Checks here end a request with the page to show (a redirect to sign in, a refusal): the
// response is the natural error value, large as it is.
#![allow(clippy::result_large_err)]

mod account;
mod admin;
mod fediverse;
mod moderation;
mod people;
mod product;
mod profile;
mod reservations;
mod sheets;
mod shop;
mod signup;
mod visit;
mod voucher_admin;
mod vouchers;
mod wares;
pub mod words;

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::domain::accounts;
use crate::error::Error;
use crate::http::Node;
use crate::media::MAX_UPLOAD_BYTES;
use crate::present::Lang;
use words::Words;

pub use visit::Visit;

/// The session cookie.
pub const SESSION_COOKIE: &str = "etal_session";
/// The cookie that carries the CSRF token of forms shown before sign-in.
pub const CSRF_COOKIE: &str = "etal_csrf";
/// The cookie of a browser where someone signed in (see `domain::accounts::sign_in`).
pub const DEVICE_COOKIE: &str = "etal_device";

/// Largest dashboard form: four photos and the fields.
const MAX_PRODUCT_FORM: usize = 4 * MAX_UPLOAD_BYTES + 256 * 1024;
/// Largest spreadsheet import.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// Routes of the account pages and the dashboard.
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route(
            "/account/sign-out-everywhere",
            post(account::sign_out_everywhere),
        )
        .route(
            "/account/welcome/{secret}",
            get(account::welcome_form).post(account::welcome),
        )
        .route(
            "/account/reset",
            get(account::forgot_form).post(account::forgot),
        )
        .route(
            "/account/reset/{secret}",
            get(account::reset_form).post(account::reset),
        )
        .route("/signup", get(signup::signup_form).post(signup::signup))
        .route(
            "/account/confirm/{secret}",
            get(signup::confirm_form).post(signup::confirm),
        )
        .route(
            "/dashboard/admin/signups/{id}/{action}",
            post(admin::decide_signup),
        )
        .route("/dashboard", get(shop::home))
        .route("/dashboard/shops/{slug}", get(shop::products))
        .route(
            "/dashboard/shops/{slug}/products/new",
            get(product::new_product)
                .post(product::create_product)
                .layer(DefaultBodyLimit::max(MAX_PRODUCT_FORM)),
        )
        .route(
            "/dashboard/products/{id}",
            get(product::edit_product)
                .post(product::update_product)
                .layer(DefaultBodyLimit::max(MAX_PRODUCT_FORM)),
        )
        .route("/dashboard/products/{id}/quick", post(shop::quick_edit))
        .route(
            "/dashboard/products/{id}/delete",
            post(shop::delete_product),
        )
        .route(
            "/dashboard/products/{id}/photos/{image}/delete",
            post(product::delete_photo),
        )
        .route(
            "/dashboard/shops/{slug}/profile",
            get(profile::profile).post(profile::save_profile),
        )
        .route(
            "/dashboard/shops/{slug}/people",
            get(people::people).post(people::invite),
        )
        .route(
            "/dashboard/shops/{slug}/people/{user}/remove",
            post(people::remove_person),
        )
        .route("/dashboard/shops/{slug}/tokens", post(people::create_token))
        .route(
            "/dashboard/shops/{slug}/reservations",
            get(reservations::list),
        )
        .route(
            "/dashboard/shops/{slug}/vouchers",
            get(vouchers::page).post(vouchers::redeem),
        )
        .route(
            "/dashboard/shops/{slug}/vouchers/scan",
            post(vouchers::scan).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route(
            "/dashboard/shops/{slug}/vouchers/redemptions/{id}/cancel",
            post(vouchers::cancel),
        )
        .route(
            "/dashboard/shops/{slug}/vouchers/campaigns/{id}/{what}",
            post(vouchers::answer),
        )
        .route(
            "/dashboard/admin/vouchers",
            get(voucher_admin::admin_list).post(voucher_admin::admin_create),
        )
        .route(
            "/dashboard/admin/vouchers/{id}",
            get(voucher_admin::admin_campaign),
        )
        .route(
            "/dashboard/admin/vouchers/{id}/{what}",
            get(voucher_admin::admin_export).post(voucher_admin::admin_act),
        )
        .route(
            "/dashboard/shops/{slug}/reservations/settings",
            get(reservations::settings).post(reservations::save_settings),
        )
        .route(
            "/dashboard/shops/{slug}/reservations/{id}/{action}",
            post(reservations::act),
        )
        .route(
            "/dashboard/shops/{slug}/tokens/{id}/revoke",
            post(people::revoke_token),
        )
        .route(
            "/dashboard/shops/{slug}/fediverse",
            get(fediverse::fediverse),
        )
        .route(
            "/dashboard/shops/{slug}/replies/{id}",
            post(fediverse::answer_reply),
        )
        .route(
            "/dashboard/shops/{slug}/import",
            get(sheets::import_form)
                .post(sheets::import)
                .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route("/dashboard/shops/{slug}/products.csv", get(sheets::export))
        .route(
            "/dashboard/shops/{slug}/products.xlsx",
            get(sheets::export_xlsx),
        )
        .route("/dashboard/admin", get(admin::shops))
        .route("/dashboard/admin/shops", post(admin::create_shop))
        .route(
            "/dashboard/admin/shops/{slug}/{action}",
            post(admin::shop_action),
        )
        .route(
            "/dashboard/admin/people",
            get(admin::accounts).post(admin::invite_admin),
        )
        .route(
            "/dashboard/admin/blocks",
            get(moderation::blocks).post(moderation::block),
        )
        .route(
            "/dashboard/admin/blocks/{host}/remove",
            post(moderation::unblock),
        )
        .route("/dashboard/admin/moderation", get(moderation::replies))
        .route("/dashboard/admin/people/{id}/invite", post(admin::reinvite))
        .route(
            "/dashboard/admin/settings",
            get(admin::settings)
                .post(admin::save_settings)
                .layer(DefaultBodyLimit::max(
                    crate::domain::site::MAX_LOGO_BYTES + 64 * 1024,
                )),
        )
        .route(
            "/dashboard/admin/moderation/{id}/{action}",
            post(moderation::moderate),
        )
}

/// The url-encoded fields of a form (repeated names kept in order).
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &[u8]) -> Fields {
        Fields(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The trimmed value of `name`, `None` when empty.
    pub fn opt(&self, name: &str) -> Option<String> {
        let v = self.get(name).trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn insert(&mut self, name: &str, value: String) {
        self.0.push((name.to_string(), value));
    }

    fn as_map(&self) -> HashMap<&str, &str> {
        self.0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

/// A multipart form's fields and photos, after its CSRF token is checked.
pub(super) async fn read_multipart(
    v: &Visit,
    mut form: Multipart,
    max_file: usize,
) -> Result<(Fields, Vec<Bytes>, crate::media::Buffered), Response> {
    v.check_origin()?;
    let mut fields = Fields::default();
    let mut photos = Vec::new();
    // What the files hold counts against the node's budget for uploads in memory.
    let mut buffered = crate::media::Buffered::default();
    let too_large = |v: &Visit| {
        v.message(
            StatusCode::PAYLOAD_TOO_LARGE,
            v.w().error_title,
            &match v.lang {
                Lang::Fr => format!(
                    "Un fichier de ce formulaire dépasse {} Mo, la taille acceptée.",
                    max_file / 1024 / 1024
                ),
                Lang::En => format!(
                    "A file of this form is over {} MB, the size accepted.",
                    max_file / 1024 / 1024
                ),
            },
        )
    };
    let bad = |v: &Visit, e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(v)
        } else {
            v.message(StatusCode::BAD_REQUEST, v.w().error_title, &e.body_text())
        }
    };
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(bad(v, e)),
        };
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field.file_name().is_some();
        // Each part is read chunk by chunk and refused as soon as it is over its limit: a
        // file over `max_file`, a text field over 64 KiB.
        let limit = if is_file { max_file } else { 64 * 1024 };
        let mut data = bytes::BytesMut::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if data.len() + chunk.len() > limit {
                        return Err(too_large(v));
                    }
                    if let Err(busy) = buffered.grow(chunk.len()) {
                        let mut res = v.message(
                            StatusCode::SERVICE_UNAVAILABLE,
                            v.w().error_title,
                            &busy.to_string(),
                        );
                        res.headers_mut()
                            .insert(axum::http::header::RETRY_AFTER, 30.into());
                        return Err(res);
                    }
                    data.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(bad(v, e)),
            }
        }
        let data = data.freeze();
        if is_file {
            if !data.is_empty() && (name == "photo" || name == "file" || name == "logo") {
                photos.push(data);
            }
        } else {
            fields.insert(&name, String::from_utf8_lossy(&data).into_owned());
        }
    }
    v.check_token(fields.get("_csrf"))?;
    Ok((fields, photos, buffered))
}

/// What every dashboard page shows around its content.
pub struct Dash {
    lang: Lang,
    w: &'static Words,
    site_name: String,
    css: String,
    csrf: String,
    email: Option<String>,
    shop: Option<ShopTab>,
    admin_tabs: bool,
    tab: &'static str,
    switch_url: String,
    flash: Option<String>,
    errors: Vec<String>,
    scripts: Vec<String>,
    styles: Vec<String>,
    /// New reservations at the person's shops, and where to see them.
    waiting: i64,
    waiting_url: String,
}

/// The shop whose pages are open.
pub struct ShopTab {
    slug: String,
    name: String,
    owner: bool,
}

#[derive(Template)]
#[template(path = "dash/message.html")]
struct MessagePage {
    d: Dash,
    title: String,
    text: String,
    link: Option<(String, String)>,
}

/// Sends a message without making the request wait (nor telling, by how long it takes, whether
/// there was one to send).
fn mail_in_background(node: &Arc<Node>, to: String, subject: String, body: String) {
    let node = node.clone();
    tokio::spawn(async move {
        if let Err(e) = node.mail.send(&to, &subject, &body).await {
            tracing::error!(error = format!("{e:#}"), to, "cannot send mail");
        }
    });
}

/// Sends a one-time link by mail; without SMTP, shows it to whoever asked (an admin or owner
/// who invited someone) as the page's message.
async fn send_link(
    node: &Node,
    lang: Lang,
    link: &accounts::Link,
    invite: bool,
) -> Result<Option<String>, Error> {
    let site = &node.cx.site().name.clone();
    let (subject, body) = match (invite, lang) {
        (true, Lang::Fr) => (
            format!("Invitation : {site}"),
            format!(
                "Bonjour,\n\nVous êtes invité(e) à gérer une boutique sur {site}.\nChoisissez votre mot de passe ici (lien valable {} jours) :\n\n{}\n\n— {site}\n",
                accounts::INVITE_DAYS, link.url
            ),
        ),
        (true, Lang::En) => (
            format!("Invitation: {site}"),
            format!(
                "Hello,\n\nYou are invited to manage a shop on {site}.\nChoose your password here (the link works for {} days):\n\n{}\n\n— {site}\n",
                accounts::INVITE_DAYS, link.url
            ),
        ),
        (false, Lang::Fr) => (
            format!("Nouveau mot de passe : {site}"),
            format!(
                "Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable une heure) :\n\n{}\n\nSi vous n’avez rien demandé, ignorez ce message.\n\n— {site}\n",
                link.url
            ),
        ),
        (false, Lang::En) => (
            format!("New password: {site}"),
            format!(
                "Hello,\n\nTo choose a new password, open this link (it works for one hour):\n\n{}\n\nIf you did not ask for it, ignore this message.\n\n— {site}\n",
                link.url
            ),
        ),
    };
    // Shown to whoever asked only when it could not be mailed and they are the node's admin
    // (whoever holds an invitation chooses the account's password).
    let shown = || link.shareable.then(|| link.url.clone());
    match node.mail.send(&link.email, &subject, &body).await {
        Ok(crate::mail::Sent::Mailed) => Ok(None),
        Ok(crate::mail::Sent::Logged) => Ok(shown()),
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                to = link.email,
                "cannot send mail"
            );
            Ok(shown())
        }
    }
}
