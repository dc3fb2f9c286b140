//! The full-text index of products, behind one interface over SQLite FTS5 and PostgreSQL's
//! `tsvector`. Every write of a product or of its shop re-indexes it inside the write's own
//! transaction ([`index`]); [`search`] answers ranked, filtered queries.

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::{Backend, Db, Sql};
use crate::model::product::Origin;
use crate::model::search::{
    availability_facet, category_facet, facets, merchant_facet, query_keys, Document, Near,
    SearchQuery, KM_PER_DEGREE_LAT, MAX_QUERY_CHARS, MAX_QUERY_WORDS,
};

/// Which products to re-index.
#[derive(Debug, Clone, Copy)]
pub enum Which {
    /// One product.
    Product(Uuid),
    /// Every product of a shop (after its name changed, or it was deleted).
    Merchant(Uuid),
}

/// Brings the index up to date for `which`, on the write's connection (in its transaction):
/// live products are (re-)indexed, deleted ones (or those of a deleted shop) removed.
pub async fn index(conn: &mut AnyConnection, which: Which) -> sqlx::Result<()> {
    let (filter, id) = match which {
        Which::Product(id) => ("p.id", id),
        Which::Merchant(id) => ("p.merchant_id", id),
    };
    super::notify_change(conn).await?;
    match Backend::of(conn) {
        Backend::Postgres => {
            let sql = format!(
                "UPDATE products p SET search_doc = CASE WHEN p.deleted_at IS NULL AND m.deleted_at IS NULL THEN \
                 setweight(to_tsvector('etal_fr', p.name), 'A') || \
                 setweight(to_tsvector('etal_fr', COALESCE(p.search_keywords, '')), 'B') || \
                 setweight(to_tsvector('etal_fr', m.name), 'C') || \
                 setweight(to_tsvector('etal_fr', left(COALESCE(p.description, ''), 4000)), 'D') END \
                 FROM merchants m WHERE m.id = p.merchant_id AND {filter} = $1"
            );
            sqlx::query(&sql)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await?;
        }
        Backend::Sqlite => {
            let sql = format!(
                "SELECT p.id, p.name, p.search_keywords, p.description, p.category, p.availability, \
                 p.merchant_id, p.local, m.name AS shop, \
                 CASE WHEN p.deleted_at IS NULL AND m.deleted_at IS NULL THEN 1 ELSE 0 END AS live \
                 FROM products p JOIN merchants m ON m.id = p.merchant_id WHERE {filter} = $1"
            );
            let rows = sqlx::query(&sql)
                .bind(id.to_string())
                .fetch_all(&mut *conn)
                .await?;
            for row in rows {
                index_row_sqlite(conn, &row).await?;
            }
        }
    }
    Ok(())
}

