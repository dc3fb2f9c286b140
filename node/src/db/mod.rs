//! Storage: one interface over embedded SQLite and PostgreSQL, both always compiled.
//!
//! Queries are written once in the SQL both databases accept (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`), through sqlx's `Any` driver; the few statements that must differ branch on
//! [`Backend`]. Values crossing the interface are text, 64-bit integers, doubles and bytes only.

pub mod accounts;
pub mod changes;
pub mod images;
pub mod imports;
pub mod merchants;
pub mod mirror;
pub mod moderation;
pub mod open_data;
pub mod outbox;
pub mod products;
pub mod queue;
pub mod remote;
pub mod replies;
pub mod reservations;
pub mod search;
pub mod search_index;
pub mod settings;
pub mod signups;
pub mod sources;
pub mod tokens;
pub mod towns;
pub mod voucher_accounts;
pub mod vouchers;
pub mod window;

use std::str::FromStr;
use std::sync::Once;
use std::time::Duration;

use anyhow::{bail, Context};
use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Arguments, Encode, Executor, Type};

/// Which database is behind the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (WAL mode): one writer at a time.
    Sqlite,
    /// PostgreSQL 15+: many writers, several node processes.
    Postgres,
}

impl Backend {
    /// The database behind a connection.
    pub fn of(conn: &sqlx::AnyConnection) -> Backend {
        if conn.backend_name() == "PostgreSQL" {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// A `FROM` item that turns the JSON array bound at placeholder `param` into rows, one per
    /// element, in a column `x.value`: one bound value instead of thousands of placeholders,
    /// which SQLite binds by name at a cost that grows with their square.
    pub fn json_rows(self, param: &str) -> String {
        match self {
            Backend::Sqlite => format!("json_each({param}) AS x"),
            Backend::Postgres => format!("jsonb_array_elements({param}::jsonb) AS x(value)"),
        }
    }

    /// The integer at index `i` of a row of [`Backend::json_rows`] (PostgreSQL's `->>` gives
    /// text: cast back).
    pub fn json_int(self, i: usize) -> String {
        match self {
            Backend::Sqlite => format!("x.value->>{i}"),
            Backend::Postgres => format!("(x.value->>{i})::bigint"),
        }
    }
}

/// Counts, in the database, the committed writes that pages show, so that node processes
/// sharing a PostgreSQL database know when their rendered pages are stale (SQLite has one
/// process: nothing to do). Called after the write's commit.
pub async fn count_change(db: &Db) -> sqlx::Result<()> {
    if db.backend() == Backend::Postgres {
        sqlx::query("SELECT nextval('etal_changes')")
            .execute(db.writer())
            .await?;
    }
    Ok(())
}

/// The count of [`count_change`] (PostgreSQL only).
pub async fn changes(db: &Db) -> sqlx::Result<i64> {
    // Before the first nextval, last_value is already 1 (is_called false): count that as 0.
    sqlx::query_scalar("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM etal_changes")
        .fetch_one(db.pool())
        .await
}

/// A write transaction.
pub type Tx = sqlx::Transaction<'static, Any>;

/// A query being bound, on any driver.
pub type AnyQuery<'q> = sqlx::query::Query<'q, Any, AnyArguments<'q>>;

/// The node's database.
#[derive(Debug, Clone)]
pub struct Db {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
}

static DRIVERS: Once = Once::new();

impl Db {
    /// Opens (creating an SQLite file and its folder if needed) and migrates the database.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let db = if url.starts_with("sqlite:") {
            Self::connect_sqlite(url).await?
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::connect_postgres(url).await?
        } else {
            bail!("unsupported database URL {url:?}: use sqlite://PATH or postgres://…");
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn connect_sqlite(url: &str) -> anyhow::Result<Db> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or_default();
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() || path.contains(":memory:") {
            bail!(
                "an in-memory SQLite database is not supported: give a file path (sqlite://PATH)"
            );
        }
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create folder {}", parent.display()))?;
            }
        }
        let url = if query.contains("mode=") {
            url.to_string()
        } else if query.is_empty() {
            format!("sqlite://{path}?mode=rwc")
        } else {
            format!("sqlite://{path}?{query}&mode=rwc")
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .min_connections(0)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(sqlx::raw_sql(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000;",
                        ))
                        .await?;
                        Ok(())
                    })
                })
        };
        // One writing connection: SQLite has one writer, and queueing writers in the process is
        // fairer and faster than letting them spin on SQLITE_BUSY.
        let write = pool(1)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("cannot open SQLite database {path}"))?;
        let read = pool(8).connect_with(options).await?;
        Ok(Db {
            backend: Backend::Sqlite,
            read,
            write,
        })
    }

    async fn connect_postgres(url: &str) -> anyhow::Result<Db> {
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // Statements are prepared once per connection; after five runs PostgreSQL
                    // may keep one plan for every parameter, blind to how many products the
                    // words match (a search then read the whole table: 50 ms instead of 15).
                    conn.execute(sqlx::raw_sql("SET plan_cache_mode = force_custom_plan"))
                        .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .context("cannot connect to PostgreSQL")?;
        Ok(Db {
            backend: Backend::Postgres,
            read: pool.clone(),
            write: pool,
        })
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("../migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("../migrations/postgres"),
        };
        migrator
            .run(&self.write)
            .await
            .context("database migration failed")?;
        Ok(())
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads outside a transaction.
    pub fn pool(&self) -> &AnyPool {
        &self.read
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so a transaction that reads before it writes cannot fail half-way.
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.write.begin().await,
        }
    }

    /// The pool for a single-statement write (atomic on its own, no transaction needed).
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// `FOR UPDATE` where row locks exist (PostgreSQL); SQLite's write lock already covers it.
    pub fn row_lock(&self) -> Lock {
        match self.backend {
            // A SQLite write transaction already excludes every other writer.
            Backend::Sqlite => Lock::None,
            Backend::Postgres => Lock::Row,
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Whether a read locks the rows it returns until the transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// A plain read.
    None,
    /// `FOR UPDATE`: other writers of the row wait (PostgreSQL; see [`Db::row_lock`]).
    Row,
}

/// SQL built piece by piece, with `$n` placeholders numbered as values are bound.
pub struct Sql {
    text: String,
    args: AnyArguments<'static>,
    count: usize,
}

impl Sql {
    /// Starts with a fragment of SQL.
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: AnyArguments::default(),
            count: 0,
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Sql
    where
        T: for<'q> Encode<'q, Any> + Type<Any> + Send + 'static,
    {
        self.count += 1;
        self.text.push('$');
        self.text.push_str(&self.count.to_string());
        self.args.add(value).expect("Any accepts every bound type");
        self
    }

    /// Appends one placeholder per value, comma-separated, for an `IN (…)` list.
    pub fn bind_list<T>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Sql
    where
        T: for<'q> Encode<'q, Any> + Type<Any> + Send + 'static,
    {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            self.bind(v);
        }
        self
    }

    /// Adds a value for a placeholder already written in the text (the next `$n`).
    pub fn arg<T>(&mut self, value: T) -> &mut Sql
    where
        T: for<'q> Encode<'q, Any> + Type<Any> + Send + 'static,
    {
        self.count += 1;
        self.args.add(value).expect("Any accepts every bound type");
        self
    }

    /// Appends `ids` as a comma-separated list of integer literals (safe: they are numbers), for
    /// `IN (…)` lists of any length without one placeholder each. A query built so differs
    /// at each call: run it with `.persistent(false)` so it does not crowd the statement cache.
    pub fn push_ids(&mut self, ids: &[i64]) -> &mut Sql {
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            self.text.push_str(&id.to_string());
        }
        self
    }

    /// The query, ready to run.
    pub fn build(self) -> (String, AnyArguments<'static>) {
        (self.text, self.args)
    }
}

