//! Delivery: followers get Accept, then Create/Update/Delete signed by the merchant; shared
//! inboxes deduplicate; per-host order; a stalled peer does not hold up a live one; back-off,
//! "down" after two days, and 410 Gone, under an injected clock.

use std::sync::Arc;

use serde_json::json;

use super::shop_with_product;
use crate::fedi::{FakeServer, Mode};
use crate::harness::{spawn, spawn_clocked, TestNode};

/// `name` of `fake` follows the shop `slug`; returns the Follow's id.
pub async fn follow(t: &TestNode, fake: &FakeServer, name: &str, slug: &str) -> String {
    let actor = format!("{}/users/{name}", fake.base);
    let id = fake.new_id("follows");
    let (status, body) = fake
        .post(name, &format!("{}/shops/{slug}/inbox", t.url), &json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id, "type": "Follow", "actor": actor, "object": format!("{}/shops/{slug}", t.url)
        }))
        .await;
    assert_eq!(status, 202, "{body}");
    id
}

#[tokio::test]
async fn a_follower_receives_accept_then_create_update_delete_signed_by_the_shop() {
    let t = spawn().await;
    shop_with_product(&t, "boulangerie").await;
    let fake = FakeServer::start().await;
    fake.actor("alice");
    let follow_id = follow(&t, &fake, "alice", "boulangerie").await;
    let got = fake
        .wait_for("Accept", 10, |r| {
            r.iter().any(|r| r.activity["type"] == "Accept")
        })
        .await;
    let accept = &got[0];
    assert!(accept.verified, "Accept signed by the shop's key");
    assert_eq!(
        accept.key_id,
        format!("{}/shops/boulangerie#main-key", t.url)
    );
    assert_eq!(accept.path, "/users/alice/inbox");
    assert_eq!(accept.activity["object"]["id"], follow_id);
    assert_eq!(
        accept.activity["actor"],
        format!("{}/shops/boulangerie", t.url)
    );
    let (_, _, followers) = super::ap_get(&t, "/shops/boulangerie/followers").await;
    assert_eq!(followers["totalItems"], 1);

    let p = t
        .product("boulangerie", json!({"name": "Croissant", "price": "1.20"}))
        .await;
    let url = format!("/api/v1/products/{}", p["id"].as_str().unwrap());
    let got = fake
        .wait_for("Create", 10, |r| {
            r.iter().any(|r| r.activity["type"] == "Create")
        })
        .await;
    let create = got.iter().find(|r| r.activity["type"] == "Create").unwrap();
    assert!(create.verified);
    assert_eq!(create.path, "/inbox", "delivered to the shared inbox");
    assert_eq!(create.activity["object"]["type"], "Note");
    assert_eq!(create.activity["object"]["id"], p["ap_id"]);
    assert_eq!(create.activity["object"]["price"], "1.20");

    t.patch(&url, json!({"price": "1.25"})).await;
    let got = fake
        .wait_for("Update", 10, |r| {
            r.iter().any(|r| r.activity["type"] == "Update")
        })
        .await;
    let update = got.iter().find(|r| r.activity["type"] == "Update").unwrap();
    assert_eq!(update.activity["object"]["price"], "1.25");
    assert!(update.activity["object"]["updated"].is_string());

    t.delete(&url).await;
    let got = fake
        .wait_for("Delete", 10, |r| {
            r.iter().any(|r| r.activity["type"] == "Delete")
        })
        .await;
    let delete = got.iter().find(|r| r.activity["type"] == "Delete").unwrap();
    assert_eq!(delete.activity["object"]["type"], "Tombstone");
    assert_eq!(delete.activity["object"]["id"], p["ap_id"]);
    let order: Vec<String> = fake
        .received()
        .iter()
        .map(|r| r.activity["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, ["Accept", "Create", "Update", "Delete"]);

    // Unfollow: nothing more arrives.
    let (status, _) = fake
        .post("alice", &format!("{}/inbox", t.url), &json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": fake.new_id("undo"), "type": "Undo", "actor": format!("{}/users/alice", fake.base),
            "object": {"id": follow_id, "type": "Follow", "actor": format!("{}/users/alice", fake.base), "object": format!("{}/shops/boulangerie", t.url)}
        }))
        .await;
    assert_eq!(status, 202);
    t.product("boulangerie", json!({"name": "Brioche", "price": "6.50"}))
        .await;
    t.drain().await;
    assert_eq!(fake.received().len(), 4, "no delivery after Undo(Follow)");
}

