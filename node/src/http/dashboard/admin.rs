//! The node admin's pages: shops (create and invite the owner, suspend, delete), accounts,
//! sign-up requests and the site's settings. Domain blocks and replies: `moderation`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::{Dash, Visit};
use crate::config::Licence;
use crate::domain::authz::{allow, Action};
use crate::domain::site::SiteInput;
use crate::domain::{accounts, merchants, moderation};
use crate::error::Error;
use crate::model::account::Role;
use crate::model::input::{AddressInput, MerchantCreate};

/// The admin's chrome, or the refusal for anyone else.
pub(super) fn admin_dash(v: &Visit, tab: &'static str) -> Result<Dash, Response> {
    v.signed()?;
    allow(&v.caller(), Action::RunNode).map_err(|e| v.error(e))?;
    let mut d = v.dash(tab);
    d.admin_tabs = true;
    Ok(d)
}

struct ShopItem {
    slug: String,
    name: String,
    suspended: bool,
}

struct SignupItem {
    id: String,
    email: String,
    shop_name: String,
    place: String,
    message: Option<String>,
    slug: String,
    confirmed: bool,
}

#[derive(Template)]
#[template(path = "dash/admin.html")]
struct ShopsPage {
    d: Dash,
    title: String,
    shops: Vec<ShopItem>,
    signups: Vec<SignupItem>,
}

async fn shops_page(
    v: &Visit,
    status: StatusCode,
    errors: Vec<String>,
    flash: Option<String>,
) -> Response {
    let mut d = match admin_dash(v, "merchants") {
        Ok(d) => d,
        Err(r) => return r,
    };
    d.errors = errors;
    if flash.is_some() {
        d.flash = flash;
    }
    let shops = match moderation::shops(&v.node.cx, &v.caller()).await {
        Ok(s) => s,
        Err(e) => return v.error(e),
    };
    let signups = match crate::domain::signups::pending(&v.node.cx, &v.caller()).await {
        Ok(s) => s,
        Err(e) => return v.error(e),
    };
    v.render(
        status,
        &ShopsPage {
            d,
            title: v.w().admin_title.into(),
            shops: shops
                .into_iter()
                .map(|s| ShopItem {
                    slug: s.slug,
                    name: s.name,
                    suspended: s.suspended,
                })
                .collect(),
            signups: signups
                .into_iter()
                .map(|r| SignupItem {
                    id: r.id.to_string(),
                    slug: crate::model::merchant::slug_of(&r.shop_name),
                    email: r.email,
                    place: format!("{} {}", r.postal_code, r.city),
                    shop_name: r.shop_name,
                    message: r.message,
                    confirmed: r.confirmed,
                })
                .collect(),
        },
    )
}

/// `GET /dashboard/admin`.
pub async fn shops(v: Visit) -> Response {
    shops_page(&v, StatusCode::OK, vec![], None).await
}

/// `POST /dashboard/admin/shops`: creates a shop and invites its owner.
pub async fn create_shop(v: Visit, body: Bytes) -> Response {
    if let Err(r) = admin_dash(&v, "merchants") {
        return r;
    }
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let caller = v.caller();
    let owner = match f.opt("owner").map(|o| accounts::email(&o)).transpose() {
        Ok(o) => o,
        Err(e) => {
            let lines = v.error_lines(&e);
            return shops_page(&v, StatusCode::UNPROCESSABLE_ENTITY, lines, None).await;
        }
    };
    let input = MerchantCreate {
        slug: f.opt("slug"),
        name: f.opt("name"),
        address: Some(AddressInput {
            postal_code: f.opt("postal_code"),
            city: f.opt("city"),
            ..AddressInput::default()
        }),
        ..MerchantCreate::default()
    };
    let m = match merchants::create(&v.node.cx, &caller, input).await {
        Ok(m) => m,
        Err(e @ (Error::Invalid(_) | Error::Conflict { .. })) => {
            let lines = v.error_lines(&e);
            return shops_page(&v, StatusCode::UNPROCESSABLE_ENTITY, lines, None).await;
        }
        Err(e) => return v.error(e),
    };
    let Some(owner) = owner else {
        return Visit::done("/dashboard/admin", "saved");
    };
    match crate::domain::people::invite(&v.node.cx, &caller, &owner, Some((m.id, Role::Owner)))
        .await
    {
        Ok(None) => Visit::done("/dashboard/admin", "invited"),
        Ok(Some(link)) => match super::send_link(&v.node, v.lang, &link, true).await {
            Ok(None) => Visit::done("/dashboard/admin", "invited"),
            Ok(Some(url)) => {
                let text = format!("{} {url}", v.w().invite_logged);
                shops_page(&v, StatusCode::OK, vec![], Some(text)).await
            }
            Err(e) => v.error(e),
        },
        Err(e) => v.error(e),
    }
}

