//! Sign-in, sign-out, invitations, password resets and the account page.

use askama::Template;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::{Dash, Visit};
use crate::domain::accounts;
use crate::error::Error;
use crate::model::account::LinkKind;

#[derive(Template)]
#[template(path = "dash/login.html")]
struct LoginPage {
    d: Dash,
    title: String,
    email: String,
    next: String,
    signup_open: bool,
}

#[derive(Template)]
#[template(path = "dash/set_password.html")]
struct SetPasswordPage {
    d: Dash,
    title: String,
    intro: String,
    email: String,
}

#[derive(Template)]
#[template(path = "dash/forgot.html")]
struct ForgotPage {
    d: Dash,
    title: String,
    sent: bool,
}

struct SessionRow {
    agent: String,
    seen: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "dash/account.html")]
struct AccountPage {
    d: Dash,
    title: String,
    email: String,
    sessions: Vec<SessionRow>,
}

/// Only paths of this site are followed after sign-in: `/` then anything but a second `/` or
/// `\\`, with no control or space characters (browsers drop tabs and newlines from URLs,
/// which would turn `/\t/evil.example` into `//evil.example`).
fn safe_next(next: &str) -> &str {
    let mut chars = next.chars();
    let local = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if local {
        next
    } else {
        "/dashboard"
    }
}

fn login_page(
    v: &Visit,
    status: StatusCode,
    email: &str,
    next: &str,
    errors: Vec<String>,
) -> Response {
    let mut d = v.dash("");
    d.errors = errors;
    v.render(
        status,
        &LoginPage {
            title: v.w().sign_in_title.into(),
            d,
            email: email.into(),
            next: next.into(),
            signup_open: v.node.cx.site().signup_open,
        },
    )
}

/// `GET /login`.
pub async fn login_form(v: Visit) -> Response {
    let next = v
        .uri
        .query()
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "next")
                .map(|(_, n)| n.into_owned())
        })
        .unwrap_or_default();
    if v.session.is_some() {
        return Redirect::to(safe_next(&next)).into_response();
    }
    login_page(&v, StatusCode::OK, "", &next, vec![])
}

/// `POST /login`.
pub async fn login(v: Visit, body: Bytes) -> Response {
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let agent = v
        .headers
        .get(header::USER_AGENT)
        .and_then(|a| a.to_str().ok());
    let next = safe_next(f.get("next")).to_string();
    match accounts::sign_in(
        &v.node.cx,
        f.get("email"),
        f.get("password"),
        &v.client,
        agent,
        v.device(),
    )
    .await
    {
        Ok(signed) => v.signed_in(Redirect::to(&next).into_response(), &signed),
        Err(Error::NotAuthenticated(_)) => login_page(
            &v,
            StatusCode::UNAUTHORIZED,
            f.get("email"),
            &next,
            vec![match v.lang {
                crate::present::Lang::Fr => "Adresse e-mail ou mot de passe incorrect.".into(),
                crate::present::Lang::En => "Wrong e-mail address or password.".into(),
            }],
        ),
        Err(Error::TooManyAttempts { retry_after, .. }) => {
            let mut res = login_page(
                &v,
                StatusCode::TOO_MANY_REQUESTS,
                f.get("email"),
                &next,
                vec![match v.lang {
                    crate::present::Lang::Fr => format!(
                        "Trop d’essais manqués : réessayez dans {retry_after} s, ou recevez un lien par « Mot de passe oublié ? »."
                    ),
                    crate::present::Lang::En => format!(
                        "Too many failed attempts: try again in {retry_after} s, or get a link from \"Forgot your password?\"."
                    ),
                }],
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, retry_after.into());
            res
        }
        Err(e) => v.error(e),
    }
}

/// `POST /logout`.
pub async fn logout(v: Visit, body: Bytes) -> Response {
    if let Err(r) = v.form(&body) {
        return r;
    }
    if let Some(s) = &v.session {
        if let Err(e) = accounts::sign_out(&v.node.cx, s).await {
            return v.error(e);
        }
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, v.sign_out_cookie());
    res
}

