//! Delivery: turns outbox events into queued deliveries (fan-out), then sends them, signed,
//! with per-host order, back-off and leases, so that nothing is lost when the process dies and
//! a dead or slow peer never holds up the others.

pub mod backoff;
pub mod fanout;
pub mod hosts;
pub mod notices;
pub mod sender;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Mutex, Semaphore};
use tokio::task::JoinHandle;

use crate::db::queue::{self, Claimed};
use crate::db::{self};
use crate::federation::signing::SigningKey;
use crate::federation::Federation;
use crate::model::actor::LocalActor;
use hosts::Hosts;
use sender::Outcome;

/// How long a claimed delivery stays leased: longer than any attempt can take.
pub const LEASE_MS: i64 = 5 * 60_000;
/// Attempts in flight at once, across hosts.
pub const MAX_IN_FLIGHT: usize = 512;
/// How often the worker looks for work when nothing wakes it.
pub const POLL: Duration = Duration::from_millis(250);

/// Starts the fan-out and delivery loop of a node.
pub fn spawn(fed: Arc<Federation>, hosts: Arc<Hosts>) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = queue::release_all_leases(&fed.cx.db).await {
            tracing::error!(error = %e, "cannot release delivery leases");
        }
        let worker = Worker::new(fed, hosts);
        worker.run().await;
    })
}

struct Worker {
    fed: Arc<Federation>,
    /// Hosts with failures on record (shared with the inbox, which hears from them).
    hosts: Arc<Hosts>,
    id: String,
    keys: Mutex<HashMap<LocalActor, Arc<SigningKey>>>,
    slots: Arc<Semaphore>,
    /// Wall-clock time of the last recorded heartbeat.
    beat: Arc<AtomicI64>,
    /// A probe of down hosts is running.
    probing: Arc<AtomicBool>,
}

type Done = (Claimed, Outcome);

impl Worker {
    fn new(fed: Arc<Federation>, hosts: Arc<Hosts>) -> Worker {
        Worker {
            fed,
            hosts,
            id: uuid::Uuid::now_v7().to_string(),
            keys: Mutex::new(HashMap::new()),
            slots: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            beat: Arc::new(AtomicI64::new(0)),
            probing: Arc::new(AtomicBool::new(false)),
        }
    }

