//! Shared by the benchmark drivers: start a release node on a fresh SQLite database, get a
//! token, create a shop with one product.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub struct Node {
    pub child: Child,
    pub url: String,
    pub token: String,
    pub product: String,
    pub database_url: String,
    pub _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn bin(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        root.join(default).to_string_lossy().to_string()
    })
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn etal(dir: &std::path::Path, port: u16) -> Command {
    let mut c = Command::new(bin("ETAL_BIN", "target/release/etal"));
    c.env("ETAL_LISTEN", format!("127.0.0.1:{port}"))
        .env("ETAL_PUBLIC_URL", format!("http://localhost:{port}"))
        .env(
            "ETAL_DATABASE_URL",
            format!("sqlite://{}/etal.db", dir.display()),
        )
        .env("ETAL_DATA_DIR", dir)
        .env("ETAL_ALLOW_PRIVATE_NETWORKS", "1")
        // The benchmarks time fan-out itself, not the hold of new objects' Creates.
        .env("ETAL_PUBLISH_DELAY", "0")
        // Every benchmark client is one address: no rate limit on reservations.
        .env("ETAL_RESERVATIONS_PER_CLIENT_HOUR", "100000000")
        .env("RUST_LOG", "error");
    c
}

pub async fn start_node() -> Node {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = etal(dir.path(), port)
        .arg("serve")
        .stdout(Stdio::null())
        .spawn()
        .expect("target/release/etal (cargo build --release)");
    let client = reqwest::Client::new();
    let url = format!("http://localhost:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while client
        .get(format!("{url}/api/v1/categories"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "node did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = etal(dir.path(), port)
        .args(["admin", "token", "create", "--name", "bench"])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let res = client
        .post(format!("{url}/api/v1/merchants"))
        .bearer_auth(&token)
        .json(&json!({"slug": "bench", "name": "Boulangerie du banc d'essai", "address": {"postal_code": "78120", "city": "Rambouillet"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let p: Value = client
        .post(format!("{url}/api/v1/merchants/bench/products"))
        .bearer_auth(&token)
        .json(&json!({"name": "Baguette", "price": "1.30", "stock": 100}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Node {
        child,
        url,
        token,
        product: p["id"].as_str().unwrap().to_string(),
        database_url: format!("sqlite://{}/etal.db", dir.path().display()),
        _dir: dir,
    }
}

/// `openssl speed -multi 2 rsa2048` signatures per second on this machine.
pub fn openssl_signs_per_second() -> f64 {
    let out = Command::new("openssl")
        .args(["speed", "-multi", "2", "-seconds", "5", "rsa2048"])
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("rsa 2048 bits"))
        .expect("openssl speed output");
    line.split_whitespace().nth(5).unwrap().parse().unwrap()
}

/// The value at fraction `p` of sorted timings.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Times each GET one after another and prints a Markdown row: requests, p50, p95, p99, max
/// (milliseconds). Returns the sorted timings.
pub async fn time_all(client: &reqwest::Client, label: &str, urls: Vec<String>) -> Vec<f64> {
    let mut times = Vec::new();
    for u in &urls {
        let t = Instant::now();
        let res = client.get(u).send().await.expect("request");
        let status = res.status();
        let _ = res.bytes().await.expect("body");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(status.is_success(), "{u}: {status}");
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "| {label} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
        times[times.len() - 1]
    );
    times
}

/// Prints a Markdown row of sorted timings: label, count, p50, p99, max (milliseconds), and a
/// last column.
pub fn timing_row(label: &str, mut times: Vec<f64>, extra: &str) {
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "| {label} | {} | {:.1} | {:.1} | {:.1} | {extra} |",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().unwrap()
    );
}
