//! Benchmark helper: many fediverse "servers" in one process, each a fake actor on its own
//! port (so on its own host, `localhost:PORT`), with an inbox that verifies every HTTP
//! signature (the key is fetched once per keyId) and records when each activity arrived.
//!
//! usage: bench_sink COUNT   (prints `control PORT` once ready)
//!   POST /follow?target=ACTOR_URL  every actor sends a signed Follow of the target
//!   GET  /stats?type=Update        {"count", "verified", "first_ms", "last_ms"} of that type
//!   GET  /ports                    the ports of the actors

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use etal_node::federation::signing::{self, SigningKey};
use serde_json::{json, Value};

#[derive(Default)]
struct Stats {
    count: u64,
    verified: u64,
    first_ms: i64,
    last_ms: i64,
}

struct Shared {
    key: SigningKey,
    public_pem: String,
    keys: Mutex<HashMap<String, String>>,
    stats: Mutex<HashMap<String, Stats>>,
    ports: Mutex<Vec<u16>>,
    http: reqwest::Client,
}

#[derive(Clone)]
struct Sink {
    port: u16,
    shared: Arc<Shared>,
}

fn actor_doc(port: u16, pem: &str) -> Value {
    let id = format!("http://localhost:{port}/users/u");
    json!({"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
           "id": id, "type": "Person", "preferredUsername": "u", "inbox": format!("{id}/inbox"),
           "endpoints": {"sharedInbox": format!("http://localhost:{port}/inbox")},
           "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem}})
}

async fn actor(State(s): State<Sink>) -> impl IntoResponse {
    (
        [("content-type", "application/activity+json")],
        actor_doc(s.port, &s.shared.public_pem).to_string(),
    )
}

async fn key_for(shared: &Shared, key_id: &str) -> Option<String> {
    if let Some(k) = shared.keys.lock().unwrap().get(key_id) {
        return Some(k.clone());
    }
    let doc: Value = shared
        .http
        .get(key_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let pem = doc["publicKey"]["publicKeyPem"].as_str()?.to_string();
    shared
        .keys
        .lock()
        .unwrap()
        .insert(key_id.to_string(), pem.clone());
    Some(pem)
}

async fn inbox(
    State(s): State<Sink>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let Some(sig) = h("signature").and_then(|v| signing::parse_signature(v).ok()) else {
        return StatusCode::UNAUTHORIZED;
    };
    let Ok(text) = signing::signing_string(&sig, "POST", uri.path(), h) else {
        return StatusCode::UNAUTHORIZED;
    };
    let digest_ok = h("digest") == Some(signing::digest_header(&body).as_str());
    let verified = match key_for(&s.shared, &sig.key_id).await {
        Some(pem) => digest_ok && signing::verify(&pem, text.as_bytes(), &sig.signature),
        None => false,
    };
    let now = chrono::Utc::now().timestamp_millis();
    let kind = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["type"].as_str().map(str::to_string))
        .unwrap_or_default();
    let mut stats = s.shared.stats.lock().unwrap();
    let st = stats.entry(kind).or_default();
    st.count += 1;
    st.verified += verified as u64;
    if st.first_ms == 0 {
        st.first_ms = now;
    }
    st.last_ms = st.last_ms.max(now);
    if verified {
        StatusCode::ACCEPTED
    } else {
        StatusCode::UNAUTHORIZED
    }
}

#[derive(serde::Deserialize)]
struct Target {
    target: Option<String>,
    r#type: Option<String>,
}

async fn follow(State(s): State<Arc<Shared>>, Query(q): Query<Target>) -> Json<Value> {
    let target = q.target.unwrap_or_default();
    let ports = s.ports.lock().unwrap().clone();
    let inbox = format!(
        "{}/inbox",
        url::Url::parse(&target)
            .unwrap()
            .origin()
            .ascii_serialization()
    );
    let mut ok = 0;
    for chunk in ports.chunks(32) {
        let mut tasks = vec![];
        for port in chunk {
            let s = s.clone();
            let (target, inbox, port) = (target.clone(), inbox.clone(), *port);
            tasks.push(tokio::spawn(async move {
                let id = format!("http://localhost:{port}/users/u");
                let body = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{id}/follows/1"),
                                  "type": "Follow", "actor": id, "object": target}).to_string();
                let key = SigningKey::from_pem(format!("{id}#main-key"), &s.private_pem()).unwrap();
                let url = url::Url::parse(&inbox).unwrap();
                let digest = signing::digest_header(body.as_bytes());
                let date = signing::http_date(chrono::Utc::now());
                let signed = signing::sign_post(&key, &url, &digest, "application/activity+json", &date);
                s.http.post(url).header("content-type", "application/activity+json").header("date", signed.date)
                    .header("digest", digest).header("signature", signed.signature).body(body)
                    .send().await.map(|r| r.status().as_u16() == 202).unwrap_or(false)
            }));
        }
        for t in tasks {
            ok += t.await.unwrap_or(false) as u32;
        }
    }
    Json(json!({"followed": ok}))
}

impl Shared {
    fn private_pem(&self) -> String {
        PRIVATE.get().unwrap().clone()
    }
}

static PRIVATE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn stats(State(s): State<Arc<Shared>>, Query(q): Query<Target>) -> Json<Value> {
    let stats = s.shared_stats(q.r#type.as_deref().unwrap_or(""));
    Json(stats)
}

impl Shared {
    fn shared_stats(&self, kind: &str) -> Value {
        let stats = self.stats.lock().unwrap();
        let st = stats.get(kind);
        json!({"count": st.map_or(0, |s| s.count), "verified": st.map_or(0, |s| s.verified),
               "first_ms": st.map_or(0, |s| s.first_ms), "last_ms": st.map_or(0, |s| s.last_ms)})
    }
}

async fn ports(State(s): State<Arc<Shared>>) -> Json<Vec<u16>> {
    Json(s.ports.lock().unwrap().clone())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(500);
    let pair = etal_node::keys::generate().unwrap();
    PRIVATE.set(pair.private_pem.clone()).unwrap();
    let shared = Arc::new(Shared {
        key: SigningKey::from_pem("unused".into(), &pair.private_pem).unwrap(),
        public_pem: pair.public_pem,
        keys: Mutex::new(HashMap::new()),
        stats: Mutex::new(HashMap::new()),
        ports: Mutex::new(vec![]),
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(4)
            .build()
            .unwrap(),
    });
    let _ = &shared.key;
    for _ in 0..count {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        shared.ports.lock().unwrap().push(port);
        let app = Router::new()
            .route("/users/u", get(actor))
            .route("/users/u/inbox", post(inbox))
            .route("/inbox", post(inbox))
            .with_state(Sink {
                port,
                shared: shared.clone(),
            });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    }
    let app = Router::new()
        .route("/follow", post(follow))
        .route("/stats", get(stats))
        .route("/ports", get(ports))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("control {}", listener.local_addr().unwrap().port());
    axum::serve(listener, app).await.unwrap();
}
