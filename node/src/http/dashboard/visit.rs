//! A dashboard request ([`Visit`]): who asks (the session's person, or nobody yet), in which
//! language, from which address, and the checks every POST passes before it is read: same
//! site, then the form's CSRF token. Also how it answers: pages around the dashboard's chrome,
//! messages, errors naming their fields, redirects with a flash, the session cookie.

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};

use super::words::{words, Words};
use super::{Dash, Fields, MessagePage, CSRF_COOKIE, DEVICE_COOKIE, SESSION_COOKIE};
use crate::domain::accounts;
use crate::domain::authz::Caller;
use crate::error::Error;
use crate::http::cache::lang_of;
use crate::http::Node;
use crate::model::account::Session;
use crate::present::Lang;

/// A dashboard request: who asks, in which language, from where.
pub struct Visit {
    pub(super) node: Arc<Node>,
    pub(super) lang: Lang,
    pub(super) uri: Uri,
    pub(super) headers: HeaderMap,
    pub(super) session: Option<Session>,
    pub(super) client: String,
    /// The pre-sign-in CSRF token, and whether its cookie must be set.
    pub(super) anon_csrf: (String, bool),
    /// New reservations at the person's shops (the badge), and the page listing them.
    pub(super) waiting: i64,
    pub(super) waiting_url: String,
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name && !v.is_empty()).then_some(v)
        })
}

/// The client's address, as the sign-in throttle counts it: the peer, or, when the peer is a
/// reverse proxy on the same machine (loopback), the address it forwards for
/// (`http::guard::client_of`). IPv6 clients count by /64, what one subscriber gets.
fn client_of(headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    match peer {
        Some(peer) => crate::http::guard::client_of(headers, peer),
        None => "unknown".into(),
    }
}

impl axum::extract::FromRequestParts<Arc<Node>> for Visit {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        node: &Arc<Node>,
    ) -> Result<Visit, Response> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().cloned();
        Visit::new(node.clone(), parts.headers.clone(), parts.uri.clone(), peer).await
    }
}

impl Visit {
    pub(super) async fn new(
        node: Arc<Node>,
        headers: HeaderMap,
        uri: Uri,
        peer: Option<ConnectInfo<SocketAddr>>,
    ) -> Result<Visit, Response> {
        let lang = lang_of(&headers, uri.query());
        let session = match cookie(&headers, SESSION_COOKIE) {
            Some(c) => accounts::session(&node.cx, c)
                .await
                .map_err(|e| Visit::bare_error(lang, e))?,
            None => None,
        };
        let anon_csrf = match cookie(&headers, CSRF_COOKIE) {
            Some(t) if t.len() >= 32 => (t.to_string(), false),
            _ => (
                crate::domain::auth::secret().map_err(|e| Visit::bare_error(lang, e))?,
                true,
            ),
        };
        let client = client_of(&headers, peer.map(|c| c.0));
        // The badge of new reservations, on every page of the signed-in.
        let (waiting, waiting_url) = match &session {
            Some(s) if !s.user.memberships.is_empty() => {
                let shops: Vec<_> = s.user.memberships.iter().map(|m| m.merchant_id).collect();
                let n = crate::domain::reservations::waiting(&node.cx, &shops)
                    .await
                    .map_err(|e| Visit::bare_error(lang, e))?;
                (
                    n,
                    format!(
                        "/dashboard/shops/{}/reservations",
                        s.user.memberships[0].slug
                    ),
                )
            }
            _ => (0, String::new()),
        };
        Ok(Visit {
            waiting,
            waiting_url,
            node,
            lang,
            uri,
            headers,
            session,
            client,
            anon_csrf,
        })
    }

    pub(super) fn bare_error(lang: Lang, e: Error) -> Response {
        tracing::error!(error = %e, "dashboard request failed");
        let w = words(lang);
        (StatusCode::INTERNAL_SERVER_ERROR, w.error_title).into_response()
    }

