//! Searching the full-text index of products, behind one interface over SQLite FTS5 and
//! PostgreSQL's `tsvector`: [`search`] answers ranked, filtered queries (national search reads
//! one window of matches instead: [`super::window`]). Writing the index:
//! [`super::search_index`].

use uuid::Uuid;

use super::{Backend, Db, Sql};
use crate::model::product::Origin;
use crate::model::search::{
    availability_facet, category_facet, merchant_facet, near_cells, query_keys, Near, SearchQuery,
    KM_PER_DEGREE_LAT, MAX_QUERY_CHARS, MAX_QUERY_WORDS,
};
use etal_protocol::Availability;

/// One page of a search: product ids in order, and how many match in all.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Ids of the page, best first (newest first without words).
    pub ids: Vec<Uuid>,
    /// Matches in all, or counted so far if [`Found::capped`].
    pub total: i64,
    /// The count stopped at a bound: there are at least `total` matches.
    pub capped: bool,
}

/// Runs a search.
pub async fn search(db: &Db, q: &SearchQuery) -> sqlx::Result<Found> {
    if q.shops.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Found::default());
    }
    match db.backend() {
        Backend::Sqlite => search_sqlite(db, q).await,
        Backend::Postgres => search_postgres(db, q).await,
    }
}

/// Column sets of the relevance tiers, each including the one before: all the words in the
/// name first, then in the name, keywords (tags, category) and shop name, then anywhere.
/// Within a tier, newest first. (Ordering every match by BM25 costs tens of milliseconds for a
/// word found in 10,000 products; tiers read only the rows they show, plus three counts.)
pub(super) const TIERS: [&str; 3] = [
    "{name}",
    "{name keywords shop}",
    "{name keywords shop description}",
];

/// The filters the index answers: category, availability, shop, map cells, origin.
fn filter_clauses(q: &SearchQuery) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(c) = &q.category {
        parts.push(format!("facets : {}", category_facet(c)));
    }
    if let Some(a) = q.availability.filter(|a| *a != Availability::InStock) {
        parts.push(format!("facets : {}", availability_facet(a)));
    }
    if let Some(m) = q.merchant {
        parts.push(format!("facets : {}", merchant_facet(m)));
    }
    if let Some(shops) = q.shops.as_ref().filter(|s| !s.is_empty()) {
        let words: Vec<String> = shops.iter().map(|m| merchant_facet(*m)).collect();
        parts.push(format!("facets : ({})", words.join(" OR ")));
    }
    if let Some(cells) = q.near.as_ref().and_then(near_cells) {
        parts.push(format!("facets : ({})", cells.join(" OR ")));
    }
    if q.origin == Origin::Remote {
        parts.push("facets : oremote".into());
    }
    parts
}

/// ANDs clauses and applies what is cheaper said as an exclusion: local products are those
/// not marked remote, products in stock those neither out of stock nor to order (so that no
/// clause reads a doclist of nearly every product).
fn combine(mut parts: Vec<String>, q: &SearchQuery) -> String {
    let origin = q.origin;
    let mut excluded: Vec<String> = Vec::new();
    if origin == Origin::Local {
        excluded.push("oremote".into());
    }
    if q.availability == Some(Availability::InStock) {
        excluded.extend(
            Availability::ALL
                .into_iter()
                .filter(|a| *a != Availability::InStock)
                .map(availability_facet),
        );
    }
    if parts.is_empty() {
        parts.push(
            match origin {
                Origin::Local => "facets : olocal",
                Origin::Remote => "facets : oremote",
                Origin::All => "facets : (olocal OR oremote)",
            }
            .into(),
        );
        if origin == Origin::Local {
            excluded.remove(0);
        }
    }
    let all = parts.join(" AND ");
    if excluded.is_empty() {
        all
    } else {
        format!("({all}) NOT facets : ({})", excluded.join(" OR "))
    }
}

/// The FTS5 expressions of the cumulative tiers ([`TIERS`]) of a query's keys, its filters
/// applied: everything matching in the first columns, then in the next, …
pub(super) fn tier_expressions(keys: &[String], q: &SearchQuery) -> Vec<String> {
    let filters = filter_clauses(q);
    TIERS
        .iter()
        .map(|cols| {
            let mut parts = word_clauses(keys, cols);
            parts.extend(filters.iter().cloned());
            combine(parts, q)
        })
        .collect()
}

/// The clauses requiring every key in the columns `cols`.
fn word_clauses(keys: &[String], cols: &str) -> Vec<String> {
    // Keys are letters and digits only, so quoting them is enough.
    keys.iter().map(|k| format!("{cols} : \"{k}\"")).collect()
}