async fn index_row_sqlite(conn: &mut AnyConnection, row: &sqlx::any::AnyRow) -> sqlx::Result<()> {
    let id: String = row.try_get("id")?;
    sqlx::query("INSERT INTO product_search_ids (product_id) VALUES ($1) ON CONFLICT (product_id) DO NOTHING")
        .bind(id.clone())
        .execute(&mut *conn)
        .await?;
    let n: i64 = sqlx::query_scalar("SELECT n FROM product_search_ids WHERE product_id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM product_search WHERE rowid = $1")
        .bind(n)
        .execute(&mut *conn)
        .await?;
    if row.try_get::<i64, _>("live")? == 0 {
        return Ok(());
    }
    let availability =
        etal_protocol::Availability::parse(&row.try_get::<String, _>("availability")?)
            .unwrap_or(etal_protocol::Availability::InStock);
    let merchant = Uuid::parse_str(&row.try_get::<String, _>("merchant_id")?)
        .map_err(|e| sqlx::Error::Decode(e.into()))?;
    let category: Option<String> = row.try_get("category")?;
    let keywords: Option<String> = row.try_get("search_keywords")?;
    let description: Option<String> = row.try_get("description")?;
    let doc = Document::new(
        &row.try_get::<String, _>("name")?,
        keywords.as_deref().unwrap_or_default(),
        &row.try_get::<String, _>("shop")?,
        description.as_deref(),
        facets(
            category.as_deref(),
            availability,
            merchant,
            row.try_get::<i64, _>("local")? != 0,
        ),
    );
    sqlx::query(
        "INSERT INTO product_search (rowid, name, keywords, shop, description, facets) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(n)
    .bind(doc.name)
    .bind(doc.keywords)
    .bind(doc.shop)
    .bind(doc.description)
    .bind(doc.facets)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One page of a search: product ids in order, and how many match in all.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Ids of the page, best first (newest first without words).
    pub ids: Vec<Uuid>,
    /// Matches in all.
    pub total: i64,
}

/// Runs a search.
pub async fn search(db: &Db, q: &SearchQuery) -> sqlx::Result<Found> {
    match db.backend() {
        Backend::Sqlite => search_sqlite(db, q).await,
        Backend::Postgres => search_postgres(db, q).await,
    }
}

/// The FTS5 expression of a query's words and index-answered filters; `None` if the query
/// has words but none that can match (only stop words), so nothing is found.
pub fn fts_expression(q: &SearchQuery) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(text) = q.q.as_deref().filter(|t| !t.trim().is_empty()) {
        let keys = query_keys(text);
        if keys.is_empty() {
            return None;
        }
        // Keys are letters and digits only, so quoting them is enough.
        for k in keys {
            parts.push(format!("{{name keywords shop description}} : \"{k}\""));
        }
    }
    if let Some(c) = &q.category {
        parts.push(format!("facets : {}", category_facet(c)));
    }
    if let Some(a) = q.availability {
        parts.push(format!("facets : {}", availability_facet(a)));
    }
    if let Some(m) = q.merchant {
        parts.push(format!("facets : {}", merchant_facet(m)));
    }
    parts.push(
        match q.origin {
            Origin::Local => "facets : olocal",
            Origin::Remote => "facets : oremote",
            Origin::All => "facets : (olocal OR oremote)",
        }
        .to_string(),
    );
    Some(parts.join(" AND "))
}

fn has_words(q: &SearchQuery) -> bool {
    q.q.as_deref().is_some_and(|t| !t.trim().is_empty())
}

async fn search_sqlite(db: &Db, q: &SearchQuery) -> sqlx::Result<Found> {
    let Some(expr) = fts_expression(q) else {
        return Ok(Found::default());
    };
    let order = if has_words(q) {
        "f.rank"
    } else {
        "f.rowid DESC"
    };
    let mut from = String::from("FROM product_search f JOIN product_search_ids d ON d.n = f.rowid");
    let mut sql_where = String::from(" WHERE product_search MATCH $1");
    if let Some(near) = q.near {
        from.push_str(
            " JOIN products p ON p.id = d.product_id JOIN merchants m ON m.id = p.merchant_id",
        );
        sql_where.push_str(&near_condition(near, ""));
    }
    let ids_sql =
        format!("SELECT d.product_id {from}{sql_where} ORDER BY {order} LIMIT $2 OFFSET $3");
    let rows: Vec<String> = sqlx::query_scalar(&ids_sql)
        .bind(expr.clone())
        .bind(q.limit)
        .bind(q.offset)
        .fetch_all(db.pool())
        .await?;
    let count_sql = if q.near.is_some() {
        format!("SELECT COUNT(*) {from}{sql_where}")
    } else {
        "SELECT COUNT(*) FROM product_search WHERE product_search MATCH $1".to_string()
    };
    let total: i64 = sqlx::query_scalar(&count_sql)
        .bind(expr)
        .fetch_one(db.pool())
        .await?;
    Ok(Found {
        ids: parse_ids(rows)?,
        total,
    })
}

/// The words handed to PostgreSQL's parser: bounded like [`query_keys`].
pub fn pg_words(text: &str) -> String {
    let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
    text.split_whitespace()
        .take(MAX_QUERY_WORDS * 2)
        .collect::<Vec<_>>()
        .join(" ")
}

