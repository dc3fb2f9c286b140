//! The health of the hosts the node delivers to: those with failures on record, kept in
//! memory so that hearing from a healthy host costs no query (refreshed from the database by
//! the delivery worker every minute).

use std::collections::HashSet;
use std::sync::Mutex;

use crate::db::{self, queue};
use crate::domain::Context;

/// Hosts with delivery failures on record.
#[derive(Debug, Default)]
pub struct Hosts {
    troubled: Mutex<HashSet<String>>,
}

impl Hosts {
    /// Replaces the set with what the database holds.
    pub fn reset(&self, hosts: impl IntoIterator<Item = String>) {
        *self.troubled.lock().expect("hosts lock") = hosts.into_iter().collect();
    }

    /// Notes a failure; whether the host already had one.
    pub fn failed(&self, host: &str) -> bool {
        !self
            .troubled
            .lock()
            .expect("hosts lock")
            .insert(host.to_string())
    }

    /// Notes a success; whether the host had failures on record.
    pub fn succeeded(&self, host: &str) -> bool {
        self.troubled.lock().expect("hosts lock").remove(host)
    }

    fn troubled(&self, host: &str) -> bool {
        self.troubled.lock().expect("hosts lock").contains(host)
    }

    /// A host just talked to the node (an activity it sent was taken): it is alive, and its
    /// waiting deliveries may go at once.
    pub async fn answered(&self, cx: &Context, host: &str) -> db::DbResult<()> {
        if !self.troubled(host) {
            return Ok(());
        }
        let state = queue::host_state(cx.db.pool(), host).await?;
        if state.down_since.is_none() && state.failures == 0 {
            return Ok(());
        }
        let mut tx = cx.db.begin().await?;
        queue::set_host_state(
            &mut tx,
            host,
            &queue::HostState::default(),
            None,
            Some(cx.clock.now_ms()),
        )
        .await?;
        tx.commit().await?;
        self.succeeded(host);
        Ok(())
    }
}
