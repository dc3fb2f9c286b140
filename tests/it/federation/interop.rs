//! Interoperability with two real fediverse implementations, Fedify (Node.js) and bovine
//! (Python), installed by `scripts/install-peers.sh` into `target/peers/`. Ignored by default;
//! run with `--include-ignored` (as `.ci/run` does), and then a missing peer is a failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::shop_with_product;
use crate::harness::{spawn, TestNode};

fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/peers")
}

struct Peer {
    child: Child,
    log: PathBuf,
    base: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn get(&self, path: &str) -> String {
        reqwest::get(format!("{}{path}", self.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn log(&self) -> Vec<Value> {
        serde_json::from_str(&self.get("/_log").await).unwrap_or_default()
    }
}

async fn free_port() -> u16 {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(program: &Path, args: &[&str], cwd: &Path, port: u16, name: &str) -> Peer {
    assert!(
        program.exists() || program.to_str() == Some("node"),
        "{} is missing: run scripts/install-peers.sh",
        program.display()
    );
    let log = std::env::temp_dir().join(format!("etal-peer-{name}-{port}.log"));
    let file = std::fs::File::create(&log).unwrap();
    let child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env("HTTPS_TO_HTTP", "1")
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let peer = Peer {
        child,
        log,
        base: format!("http://localhost:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{}/_log", peer.base)).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "{name} did not start: {}",
            peer.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    peer
}

async fn wait_until<F, Fut>(what: &str, secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Resolves `acct` to an actor id with bovine's WebFinger client (`lookup_uri_with_webfinger`),
/// over plain http on loopback.
async fn bovine_webfinger(bovine_dir: &Path, acct: &str, base: &str) -> String {
    let script = r#"
import asyncio, sys, aiohttp
from bovine.clients import lookup_uri_with_webfinger

async def main():
    async with aiohttp.ClientSession() as session:
        actor, _ = await lookup_uri_with_webfinger(session, sys.argv[1], domain=sys.argv[2])
        print(actor)

asyncio.run(main())
"#;
    // Asynchronously: the node answering the lookup runs on this test's thread.
    let out = tokio::process::Command::new(bovine_dir.join("venv/bin/python"))
        .args(["-c", script, acct, base])
        .output()
        .await
        .expect("bovine's python");
    assert!(
        out.status.success(),
        "bovine's WebFinger lookup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

async fn followers(t: &TestNode) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM followers")
        .fetch_one(t.node.cx.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
#[ignore = "needs the Fedify and bovine peers: scripts/install-peers.sh, then cargo test -- --include-ignored"]
async fn fedify_and_bovine_follow_a_shop_and_receive_its_products() {
    let dir = peers_dir();
    let fedify_dir = dir.join("fedify");
    let bovine_dir = dir.join("bovine");
    assert!(
        fedify_dir.join("node_modules/@fedify/fedify").exists(),
        "Fedify is not installed: run scripts/install-peers.sh"
    );
    assert!(
        bovine_dir.join("venv/bin/python").exists(),
        "bovine is not installed: run scripts/install-peers.sh"
    );

    let t = spawn().await;
    let first = shop_with_product(&t, "boulangerie").await;
    let node_host = t.url.trim_start_matches("http://").to_string();
    let shop = format!("{}/shops/boulangerie", t.url);
    let (fport, bport) = (free_port().await, free_port().await);
    let fedify = start(
        Path::new("node"),
        &["peer.mjs", &fport.to_string(), "alice"],
        &fedify_dir,
        fport,
        "fedify",
    )
    .await;
    let bovine = start(
        &bovine_dir.join("venv/bin/python"),
        &["bovine_peer.py", &bport.to_string()],
        &bovine_dir,
        bport,
        "bovine",
    )
    .await;

    // Both follow the shop by its handle. Fedify resolves it itself; bovine's peer follows an
    // actor URL, so the handle is first resolved by bovine's own WebFinger client. The node
    // checks their signatures before it accepts.
    let answer = fedify
        .get(&format!("/_follow?target=@boulangerie@{node_host}"))
        .await;
    assert!(answer.starts_with("sent Follow"), "{answer}");
    let resolved = bovine_webfinger(
        &bovine_dir,
        &format!("acct:boulangerie@{node_host}"),
        &t.url,
    )
    .await;
    assert_eq!(
        resolved, shop,
        "bovine resolves the handle to the shop actor"
    );
    let answer = bovine.get(&format!("/_follow?target={resolved}")).await;
    assert!(answer.contains("202"), "{answer}");
    wait_until("two followers", 30, || async { followers(&t).await == 2 }).await;
    for actor in [
        format!("{}/users/alice", fedify.base),
        format!("{}/actor", bovine.base),
    ] {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT public_key_pem FROM remote_actors WHERE ap_id=$1")
                .bind(actor.clone())
                .fetch_optional(t.node.cx.db.pool())
                .await
                .unwrap();
        assert!(
            stored.is_some(),
            "the node verified and kept the key of {actor}"
        );
    }
    wait_until("Fedify got the Accept", 30, || async {
        fedify.log().await.iter().any(|e| e["kind"] == "Accept")
    })
    .await;
    wait_until("bovine got the Accept", 30, || async {
        bovine.log().await.iter().any(|e| e["type"] == "Accept")
    })
    .await;

    // A new product, a price change, a deletion.
    let p = t.product("boulangerie", json!({"name": "Pain aux figues", "price": "4.60", "category": "food.bakery", "tags": ["figue"]})).await;
    let note = p["ap_id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/products/{}", p["id"].as_str().unwrap());
    for (kind, change) in [
        ("Create", None),
        ("Update", Some(true)),
        ("Delete", Some(false)),
    ] {
        // Each change waits for the previous one to arrive: an Update of a product deleted
        // before it was sent is not sent at all.
        match change {
            Some(true) => {
                t.patch(&url, json!({"price": "4.90"})).await;
            }
            Some(false) => {
                t.delete(&url).await;
            }
            None => {}
        }
        let note = note.clone();
        wait_until(&format!("Fedify got the {kind}"), 30, || {
            let note = note.clone();
            let fedify = &fedify;
            async move {
                fedify
                    .log()
                    .await
                    .iter()
                    .any(|e| e["kind"] == kind && e["object"] == note.as_str())
            }
        })
        .await;
        wait_until(&format!("bovine got the {kind}"), 30, || {
            let note = note.clone();
            let bovine = &bovine;
            async move {
                bovine.log().await.iter().any(|e| {
                    let object = &e["activity"]["object"];
                    e["type"] == kind && (object["id"] == note.as_str() || *object == note.as_str())
                })
            }
        })
        .await;
    }
    for entry in bovine.log().await {
        if ["Accept", "Create", "Update", "Delete"].contains(&entry["type"].as_str().unwrap_or(""))
        {
            assert_eq!(
                entry["verified_owner"],
                shop.as_str(),
                "bovine verified the shop's signature: {entry}"
            );
        }
    }
    // Fedify reads the product the way Fedify does: price and photo.
    // Asynchronously: the node under test answers the lookup from this very runtime.
    let out = tokio::process::Command::new("node")
        .args(["lookup.mjs", &format!("{}/products/{first}", t.url)])
        .current_dir(&fedify_dir)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "lookup failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("Note "), "{text}");
    assert!(text.contains("1,30 €"), "the price is readable: {text}");
    assert!(
        text.contains("\"1.30\""),
        "the structured price survives: {text}"
    );
    assert!(
        text.contains("/media/i/") && text.contains("image/jpeg"),
        "the photo is an attachment: {text}"
    );
    for peer in [&fedify, &bovine] {
        let output = peer.output();
        assert!(
            !output.contains("INBOX-ERROR") && !output.contains("REJECTED"),
            "peer complained:\n{output}"
        );
    }
}
