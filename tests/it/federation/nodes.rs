//! Three nodes in one process on `localhost:PORT`: a node follows another node's actor, backfills
//! its shops and products through the outbox, mirrors Create/Update/Delete as they happen, and
//! stops when it unfollows.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use super::shop_with_product;
use crate::harness::{spawn, TestNode};

async fn remote_products(t: &TestNode) -> Vec<Value> {
    t.get("/api/v1/products?origin=remote&limit=100").await.body["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn wait_remote(t: &TestNode, what: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let items = remote_products(t).await;
        if pred(&items) {
            return items;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {items:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn follow_node(t: &TestNode, other: &TestNode) {
    let a = t
        .call(
            Method::POST,
            "/api/v1/node/follows",
            Some(&t.admin.clone()),
            Some(json!({"target": other.url})),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body["target"], format!("{}/actor", other.url));
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let list = t.get("/api/v1/node/follows").await;
        if list.body[0]["state"] == "accepted" {
            break;
        }
        assert!(Instant::now() < deadline, "follow accepted: {}", list.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn nodes_mirror_each_other_with_backfill_live_changes_and_unfollow() {
    let (a, b, c) = (spawn().await, spawn().await, spawn().await);
    // B has a shop with products before anyone follows it.
    let baguette = shop_with_product(&b, "boulangerie").await;
    b.product(
        "boulangerie",
        json!({"name": "Pain de campagne", "price": "3.80", "unit": "piece"}),
    )
    .await;

    follow_node(&a, &b).await;
    follow_node(&c, &b).await;
    let items = wait_remote(&a, "backfill", |i| i.len() == 2).await;
    let mirrored = items
        .iter()
        .find(|p| p["ap_id"] == format!("{}/products/{baguette}", b.url))
        .unwrap();
    assert_eq!(mirrored["origin"], "remote");
    assert_eq!(mirrored["price"], "1.30");
    assert_eq!(mirrored["name"], "Baguette tradition");
    assert_eq!(mirrored["category"], "food.bakery");
    assert_eq!(mirrored["stock"], 40);
    assert_eq!(
        mirrored["merchant"],
        format!("boulangerie@{}", b.url.trim_start_matches("http://"))
    );
    assert!(mirrored["images"][0]["url"]
        .as_str()
        .unwrap()
        .starts_with(&b.url));
    assert_eq!(
        a.get("/api/v1/products").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "origin=local by default"
    );
    assert_eq!(
        a.get("/api/v1/products?origin=all").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Mirrors are read-only.
    let local_id = mirrored["id"].as_str().unwrap();
    a.patch(
        &format!("/api/v1/products/{local_id}"),
        json!({"price": "0.01"}),
    )
    .await
    .problem(403);

    // Live: create, update, delete arrive through the node actor's announces.
    let p = b
        .product(
            "boulangerie",
            json!({"name": "Kouign-amann", "price": "4.50"}),
        )
        .await;
    wait_remote(&a, "Create", |i| {
        i.iter().any(|p| p["name"] == "Kouign-amann")
    })
    .await;
    wait_remote(&c, "Create at C", |i| {
        i.iter().any(|p| p["name"] == "Kouign-amann")
    })
    .await;
    b.patch(
        &format!("/api/v1/products/{}", p["id"].as_str().unwrap()),
        json!({"price": "4.80"}),
    )
    .await;
    wait_remote(&a, "Update", |i| {
        i.iter()
            .any(|p| p["name"] == "Kouign-amann" && p["price"] == "4.80")
    })
    .await;
    b.delete(&format!("/api/v1/products/{baguette}")).await;
    wait_remote(&a, "Delete", |i| {
        i.len() == 2 && !i.iter().any(|p| p["name"] == "Baguette tradition")
    })
    .await;

    // A unfollows: changes stop reaching it, C still gets them.
    let a_follow = a.get("/api/v1/node/follows").await.body[0]["target"]
        .as_str()
        .unwrap()
        .to_string();
    let res = a
        .call(
            Method::DELETE,
            &format!("/api/v1/node/follows?target={a_follow}"),
            Some(&a.admin.clone()),
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    a.drain().await;
    wait_followers(&b, 1).await;
    b.product("boulangerie", json!({"name": "Far breton", "price": "12"}))
        .await;
    wait_remote(&c, "Create at C after A left", |i| {
        i.iter().any(|p| p["name"] == "Far breton")
    })
    .await;
    b.drain().await;
    assert!(!remote_products(&a)
        .await
        .iter()
        .any(|p| p["name"] == "Far breton"));
}

async fn wait_followers(t: &TestNode, n: i64) {
    for _ in 0..200 {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM followers WHERE local_actor='node'")
                .fetch_one(t.node.cx.db.pool())
                .await
                .unwrap();
        if count == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected {n} node followers");
}

#[tokio::test]
async fn an_activity_older_than_the_mirrored_product_changes_nothing() {
    // Activities and harvested pages may arrive out of order: a Note whose `updated` is older
    // than what is stored does not replace it.
    let (a, b) = (spawn().await, spawn().await);
    let id = shop_with_product(&b, "boulangerie").await;
    follow_node(&a, &b).await;
    wait_remote(&a, "backfill", |i| i.len() == 1).await;
    let ap_id = format!("{}/products/{id}", b.url);
    let note: Value = b
        .client
        .get(&ap_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shop: String = sqlx::query_scalar(
        "SELECT m.ap_id FROM products p JOIN merchants m ON m.id = p.merchant_id WHERE p.ap_id = $1",
    )
    .bind(&ap_id)
    .fetch_one(a.node.cx.db.pool())
    .await
    .unwrap();
    let save = |mut doc: Value, updated: &str, name: &str| {
        doc["updated"] = json!(updated);
        doc["publishes"]["name"] = json!(name);
        doc["name"] = json!(name);
        let note: etal_protocol::ap::Note = serde_json::from_value(doc).unwrap();
        etal_node::federation::from_ap::product(&note, 0).unwrap()
    };
    for (updated, name) in [
        ("2031-01-01T00:00:00Z", "Baguette de demain"),
        ("2020-01-01T00:00:00Z", "Baguette d'hier"),
    ] {
        let batch = etal_node::domain::mirror::Batch {
            products: vec![(shop.clone(), save(note.clone(), updated, name))],
            ..Default::default()
        };
        etal_node::domain::mirror::apply(&a.node.cx, &b.url, batch, None)
            .await
            .unwrap();
    }
    let items = remote_products(&a).await;
    assert_eq!(items[0]["name"], "Baguette de demain", "{items:#?}");
}
