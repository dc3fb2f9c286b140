//! A running node as its web side sees it: the rules' context and federation (shared with
//! the delivery worker and the harvester), and what only pages and documents use.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::domain::Context;
use crate::federation::Federation;

/// What request handlers share.
#[derive(Debug)]
pub struct Node {
    /// The rules' view of the node: settings, database, URLs, clock, site texts.
    pub cx: Arc<Context>,
    /// ActivityPub: the node key, the signed fetcher, remote actors and hosts.
    pub fed: Arc<Federation>,
    /// Rendered public pages and documents, forgotten at each write.
    pub pages: super::cache::PageCache,
    /// The open data files made so far (kept on disk until the data changes).
    pub dumps: super::dumps::Dumps,
    /// Sends invitations and password resets.
    pub mail: Arc<crate::mail::Mailer>,
    /// Generated shop pictures, drawn once each.
    pub avatars: crate::avatar::Cache,
    /// The health of the hosts the node delivers to (the delivery worker's, shared: the inbox
    /// hears from them).
    pub hosts: Arc<crate::delivery::hosts::Hosts>,
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
        let mail = Arc::new(crate::mail::Mailer::new(
            settings.smtp_url.as_deref(),
            &settings.mail_from,
        )?);
        let cx = Arc::new(Context::open_with_clock(settings, clock).await?);
        let fed = Arc::new(Federation::new(cx.clone()).await?);
        Ok(Node {
            pages: super::cache::PageCache::new(cx.changes()),
            dumps: Default::default(),
            avatars: Default::default(),
            hosts: Default::default(),
            mail,
            cx,
            fed,
        })
    }
}
