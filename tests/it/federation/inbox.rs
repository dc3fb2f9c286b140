//! The inbox: likes, boosts and replies reach the shop; a redelivered activity counts once;
//! key rotation; and hostile requests, each validly signed but for one defect, are refused
//! with a reason and change nothing.

use reqwest::Method;
use serde_json::{json, Value};

use super::shop_with_product;
use crate::fedi::FakeServer;
use crate::harness::spawn;

#[tokio::test]
async fn likes_boosts_and_replies_reach_the_shop_once_each() {
    let t = spawn().await;
    let pid = shop_with_product(&t, "boulangerie").await;
    let product = format!("{}/products/{pid}", t.url);
    let fake = FakeServer::start().await;
    let alice = fake.actor("alice");
    let inbox = format!("{}/inbox", t.url);
    let like_id = fake.new_id("likes");
    let like = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": like_id, "type": "Like", "actor": alice, "object": product});
    assert_eq!(fake.post("alice", &inbox, &like).await.0, 202);
    assert_eq!(
        fake.post("alice", &inbox, &like).await.0,
        202,
        "a redelivery is acknowledged"
    );
    let boost = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("boosts"), "type": "Announce",
                       "actor": alice, "object": product, "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(fake.post("alice", &inbox, &boost).await.0, 202);
    let note_id = fake.new_id("notes");
    let reply = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("creates"), "type": "Create", "actor": alice,
        "object": {"id": note_id, "type": "Note", "attributedTo": alice, "inReplyTo": product,
                   "content": "<p>Encore chaude ? <script>alert(1)</script><a href=\"javascript:x()\">x</a></p>",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"]}});
    assert_eq!(
        fake.post(
            "alice",
            &format!("{}/shops/boulangerie/inbox", t.url),
            &reply
        )
        .await
        .0,
        202
    );
    let items = t.interactions("boulangerie").await;
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["reply", "announce", "like"]);
    assert!(items
        .iter()
        .all(|i| i["actor"] == alice && i["product_id"] == pid.as_str()));
    let content = items[0]["content"].as_str().unwrap();
    assert!(
        content.contains("Encore chaude")
            && !content.contains("script")
            && !content.contains("javascript"),
        "{content}"
    );

    // Undo(Like) and Delete of the reply take them away.
    let undo = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("undo"), "type": "Undo", "actor": alice, "object": like});
    assert_eq!(fake.post("alice", &inbox, &undo).await.0, 202);
    let delete = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("deletes"), "type": "Delete", "actor": alice,
                        "object": {"id": note_id, "type": "Tombstone"}});
    assert_eq!(fake.post("alice", &inbox, &delete).await.0, 202);
    let kinds: Vec<String> = t
        .interactions("boulangerie")
        .await
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["announce"]);
    // Interactions are for the shop and the admin only.
    t.merchant("autre").await;
    let other = t.merchant_token("autre").await;
    t.call(
        Method::GET,
        "/api/v1/merchants/boulangerie/interactions",
        Some(&other),
        None,
    )
    .await
    .problem(403);
    t.call(
        Method::GET,
        "/api/v1/merchants/boulangerie/interactions",
        None,
        None,
    )
    .await
    .problem(401);
}

