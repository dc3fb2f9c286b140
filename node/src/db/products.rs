//! Product rows.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};
use uuid::Uuid;

use super::search;
use super::search_index::{self, Which};
use super::{AnyQuery, Db, Lock, Sql};
use crate::model::product::{tag_key, tag_keys, ListQuery, Origin, Product, ProductFields};
use etal_protocol::{Availability, Currency, Money, Unit};

pub(super) const COLUMNS: &str =
    "p.id, p.merchant_id, COALESCE(m.slug, m.handle) AS merchant_slug, p.ap_id, p.local, p.url, p.name, p.description, \
    p.price_minor, p.currency, p.unit, p.availability, p.stock, p.gtin, p.category, p.tags, p.sku, \
    p.version, p.created_at, p.updated_at, p.announced_at, p.deleted_at";

use super::uuid;

pub(super) fn from_row(row: &AnyRow) -> sqlx::Result<Product> {
    let bad = |what: &str| sqlx::Error::Decode(format!("stored {what} is invalid").into());
    use super::column;
    let currency: String = row.try_get("currency")?;
    Ok(Product {
        id: column::id(row, "id")?,
        merchant_id: column::id(row, "merchant_id")?,
        merchant_slug: column::text_or_empty(row, "merchant_slug")?,
        ap_id: row.try_get("ap_id")?,
        local: column::flag(row, "local")?,
        url: row.try_get("url")?,
        fields: ProductFields {
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            price: Money {
                minor: row.try_get("price_minor")?,
                currency: Currency::from_code(&currency).ok_or_else(|| bad("currency"))?,
            },
            unit: Unit::parse(&row.try_get::<String, _>("unit")?).ok_or_else(|| bad("unit"))?,
            availability: Availability::parse(&row.try_get::<String, _>("availability")?)
                .ok_or_else(|| bad("availability"))?,
            stock: row.try_get("stock")?,
            gtin: row.try_get("gtin")?,
            category: row.try_get("category")?,
            tags: column::texts(row, "tags")?,
            sku: row.try_get("sku")?,
        },
        images: vec![],
        version: row.try_get("version")?,
        created_at: column::time(row, "created_at")?,
        updated_at: column::time(row, "updated_at")?,
        announced_at: column::time_opt(row, "announced_at")?,
        deleted_at: column::time_opt(row, "deleted_at")?,
    })
}

/// Binds a product's editable fields and search text, in the order both `insert` and `update`
/// list them.
fn bind_fields<'q>(q: AnyQuery<'q>, f: &ProductFields) -> AnyQuery<'q> {
    q.bind(f.name.clone())
        .bind(f.description.clone())
        .bind(f.price.minor)
        .bind(f.price.currency.code())
        .bind(f.unit.as_str())
        .bind(f.availability.as_str())
        .bind(f.stock)
        .bind(f.gtin.clone())
        .bind(f.category.clone())
        .bind(serde_json::to_string(&f.tags).unwrap_or_else(|_| "[]".into()))
        .bind(String::new())
        .bind(f.tag_keys())
        .bind(f.search_keywords())
        .bind(f.sku.clone())
}

/// Inserts one product and indexes it for search (the node inserts through `insert_many`;
/// the search benchmark fills its database with this).
pub async fn insert(conn: &mut AnyConnection, p: &Product) -> sqlx::Result<()> {
    let q = sqlx::query(
        "INSERT INTO products (id, merchant_id, ap_id, local, url, origin, name, description, price_minor, \
         currency, unit, availability, stock, gtin, category, tags, search_text, tag_keys, search_keywords, \
         sku, version, created_at, updated_at) \
         VALUES ($1,$2,$3,$21,$22,$23,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)",
    )
    .bind(p.id.to_string())
    .bind(p.merchant_id.to_string())
    .bind(p.ap_id.clone());
    bind_fields(q, &p.fields)
        .bind(p.version)
        .bind(p.created_at.timestamp_millis())
        .bind(p.updated_at.timestamp_millis())
        .bind(p.local as i64)
        .bind(p.url.clone())
        .bind(
            url::Url::parse(&p.ap_id)
                .map(|u| etal_protocol::ap::origin(&u))
                .unwrap_or_default(),
        )
        .execute(&mut *conn)
        .await?;
    search_index::index(conn, Which::Product(p.id)).await
}