/// The FTS5 expression of a query's words (in any column) and index-answered filters; `None`
/// if the query has words but none that can match (only stop words), so nothing is found.
pub(super) fn fts_expression(q: &SearchQuery) -> Option<String> {
    let keys = match words(q) {
        Some(text) => {
            let keys = query_keys(text);
            if keys.is_empty() {
                return None;
            }
            keys
        }
        None => vec![],
    };
    let mut parts = word_clauses(&keys, TIERS[TIERS.len() - 1]);
    parts.extend(filter_clauses(q));
    Some(combine(parts, q))
}

/// The words of a query, if it has any that are not blank.
pub(super) fn words(q: &SearchQuery) -> Option<&str> {
    q.q.as_deref().filter(|t| !t.trim().is_empty())
}

/// Pushes the condition "the product has all the words of `text`" (through the full-text
/// index) onto a query over `products p`: the API's `q`, whose order stays newest first.
pub fn push_words_condition(sql: &mut Sql, backend: Backend, text: &str) {
    let q = SearchQuery {
        q: Some(text.to_string()),
        origin: Origin::All,
        ..SearchQuery::default()
    };
    match (backend, fts_expression(&q)) {
        (_, None) => {
            // Only stop words: nothing matches.
            sql.push(" AND 1=0");
        }
        (Backend::Sqlite, Some(expr)) => {
            sql.push(
                " AND p.id IN (SELECT d.product_id FROM product_search f \
                 JOIN product_search_ids d ON d.n = f.rowid WHERE product_search MATCH ",
            )
            .bind(expr)
            .push(")");
        }
        (Backend::Postgres, Some(_)) => {
            sql.push(" AND p.search_doc @@ plainto_tsquery('public.etal_fr', ")
                .bind(pg_words(text))
                .push(")");
        }
    }
}

/// Counts and pages through one FTS5 expression, newest first; with a "near" filter the
/// shops' exact distance is checked too.
struct Fts<'a> {
    db: &'a Db,
    near: Option<Near>,
}

impl Fts<'_> {
    fn source(&self) -> String {
        match self.near {
            None => "FROM product_search f WHERE product_search MATCH $1".to_string(),
            Some(near) => format!(
                "FROM product_search f WHERE product_search MATCH $1{}",
                near_condition(near, "", "f")
            ),
        }
    }

    async fn count(&self, expr: &str) -> sqlx::Result<i64> {
        sqlx::query_scalar(&format!("SELECT COUNT(*) {}", self.source()))
            .bind(expr.to_string())
            .fetch_one(self.db.pool())
            .await
    }

    /// With a "near" filter: every match within the circle read once, closest first, for both
    /// the count and the page (reading the positions twice cost twice as much).
    async fn near_page(&self, expr: &str, limit: i64, offset: i64) -> sqlx::Result<Found> {
        let Some(near) = self.near else {
            return Ok(Found::default());
        };
        let sql = format!(
            "SELECT f.rowid {} ORDER BY {}, f.rowid DESC",
            self.source(),
            distance(near, "", "f")
        );
        let rows: Vec<i64> = sqlx::query_scalar(&sql)
            .bind(expr.to_string())
            .fetch_all(self.db.pool())
            .await?;
        let total = rows.len() as i64;
        let page: Vec<i64> = rows
            .into_iter()
            .skip(offset.max(0) as usize)
            .take(limit.max(0) as usize)
            .collect();
        if page.is_empty() {
            return Ok(Found {
                ids: vec![],
                total,
                capped: false,
            });
        }
        let mut sql = Sql::new("SELECT n, product_id FROM product_search_ids WHERE n IN (");
        for (i, n) in page.iter().enumerate() {
            if i > 0 {
                sql.push(",");
            }
            sql.bind(*n);
        }
        sql.push(")");
        let (text, args) = sql.build();
        let found: std::collections::HashMap<i64, String> = sqlx::query_as_with(&text, args)
            .fetch_all(self.db.pool())
            .await?
            .into_iter()
            .collect();
        let ids = page.iter().filter_map(|n| found.get(n).cloned()).collect();
        Ok(Found {
            ids: parse_ids(ids)?,
            total,
            capped: false,
        })
    }

    /// A page, newest first.
    async fn page(&self, expr: &str, limit: i64, offset: i64) -> sqlx::Result<Vec<String>> {
        let sql = format!(
            "SELECT d.product_id FROM (SELECT f.rowid AS n {} ORDER BY f.rowid DESC LIMIT $2 OFFSET $3) r \
             JOIN product_search_ids d ON d.n = r.n ORDER BY r.n DESC",
            self.source()
        );
        sqlx::query_scalar(&sql)
            .bind(expr.to_string())
            .bind(limit)
            .bind(offset)
            .fetch_all(self.db.pool())
            .await
    }
}

