//! The inbox under attack: a nesting bomb, followers naming a third server's inbox, forged
//! signatures naming real keys.

use serde_json::json;

use super::*;
use crate::federation::shop_with_product;
use crate::fedi::FakeServer;
use crate::harness::spawn;

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
            .post_naming_key(
                "alice",
                &format!("{alice}#main-key"),
                &inbox,
                &like(fake.new_id("l")),
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
        .post_naming_key(
            "victim",
            &format!("{victim}#main-key"),
            &inbox,
            &like(fake.new_id("l")),
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