/// `POST /dashboard/admin/shops/{slug}/{suspend|resume|delete}`.
pub async fn shop_action(
    v: Visit,
    Path((slug, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = admin_dash(&v, "merchants") {
        return r;
    }
    if let Err(r) = v.form(&body) {
        return r;
    }
    let caller = v.caller();
    let done = match action.as_str() {
        "suspend" => moderation::suspend(&v.node.cx, &caller, &slug, true).await,
        "resume" => moderation::suspend(&v.node.cx, &caller, &slug, false).await,
        "delete" => merchants::delete(&v.node.cx, &caller, &slug).await,
        _ => Err(Error::NotFound(format!("no action \"{action}\""))),
    };
    match done {
        Ok(()) => Visit::done(
            "/dashboard/admin",
            if action == "delete" {
                "deleted"
            } else {
                "saved"
            },
        ),
        Err(e) => v.error(e),
    }
}

struct UserRow {
    id: String,
    email: String,
    admin: bool,
    active: bool,
}

#[derive(Template)]
#[template(path = "dash/accounts.html")]
struct AccountsPage {
    d: Dash,
    title: String,
    users: Vec<UserRow>,
}

async fn accounts_page(
    v: &Visit,
    status: StatusCode,
    errors: Vec<String>,
    flash: Option<String>,
) -> Response {
    let mut d = match admin_dash(v, "accounts") {
        Ok(d) => d,
        Err(r) => return r,
    };
    d.errors = errors;
    if flash.is_some() {
        d.flash = flash;
    }
    let users = match crate::domain::people::users(&v.node.cx, &v.caller()).await {
        Ok(u) => u,
        Err(e) => return v.error(e),
    };
    v.render(
        status,
        &AccountsPage {
            d,
            title: v.w().accounts_title.into(),
            users: users
                .into_iter()
                .map(|u| UserRow {
                    id: u.id.to_string(),
                    email: u.email,
                    admin: u.admin,
                    active: u.has_password,
                })
                .collect(),
        },
    )
}

/// `GET /dashboard/admin/people`.
pub async fn accounts(v: Visit) -> Response {
    accounts_page(&v, StatusCode::OK, vec![], None).await
}

/// `POST /dashboard/admin/people`: invites another admin.
pub async fn invite_admin(v: Visit, body: Bytes) -> Response {
    if let Err(r) = admin_dash(&v, "accounts") {
        return r;
    }
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match crate::domain::people::invite(&v.node.cx, &v.caller(), f.get("email"), None).await {
        Ok(None) => Visit::done("/dashboard/admin/people", "invited"),
        Ok(Some(link)) => match super::send_link(&v.node, v.lang, &link, true).await {
            Ok(None) => Visit::done("/dashboard/admin/people", "invited"),
            Ok(Some(url)) => {
                let text = format!("{} {url}", v.w().invite_logged);
                accounts_page(&v, StatusCode::OK, vec![], Some(text)).await
            }
            Err(e) => v.error(e),
        },
        Err(e @ Error::Invalid(_)) => {
            let lines = v.error_lines(&e);
            accounts_page(&v, StatusCode::UNPROCESSABLE_ENTITY, lines, None).await
        }
        Err(e) => v.error(e),
    }
}

#[derive(Template)]
#[template(path = "dash/settings.html")]
struct SettingsPage {
    d: Dash,
    title: String,
    name: String,
    description: String,
    operator: String,
    contact: String,
    licence: String,
    licences: Vec<(&'static str, &'static str)>,
    logo: Option<String>,
    signup_open: bool,
}

fn settings_page(v: &Visit, d: Dash, status: StatusCode, input: Option<&SiteInput>) -> Response {
    let site = v.node.cx.site();
    let page = SettingsPage {
        d,
        title: v.w().settings.into(),
        name: input.map_or(site.name.clone(), |i| i.name.clone()),
        description: input.map_or(site.description.clone().unwrap_or_default(), |i| {
            i.description.clone()
        }),
        operator: input.map_or(site.operator.clone().unwrap_or_default(), |i| {
            i.operator.clone()
        }),
        contact: input.map_or(site.contact.clone().unwrap_or_default(), |i| {
            i.contact.clone()
        }),
        licence: input.map_or(site.licence.code().to_string(), |i| i.licence.clone()),
        licences: [Licence::Etalab2, Licence::Odbl]
            .iter()
            .map(|l| (l.code(), l.name()))
            .collect(),
        logo: site
            .logo
            .as_ref()
            .map(|l| v.node.cx.urls.media(l).to_string()),
        signup_open: input.map_or(site.signup_open, |i| i.signup_open),
    };
    v.render(status, &page)
}

/// `GET /dashboard/admin/settings`.
pub async fn settings(v: Visit) -> Response {
    match admin_dash(&v, "settings") {
        Ok(d) => settings_page(&v, d, StatusCode::OK, None),
        Err(r) => r,
    }
}

/// `POST /dashboard/admin/settings`: name, description, operator, contact, licence, logo.
pub async fn save_settings(v: Visit, form: axum::extract::Multipart) -> Response {
    let mut d = match admin_dash(&v, "settings") {
        Ok(d) => d,
        Err(r) => return r,
    };
    let (f, files, _buffered) =
        match super::read_multipart(&v, form, crate::domain::site::MAX_LOGO_BYTES).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let input = SiteInput {
        name: f.get("name").into(),
        description: f.get("description").into(),
        operator: f.get("operator").into(),
        contact: f.get("contact").into(),
        licence: f.get("licence").into(),
        logo: files.into_iter().next(),
        remove_logo: f.get("remove_logo") == "1",
        signup_open: f.get("signup_open") == "1",
    };
    let shown = SiteInput {
        logo: None,
        ..input.clone()
    };
    match crate::domain::site::update(&v.node.cx, &v.caller(), input).await {
        Ok(()) => Visit::done("/dashboard/admin/settings", "saved"),
        Err(e @ Error::Invalid(_)) => {
            d.errors = v.error_lines(&e);
            settings_page(&v, d, StatusCode::UNPROCESSABLE_ENTITY, Some(&shown))
        }
        Err(e) => v.error(e),
    }
}

/// `POST /dashboard/admin/signups/{id}/{approve|refuse}`.
pub async fn decide_signup(
    v: Visit,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = admin_dash(&v, "merchants") {
        return r;
    }
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return v.error(Error::NotFound("no such request".into()));
    };
    let caller = v.caller();
    match action.as_str() {
        "approve" => {
            match crate::domain::signups::approve(&v.node.cx, &caller, id, f.get("slug")).await {
                Ok((m, email)) => {
                    let site = v.node.cx.site();
                    let body = format!(
                    "Bonjour,\n\nVotre boutique « {} » est en ligne sur {} : {}\nConnectez-vous pour ajouter vos produits : {}\n\n— {}\n",
                    m.fields.name,
                    site.name,
                    v.node.cx.urls.merchant(&m.slug),
                    v.node.cx.urls.page("login"),
                    site.name
                );
                    if let Err(e) = v
                        .node
                        .mail
                        .send(
                            &email,
                            &format!("Votre boutique est en ligne : {}", site.name),
                            &body,
                        )
                        .await
                    {
                        tracing::error!(error = format!("{e:#}"), "cannot send the approval mail");
                    }
                    Visit::done("/dashboard/admin", "saved")
                }
                Err(e @ (Error::Invalid(_) | Error::Conflict { .. })) => {
                    let lines = v.error_lines(&e);
                    shops_page(&v, StatusCode::UNPROCESSABLE_ENTITY, lines, None).await
                }
                Err(e) => v.error(e),
            }
        }
        "refuse" => match crate::domain::signups::refuse(&v.node.cx, &caller, id).await {
            Ok(()) => Visit::done("/dashboard/admin", "saved"),
            Err(e) => v.error(e),
        },
        _ => v.error(Error::NotFound(format!("no action \"{action}\""))),
    }
}

/// `POST /dashboard/admin/people/{id}/invite`: a new invitation link for an account without
/// a password, mailed, and shown to the admin when it cannot be.
pub async fn reinvite(v: Visit, Path(id): Path<String>, body: Bytes) -> Response {
    if let Err(r) = admin_dash(&v, "accounts") {
        return r;
    }
    if let Err(r) = v.form(&body) {
        return r;
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return v.error(Error::NotFound("no such account".into()));
    };
    match crate::domain::people::reinvite(&v.node.cx, &v.caller(), id).await {
        Ok(link) => match super::send_link(&v.node, v.lang, &link, true).await {
            Ok(None) => Visit::done("/dashboard/admin/people", "invited"),
            Ok(Some(url)) => {
                let text = format!("{} {url}", v.w().invite_logged);
                accounts_page(&v, StatusCode::OK, vec![], Some(text)).await
            }
            Err(e) => v.error(e),
        },
        Err(e) => v.error(e),
    }
}
