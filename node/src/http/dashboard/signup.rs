//! Self sign-up: the form, and the confirmation page of the mailed link where the holder of
//! the mailbox checks the request and chooses their password.

use askama::Template;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::Response;

use super::{Dash, Visit};
use crate::error::Error;

#[derive(Template)]
#[template(path = "dash/signup.html")]
struct SignupPage {
    d: Dash,
    title: String,
    open: bool,
    sent: bool,
    f: crate::domain::signups::SignUp,
}

fn signup_page(
    v: &Visit,
    status: StatusCode,
    f: crate::domain::signups::SignUp,
    sent: bool,
    errors: Vec<String>,
) -> Response {
    let mut d = v.dash("");
    d.errors = errors;
    v.render(
        status,
        &SignupPage {
            d,
            title: v.w().signup_title.into(),
            open: v.node.cx.site().signup_open,
            sent,
            f,
        },
    )
}

/// `GET /signup`: a shopkeeper asks for a shop (when the admin opened sign-up).
pub async fn signup_form(v: Visit) -> Response {
    let status = if v.node.cx.site().signup_open {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    };
    signup_page(&v, status, Default::default(), false, vec![])
}

/// `POST /signup`.
pub async fn signup(v: Visit, body: Bytes) -> Response {
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = crate::domain::signups::SignUp {
        email: f.get("email").into(),
        shop_name: f.get("shop_name").into(),
        postal_code: f.get("postal_code").into(),
        city: f.get("city").into(),
        message: f.get("message").into(),
    };
    match crate::domain::signups::request(&v.node.cx, &input, &v.client).await {
        Ok(Some(requested)) => {
            let site = v.node.cx.site().name.clone();
            let link = requested.link;
            let days = crate::domain::signups::CONFIRM_DAYS;
            let (subject, body) = if requested.known {
                (
                    format!("Votre demande de boutique : {site}"),
                    format!(
                        "Bonjour,\n\nQuelqu’un (vous, peut-être) a demandé une boutique sur {site} avec cette adresse, qui a déjà un compte. Pour envoyer cette demande, ouvrez ce lien (valable {days} jours) :\n\n{}\n\nPour vous connecter : {}\nMot de passe oublié : {}\n\nSi vous n’avez rien demandé, ignorez ce message.\n\n— {site}\n",
                        link.url,
                        v.node.cx.urls.page("login"),
                        v.node.cx.urls.page("account/reset")
                    ),
                )
            } else {
                (
                    format!("Confirmez votre adresse : {site}"),
                    format!(
                        "Bonjour,\n\nPour confirmer votre adresse et votre demande de boutique sur {site}, ouvrez ce lien (valable {days} jours) : vous y choisirez votre mot de passe.\n\n{}\n\nSi vous n’avez rien demandé, ignorez ce message.\n\n— {site}\n",
                        link.url
                    ),
                )
            };
            super::mail_in_background(&v.node, link.email, subject, body);
            signup_page(&v, StatusCode::OK, Default::default(), true, vec![])
        }
        // Mailed too often today: the visitor is told the same.
        Ok(None) => signup_page(&v, StatusCode::OK, Default::default(), true, vec![]),
        Err(e @ (Error::Invalid(_) | Error::Conflict { .. })) => {
            let lines = v.error_lines(&e);
            signup_page(&v, StatusCode::UNPROCESSABLE_ENTITY, input, false, lines)
        }
        Err(Error::TooManyAttempts { detail, .. }) => signup_page(
            &v,
            StatusCode::TOO_MANY_REQUESTS,
            input,
            false,
            vec![detail],
        ),
        Err(e) => v.error(e),
    }
}

#[derive(Template)]
#[template(path = "dash/confirm.html")]
struct ConfirmPage {
    d: Dash,
    title: String,
    email: String,
    needs_password: bool,
    f: crate::domain::signups::Confirmation,
}

async fn confirm_page(
    v: &Visit,
    secret: &str,
    shown: Option<crate::domain::signups::Confirmation>,
    errors: Vec<String>,
) -> Response {
    let (request, needs_password) = match crate::domain::signups::awaiting(&v.node.cx, secret).await
    {
        Ok(x) => x,
        Err(Error::Deleted(_)) => {
            return v.message(StatusCode::GONE, v.w().link_gone_title, v.w().confirm_gone)
        }
        Err(e) => return v.error(e),
    };
    let f = shown.unwrap_or_else(|| crate::domain::signups::Confirmation {
        shop_name: request.shop_name.clone(),
        postal_code: request.postal_code.clone(),
        city: request.city.clone(),
        password: String::new(),
    });
    let mut d = v.dash("");
    d.errors = errors;
    let status = if d.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    v.render(
        status,
        &ConfirmPage {
            d,
            title: v.w().confirm_title.into(),
            email: request.email,
            needs_password,
            f,
        },
    )
}

/// `GET /account/confirm/{secret}`: the request made at sign-up, to confirm (the shop's
/// details may be corrected) with the password chosen here; a mail client opening the link by
/// itself changes nothing.
pub async fn confirm_form(v: Visit, Path(secret): Path<String>) -> Response {
    confirm_page(&v, &secret, None, vec![]).await
}

/// `POST /account/confirm/{secret}`: the request is confirmed; an account without a password
/// gets the one chosen and is signed in, one with a password is asked to sign in.
pub async fn confirm(v: Visit, Path(secret): Path<String>, body: Bytes) -> Response {
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let agent = v
        .headers
        .get(header::USER_AGENT)
        .and_then(|a| a.to_str().ok());
    let input = crate::domain::signups::Confirmation {
        shop_name: f.get("shop_name").into(),
        postal_code: f.get("postal_code").into(),
        city: f.get("city").into(),
        password: f.get("password").into(),
    };
    match crate::domain::signups::confirm(&v.node.cx, &secret, &input, agent).await {
        Ok(Some(signed)) => v.signed_in(Visit::done("/dashboard", "saved"), &signed),
        Ok(None) => Visit::done("/login", "saved"),
        Err(e @ Error::Invalid(_)) => {
            let lines = v.error_lines(&e);
            let shown = crate::domain::signups::Confirmation {
                password: String::new(),
                ..input
            };
            confirm_page(&v, &secret, Some(shown), lines).await
        }
        Err(Error::Deleted(_)) => {
            v.message(StatusCode::GONE, v.w().link_gone_title, v.w().confirm_gone)
        }
        Err(e) => v.error(e),
    }
}
