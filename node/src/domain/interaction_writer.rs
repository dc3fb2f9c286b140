//! Group commit for the hottest inbox path (the rules of `audience`, written in groups): likes, boosts and replies of local products from
//! known actors. Concurrent requests are gathered and written in one statement, and each
//! request is answered once its row is stored. SQLite has a single writer: one write for
//! fifty requests instead of fifty writes.

use tokio::sync::{mpsc, oneshot};

use crate::db::{remote::Interaction, Db};

/// Most rows written at once.
const MAX_BATCH: usize = 200;

type Job = (Interaction, oneshot::Sender<Result<(), String>>);

/// Sends interactions to the writer task.
#[derive(Debug, Clone)]
pub struct InteractionWriter {
    jobs: mpsc::Sender<Job>,
}

impl InteractionWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db) -> InteractionWriter {
        let (jobs, rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
        tokio::spawn(run(db, rx));
        InteractionWriter { jobs }
    }

    /// Stores `i` (if its product is a live local product and its activity is new) and waits
    /// until it is committed.
    pub async fn write(&self, i: Interaction) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.jobs
            .send((i, done))
            .await
            .map_err(|_| "the writer stopped".to_string())?;
        wait.await.map_err(|_| "the writer stopped".to_string())?
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match write(&db, &batch).await {
            Ok(()) => {
                for (_, done) in batch {
                    let _ = done.send(Ok(()));
                }
            }
            // One bad row must not fail its neighbours: write them one by one.
            Err(e) if batch.len() > 1 => {
                tracing::warn!(error = %e, rows = batch.len(), "grouped write failed; writing rows one by one");
                for job in batch {
                    let result = write(&db, std::slice::from_ref(&job))
                        .await
                        .map_err(|e| e.to_string());
                    let _ = job.1.send(result);
                }
            }
            Err(e) => {
                for (_, done) in batch {
                    let _ = done.send(Err(e.to_string()));
                }
            }
        }
    }
}

async fn write(db: &Db, batch: &[Job]) -> crate::db::DbResult<()> {
    let items: Vec<&Interaction> = batch.iter().map(|(i, _)| i).collect();
    crate::db::remote::insert_interactions(db, &items).await
}
