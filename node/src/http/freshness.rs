//! Several node processes on one PostgreSQL database: before a process serves an answer it
//! kept, it reads the database's count of committed changes (the `etal_changes` sequence,
//! advanced by `domain::Context::committed` after each write pages show) once more since the request
//! arrived, and forgets its kept answers if the count moved. Concurrent requests share one
//! read, so this costs a round trip of latency, not one query per request.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::http::Node;

/// The check, on PostgreSQL, that no other process has written since a request arrived. Each
/// request takes a ticket; one task reads the change count for every ticket taken before its
/// read started, and invalidates the cache when the count moved.
#[derive(Debug)]
pub struct Freshness {
    active: AtomicBool,
    requested: AtomicU64,
    done: tokio::sync::watch::Sender<u64>,
    wake: tokio::sync::Notify,
}

impl Default for Freshness {
    fn default() -> Freshness {
        Freshness {
            active: Default::default(),
            requested: AtomicU64::new(0),
            done: tokio::sync::watch::Sender::new(0),
            wake: tokio::sync::Notify::new(),
        }
    }
}

impl Freshness {
    /// Waits until the change count has been read since this call began (at once on SQLite,
    /// where the node is the only process).
    pub async fn check(&self) {
        if !self.active.load(Ordering::Acquire) {
            return;
        }
        let ticket = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let mut done = self.done.subscribe();
        self.wake.notify_one();
        let _ = done.wait_for(|d| *d >= ticket).await;
    }
}

/// Reads the change count for the waiting requests, as long as the node runs (PostgreSQL).
pub async fn watch_changes(node: Arc<Node>) {
    let f = &node.pages.freshness;
    f.active.store(true, Ordering::Release);
    let mut last: Option<i64> = None;
    loop {
        let target = f.requested.load(Ordering::SeqCst);
        if target <= *f.done.borrow() {
            f.wake.notified().await;
            continue;
        }
        match node.cx.counted_changes().await {
            Ok(n) => {
                // Unknown before (first read, or after a failed one) counts as changed.
                if last != Some(n) {
                    node.pages.invalidate();
                    // The admin may have changed the site's settings in another process.
                    if let Err(e) = node.cx.reload_site().await {
                        tracing::warn!(error = %e, "cannot read the site settings");
                    }
                }
                last = Some(n);
            }
            Err(e) => {
                // Unknown: keep nothing rendered, and say so.
                tracing::warn!(error = %e, "cannot read the change count; pages are rendered afresh");
                node.pages.invalidate();
                last = None;
            }
        }
        f.done.send_replace(target);
    }
}
