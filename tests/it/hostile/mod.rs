//! Hostile input, as an attacker would send it: each case here failed before its fix (the
//! process-level ones, which measure CPU and memory of a node of its own, are in
//! `federation/process.rs`). This module holds what the cases share.

use std::time::Duration;

use serde_json::{json, Value};

use crate::fedi::FakeServer;
use crate::harness::TestNode;

mod accounts;
mod harvest;
mod inbox;
mod load;
mod mirror;
mod server;
mod writes;

pub const AS: &str = "https://www.w3.org/ns/activitystreams";

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// An `Announce` of an `Announce` of … `depth` levels, padded to about `bytes`.
pub fn nested_announce(actor: &str, depth: usize, bytes: usize) -> Vec<u8> {
    let pad = "x".repeat(bytes / depth);
    let mut doc = json!("https://example.org/notes/1");
    for i in 0..depth {
        doc = json!({"id": format!("{actor}/announces/{i}"), "type": "Announce", "actor": actor,
                     "summary": pad, "object": doc});
    }
    doc["@context"] = json!(AS);
    serde_json::to_vec(&doc).unwrap()
}

/// A POST with a valid Digest, Date and Host but a made-up signature.
pub fn forged_headers(host: &str, body: &[u8], key_id: &str) -> reqwest::header::HeaderMap {
    use etal_node::federation::signing;
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("host", host.parse().unwrap());
    h.insert(
        "date",
        signing::http_date(chrono::Utc::now()).parse().unwrap(),
    );
    h.insert("digest", signing::digest_header(body).parse().unwrap());
    h.insert("content-type", "application/activity+json".parse().unwrap());
    h.insert(
        "signature",
        format!("keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"QUJD\"")
            .parse()
            .unwrap(),
    );
    h
}

/// A 16384×16384 RGBA PNG of about a megabyte, which would decode to 1 GiB.
pub fn png_bomb() -> &'static [u8] {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(std::io::Cursor::new(&mut out), 16_384, 16_384);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let row = vec![0u8; 16_384 * 4];
        for _ in 0..16_384 {
            std::io::Write::write_all(&mut stream, &row).unwrap();
        }
        stream.finish().unwrap();
        writer.finish().unwrap();
        out
    })
}

pub async fn node_follows(t: &TestNode, fake: &FakeServer, relay: &str) -> Value {
    let a = t
        .post("/api/v1/node/follows", json!({"target": relay}))
        .await;
    assert_eq!(a.status.as_u16() / 100, 2, "{}", a.body);
    let got = fake
        .wait_for("the Follow", 10, |r| {
            r.iter().any(|d| d.activity["type"] == "Follow")
        })
        .await;
    got.iter()
        .find(|d| d.activity["type"] == "Follow")
        .unwrap()
        .activity
        .clone()
}

pub async fn accept(t: &TestNode, fake: &FakeServer, follow: &Value) -> u16 {
    let accept = json!({"@context": AS, "id": fake.new_id("accepts"), "type": "Accept",
                        "actor": follow["object"], "object": follow});
    fake.post("relay", &format!("{}/actor/inbox", t.url), &accept)
        .await
        .0
}

pub async fn settle(fake: &FakeServer, prefix: &str) -> u64 {
    let mut last = u64::MAX;
    loop {
        tokio::time::sleep(Duration::from_millis(600)).await;
        let now = fake.hits_under(prefix);
        if now == last {
            return now;
        }
        last = now;
    }
}