async fn search_sqlite(db: &Db, q: &SearchQuery) -> sqlx::Result<Found> {
    let fts = Fts { db, near: q.near };
    let filters = filter_clauses(q);
    let keys = match words(q) {
        None => {
            let expr = combine(filters, q);
            if q.near.is_some() {
                return fts.near_page(&expr, q.limit, q.offset).await;
            }
            let total = fts.count(&expr).await?;
            let ids = fts.page(&expr, q.limit, q.offset).await?;
            return Ok(Found {
                ids: parse_ids(ids)?,
                total,
                capped: false,
            });
        }
        Some(text) => query_keys(text),
    };
    if keys.is_empty() {
        return Ok(Found::default());
    }
    if q.near.is_some() {
        // Near a point: every match within the circle, closest first.
        let mut parts = word_clauses(&keys, TIERS[TIERS.len() - 1]);
        parts.extend(filters);
        let expr = combine(parts, q);
        return fts.near_page(&expr, q.limit, q.offset).await;
    }
    let cumulative = tier_expressions(&keys, q);
    let mut counts = Vec::with_capacity(TIERS.len());
    for e in &cumulative {
        counts.push(fts.count(e).await?);
    }
    let total = counts[counts.len() - 1];
    let mut ids = Vec::new();
    let mut skip = q.offset;
    let mut before = 0;
    for (i, e) in cumulative.iter().enumerate() {
        let size = counts[i] - before;
        before = counts[i];
        if size <= 0 {
            continue;
        }
        if skip >= size {
            skip -= size;
            continue;
        }
        let tier = if i == 0 {
            e.clone()
        } else {
            format!("({e}) NOT ({})", cumulative[i - 1])
        };
        let want = q.limit - ids.len() as i64;
        ids.extend(fts.page(&tier, want, skip).await?);
        skip = 0;
        if ids.len() as i64 >= q.limit {
            break;
        }
    }
    Ok(Found {
        ids: parse_ids(ids)?,
        total,
        capped: false,
    })
}

/// The words handed to PostgreSQL's parser: bounded like [`query_keys`].
pub(super) fn pg_words(text: &str) -> String {
    let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
    text.split_whitespace()
        .take(MAX_QUERY_WORDS * 2)
        .collect::<Vec<_>>()
        .join(" ")
}

async fn search_postgres(db: &Db, q: &SearchQuery) -> sqlx::Result<Found> {
    if words(q).is_some() && fts_expression(q).is_none() {
        return Ok(Found::default());
    }
    let words = words(q).map(pg_words);
    let (text, args) = postgres_filter(q, words.as_deref(), "SELECT COUNT(*)").build();
    let total: i64 = sqlx::query_scalar_with(&text, args)
        .fetch_one(db.pool())
        .await?;
    let mut sql = postgres_filter(q, words.as_deref(), "SELECT p.id");
    match &words {
        Some(w) => {
            // The same tiers as on SQLite: the words in the name (weight A), then in the name,
            // keywords or shop (A, B, C), then anywhere; newest first within a tier.
            if let Some(near) = q.near {
                sql.push(&format!(
                    " ORDER BY {}, p.id DESC",
                    distance(near, "^ 2", "m")
                ));
            } else {
                sql.push(
                " ORDER BY CASE WHEN ts_filter(p.search_doc, '{a}') @@ plainto_tsquery('public.etal_fr', ",
            )
            .bind(w.clone())
            .push(
                ") THEN 0 WHEN ts_filter(p.search_doc, '{a,b,c}') @@ plainto_tsquery('public.etal_fr', ",
            )
            .bind(w.clone())
            .push(") THEN 1 ELSE 2 END, p.id DESC");
            }
        }
        None => match q.near {
            Some(near) => {
                sql.push(&format!(
                    " ORDER BY {}, p.id DESC",
                    distance(near, "^ 2", "m")
                ));
            }
            None => {
                sql.push(" ORDER BY p.id DESC");
            }
        },
    }
    sql.push(" LIMIT ")
        .bind(q.limit)
        .push(" OFFSET ")
        .bind(q.offset);
    let (text, args) = sql.build();
    let rows: Vec<String> = sqlx::query_scalar_with(&text, args)
        .fetch_all(db.pool())
        .await?;
    Ok(Found {
        ids: parse_ids(rows)?,
        total,
        capped: false,
    })
}

