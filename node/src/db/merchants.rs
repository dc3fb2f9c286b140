//! Merchant rows.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use uuid::Uuid;

use super::{AnyQuery, Lock, Tx};
use crate::model::merchant::{Address, Geo, Merchant, MerchantFields};

pub(super) const COLUMNS: &str =
    "id, slug, ap_id, name, description, category, street, postal_code, city, \
    insee_code, lat, lon, phone, email, website, opening_hours, siret, indexable, public_key_pem, \
    version, created_at, updated_at, deleted_at";

pub(super) fn from_row(row: &AnyRow) -> sqlx::Result<Merchant> {
    use super::column;
    let lat: Option<f64> = row.try_get("lat")?;
    let lon: Option<f64> = row.try_get("lon")?;
    Ok(Merchant {
        id: column::id(row, "id")?,
        slug: column::text_or_empty(row, "slug")?,
        ap_id: row.try_get("ap_id")?,
        fields: MerchantFields {
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            category: row.try_get("category")?,
            address: Address {
                street: row.try_get("street")?,
                postal_code: row.try_get("postal_code")?,
                city: row.try_get("city")?,
                insee_code: row.try_get("insee_code")?,
            },
            geo: lat.zip(lon).map(|(lat, lon)| Geo { lat, lon }),
            phone: row.try_get("phone")?,
            email: row.try_get("email")?,
            website: row.try_get("website")?,
            opening_hours: column::texts(row, "opening_hours")?,
            siret: row.try_get("siret")?,
            indexable: column::flag(row, "indexable")?,
        },
        public_key_pem: row.try_get("public_key_pem")?,
        version: row.try_get("version")?,
        created_at: column::time(row, "created_at")?,
        updated_at: column::time(row, "updated_at")?,
        deleted_at: column::time_opt(row, "deleted_at")?,
    })
}

/// Binds a merchant's editable fields, in the order both `insert` and `update` list them.
fn bind_fields<'q>(q: AnyQuery<'q>, f: &MerchantFields) -> AnyQuery<'q> {
    q.bind(f.name.clone())
        .bind(f.description.clone())
        .bind(f.category.clone())
        .bind(f.address.street.clone())
        .bind(f.address.postal_code.clone())
        .bind(f.address.city.clone())
        .bind(f.address.insee_code.clone())
        .bind(f.geo.map(|g| g.lat))
        .bind(f.geo.map(|g| g.lon))
        .bind(f.phone.clone())
        .bind(f.email.clone())
        .bind(f.website.clone())
        .bind(serde_json::to_string(&f.opening_hours).unwrap_or_else(|_| "[]".into()))
        .bind(f.siret.clone())
        .bind(f.indexable as i64)
}

/// Inserts a local merchant with its private key.
pub async fn insert(
    conn: &mut sqlx::AnyConnection,
    m: &Merchant,
    private_key_pem: &str,
) -> sqlx::Result<()> {
    let q = sqlx::query(
        "INSERT INTO merchants (id, slug, ap_id, local, name, description, category, street, \
         postal_code, city, insee_code, lat, lon, phone, email, website, opening_hours, siret, \
         indexable, public_key_pem, private_key_pem, version, created_at, updated_at) \
         VALUES ($1,$2,$3,1,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23)",
    )
    .bind(m.id.to_string())
    .bind(m.slug.clone())
    .bind(m.ap_id.clone());
    bind_fields(q, &m.fields)
        .bind(m.public_key_pem.clone())
        .bind(private_key_pem.to_string())
        .bind(m.version)
        .bind(m.created_at.timestamp_millis())
        .bind(m.updated_at.timestamp_millis())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Writes new field values and bumps the version; a new name or position re-indexes the
/// shop's products.
pub async fn update(
    conn: &mut sqlx::AnyConnection,
    id: Uuid,
    f: &MerchantFields,
    now: i64,
) -> sqlx::Result<()> {
    let before = super::search_index::shop_indexed(conn, id).await?;
    let q = sqlx::query(
        "UPDATE merchants SET name=$2, description=$3, category=$4, street=$5, postal_code=$6, \
         city=$7, insee_code=$8, lat=$9, lon=$10, phone=$11, email=$12, website=$13, \
         opening_hours=$14, siret=$15, indexable=$16, version=version+1, updated_at=$17 \
         WHERE id=$1",
    )
    .bind(id.to_string());
    bind_fields(q, f).bind(now).execute(&mut *conn).await?;
    // The index holds the shop's name and its position (map cells) in each product.
    super::search_index::reindex_shop_if_changed(conn, id, before, f).await?;
    Ok(())
}

/// Tombstones a merchant, its products, and revokes its tokens.
pub async fn mark_deleted(tx: &mut Tx, id: Uuid, now: i64) -> sqlx::Result<()> {
    let id = id.to_string();
    sqlx::query("UPDATE merchants SET deleted_at=$2, updated_at=$2, version=version+1 WHERE id=$1")
        .bind(id.clone())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE products SET deleted_at=$2, updated_at=$2 WHERE merchant_id=$1 AND deleted_at IS NULL",
    )
    .bind(id.clone())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE api_tokens SET revoked_at=$2 WHERE merchant_id=$1 AND revoked_at IS NULL")
        .bind(id.clone())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    let id = Uuid::parse_str(&id).map_err(|e| sqlx::Error::Decode(e.into()))?;
    super::search_index::index(tx, super::search_index::Which::Merchant(id)).await
}

