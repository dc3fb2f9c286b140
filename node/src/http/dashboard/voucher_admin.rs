//! Town vouchers for the node's admin: campaigns with their live figures, issuing vouchers,
//! the list of entitled addresses, payments, and what the town owes each shop with its
//! exports.

use askama::Template;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{Dash, Visit};
use crate::domain::voucher_code;
use crate::domain::vouchers::{self, CampaignInput};
use crate::error::Error;
use crate::present::{self, Lang};

#[derive(Template)]
#[template(path = "dash/voucher_campaigns.html")]
struct AdminList {
    d: Dash,
    title: &'static str,
    fr: bool,
    rows: Vec<(String, String, String, String, String, i64)>,
}

/// `GET /dashboard/admin/vouchers`: campaigns and their figures, and the form of a new one.
pub async fn admin_list(v: Visit) -> Response {
    admin_list_page(&v, StatusCode::OK, vec![]).await
}

async fn admin_list_page(v: &Visit, status: StatusCode, errors: Vec<String>) -> Response {
    if let Err(r) = v.signed() {
        return r;
    }
    let all = match vouchers::campaigns(&v.node.cx, &v.caller()).await {
        Ok(a) => a,
        Err(e) => return v.error(e),
    };
    let lang = v.lang;
    let mut d = v.dash("vouchers");
    d.admin_tabs = true;
    d.errors = errors;
    v.render(
        status,
        &AdminList {
            d,
            title: match lang {
                Lang::Fr => "Bons d’achat",
                Lang::En => "Vouchers",
            },
            fr: lang == Lang::Fr,
            rows: all
                .into_iter()
                .map(|(c, f)| {
                    (
                        c.id.to_string(),
                        c.name,
                        present::euros(f.issued_minor, lang),
                        present::euros(f.spent_minor, lang),
                        present::euros(f.left_minor, lang),
                        f.budget_left,
                    )
                })
                .collect(),
        },
    )
}

/// `POST /dashboard/admin/vouchers`: a new campaign.
pub async fn admin_create(v: Visit, body: Bytes) -> Response {
    if let Err(r) = v.signed() {
        return r;
    }
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let split = |s: &str| -> Vec<String> {
        s.split([',', ' ', '\n', ';'])
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    };
    let input = CampaignInput {
        name: f.get("name").into(),
        face_value: f.get("face_value").replace(',', "."),
        price: f.get("price").replace(',', "."),
        quantity: f.get("quantity").trim().parse().unwrap_or(0),
        issue_from: f.get("issue_from").into(),
        issue_until: f.get("issue_until").into(),
        valid_until: f.get("valid_until").into(),
        eligibility: f.get("eligibility").into(),
        postal_codes: split(f.get("postal_codes")),
        merchants: split(f.get("merchants")),
    };
    match vouchers::create_campaign(&v.node.cx, &v.caller(), input).await {
        Ok(c) => Visit::done(&format!("/dashboard/admin/vouchers/{}", c.id), "created"),
        Err(e @ Error::Invalid(_)) => {
            let lines = v.error_lines(&e);
            admin_list_page(&v, StatusCode::UNPROCESSABLE_ENTITY, lines).await
        }
        Err(e) => v.error(e),
    }
}

