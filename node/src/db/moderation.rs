//! What the admin decides about the rest of the fediverse and the shops: domain blocks,
//! hidden replies, suspended shops; and the lists the dashboard shows of them.

use sqlx::{Any, Executor, Row};
use uuid::Uuid;

use super::Tx;

/// A blocked domain.
#[derive(Debug, Clone)]
pub struct Block {
    /// Host name, lower-case.
    pub host: String,
    /// Why, for the admin's memory.
    pub reason: Option<String>,
}

/// Blocks a host (again: the reason is replaced).
pub async fn block(tx: &mut Tx, host: &str, reason: Option<&str>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO domain_blocks (host, reason, created_at) VALUES ($1,$2,$3) \
         ON CONFLICT (host) DO UPDATE SET reason=excluded.reason",
    )
    .bind(host.to_string())
    .bind(reason.map(str::to_string))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Lifts a block; false when there was none.
pub async fn unblock(tx: &mut Tx, host: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("DELETE FROM domain_blocks WHERE host=$1")
        .bind(host.to_string())
        .execute(&mut **tx)
        .await?
        .rows_affected()
        > 0)
}

/// Every block, by host.
pub async fn blocks<'e>(ex: impl Executor<'e, Database = Any>) -> sqlx::Result<Vec<Block>> {
    let rows = sqlx::query("SELECT host, reason FROM domain_blocks ORDER BY host")
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Block {
                host: r.try_get("host")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// `LIKE` patterns of the origins (`scheme://host[:port]`) of a host and its subdomains, with
/// or without a final dot. The host is a checked name (letters, digits, `.` and `-`): no `%`
/// or `_` wildcard of its own.
pub fn host_patterns(host: &str) -> Vec<String> {
    let mut out = vec![];
    for scheme in ["http", "https"] {
        for name in [host.to_string(), format!("%.{host}")] {
            for tail in ["", ".", ":%", ".:%"] {
                out.push(format!("{scheme}://{name}{tail}"));
            }
        }
    }
    out
}

/// Removes the followers on a blocked host or its subdomains (nothing is sent to them any
/// more).
pub async fn drop_followers_on(tx: &mut Tx, host: &str) -> sqlx::Result<u64> {
    let mut done = 0;
    for origin in host_patterns(host) {
        done += sqlx::query("DELETE FROM followers WHERE follower LIKE $1")
            .bind(format!("{origin}/%"))
            .execute(&mut **tx)
            .await?
            .rows_affected();
    }
    Ok(done)
}

/// A reply as the moderation page lists it.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Local id.
    pub id: Uuid,
    /// Its author.
    pub actor: String,
    /// The shop replied to.
    pub shop: String,
    /// Sanitised HTML.
    pub content: String,
    /// Hidden by the admin.
    pub hidden: bool,
}

/// The latest replies to every shop.
pub async fn replies<'e>(
    ex: impl Executor<'e, Database = Any>,
    limit: i64,
) -> sqlx::Result<Vec<Reply>> {
    let rows = sqlx::query(
        "SELECT i.id, i.actor, i.content, i.hidden_at, m.name FROM interactions i \
         JOIN merchants m ON m.id = i.merchant_id WHERE i.kind='reply' ORDER BY i.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Reply {
                id: Uuid::parse_str(&r.try_get::<String, _>("id")?)
                    .map_err(|e| sqlx::Error::Decode(e.into()))?,
                actor: r.try_get("actor")?,
                shop: r.try_get("name")?,
                content: r
                    .try_get::<Option<String>, _>("content")?
                    .unwrap_or_default(),
                hidden: r.try_get::<Option<i64>, _>("hidden_at")?.is_some(),
            })
        })
        .collect()
}

/// Hides a reply (or shows it again with `None`); false when there is no such reply.
pub async fn set_hidden(tx: &mut Tx, id: Uuid, at: Option<i64>) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("UPDATE interactions SET hidden_at=$1 WHERE id=$2 AND kind='reply'")
            .bind(at)
            .bind(id.to_string())
            .execute(&mut **tx)
            .await?
            .rows_affected()
            > 0,
    )
}

/// A local shop as the admin lists it.
#[derive(Debug, Clone)]
pub struct ShopRow {
    /// Internal id.
    pub id: Uuid,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Suspended by the admin.
    pub suspended: bool,
}

/// Every live local shop, by name.
pub async fn shops<'e>(ex: impl Executor<'e, Database = Any>) -> sqlx::Result<Vec<ShopRow>> {
    let rows = sqlx::query(
        "SELECT id, slug, name, suspended_at FROM merchants WHERE local=1 AND deleted_at IS NULL ORDER BY name",
    )
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ShopRow {
                id: Uuid::parse_str(&r.try_get::<String, _>("id")?)
                    .map_err(|e| sqlx::Error::Decode(e.into()))?,
                slug: r.try_get::<Option<String>, _>("slug")?.unwrap_or_default(),
                name: r.try_get("name")?,
                suspended: r.try_get::<Option<i64>, _>("suspended_at")?.is_some(),
            })
        })
        .collect()
}

/// Suspends a shop (or lifts it with `None`).
pub async fn set_suspended(tx: &mut Tx, merchant: Uuid, at: Option<i64>) -> sqlx::Result<()> {
    sqlx::query("UPDATE merchants SET suspended_at=$1 WHERE id=$2")
        .bind(at)
        .bind(merchant.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Followers of a local actor with their names, latest first.
pub async fn followers<'e>(
    ex: impl Executor<'e, Database = Any>,
    local_actor: &str,
    limit: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT f.follower, a.preferred_username, a.name, a.url FROM followers f \
         LEFT JOIN remote_actors a ON a.ap_id = f.follower WHERE f.local_actor=$1 \
         ORDER BY f.created_at DESC LIMIT $2",
    )
    .bind(local_actor.to_string())
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("follower")?;
            let user: Option<String> = r.try_get("preferred_username")?;
            let name: Option<String> = r.try_get("name")?;
            let url: Option<String> = r.try_get("url")?;
            let host = url::Url::parse(&id)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let shown = match (name.filter(|n| !n.trim().is_empty()), user) {
                (Some(n), Some(u)) => format!("{n} (@{u}@{host})"),
                (None, Some(u)) => format!("@{u}@{host}"),
                (Some(n), None) => n,
                (None, None) => id.clone(),
            };
            let link = url
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .unwrap_or(id);
            Ok((link, shown))
        })
        .collect()
}

/// Whether any of `hosts` is blocked.
pub async fn any_blocked<'e>(
    ex: impl Executor<'e, Database = Any>,
    hosts: &[String],
) -> sqlx::Result<bool> {
    if hosts.is_empty() {
        return Ok(false);
    }
    let mut sql = super::Sql::new("SELECT COUNT(*) FROM domain_blocks WHERE host IN (");
    sql.bind_list(hosts.iter().cloned());
    sql.push(")");
    let (text, args) = sql.build();
    let n: i64 = sqlx::query_scalar_with(&text, args).fetch_one(ex).await?;
    Ok(n > 0)
}

/// Every blocked host name.
pub async fn blocked_hosts<'e>(ex: impl Executor<'e, Database = Any>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT host FROM domain_blocks")
        .fetch_all(ex)
        .await
}
