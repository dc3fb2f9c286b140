//! Benchmark: click & collect on a release node on SQLite. First 200 customers race, all at
//! once, for the last 20 units of a product: exactly 20 must get one, the others a 409 naming
//! the short line; the latency of every request is reported. Then reservations are sent, many
//! at a time, for a product whose stock is not tracked, spread over the pick-up slots, for a
//! sustained rate.
//!
//! cargo build --release --bin etal --example bench_reservations
//! target/release/examples/bench_reservations [SUSTAINED_COUNT] [CONCURRENCY]

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use futures::StreamExt;
use serde_json::{json, Value};

async fn reserve(client: &reqwest::Client, url: &str, body: Value) -> (u16, f64, Value) {
    let t = Instant::now();
    let res = client
        .post(format!("{url}/api/v1/reservations"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let doc: Value = res.json().await.unwrap_or(Value::Null);
    (status, t.elapsed().as_secs_f64() * 1000.0, doc)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5000);
    let concurrency: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(32);
    let node = common::start_node().await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let url = node.url.clone();
    let a = client
        .patch(format!("{url}/api/v1/merchants/bench"))
        .bearer_auth(&node.token)
        .json(&json!({"opening_hours": ["Mo-Su 00:00-24:00"],
                      "reservations": {"enabled": true, "preparation_minutes": 0,
                                       "slot_minutes": 5, "slot_capacity": 1000}}))
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), 200);
    let product = |name: &str, stock: Option<i64>| {
        let client = client.clone();
        let url = url.clone();
        let token = node.token.clone();
        let mut body = json!({"name": name, "price": "4.50"});
        if let Some(s) = stock {
            body["stock"] = json!(s);
        }
        async move {
            let p: Value = client
                .post(format!("{url}/api/v1/merchants/bench/products"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            p["id"].as_str().unwrap().to_string()
        }
    };
    // Tomorrow's slots (the town's time zone is Europe/Paris; the whole day is open).
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let slots: Value = client
        .get(format!(
            "{url}/api/v1/merchants/bench/slots?date={tomorrow}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let starts: Vec<String> = slots["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap().to_string())
        .collect();
    assert!(starts.len() > 100, "{slots}");

    println!("| run | requests | p50 ms | p99 ms | max ms | result |");
    println!("|---|---|---|---|---|---|");
    // The race: 200 customers at once for 20 units.
    let last = product("Galette des rois", Some(20)).await;
    let started = Instant::now();
    let tries = (0..200).map(|i| {
        let body = json!({"merchant": "bench", "lines": [{"product": last, "quantity": 1}],
            "pickup": starts[i % starts.len()], "customer": {"name": "Client", "email": format!("race{i}@example.fr")}});
        reserve(&client, &url, body)
    });
    let answers = futures::future::join_all(tries).await;
    let wall = started.elapsed().as_secs_f64();
    let won = answers.iter().filter(|a| a.0 == 201).count();
    let short = answers
        .iter()
        .filter(|a| a.0 == 409 && a.2["errors"][0]["field"] == "lines[0].quantity")
        .count();
    assert_eq!(won, 20, "exactly 20 of 200 get one");
    assert_eq!(short, 180, "the others are told which line is short");
    let stock: Value = client
        .get(format!("{url}/api/v1/products/{last}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stock["stock"], 0);
    assert_eq!(stock["availability"], "out_of_stock");
    common::timing_row(
        "200 customers racing for 20 units",
        answers.iter().map(|a| a.1).collect(),
        &format!(
            "{won} reserved, {short} short (409), stock 0, all in {:.2} s",
            wall
        ),
    );

    // Sustained: untracked stock, slots round-robin.
    let plenty = product("Baguette", None).await;
    let started = Instant::now();
    let answers: Vec<(u16, f64, Value)> = futures::stream::iter(0..count)
        .map(|i| {
            let body = json!({"merchant": "bench", "lines": [{"product": plenty, "quantity": 2}],
                "pickup": starts[i % starts.len()], "customer": {"name": "Client", "email": format!("c{i}@example.fr")}});
            reserve(&client, &url, body)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = started.elapsed().as_secs_f64();
    let ok = answers.iter().filter(|a| a.0 == 201).count();
    assert_eq!(
        ok,
        count,
        "every reservation made: {:?}",
        answers.iter().find(|a| a.0 != 201)
    );
    common::timing_row(
        &format!("{count} reservations, {concurrency} at a time"),
        answers.iter().map(|a| a.1).collect(),
        &format!("{:.0} reservations/s", count as f64 / wall),
    );
}
