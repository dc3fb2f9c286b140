//! The REST API under `/api/v1`, and its OpenAPI 3.1 description.

pub mod federation;
pub mod images;
pub mod merchants;
pub mod products;
pub mod reservations;
pub mod search;
pub mod views;
pub mod vouchers;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{Error, Result};
use crate::http::Node;
use crate::media::MAX_UPLOAD_BYTES;
use etal_protocol::taxonomy;
use views::{CategoryView, Taxonomy};

/// Lists the category taxonomy.
#[utoipa::path(get, path = "/api/v1/categories", tag = "categories",
    responses((status = 200, body = Taxonomy)))]
pub async fn categories() -> Json<Taxonomy> {
    Json(Taxonomy {
        version: taxonomy::VERSION,
        categories: taxonomy::CATEGORIES
            .iter()
            .map(|c| CategoryView {
                code: c.code,
                parent: c.parent,
                label_fr: c.label_fr,
                label_en: c.label_en,
                hashtag: c.hashtag,
            })
            .collect(),
    })
}

/// Reads the `limit`, `category` and `availability` filters that listing and search share,
/// reporting bad values in `checks`.
pub fn common_filters(
    checks: &mut crate::error::Checks,
    limit: Option<&str>,
    category: Option<&str>,
    availability: Option<&str>,
) -> (i64, Option<String>, Option<etal_protocol::Availability>) {
    let limit = parse_limit(limit, 20, 100).unwrap_or_else(|_| {
        checks.add("limit", "must be an integer from 1 to 100");
        20
    });
    let category = category.filter(|c| !c.is_empty()).map(str::to_string);
    if let Some(c) = &category {
        checks.check("category", etal_protocol::taxonomy::check(c).map(|_| ()));
    }
    let availability = match availability.filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => etal_protocol::Availability::parse(a).or_else(|| {
            checks.add(
                "availability",
                "must be one of in_stock, out_of_stock, preorder",
            );
            None
        }),
    };
    (limit, category, availability)
}

/// Reads a `limit` parameter.
pub fn parse_limit(value: Option<&str>, default: i64, max: i64) -> Result<i64> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| Error::field("limit", format!("must be an integer from 1 to {max}"))),
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The OpenAPI document of the REST API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Étal node API",
        description = "Manage a town's shops and products. Reads are public; writes need \
            `Authorization: Bearer TOKEN` (create one with `etal admin token create`). Errors are \
            RFC 9457 `application/problem+json`; invalid fields are listed in `errors`.",
        license(name = "AGPL-3.0-or-later"),
    ),
    paths(
        merchants::create, merchants::list, merchants::get, merchants::update, merchants::delete,
        products::create, products::list, products::get, products::update, products::delete,
        search::search,
        images::upload, images::update, images::delete,
        categories,
        federation::follow, federation::list, federation::unfollow, federation::interactions,
        reservations::create, reservations::get, reservations::of_shop, reservations::act,
        reservations::slots,
        vouchers::create, vouchers::list, vouchers::issue, vouchers::read, vouchers::redeem,
        vouchers::cancel, vouchers::reimbursements, vouchers::reimbursements_csv,
        vouchers::reimbursements_xlsx, vouchers::answer, vouchers::entitled,
    ),
    components(schemas(crate::http::problem::Problem, crate::http::problem::FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "merchants", description = "Shops of the town"),
        (name = "products", description = "What the shops sell"),
        (name = "images", description = "Product photos"),
        (name = "categories", description = "The category taxonomy"),
        (name = "vouchers", description = "Town vouchers: campaigns, vouchers, redemptions in the shops, reimbursements"),
        (name = "reservations", description = "Click & collect: reserving, pick-up slots, the shop's answers"),
        (name = "federation", description = "Following other nodes; likes, boosts and replies from the fediverse"),
    )
)]
pub struct ApiDoc;

/// Routes of `/api/v1`.
pub fn router() -> Router<Arc<Node>> {
    Router::new()
        .route(
            "/api/v1/merchants",
            post(merchants::create).get(merchants::list),
        )
        .route(
            "/api/v1/merchants/{slug}",
            get(merchants::get)
                .patch(merchants::update)
                .delete(merchants::delete),
        )
        .route("/api/v1/merchants/{slug}/products", post(products::create))
        .route(
            "/api/v1/merchants/{slug}/reservations",
            get(reservations::of_shop),
        )
        .route("/api/v1/merchants/{slug}/slots", get(reservations::slots))
        .route("/api/v1/reservations", post(reservations::create))
        .route(
            "/api/v1/voucher-campaigns",
            post(vouchers::create).get(vouchers::list),
        )
        .route(
            "/api/v1/voucher-campaigns/{id}/vouchers",
            post(vouchers::issue),
        )
        .route(
            "/api/v1/voucher-campaigns/{id}/reimbursements",
            get(vouchers::reimbursements),
        )
        .route(
            "/api/v1/voucher-campaigns/{id}/reimbursements.csv",
            get(vouchers::reimbursements_csv),
        )
        .route(
            "/api/v1/voucher-campaigns/{id}/reimbursements.xlsx",
            get(vouchers::reimbursements_xlsx),
        )
        .route(
            "/api/v1/voucher-campaigns/{id}/merchants/{slug}/{answer}",
            post(vouchers::answer),
        )
        .route(
            "/api/v1/voucher-campaigns/{id}/entitled",
            post(vouchers::entitled),
        )
        .route("/api/v1/vouchers/{code}", get(vouchers::read))
        .route(
            "/api/v1/vouchers/{code}/redemptions",
            post(vouchers::redeem),
        )
        .route(
            "/api/v1/voucher-redemptions/{id}/cancel",
            post(vouchers::cancel),
        )
        .route("/api/v1/reservations/{id}", get(reservations::get))
        .route(
            "/api/v1/reservations/{id}/{action}",
            post(reservations::act),
        )
        .route("/api/v1/products", get(products::list))
        .route("/api/v1/search", get(search::search))
        .route(
            "/api/v1/products/{id}",
            get(products::get)
                .patch(products::update)
                .delete(products::delete),
        )
        .route(
            "/api/v1/products/{id}/images",
            post(images::upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route(
            "/api/v1/products/{id}/images/{image_id}",
            patch(images::update).delete(images::delete),
        )
        .route("/api/v1/categories", get(categories))
        .route(
            "/api/v1/node/follows",
            post(federation::follow)
                .get(federation::list)
                .delete(federation::unfollow),
        )
        .route(
            "/api/v1/merchants/{slug}/interactions",
            get(federation::interactions),
        )
}
