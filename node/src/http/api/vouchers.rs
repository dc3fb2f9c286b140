//! `/api/v1/voucher-campaigns` and `/api/v1/vouchers`: town vouchers. The node's admin runs
//! campaigns and issues vouchers; a participating shop's people and token read a code and
//! redeem it; the admin reads what the town owes each shop (JSON, CSV, XLSX).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::authz::Caller;
use crate::domain::voucher_code;
use crate::domain::vouchers::{self, Campaign, CampaignInput, Figures, Voucher};
use crate::error::Result;
use crate::http::extract::{ApiJson, Client};
use crate::http::problem::Problem;
use crate::http::Node;

fn euros(minor: i64) -> String {
    etal_protocol::money::format_minor(minor, 2)
}

/// Body of `POST /api/v1/voucher-campaigns`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignCreate {
    /// Name, e.g. "Bons de Noël 2027".
    pub name: String,
    /// What a voucher is worth, euros ("10.00").
    pub face_value: String,
    /// What a resident pays for it, euros ("7.50"; "0" for a gift).
    pub price: String,
    /// Vouchers in the budget.
    pub quantity: i64,
    /// First day (`YYYY-MM-DD`, or an RFC 3339 time) vouchers may be asked for.
    pub issue_from: String,
    /// Last day they may be asked for.
    pub issue_until: String,
    /// Last day they may be spent.
    pub valid_until: String,
    /// `anyone`, `one_per_email`, `postal_codes` or `list`.
    pub eligibility: String,
    /// With `postal_codes`: the five-digit codes.
    #[serde(default)]
    pub postal_codes: Vec<String>,
    /// The shops invited (slugs); each owner accepts or leaves.
    #[serde(default)]
    pub merchants: Vec<String>,
}

/// A campaign, with its live figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    /// Id.
    pub id: String,
    /// Its public page (shareable: residents ask for their voucher there).
    pub url: String,
    /// Name.
    pub name: String,
    /// Euros.
    pub face_value: String,
    /// Euros.
    pub price: String,
    /// Vouchers in the budget.
    pub quantity: i64,
    /// When vouchers may be asked for (RFC 3339).
    pub issue_from: String,
    /// Until when.
    pub issue_until: String,
    /// Spent until when.
    pub valid_until: String,
    /// Who may get one.
    pub eligibility: String,
    /// Vouchers issued.
    pub issued: i64,
    /// Their value, euros.
    pub issued_value: String,
    /// Spent in the shops, euros.
    pub spent: String,
    /// Left on the vouchers, euros.
    pub left: String,
    /// Left on vouchers whose validity ended, euros.
    pub expired_unspent: String,
    /// Vouchers still in the budget.
    pub budget_left: i64,
}

impl CampaignView {
    fn new(node: &Node, c: &Campaign, f: Figures) -> CampaignView {
        let tz = node.cx.settings.time_zone;
        CampaignView {
            id: c.id.to_string(),
            url: node.cx.urls.page(&format!("vouchers/{}", c.id)).to_string(),
            name: c.name.clone(),
            face_value: euros(c.face_minor),
            price: euros(c.price_minor),
            quantity: c.quantity,
            issue_from: crate::present::local_time(tz, c.issue_from),
            issue_until: crate::present::local_time(tz, c.issue_until),
            valid_until: crate::present::local_time(tz, c.valid_until),
            eligibility: c.eligibility.as_str().into(),
            issued: f.issued,
            issued_value: euros(f.issued_minor),
            spent: euros(f.spent_minor),
            left: euros(f.left_minor),
            expired_unspent: euros(f.expired_minor),
            budget_left: f.budget_left,
        }
    }
}

/// Creates a campaign (node admin).
#[utoipa::path(post, path = "/api/v1/voucher-campaigns", tag = "vouchers",
    request_body = CampaignCreate, security(("bearer" = [])),
    responses(
        (status = 201, body = CampaignView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(node): State<Arc<Node>>,
    who: Caller,
    ApiJson(b): ApiJson<CampaignCreate>,
) -> Result<Response> {
    let c = vouchers::create_campaign(
        &node.cx,
        &who,
        CampaignInput {
            name: b.name,
            face_value: b.face_value,
            price: b.price,
            quantity: b.quantity,
            issue_from: b.issue_from,
            issue_until: b.issue_until,
            valid_until: b.valid_until,
            eligibility: b.eligibility,
            postal_codes: b.postal_codes,
            merchants: b.merchants,
        },
    )
    .await?;
    let f = vouchers::figures(&node.cx, &c).await?;
    let view = CampaignView::new(&node, &c, f);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, view.url.clone())],
        Json(view),
    )
        .into_response())
}

