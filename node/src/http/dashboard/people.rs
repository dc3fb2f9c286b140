//! A shop's people (invitations, removals) and its API tokens.

use askama::Template;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::wares::{shop_dash, shop_for};
use super::{Dash, Visit};
use crate::domain::auth;
use crate::domain::authz::Action;
use crate::error::Error;
use crate::model::account::Role;
use crate::model::merchant::Merchant;

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
    let people = match crate::domain::people::people(&v.node.cx, &caller, m.id).await {
        Ok(p) => p,
        Err(e) => return v.error(e),
    };
    let tokens = match auth::tokens_of(&v.node.cx, &caller, m.id).await {
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
                    created: crate::clock::time(t.created_at)
                        .format("%Y-%m-%d")
                        .to_string(),
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
    match crate::domain::people::invite(&v.node.cx, &v.caller(), f.get("email"), Some((m.id, role)))
        .await
    {
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
    match crate::domain::people::remove_person(&v.node.cx, &v.caller(), m.id, user).await {
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
    match auth::create_shop_token(&v.node.cx, &v.caller(), &slug, f.get("name")).await {
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
    match auth::revoke(&v.node.cx, &v.caller(), m.id, id).await {
        Ok(()) => Visit::done(&format!("/dashboard/shops/{slug}/people"), "revoked"),
        Err(e) => v.error(e),
    }
}
