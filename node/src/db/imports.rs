//! Spreadsheet imports staged before they are applied (`domain::spreadsheet`): the import, and
//! its checked rows waiting to become products.

use std::collections::HashMap;

use sqlx::{Any, Executor, Row};
use uuid::Uuid;

use super::{uuid, Backend, Sql, Tx};

/// A checked row waiting to be applied.
#[derive(Debug, Clone)]
pub struct Staged {
    /// Its line in the file.
    pub line: i64,
    /// The product it adds (a new id) or changes.
    pub product_id: Uuid,
    /// Whether it adds a product.
    pub creates: bool,
    /// Whether it is equal to its product (staged only so that a later row naming the same
    /// product or SKU is found out): nothing to write.
    pub unchanged: bool,
    /// Its SKU.
    pub sku: Option<String>,
    /// Its cells by column name, as JSON.
    pub cells: String,
}

/// Records an import of the shop `merchant`, staging.
pub async fn start(tx: &mut Tx, id: Uuid, merchant: Uuid, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO imports (id, merchant_id, state, created_at, updated_at) VALUES ($1,$2,'staging',$3,$3)",
    )
    .bind(id.to_string())
    .bind(merchant.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stages checked rows (one statement).
pub async fn stage(tx: &mut Tx, import: Uuid, rows: &[Staged]) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!([
                r.line,
                r.product_id.to_string(),
                if r.unchanged { 2 } else { r.creates as i64 },
                r.sku,
                r.cells
            ])
        })
        .collect();
    let json = serde_json::to_string(&json).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let backend = Backend::of(tx);
    let int = |i: usize| backend.json_int(i);
    let sql = format!(
        "INSERT INTO import_rows (import_id, line, product_id, creates, sku, cells) \
         SELECT $2, {}, x.value->>1, {}, x.value->>3, x.value->>4 FROM {}",
        int(0),
        int(2),
        backend.json_rows("$1")
    );
    sqlx::query(&sql)
        .bind(json)
        .bind(import.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The lines of rows already staged with one of these SKUs or for one of these products (two
/// lookups, each through its index: the rows of a large import are many).
pub async fn staged_lines(
    pool: &sqlx::AnyPool,
    import: Uuid,
    skus: &[String],
    products: &[Uuid],
) -> sqlx::Result<(HashMap<String, i64>, HashMap<Uuid, i64>)> {
    let (mut by_sku, mut by_product) = (HashMap::new(), HashMap::new());
    if !skus.is_empty() {
        let mut sql = Sql::new("SELECT line, sku FROM import_rows WHERE import_id=");
        sql.bind(import.to_string());
        sql.push(" AND sku IS NOT NULL AND sku IN (");
        sql.bind_list(skus.iter().cloned());
        sql.push(")");
        let (text, args) = sql.build();
        for r in sqlx::query_with(&text, args).fetch_all(pool).await? {
            by_sku.insert(r.try_get::<String, _>("sku")?, r.try_get::<i64, _>("line")?);
        }
    }
    if !products.is_empty() {
        let mut sql = Sql::new("SELECT line, product_id FROM import_rows WHERE import_id=");
        sql.bind(import.to_string());
        sql.push(" AND product_id IN (");
        sql.bind_list(products.iter().map(|p| p.to_string()));
        sql.push(")");
        let (text, args) = sql.build();
        for r in sqlx::query_with(&text, args).fetch_all(pool).await? {
            by_product.insert(
                uuid(&r.try_get::<String, _>("product_id")?)?,
                r.try_get::<i64, _>("line")?,
            );
        }
    }
    Ok((by_sku, by_product))
}

/// Marks an import as applying: from now on it is finished, whatever happens.
pub async fn applying<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: Uuid,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE imports SET state='applying', updated_at=$2 WHERE id=$1")
        .bind(id.to_string())
        .bind(now)
        .execute(ex)
        .await?;
    Ok(())
}

/// Notes that the import's process is still at it.
pub async fn renew(tx: &mut Tx, id: Uuid, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE imports SET updated_at=$2 WHERE id=$1")
        .bind(id.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The next `limit` staged rows after the line `after` that write something (not those equal
/// to their product), by line. (Starting after the rows already applied, rather than reading
/// past what they left: on PostgreSQL, deleted rows stay in the index until a vacuum.)
pub async fn next_rows<'e>(
    ex: impl Executor<'e, Database = Any>,
    import: Uuid,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<Staged>> {
    let rows = sqlx::query(
        "SELECT line, product_id, creates, sku, cells FROM import_rows WHERE import_id=$1 \
         AND line > $3 AND creates < 2 ORDER BY line LIMIT $2",
    )
    .bind(import.to_string())
    .bind(limit)
    .bind(after)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Staged {
                line: r.try_get("line")?,
                product_id: uuid(&r.try_get::<String, _>("product_id")?)?,
                creates: r.try_get::<i64, _>("creates")? == 1,
                unchanged: false,
                sku: r.try_get("sku")?,
                cells: r.try_get("cells")?,
            })
        })
        .collect()
}

/// Forgets applied rows (the lines `first` to `last`).
pub async fn applied(tx: &mut Tx, import: Uuid, first: i64, last: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM import_rows WHERE import_id=$1 AND line >= $2 AND line <= $3")
        .bind(import.to_string())
        .bind(first)
        .bind(last)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes up to `limit` staged rows of an import; how many went.
pub async fn discard_some<'e>(
    ex: impl Executor<'e, Database = Any>,
    import: Uuid,
    limit: i64,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM import_rows WHERE import_id=$1 AND line IN \
         (SELECT line FROM import_rows WHERE import_id=$1 ORDER BY line LIMIT $2)",
    )
    .bind(import.to_string())
    .bind(limit)
    .execute(ex)
    .await?
    .rows_affected())
}

/// Forgets an import (its rows are gone).
pub async fn finish<'e>(ex: impl Executor<'e, Database = Any>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM imports WHERE id=$1")
        .bind(id.to_string())
        .execute(ex)
        .await?;
    Ok(())
}

/// Imports nobody renewed since `before` (their process stopped): id, shop and whether they
/// were being applied.
pub async fn abandoned<'e>(
    ex: impl Executor<'e, Database = Any>,
    before: i64,
) -> sqlx::Result<Vec<(Uuid, Uuid, bool)>> {
    let rows = sqlx::query(
        "SELECT id, merchant_id, state FROM imports WHERE updated_at < $1 ORDER BY created_at",
    )
    .bind(before)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                uuid(&r.try_get::<String, _>("id")?)?,
                uuid(&r.try_get::<String, _>("merchant_id")?)?,
                r.try_get::<String, _>("state")? == "applying",
            ))
        })
        .collect()
}

/// PostgreSQL: refreshes the planner's statistics of the staged rows and of the products
/// (during a large import they grow from nothing, and a plan made for an empty table reads
/// every row of it at each lookup). Nothing to do on SQLite.
pub async fn analyze(db: &super::Db) -> sqlx::Result<()> {
    if db.backend() == Backend::Postgres {
        sqlx::raw_sql("ANALYZE import_rows, products")
            .execute(db.writer())
            .await?;
    }
    Ok(())
}