async fn search_postgres(db: &Db, q: &SearchQuery) -> sqlx::Result<Found> {
    if has_words(q) && fts_expression(q).is_none() {
        return Ok(Found::default());
    }
    let words = q.q.as_deref().filter(|_| has_words(q)).map(pg_words);
    let (text, args) = postgres_filter(q, words.as_deref(), "SELECT COUNT(*)").build();
    let total: i64 = sqlx::query_scalar_with(&text, args)
        .fetch_one(db.pool())
        .await?;
    let mut sql = postgres_filter(q, words.as_deref(), "SELECT p.id");
    match &words {
        Some(w) => {
            sql.push(" ORDER BY ts_rank(p.search_doc, plainto_tsquery('etal_fr', ")
                .bind(w.clone())
                .push(")) DESC, p.id DESC");
        }
        None => {
            sql.push(" ORDER BY p.id DESC");
        }
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
    })
}

/// `select` and the `FROM … WHERE …` of a PostgreSQL search.
fn postgres_filter(q: &SearchQuery, words: Option<&str>, select: &str) -> Sql {
    let origin = match q.origin {
        Origin::Local => " AND p.local = 1",
        Origin::Remote => " AND p.local = 0",
        Origin::All => "",
    };
    let mut sql = Sql::new(&format!(
        "{select} FROM products p JOIN merchants m ON m.id = p.merchant_id \
         WHERE p.deleted_at IS NULL AND m.deleted_at IS NULL{origin}"
    ));
    if let Some(w) = words {
        sql.push(" AND p.search_doc @@ plainto_tsquery('etal_fr', ")
            .bind(w.to_string())
            .push(")");
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
    if let Some(near) = q.near {
        sql.push(&near_condition(near, "^ 2"));
    }
    sql
}

/// The SQL condition "the shop `m` is within the circle" (bounding box, then distance on
/// the local plane: exact enough below a few hundred kilometres). Numbers only, no input text.
fn near_condition(near: Near, square: &str) -> String {
    let (lat0, lat1, lon0, lon1) = near.bounds();
    let (la, lo) = (near.at.lat, near.at.lon);
    let (kla, klo) = (KM_PER_DEGREE_LAT, near.km_per_degree_lon());
    let r2 = near.km * near.km;
    let sq = |e: String| {
        if square.is_empty() {
            format!("({e}) * ({e})")
        } else {
            format!("({e}) {square}")
        }
    };
    format!(
        " AND m.lat BETWEEN {lat0} AND {lat1} AND m.lon BETWEEN {lon0} AND {lon1} AND {} + {} <= {r2}",
        sq(format!("(m.lat - {la}) * {kla}")),
        sq(format!("(m.lon - {lo}) * {klo}")),
    )
}

fn parse_ids(rows: Vec<String>) -> sqlx::Result<Vec<Uuid>> {
    rows.iter()
        .map(|s| Uuid::parse_str(s).map_err(|e| sqlx::Error::Decode(e.into())))
        .collect()
}

/// Indexes, once, the products written before the index existed (at start).
pub async fn fill(db: &Db) -> sqlx::Result<u64> {
    const DONE: &str = "search_indexed";
    if super::settings::get(db.pool(), DONE).await?.is_some() {
        return Ok(0);
    }
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT id, tags, category FROM products WHERE search_keywords IS NULL")
            .fetch_all(db.pool())
            .await?;
    let mut tx = db.begin().await?;
    for (id, tags, category) in &rows {
        let tags: Vec<String> = serde_json::from_str(tags).unwrap_or_default();
        let keywords = crate::model::product::search_keywords(&tags, category.as_deref());
        sqlx::query("UPDATE products SET search_keywords = $2 WHERE id = $1")
            .bind(id.clone())
            .bind(keywords)
            .execute(&mut *tx)
            .await?;
        let id = Uuid::parse_str(id).map_err(|e| sqlx::Error::Decode(e.into()))?;
        index(&mut tx, Which::Product(id)).await?;
    }
    super::settings::insert_if_absent(&mut tx, DONE, "1").await?;
    tx.commit().await?;
    Ok(rows.len() as u64)
}
