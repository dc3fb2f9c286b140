//! Benchmark: signed Creates (replies to a product) from another process, verified and stored
//! per second by a release node on SQLite (WAL, synchronous=NORMAL). The requests are signed in
//! advance, so the sender's own signing does not count.
//!
//! cargo build --release --bin etal --example bench_inbox
//! target/release/examples/bench_inbox [COUNT] [CONCURRENCY]

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Instant;

use axum::routing::get;
use axum::Router;
use etal_node::federation::signing::{self, SigningKey};
use serde_json::json;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let concurrency: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(64);
    let node = common::start_node().await;
    // The remote actor, served from this process.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let actor = format!("http://localhost:{port}/users/bench");
    let pair = etal_node::keys::generate().unwrap();
    let doc = json!({"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor, "type": "Person", "preferredUsername": "bench", "inbox": format!("{actor}/inbox"),
        "publicKey": {"id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": pair.public_pem}})
    .to_string();
    let app = Router::new().route(
        "/users/bench",
        get(move || async move { ([("content-type", "application/activity+json")], doc) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let inbox = url::Url::parse(&format!("{}/inbox", node.url)).unwrap();
    let product = format!("{}/products/{}", node.url, node.product);
    let key =
        Arc::new(SigningKey::from_pem(format!("{actor}#main-key"), &pair.private_pem).unwrap());
    println!("signing {count} requests in advance…");
    let signed: Vec<(String, String, String, String)> = {
        let chunks: Vec<Vec<usize>> = (0..count)
            .collect::<Vec<_>>()
            .chunks(count.div_ceil(2))
            .map(|c| c.to_vec())
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|ids| {
                let (key, inbox, actor, product) = (key.clone(), inbox.clone(), actor.clone(), product.clone());
                std::thread::spawn(move || {
                    ids.into_iter()
                        .map(|i| {
                            let body = json!({"@context": "https://www.w3.org/ns/activitystreams",
                                "id": format!("{actor}/creates/{i}"), "type": "Create", "actor": actor,
                                "object": {"id": format!("{actor}/notes/{i}"), "type": "Note", "attributedTo": actor,
                                           "inReplyTo": product, "content": format!("<p>Encore du pain ? n°{i}</p>"),
                                           "to": ["https://www.w3.org/ns/activitystreams#Public"]}})
                            .to_string();
                            let digest = signing::digest_header(body.as_bytes());
                            let date = signing::http_date(chrono::Utc::now());
                            let s = signing::sign_post(&key, &inbox, &digest, "application/activity+json", &date);
                            (body, digest, s.date, s.signature)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let (c2, i2) = (client.clone(), inbox.clone());
    let send = move |(body, digest, date, sig): (String, String, String, String)| {
        let client = c2.clone();
        let inbox = i2.clone();
        async move {
            client
                .post(inbox)
                .header("content-type", "application/activity+json")
                .header("digest", digest)
                .header("date", date)
                .header("signature", sig)
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    // Warm up: the node fetches the actor once.
    let mut queue = signed.into_iter();
    assert_eq!(send(queue.next().unwrap()).await, 202);
    println!("sending…");
    let work = Arc::new(std::sync::Mutex::new(queue));
    let start = Instant::now();
    let mut tasks = vec![];
    for _ in 0..concurrency {
        let work = work.clone();
        let send = send.clone();
        tasks.push(tokio::spawn(async move {
            let mut statuses = std::collections::HashMap::<u16, usize>::new();
            loop {
                let next = work.lock().unwrap().next();
                let Some(req) = next else { break };
                *statuses.entry(send(req).await).or_default() += 1;
            }
            statuses
        }));
    }
    let mut statuses = std::collections::HashMap::<u16, usize>::new();
    for t in tasks {
        for (k, v) in t.await.unwrap() {
            *statuses.entry(k).or_default() += v;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let ok = statuses.get(&202).copied().unwrap_or(0);
    let db = etal_node::db::Db::connect(&node.database_url)
        .await
        .unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM interactions WHERE kind='reply'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    println!("statuses: {statuses:?}");
    println!("{ok} signed Creates verified and stored in {secs:.2} s = {:.0}/s ({} replies stored, concurrency {concurrency})", ok as f64 / secs, stored);
}