/// `GET /account`.
pub async fn page(v: Visit) -> Response {
    account_page(&v, StatusCode::OK, vec![]).await
}

async fn account_page(v: &Visit, status: StatusCode, errors: Vec<String>) -> Response {
    let s = match v.signed() {
        Ok(s) => s,
        Err(r) => return r,
    };
    let sessions = match accounts::sessions(&v.node.cx, s).await {
        Ok(list) => list,
        Err(e) => return v.error(e),
    };
    let mut d = v.dash("account");
    d.errors = errors;
    v.render(
        status,
        &AccountPage {
            title: v.w().account_title.into(),
            email: s.user.email.clone(),
            sessions: sessions
                .into_iter()
                .map(|i| SessionRow {
                    agent: i
                        .user_agent
                        .map(|a| short_agent(&a))
                        .unwrap_or_else(|| "?".into()),
                    seen: crate::clock::time(i.seen_at)
                        .format("%Y-%m-%d %H:%M UTC")
                        .to_string(),
                    current: i.current,
                })
                .collect(),
            d,
        },
    )
}

/// The browser and system of a `User-Agent`, roughly.
fn short_agent(agent: &str) -> String {
    let browser = ["Firefox", "Edg", "Chrome", "Safari"]
        .into_iter()
        .find(|b| agent.contains(b))
        .map(|b| if b == "Edg" { "Edge" } else { b });
    let system = ["Android", "iPhone", "iPad", "Windows", "Mac OS", "Linux"]
        .into_iter()
        .find(|s| agent.contains(s));
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b}, {s}"),
        (Some(b), None) => b.to_string(),
        _ => agent.chars().take(40).collect(),
    }
}

