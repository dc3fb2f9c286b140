//! Benchmark: one Update fanned out to 1,000 distinct inboxes (two separate sink processes,
//! 500 hosts each, every signature checked), timed from just before the write that records the
//! outbox event to the last 2xx, against `openssl speed -multi 2 rsa2048` on the same machine.
//!
//! cargo build --release --bin etal --example bench_sink --example bench_fanout
//! target/release/examples/bench_fanout

#[path = "common/mod.rs"]
mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use etal_node::federation::signing::{self, SigningKey};
use serde_json::{json, Value};

struct Sink(Child, u16);

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What the sinks received of one activity type, added up over the sinks.
struct Received {
    count: u64,
    verified: u64,
    /// Arrival of the first and the last, in milliseconds since the epoch.
    first_ms: i64,
    last_ms: i64,
}

async fn stats(client: &reqwest::Client, sinks: &[Sink], kind: &str) -> Received {
    let mut r = Received {
        count: 0,
        verified: 0,
        first_ms: i64::MAX,
        last_ms: 0,
    };
    for s in sinks {
        let v: Value = client
            .get(format!("http://127.0.0.1:{}/stats?type={kind}", s.1))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r.count += v["count"].as_u64().unwrap();
        r.verified += v["verified"].as_u64().unwrap();
        r.first_ms = r.first_ms.min(v["first_ms"].as_i64().unwrap());
        r.last_ms = r.last_ms.max(v["last_ms"].as_i64().unwrap());
    }
    r
}

async fn wait_for(
    client: &reqwest::Client,
    sinks: &[Sink],
    kind: &str,
    n: u64,
    secs: u64,
) -> Received {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let s = stats(client, sinks, kind).await;
        if s.count >= n {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} {kind} arrived",
            s.count
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// CPU time a process has used so far, user and system, in milliseconds.
fn cpu_ms(pid: u32) -> [f64; 2] {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which ends with the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime, in ticks of USER_HZ (100 on Linux).
    let ms = |i: usize| f.get(i).and_then(|t| t.parse::<f64>().ok()).unwrap_or(0.0) * 10.0;
    [ms(11), ms(12)]
}

/// TCP connections opened on this machine so far (`ActiveOpens` in /proc/net/snmp).
fn tcp_opens() -> i64 {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut tcp = snmp.lines().filter(|l| l.starts_with("Tcp:"));
    let (names, values) = (tcp.next().unwrap_or(""), tcp.next().unwrap_or(""));
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(n, _)| *n == "ActiveOpens")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

/// Signed POSTs per second that one thread of this process can produce with the node's own
/// signing code (aws-lc-rs), for reference: the fan-out cannot beat twice this on two cores.
fn node_signs_per_second_one_core() -> f64 {
    let pair = etal_node::keys::generate().unwrap();
    let key = SigningKey::from_pem(
        "http://localhost/shops/bench#main-key".into(),
        &pair.private_pem,
    )
    .unwrap();
    let url = url::Url::parse("http://localhost:1/inbox").unwrap();
    let digest = signing::digest_header(b"{}");
    let date = signing::http_date(chrono::Utc::now());
    let (start, mut n) = (Instant::now(), 0u32);
    while start.elapsed() < Duration::from_secs(2) {
        std::hint::black_box(signing::sign_post(
            &key,
            &url,
            &digest,
            "application/activity+json",
            &date,
        ));
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let per_sink = 500;
    let openssl = common::openssl_signs_per_second();
    println!("openssl speed -multi 2 rsa2048: {openssl:.0} signs/s");
    println!(
        "the node's signing code (aws-lc-rs), one thread: {:.0} signs/s",
        node_signs_per_second_one_core()
    );
    let node = common::start_node().await;
    let client = reqwest::Client::new();
    let sinks: Vec<Sink> = (0..2)
        .map(|_| {
            let mut child = Command::new(common::bin(
                "SINK_BIN",
                "target/release/examples/bench_sink",
            ))
            .arg(per_sink.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("target/release/examples/bench_sink");
            let mut line = String::new();
            let out = child.stdout.take().unwrap();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line).unwrap();
            let control = line
                .trim()
                .strip_prefix("control ")
                .expect("sink control port")
                .parse()
                .unwrap();
            Sink(child, control)
        })
        .collect();
    for s in &sinks {
        while client
            .get(format!("http://127.0.0.1:{}/ports", s.1))
            .send()
            .await
            .is_err()
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let shop = format!("{}/shops/bench", node.url);
    for s in &sinks {
        let r: Value = client
            .post(format!("http://127.0.0.1:{}/follow?target={shop}", s.1))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["followed"], per_sink, "every follow accepted");
    }
    let total = 2 * per_sink as u64;
    wait_for(&client, &sinks, "Accept", total, 120).await;
    println!("{total} followers on {total} distinct hosts, all Accepts delivered");
    let mut rates = vec![];
    for round in 1..=3 {
        let before = stats(&client, &sinks, "Update").await.count;
        let pids = [
            node.child.id(),
            sinks[0].0.id(),
            sinks[1].0.id(),
            std::process::id(),
        ];
        let cpu0: Vec<[f64; 2]> = pids.iter().map(|p| cpu_ms(*p)).collect();
        let opens0 = tcp_opens();
        let t0 = chrono::Utc::now().timestamp_millis();
        let res = client
            .patch(format!("{}/api/v1/products/{}", node.url, node.product))
            .bearer_auth(&node.token)
            .json(&json!({"price": format!("1.{}", 30 + round)}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let got = wait_for(&client, &sinks, "Update", before + total, 120).await;
        assert_eq!(got.count, before + total, "no duplicates");
        let cpu: Vec<[f64; 2]> = pids
            .iter()
            .zip(&cpu0)
            .map(|(p, c)| {
                let n = cpu_ms(*p);
                [n[0] - c[0], n[1] - c[1]]
            })
            .collect();
        let ms = (got.last_ms - t0).max(1) as f64;
        let rate = total as f64 * 1000.0 / ms;
        rates.push(rate);
        let first_at = if round == 1 { got.first_ms - t0 } else { -1 };
        println!(
            "round {round}: {total} deliveries in {ms:.0} ms = {rate:.0}/s ({:.0} % of openssl), {} verified{}",
            100.0 * rate / openssl,
            got.verified - before,
            if first_at >= 0 { format!(", first after {first_at} ms") } else { String::new() }
        );
        println!(
            "         CPU used (user + system): node {:.0} + {:.0} ms, sinks {:.0} + {:.0} ms, this driver {:.0} ms; {} TCP connections opened",
            cpu[0][0],
            cpu[0][1],
            cpu[1][0] + cpu[2][0],
            cpu[1][1] + cpu[2][1],
            cpu[3][0] + cpu[3][1],
            tcp_opens() - opens0
        );
    }
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = rates[1];
    println!("median: {median:.0} deliveries/s = {:.0} % of openssl speed -multi 2 rsa2048 ({openssl:.0}/s)", 100.0 * median / openssl);
}