    pub(super) fn w(&self) -> &'static Words {
        words(self.lang)
    }

    /// The signed-in session, or a redirect to the sign-in page (back here afterwards).
    pub(super) fn signed(&self) -> Result<&Session, Response> {
        self.session.as_ref().ok_or_else(|| {
            let next = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", self.uri.path())
                .finish();
            Redirect::to(&format!("/login?{next}")).into_response()
        })
    }

    /// The caller the rules see.
    pub(super) fn caller(&self) -> Caller {
        match &self.session {
            Some(s) => Caller::Person(s.user.clone()),
            None => Caller::Anonymous,
        }
    }

    pub(super) fn csrf(&self) -> String {
        match &self.session {
            Some(s) => s.csrf.clone(),
            None => self.anon_csrf.0.clone(),
        }
    }

    /// Refuses a POST that another site made the browser send.
    pub(super) fn check_origin(&self) -> Result<(), Response> {
        let cross = self
            .headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "cross-site");
        let origin_ok = match self
            .headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
        {
            None => true,
            Some(o) => o == self.node.cx.urls.base(),
        };
        if cross || !origin_ok {
            return Err(self.refuse_forged());
        }
        Ok(())
    }

    pub(super) fn refuse_forged(&self) -> Response {
        tracing::warn!(
            path = self.uri.path(),
            "refused a cross-site or tokenless form"
        );
        self.message(
            StatusCode::FORBIDDEN,
            self.w().forbidden,
            match self.lang {
                Lang::Fr => "Ce formulaire ne vient pas de ce site, ou la page était trop ancienne : rechargez-la et recommencez.",
                Lang::En => "This form did not come from this site, or the page was too old: reload it and try again.",
            },
        )
    }

    /// Checks a POST's origin and CSRF token, then reads its url-encoded fields.
    pub(super) fn form(&self, body: &Bytes) -> Result<Fields, Response> {
        self.check_origin()?;
        let fields = Fields::parse(body);
        self.check_token(fields.get("_csrf"))?;
        Ok(fields)
    }

    pub(super) fn check_token(&self, sent: &str) -> Result<(), Response> {
        let expected = self.csrf();
        let same = sent.len() == expected.len()
            && aws_lc_rs::constant_time::verify_slices_are_equal(
                sent.as_bytes(),
                expected.as_bytes(),
            )
            .is_ok();
        let anon_ok = self.session.is_some() || !self.anon_csrf.1;
        if same && anon_ok {
            Ok(())
        } else {
            Err(self.refuse_forged())
        }
    }

    /// The chrome every dashboard page shares.
    pub(super) fn dash(&self, tab: &'static str) -> Dash {
        let other = match self.lang {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        };
        let flash = self
            .uri
            .query()
            .and_then(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "done")
                    .map(|(_, v)| v.into_owned())
            })
            .and_then(|code| self.flash_text(&code));
        Dash {
            lang: self.lang,
            w: self.w(),
            site_name: self.node.cx.site().name.clone(),
            css: crate::http::pages::assets::url("site.css"),
            csrf: self.csrf(),
            email: self.session.as_ref().map(|s| s.user.email.clone()),
            shop: None,
            admin_tabs: false,
            tab,
            switch_url: format!("{}?lang={}", self.uri.path(), other.tag()),
            flash,
            errors: vec![],
            scripts: vec![],
            styles: vec![],
            waiting: self.waiting,
            waiting_url: self.waiting_url.clone(),
        }
    }

    pub(super) fn flash_text(&self, code: &str) -> Option<String> {
        let w = self.w();
        Some(
            match code {
                "saved" => w.saved,
                "created" => w.created,
                "deleted" => w.deleted,
                "invited" => w.invited_msg,
                "invited_logged" => w.invited_mailed_or_logged,
                "password" => w.password_saved,
                "revoked" => w.revoked,
                "blocked" => w.blocked_msg,
                "answered" => w.answered_msg,
                _ => return None,
            }
            .to_string(),
        )
    }

    /// A page, never cached, with the pre-sign-in CSRF cookie when one was made.
    pub(super) fn render(&self, status: StatusCode, page: &impl Template) -> Response {
        let html = match page.render() {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "cannot render a dashboard page");
                return (StatusCode::INTERNAL_SERVER_ERROR, self.w().error_title).into_response();
            }
        };
        let mut res = (status, html).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        if self.session.is_none() && self.anon_csrf.1 {
            let c = format!(
                "{CSRF_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{}",
                self.anon_csrf.0,
                self.secure()
            );
            if let Ok(v) = HeaderValue::from_str(&c) {
                h.append(header::SET_COOKIE, v);
            }
        }
        res
    }

    pub(super) fn secure(&self) -> &'static str {
        if self.node.cx.urls.base().starts_with("https://") {
            "; Secure"
        } else {
            ""
        }
    }

    /// A page with one message.
    pub(super) fn message(&self, status: StatusCode, title: &str, text: &str) -> Response {
        self.render(
            status,
            &MessagePage {
                d: self.dash(""),
                title: title.to_string(),
                text: text.to_string(),
                link: None,
            },
        )
    }

    /// An error of the rules as a page: sign-in for 401, a message otherwise.
    pub(super) fn error(&self, e: Error) -> Response {
        let w = self.w();
        match e {
            Error::NotAuthenticated(_) => Redirect::to("/login").into_response(),
            Error::NotAllowed(m) => self.message(StatusCode::FORBIDDEN, w.forbidden, &m),
            Error::NotFound(m) | Error::Deleted(m) => {
                self.message(StatusCode::NOT_FOUND, w.not_found, &m)
            }
            Error::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "dashboard request failed");
                self.message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    w.error_title,
                    "the node hit an internal error; it has been logged",
                )
            }
            other => {
                let status = crate::http::problem::status_of(&other);
                let lines = self.error_lines(&other);
                self.message(status, w.error_title, &lines.join(" "))
            }
        }
    }

    /// What to show of an error next to a form.
    pub(super) fn error_lines(&self, e: &Error) -> Vec<String> {
        let p = crate::http::problem::problem_of(e);
        if p.errors.is_empty() {
            vec![p.detail]
        } else {
            p.errors
                .iter()
                .map(|f| format!("{} : {}", self.label(&f.field), f.message))
                .collect()
        }
    }

    pub(super) fn label(&self, field: &str) -> String {
        let w = self.w();
        match field.split(['.', '[']).next().unwrap_or(field) {
            "name" => w.name,
            "price" => w.price,
            "stock" | "stock_delta" => w.stock,
            "availability" => w.availability,
            "unit" => w.unit,
            "description" => w.description,
            "category" => w.category,
            "tags" => w.tags,
            "sku" => w.sku,
            "gtin" => w.gtin,
            "email" => w.email,
            "password" | "current_password" => w.password,
            "phone" => w.phone,
            "website" => w.website,
            "postal_code" => w.postal_code,
            "city" => w.city,
            "street" => w.street,
            "slug" => w.slug,
            "shop_name" => w.shop_name,
            "message" => w.message_admin,
            "opening_hours" => w.hours,
            "geo" => w.map_pin,
            "file" | "photo" => w.photos,
            "amount" => match self.lang {
                Lang::Fr => "Montant",
                Lang::En => "Amount",
            },
            "code" => match self.lang {
                Lang::Fr => "Code du bon",
                Lang::En => "Voucher code",
            },
            _ => return field.to_string(),
        }
        .to_string()
    }

    /// See Other, to `to` with a flash code.
    pub(super) fn done(to: &str, code: &str) -> Response {
        let sep = if to.contains('?') { '&' } else { '?' };
        Redirect::to(&format!("{to}{sep}done={code}")).into_response()
    }

    /// The session cookie that signs this browser in.
    pub(super) fn sign_in_cookie(&self, secret: &str) -> HeaderValue {
        HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            accounts::SESSION_DAYS * 24 * 3600,
            self.secure()
        ))
        .expect("cookie characters are safe")
    }

    /// The cookies of a sign-in: the session's, and the device's (kept a year, so that this
    /// browser is not held back by what strangers try against the address).
    pub(super) fn signed_in(&self, mut res: Response, signed: &accounts::SignedIn) -> Response {
        let h = res.headers_mut();
        h.append(header::SET_COOKIE, self.sign_in_cookie(&signed.session));
        h.append(header::SET_COOKIE, self.device_cookie(&signed.device));
        res
    }

    pub(super) fn device_cookie(&self, secret: &str) -> HeaderValue {
        HeaderValue::from_str(&format!(
            "{DEVICE_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            accounts::DEVICE_DAYS * 24 * 3600,
            self.secure()
        ))
        .expect("cookie characters are safe")
    }

    /// The device cookie this browser sent.
    pub(super) fn device(&self) -> Option<&str> {
        cookie(&self.headers, DEVICE_COOKIE)
    }

    pub(super) fn sign_out_cookie(&self) -> HeaderValue {
        HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
            self.secure()
        ))
        .expect("cookie characters are safe")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn only_a_local_proxy_names_the_client() {
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let lan: SocketAddr = "192.168.1.20:5000".parse().unwrap();
        // The proxy appends what it saw; what the client sent before is not believed.
        assert_eq!(
            client_of(&headers(&["6.6.6.6, 203.0.113.7"]), Some(local)),
            "203.0.113.7"
        );
        assert_eq!(
            client_of(&headers(&["6.6.6.6", "203.0.113.7"]), Some(local)),
            "203.0.113.7"
        );
        // A peer on the network cannot choose its address.
        assert_eq!(client_of(&headers(&["6.6.6.6"]), Some(lan)), "192.168.1.20");
        let v6: SocketAddr = "[2001:db8:1:2:aaaa::1]:443".parse().unwrap();
        let v6b: SocketAddr = "[2001:db8:1:2:bbbb::9]:443".parse().unwrap();
        assert_eq!(
            client_of(&headers(&[]), Some(v6)),
            client_of(&headers(&[]), Some(v6b))
        );
    }
}
