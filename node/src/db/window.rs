//! National search in one bounded pass. Counting every match, ranking every match and
//! counting towns over them each read every matching row (on PostgreSQL about 60 ms for a word
//! found in 20,000 products; on SQLite, with a category, 40 ms): here a bounded window of
//! matches is read once (their id, rank and town) and the page, the count and the facet by town
//! are all taken from it.
//!
//! - With words: the [`WINDOW`] newest matches, ranked by tier (the words in the name, then in
//!   the name, keywords or shop, then anywhere), newest first within a tier. PostgreSQL reads
//!   the newest matches through the primary key when the words are common, so reading stops at
//!   the window; SQLite's full-text index reads its matches newest first.
//! - Near a point, on PostgreSQL: the [`NEAR_WINDOW`] closest matches, closest first (SQLite
//!   finds them through map cells in its full-text index, and counts them all).
//!
//! When there are more matches than a window holds, the count stops there: [`Found::capped`].

use std::collections::HashMap;

use super::search::{
    distance, fts_expression, pg_words, postgres_filter_after, postgres_filter_by,
    tier_expressions, words, Access, Found, TIERS,
};
use super::towns::{named, TownCount};
use super::{Backend, Db, Sql};
use crate::model::search::{query_keys, Near, SearchQuery};

/// Matches read for a search with words: the newest this many.
pub const WINDOW: i64 = 500;

/// Matches read near a point: the closest this many.
pub const NEAR_WINDOW: i64 = 5000;

/// What reading a match through the full-text index costs, in rows checked in key order or
/// shop by shop (measured: 2.5 µs a match read through the index and sorted, 0.55 µs a row
/// checked).
const INDEX_MATCH_COST: f64 = 4.5;

/// A page of results and the towns with the most matches among those read.
#[derive(Debug, Clone, Default)]
pub struct Ranked {
    /// The page and the count.
    pub found: Found,
    /// The towns with the most matches among the window's (`found.total`), most first.
    pub towns: Vec<TownCount>,
}

/// Whether [`ranked`] answers this query: with words, or near a point on PostgreSQL.
pub fn applies(db: &Db, q: &SearchQuery) -> bool {
    match db.backend() {
        Backend::Postgres => words(q).is_some() || q.near.is_some(),
        Backend::Sqlite => words(q).is_some() && q.near.is_none(),
    }
}

/// A search with words (or near a point on PostgreSQL) with its facet by town (`towns` at
/// most), from one window of matches.
pub async fn ranked(db: &Db, q: &SearchQuery, towns: i64) -> sqlx::Result<Ranked> {
    if q.shops.as_ref().is_some_and(Vec::is_empty)
        || (words(q).is_some() && fts_expression(q).is_none())
    {
        return Ok(Ranked::default());
    }
    let words = words(q).map(pg_words);
    let (mut rows, window) = match (db.backend(), q.near, words.as_deref()) {
        (Backend::Postgres, Some(near), w) => (closest(db, q, w, near).await?, NEAR_WINDOW),
        (Backend::Postgres, None, Some(w)) => (newest(db, q, w).await?, WINDOW),
        (Backend::Sqlite, None, Some(_)) => (newest_sqlite(db, q).await?, WINDOW),
        _ => return Ok(Ranked::default()),
    };
    // One more than the window was asked for: whether there are more.
    let capped = rows.len() as i64 > window;
    rows.truncate(window as usize);
    if q.near.is_none() {
        // Best tier first; the sort is stable: newest first within a tier.
        rows.sort_by_key(|r| r.rank);
    }
    let total = rows.len() as i64;
    let mut by_town: HashMap<String, (String, i64)> = HashMap::new();
    for r in &mut rows {
        if let Some(insee) = r.insee.take() {
            let e = by_town
                .entry(insee)
                .or_insert_with(|| (std::mem::take(&mut r.city), 0));
            e.1 += 1;
        }
    }
    let mut counted: Vec<(String, String, i64)> = by_town
        .into_iter()
        .map(|(insee, (city, n))| (insee, city, n))
        .collect();
    counted.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    counted.truncate(towns.max(0) as usize);
    let ids: Vec<String> = rows
        .into_iter()
        .skip(q.offset.max(0) as usize)
        .take(q.limit.max(0) as usize)
        .map(|r| r.id)
        .collect();
    Ok(Ranked {
        found: Found {
            ids: super::search::parse_ids(ids)?,
            total,
            capped,
        },
        towns: named(counted),
    })
}