/// Whether a slug was ever used (live or deleted).
pub async fn slug_taken<'e>(
    ex: impl Executor<'e, Database = Any>,
    slug: &str,
) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM merchants WHERE slug=$1")
        .bind(slug.to_string())
        .fetch_optional(ex)
        .await?
        .is_some())
}

/// A merchant by slug, deleted or not.
pub async fn by_slug<'e>(
    ex: impl Executor<'e, Database = Any>,
    slug: &str,
) -> sqlx::Result<Option<Merchant>> {
    by_slug_locked(ex, slug, Lock::None).await
}

/// A merchant by slug, with `lock` (`FOR UPDATE` or nothing) appended.
pub async fn by_slug_locked<'e>(
    ex: impl Executor<'e, Database = Any>,
    slug: &str,
    lock: Lock,
) -> sqlx::Result<Option<Merchant>> {
    let lock = match lock {
        Lock::None => "",
        Lock::Row => " FOR UPDATE",
    };
    let sql = format!("SELECT {COLUMNS} FROM merchants WHERE slug=$1 AND local=1{lock}");
    sqlx::query(&sql)
        .bind(slug.to_string())
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A merchant by internal id.
pub async fn by_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: Uuid,
) -> sqlx::Result<Option<Merchant>> {
    let sql = format!("SELECT {COLUMNS} FROM merchants WHERE id=$1");
    sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Live local merchants in slug order, after `after` (a slug), at most `limit`.
pub async fn list<'e>(
    ex: impl Executor<'e, Database = Any>,
    after: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<Merchant>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM merchants WHERE local=1 AND deleted_at IS NULL AND slug > $1 \
         ORDER BY slug LIMIT $2"
    );
    sqlx::query(&sql)
        .bind(after.unwrap_or("").to_string())
        .bind(limit)
        .fetch_all(ex)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Counts live local merchants.
pub async fn count_live<'e>(ex: impl Executor<'e, Database = Any>) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM merchants WHERE local=1 AND deleted_at IS NULL")
        .fetch_one(ex)
        .await
}

/// A local merchant's slug and private key, to sign its deliveries.
pub async fn signing_key<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: Uuid,
) -> sqlx::Result<(String, String)> {
    sqlx::query_as("SELECT slug, private_key_pem FROM merchants WHERE id=$1 AND local=1")
        .bind(id.to_string())
        .fetch_one(ex)
        .await
}

/// Live local merchants of a category (a family includes its kinds), by name.
pub async fn in_category<'e>(
    ex: impl Executor<'e, Database = Any>,
    code: &str,
    limit: i64,
) -> sqlx::Result<Vec<Merchant>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM merchants WHERE local=1 AND deleted_at IS NULL \
         AND (category = $1 OR category LIKE $2) ORDER BY name LIMIT $3"
    );
    sqlx::query(&sql)
        .bind(code.to_string())
        .bind(format!("{code}.%"))
        .bind(limit)
        .fetch_all(ex)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Names of merchants by id (for product lists that show the shop).
pub async fn names<'e>(
    ex: impl Executor<'e, Database = Any>,
    ids: &[Uuid],
) -> sqlx::Result<std::collections::HashMap<Uuid, String>> {
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut sql = super::Sql::new("SELECT id, name FROM merchants WHERE id IN (");
    sql.bind_list(ids.iter().map(|id| id.to_string()));
    sql.push(")");
    let (text, args) = sql.build();
    let rows: Vec<(String, String)> = sqlx::query_as_with(&text, args).fetch_all(ex).await?;
    for (id, name) in rows {
        if let Ok(id) = Uuid::parse_str(&id) {
            out.insert(id, name);
        }
    }
    Ok(out)
}

/// Slugs and last changes of live local merchants consenting to indexing, by slug.
pub async fn indexable<'e>(
    ex: impl Executor<'e, Database = Any>,
    offset: i64,
    limit: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT slug, updated_at FROM merchants WHERE local=1 AND deleted_at IS NULL AND indexable=1 \
         ORDER BY slug LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(ex)
    .await
}

/// Local merchants by id, deleted ones included, in any order.
pub async fn any_by_ids(db: &super::Db, ids: &[Uuid]) -> sqlx::Result<Vec<Merchant>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = super::Sql::new(&format!("SELECT {COLUMNS} FROM merchants WHERE id IN ("));
    sql.bind_list(ids.iter().map(|id| id.to_string()));
    sql.push(")");
    let (text, args) = sql.build();
    sqlx::query_with(&text, args)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}