/// Reads a stored id.
pub(crate) fn uuid(s: &str) -> sqlx::Result<uuid::Uuid> {
    uuid::Uuid::parse_str(s).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// Reading the columns every table stores the same way (ids as text, flags as integers, lists
/// as JSON, times as milliseconds).
pub(crate) mod column {
    use sqlx::any::AnyRow;
    use sqlx::Row;

    /// An id.
    pub fn id(row: &AnyRow, name: &str) -> sqlx::Result<uuid::Uuid> {
        super::uuid(&row.try_get::<String, _>(name)?)
    }

    /// A flag (0 or 1).
    pub fn flag(row: &AnyRow, name: &str) -> sqlx::Result<bool> {
        Ok(row.try_get::<i64, _>(name)? != 0)
    }

    /// A list of texts, stored as a JSON array (an unreadable one reads as empty).
    pub fn texts(row: &AnyRow, name: &str) -> sqlx::Result<Vec<String>> {
        Ok(serde_json::from_str(&row.try_get::<String, _>(name)?).unwrap_or_default())
    }

    /// A time.
    pub fn time(row: &AnyRow, name: &str) -> sqlx::Result<chrono::DateTime<chrono::Utc>> {
        Ok(super::time(row.try_get(name)?))
    }

    /// A time that may be absent.
    pub fn time_opt(
        row: &AnyRow,
        name: &str,
    ) -> sqlx::Result<Option<chrono::DateTime<chrono::Utc>>> {
        Ok(row.try_get::<Option<i64>, _>(name)?.map(super::time))
    }

    /// A text that may be absent, read as empty.
    pub fn text_or_empty(row: &AnyRow, name: &str) -> sqlx::Result<String> {
        Ok(row.try_get::<Option<String>, _>(name)?.unwrap_or_default())
    }
}

pub use crate::clock::time;

/// What a storage operation fails with.
pub type DbError = sqlx::Error;
/// The result of a storage operation.
pub type DbResult<T> = sqlx::Result<T>;
/// A connection to the database (a transaction derefs to one).
pub type Conn = sqlx::AnyConnection;

impl From<sqlx::Error> for crate::error::Error {
    fn from(e: sqlx::Error) -> crate::error::Error {
        crate::error::Error::Internal(e.into())
    }
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