    async fn run(self) {
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
        let mut last_gc = 0i64;
        self.refresh_troubled().await;
        // The heartbeat has a task of its own, so that no slow step of this loop can let it
        // go stale while we hold leases.
        let (fed, id, beat) = (self.fed.clone(), self.id.clone(), self.beat.clone());
        tokio::spawn(async move {
            loop {
                let real_now = chrono::Utc::now().timestamp_millis();
                match queue::heartbeat(&fed.cx.db, &id, real_now).await {
                    Ok(()) => beat.store(real_now, Ordering::SeqCst),
                    Err(e) => tracing::error!(error = %e, "cannot record the worker's heartbeat"),
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        });
        for _ in 0..100 {
            if self.beat.load(Ordering::SeqCst) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        loop {
            if let Err(e) = fanout::run(&self.fed).await {
                tracing::error!(error = format!("{e:#}"), "fan-out failed");
            }
            let now = self.fed.cx.clock.now_ms();
            let real_now = chrono::Utc::now().timestamp_millis();
            // Without a recent heartbeat other processes may take our leases: claim nothing.
            let alive =
                real_now - self.beat.load(Ordering::SeqCst) < queue::HEARTBEAT_TIMEOUT_MS / 2;
            let slots = if alive {
                self.slots.available_permits() as i64
            } else {
                0
            };
            match queue::claim(&self.fed.cx.db, &self.id, now, real_now, LEASE_MS, slots).await {
                Ok(claimed) => {
                    for c in claimed {
                        self.start(c, done_tx.clone()).await;
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot claim deliveries"),
            }
            if now - last_gc > 60_000 {
                last_gc = now;
                let _ = queue::collect_garbage(&self.fed.cx.db).await;
                self.refresh_troubled().await;
                if !self.probing.swap(true, Ordering::SeqCst) {
                    let (fed, probing) = (self.fed.clone(), self.probing.clone());
                    tokio::spawn(async move {
                        probe_down_hosts(&fed, now).await;
                        probing.store(false, Ordering::SeqCst);
                    });
                }
            }
            // Sleep until woken by a write, a finished attempt, or the poll interval.
            let mut finished = Vec::new();
            tokio::select! {
                _ = self.fed.cx.work_queued() => {}
                Some(d) = done_rx.recv() => finished.push(d),
                _ = tokio::time::sleep(POLL) => {}
            }
            // Take every result that is ready, to record them in one transaction.
            tokio::time::sleep(Duration::from_millis(if finished.is_empty() {
                0
            } else {
                5
            }))
            .await;
            while let Ok(d) = done_rx.try_recv() {
                finished.push(d);
            }
            if !finished.is_empty() {
                if let Err(e) = self.record(finished).await {
                    tracing::error!(error = %e, "cannot record delivery results");
                }
            }
        }
    }

    async fn key(&self, signer: LocalActor) -> anyhow::Result<Arc<SigningKey>> {
        if let Some(k) = self.keys.lock().await.get(&signer) {
            return Ok(k.clone());
        }
        let key = Arc::new(crate::federation::signer_key(&self.fed, signer).await?);
        self.keys.lock().await.insert(signer, key.clone());
        Ok(key)
    }

    async fn start(&self, c: Claimed, done: mpsc::UnboundedSender<Done>) {
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore open");
        let key = match self.key(c.signer).await {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(signer = ?c.signer, error = %e, "no key to sign with; will retry");
                let _ = done.send((c, Outcome::Deferred(e.to_string())));
                return;
            }
        };
        let client = self.fed.fetcher.client().clone();
        let allow_private = self.fed.cx.settings.allow_private_networks;
        tokio::spawn(async move {
            let outcome = sender::send(&client, &key, &c.inbox, &c.body, allow_private).await;
            drop(permit);
            let _ = done.send((c, outcome));
        });
    }

    async fn refresh_troubled(&self) {
        if let Ok(hosts) = queue::troubled_hosts(&self.fed.cx.db).await {
            self.hosts.reset(hosts);
        }
    }

    async fn record(&self, finished: Vec<Done>) -> crate::db::DbResult<()> {
        let now = self.fed.cx.clock.now_ms();
        let mut tx = self.fed.cx.db.begin().await?;
        let mut finished_ids = Vec::new();
        for (c, outcome) in &finished {
            match outcome {
                Outcome::Delivered | Outcome::Refused(_) | Outcome::Gone => {
                    finished_ids.push(c.id);
                    if let Outcome::Refused(status) = outcome {
                        tracing::warn!(
                            inbox = c.inbox,
                            status,
                            reason = if *status == 0 {
                                "refused before sending (address policy or request)".to_string()
                            } else {
                                format!("the peer answered HTTP {status}")
                            },
                            activity = c.activity_id,
                            "delivery given up"
                        );
                    }
                    if *outcome == Outcome::Gone {
                        let n = db::remote::remove_followers_at(&mut tx, &c.inbox).await?;
                        tracing::info!(
                            inbox = c.inbox,
                            removed = n,
                            "inbox gone: followers removed"
                        );
                    }
                    let was_troubled = self.hosts.succeeded(&c.host);
                    if was_troubled {
                        queue::set_host_state(
                            &mut tx,
                            &c.host,
                            &queue::HostState::default(),
                            None,
                            Some(now),
                        )
                        .await?;
                    }
                }
                Outcome::Deferred(error) => {
                    queue::release(&mut tx, c.id, &self.id, error).await?;
                }
                Outcome::Retry(error) => {
                    let state = queue::host_state(&mut *tx, &c.host).await?;
                    let (next, down) = backoff::after_failure(&state, now, rand::random::<f64>());
                    queue::set_host_state(&mut tx, &c.host, &next, Some(error), None).await?;
                    self.hosts.failed(&c.host);
                    if down {
                        let dropped = queue::drop_host(&mut tx, &c.host).await?;
                        tracing::warn!(
                            host = c.host,
                            dropped,
                            reason = error,
                            "deliveries given up: host failing for two days, marked down, its queue dropped"
                        );
                    } else {
                        queue::release(&mut tx, c.id, &self.id, error).await?;
                        tracing::info!(
                            host = c.host,
                            error,
                            retry_in_ms = next.next_attempt_at - now,
                            "delivery failed; will retry"
                        );
                    }
                }
            }
        }
        queue::finish(&mut tx, &finished_ids, &self.id).await?;
        tx.commit().await
    }
}

/// Probes hosts marked down; one that answers is back.
async fn probe_down_hosts(fed: &Federation, now: i64) {
    let Ok(hosts) = queue::hosts_to_probe(&fed.cx.db, now).await else {
        return;
    };
    for host in hosts {
        let alive = fed
            .fetcher
            .client()
            .get(format!("{host}/"))
            .send()
            .await
            .is_ok_and(|r| r.status().as_u16() < 500);
        let Ok(mut tx) = fed.cx.db.begin().await else {
            return;
        };
        let state = if alive {
            tracing::info!(host, "down host answers again");
            queue::HostState::default()
        } else {
            let mut s = queue::host_state(&mut *tx, &host).await.unwrap_or_default();
            s.next_attempt_at = now + backoff::PROBE_EVERY_MS;
            s
        };
        let _ = queue::set_host_state(&mut tx, &host, &state, None, alive.then_some(now)).await;
        let _ = tx.commit().await;
    }
}