/// `select` and the `FROM … WHERE …` of a PostgreSQL search.
fn postgres_filter(q: &SearchQuery, words: Option<&str>, select: &str) -> Sql {
    postgres_filter_after(Sql::new(""), q, words, select)
}

/// [`postgres_filter`] appended to `sql` (a query around it).
pub(super) fn postgres_filter_after(
    sql: Sql,
    q: &SearchQuery,
    words: Option<&str>,
    select: &str,
) -> Sql {
    postgres_filter_by(sql, q, words, select, Access::Planner)
}

/// How a search near a point reaches its rows on PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// As PostgreSQL plans it.
    Planner,
    /// The shops within the circle, then their products, each one's words checked (the
    /// full-text index unused: per shop it cost 0.8 ms).
    ShopsFirst,
    /// The words' matches through the full-text index, then their shops (no lookup of
    /// products by shop).
    WordsFirst,
}

/// [`postgres_filter_after`], reaching the rows as `access` says.
pub(super) fn postgres_filter_by(
    mut sql: Sql,
    q: &SearchQuery,
    words: Option<&str>,
    select: &str,
    access: Access,
) -> Sql {
    let origin = match q.origin {
        Origin::Local => " AND p.local = 1",
        Origin::Remote => " AND p.local = 0",
        Origin::All => "",
    };
    // A deleted shop's products are deleted with it: the shop is read only for its position.
    // (`|| ''` and `COALESCE` keep an index from being used, not the meaning.)
    let shop = if access == Access::WordsFirst {
        "(p.merchant_id || '')"
    } else {
        "p.merchant_id"
    };
    sql.push(&if q.near.is_some() {
        format!(
            "{select} FROM products p JOIN merchants m ON m.id = {shop} \
             WHERE p.deleted_at IS NULL AND m.deleted_at IS NULL{origin}"
        )
    } else {
        format!("{select} FROM products p WHERE p.deleted_at IS NULL{origin}")
    });
    if let Some(w) = words {
        if access == Access::ShopsFirst {
            sql.push(" AND COALESCE(p.search_doc @@ plainto_tsquery('public.etal_fr', ")
                .bind(w.to_string())
                .push("), false)");
        } else {
            sql.push(" AND p.search_doc @@ plainto_tsquery('public.etal_fr', ")
                .bind(w.to_string())
                .push(")");
        }
    }
    if let Some(c) = &q.category {
        sql.push(" AND (p.category = ")
            .bind(c.clone())
            .push(" OR p.category LIKE ")
            .bind(format!("{c}.%"))
            .push(")");
    }
    if let Some(a) = q.availability {
        sql.push(" AND p.availability = ")
            .bind(a.as_str().to_string());
    }
    if let Some(m) = q.merchant {
        sql.push(" AND p.merchant_id = ").bind(m.to_string());
    }
    if let Some(shops) = q.shops.as_ref().filter(|s| !s.is_empty()) {
        sql.push(" AND p.merchant_id IN (")
            .bind_list(shops.iter().map(|m| m.to_string()))
            .push(")");
    }
    if let Some(near) = q.near {
        sql.push(&near_condition(near, "^ 2", "m"));
    }
    sql
}

/// The squared distance in km² from the circle's centre to `t.lat`, `t.lon` (on the local
/// plane), as SQL.
pub(super) fn distance(near: Near, square: &str, t: &str) -> String {
    let (la, lo) = (near.at.lat, near.at.lon);
    let (kla, klo) = (KM_PER_DEGREE_LAT, near.km_per_degree_lon());
    let sq = |e: String| {
        if square.is_empty() {
            format!("({e}) * ({e})")
        } else {
            format!("({e}) {square}")
        }
    };
    format!(
        "({} + {})",
        sq(format!("({t}.lat - {la}) * {kla}")),
        sq(format!("({t}.lon - {lo}) * {klo}"))
    )
}

/// The SQL condition "`t.lat`, `t.lon` are within the circle" (bounding box, then distance on
/// the local plane: exact enough below a few hundred kilometres). Numbers only, no input text.
pub(super) fn near_condition(near: Near, square: &str, t: &str) -> String {
    let (lat0, lat1, lon0, lon1) = near.bounds();
    format!(
        " AND {t}.lat BETWEEN {lat0} AND {lat1} AND {t}.lon BETWEEN {lon0} AND {lon1} AND {} <= {}",
        distance(near, square, t),
        near.km * near.km
    )
}

pub(super) fn parse_ids(rows: Vec<String>) -> sqlx::Result<Vec<Uuid>> {
    rows.iter()
        .map(|s| Uuid::parse_str(s).map_err(|e| sqlx::Error::Decode(e.into())))
        .collect()
}