#[derive(Template)]
#[template(path = "dash/voucher_campaign.html")]
struct AdminCampaign {
    d: Dash,
    title: String,
    fr: bool,
    id: String,
    url: String,
    figures: Vec<(&'static str, String)>,
    entitled: Option<i64>,
    waiting: Vec<(String, String)>,
    owed: Vec<(String, String, i64, String, String, String, bool)>,
    issued: Option<(String, String)>,
}

async fn admin_campaign_page(
    v: &Visit,
    id: &str,
    status: StatusCode,
    issued: Option<(String, String)>,
    errors: Vec<String>,
) -> Response {
    if let Err(r) = v.signed() {
        return r;
    }
    let caller = v.caller();
    let cx = &v.node.cx;
    let lang = v.lang;
    let result = async {
        let (c, owed) = vouchers::reimbursements(cx, &caller, id).await?;
        let f = vouchers::figures(cx, &c).await?;
        let waiting = vouchers::awaiting_payment(cx, &caller, &c).await?;
        let entitled = match c.eligibility {
            vouchers::Eligibility::List => Some(vouchers::entitled_count(cx, &c).await?),
            _ => None,
        };
        Ok::<_, Error>((c, owed, f, waiting, entitled))
    }
    .await;
    let (c, owed, f, waiting, entitled) = match result {
        Ok(x) => x,
        Err(e) => return v.error(e),
    };
    let fr = lang == Lang::Fr;
    let mut d = v.dash("vouchers");
    d.admin_tabs = true;
    d.errors = errors;
    let label = |fr_text: &'static str, en_text: &'static str| if fr { fr_text } else { en_text };
    v.render(
        status,
        &AdminCampaign {
            d,
            title: c.name.clone(),
            fr,
            id: c.id.to_string(),
            url: v
                .node
                .cx
                .urls
                .page(&format!("vouchers/{}", c.id))
                .to_string(),
            figures: vec![
                (label("Bons émis", "Vouchers issued"), f.issued.to_string()),
                (
                    label("Montant émis", "Value issued"),
                    present::euros(f.issued_minor, lang),
                ),
                (
                    label("Dépensé", "Spent"),
                    present::euros(f.spent_minor, lang),
                ),
                (
                    label("Reste sur les bons", "Left on vouchers"),
                    present::euros(f.left_minor, lang),
                ),
                (
                    label("Expiré sans être dépensé", "Expired unspent"),
                    present::euros(f.expired_minor, lang),
                ),
                (
                    label("Bons restant au budget", "Vouchers left in the budget"),
                    f.budget_left.to_string(),
                ),
            ],
            entitled,
            waiting: waiting
                .into_iter()
                .map(|w| (w.id.to_string(), w.email))
                .collect(),
            owed: owed
                .into_iter()
                .map(|o| {
                    let due = o.amount_minor - o.reimbursed_minor;
                    (
                        o.slug,
                        o.name,
                        o.redemptions,
                        present::euros(o.amount_minor, lang),
                        present::euros(o.reimbursed_minor, lang),
                        present::euros(due, lang),
                        due > 0,
                    )
                })
                .collect(),
            issued,
        },
    )
}

/// `GET /dashboard/admin/vouchers/{id}`.
pub async fn admin_campaign(v: Visit, Path(id): Path<String>) -> Response {
    admin_campaign_page(&v, &id, StatusCode::OK, None, vec![]).await
}

/// `POST /dashboard/admin/vouchers/{id}/{issue|entitled|paid|reimbursed}`.
pub async fn admin_act(
    v: Visit,
    Path((id, what)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = v.signed() {
        return r;
    }
    let f = match v.form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let cx = &v.node.cx;
    let caller = v.caller();
    let back = format!("/dashboard/admin/vouchers/{id}");
    let result: Result<Option<(String, String)>, Error> = match what.as_str() {
        "issue" => vouchers::issue(cx, &caller, &id, f.get("email"), f.opt("payment_ref"))
            .await
            .map(|(voucher, c)| {
                crate::http::mails::voucher(&v.node, &voucher, &c, v.lang.tag());
                Some((voucher.email.clone(), voucher_code::display(&voucher.code)))
            }),
        "entitled" => vouchers::import_entitled(cx, &caller, &id, f.get("list"))
            .await
            .map(|_| None),
        "paid" => vouchers::mark_paid(cx, &caller, f.get("voucher"), f.get("payment_ref"))
            .await
            .map(|(voucher, c)| {
                crate::http::mails::voucher(&v.node, &voucher, &c, v.lang.tag());
                None
            }),
        "reimbursed" => {
            vouchers::mark_reimbursed(cx, &caller, &id, f.get("merchant"), f.get("reference"))
                .await
                .map(|_| None)
        }
        _ => Err(Error::NotFound("no such action".into())),
    };
    match result {
        Ok(None) => Visit::done(&back, "saved"),
        Ok(Some(issued)) => {
            admin_campaign_page(&v, &id, StatusCode::OK, Some(issued), vec![]).await
        }
        Err(e @ (Error::Invalid(_) | Error::Conflict { .. } | Error::Deleted(_))) => {
            let lines = v.error_lines(&e);
            let status = crate::http::problem::status_of(&e);
            admin_campaign_page(&v, &id, status, None, lines).await
        }
        Err(e) => v.error(e),
    }
}

/// `GET /dashboard/admin/vouchers/{id}/export.{csv|xlsx}`: every redemption for the accountant.
pub async fn admin_export(v: Visit, Path((id, file)): Path<(String, String)>) -> Response {
    if let Err(r) = v.signed() {
        return r;
    }
    let (c, rows) = match vouchers::accounting_rows(&v.node.cx, &v.caller(), &id).await {
        Ok(x) => x,
        Err(e) => return v.error(e),
    };
    let (bytes, mime, ext) = match file.as_str() {
        "export.csv" => (
            vouchers::accounting_csv(&rows),
            "text/csv; charset=utf-8",
            "csv",
        ),
        "export.xlsx" => match vouchers::accounting_xlsx(&c, &rows) {
            Ok(b) => (
                b,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            Err(e) => return v.error(e),
        },
        _ => return v.error(Error::NotFound("no such file".into())),
    };
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"bons-{}.{ext}\"", c.id),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}
