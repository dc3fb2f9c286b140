//! Writing the full-text index of products, behind one interface over SQLite FTS5 and
//! PostgreSQL's `tsvector`: every write of a product or of its shop re-indexes it inside the
//! write's own transaction ([`index`], [`index_many`] for bulk writes). Reading it:
//! [`super::search`].

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::{Backend, Db};
use crate::model::merchant::Geo;
use crate::model::search::{facets, Document};

/// PostgreSQL's search document of a product, from the SQL expressions of its name, keywords
/// (tags and category words), shop name and description: the name weighs most, then the
/// keywords, then the shop's name, then the description.
pub fn postgres_document(name: &str, keywords: &str, shop: &str, description: &str) -> String {
    format!(
        "setweight(to_tsvector('public.etal_fr', {name}), 'A') || \
         setweight(to_tsvector('public.etal_fr', COALESCE({keywords}, '')), 'B') || \
         setweight(to_tsvector('public.etal_fr', {shop}), 'C') || \
         setweight(to_tsvector('public.etal_fr', left(COALESCE({description}, ''), 4000)), 'D')"
    )
}

/// [`postgres_document`] of a product `p` of the shop `m`.
fn stored_document() -> String {
    postgres_document("p.name", "p.search_keywords", "m.name", "p.description")
}

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
    match Backend::of(conn) {
        Backend::Postgres => {
            let sql = format!(
                "UPDATE products p SET search_doc = CASE WHEN p.deleted_at IS NULL AND m.deleted_at IS NULL THEN \
                 {} END \
                 FROM merchants m WHERE m.id = p.merchant_id AND {filter} = $1",
                stored_document()
            );
            sqlx::query(&sql)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await?;
        }
        Backend::Sqlite => {
            let sql = format!(
                "SELECT p.id, p.name, p.search_keywords, p.description, p.category, p.availability, \
                 p.merchant_id, p.local, m.name AS shop, m.lat, m.lon, m.insee_code AS town, \
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

/// What each of a shop's products' index entries holds of the shop: its name and position.
pub type ShopIndexed = (String, Option<f64>, Option<f64>, Option<String>);

/// [`ShopIndexed`] of a stored shop, read before a write changes it.
pub async fn shop_indexed(conn: &mut AnyConnection, id: Uuid) -> sqlx::Result<Option<ShopIndexed>> {
    sqlx::query_as("SELECT name, lat, lon, insee_code FROM merchants WHERE id=$1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await
}

/// Re-indexes a shop's products if what they hold of it changed since `before`.
pub async fn reindex_shop_if_changed(
    conn: &mut AnyConnection,
    id: Uuid,
    before: Option<ShopIndexed>,
    now: &crate::model::merchant::MerchantFields,
) -> sqlx::Result<()> {
    let after = (
        now.name.clone(),
        now.geo.map(|g| g.lat),
        now.geo.map(|g| g.lon),
        now.address.insee_code.clone(),
    );
    if before.as_ref() != Some(&after) {
        index(conn, Which::Merchant(id)).await?;
    }
    Ok(())
}

async fn index_row_sqlite(conn: &mut AnyConnection, row: &sqlx::any::AnyRow) -> sqlx::Result<()> {
    let id: String = row.try_get("id")?;
    let town: Option<String> = row.try_get("town")?;
    sqlx::query(
        "INSERT INTO product_search_ids (product_id, town) VALUES ($1, $2) \
         ON CONFLICT (product_id) DO UPDATE SET town = excluded.town",
    )
    .bind(id.clone())
    .bind(town)
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
    let lat = row.try_get::<Option<f64>, _>("lat")?;
    let lon = row.try_get::<Option<f64>, _>("lon")?;
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
            match (lat, lon) {
                (Some(lat), Some(lon)) => Some(Geo { lat, lon }),
                _ => None,
            },
        ),
    );
    sqlx::query(
        "INSERT INTO product_search (rowid, name, keywords, shop, description, facets, lat, lon) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(n)
    .bind(doc.name)
    .bind(doc.keywords)
    .bind(doc.shop)
    .bind(doc.description)
    .bind(doc.facets)
    .bind(lat)
    .bind(lon)
    .execute(&mut *conn)
    .await?;
    Ok(())
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

/// A new product's index entry, computed before the write's transaction begins (a bulk
/// import must not hold the SQLite writer while it stems words).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The product.
    pub id: Uuid,
    /// Its SQLite document (PostgreSQL builds its own `tsvector`).
    pub doc: Document,
    /// The shop's position.
    pub geo: Option<Geo>,
}

impl Entry {
    /// An entry that names only its product: PostgreSQL computes its `tsvector` itself, so
    /// nothing is stemmed beforehand.
    pub fn id_only(id: Uuid) -> Entry {
        Entry {
            id,
            doc: Document {
                name: String::new(),
                keywords: String::new(),
                shop: String::new(),
                description: String::new(),
                facets: String::new(),
            },
            geo: None,
        }
    }
}

/// The index entry of a local product of the shop (`shop` name, `geo`).
pub fn entry(p: &crate::model::product::Product, shop: &str, geo: Option<Geo>) -> Entry {
    let f = &p.fields;
    Entry {
        id: p.id,
        doc: Document::new(
            &f.name,
            &f.search_keywords(),
            shop,
            f.description.as_deref(),
            facets(
                f.category.as_deref(),
                f.availability,
                p.merchant_id,
                p.local,
                geo,
            ),
        ),
        geo,
    }
}

/// Indexes many products at once, on the write's connection: their entries (SQLite), or their
/// `tsvector`s (PostgreSQL). The products must be live and not yet indexed, or re-indexed
/// entirely (their old entries are replaced).
pub async fn index_many(conn: &mut AnyConnection, entries: &[Entry]) -> sqlx::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let backend = Backend::of(conn);
    let ids: Vec<[String; 1]> = entries.iter().map(|e| [e.id.to_string()]).collect();
    let ids = serde_json::to_string(&ids).map_err(|e| sqlx::Error::Encode(e.into()))?;
    if backend == Backend::Postgres {
        let sql = format!(
            "UPDATE products p SET search_doc = {} \
             FROM merchants m WHERE m.id = p.merchant_id AND p.id IN (SELECT x.value->>0 FROM {})",
            stored_document(),
            backend.json_rows("$1")
        );
        sqlx::query(&sql).bind(ids).execute(&mut *conn).await?;
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO product_search_ids (product_id, town) SELECT x.value->>0, m.insee_code \
         FROM json_each($1) AS x JOIN products p ON p.id = x.value->>0 \
         JOIN merchants m ON m.id = p.merchant_id WHERE true \
         ON CONFLICT (product_id) DO UPDATE SET town = excluded.town",
    )
    .bind(ids.clone())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM product_search WHERE rowid IN (SELECT i.n FROM product_search_ids i \
         WHERE i.product_id IN (SELECT x.value->>0 FROM json_each($1) AS x))",
    )
    .bind(ids)
    .execute(&mut *conn)
    .await?;
    let docs: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!([
                e.id.to_string(),
                e.doc.name,
                e.doc.keywords,
                e.doc.shop,
                e.doc.description,
                e.doc.facets,
                e.geo.map(|g| g.lat),
                e.geo.map(|g| g.lon),
            ])
        })
        .collect();
    let docs = serde_json::to_string(&docs).map_err(|e| sqlx::Error::Encode(e.into()))?;
    sqlx::query(
        "INSERT INTO product_search (rowid, name, keywords, shop, description, facets, lat, lon) \
         SELECT i.n, x.value->>1, x.value->>2, x.value->>3, x.value->>4, x.value->>5, x.value->>6, x.value->>7 \
         FROM json_each($1) AS x JOIN product_search_ids i ON i.product_id = x.value->>0",
    )
    .bind(docs)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
