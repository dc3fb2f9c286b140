//! What the rules need to run, and nothing more: the settings, the database, the clock, the
//! URLs, the site's texts, and two signals the layers above listen to after each commit. Every
//! domain function takes a [`Context`]; `federation`, `delivery` and `http` each hold one
//! beside what only they use (the signed fetcher, host health, the page cache), wired by
//! `app.rs`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use tokio::sync::Notify;

use crate::clock::{Clock, SystemClock};
use crate::config::{Settings, Site};
use crate::db::{self, Db};
use crate::urls::Urls;

/// The rules' view of a running node.
#[derive(Debug)]
pub struct Context {
    /// Resolved settings.
    pub settings: Settings,
    /// The database.
    pub db: Db,
    /// Builds every public URL.
    pub urls: Urls,
    /// "Now", for schedules (injectable in tests).
    pub clock: Arc<dyn Clock>,
    /// Writes likes, boosts and replies in groups.
    pub interactions: super::interaction_writer::InteractionWriter,
    /// What the pages say about the node: the settings' defaults, overridden by the admin's
    /// settings page (see [`Context::site`]).
    site: RwLock<Arc<Site>>,
    /// Counts the writes public documents show (see [`Context::committed`]).
    changes: Arc<AtomicU64>,
    /// Signalled when outbox work was queued.
    work: Notify,
}

impl Context {
    /// Opens the database (migrating it) and prepares the node's key and folders.
    pub async fn open(settings: Settings) -> anyhow::Result<Context> {
        Context::open_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Like [`Context::open`], with the clock the schedulers use.
    pub async fn open_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Context> {
        let db = Db::connect(&settings.database_url).await?;
        db::settings::ensure_node_key(&db, clock.now_ms()).await?;
        db::products::fill_tag_keys(&db).await?;
        db::search_index::fill(&db).await?;
        std::fs::create_dir_all(crate::media::media_dir(&settings.data_dir))?;
        let site = db::settings::site(&db, &settings.site).await?;
        Ok(Context {
            urls: Urls::new(&settings.public_url),
            interactions: super::interaction_writer::InteractionWriter::start(db.clone()),
            site: RwLock::new(Arc::new(site)),
            changes: Default::default(),
            work: Notify::new(),
            settings,
            db,
            clock,
        })
    }

    /// After a write that public documents show has committed: counts it here (the page cache
    /// compares this count with the one it rendered under), counts it for the other processes
    /// on the same database (`http::freshness`), and signals that outbox work may be waiting.
    pub async fn committed(&self) {
        self.changes.fetch_add(1, Ordering::SeqCst);
        if let Err(e) = db::count_change(&self.db).await {
            // The other processes then keep their pages until the next counted change; say so.
            tracing::error!(error = %e, "cannot count a change for the other node processes");
        }
        self.queued();
    }

    /// Begins a transaction: a unit of work whose writes (through the domain's functions)
    /// commit together.
    pub async fn begin(&self) -> crate::error::Result<db::Tx> {
        Ok(self.db.begin().await?)
    }

    /// Commits a transaction begun with [`Context::begin`].
    pub async fn commit(&self, tx: db::Tx) -> crate::error::Result<()> {
        Ok(tx.commit().await?)
    }

    /// The count of changes committed by every process on this database (PostgreSQL; see
    /// `http::freshness`).
    pub async fn counted_changes(&self) -> db::DbResult<i64> {
        db::changes(&self.db).await
    }

    /// Signals that outbox work was queued (a write no public document shows).
    pub fn queued(&self) {
        self.work.notify_one();
    }

    /// Waits until outbox work is signalled (the delivery worker).
    pub async fn work_queued(&self) {
        self.work.notified().await;
    }

    /// The count of committed writes public documents show, shared with whoever keeps
    /// rendered documents.
    pub fn changes(&self) -> Arc<AtomicU64> {
        self.changes.clone()
    }

    /// What the pages say about the node now.
    pub fn site(&self) -> Arc<Site> {
        self.site
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads the admin's site settings again (after a change, here or in another process).
    pub async fn reload_site(&self) -> anyhow::Result<()> {
        let site = db::settings::site(&self.db, &self.settings.site).await?;
        *self.site.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(site);
        Ok(())
    }

    /// Where photos are stored.
    pub fn media_dir(&self) -> PathBuf {
        crate::media::media_dir(&self.settings.data_dir)
    }
}
