//! Hostile input, as an attacker would send it: each case here failed before its fix (the
//! process-level ones, which measure CPU and memory of a node of its own, are in
//! `federation/process.rs`).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::federation::{add_photo, shop_with_product};
use crate::fedi::{FakeServer, Outbox};
use crate::harness::{spawn, spawn_with, TestNode};

const AS: &str = "https://www.w3.org/ns/activitystreams";
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

#[tokio::test]
async fn a_deeply_nested_activity_is_refused_before_its_signature_is_looked_at() {
    let t = spawn().await;
    let host = t.url.trim_start_matches("http://").to_string();
    let body = nested_announce("http://localhost:1/users/x", 120, 1_000_000);
    t.unchanged(|| async {
        let a = t
            .send(
                t.client
                    .post(format!("{}/inbox", t.url))
                    .headers(forged_headers(
                        &host,
                        &body,
                        "http://localhost:1/users/x#main-key",
                    ))
                    .body(body.clone()),
            )
            .await;
        a.problem(400);
        assert!(
            a.body["detail"].as_str().unwrap().contains("levels deep"),
            "{}",
            a.body
        );
    })
    .await;
    // Sixteen levels still pass the nesting check (and fail on the signature).
    let body = nested_announce("http://localhost:1/users/x", 10, 1000);
    let a = t
        .send(
            t.client
                .post(format!("{}/inbox", t.url))
                .headers(forged_headers(
                    &host,
                    &body,
                    "http://localhost:1/users/x#main-key",
                ))
                .body(body),
        )
        .await;
    a.problem(401);
}