/// A match read: its id, rank (tier, or squared distance in m²) and town.
struct Row {
    id: String,
    rank: i64,
    insee: Option<String>,
    city: String,
}

type RawRow = (String, i64, Option<String>, Option<String>);

fn rows(raw: Vec<RawRow>) -> Vec<Row> {
    raw.into_iter()
        .map(|(id, rank, insee, city)| Row {
            id,
            rank,
            city: city.or_else(|| insee.clone()).unwrap_or_default(),
            insee,
        })
        .collect()
}

/// The [`WINDOW`] newest matches of the words and filters (and one more), with their tier,
/// newest first.
async fn newest(db: &Db, q: &SearchQuery, w: &str) -> sqlx::Result<Vec<Row>> {
    // The tier and town are computed on the window's rows only, above the LIMIT (a join
    // would read every shop).
    let mut sql = Sql::new(
        "SELECT x.id, CASE WHEN ts_filter(x.search_doc, '{a}') @@ plainto_tsquery('public.etal_fr', ",
    );
    sql.bind(w.to_string())
        .push(
            ") THEN 0 WHEN ts_filter(x.search_doc, '{a,b,c}') @@ plainto_tsquery('public.etal_fr', ",
        )
        .bind(w.to_string())
        .push(
            ") THEN 1 ELSE 2 END, (SELECT t.insee_code FROM merchants t WHERE t.id = x.merchant_id), \
             (SELECT t.city FROM merchants t WHERE t.id = x.merchant_id) FROM (",
        );
    let mut sql =
        postgres_filter_after(sql, q, Some(w), "SELECT p.id, p.merchant_id, p.search_doc");
    // Through the primary key (newest first, each row's words checked) or through the
    // full-text index (every match read, then the newest kept): PostgreSQL's own choice
    // underrates checking a row's words, and read 67,000 rows for "baguette" (45 ms) when
    // its 3,800 matches took 5.
    sql.push(if through_key(db, q, w).await? {
        " ORDER BY p.id DESC LIMIT "
    } else {
        // Not the key's own order: the index is not used to order.
        " ORDER BY p.id COLLATE \"C\" DESC LIMIT "
    })
    .bind(WINDOW + 1)
    .push(") x ORDER BY x.id DESC");
    let (text, args) = sql.build();
    let raw: Vec<RawRow> = sqlx::query_as_with(&text, args)
        .fetch_all(db.pool())
        .await?;
    Ok(rows(raw))
}

/// The [`WINDOW`] newest matches on SQLite (and one more), newest first: their index row ids
/// newest first from the full-text index, then which of them match in the first tiers' columns
/// (read from the window's oldest row id up), then their products and towns.
async fn newest_sqlite(db: &Db, q: &SearchQuery) -> sqlx::Result<Vec<Row>> {
    let keys = words(q).map(query_keys).unwrap_or_default();
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let tiers = tier_expressions(&keys, q);
    let window: Vec<i64> = sqlx::query_scalar(
        "SELECT rowid FROM product_search WHERE product_search MATCH $1 ORDER BY rowid DESC LIMIT $2",
    )
    .bind(tiers[TIERS.len() - 1].clone())
    .bind(WINDOW + 1)
    .fetch_all(db.pool())
    .await?;
    let Some(&oldest) = window.last() else {
        return Ok(vec![]);
    };
    let mut rank: HashMap<i64, i64> = HashMap::new();
    for (tier, expr) in tiers.iter().enumerate().take(TIERS.len() - 1).rev() {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT rowid FROM product_search WHERE product_search MATCH $1 AND rowid >= $2",
        )
        .bind(expr.clone())
        .bind(oldest)
        .fetch_all(db.pool())
        .await?;
        // Read from the broadest tier down: a row in a narrower one ends with its rank.
        for n in rows {
            rank.insert(n, tier as i64);
        }
    }
    let list = serde_json::to_string(&window).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let found: HashMap<i64, (String, Option<String>)> = sqlx::query_as::<_, (i64, String, Option<String>)>(
        "SELECT n, product_id, town FROM product_search_ids WHERE n IN (SELECT value FROM json_each($1))",
    )
    .bind(list)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|(n, id, town)| (n, (id, town)))
    .collect();
    Ok(window
        .iter()
        .filter_map(|n| {
            let (id, town) = found.get(n)?.clone();
            Some(Row {
                id,
                rank: rank.get(n).copied().unwrap_or(TIERS.len() as i64 - 1),
                city: town.clone().unwrap_or_default(),
                insee: town,
            })
        })
        .collect())
}