/// `POST /account/password`.
pub async fn change_password(v: Visit, body: Bytes) -> Response {
    let s = match v.signed() {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match accounts::change_password(&v.node.cx, s, f.get("current_password"), f.get("password"))
        .await
    {
        Ok(device) => {
            let mut res = Visit::done("/account", "password");
            res.headers_mut()
                .append(header::SET_COOKIE, v.device_cookie(&device));
            res
        }
        Err(e @ Error::Invalid(_)) => {
            let lines = v.error_lines(&e);
            account_page(&v, StatusCode::UNPROCESSABLE_ENTITY, lines).await
        }
        Err(e) => v.error(e),
    }
}

/// `POST /account/sign-out-everywhere`.
pub async fn sign_out_everywhere(v: Visit, body: Bytes) -> Response {
    let s = match v.signed() {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = v.form(&body) {
        return r;
    }
    if let Err(e) = accounts::sign_out_everywhere(&v.node.cx, s.user.id).await {
        return v.error(e);
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, v.sign_out_cookie());
    res
}

async fn link_page(v: &Visit, secret: &str, kind: LinkKind, errors: Vec<String>) -> Response {
    let w = v.w();
    let email = match accounts::link_email(&v.node.cx, secret, kind).await {
        Ok(e) => e,
        Err(Error::Deleted(_)) => {
            return v.message(
                StatusCode::GONE,
                w.link_gone_title,
                match v.lang {
                    crate::present::Lang::Fr => "Ce lien a expiré ou a déjà servi. Demandez-en un nouveau depuis « Mot de passe oublié ? » ou à la personne qui vous a invité(e).",
                    crate::present::Lang::En => "This link has expired or was already used. Ask for a new one from \"Forgot your password?\" or from whoever invited you.",
                },
            )
        }
        Err(e) => return v.error(e),
    };
    let (title, intro) = match kind {
        LinkKind::Invite => (w.welcome_title, w.welcome_intro),
        LinkKind::Reset | LinkKind::Confirm => (w.reset_title, w.reset_intro),
    };
    let mut d = v.dash("");
    d.errors = errors;
    let status = if d.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    // The secret is in the path: the dashboard's `Referrer-Policy: same-origin` never passes
    // it to another site (`no-referrer` would also make the browser send `Origin: null` with
    // the form, which the origin check refuses).
    v.render(
        status,
        &SetPasswordPage {
            d,
            title: title.into(),
            intro: intro.into(),
            email,
        },
    )
}

async fn use_link(v: Visit, secret: String, kind: LinkKind, body: Bytes) -> Response {
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let agent = v
        .headers
        .get(header::USER_AGENT)
        .and_then(|a| a.to_str().ok());
    match accounts::use_link(&v.node.cx, &secret, kind, f.get("password"), agent).await {
        Ok(signed) => v.signed_in(Visit::done("/dashboard", "password"), &signed),
        Err(e @ Error::Invalid(_)) => {
            let lines = v.error_lines(&e);
            link_page(&v, &secret, kind, lines).await
        }
        Err(Error::Deleted(_)) => link_page(&v, &secret, kind, vec![]).await,
        Err(e) => v.error(e),
    }
}

/// `GET /account/welcome/{secret}`: an invitation.
pub async fn welcome_form(Path(secret): Path<String>, v: Visit) -> Response {
    link_page(&v, &secret, LinkKind::Invite, vec![]).await
}

/// `POST /account/welcome/{secret}`: sets the first password and signs in.
pub async fn welcome(Path(secret): Path<String>, v: Visit, body: Bytes) -> Response {
    use_link(v, secret, LinkKind::Invite, body).await
}

/// `GET /account/reset/{secret}`.
pub async fn reset_form(Path(secret): Path<String>, v: Visit) -> Response {
    link_page(&v, &secret, LinkKind::Reset, vec![]).await
}

/// `POST /account/reset/{secret}`: sets a new password, ends every other session.
pub async fn reset(Path(secret): Path<String>, v: Visit, body: Bytes) -> Response {
    use_link(v, secret, LinkKind::Reset, body).await
}

/// `GET /account/reset`: ask for a link.
pub async fn forgot_form(v: Visit) -> Response {
    v.render(
        StatusCode::OK,
        &ForgotPage {
            d: v.dash(""),
            title: v.w().forgot_title.into(),
            sent: false,
        },
    )
}

/// `POST /account/reset`: mails a link if the address has an account (the page says the
/// same either way; without SMTP the link goes to the log only, never to the visitor).
pub async fn forgot(v: Visit, body: Bytes) -> Response {
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match accounts::reset_link(&v.node.cx, f.get("email"), &v.client).await {
        Ok(Some(link)) => {
            // Mailed in the background: the answer takes as long whether or not the address
            // has an account.
            let node = v.node.clone();
            let lang = v.lang;
            tokio::spawn(async move {
                if let Err(e) = super::send_link(&node, lang, &link, false).await {
                    tracing::error!(error = %e, "cannot send a password reset");
                }
            });
        }
        Err(Error::TooManyAttempts { detail, .. }) => {
            let mut d = v.dash("");
            d.errors = vec![detail];
            return v.render(
                StatusCode::TOO_MANY_REQUESTS,
                &ForgotPage {
                    d,
                    title: v.w().forgot_title.into(),
                    sent: false,
                },
            );
        }
        Ok(None) => {}
        Err(e @ Error::Invalid(_)) => {
            let mut d = v.dash("");
            d.errors = v.error_lines(&e);
            return v.render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ForgotPage {
                    d,
                    title: v.w().forgot_title.into(),
                    sent: false,
                },
            );
        }
        Err(e) => return v.error(e),
    }
    v.render(
        StatusCode::OK,
        &ForgotPage {
            d: v.dash(""),
            title: v.w().forgot_title.into(),
            sent: true,
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed() {
        use super::safe_next;
        assert_eq!(safe_next("/dashboard/shops/a"), "/dashboard/shops/a");
        assert_eq!(safe_next("/"), "/");
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/\n/evil.example",
            "",
            "evil",
        ] {
            assert_eq!(safe_next(bad), "/dashboard", "{bad:?}");
        }
    }
}