/// Every campaign with its figures (node admin).
#[utoipa::path(get, path = "/api/v1/voucher-campaigns", tag = "vouchers", security(("bearer" = [])),
    responses((status = 200, body = Vec<CampaignView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(node): State<Arc<Node>>, who: Caller) -> Result<Json<Vec<CampaignView>>> {
    let all = vouchers::campaigns(&node.cx, &who).await?;
    Ok(Json(
        all.iter()
            .map(|(c, f)| CampaignView::new(&node, c, *f))
            .collect(),
    ))
}

/// Body of `POST /api/v1/voucher-campaigns/{id}/vouchers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueInput {
    /// The holder's e-mail address (the voucher is mailed there).
    pub email: String,
    /// The payment's reference, when paid at the counter or by the town's service.
    pub payment_ref: Option<String>,
}

/// A voucher, as its holder or the admin sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherView {
    /// The code, grouped (`7K3M-Q9ZD-X2AB-HT5R-W`).
    pub code: String,
    /// What is left, euros.
    pub balance: String,
    /// What it was worth, euros.
    pub face_value: String,
    /// The holder's private page.
    pub url: String,
    /// Issued (false while its price waits to be paid).
    pub issued: bool,
    /// Spent until (RFC 3339).
    pub valid_until: String,
}

fn voucher_view(node: &Node, v: &Voucher, c: &Campaign) -> VoucherView {
    VoucherView {
        code: voucher_code::display(&v.code),
        balance: euros(v.balance_minor),
        face_value: euros(v.face_minor),
        url: node
            .cx
            .urls
            .page(&format!("vouchers/mine/{}", v.holder_secret))
            .to_string(),
        issued: v.issued,
        valid_until: crate::present::local_time(node.cx.settings.time_zone, c.valid_until),
    }
}

/// Issues a voucher to an address (node admin): paid at the counter, or from the list.
#[utoipa::path(post, path = "/api/v1/voucher-campaigns/{id}/vouchers", tag = "vouchers",
    params(("id" = String, Path, description = "Campaign id")),
    request_body = IssueInput, security(("bearer" = [])),
    responses(
        (status = 201, body = VoucherView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Budget spent, or the address has one", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The campaign's vouchers expired", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn issue(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<IssueInput>,
) -> Result<Response> {
    let (v, c) = vouchers::issue(&node.cx, &who, &id, &b.email, b.payment_ref).await?;
    let view = voucher_view(&node, &v, &c);
    crate::http::mails::voucher(&node, &v, &c, "fr");
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// A code read by a shop.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeView {
    /// The code, grouped.
    pub code: String,
    /// What is left, euros.
    pub balance: String,
    /// What it was worth, euros.
    pub face_value: String,
    /// Spent until (RFC 3339).
    pub valid_until: String,
    /// Whether its validity ended.
    pub expired: bool,
    /// Issued (false while its price waits to be paid).
    pub issued: bool,
    /// Its campaign.
    pub campaign: CampaignRef,
}

/// A campaign named.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignRef {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// Reads a voucher's balance and validity (a participating shop's token or people, or the
/// admin). Wrong codes are counted: twenty in ten minutes, then 429.
#[utoipa::path(get, path = "/api/v1/vouchers/{code}", tag = "vouchers",
    params(("code" = String, Path, description = "The voucher's code, with or without dashes")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CodeView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "No shop of the caller takes part", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a code (its check character disagrees)", body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn read(
    State(node): State<Arc<Node>>,
    who: Caller,
    Client(client): Client,
    Path(code): Path<String>,
) -> Result<Response> {
    if matches!(who, Caller::Anonymous) {
        crate::domain::authz::allow(&who, crate::domain::authz::Action::RunNode)?;
    }
    let (v, c) = vouchers::lookup(&node.cx, &who, &code, None, &client).await?;
    let view = CodeView {
        code: voucher_code::display(&v.code),
        balance: euros(v.balance_minor),
        face_value: euros(v.face_minor),
        valid_until: crate::present::local_time(node.cx.settings.time_zone, c.valid_until),
        expired: node.cx.clock.now_ms() > c.valid_until,
        issued: v.issued,
        campaign: CampaignRef {
            id: c.id.to_string(),
            name: c.name.clone(),
        },
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(view)).into_response())
}

/// Body of a redemption.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemInput {
    /// The shop taking it (slug).
    pub merchant: String,
    /// The amount of the sale taken from the voucher, euros ("6.40").
    pub amount: String,
}

/// A redemption made.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedemptionView {
    /// Id (the shop may cancel it within 15 minutes).
    pub id: String,
    /// Euros taken.
    pub amount: String,
    /// What is left on the voucher, euros.
    pub balance: String,
}

