//! Town vouchers in the dashboard. For a shop: "Encaisser un bon" (scan the QR code with the
//! phone's camera where the browser can, or type the code; see the balance; take the sale's
//! amount; cancel within 15 minutes) and the campaigns it is invited to (owners accept or
//! leave). The admin's side is in `voucher_admin.rs`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::wares::{shop_dash, shop_for};
use super::{Dash, Visit};
use crate::domain::authz::Action;
use crate::domain::voucher_code;
use crate::domain::vouchers::{self, ShopState};
use crate::error::Error;
use crate::model::merchant::Merchant;
use crate::present::{self, Lang};

fn day(v: &Visit, ms: i64) -> String {
    use chrono::TimeZone;
    v.node
        .cx
        .settings
        .time_zone
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_default()
}

/// What a code read shows.
pub struct Read {
    code: String,
    campaign: String,
    balance: String,
    until: String,
    usable: bool,
    problem: Option<String>,
}

/// A redemption just made.
pub struct Taken {
    id: String,
    amount: String,
    balance: String,
}

#[derive(Template)]
#[template(path = "dash/vouchers.html")]
struct ShopPage {
    d: Dash,
    title: &'static str,
    slug: String,
    fr: bool,
    typed: String,
    read: Option<Read>,
    taken: Option<Taken>,
    invitations: Vec<(String, String, String, bool)>,
    owner: bool,
    recent: Vec<(String, String, String)>,
}

async fn shop_page(
    v: &Visit,
    m: &Merchant,
    status: StatusCode,
    typed: String,
    read: Option<Read>,
    taken: Option<Taken>,
    errors: Vec<String>,
) -> Response {
    let caller = v.caller();
    let campaigns = match vouchers::campaigns_of_shop(&v.node.cx, &caller, m).await {
        Ok(c) => c,
        Err(e) => return v.error(e),
    };
    let owner = crate::domain::authz::allow(&caller, Action::EditShop(m.id)).is_ok();
    let lang = v.lang;
    let recent = match vouchers::cancellable(&v.node.cx, &caller, m).await {
        Ok(r) => r,
        Err(e) => return v.error(e),
    };
    let mut d = shop_dash(v, m, "vouchers");
    d.errors = errors;
    d.scripts.push(crate::http::pages::assets::url("dash.js"));
    v.render(
        status,
        &ShopPage {
            d,
            title: match lang {
                Lang::Fr => "Encaisser un bon",
                Lang::En => "Take a voucher",
            },
            slug: m.slug.clone(),
            fr: lang == Lang::Fr,
            typed,
            read,
            taken,
            invitations: campaigns
                .into_iter()
                .map(|(c, s)| {
                    let state = match (lang, s) {
                        (Lang::Fr, ShopState::Invited) => "invitée",
                        (Lang::Fr, ShopState::Accepted) => "participe",
                        (Lang::Fr, ShopState::Left) => "ne participe pas",
                        (Lang::En, ShopState::Invited) => "invited",
                        (Lang::En, ShopState::Accepted) => "taking part",
                        (Lang::En, ShopState::Left) => "not taking part",
                    };
                    (
                        c.id.to_string(),
                        c.name,
                        state.to_string(),
                        s == ShopState::Accepted,
                    )
                })
                .collect(),
            owner,
            recent: recent
                .into_iter()
                .map(|r| {
                    (
                        r.id.to_string(),
                        present::euros(r.amount_minor, lang),
                        day(v, r.created_at),
                    )
                })
                .collect(),
        },
    )
}