/// Writes new field values, bumps the version and re-indexes the product.
pub async fn update(
    conn: &mut AnyConnection,
    id: Uuid,
    f: &ProductFields,
    now: i64,
) -> sqlx::Result<()> {
    let q = sqlx::query(
        "UPDATE products SET name=$2, description=$3, price_minor=$4, currency=$5, unit=$6, \
         availability=$7, stock=$8, gtin=$9, category=$10, tags=$11, search_text=$12, \
         tag_keys=$13, search_keywords=$14, sku=$15, version=version+1, updated_at=$16 WHERE id=$1",
    )
    .bind(id.to_string());
    bind_fields(q, f).bind(now).execute(&mut *conn).await?;
    search_index::index(conn, Which::Product(id)).await
}

/// Bumps the version after a change to the product's images.
pub async fn touch(conn: &mut AnyConnection, id: Uuid, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE products SET version=version+1, updated_at=$2 WHERE id=$1")
        .bind(id.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Tombstones a product and takes it out of the search index.
pub async fn mark_deleted(conn: &mut AnyConnection, id: Uuid, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE products SET deleted_at=$2, updated_at=$2, version=version+1 WHERE id=$1")
        .bind(id.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    search_index::index(conn, Which::Product(id)).await
}

/// A local product by id, deleted or not; `lock` is `FOR UPDATE` or nothing.
pub async fn by_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: Uuid,
    lock: Lock,
) -> sqlx::Result<Option<Product>> {
    // Lock the product row only, not its merchant's.
    let lock = match lock {
        Lock::None => "",
        Lock::Row => " FOR UPDATE OF p",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM products p JOIN merchants m ON m.id = p.merchant_id \
         WHERE p.id=$1{lock}"
    );
    sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Live products matching `q`, newest first, `limit + 1` rows (to tell if more follow).
pub async fn list(db: &Db, q: &ListQuery) -> sqlx::Result<Vec<Product>> {
    let origin = match q.origin {
        Origin::Local => "p.local=1 AND ",
        Origin::Remote => "p.local=0 AND ",
        Origin::All => "",
    };
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM products p JOIN merchants m ON m.id = p.merchant_id \
         WHERE {origin}p.deleted_at IS NULL AND m.deleted_at IS NULL"
    ));
    if let Some(slug) = &q.merchant {
        sql.push(" AND (m.slug=")
            .bind(slug.clone())
            .push(" OR m.handle=")
            .bind(slug.clone())
            .push(")");
    }
    if let Some(cat) = &q.category {
        sql.push(" AND (p.category=")
            .bind(cat.clone())
            .push(" OR p.category LIKE ")
            .bind(format!("{cat}.%"))
            .push(")");
    }
    if let Some(tag) = &q.tag {
        let key = tag_key(tag);
        let codes: Vec<&str> = etal_protocol::taxonomy::CATEGORIES
            .iter()
            .filter(|c| tag_key(c.hashtag) == key)
            .map(|c| c.code)
            .collect();
        let escaped = key
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        sql.push(" AND (p.tag_keys LIKE ")
            .bind(format!("%\n{escaped}\n%"))
            .push(" ESCAPE '\\'");
        for code in codes {
            sql.push(" OR p.category=").bind(code.to_string());
        }
        sql.push(")");
    }
    if let Some(a) = q.availability {
        sql.push(" AND p.availability=")
            .bind(a.as_str().to_string());
    }
    if let Some(text) = q.q.as_deref().filter(|t| !t.trim().is_empty()) {
        search::push_words_condition(&mut sql, db.backend(), text);
    }
    if let Some(before) = q.before {
        sql.push(" AND p.id < ").bind(before.to_string());
    }
    sql.push(" ORDER BY p.id DESC LIMIT ").bind(q.limit + 1);
    let (text, args) = sql.build();
    sqlx::query_with(&text, args)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Live products by id, in the order given (missing or deleted ones left out).
pub async fn by_ids(db: &Db, ids: &[Uuid]) -> sqlx::Result<Vec<Product>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM products p JOIN merchants m ON m.id = p.merchant_id \
         WHERE p.deleted_at IS NULL AND m.deleted_at IS NULL AND p.id IN ("
    ));
    sql.bind_list(ids.iter().map(|id| id.to_string()));
    sql.push(")");
    let (text, args) = sql.build();
    let rows = sqlx::query_with(&text, args).fetch_all(db.pool()).await?;
    let mut found: Vec<Product> = rows.iter().map(from_row).collect::<sqlx::Result<_>>()?;
    found.sort_by_key(|p| ids.iter().position(|i| *i == p.id));
    Ok(found)
}

/// Counts live local products.
pub async fn count_live<'e>(ex: impl Executor<'e, Database = Any>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM products p JOIN merchants m ON m.id = p.merchant_id \
         WHERE p.local=1 AND p.deleted_at IS NULL AND m.deleted_at IS NULL",
    )
    .fetch_one(ex)
    .await
}

