//! `/api/v1/search`: ranked search with filters and facets by town. On an aggregator it runs
//! over every harvested node (national search); each result's `url` is its page on its own
//! node.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::views::ProductView;
use crate::domain::products::{self, Origin};
use crate::error::{Checks, Result};
use crate::http::extract::ApiQuery;
use crate::http::problem::Problem;
use crate::http::Node;
use crate::model::merchant::Geo;
use crate::model::search::{Near, SearchQuery, MAX_RADIUS_KM};

/// Query of `GET /api/v1/search`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words (case and accents ignored, French word forms matched).
    pub q: Option<String>,
    /// Category code; a family (`food`) includes its kinds.
    pub category: Option<String>,
    /// `in_stock`, `out_of_stock` or `preorder`.
    pub availability: Option<String>,
    /// Near a French postal code (`78120`), or else an INSEE code (`78517`): the point where the
    /// shops of its communes stand.
    pub near: Option<String>,
    /// Near this latitude (with `lon`).
    pub lat: Option<String>,
    /// Near this longitude (with `lat`).
    pub lon: Option<String>,
    /// Radius in km for `near` or `lat`/`lon` (default 10, at most 200).
    pub km: Option<String>,
    /// Only the shops of this commune (INSEE code), as the `towns` facet gives them.
    pub town: Option<String>,
    /// Page, from 1.
    pub page: Option<String>,
    /// Results per page, 1 to 100 (default 20).
    pub limit: Option<String>,
}

/// A town among the matches.
#[derive(Debug, Serialize, ToSchema)]
pub struct TownFacet {
    /// INSEE code of the commune (pass it as `town`).
    pub insee_code: String,
    /// Its name.
    pub city: String,
    /// Matching products there.
    pub count: i64,
}

/// Where a search looked around.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearView {
    /// The postal or INSEE code asked, if any.
    pub code: Option<String>,
    /// The communes' names.
    pub name: Option<String>,
    /// Centre.
    pub lat: f64,
    /// Centre.
    pub lon: f64,
    /// Radius.
    pub km: f64,
}

/// A page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Matches in all; if `total_exact` is false, the count stopped there and there are more.
    pub total: i64,
    /// Whether `total` counts every match. A search with words reads its 500 newest matches
    /// and ranks them; near a point, PostgreSQL reads the 5,000 closest (SQLite counts them
    /// all). When there are more, `total` is that bound, `total_exact` false, and pages end
    /// there.
    pub total_exact: bool,
    /// This page (from 1).
    pub page: i64,
    /// Best first (closest first near a point; newest first without words).
    pub items: Vec<ProductView>,
    /// The towns with the most matches (at most 12).
    pub towns: Vec<TownFacet>,
    /// How many matches `towns` counts: all of them, or when there are more the 500 newest
    /// (with words) or the 5,000 newest (without); near a point, on PostgreSQL the 5,000
    /// closest, on SQLite the 5,000 newest.
    pub towns_counted: i64,
    /// The circle searched, if any.
    pub near: Option<NearView>,
}

/// Searches products (national search on an aggregator).
#[utoipa::path(get, path = "/api/v1/search", tag = "products", params(SearchParams),
    responses(
        (status = 200, description = "A page of results with facets by town", body = SearchResults),
        (status = 422, description = "Bad filter, place, page or limit", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn search(
    State(node): State<Arc<Node>>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Response> {
    let mut checks = Checks::default();
    let (limit, category, availability) = super::common_filters(
        &mut checks,
        p.limit.as_deref(),
        p.category.as_deref(),
        p.availability.as_deref(),
    );
    let page = match p.page.as_deref().filter(|v| !v.is_empty()) {
        None => 1,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=500).contains(&n) => n,
            _ => {
                checks.add("page", "must be an integer from 1 to 500");
                1
            }
        },
    };
    let num = |v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| s.replace(',', ".").parse::<f64>())
    };
    let km = match num(&p.km) {
        None => 10.0,
        Some(Ok(k)) if k > 0.0 && k <= MAX_RADIUS_KM => k,
        Some(_) => {
            checks.add(
                "km",
                format!("must be a number above 0 and at most {MAX_RADIUS_KM}"),
            );
            10.0
        }
    };
    let mut near = None;
    match (num(&p.lat), num(&p.lon)) {
        (None, None) => {}
        (Some(Ok(lat)), Some(Ok(lon)))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            near = Some(NearView {
                code: None,
                name: None,
                lat,
                lon,
                km,
            });
        }
        _ => checks.add(
            "lat",
            "lat and lon must both be degrees (e.g. 48.64 and 1.83)",
        ),
    }
    let code = p.near.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let town = p.town.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if code.is_some() && near.is_some() {
        checks.add("near", "give either near or lat and lon");
    }
    checks.finish()?;
    if let Some(code) = code {
        let place = products::place(&node.cx, code, "near").await?;
        near = Some(NearView {
            code: Some(place.code),
            name: Some(place.name),
            lat: place.at.lat,
            lon: place.at.lon,
            km,
        });
    }
    let mut query = SearchQuery {
        q: p.q.clone().filter(|s| !s.trim().is_empty()),
        category,
        availability,
        near: near.as_ref().map(|n| Near {
            at: Geo {
                lat: n.lat,
                lon: n.lon,
            },
            km: n.km,
        }),
        origin: if node.cx.settings.aggregator {
            Origin::All
        } else {
            Origin::Local
        },
        offset: (page - 1) * limit,
        limit,
        ..SearchQuery::default()
    };
    if let Some(t) = town {
        if crate::model::commune::communes().by_insee(t).is_none() {
            return Err(crate::error::Error::field("town", "is not an INSEE code"));
        }
        products::in_town(&node.cx, &mut query, t).await?;
    }
    let found = products::search_ranked(&node.cx, &query).await?;
    Ok(Json(SearchResults {
        total: found.total,
        total_exact: !found.capped,
        page,
        items: found
            .products
            .into_iter()
            .map(|p| ProductView::new(p, &node.cx.urls))
            .collect(),
        towns: found
            .towns
            .into_iter()
            .map(|t| TownFacet {
                insee_code: t.insee,
                city: t.city,
                count: t.count,
            })
            .collect(),
        near,
        towns_counted: found.towns_counted,
    })
    .into_response())
}
