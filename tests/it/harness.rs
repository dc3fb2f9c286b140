//! The test rig: a real node on port 0 with its own database, a client, and a snapshot of
//! everything the node stores, to show that a failed request changed nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use etal_node::app::App;
use etal_node::config::Settings;
use etal_node::domain::auth;
use etal_node::http::Node;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::{Column, Row};
use tokio::net::TcpListener;

/// A running node and a client for it.
pub struct TestNode {
    /// e.g. `http://localhost:41234`
    pub url: String,
    /// Shared state of the node.
    pub node: Arc<Node>,
    /// The node admin's token.
    pub admin: String,
    /// HTTP client.
    pub client: reqwest::Client,
    /// What it was started with (a restart reuses them).
    pub settings: Settings,
    _tmp: Option<tempfile::TempDir>,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<()>,
}

/// An answer: status, headers, body as JSON (or `Value::Null`).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The `field`s named in a problem's `errors`.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Asserts the status and that the body is a problem document with that status.
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Answer {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "problem content type"
        );
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string() && self.body["detail"].is_string());
        self
    }
}

/// A fresh PostgreSQL schema in the test database, when one is configured.
async fn postgres_url() -> Option<String> {
    let base = std::env::var("ETAL_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    sqlx::any::install_default_drivers();
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
        .await
        .expect("ETAL_TEST_DATABASE_URL answers");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

/// Which database the suite runs on.
pub fn on_postgres() -> bool {
    std::env::var("ETAL_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// Settings for a node in `dir` answering at `public_url`.
pub async fn settings(dir: &Path, public_url: &str) -> Settings {
    Settings::for_dir(dir, public_url, postgres_url().await)
}

/// Starts a node with an admin token.
pub async fn spawn() -> TestNode {
    spawn_with(|_| {}).await
}

/// Starts a node whose delivery schedules follow `clock`.
pub async fn spawn_clocked(clock: Arc<dyn etal_node::clock::Clock>) -> TestNode {
    spawn_full(|_| {}, clock).await
}

/// Starts a node after `tweak` adjusts its settings.
pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> TestNode {
    spawn_full(tweak, Arc::new(etal_node::clock::SystemClock)).await
}

/// Starts a node after `tweak` adjusts its settings, with `clock`.
pub async fn spawn_full(
    tweak: impl FnOnce(&mut Settings),
    clock: Arc<dyn etal_node::clock::Clock>,
) -> TestNode {
    let tmp = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let mut s = settings(tmp.path(), &url).await;
    tweak(&mut s);
    let mut t = start(s, listener, clock).await;
    t._tmp = Some(tmp);
    t
}

/// Starts a node on `listener` with `settings` as they are (its folder is the caller's: a
/// restart after [`TestNode::stop`] finds its database as it was left).
pub async fn start(
    settings: Settings,
    listener: TcpListener,
    clock: Arc<dyn etal_node::clock::Clock>,
) -> TestNode {
    let url = settings
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_string();
    let app = App::with_clock(settings.clone(), listener, clock)
        .await
        .expect("node starts");
    let node = app.node();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(async move {
        let _ = app
            .run_until(async {
                let _ = stopped.await;
            })
            .await;
    });
    let admin = auth::create_token(&node.cx, "test admin", None)
        .await
        .unwrap();
    TestNode {
        url,
        node,
        admin,
        client: reqwest::Client::new(),
        settings,
        _tmp: None,
        stop,
        served,
    }
}

impl TestNode {
    /// Stops the server and waits until it has closed its database; returns its folder.
    pub async fn stop(self) -> Option<tempfile::TempDir> {
        let _ = self.stop.send(());
        let _ = self.served.await;
        self.node.cx.db.close().await;
        self._tmp
    }

    /// Sends a request with an optional token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.client.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    /// Sends a prepared request.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// GET without a token.
    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None, None).await
    }

    /// POST JSON as the admin.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(&self.admin.clone()), Some(body))
            .await
    }

    /// PATCH JSON as the admin.
    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(&self.admin.clone()), Some(body))
            .await
    }

    /// DELETE as the admin.
    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, Some(&self.admin.clone()), None)
            .await
    }

    /// Creates a merchant with only the required fields.
    pub async fn merchant(&self, slug: &str) -> Value {
        let a = self
            .post(
                "/api/v1/merchants",
                json!({"slug": slug, "name": format!("Shop {slug}"),
                       "address": {"postal_code": "78120", "city": "Rambouillet"}}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
        a.body
    }

    /// Creates a product for `slug`.
    pub async fn product(&self, slug: &str, body: Value) -> Value {
        let a = self
            .post(&format!("/api/v1/merchants/{slug}/products"), body)
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
        a.body
    }

    /// The likes, boosts and replies a shop received, newest first (as the admin).
    pub async fn interactions(&self, slug: &str) -> Vec<Value> {
        let a = self
            .call(
                Method::GET,
                &format!("/api/v1/merchants/{slug}/interactions"),
                Some(&self.admin.clone()),
                None,
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["items"].as_array().unwrap().clone()
    }

    /// A token scoped to a merchant.
    pub async fn merchant_token(&self, slug: &str) -> String {
        auth::create_token(&self.node.cx, "shop", Some(slug))
            .await
            .unwrap()
    }

    /// Every stored row of every table, and every media file: equal snapshots mean nothing
    /// changed.
    pub async fn snapshot(&self) -> BTreeMap<String, Vec<Vec<String>>> {
        let mut out = BTreeMap::new();
        for table in self.tables().await {
            // PostgreSQL: the types the Any driver cannot read (the search index's tsvector)
            // as text.
            let sql = if on_postgres() {
                let columns: Vec<(String, String)> = sqlx::query_as(
                    "SELECT column_name::text, data_type::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(table.clone())
                .fetch_all(self.node.cx.db.pool())
                .await
                .unwrap();
                let list: Vec<String> = columns
                    .iter()
                    .map(|(c, t)| {
                        if t == "tsvector" {
                            format!("{c}::text AS {c}")
                        } else {
                            c.clone()
                        }
                    })
                    .collect();
                format!("SELECT {} FROM {table} ORDER BY 1", list.join(", "))
            } else {
                format!("SELECT * FROM {table} ORDER BY 1")
            };
            let rows = sqlx::query(&sql)
                .fetch_all(self.node.cx.db.pool())
                .await
                .unwrap();
            let rows = rows
                .iter()
                .map(|r| {
                    (0..r.columns().len())
                        .map(|i| {
                            let name = r.columns()[i].name().to_string();
                            let v = r
                                .try_get::<Option<String>, _>(i)
                                .map(|v| format!("{v:?}"))
                                .or_else(|_| {
                                    r.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}"))
                                })
                                .or_else(|_| {
                                    r.try_get::<Option<f64>, _>(i).map(|v| format!("{v:?}"))
                                })
                                .unwrap_or_else(|e| format!("?{e}"));
                            format!("{name}={v}")
                        })
                        .collect()
                })
                .collect();
            out.insert(table.to_string(), rows);
        }
        let mut files = vec![];
        collect_files(&self.node.cx.media_dir(), &mut files);
        files.sort();
        out.insert("media files".into(), vec![files]);
        out
    }

    /// Every table of the schema, read from the database itself so that a new table is in
    /// every snapshot without editing this list; less `workers`, whose heartbeats the delivery
    /// worker writes every two seconds whatever the requests do.
    pub async fn tables(&self) -> Vec<String> {
        let sql = if on_postgres() {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1"
        };
        let tables: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(self.node.cx.db.pool())
            .await
            .unwrap();
        let tables: Vec<String> = tables
            .into_iter()
            .filter(|t| !t.starts_with("sqlite_") && !t.starts_with("_sqlx") && t != "workers")
            .collect();
        assert!(tables.len() >= 15, "the schema's tables: {tables:?}");
        tables
    }

    /// Runs `f` and asserts that it left the stored state exactly as it was.
    pub async fn unchanged<F, Fut>(&self, f: F)
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        // Background fan-out of earlier writes must not count as a change.
        self.drain().await;
        let before = self.snapshot().await;
        f().await;
        let after = self.snapshot().await;
        for (table, rows) in &before {
            assert_eq!(rows, &after[table], "a failed request changed {table}");
        }
    }

    /// Waits until every outbox event is fanned out and every delivery finished.
    pub async fn drain(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let pending: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM outbox_events WHERE processed_at IS NULL) + (SELECT COUNT(*) FROM deliveries)",
            )
            .fetch_one(self.node.cx.db.pool())
            .await
            .unwrap();
            if pending == 0 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "deliveries still pending"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Outbox events as (verb, kind) in order.
    pub async fn events(&self) -> Vec<(String, String, String)> {
        sqlx::query("SELECT verb, object_kind, object_id FROM outbox_events ORDER BY seq")
            .fetch_all(self.node.cx.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect()
    }
}

fn collect_files(dir: &Path, out: &mut Vec<String>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect_files(&p, out);
            } else {
                out.push(p.display().to_string());
            }
        }
    }
}