/// Fills `tag_keys` of rows written before the column existed (once, at start).
pub async fn fill_tag_keys(db: &super::Db) -> sqlx::Result<u64> {
    // Done once: later starts read one setting instead of scanning the products.
    const DONE: &str = "tag_keys_filled";
    if super::settings::get(db.pool(), DONE).await?.is_some() {
        return Ok(0);
    }
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, tags FROM products WHERE tag_keys IS NULL")
            .fetch_all(db.pool())
            .await?;
    let mut tx = db.begin().await?;
    for (id, tags) in &rows {
        let tags: Vec<String> = serde_json::from_str(tags).unwrap_or_default();
        sqlx::query("UPDATE products SET tag_keys=$2 WHERE id=$1")
            .bind(id.clone())
            .bind(tag_keys(&tags))
            .execute(&mut *tx)
            .await?;
    }
    super::settings::insert_if_absent(&mut tx, DONE, "1").await?;
    tx.commit().await?;
    Ok(rows.len() as u64)
}

/// Live local products most recently created or changed, newest change first: of one shop,
/// or of every shop (then only those consenting to indexing, when `indexable_only`).
pub async fn recently_changed(
    db: &Db,
    merchant: Option<Uuid>,
    indexable_only: bool,
    limit: i64,
) -> sqlx::Result<Vec<Product>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM products p JOIN merchants m ON m.id = p.merchant_id \
         WHERE p.local=1 AND p.deleted_at IS NULL AND m.deleted_at IS NULL"
    ));
    if let Some(m) = merchant {
        sql.push(" AND p.merchant_id=").bind(m.to_string());
    }
    if indexable_only {
        sql.push(" AND m.indexable=1");
    }
    sql.push(" ORDER BY p.updated_at DESC, p.id DESC LIMIT ")
        .bind(limit);
    let (text, args) = sql.build();
    sqlx::query_with(&text, args)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Ids and last changes of live local products of consenting shops, by id, for sitemaps.
pub async fn indexable_page(db: &Db, offset: i64, limit: i64) -> sqlx::Result<Vec<(Uuid, i64)>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT p.id, p.updated_at FROM products p JOIN merchants m ON m.id = p.merchant_id \
         WHERE p.local=1 AND p.deleted_at IS NULL AND m.deleted_at IS NULL AND m.indexable=1 \
         ORDER BY p.id LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|(id, t)| Ok((uuid(&id)?, t)))
        .collect()
}

/// How many products [`indexable_page`] pages through.
pub async fn count_indexable(db: &Db) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM products p JOIN merchants m ON m.id = p.merchant_id \
         WHERE p.local=1 AND p.deleted_at IS NULL AND m.deleted_at IS NULL AND m.indexable=1",
    )
    .fetch_one(db.pool())
    .await
}

/// Inserts many local products of one shop in one statement per call, and indexes them
/// from their precomputed entries (a spreadsheet import).
pub async fn insert_many(
    conn: &mut AnyConnection,
    products: &[Product],
    entries: &[search_index::Entry],
) -> sqlx::Result<()> {
    if products.is_empty() {
        return Ok(());
    }
    let backend = super::Backend::of(conn);
    let rows: Vec<serde_json::Value> = products
        .iter()
        .map(|p| {
            let f = &p.fields;
            let origin = url::Url::parse(&p.ap_id)
                .map(|u| etal_protocol::ap::origin(&u))
                .unwrap_or_default();
            serde_json::json!([
                p.id.to_string(),
                p.merchant_id.to_string(),
                p.ap_id,
                p.local as i64,
                p.url,
                origin,
                f.name,
                f.description,
                f.price.minor,
                f.price.currency.code(),
                f.unit.as_str(),
                f.availability.as_str(),
                f.stock,
                f.gtin,
                f.category,
                serde_json::to_string(&f.tags).unwrap_or_else(|_| "[]".into()),
                f.tag_keys(),
                f.search_keywords(),
                f.sku,
                p.version,
                p.created_at.timestamp_millis(),
                p.updated_at.timestamp_millis(),
            ])
        })
        .collect();
    let rows = serde_json::to_string(&rows).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let int = |i: usize| backend.json_int(i);
    let text = |i: usize| format!("x.value->>{i}");
    // PostgreSQL: the search document is written with the row (an UPDATE afterwards would
    // write every row twice); SQLite's index is a table of its own.
    let (doc_column, doc_value, join) = match backend {
        super::Backend::Sqlite => ("", String::new(), String::new()),
        super::Backend::Postgres => (
            ", search_doc",
            format!(
                ", {}",
                search_index::postgres_document(
                    "x.value->>6",
                    "x.value->>17",
                    "m.name",
                    "x.value->>7"
                )
            ),
            " JOIN merchants m ON m.id = x.value->>1".to_string(),
        ),
    };
    let sql = format!(
        "INSERT INTO products (id, merchant_id, ap_id, local, url, origin, name, description, price_minor, \
         currency, unit, availability, stock, gtin, category, tags, search_text, tag_keys, search_keywords, \
         sku, version, created_at, updated_at{doc_column}) \
         SELECT {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, '', {}, {}, {}, {}, {}, {}{doc_value} FROM {}{join}",
        text(0), text(1), text(2), int(3), text(4), text(5), text(6), text(7), int(8), text(9), text(10),
        text(11), int(12), text(13), text(14), text(15), text(16), text(17), text(18), int(19), int(20),
        int(21),
        backend.json_rows("$1")
    );
    sqlx::query(&sql).bind(rows).execute(&mut *conn).await?;
    if backend == super::Backend::Sqlite {
        search_index::index_many(conn, entries).await?;
    }
    Ok(())
}

