//! The change feed: creates, updates, deletes and consent in order, never a change still to
//! commit, a cursor it never gave refused, a new photo as a change.

use serde_json::{json, Value};

use super::{get, open_shop};
use crate::harness::{spawn, TestNode};

pub(super) async fn changes(t: &TestNode, since: &str) -> (Vec<Value>, String) {
    let page: Value = get(t, &format!("/open-data/changes?since={since}"), &[])
        .await
        .json()
        .await
        .unwrap();
    crate::schemas::assert_valid("open-data/changes", &page);
    (
        page["items"].as_array().unwrap().clone(),
        page["next_cursor"].as_str().unwrap().to_string(),
    )
}

fn actions(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap().to_string(),
                i["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_change_feed_follows_creates_updates_deletes_and_consent() {
    let t = spawn().await;
    t.post(
        "/api/v1/merchants",
        json!({"slug": "ouverte", "name": "Ouverte", "indexable": true,
               "address": {"postal_code": "78120", "city": "Rambouillet"}}),
    )
    .await;
    t.merchant("discrete").await;
    let p = t
        .product("ouverte", json!({"name": "Pomme", "price": "1.00"}))
        .await;
    let id = p["id"].as_str().unwrap().to_string();
    let (items, c1) = changes(&t, "0").await;
    let mine: Vec<&Value> = items.iter().filter(|i| i["action"] == "upsert").collect();
    assert_eq!(mine.len(), 2, "the shop and its product: {items:#?}");
    assert!(items
        .iter()
        .all(|i| !i.to_string().contains("Shop discrete") || i["action"] == "delete"));
    // Nothing new: an empty page, the same cursor.
    let (none, same) = changes(&t, &c1).await;
    assert!(none.is_empty());
    assert_eq!(same, c1);
    // An update: the product once, as it is now.
    t.patch(
        &format!("/api/v1/products/{id}"),
        json!({"price": "1.20", "stock": 3}),
    )
    .await;
    let (items, c2) = changes(&t, &c1).await;
    assert_eq!(actions(&items), [("product".into(), "upsert".into())]);
    assert_eq!(items[0]["data"]["price"], "1.20");
    assert_eq!(items[0]["data"]["stock"], 3);
    // A deletion: a tombstone.
    t.delete(&format!("/api/v1/products/{id}")).await;
    let (items, c3) = changes(&t, &c2).await;
    assert_eq!(actions(&items), [("product".into(), "delete".into())]);
    assert!(items[0]["id"].as_str().unwrap().ends_with(&id));
    // Consent withdrawn: the shop and its products leave, as deletions.
    t.product("ouverte", json!({"name": "Poire", "price": "2.00"}))
        .await;
    t.patch("/api/v1/merchants/ouverte", json!({"indexable": false}))
        .await;
    let (items, _) = changes(&t, &c3).await;
    let mut got = actions(&items);
    got.sort();
    assert_eq!(
        got,
        [
            ("merchant".into(), "delete".into()),
            ("product".into(), "delete".into()),
        ],
        "{items:#?}"
    );
    assert!(!items.iter().any(|i| i.to_string().contains("Poire")));
    // Paged one at a time, the feed gives the same rows in the same order.
    let (all, _) = changes(&t, "0").await;
    let mut cursor = "0".to_string();
    let mut one_by_one = vec![];
    loop {
        let page: Value = get(
            &t,
            &format!("/open-data/changes?since={cursor}&limit=1"),
            &[],
        )
        .await
        .json()
        .await
        .unwrap();
        let items = page["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        one_by_one.push(items[0].clone());
        cursor = page["next_cursor"].as_str().unwrap().to_string();
    }
    assert_eq!(one_by_one, all);
    // A cursor it never gave is refused, naming the parameter.
    let bad = t.get("/open-data/changes?since=yesterday").await;
    assert_eq!(bad.problem(422).fields(), ["since"]);
}

/// A harvester caught up after a later shop's change still sees every product of a shop whose
/// consent changes (they once took that change's number, and sorted before its cursor).
#[tokio::test]
async fn consent_changes_reach_a_caught_up_harvester_with_every_product() {
    let t = spawn().await;
    t.post(
        "/api/v1/merchants",
        json!({"slug": "ouverte", "name": "Ouverte", "indexable": true,
               "address": {"postal_code": "78120", "city": "Rambouillet"}}),
    )
    .await;
    for name in ["Pomme", "Poire", "Coing"] {
        t.product("ouverte", json!({"name": name, "price": "1.00"}))
            .await;
    }
    // The last change before the harvester stops is a shop created after the products (its
    // id sorts after theirs).
    t.post(
        "/api/v1/merchants",
        json!({"slug": "zeta", "name": "Zeta", "indexable": true,
               "address": {"postal_code": "78120", "city": "Rambouillet"}}),
    )
    .await;
    let (_, caught_up) = changes(&t, "0").await;
    t.patch("/api/v1/merchants/ouverte", json!({"indexable": false}))
        .await;
    let (items, c) = changes(&t, &caught_up).await;
    let products = items.iter().filter(|i| i["type"] == "product").count();
    assert_eq!(products, 3, "every product's tombstone: {items:#?}");
    t.patch("/api/v1/merchants/ouverte", json!({"indexable": true}))
        .await;
    let (items, _) = changes(&t, &c).await;
    let back: Vec<&Value> = items
        .iter()
        .filter(|i| i["type"] == "product" && i["action"] == "upsert")
        .collect();
    assert_eq!(back.len(), 3, "every product back: {items:#?}");
}

/// PostgreSQL numbers changes when a transaction asks, not when it commits: the feed holds
/// back what a running transaction may still commit below, so a harvester never passes it.
#[tokio::test]
async fn the_feed_never_passes_a_change_still_to_commit() {
    if !crate::harness::on_postgres() {
        return; // SQLite has one writer: numbers follow commits.
    }
    let t = spawn().await;
    t.post(
        "/api/v1/merchants",
        json!({"slug": "ouverte", "name": "Ouverte", "indexable": true,
               "address": {"postal_code": "78120", "city": "Rambouillet"}}),
    )
    .await;
    let slow = t
        .product("ouverte", json!({"name": "Import lent", "price": "1.00"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, caught_up) = changes(&t, "0").await;
    // A long write (an import) takes its number first, and is still running…
    let mut tx = t.node.cx.db.begin().await.unwrap();
    sqlx::query("UPDATE products SET name = 'Import lent, fini' WHERE id = $1")
        .bind(slow.clone())
        .execute(&mut *tx)
        .await
        .unwrap();
    // … when a quick edit commits with a later number.
    t.product(
        "ouverte",
        json!({"name": "Édition rapide", "price": "2.00"}),
    )
    .await;
    let (items, held) = changes(&t, &caught_up).await;
    assert!(
        items.is_empty(),
        "nothing past the running write: {items:#?}"
    );
    assert_eq!(held, caught_up);
    tx.commit().await.unwrap();
    let (items, _) = changes(&t, &held).await;
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["data"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Import lent, fini", "Édition rapide"]);
}

/// A cursor beyond the feed's last change (a harvester ahead of a node restored from an older
/// backup) was answered 200 with an empty page: the harvester never heard of later changes.
#[tokio::test]
async fn a_cursor_the_feed_never_gave_is_refused() {
    let t = spawn().await;
    open_shop(&t, "ouverte").await;
    for since in [
        "999999.01a20a51-2c10-7d0e-8a55-0f3b6c2d9e11",
        "abc",
        "3.not-a-uuid",
    ] {
        let res = get(&t, &format!("/open-data/changes?since={since}"), &[]).await;
        assert_eq!(res.status(), 422, "{since}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "since", "{problem}");
    }
    let (_, cursor) = changes(&t, "0").await;
    assert_eq!(
        get(&t, &format!("/open-data/changes?since={cursor}"), &[])
            .await
            .status(),
        200
    );
}

/// A product's photo changing is a change of its open data (its images): the feed gives it
/// again, with the same photo URL its Note attaches.
#[tokio::test]
async fn a_new_photo_is_a_change_and_keeps_the_notes_url() {
    let t = spawn().await;
    open_shop(&t, "ouverte").await;
    let p = t
        .product("ouverte", json!({"name": "Pomme", "price": "1.00"}))
        .await;
    let (_, cursor) = changes(&t, "0").await;
    let id = p["id"].as_str().unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(crate::dashboard::photo()).file_name("pomme.jpg"),
    );
    let res = t
        .client
        .post(format!("{}/api/v1/products/{id}/images", t.url))
        .bearer_auth(&t.admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let (items, _) = changes(&t, &cursor).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let image = items[0]["data"]["images"][0].as_str().unwrap().to_string();
    let note: Value = t
        .client
        .get(format!("{}/products/{id}", t.url))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(note["attachment"][0]["url"], json!(image));
}
