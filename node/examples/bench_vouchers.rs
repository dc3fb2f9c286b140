//! Benchmark: town voucher redemptions on a release node on SQLite. First one voucher taken
//! from by many redemptions at once (each a conditional update of the same row); then many
//! vouchers, one redemption each. Every balance is checked at the end against what was taken.
//!
//! cargo build --release --bin etal --example bench_vouchers
//! target/release/examples/bench_vouchers [REDEMPTIONS] [CONCURRENCY]

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use futures::StreamExt;
use serde_json::{json, Value};

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
    let token = node.token.clone();
    let campaign: Value = client
        .post(format!("{url}/api/v1/voucher-campaigns"))
        .bearer_auth(&token)
        .json(
            &json!({"name": "Banc d'essai", "face_value": "100000.00", "price": "0",
            "quantity": count + 10, "issue_from": "2020-01-01", "issue_until": "2099-12-31",
            "valid_until": "2099-12-31", "eligibility": "anyone", "merchants": ["bench"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = campaign["id"].as_str().unwrap().to_string();
    let ok = client
        .post(format!(
            "{url}/api/v1/voucher-campaigns/{id}/merchants/bench/accept"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 204);
    let issue = |email: String| {
        let (client, url, token, id) = (client.clone(), url.clone(), token.clone(), id.clone());
        async move {
            let v: Value = client
                .post(format!("{url}/api/v1/voucher-campaigns/{id}/vouchers"))
                .bearer_auth(&token)
                .json(&json!({"email": email}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["code"].as_str().unwrap().to_string()
        }
    };
    let redeem = |code: String, amount: &'static str| {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        async move {
            let t = Instant::now();
            let res = client
                .post(format!("{url}/api/v1/vouchers/{code}/redemptions"))
                .bearer_auth(&token)
                .json(&json!({"merchant": "bench", "amount": amount}))
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), t.elapsed().as_secs_f64() * 1000.0)
        }
    };
    let balance = |code: String| {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        async move {
            let v: Value = client
                .get(format!("{url}/api/v1/vouchers/{code}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["balance"].as_str().unwrap().to_string()
        }
    };

    println!("| run | redemptions | p50 ms | p99 ms | max ms | result |");
    println!("|---|---|---|---|---|---|");
    // One voucher, everyone at once.
    let one = issue("one@example.fr".into()).await;
    let started = Instant::now();
    let answers: Vec<(u16, f64)> = futures::stream::iter(0..count)
        .map(|_| redeem(one.clone(), "1.00"))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = started.elapsed().as_secs_f64();
    assert!(answers.iter().all(|a| a.0 == 201));
    let left = balance(one.clone()).await;
    assert_eq!(
        left,
        format!("{}.00", 100_000 - count),
        "balance = face - taken"
    );
    common::timing_row(
        &format!("one voucher, {concurrency} at a time"),
        answers.iter().map(|a| a.1).collect(),
        &format!(
            "{:.0} redemptions/s, balance {left} as expected",
            count as f64 / wall
        ),
    );

    // Many vouchers, one redemption each.
    let many: Vec<String> = futures::stream::iter(0..count)
        .map(|i| issue(format!("v{i}@example.fr")))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let started = Instant::now();
    let answers: Vec<(u16, f64)> = futures::stream::iter(many.clone())
        .map(|code| redeem(code, "12.34"))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = started.elapsed().as_secs_f64();
    assert!(answers.iter().all(|a| a.0 == 201));
    for code in many.iter().take(50) {
        assert_eq!(balance(code.clone()).await, "99987.66");
    }
    common::timing_row(
        &format!("{count} vouchers, one each, {concurrency} at a time"),
        answers.iter().map(|a| a.1).collect(),
        &format!("{:.0} redemptions/s", count as f64 / wall),
    );
}
