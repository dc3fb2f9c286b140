//! The facet by town and the points of communes, for national search: counted from the
//! full-text index (SQLite: each product's commune beside its FTS row id) or from the products'
//! `tsvector` (PostgreSQL), with the filters of [`super::search`].

use uuid::Uuid;

use super::search::{
    fts_expression, near_condition, parse_ids, pg_words, postgres_filter_after, words,
};
use super::{Backend, Db, Sql};
use crate::model::merchant::Geo;
use crate::model::search::SearchQuery;

/// A town among a search's matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TownCount {
    /// INSEE code of the commune.
    pub insee: String,
    /// Its name as the shops write it.
    pub city: String,
    /// Matching products there.
    pub count: i64,
}

/// Matches the facet by town counts: all of them, or for broader searches the newest this
/// many (counting 20,000 matches town by town would take 30 ms).
pub const FACET_MATCHES: i64 = 5000;

/// The towns with the most matches of a search (its words and filters), at most `limit`,
/// among its [`FACET_MATCHES`] newest matches.
pub async fn town_facets(db: &Db, q: &SearchQuery, limit: i64) -> sqlx::Result<Vec<TownCount>> {
    if q.shops.as_ref().is_some_and(Vec::is_empty) {
        return Ok(vec![]);
    }
    let rows: Vec<(Option<String>, String, i64)> = match db.backend() {
        Backend::Sqlite => {
            let Some(expr) = fts_expression(q) else {
                return Ok(vec![]);
            };
            // Each match's town sits beside its FTS row id: one lookup a match, no join.
            let near = q
                .near
                .map(|n| near_condition(n, "", "f"))
                .unwrap_or_default();
            let sql = format!(
                "SELECT d.town, COUNT(*) AS n FROM (SELECT f.rowid AS n FROM product_search f \
                 WHERE product_search MATCH $1{near} ORDER BY f.rowid DESC LIMIT $3) r \
                 JOIN product_search_ids d ON d.n = r.n WHERE d.town IS NOT NULL \
                 GROUP BY d.town ORDER BY n DESC, d.town LIMIT $2"
            );
            let rows: Vec<(String, i64)> = sqlx::query_as(&sql)
                .bind(expr)
                .bind(limit)
                .bind(FACET_MATCHES)
                .fetch_all(db.pool())
                .await?;
            rows.into_iter()
                .map(|(insee, n)| (Some(insee), String::new(), n))
                .collect()
        }
        Backend::Postgres => {
            if words(q).is_some() && fts_expression(q).is_none() {
                return Ok(vec![]);
            }
            let w = words(q).map(pg_words);
            let mut sql = postgres_filter_after(
                Sql::new("SELECT t.insee_code, MIN(t.city), COUNT(*) AS n FROM merchants t JOIN ("),
                q,
                w.as_deref(),
                "SELECT p.merchant_id",
            );
            sql.push(" ORDER BY p.id DESC LIMIT ").bind(FACET_MATCHES);
            sql.push(
                ") x ON x.merchant_id = t.id WHERE t.insee_code IS NOT NULL \
                      GROUP BY t.insee_code ORDER BY n DESC, t.insee_code LIMIT ",
            )
            .bind(limit);
            let (text, args) = sql.build();
            sqlx::query_as_with(&text, args)
                .fetch_all(db.pool())
                .await?
        }
    };
    Ok(named(
        rows.into_iter()
            .filter_map(|(insee, city, count)| insee.map(|insee| (insee, city, count)))
            .collect(),
    ))
}

/// Towns counted (INSEE code, name as a shop writes it, count), named as Etalab's table of
/// communes names them.
pub(super) fn named(rows: Vec<(String, String, i64)>) -> Vec<TownCount> {
    let table = crate::model::commune::communes();
    rows.into_iter()
        .map(|(insee, city, count)| TownCount {
            city: table
                .by_insee(&insee)
                .map(|c| c.name.to_string())
                .unwrap_or(city),
            insee,
            count,
        })
        .collect()
}

/// Where shops of these communes stand, on average (a commune's point for "near"), and how
/// many have a position.
pub async fn communes_point(db: &Db, insee: &[&str]) -> sqlx::Result<Option<(Geo, i64)>> {
    if insee.is_empty() {
        return Ok(None);
    }
    let mut sql = Sql::new(
        "SELECT AVG(lat), AVG(lon), COUNT(*) FROM merchants WHERE deleted_at IS NULL AND indexable = 1 \
         AND lat IS NOT NULL AND lon IS NOT NULL AND insee_code IN (",
    );
    sql.bind_list(insee.iter().map(|c| c.to_string()));
    sql.push(")");
    let (text, args) = sql.build();
    let (lat, lon, n): (Option<f64>, Option<f64>, i64) = sqlx::query_as_with(&text, args)
        .fetch_one(db.pool())
        .await?;
    Ok(match (lat, lon) {
        (Some(lat), Some(lon)) if n > 0 => Some((Geo { lat, lon }, n)),
        _ => None,
    })
}

/// The live shops of a commune.
pub async fn shops_in(db: &Db, insee: &str) -> sqlx::Result<Vec<Uuid>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM merchants WHERE insee_code = $1 AND deleted_at IS NULL ORDER BY id LIMIT 2000",
    )
    .bind(insee.to_string())
    .fetch_all(db.pool())
    .await?;
    parse_ids(rows)
}