/// Whether the newest matches are best read through the primary key: when there are so many
/// matches (by PostgreSQL's estimate) that the window fills after checking fewer rows than
/// [`INDEX_MATCH_COST`] times the matches.
async fn through_key(db: &Db, q: &SearchQuery, w: &str) -> sqlx::Result<bool> {
    let explain = postgres_filter_after(Sql::new("EXPLAIN "), q, Some(w), "SELECT 1");
    let Some(matches) = estimate(explain, db).await? else {
        return Ok(false);
    };
    let rows: f64 = sqlx::query_scalar(
        "SELECT CAST(GREATEST(reltuples, 1) AS DOUBLE PRECISION) FROM pg_class WHERE oid = 'products'::regclass",
    )
    .fetch_one(db.pool())
    .await?;
    Ok(prefer_key(matches, rows))
}

/// PostgreSQL's estimate of the rows an `EXPLAIN` query returns.
async fn estimate(explain: Sql, db: &Db) -> sqlx::Result<Option<f64>> {
    let (text, args) = explain.build();
    let plan: Vec<String> = sqlx::query_scalar_with(&text, args)
        .fetch_all(db.pool())
        .await?;
    Ok(plan.first().and_then(|l| estimated_rows(l)))
}

/// [`through_key`]'s rule: checking `(WINDOW + 1) / share` rows in key order costs less than
/// reading `matches` through the index ([`INDEX_MATCH_COST`]).
fn prefer_key(matches: f64, rows: f64) -> bool {
    if matches <= 0.0 {
        return false;
    }
    let share = (matches / rows).min(1.0);
    (WINDOW + 1) as f64 / share <= INDEX_MATCH_COST * matches
}

/// The `rows=N` of a line of `EXPLAIN`.
fn estimated_rows(line: &str) -> Option<f64> {
    let at = line.find("rows=")? + 5;
    let digits: String = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The [`NEAR_WINDOW`] closest matches within the circle (and one more), closest first (then
/// newest).
async fn closest(db: &Db, q: &SearchQuery, w: Option<&str>, near: Near) -> sqlx::Result<Vec<Row>> {
    // Squared distance in whole square metres: an integer rank for every backend type.
    let select = format!(
        "SELECT p.id, CAST(1000000 * {} AS BIGINT) AS d, m.insee_code, m.city",
        distance(near, "^ 2", "m")
    );
    // The shops within the circle first, unless the words match far fewer products than
    // the circle holds (PostgreSQL's own choice ran the full-text index once per shop: 370 ms).
    let access = match w {
        None => Access::ShopsFirst,
        Some(w) => {
            let around = postgres_filter_after(Sql::new("EXPLAIN "), q, None, "SELECT 1");
            let anywhere = SearchQuery {
                near: None,
                ..q.clone()
            };
            let matches =
                postgres_filter_after(Sql::new("EXPLAIN "), &anywhere, Some(w), "SELECT 1");
            match (estimate(around, db).await?, estimate(matches, db).await?) {
                (Some(around), Some(matches)) if around > INDEX_MATCH_COST * matches => {
                    Access::WordsFirst
                }
                _ => Access::ShopsFirst,
            }
        }
    };
    let mut sql = postgres_filter_by(Sql::new(""), q, w, &select, access);
    sql.push(" ORDER BY d, p.id DESC LIMIT ")
        .bind(NEAR_WINDOW + 1);
    let (text, args) = sql.build();
    let raw: Vec<RawRow> = sqlx::query_as_with(&text, args)
        .fetch_all(db.pool())
        .await?;
    Ok(rows(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_estimate_of_a_plan() {
        let line = "Bitmap Heap Scan on products p  (cost=192.29..27279.67 rows=19651 width=0)";
        assert_eq!(estimated_rows(line), Some(19651.0));
        assert_eq!(estimated_rows("Result  (cost=0.00..0.01 width=4)"), None);
    }

    #[test]
    fn common_words_go_through_the_key_and_rarer_ones_through_the_index() {
        // 273,560 products: "pain" (19,757 matches) fills the window after ~7,000 rows;
        // "baguette" (3,800) would need ~36,000.
        assert!(prefer_key(19_757.0, 273_560.0));
        assert!(!prefer_key(3_802.0, 273_560.0));
        assert!(!prefer_key(0.0, 273_560.0));
        // A small node: a word in 20 of its 500 products is read through the index; one
        // in every product through the key (the window fills at once).
        assert!(!prefer_key(20.0, 500.0));
        assert!(prefer_key(500.0, 500.0));
    }
}