/// The live local products of a shop that have a SKU: SKU → product.
pub async fn by_sku<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
) -> sqlx::Result<std::collections::HashMap<String, Product>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM products p JOIN merchants m ON m.id = p.merchant_id \
         WHERE p.merchant_id=$1 AND p.sku IS NOT NULL AND p.deleted_at IS NULL"
    );
    let rows = sqlx::query(&sql)
        .bind(merchant.to_string())
        .fetch_all(ex)
        .await?;
    let mut out = std::collections::HashMap::new();
    for r in &rows {
        let p = from_row(r)?;
        if let Some(s) = p.fields.sku.clone() {
            out.insert(s, p);
        }
    }
    Ok(out)
}

/// Every live local product of a shop, oldest first (the spreadsheet export), `limit` from
/// the id `after`.
pub async fn of_shop<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<Product>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM products p JOIN merchants m ON m.id = p.merchant_id \
         WHERE p.merchant_id=$1 AND p.deleted_at IS NULL AND p.local=1 AND p.id > $2 ORDER BY p.id LIMIT $3"
    );
    sqlx::query(&sql)
        .bind(merchant.to_string())
        .bind(after.map_or_else(String::new, |a| a.to_string()))
        .bind(limit)
        .fetch_all(ex)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// The ids of a shop's live local products.
pub async fn ids_of_shop<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
) -> sqlx::Result<Vec<Uuid>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM products WHERE merchant_id=$1 AND deleted_at IS NULL AND local=1",
    )
    .bind(merchant.to_string())
    .fetch_all(ex)
    .await?;
    ids.iter()
        .map(|s| Uuid::parse_str(s).map_err(|e| sqlx::Error::Decode(e.into())))
        .collect()
}

/// How many live products a shop has.
pub async fn count_of_shop<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM products WHERE merchant_id=$1 AND deleted_at IS NULL")
        .bind(merchant.to_string())
        .fetch_one(ex)
        .await
}

/// Which of `ids` are live local products of the shop.
pub async fn of_shop_among<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
    ids: &[Uuid],
) -> sqlx::Result<std::collections::HashSet<Uuid>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut sql = Sql::new("SELECT id FROM products WHERE merchant_id=");
    sql.bind(merchant.to_string());
    sql.push(" AND deleted_at IS NULL AND local=1 AND id IN (");
    sql.bind_list(ids.iter().map(|i| i.to_string()));
    sql.push(")");
    let (text, args) = sql.build();
    let found: Vec<String> = sqlx::query_scalar_with(&text, args).fetch_all(ex).await?;
    found.iter().map(|s| super::uuid(s)).collect()
}

/// The shop's live local products with one of these SKUs: SKU → id.
pub async fn ids_by_sku<'e>(
    ex: impl Executor<'e, Database = Any>,
    merchant: Uuid,
    skus: &[String],
) -> sqlx::Result<std::collections::HashMap<String, Uuid>> {
    if skus.is_empty() {
        return Ok(Default::default());
    }
    let mut sql = Sql::new("SELECT sku, id FROM products WHERE merchant_id=");
    sql.bind(merchant.to_string());
    sql.push(" AND deleted_at IS NULL AND local=1 AND sku IN (");
    sql.bind_list(skus.iter().cloned());
    sql.push(")");
    let (text, args) = sql.build();
    let rows = sqlx::query_with(&text, args).fetch_all(ex).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("sku")?,
                super::uuid(&r.try_get::<String, _>("id")?)?,
            ))
        })
        .collect()
}

/// Notes that the product's `Create` went out carrying its state as it is now.
pub async fn announced(tx: &mut super::Tx, id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE products SET announced_at = updated_at WHERE id=$1 AND announced_at IS NULL",
    )
    .bind(id.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
