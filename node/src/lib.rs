//! The Étal node: a federated open-data marketplace for local shops.
//!
//! A node publishes its town's merchants and their products through a REST API, public pages
//! and (see `spec/`) ActivityPub. `main.rs` is a thin command line over [`app::App`].

pub mod app;
pub mod avatar;
pub mod card;
pub mod clock;
pub mod config;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod dev;
pub mod domain;
pub mod error;
pub mod federation;
pub mod http;
pub mod keys;
pub mod mail;
pub mod media;
pub mod model;
pub mod present;
pub mod urls;

use std::path::PathBuf;
use std::sync::Arc;

use clock::{Clock, SystemClock};
use config::Settings;
use db::Db;
use federation::Federation;
use tokio::sync::Notify;
use urls::Urls;

/// What every part of a running node shares: its settings, database, URL builder, clock and
/// federation state.
#[derive(Debug)]
pub struct Node {
    /// Resolved settings.
    pub settings: Settings,
    /// The database.
    pub db: Db,
    /// Builds every public URL.
    pub urls: Urls,
    /// "Now", for schedules (injectable in tests).
    pub clock: Arc<dyn Clock>,
    /// Signed fetching and the node key.
    pub fed: Federation,
    /// Wakes the delivery worker after a write.
    pub wake: Notify,
    /// Hosts with delivery failures on record, so that hearing from a healthy host costs no
    /// query (kept by the delivery worker, refreshed from the database every minute).
    pub troubled_hosts: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Generated shop pictures, drawn once each.
    pub avatars: avatar::Cache,
    /// Rendered public pages and documents, forgotten at each write.
    pub pages: http::cache::PageCache,
    /// The open data files made so far (kept on disk until the data changes).
    pub dumps: http::dumps::Dumps,
    /// Sends invitations and password resets.
    pub mail: mail::Mailer,
    /// What the pages say about the node: the settings' defaults, overridden by the admin's
    /// settings page (see [`Node::site`]).
    site: std::sync::RwLock<Arc<config::Site>>,
}

impl Node {
    /// Opens the database (migrating it) and prepares the node's key.
    pub async fn open(settings: Settings) -> anyhow::Result<Node> {
        Node::open_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Like [`Node::open`], with the clock the schedulers use.
    pub async fn open_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Node> {
        let db = Db::connect(&settings.database_url).await?;
        db::settings::ensure_node_key(&db, clock.now_ms()).await?;
        db::products::fill_tag_keys(&db).await?;
        db::search_index::fill(&db).await?;
        std::fs::create_dir_all(media::media_dir(&settings.data_dir))?;
        let urls = Urls::new(&settings.public_url);
        let fed = Federation::new(&db, &urls, &settings).await?;
        let mail = mail::Mailer::new(settings.smtp_url.as_deref(), &settings.mail_from)?;
        let site = db::settings::site(&db, &settings.site).await?;
        Ok(Node {
            site: std::sync::RwLock::new(Arc::new(site)),
            mail,
            urls,
            settings,
            db,
            clock,
            fed,
            wake: Notify::new(),
            troubled_hosts: Default::default(),
            avatars: Default::default(),
            pages: Default::default(),
            dumps: Default::default(),
        })
    }

    /// Tells the delivery worker there is new work.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// After a write that pages show has committed: forgets this process's rendered pages,
    /// counts the change for the other processes on the same database (see
    /// `http::cache::Freshness`), and wakes the delivery worker.
    pub async fn committed(&self) {
        self.pages.invalidate();
        if let Err(e) = db::count_change(&self.db).await {
            // The other processes then keep their pages until the next counted change; say so.
            tracing::error!(error = %e, "cannot count a change for the other node processes");
        }
        self.wake();
    }

    /// What the pages say about the node now.
    pub fn site(&self) -> Arc<config::Site> {
        self.site
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reads the admin's site settings again (after a change, here or in another process).
    pub async fn reload_site(&self) -> anyhow::Result<()> {
        let site = db::settings::site(&self.db, &self.settings.site).await?;
        *self
            .site
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(site);
        Ok(())
    }

    /// Where photos are stored.
    pub fn media_dir(&self) -> PathBuf {
        media::media_dir(&self.settings.data_dir)
    }
}