/// `GET /dashboard/shops/{slug}/vouchers[?code=…]`: the form, or a code read.
pub async fn page(v: Visit, Path(slug): Path<String>) -> Response {
    let m = match shop_for(&v, &slug, Action::RedeemVouchers).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let typed = v
        .uri
        .query()
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "code")
                .map(|(_, c)| c.into_owned())
        })
        .unwrap_or_default();
    if typed.trim().is_empty() {
        return shop_page(&v, &m, StatusCode::OK, String::new(), None, None, vec![]).await;
    }
    let lang = v.lang;
    match vouchers::lookup(&v.node.cx, &v.caller(), &typed, Some(&m), &v.client).await {
        Ok((voucher, c)) => {
            let expired = v.node.cx.clock.now_ms() > c.valid_until;
            let problem = if expired {
                Some(match lang {
                    Lang::Fr => "Ce bon a expiré.".to_string(),
                    Lang::En => "This voucher expired.".to_string(),
                })
            } else if !voucher.issued {
                Some(match lang {
                    Lang::Fr => "Ce bon n’est pas encore payé.".to_string(),
                    Lang::En => "This voucher is not paid yet.".to_string(),
                })
            } else if voucher.balance_minor == 0 {
                Some(match lang {
                    Lang::Fr => "Ce bon est entièrement dépensé.".to_string(),
                    Lang::En => "This voucher is spent.".to_string(),
                })
            } else {
                None
            };
            let read = Read {
                code: voucher_code::display(&voucher.code),
                campaign: c.name.clone(),
                balance: present::euros(voucher.balance_minor, lang),
                until: day(&v, c.valid_until),
                usable: problem.is_none(),
                problem,
            };
            shop_page(&v, &m, StatusCode::OK, typed, Some(read), None, vec![]).await
        }
        Err(
            e @ (Error::Invalid(_)
            | Error::NotFound(_)
            | Error::NotAllowed(_)
            | Error::TooManyAttempts { .. }),
        ) => {
            let lines = v.error_lines(&e);
            let status = crate::http::problem::status_of(&e);
            shop_page(&v, &m, status, typed, None, None, lines).await
        }
        Err(e) => v.error(e),
    }
}

/// `POST /dashboard/shops/{slug}/vouchers`: takes the amount from the voucher.
pub async fn redeem(v: Visit, Path(slug): Path<String>, body: Bytes) -> Response {
    let m = match shop_for(&v, &slug, Action::RedeemVouchers).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let amount = f.get("amount").trim().replace(',', ".");
    match vouchers::redeem(
        &v.node.cx,
        &v.caller(),
        f.get("code"),
        &slug,
        &amount,
        &v.client,
    )
    .await
    {
        Ok((r, balance, _)) => {
            let taken = Taken {
                id: r.id.to_string(),
                amount: present::euros(r.amount_minor, v.lang),
                balance: present::euros(balance, v.lang),
            };
            shop_page(
                &v,
                &m,
                StatusCode::OK,
                String::new(),
                None,
                Some(taken),
                vec![],
            )
            .await
        }
        Err(Error::Conflict {
            field: Some(field), ..
        }) if field == "amount" => {
            // The balance is short: say so in the shop's words, and keep the voucher on screen
            // with what it holds, ready for a smaller amount.
            match vouchers::lookup(&v.node.cx, &v.caller(), f.get("code"), Some(&m), &v.client)
                .await
            {
                Ok((voucher, c)) => {
                    let left = present::euros(voucher.balance_minor, v.lang);
                    let line = match v.lang {
                        Lang::Fr => {
                            format!("Le bon n’a plus que {left} : encaissez au plus {left}.")
                        }
                        Lang::En => {
                            format!("The voucher has only {left} left: take at most {left}.")
                        }
                    };
                    let read = Read {
                        code: voucher_code::display(&voucher.code),
                        campaign: c.name.clone(),
                        balance: left,
                        until: day(&v, c.valid_until),
                        usable: voucher.balance_minor > 0,
                        problem: None,
                    };
                    let typed = f.get("code").to_string();
                    shop_page(
                        &v,
                        &m,
                        StatusCode::CONFLICT,
                        typed,
                        Some(read),
                        None,
                        vec![line],
                    )
                    .await
                }
                Err(e) => v.error(e),
            }
        }
        Err(
            e @ (Error::Invalid(_)
            | Error::NotFound(_)
            | Error::NotAllowed(_)
            | Error::Conflict { .. }
            | Error::Deleted(_)
            | Error::TooManyAttempts { .. }),
        ) => {
            let lines = v.error_lines(&e);
            let status = crate::http::problem::status_of(&e);
            shop_page(&v, &m, status, f.get("code").to_string(), None, None, lines).await
        }
        Err(e) => v.error(e),
    }
}