#[tokio::test]
async fn a_rotated_key_is_refetched_once() {
    let t = spawn().await;
    let pid = shop_with_product(&t, "boulangerie").await;
    let fake = FakeServer::start().await;
    let alice = fake.actor("alice");
    let inbox = format!("{}/inbox", t.url);
    let like = |id: String| json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Like", "actor": alice, "object": format!("{}/products/{pid}", t.url)});
    assert_eq!(
        fake.post("alice", &inbox, &like(fake.new_id("likes")))
            .await
            .0,
        202
    );
    fake.rotate("alice");
    // The stored key no longer verifies: the node fetches the actor again, once, and accepts.
    assert_eq!(
        fake.post("alice", &inbox, &like(fake.new_id("likes")))
            .await
            .0,
        202
    );
    let stored: String =
        sqlx::query_scalar("SELECT public_key_pem FROM remote_actors WHERE ap_id=$1")
            .bind(alice.clone())
            .fetch_one(t.node.cx.db.pool())
            .await
            .unwrap();
    assert_eq!(
        stored,
        fake.document("alice")["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
    );
    // Update(actor) also replaces the stored document.
    fake.rotate("alice");
    let update = json!({"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"], "id": fake.new_id("updates"),
                        "type": "Update", "actor": alice, "object": fake.document("alice")});
    assert_eq!(fake.post("alice", &inbox, &update).await.0, 202);
    let stored: String =
        sqlx::query_scalar("SELECT public_key_pem FROM remote_actors WHERE ap_id=$1")
            .bind(alice)
            .fetch_one(t.node.cx.db.pool())
            .await
            .unwrap();
    assert_eq!(
        stored,
        fake.document("alice")["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
    );
}

#[tokio::test]
async fn hostile_requests_are_refused_with_a_reason_and_change_nothing() {
    let t = spawn().await;
    let pid = shop_with_product(&t, "boulangerie").await;
    let product = format!("{}/products/{pid}", t.url);
    let fake = FakeServer::start().await;
    let mallory = fake.actor("mallory");
    fake.actor("alice");
    let other = FakeServer::start().await;
    let inbox = format!("{}/shops/boulangerie/inbox", t.url);
    let like = |id: String| json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Like", "actor": mallory, "object": product});
    let body = |v: &Value| serde_json::to_vec(v).unwrap();
    // Warm up: the valid form of the request is accepted (then the snapshot is taken).
    assert_eq!(
        fake.post("mallory", &inbox, &like(fake.new_id("likes")))
            .await
            .0,
        202
    );
    t.unchanged(|| async {
        let cases: Vec<(&str, u16, &str, (u16, String))> = vec![
            ("no signature", 401, "not signed", fake.post_raw("mallory", &inbox, body(&like(fake.new_id("likes"))), |h| { h.remove("signature"); }).await),
            ("forged signature", 401, "does not verify", fake.post_raw("mallory", &inbox, body(&like(fake.new_id("likes"))), |h| {
                let sig = h["signature"].to_str().unwrap().to_string();
                let forged = sig.replacen("signature=\"", "signature=\"AAAA", 1);
                h.insert("signature", forged.parse().unwrap());
            }).await),
            ("signed by someone else", 401, "signed by", fake.post_raw("alice", &inbox, body(&like(fake.new_id("likes"))), |_| {}).await),
            ("digest mismatch", 400, "Digest", fake.post_raw("mallory", &inbox, body(&like(fake.new_id("likes"))), |h| {
                h.insert("digest", etal_node::federation::signing::digest_header(b"something else").parse().unwrap());
            }).await),
            ("stale date", 401, "too old", {
                // Signed honestly, two hours ago.
                let v = like(fake.new_id("likes"));
                fake.post_raw("mallory", &inbox, body(&v), |h| {
                    let old = etal_node::federation::signing::http_date(chrono::Utc::now() - chrono::Duration::hours(2));
                    h.insert("date", old.parse().unwrap());
                }).await
            }),
            ("activity from another server", 400, "not on its actor's server", fake.post("mallory", &inbox, &like(other.new_id("likes"))).await),
            ("object from another server", 400, "not on its actor's server", fake.post("mallory", &inbox, &json!({
                "@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("creates"), "type": "Create", "actor": mallory,
                "object": {"id": other.new_id("notes"), "type": "Note", "attributedTo": mallory, "inReplyTo": product, "content": "hi"}})).await),
            ("author from another server", 400, "not on its actor's server", fake.post("mallory", &inbox, &json!({
                "@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("creates"), "type": "Create", "actor": mallory,
                "object": {"id": fake.new_id("notes"), "type": "Note", "attributedTo": format!("{}/users/x", other.base), "inReplyTo": product, "content": "hi"}})).await),
            ("over 1 MiB", 413, "1 MiB", {
                let mut v = like(fake.new_id("likes"));
                v["padding"] = json!("x".repeat(1_100_000));
                fake.post("mallory", &inbox, &v).await
            }),
            ("not an activity", 400, "activity", fake.post("mallory", &inbox, &json!({"hello": "world"})).await),
            ("replayed from another server", 401, "not this server", {
                // Signed (validly) for a request to another server, then sent here.
                let v = like(fake.new_id("likes"));
                let elsewhere = format!("{}/shops/boulangerie/inbox", other.base);
                fake.post_signed_for("mallory", &elsewhere, &inbox, body(&v), |_| {}).await
            }),
            ("an unsigned Date with only (created) signed", 401, "too old", {
                let v = like(fake.new_id("likes"));
                fake.post_raw("mallory", &inbox, body(&v), |h| {
                    // The signature covers `date`; claim it covers only `(created)`, long ago.
                    let sig = h["signature"].to_str().unwrap().replace(
                        "headers=\"(request-target) host date digest content-type\"",
                        "headers=\"(request-target) host (created) digest\",created=\"1000\"",
                    );
                    h.insert("signature", sig.parse().unwrap());
                })
                .await
            }),
        ];
        for (what, status, reason, (got, body)) in cases {
            assert_eq!(got, status, "{what}: {body}");
            assert!(body.contains(reason), "{what}: expected the reason to mention {reason:?}, got {body}");
        }
    })
    .await;
    // Unknown shop inbox.
    assert_eq!(
        fake.post(
            "mallory",
            &format!("{}/shops/nobody/inbox", t.url),
            &like(fake.new_id("likes"))
        )
        .await
        .0,
        404
    );
}

#[tokio::test]
async fn hs2019_signatures_are_accepted() {
    let t = spawn().await;
    let pid = shop_with_product(&t, "boulangerie").await;
    let fake = FakeServer::start().await;
    let alice = fake.actor("alice");
    let like = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("likes"), "type": "Like",
                      "actor": alice, "object": format!("{}/products/{pid}", t.url)});
    let (status, body) = fake
        .post_raw(
            "alice",
            &format!("{}/inbox", t.url),
            serde_json::to_vec(&like).unwrap(),
            |h| {
                let sig = h["signature"]
                    .to_str()
                    .unwrap()
                    .replace("algorithm=\"rsa-sha256\"", "algorithm=\"hs2019\"");
                h.insert("signature", sig.parse().unwrap());
            },
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(t.interactions("boulangerie").await.len(), 1);
}

