//! Process-level tests against the `etal` binary: a SIGKILL in the middle of sending loses
//! nothing, two processes on one PostgreSQL deliver each activity once, two aggregator
//! processes on one PostgreSQL record each harvested change once, and hostile requests
//! cost a node of its own little CPU and memory (measured on that process alone).

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::fedi::{FakeServer, Mode};
use crate::harness;

use crate::procs::{cpu_ms, free_port, new_node, peak_rss_mib, Node, Proc};

async fn setup_shop(node: &Node, token: &str, port: u16, fake: &FakeServer) {
    let client = reqwest::Client::new();
    let res = client
        .post(format!("http://127.0.0.1:{port}/api/v1/merchants"))
        .bearer_auth(token)
        .json(&json!({"slug": "fromagerie", "name": "Fromagerie", "address": {"postal_code": "78120", "city": "Rambouillet"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    fake.actor("alice");
    let (status, body) = fake
        .post("alice", &format!("{}/shops/fromagerie/inbox", node.url), &json!({
            "@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("follows"), "type": "Follow",
            "actor": format!("{}/users/alice", fake.base), "object": format!("{}/shops/fromagerie", node.url)
        }))
        .await;
    assert_eq!(status, 202, "{body}");
    fake.wait_for("Accept", 20, |r| {
        r.iter().any(|r| r.activity["type"] == "Accept")
    })
    .await;
}

async fn create_products(port: u16, token: &str, names: &[String]) {
    let client = reqwest::Client::new();
    for name in names {
        let res = client
            .post(format!(
                "http://127.0.0.1:{port}/api/v1/merchants/fromagerie/products"
            ))
            .bearer_auth(token)
            .json(&json!({"name": name, "price": "5.00"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
}

fn created_names(fake: &FakeServer) -> Vec<String> {
    fake.of_type("Create")
        .iter()
        .map(|r| {
            r.activity["object"]["publishes"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_node_killed_while_a_peer_stalls_delivers_everything_after_restart() {
    let port = free_port().await;
    let (node, _tmp) = new_node(port).await;
    let fake = FakeServer::start().await;
    let server = node.serve(port).await;
    let token = node.token();
    setup_shop(&node, &token, port, &fake).await;
    fake.set_mode(Mode::Stall);
    let names: Vec<String> = (0..5).map(|i| format!("Comté {i}")).collect();
    create_products(port, &token, &names).await;
    // The first Create is being received and held open when the node dies.
    let deadline = Instant::now() + Duration::from_secs(20);
    let held = |events: &[String]| {
        events.iter().any(|e| {
            e.strip_prefix("start ")
                .is_some_and(|id| !events.contains(&format!("done {id}")))
        })
    };
    while !held(&fake.events()) {
        assert!(
            Instant::now() < deadline,
            "a delivery reached the stalled peer: {:?}",
            fake.events()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut server = server;
    server.0.kill().unwrap(); // SIGKILL
    server.0.wait().unwrap();
    drop(server);
    fake.set_mode(Mode::Accept);
    let _restarted = node.serve(port).await;
    let got = fake
        .wait_for("every Create after the restart", 60, |r| {
            let names: Vec<&Value> = r
                .iter()
                .filter(|r| r.activity["type"] == "Create")
                .map(|r| &r.activity["object"]["publishes"]["name"])
                .collect();
            (0..5).all(|i| names.iter().any(|n| **n == format!("Comté {i}")))
        })
        .await;
    assert!(got.iter().all(|r| r.verified), "every delivery signed");
    let mut received = created_names(&fake);
    received.dedup();
    assert_eq!(received, names, "at least once, in order");
}

#[tokio::test]
#[ignore = "needs PostgreSQL (several processes share it, not SQLite): ETAL_TEST_DATABASE_URL=… cargo test -- --include-ignored"]
async fn two_processes_on_one_postgresql_deliver_each_activity_once() {
    assert!(
        harness::on_postgres(),
        "set ETAL_TEST_DATABASE_URL: several processes share PostgreSQL, not SQLite"
    );
    let (p1, p2) = (free_port().await, free_port().await);
    let (node, _tmp) = new_node(p1).await;
    let fake = FakeServer::start().await;
    let _one = node.serve(p1).await;
    let _two = node.serve(p2).await;
    let token = node.token();
    setup_shop(&node, &token, p1, &fake).await;
    let names: Vec<String> = (0..40).map(|i| format!("Produit {i}")).collect();
    let (a, b): (Vec<String>, Vec<String>) = names
        .iter()
        .cloned()
        .partition(|n| n.ends_with(['0', '2', '4', '6', '8']));
    tokio::join!(
        create_products(p1, &token, &a),
        create_products(p2, &token, &b)
    );
    fake.wait_for("40 Creates", 60, |r| {
        r.iter().filter(|r| r.activity["type"] == "Create").count() >= 40
    })
    .await;
    // Let any duplicate arrive before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut got = created_names(&fake);
    assert_eq!(got.len(), 40, "no activity delivered twice");
    got.sort();
    let mut want = names.clone();
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn a_nested_activity_bomb_costs_little_cpu_and_delays_no_one() {
    let port = free_port().await;
    let (node, _tmp) = new_node(port).await;
    let proc = node.serve(port).await;
    let pid = proc.0.id();
    let client = reqwest::Client::new();
    let body = crate::hostile::nested_announce("http://localhost:1/users/x", 120, 1_000_000);
    assert!(body.len() > 900_000);
    let host = format!("localhost:{port}");
    // Let start-up settle, then measure four bombs.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = cpu_ms(pid);
    let bombs = async {
        for _ in 0..4 {
            let res = client
                .post(format!("http://127.0.0.1:{port}/inbox"))
                .headers(crate::hostile::forged_headers(
                    &host,
                    &body,
                    "http://localhost:1/users/x#main-key",
                ))
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert!(res.status().is_client_error(), "{}", res.status());
        }
    };
    let reader = async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let started = Instant::now();
        let res = client
            .get(format!("http://127.0.0.1:{port}/api/v1/merchants"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        started.elapsed()
    };
    let ((), waited) = tokio::join!(bombs, reader);
    let spent = cpu_ms(pid) - before;
    eprintln!("four 1 MB nested bombs: {spent} ms of CPU; a concurrent GET took {waited:?}");
    assert!(spent <= 4 * 50, "{spent} ms of CPU for four bombs");
    assert!(
        waited < Duration::from_secs(1),
        "a GET waited {waited:?} behind the bombs"
    );
}

#[tokio::test]
async fn three_concurrent_image_bombs_are_refused_within_512_mb() {
    let port = free_port().await;
    let (node, _tmp) = new_node(port).await;
    let proc = node.serve(port).await;
    let pid = proc.0.id();
    let token = node.token();
    let client = reqwest::Client::new();
    let res = client
        .post(format!("http://127.0.0.1:{port}/api/v1/merchants"))
        .bearer_auth(&token)
        .json(&json!({"slug": "fromagerie", "name": "Fromagerie", "address": {"postal_code": "78120", "city": "Rambouillet"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let product: Value = client
        .post(format!(
            "http://127.0.0.1:{port}/api/v1/merchants/fromagerie/products"
        ))
        .bearer_auth(&token)
        .json(&json!({"name": "Comté", "price": "29.90", "unit": "kg"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = product["id"].as_str().unwrap().to_string();
    let bomb = crate::hostile::png_bomb();
    let upload = || async {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bomb.to_vec()).file_name("bomb.png"),
        );
        client
            .post(format!(
                "http://127.0.0.1:{port}/api/v1/products/{id}/images"
            ))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
    };
    let results = tokio::join!(upload(), upload(), upload());
    for result in [results.0, results.1, results.2] {
        match result {
            Ok(res) => {
                let s = res.status().as_u16();
                assert!(s == 422 || s == 413, "{s}");
            }
            // The node may answer and close as soon as it has read the
            // image's header, while the client is still sending the rest:
            // the client then sees the connection closed under its upload.
            // That is a refusal too, as long as the node is still up and
            // stored nothing (checked below).
            Err(e) => assert!(
                e.is_request() || e.is_body(),
                "the upload failed otherwise: {e:?}"
            ),
        }
    }
    let after: Value = client
        .get(format!("http://127.0.0.1:{port}/api/v1/products/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["images"], json!([]), "{after}");
    let peak = peak_rss_mib(pid);
    eprintln!("three concurrent 16384x16384 PNG bombs: peak RSS {peak} MiB");
    assert!(peak < 512, "peak RSS {peak} MiB");
}

#[tokio::test]
#[ignore = "needs PostgreSQL (two aggregator processes share it, not SQLite): ETAL_TEST_DATABASE_URL=… cargo test -- --include-ignored"]
async fn two_aggregator_processes_on_one_postgresql_record_each_change_once() {
    assert!(
        harness::on_postgres(),
        "set ETAL_TEST_DATABASE_URL: several processes share PostgreSQL, not SQLite"
    );
    // Four towns' nodes, 25 products each.
    let towns = [
        harness::spawn().await,
        harness::spawn().await,
        harness::spawn().await,
        harness::spawn().await,
    ];
    for (i, t) in towns.iter().enumerate() {
        crate::aggregator::shop(t, "epicerie", "Rambouillet", true).await;
        for n in 0..25 {
            crate::aggregator::product(t, "epicerie", &format!("Produit {i}-{n}"), "2.50").await;
        }
    }
    // The towns followed first, then two aggregator processes started at once on one
    // database, reading every second: both find every source due.
    let (p1, p2) = (free_port().await, free_port().await);
    let (agg, _tmp) = new_node(p1).await;
    for t in &towns {
        // Off this test's thread: the towns' nodes answer the follow from it.
        let mut follow = agg.command(0);
        follow.args(["aggregator", "follow", &t.url]);
        let out = tokio::task::spawn_blocking(move || follow.output())
            .await
            .unwrap()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let aggregator = |port: u16| {
        agg.command(port)
            .args(["serve", "--aggregator", "--harvest-every", "1"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    let _one = Proc(aggregator(p1));
    let _two = Proc(aggregator(p2));
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = client
            .get(format!(
                "http://127.0.0.1:{p2}/api/v1/search?q=produit&limit=100"
            ))
            .send()
            .await;
        if let Ok(r) = r {
            if let Ok(body) = r.json::<Value>().await {
                if body["total"] == 100 {
                    break;
                }
            }
        }
        assert!(Instant::now() < deadline, "100 products harvested");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Several more turns at each source, by either process.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let out = agg
        .command(0)
        .args(["aggregator", "sources"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    for t in &towns {
        // Each change of each node's feed recorded once: its shop and 25 products.
        let feed: Value = client
            .get(format!("{}/open-data/changes?since=0&limit=5000", t.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let changes = feed["items"].as_array().unwrap().len();
        let line = table
            .lines()
            .find(|l| l.contains(&t.url))
            .unwrap_or_else(|| panic!("{table}"));
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols[0], "live", "{table}");
        assert_eq!(cols[3], "25", "{table}");
        let db = etal_node::db::Db::connect(&agg.database_url).await.unwrap();
        let source = etal_node::db::sources::get(db.pool(), &t.url)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(source.changes as usize, changes, "{table}");
    }
}
