//! The Étal node: a federated open-data marketplace for local shops.
//!
//! A node publishes its town's merchants and their products through a REST API, public pages
//! and (see `spec/`) ActivityPub. `main.rs` is a thin command line over [`app::App`].

pub mod app;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod keys;
pub mod media;
pub mod urls;

use std::path::PathBuf;

use config::Settings;
use db::Db;
use urls::Urls;

/// What every part of a running node shares: its settings, database and URL builder.
#[derive(Debug)]
pub struct Node {
    /// Resolved settings.
    pub settings: Settings,
    /// The database.
    pub db: Db,
    /// Builds every public URL.
    pub urls: Urls,
}

impl Node {
    /// Opens the database (migrating it) and prepares the node's key.
    pub async fn open(settings: Settings) -> anyhow::Result<Node> {
        let db = Db::connect(&settings.database_url).await?;
        db::settings::ensure_node_key(&db).await?;
        std::fs::create_dir_all(media::media_dir(&settings.data_dir))?;
        Ok(Node {
            urls: Urls::new(&settings.public_url),
            settings,
            db,
        })
    }

    /// Where photos are stored.
    pub fn media_dir(&self) -> PathBuf {
        media::media_dir(&self.settings.data_dir)
    }
}