/// `POST /dashboard/shops/{slug}/vouchers/scan`: a photo of the voucher's QR code (the phone's
/// camera, through the file field: no app, no JavaScript) is read on the node, then the code
/// is shown as if typed.
pub async fn scan(v: Visit, Path(slug): Path<String>, form: Multipart) -> Response {
    let m = match shop_for(&v, &slug, Action::RedeemVouchers).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let (f, photos, _buffered) =
        match super::read_multipart(&v, form, crate::media::MAX_UPLOAD_BYTES).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    if let Err(r) = v.check_token(f.get("_csrf")) {
        return r;
    }
    let lang = v.lang;
    let unreadable = || match lang {
        Lang::Fr => {
            "Aucun QR code lisible sur cette photo : rapprochez-vous, ou tapez le code.".to_string()
        }
        Lang::En => "No readable QR code in this photo: come closer, or type the code.".to_string(),
    };
    let Some(photo) = photos.into_iter().next() else {
        return shop_page(
            &v,
            &m,
            StatusCode::UNPROCESSABLE_ENTITY,
            String::new(),
            None,
            None,
            vec![unreadable()],
        )
        .await;
    };
    // Decoded within the node's budget for photos being decoded, like any upload.
    let pixels = crate::media::probe(&photo).map_or(1, |(_, w, h)| u64::from(w) * u64::from(h));
    let _room = crate::media::decode_room(pixels).await;
    let read = tokio::task::spawn_blocking(move || crate::media::read_qr(&photo)).await;
    let text = match read {
        Ok(Ok(Some(text))) => text,
        _ => {
            return shop_page(
                &v,
                &m,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                None,
                None,
                vec![unreadable()],
            )
            .await
        }
    };
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("code", text.trim())
        .finish();
    axum::response::Redirect::to(&format!("/dashboard/shops/{slug}/vouchers?{query}"))
        .into_response()
}

/// `POST /dashboard/shops/{slug}/vouchers/redemptions/{id}/cancel`.
pub async fn cancel(v: Visit, Path((slug, id)): Path<(String, String)>, body: Bytes) -> Response {
    let m = match shop_for(&v, &slug, Action::RedeemVouchers).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = v.form(&body) {
        return r;
    }
    match vouchers::cancel_redemption(&v.node.cx, &v.caller(), &id).await {
        Ok(_) => Visit::done(&format!("/dashboard/shops/{slug}/vouchers"), "saved"),
        Err(e @ (Error::Conflict { .. } | Error::NotFound(_))) => {
            let lines = v.error_lines(&e);
            shop_page(
                &v,
                &m,
                StatusCode::CONFLICT,
                String::new(),
                None,
                None,
                lines,
            )
            .await
        }
        Err(e) => v.error(e),
    }
}

/// `POST /dashboard/shops/{slug}/vouchers/campaigns/{id}/{accept|leave}` (owners).
pub async fn answer(
    v: Visit,
    Path((slug, id, what)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let m = match shop_for(&v, &slug, Action::EditShop).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = v.form(&body) {
        return r;
    }
    let accept = what == "accept";
    match vouchers::answer_invitation(&v.node.cx, &v.caller(), &id, &m, accept).await {
        Ok(()) => Visit::done(&format!("/dashboard/shops/{slug}/vouchers"), "saved"),
        Err(e) => v.error(e),
    }
}