#[tokio::test]
async fn a_deleted_remote_actor_takes_its_follow_and_interactions_with_it() {
    let t = spawn().await;
    let pid = shop_with_product(&t, "boulangerie").await;
    let fake = FakeServer::start().await;
    let alice = fake.actor("alice");
    let inbox = format!("{}/inbox", t.url);
    let follow = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("follows"), "type": "Follow",
                        "actor": alice, "object": format!("{}/shops/boulangerie", t.url)});
    assert_eq!(fake.post("alice", &inbox, &follow).await.0, 202);
    let like = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("likes"), "type": "Like",
                      "actor": alice, "object": format!("{}/products/{pid}", t.url)});
    assert_eq!(fake.post("alice", &inbox, &like).await.0, 202);
    assert_eq!(t.interactions("boulangerie").await.len(), 1);
    let delete = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{alice}#delete"), "type": "Delete",
                        "actor": alice, "object": alice, "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(fake.post("alice", &inbox, &delete).await.0, 202);
    assert_eq!(t.interactions("boulangerie").await.len(), 0);
    let followers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM followers")
        .fetch_one(t.node.cx.db.pool())
        .await
        .unwrap();
    assert_eq!(followers, 0);
    // A server announcing the deletion of an account we never knew: acknowledged, nothing
    // fetched, nothing stored.
    let stranger = FakeServer::start().await;
    let bob = stranger.actor("bob");
    let delete = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{bob}#delete"), "type": "Delete",
                        "actor": bob, "object": bob});
    t.unchanged(|| async {
        assert_eq!(stranger.post("bob", &inbox, &delete).await.0, 202);
    })
    .await;
}