/// Takes an amount from a voucher at a shop: 409 if the balance is short, 403 for a shop not
/// taking part, 410 once expired.
#[utoipa::path(post, path = "/api/v1/vouchers/{code}/redemptions", tag = "vouchers",
    params(("code" = String, Path, description = "The voucher's code")),
    request_body = RedeemInput, security(("bearer" = [])),
    responses(
        (status = 201, body = RedemptionView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The balance is short", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Expired", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn redeem(
    State(node): State<Arc<Node>>,
    who: Caller,
    Client(client): Client,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<RedeemInput>,
) -> Result<Response> {
    let (r, balance, _) =
        vouchers::redeem(&node.cx, &who, &code, &b.merchant, &b.amount, &client).await?;
    Ok((
        StatusCode::CREATED,
        Json(RedemptionView {
            id: r.id.to_string(),
            amount: euros(r.amount_minor),
            balance: euros(balance),
        }),
    )
        .into_response())
}

/// The balance after a cancelled redemption.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceView {
    /// What is left on the voucher, euros.
    pub balance: String,
}

/// Cancels a redemption (the shop that took it, within 15 minutes).
#[utoipa::path(post, path = "/api/v1/voucher-redemptions/{id}/cancel", tag = "vouchers",
    params(("id" = String, Path, description = "Redemption id")), security(("bearer" = [])),
    responses(
        (status = 200, body = BalanceView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Too late, or cancelled already", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(id): Path<String>,
) -> Result<Json<BalanceView>> {
    let balance = vouchers::cancel_redemption(&node.cx, &who, &id).await?;
    Ok(Json(BalanceView {
        balance: euros(balance),
    }))
}

/// What the town owes a shop.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwedView {
    /// Slug.
    pub merchant: String,
    /// Name.
    pub name: String,
    /// SIRET.
    pub siret: Option<String>,
    /// Redemptions.
    pub redemptions: i64,
    /// Their total, euros.
    pub amount: String,
    /// Reimbursed so far, euros.
    pub reimbursed: String,
    /// Left to reimburse, euros.
    pub due: String,
}

/// What the town owes each shop of a campaign (node admin); `.csv` and `.xlsx` give every
/// redemption with the columns an accountant needs.
#[utoipa::path(get, path = "/api/v1/voucher-campaigns/{id}/reimbursements", tag = "vouchers",
    params(("id" = String, Path, description = "Campaign id")), security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<OwedView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reimbursements(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let (_, owed) = vouchers::reimbursements(&node.cx, &who, &id).await?;
    Ok(Json(
        owed.into_iter()
            .map(|o| OwedView {
                merchant: o.slug,
                name: o.name,
                siret: o.siret,
                redemptions: o.redemptions,
                amount: euros(o.amount_minor),
                reimbursed: euros(o.reimbursed_minor),
                due: euros(o.amount_minor - o.reimbursed_minor),
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

/// Every redemption of a campaign as CSV, for the accountant (node admin): campaign, shop,
/// SIRET, voucher, amount, date, redemption id.
#[utoipa::path(get, path = "/api/v1/voucher-campaigns/{id}/reimbursements.csv", tag = "vouchers",
    params(("id" = String, Path, description = "Campaign id")), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn reimbursements_csv(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let (c, rows) = vouchers::accounting_rows(&node.cx, &who, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"bons-{}.csv\"", c.id),
            ),
        ],
        vouchers::accounting_csv(&rows),
    )
        .into_response())
}

/// Every redemption of a campaign as an Excel workbook (node admin).
#[utoipa::path(get, path = "/api/v1/voucher-campaigns/{id}/reimbursements.xlsx", tag = "vouchers",
    params(("id" = String, Path, description = "Campaign id")), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn reimbursements_xlsx(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let (c, rows) = vouchers::accounting_rows(&node.cx, &who, &id).await?;
    let bytes = vouchers::accounting_xlsx(&c, &rows)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"bons-{}.xlsx\"", c.id),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A shop's owner (or token) accepts a campaign's invitation, or leaves it.
#[utoipa::path(post, path = "/api/v1/voucher-campaigns/{id}/merchants/{slug}/{answer}", tag = "vouchers",
    params(
        ("id" = String, Path, description = "Campaign id"),
        ("slug" = String, Path, description = "Shop slug"),
        ("answer" = String, Path, description = "accept or leave"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Done"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not invited, or not the shop's owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn answer(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path((id, slug, answer)): Path<(String, String, String)>,
) -> Result<StatusCode> {
    let accept = match answer.as_str() {
        "accept" => true,
        "leave" => false,
        _ => return Err(crate::error::Error::NotFound("accept or leave".into())),
    };
    let m = crate::domain::merchants::get(&node.cx, &slug).await?;
    vouchers::answer_invitation(&node.cx, &who, &id, &m, accept).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many entitled addresses an import added.
#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    /// New addresses.
    pub added: u64,
}

/// Imports the addresses entitled to a `list` campaign (node admin): a CSV (or plain text)
/// body, one address a line in the first column.
#[utoipa::path(post, path = "/api/v1/voucher-campaigns/{id}/entitled", tag = "vouchers",
    params(("id" = String, Path, description = "Campaign id")),
    request_body(content = String, content_type = "text/csv"),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Imported),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Lines that are not addresses, each named", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn entitled(
    State(node): State<Arc<Node>>,
    who: Caller,
    Path(id): Path<String>,
    body: String,
) -> Result<Json<Imported>> {
    let added = vouchers::import_entitled(&node.cx, &who, &id, &body).await?;
    Ok(Json(Imported { added }))
}
