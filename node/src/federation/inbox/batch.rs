//! Group commit for the hottest inbox path: likes, boosts and replies of local products from
//! known actors. Concurrent requests are gathered and written in one statement, and each
//! request is answered once its row is stored. SQLite has a single writer: one write for
//! fifty requests instead of fifty writes.

use tokio::sync::{mpsc, oneshot};

use crate::db::{remote::Interaction, Db, Sql};

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

async fn write(db: &Db, batch: &[Job]) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    // Activities seen before (a redelivery, or a Like undone since) are not stored again.
    let mut seen = Sql::new("INSERT INTO received_activities (id, received_at) VALUES ");
    for (n, (i, _)) in batch.iter().enumerate() {
        if n > 0 {
            seen.push(",");
        }
        seen.push("(")
            .bind(i.activity_id.clone())
            .push(",")
            .bind(i.created_at)
            .push(")");
    }
    seen.push(" ON CONFLICT (id) DO NOTHING RETURNING id");
    let (text, args) = seen.build();
    let new: std::collections::HashSet<String> = sqlx::query_scalar_with(&text, args)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let fresh: Vec<&Job> = batch
        .iter()
        .filter(|(i, _)| new.contains(&i.activity_id))
        .collect();
    if fresh.is_empty() {
        return tx.commit().await;
    }
    let mut sql = Sql::new(
        "INSERT INTO interactions (id, activity_id, kind, merchant_id, product_id, actor, object_id, content, url, created_at) \
         SELECT v.column1, v.column2, v.column3, p.merchant_id, p.id, v.column5, v.column6, v.column7, v.column8, v.column9 \
         FROM (VALUES ",
    );
    for (n, (i, _)) in fresh.iter().map(|j| (&j.0, &j.1)).enumerate() {
        if n > 0 {
            sql.push(",");
        }
        sql.push("(")
            .bind(i.id.to_string())
            .push(",")
            .bind(i.activity_id.clone())
            .push(",")
            .bind(i.kind.clone())
            .push(",")
            .bind(i.product_id.map(|p| p.to_string()).unwrap_or_default())
            .push(",")
            .bind(i.actor.clone())
            .push(",")
            .bind(i.object_id.clone())
            .push(",")
            .bind(i.content.clone())
            .push(",")
            .bind(i.url.clone())
            .push(",")
            .bind(i.created_at)
            .push(")");
    }
    sql.push(
        ") AS v JOIN products p ON p.id = v.column4 \
         WHERE p.local = 1 AND p.deleted_at IS NULL \
         ON CONFLICT (activity_id) DO NOTHING",
    );
    let (text, args) = sql.build();
    sqlx::query_with(&text, args).execute(&mut *tx).await?;
    tx.commit().await
}