/// Thousands of tags are refused on their count, before the write transaction: another
/// shop's change is not held up.
#[tokio::test]
async fn thousands_of_tags_are_refused_at_once_and_hold_no_lock() {
    let t = spawn().await;
    t.merchant("bombe").await;
    t.merchant("voisin").await;
    let p = t
        .product("bombe", json!({"name": "Pain", "price": "1.00"}))
        .await;
    let other = t
        .product("voisin", json!({"name": "Lait", "price": "1.00"}))
        .await;
    let tags: Vec<String> = (0..32_000).map(|i| format!("t{i}")).collect();
    let before = t.snapshot().await;
    let bomb_path = format!("/api/v1/products/{}", p["id"].as_str().unwrap());
    let bomb = t.patch(&bomb_path, json!({"tags": tags}));
    // The neighbour changes its product every 50 ms while the bomb is under way, and notes
    // its longest wait.
    let done = std::sync::atomic::AtomicBool::new(false);
    let neighbour = async {
        let mut longest = Duration::ZERO;
        let mut last = None;
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            let started = Instant::now();
            let a = t
                .patch(
                    &format!("/api/v1/products/{}", other["id"].as_str().unwrap()),
                    json!({"price": "1.10"}),
                )
                .await;
            longest = longest.max(started.elapsed());
            last = Some(a);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (last.expect("at least one change"), longest)
    };
    let bomb = async {
        let a = bomb.await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        a
    };
    let (bomb, (neighbour, waited)) = tokio::join!(bomb, neighbour);
    bomb.problem(422);
    assert_eq!(bomb.fields(), ["tags"]);
    assert!(
        bomb.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 20 tags"),
        "{}",
        bomb.body
    );
    assert_eq!(neighbour.status, 200, "{}", neighbour.body);
    assert!(
        waited < Duration::from_secs(3),
        "another shop's change waited {waited:?}"
    );
    let a = t
        .post(
            "/api/v1/merchants/bombe/products",
            json!({"name": "Brioche", "price": "2.00", "tags": (0..32_000).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
        )
        .await;
    a.problem(422);
    assert_eq!(a.fields(), ["tags"]);
    let after = t.snapshot().await;
    assert_eq!(
        before["products"].len(),
        after["products"].len(),
        "no product was created"
    );
}

#[tokio::test]
async fn a_follower_cannot_name_an_inbox_on_another_server() {
    let t = spawn().await;
    shop_with_product(&t, "boulangerie").await;
    let shop = format!("{}/shops/boulangerie", t.url);
    let fake = FakeServer::start().await;
    let victim = FakeServer::start().await;
    let mallory = fake.actor("mallory");
    fake.set_inboxes("mallory", &format!("{}/inbox", victim.base), None);
    t.unchanged(|| async {
        let follow = json!({"@context": AS, "id": fake.new_id("follows"), "type": "Follow", "actor": mallory, "object": shop});
        let (status, body) = fake
            .post("mallory", &format!("{shop}/inbox"), &follow)
            .await;
        assert_eq!(status, 401, "{body}");
        assert!(body.contains("not on the actor's server"), "{body}");
    })
    .await;
    // A shared inbox elsewhere is ignored: deliveries go to the actor's own inbox.
    let eve = fake.actor("eve");
    fake.set_inboxes(
        "eve",
        &format!("{eve}/inbox"),
        Some(&format!("{}/inbox", victim.base)),
    );
    let follow = json!({"@context": AS, "id": fake.new_id("follows"), "type": "Follow", "actor": eve, "object": shop});
    assert_eq!(
        fake.post("eve", &format!("{shop}/inbox"), &follow).await.0,
        202
    );
    t.product("boulangerie", json!({"name": "Brioche", "price": "4.20"}))
        .await;
    fake.wait_for("the Create", 10, |r| {
        r.iter().any(|d| d.activity["type"] == "Create")
    })
    .await;
    t.drain().await;
    assert!(
        victim.received().is_empty(),
        "the third server received {:?}",
        victim.received()
    );
    assert!(fake.received().iter().all(|d| d.path == "/users/eve/inbox"));
}

async fn node_follows(t: &TestNode, fake: &FakeServer, relay: &str) -> Value {
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

async fn accept(t: &TestNode, fake: &FakeServer, follow: &Value) -> u16 {
    let accept = json!({"@context": AS, "id": fake.new_id("accepts"), "type": "Accept",
                        "actor": follow["object"], "object": follow});
    fake.post("relay", &format!("{}/actor/inbox", t.url), &accept)
        .await
        .0
}

async fn settle(fake: &FakeServer, prefix: &str) -> u64 {
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

#[tokio::test]
async fn backfill_reads_each_page_once_runs_once_per_acceptance_and_stops_on_unfollow() {
    let t = spawn().await;
    let fake = FakeServer::start().await;
    let relay = fake.actor("relay");
    let pages = "/users/relay/outbox?page=";
    let follow = node_follows(&t, &fake, &relay).await;
    assert_eq!(accept(&t, &fake, &follow).await, 202);
    // A page whose `next` is itself is read once.
    let read = settle(&fake, pages).await;
    assert_eq!(read, 1, "a looping page is read once");
    // A second Accept of the same follow starts nothing.
    assert_eq!(accept(&t, &fake, &follow).await, 202);
    assert_eq!(settle(&fake, pages).await, 1);

    // An endless outbox: the walk stops once the node unfollows.
    let t = spawn().await;
    let fake = FakeServer::start().await;
    fake.set_outbox(Outbox::Endless);
    let relay = fake.actor("relay");
    let follow = node_follows(&t, &fake, &relay).await;
    assert_eq!(accept(&t, &fake, &follow).await, 202);
    assert_eq!(
        accept(&t, &fake, &follow).await,
        202,
        "a repeated Accept starts no second walk"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.hits_under(pages) < 3 {
        assert!(Instant::now() < deadline, "the backfill walks the outbox");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for p in 1..=3 {
        assert_eq!(fake.hits(&format!("{pages}{p}")), 1, "one walk at a time");
    }
    let a = t
        .call(
            Method::DELETE,
            &format!("/api/v1/node/follows?target={relay}"),
            Some(&t.admin.clone()),
            None,
        )
        .await;
    assert_eq!(a.status.as_u16() / 100, 2, "{}", a.body);
    let at_unfollow = fake.hits_under(pages);
    let stopped = settle(&fake, pages).await;
    assert!(
        stopped <= at_unfollow + 1,
        "the walk went on after the unfollow: {at_unfollow} then {stopped} pages"
    );
}

#[tokio::test]
async fn forged_signatures_naming_a_known_key_refetch_it_at_most_once() {
    let t = spawn().await;
    let pid = shop_with_product(&t, "boulangerie").await;
    let product = format!("{}/products/{pid}", t.url);
    let inbox = format!("{}/inbox", t.url);
    let fake = FakeServer::start().await;
    let alice = fake.actor("alice");
    let like = |id: String| json!({"@context": AS, "id": id, "type": "Like", "actor": alice, "object": product});
    assert_eq!(
        fake.post("alice", &inbox, &like(fake.new_id("l"))).await.0,
        202
    );
    let fetched = fake.hits("/users/alice");
    // Mallory signs with her own key but names alice's.
    let mallory = FakeServer::start().await;
    mallory.actor("alice");
    for _ in 0..5 {
        let (status, body) = mallory
            .post_signed_for(
                "alice",
                &inbox,
                &inbox,
                serde_json::to_vec(&like(fake.new_id("l"))).unwrap(),
                |h| {
                    let sig = h["signature"].to_str().unwrap().replace(
                        &format!("{}/users/alice#main-key", mallory.base),
                        &format!("{alice}#main-key"),
                    );
                    h.insert("signature", sig.parse().unwrap());
                },
            )
            .await;
        assert_eq!(status, 401, "{body}");
    }
    assert!(
        fake.hits("/users/alice") <= fetched + 1,
        "alice was fetched {} times for 5 forgeries",
        fake.hits("/users/alice") - fetched
    );
    // A key the node cannot fetch: the answer says so without the network's words.
    let host = t.url.trim_start_matches("http://").to_string();
    let body = serde_json::to_vec(&json!({"@context": AS, "id": "http://localhost:9/a/1", "type": "Like",
                                          "actor": "http://localhost:9/users/x", "object": product}))
    .unwrap();
    let a = t
        .send(
            t.client
                .post(&inbox)
                .headers(forged_headers(
                    &host,
                    &body,
                    "http://localhost:9/users/x#main-key",
                ))
                .body(body),
        )
        .await;
    a.problem(401);
    let detail = a.body["detail"].as_str().unwrap().to_lowercase();
    assert!(detail.contains("cannot get the signing key"), "{detail}");
    for leak in ["refused", "connect", "tcp", "error sending", "os error"] {
        assert!(!detail.contains(leak), "{detail}");
    }
}

#[tokio::test]
async fn a_connection_that_trickles_its_headers_is_closed() {
    let t = spawn_with(|s| s.limits.header_timeout = Duration::from_secs(1)).await;
    let addr = t
        .url
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    conn.write_all(b"GET /api/v1/merchants HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf)).await;
    match read {
        Err(_) => panic!("the connection is still open after 10 s"),
        // Closed (0 bytes), reset, or a 408 before closing: all end the connection.
        Ok(Ok(n)) => assert!(
            n == 0 || String::from_utf8_lossy(&buf[..n]).contains("408"),
            "{}",
            String::from_utf8_lossy(&buf[..n])
        ),
        Ok(Err(_)) => {}
    }
    // A connection that sends nothing at all is closed too.
    let mut silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let read = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut buf)).await;
    assert!(read.is_ok(), "a silent connection is still open after 10 s");
    // The server still serves.
    assert_eq!(t.get("/api/v1/merchants").await.status, 200);
}

#[tokio::test]
async fn webfinger_and_nodeinfo_answers_are_capped() {
    let t = spawn().await;
    let fake = FakeServer::start().await;
    fake.actor("relay");
    fake.set_discovery_padding(5 * 1024 * 1024);
    let host = fake.base.trim_start_matches("http://");
    t.unchanged(|| async {
        for target in [format!("relay@{host}"), fake.base.clone()] {
            let a = t
                .post("/api/v1/node/follows", json!({"target": target}))
                .await;
            a.problem(422);
            assert_eq!(a.fields(), ["target"]);
            assert!(
                a.body["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("larger than 1 MiB"),
                "{}",
                a.body
            );
        }
    })
    .await;
}

#[tokio::test]
async fn generated_pictures_are_drawn_once() {
    let t = spawn().await;
    t.merchant("boulangerie").await;
    let drawn = t.node.avatars.drawn();
    for _ in 0..3 {
        for picture in ["icon.png", "header.png"] {
            let res = t
                .client
                .get(format!("{}/shops/boulangerie/{picture}", t.url))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-type"], "image/png");
            assert!(!res.bytes().await.unwrap().is_empty());
        }
    }
    assert_eq!(t.node.avatars.drawn() - drawn, 2);
}

#[tokio::test]
async fn tags_match_whatever_their_characters_and_case() {
    let t = spawn().await;
    t.merchant("epicerie").await;
    let p = t
        .product(
            "epicerie",
            json!({"name": "Sirop", "price": "3.00", "tags": ["Été", "a\"b", "c\\d", "100%", "パン"]}),
        )
        .await;
    let other = t
        .product(
            "epicerie",
            json!({"name": "Autre", "price": "3.00", "tags": ["b", "cd", "100", "pan"]}),
        )
        .await;
    let id = p["id"].as_str().unwrap();
    let tagged = |tag: &'static str| {
        let mut url = url::Url::parse(&format!("{}/api/v1/products", t.url)).unwrap();
        url.query_pairs_mut().append_pair("tag", tag);
        url
    };
    // Other scripts are not transliterated: パン is not "pan".
    let a = t.send(t.client.get(tagged("pan"))).await;
    assert_eq!(a.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(a.body["items"][0]["id"], other["id"]);
    for tag in ["été", "ÉTÉ", "ete", "a\"b", "c\\d", "100%", "#Été", "パン"] {
        let mut url = url::Url::parse(&format!("{}/api/v1/products", t.url)).unwrap();
        url.query_pairs_mut().append_pair("tag", tag);
        let a = t.send(t.client.get(url)).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let ids: Vec<&str> = a.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [id], "tag {tag:?}");
    }
}

#[tokio::test]
async fn every_response_says_nosniff_and_pages_carry_a_content_security_policy() {
    let t = spawn().await;
    let pid = shop_with_product(&t, "boulangerie").await;
    for path in [
        "/".to_string(),
        "/shops/boulangerie".to_string(),
        format!("/products/{pid}"),
        "/api/v1/merchants".to_string(),
        "/api/docs/".to_string(),
        "/nothing-here".to_string(),
    ] {
        let res = t
            .client
            .get(format!("{}{path}", t.url))
            .send()
            .await
            .unwrap();
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        let html = h["content-type"].to_str().unwrap().starts_with("text/html");
        if html {
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(
                csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
                "{path}: {csp}"
            );
        }
    }
    let photo = t.get(&format!("/api/v1/products/{pid}")).await.body["images"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let res = t.client.get(&photo).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
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

#[tokio::test]
async fn a_decompression_bomb_is_refused_from_its_header() {
    let t = spawn().await;
    shop_with_product(&t, "boulangerie").await;
    let p = t
        .product("boulangerie", json!({"name": "Pain", "price": "1.00"}))
        .await;
    let id = p["id"].as_str().unwrap().to_string();
    assert!(png_bomb().len() < 10 * 1024 * 1024);
    t.unchanged(|| async {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(png_bomb().to_vec()).file_name("bomb.png"),
        );
        let a = t
            .send(
                t.client
                    .post(format!("{}/api/v1/products/{id}/images", t.url))
                    .bearer_auth(&t.admin)
                    .multipart(form),
            )
            .await;
        a.problem(422);
        assert_eq!(a.fields(), ["file"]);
        assert!(
            a.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("megapixels"),
            "{}",
            a.body
        );
    })
    .await;
    // A fifth photo is refused before it is decoded.
    for _ in 0..4 {
        add_photo(&t, &id, None).await;
    }
    t.unchanged(|| async {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(png_bomb().to_vec()).file_name("bomb.png"),
        );
        let a = t
            .send(
                t.client
                    .post(format!("{}/api/v1/products/{id}/images", t.url))
                    .bearer_auth(&t.admin)
                    .multipart(form),
            )
            .await;
        a.problem(422);
        assert!(
            a.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("at most 4 photos"),
            "{}",
            a.body
        );
    })
    .await;
}

#[tokio::test]
async fn a_mirrored_product_obeys_the_local_field_rules() {
    let t = spawn().await;
    let fake = FakeServer::start().await;
    let relay = fake.actor("relay");
    let shop = fake.actor("shop");
    let follow = node_follows(&t, &fake, &relay).await;
    assert_eq!(accept(&t, &fake, &follow).await, 202);
    let huge = "P".repeat(100_000);
    let tags: Vec<Value> = (0..30)
        .map(|i| json!({"type": "Hashtag", "name": format!("#tag{i}{}", "x".repeat(60))}))
        .collect();
    let note = |id: &str, name: &str| {
        json!({"id": format!("{}/notes/{id}", fake.base), "type": "Note", "attributedTo": shop,
               "content": "<p>Pain</p>", "to": [crate::hostile::PUBLIC],
               "publishes": {"type": "Intent", "id": format!("{}/notes/{id}#primary", fake.base), "name": name,
                             "action": "transfer", "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"}},
               "price": "2.00", "priceCurrency": "EUR", "description": huge, "gtin": "not a gtin", "tag": tags})
    };
    let announce = |n: Value| {
        json!({"@context": AS, "id": fake.new_id("announces"), "type": "Announce", "actor": relay,
               "object": {"id": fake.new_id("creates"), "type": "Create", "actor": shop, "object": n}})
    };
    let inbox = format!("{}/actor/inbox", t.url);
    assert_eq!(
        fake.post("relay", &inbox, &announce(note("1", &huge)))
            .await
            .0,
        202
    );
    // A product with no name at all is refused; the Announce itself is acknowledged.
    assert_eq!(
        fake.post("relay", &inbox, &announce(note("2", " ")))
            .await
            .0,
        202
    );
    let a = t.get("/api/v1/products?origin=remote").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let items = a.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", a.body);
    let p = &items[0];
    assert_eq!(p["name"].as_str().unwrap().chars().count(), 200);
    assert_eq!(p["description"].as_str().unwrap().chars().count(), 5000);
    assert!(p["gtin"].is_null(), "an invalid GTIN is dropped");
    let tags = p["tags"].as_array().unwrap();
    assert_eq!(tags.len(), 20);
    assert!(tags
        .iter()
        .all(|t| t.as_str().unwrap().chars().count() <= 40));
}

#[tokio::test]
async fn a_forged_signature_does_not_lock_the_real_actor_out() {
    let t = spawn().await;
    let pid = shop_with_product(&t, "boulangerie").await;
    let product = format!("{}/products/{pid}", t.url);
    let inbox = format!("{}/inbox", t.url);
    let fake = FakeServer::start().await;
    let victim = fake.actor("victim");
    let like = |id: String| json!({"@context": AS, "id": id, "type": "Like", "actor": victim, "object": product});
    // Mallory names the victim's key (unknown to the node so far) with her own signature.
    let mallory = FakeServer::start().await;
    mallory.actor("victim");
    let (status, _) = mallory
        .post_signed_for(
            "victim",
            &inbox,
            &inbox,
            serde_json::to_vec(&like(fake.new_id("l"))).unwrap(),
            |h| {
                let sig = h["signature"].to_str().unwrap().replace(
                    &format!("{}/users/victim#main-key", mallory.base),
                    &format!("{victim}#main-key"),
                );
                h.insert("signature", sig.parse().unwrap());
            },
        )
        .await;
    assert_eq!(status, 401);
    let fetched = fake.hits("/users/victim");
    // The victim's own like, right after, is accepted without another fetch.
    assert_eq!(
        fake.post("victim", &inbox, &like(fake.new_id("l"))).await.0,
        202
    );
    assert_eq!(fake.hits("/users/victim"), fetched);
    assert_eq!(t.interactions("boulangerie").await.len(), 1);
}