#[tokio::test]
async fn without_allow_private_networks_loopback_peers_are_never_fetched() {
    let t = crate::harness::spawn_with(|s| s.allow_private_networks = false).await;
    let pid = shop_with_product(&t, "boulangerie").await;
    let product = format!("{}/products/{pid}", t.url);
    let fake = FakeServer::start().await;
    let alice = fake.actor("alice");
    let inbox = format!("{}/inbox", t.url);
    let like = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("likes"),
                      "type": "Like", "actor": alice, "object": product});
    t.unchanged(|| async {
        // The signing key lives on a loopback address, over http, on an explicit port.
        let (status, body) = fake.post("alice", &inbox, &like).await;
        assert_eq!(status, 401, "{body}");
        assert!(body.contains("address policy"), "{body}");
        // Sent again while the key is not asked for again: the same kind of failure (it used
        // to say the signature did not verify).
        let mut again = like.clone();
        again["id"] = json!(fake.new_id("likes"));
        let (status, body) = fake.post("alice", &inbox, &again).await;
        assert_eq!(status, 401, "{body}");
        assert!(body.contains("address policy"), "{body}");
        // Nor does the node follow such a node, by actor URL, handle or address.
        let handle = format!("@alice@{}", fake.base.trim_start_matches("http://"));
        for target in [alice.clone(), handle, fake.base.clone()] {
            let a = t
                .call(
                    Method::POST,
                    "/api/v1/node/follows",
                    Some(&t.admin.clone()),
                    Some(json!({"target": target})),
                )
                .await;
            assert_eq!(a.status, 422, "{target}: {}", a.body);
            assert_eq!(a.body["errors"][0]["field"], "target", "{}", a.body);
            assert!(a.body.to_string().contains("address policy"), "{}", a.body);
        }
    })
    .await;
    assert!(
        fake.received().is_empty(),
        "nothing was sent to the loopback peer"
    );
}

/// The likes, boosts and replies of a deleted product leave the shop's interactions (the API
/// and the dashboard's panel); those of the shop's other products stay.
#[tokio::test]
async fn a_deleted_products_interactions_leave_the_shops_list() {
    let t = spawn().await;
    let pid = shop_with_product(&t, "boulangerie").await;
    let other = t
        .product(
            "boulangerie",
            json!({"name": "Pain de campagne", "price": "3.10"}),
        )
        .await;
    let other = other["id"].as_str().unwrap().to_string();
    let fake = FakeServer::start().await;
    let alice = fake.actor("alice");
    let inbox = format!("{}/inbox", t.url);
    for target in [&pid, &other] {
        let like = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("likes"),
                          "type": "Like", "actor": alice, "object": format!("{}/products/{target}", t.url)});
        assert_eq!(fake.post("alice", &inbox, &like).await.0, 202);
    }
    let reply = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("creates"), "type": "Create", "actor": alice,
        "object": {"id": fake.new_id("notes"), "type": "Note", "attributedTo": alice,
                   "inReplyTo": format!("{}/products/{pid}", t.url), "content": "<p>Encore chaude ?</p>",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"]}});
    assert_eq!(fake.post("alice", &inbox, &reply).await.0, 202);
    assert_eq!(t.interactions("boulangerie").await.len(), 3);
    let deleted = t
        .call(
            Method::DELETE,
            &format!("/api/v1/products/{pid}"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    let items = t.interactions("boulangerie").await;
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0]["product_id"], other.as_str());
    let shop = etal_node::domain::merchants::get(&t.node.cx, "boulangerie")
        .await
        .unwrap();
    let panel = etal_node::domain::audience::panel(
        &t.node.cx,
        &etal_node::domain::authz::Caller::Operator,
        shop.id,
    )
    .await
    .unwrap();
    assert_eq!(panel.interactions.len(), 1);
}