#[tokio::test]
async fn followers_on_one_server_share_one_delivery_and_each_host_receives_in_order() {
    let t = spawn().await;
    shop_with_product(&t, "boulangerie").await;
    let fake = FakeServer::start().await;
    for name in ["alice", "bob", "carol"] {
        fake.actor(name);
        follow(&t, &fake, name, "boulangerie").await;
    }
    fake.wait_for("three Accepts", 10, |r| {
        r.iter().filter(|r| r.activity["type"] == "Accept").count() == 3
    })
    .await;
    let mut names = vec![];
    for i in 0..6 {
        let p = t
            .product(
                "boulangerie",
                json!({"name": format!("Pain {i}"), "price": "2"}),
            )
            .await;
        names.push(p["name"].as_str().unwrap().to_string());
    }
    t.drain().await;
    let creates = fake.of_type("Create");
    assert_eq!(
        creates.len(),
        6,
        "one delivery per activity to the shared inbox, not one per follower"
    );
    let got: Vec<String> = creates
        .iter()
        .map(|r| {
            r.activity["object"]["publishes"]["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(got, names, "per-host order is creation order");
}

#[tokio::test]
async fn a_stalled_peer_does_not_hold_up_a_live_one() {
    let t = spawn().await;
    shop_with_product(&t, "boulangerie").await;
    let (slow, live) = (FakeServer::start().await, FakeServer::start().await);
    slow.actor("slow");
    live.actor("live");
    follow(&t, &slow, "slow", "boulangerie").await;
    follow(&t, &live, "live", "boulangerie").await;
    slow.wait_for("Accept", 10, |r| !r.is_empty()).await;
    live.wait_for("Accept", 10, |r| !r.is_empty()).await;
    slow.set_mode(Mode::Stall);
    // The slow peer's delivery is created first, so it is the first one sent.
    let p = t
        .product("boulangerie", json!({"name": "Fougasse", "price": "3.50"}))
        .await;
    let note = p["ap_id"].as_str().unwrap().to_string();
    live.wait_for("Create at the live peer", 10, |r| {
        r.iter()
            .any(|r| r.activity["object"]["id"] == note.as_str())
    })
    .await;
    let create_id = live.of_type("Create")[0].activity["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Proof by order of events: the slow peer had started receiving and had not finished.
    let slow_events = slow.events();
    assert!(
        slow_events.contains(&format!("start {create_id}")),
        "{slow_events:?}"
    );
    assert!(
        !slow_events.contains(&format!("done {create_id}")),
        "{slow_events:?}"
    );
    slow.set_mode(Mode::Accept);
    slow.wait_for("Create at the slow peer", 10, |r| {
        r.iter().any(|r| r.activity["type"] == "Create")
    })
    .await;
}

async fn host_row(t: &TestNode, host: &str) -> (i64, Option<i64>, i64) {
    sqlx::query_as("SELECT failures, down_since, next_attempt_at FROM hosts WHERE host=$1")
        .bind(host.to_string())
        .fetch_one(t.node.cx.db.pool())
        .await
        .unwrap()
}

/// Waits until the node has recorded `n` failures for the host (the peer sees an attempt
/// before the node records its result).
async fn recorded(t: &TestNode, host: &str, n: i64) -> (i64, Option<i64>, i64) {
    for _ in 0..200 {
        let row: Option<(i64, Option<i64>, i64)> =
            sqlx::query_as("SELECT failures, down_since, next_attempt_at FROM hosts WHERE host=$1")
                .bind(host.to_string())
                .fetch_optional(t.node.cx.db.pool())
                .await
                .unwrap();
        if let Some(row) = row.filter(|r| r.0 >= n) {
            return row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the node did not record {n} failures");
}

async fn attempts(fake: &FakeServer) -> usize {
    fake.events()
        .iter()
        .filter(|e| e.starts_with("failed"))
        .count()
}

async fn wait_attempts(fake: &FakeServer, n: usize) {
    for _ in 0..200 {
        if attempts(fake).await >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("expected {n} attempts, saw {}", attempts(fake).await);
}

#[tokio::test]
async fn a_failing_host_backs_off_is_marked_down_after_two_days_and_comes_back_when_it_answers() {
    let clock = etal_node::clock::ManualClock::new();
    let t = spawn_clocked(clock.clone()).await;
    shop_with_product(&t, "boulangerie").await;
    let fake = FakeServer::start().await;
    fake.actor("alice");
    follow(&t, &fake, "alice", "boulangerie").await;
    fake.wait_for("Accept", 10, |r| !r.is_empty()).await;
    fake.set_mode(Mode::Fail(503));
    t.product(
        "boulangerie",
        json!({"name": "Pain de mie", "price": "2.80"}),
    )
    .await;
    wait_attempts(&fake, 1).await;
    let (failures, down, next) = recorded(&t, &fake.base, 1).await;
    assert_eq!((failures, down), (1, None));
    let wait = next - etal_node::clock::Clock::now_ms(&*clock);
    assert!(
        (22_000..=38_000).contains(&wait),
        "first retry after about 30 s, got {wait} ms"
    );
    // Nothing happens until the clock reaches the retry time.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(attempts(&fake).await, 1);
    clock.advance(wait + 1);
    wait_attempts(&fake, 2).await;
    let (failures, _, next2) = recorded(&t, &fake.base, 2).await;
    let wait2 = next2 - etal_node::clock::Clock::now_ms(&*clock);
    assert_eq!(failures, 2);
    assert!(
        (45_000..=75_000).contains(&wait2),
        "then about a minute, got {wait2} ms"
    );
    // Keep failing for two days: the host goes down and its queue is dropped.
    let mut seen = 2;
    loop {
        let (_, down, next) = recorded(&t, &fake.base, seen as i64).await;
        if down.is_some() {
            break;
        }
        clock.advance(next - etal_node::clock::Clock::now_ms(&*clock) + 1);
        seen += 1;
        wait_attempts(&fake, seen).await;
        assert!(seen < 40, "marked down within two days of attempts");
    }
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
        .fetch_one(t.node.cx.db.pool())
        .await
        .unwrap();
    assert_eq!(pending, 0, "a down host's queue is dropped");
    // While down, new activities are not even queued for it.
    t.product("boulangerie", json!({"name": "Ficelle", "price": "1.10"}))
        .await;
    t.drain().await;
    assert_eq!(attempts(&fake).await, seen);
    // It answers (it sends us something): back up, deliveries resume.
    fake.set_mode(Mode::Accept);
    let (status, _) = fake
        .post("alice", &format!("{}/inbox", t.url), &json!({
            "@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("likes"), "type": "Like",
            "actor": format!("{}/users/alice", fake.base), "object": format!("{}/shops/boulangerie", t.url)
        }))
        .await;
    assert_eq!(status, 202);
    assert_eq!(host_row(&t, &fake.base).await.1, None);
    t.product(
        "boulangerie",
        json!({"name": "Pain aux noix", "price": "4.20"}),
    )
    .await;
    fake.wait_for("Create after recovery", 10, |r| {
        r.iter()
            .any(|r| r.activity["object"]["publishes"]["name"] == "Pain aux noix")
    })
    .await;
}

#[tokio::test]
async fn an_inbox_answering_410_loses_its_followers() {
    let t = spawn().await;
    shop_with_product(&t, "boulangerie").await;
    let fake = FakeServer::start().await;
    fake.actor("alice");
    follow(&t, &fake, "alice", "boulangerie").await;
    fake.wait_for("Accept", 10, |r| !r.is_empty()).await;
    fake.set_mode(Mode::Fail(410));
    t.product("boulangerie", json!({"name": "Pain", "price": "2"}))
        .await;
    t.drain().await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM followers")
        .fetch_one(t.node.cx.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
    let _ = Arc::new(());
}
