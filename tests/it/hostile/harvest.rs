//! A harvested node that lies: ids on other servers, more changes than asked, a body that is
//! not a feed. The aggregator keeps only what the source may speak for, and marks a source that
//! answers nonsense down.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::get;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::harness::{spawn, spawn_with, TestNode};

/// A server answering `/open-data/changes` with whatever `page` holds.
async fn liar(page: Arc<Mutex<(String, &'static str)>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let app = axum::Router::new().route(
        "/open-data/changes",
        get(move || {
            let page = page.clone();
            async move {
                let (body, ct) = page.lock().unwrap().clone();
                ([("content-type", ct)], body)
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn names(agg: &TestNode) -> Vec<String> {
    let mut n: Vec<String> = agg
        .get("/api/v1/products?origin=remote&limit=100")
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

fn product(id: &str, shop: &str, name: &str) -> Value {
    json!({"id": id, "merchant": shop, "name": name, "description": null, "category": null,
           "price": "2.00", "currency": "EUR", "unit": "piece", "availability": "in_stock",
           "stock": null, "gtin": null, "tags": [], "images": [], "updated_at": "2026-11-30T10:00:00Z"})
}

#[tokio::test]
async fn a_source_speaks_only_for_its_own_shops_and_a_lying_feed_marks_it_down() {
    // An honest node with a product the liar will try to delete and to overwrite.
    let honest = spawn().await;
    let a = honest
        .post(
            "/api/v1/merchants",
            json!({"slug": "cave", "name": "La cave", "address": {"postal_code": "28000", "city": "Chartres"},
                   "indexable": true}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let victim = honest
        .product("cave", json!({"name": "Vin de Loire", "price": "12.00"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let victim_id = format!("{}/products/{victim}", honest.url);
    let honest_shop = format!("{}/shops/cave", honest.url);

    let page = Arc::new(Mutex::new((String::new(), "application/json")));
    let liar_url = liar(page.clone()).await;
    let shop = format!("{liar_url}/shops/rucher");
    let c = |n: u32| format!("{n}.01a20a51-2c10-7d0e-8a55-0f3b6c2d9e{n:02}");
    *page.lock().unwrap() = (
        json!({"next_cursor": c(6), "items": [
            {"cursor": c(1), "type": "merchant", "action": "upsert", "id": shop,
             "data": {"id": shop, "slug": "rucher", "name": "Le rucher", "postal_code": "78120",
                      "city": "Rambouillet", "opening_hours": [], "updated_at": "2026-11-30T10:00:00Z"}},
            {"cursor": c(2), "type": "product", "action": "upsert", "id": format!("{liar_url}/products/1"),
             "data": product(&format!("{liar_url}/products/1"), &shop, "Miel honnête")},
            // Someone else's product, under the liar's shop or under its own.
            {"cursor": c(3), "type": "product", "action": "upsert", "id": victim_id,
             "data": product(&victim_id, &shop, "Vin volé")},
            {"cursor": c(4), "type": "product", "action": "upsert", "id": format!("{liar_url}/products/2"),
             "data": product(&format!("{liar_url}/products/2"), &honest_shop, "Dans une autre boutique")},
            // Deleting someone else's product and shop.
            {"cursor": c(5), "type": "product", "action": "delete", "id": victim_id},
            {"cursor": c(6), "type": "merchant", "action": "delete", "id": honest_shop},
        ]})
        .to_string(),
        "application/json",
    );

    let agg = spawn_with(|s| {
        s.aggregator = true;
        s.harvest_every = Duration::from_millis(200);
    })
    .await;
    let actor = etal_node::federation::follows::follow(&agg.node.fed, &honest.url)
        .await
        .unwrap();
    etal_node::domain::sources::add(&agg.node.cx, &honest.url, Some(actor.as_str()))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while names(&agg).await != ["Vin de Loire"] {
        assert!(Instant::now() < deadline, "{:?}", names(&agg).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    etal_node::domain::sources::add(&agg.node.cx, &liar_url, None)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = etal_node::domain::sources::get(&agg.node.cx, &liar_url)
            .await
            .unwrap();
        if s.cursor == c(6) {
            break;
        }
        assert!(Instant::now() < deadline, "{s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(names(&agg).await, ["Miel honnête", "Vin de Loire"]);

    // More changes than asked for: refused whole, the source is down.
    let items: Vec<Value> = (0..5001)
        .map(|i| json!({"cursor": format!("{}.01a20a51-2c10-7d0e-8a55-0f3b6c2d9e11", 100 + i),
                        "type": "product", "action": "delete", "id": format!("{liar_url}/products/1")}))
        .collect();
    *page.lock().unwrap() = (
        json!({"next_cursor": "9999.01a20a51-2c10-7d0e-8a55-0f3b6c2d9e11", "items": items})
            .to_string(),
        "application/json",
    );
    wait_down(&agg, &liar_url, "more than asked").await;
    // Not a feed at all.
    *page.lock().unwrap() = ("<html>hello</html>".into(), "text/html");
    wait_down(&agg, &liar_url, "content type").await;
    *page.lock().unwrap() = ("{\"items\": 3}".into(), "application/json");
    wait_down(&agg, &liar_url, "not a change feed page").await;
    assert_eq!(
        names(&agg).await,
        ["Miel honnête", "Vin de Loire"],
        "nothing half-written"
    );

    // The shop is deleted; a later page cannot bring its products back without it, and a
    // product older than what is stored does not replace it.
    *page.lock().unwrap() = (
        json!({"next_cursor": c(7), "items": [
            {"cursor": c(7), "type": "merchant", "action": "delete", "id": shop},
        ]})
        .to_string(),
        "application/json",
    );
    wait_cursor(&agg, &liar_url, &c(7)).await;
    *page.lock().unwrap() = (
        json!({"next_cursor": c(8), "items": [
            {"cursor": c(8), "type": "product", "action": "upsert", "id": format!("{liar_url}/products/1"),
             "data": product(&format!("{liar_url}/products/1"), &shop, "Miel revenu")},
        ]})
        .to_string(),
        "application/json",
    );
    wait_cursor(&agg, &liar_url, &c(8)).await;
    assert_eq!(names(&agg).await, ["Vin de Loire"]);
    // Not stored either (listings hide a deleted shop's products; the row must not be live).
    let live: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM products WHERE ap_id = $1 AND deleted_at IS NULL")
            .bind(format!("{liar_url}/products/1"))
            .fetch_one(agg.node.cx.db.pool())
            .await
            .unwrap();
    assert_eq!(live, 0, "a deleted shop's product came back");
    let found = agg.get("/api/v1/search?q=miel").await;
    assert_eq!(
        found.body["total"], 0,
        "not even in the index: {}",
        found.body
    );
    let mut old = product(&format!("{liar_url}/products/1"), &shop, "Miel ancien");
    old["updated_at"] = json!("2020-01-01T00:00:00Z");
    let mut new = product(&format!("{liar_url}/products/1"), &shop, "Miel nouveau");
    new["updated_at"] = json!("2026-12-01T10:00:00Z");
    let shop_back = json!({"id": shop, "slug": "rucher", "name": "Le rucher", "postal_code": "78120",
                           "city": "Rambouillet", "opening_hours": [], "updated_at": "2026-12-01T10:00:00Z"});
    *page.lock().unwrap() = (
        json!({"next_cursor": c(10), "items": [
            {"cursor": c(9), "type": "merchant", "action": "upsert", "id": shop, "data": shop_back},
            {"cursor": c(10), "type": "product", "action": "upsert", "id": format!("{liar_url}/products/1"), "data": new},
        ]})
        .to_string(),
        "application/json",
    );
    wait_cursor(&agg, &liar_url, &c(10)).await;
    *page.lock().unwrap() = (
        json!({"next_cursor": c(11), "items": [
            {"cursor": c(11), "type": "product", "action": "upsert", "id": format!("{liar_url}/products/1"), "data": old},
        ]})
        .to_string(),
        "application/json",
    );
    wait_cursor(&agg, &liar_url, &c(11)).await;
    assert_eq!(names(&agg).await, ["Miel nouveau", "Vin de Loire"]);
}

async fn wait_cursor(agg: &TestNode, url: &str, cursor: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = etal_node::domain::sources::get(&agg.node.cx, url)
            .await
            .unwrap();
        if s.cursor == cursor {
            return;
        }
        assert!(Instant::now() < deadline, "{s:?}");
        etal_node::domain::sources::add(&agg.node.cx, url, None)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn wait_down(agg: &TestNode, url: &str, error: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = etal_node::domain::sources::get(&agg.node.cx, url)
            .await
            .unwrap();
        if s.state == etal_node::db::sources::SourceState::Down
            && s.last_error.as_deref().is_some_and(|e| e.contains(error))
        {
            return;
        }
        assert!(Instant::now() < deadline, "{s:?}");
        // Retry now rather than after the growing wait.
        etal_node::domain::sources::add(&agg.node.cx, url, None)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Five sources whose full pages sent the harvester back and forth between two cursors
/// (`1.a` ↔ `2.b`) cost 32 s of CPU per 30 s and never settled: a turn read twenty pages and
/// the source was due again at once. A feed that goes back to a cursor it gave makes no
/// progress: the source is down and waits longer each time; and each source reads at most
/// its budget of pages an hour.
#[tokio::test]
async fn a_feed_going_round_in_circles_backs_off() {
    let agg = spawn_with(|s| {
        s.aggregator = true;
        s.harvest_every = Duration::from_millis(200);
    })
    .await;
    let mut served = vec![];
    let mut urls = vec![];
    for _ in 0..5 {
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://localhost:{}", listener.local_addr().unwrap().port());
        let shop = format!("{url}/shops/boucle");
        let items: Vec<Value> = (0..5000)
            .map(|i| {
                let id = format!("{url}/products/{i}");
                json!({"cursor": format!("{i}.x"), "type": "product", "action": "upsert", "id": id,
                       "data": product(&id, &shop, &format!("Boucle {i}"))})
            })
            .collect();
        let shop_item = json!({"cursor": "0.s", "type": "merchant", "action": "upsert", "id": shop,
            "data": {"id": shop, "slug": "boucle", "name": "La boucle", "postal_code": "78120",
                     "city": "Rambouillet", "opening_hours": [], "updated_at": "2026-11-30T10:00:00Z"}});
        let mut with_shop = vec![shop_item];
        with_shop.extend(items[1..].iter().cloned());
        let pages = Arc::new([
            json!({"next_cursor": "1.a", "items": with_shop}).to_string(),
            json!({"next_cursor": "2.b", "items": items}).to_string(),
            json!({"next_cursor": "1.a", "items": items}).to_string(),
        ]);
        let counter = count.clone();
        let app = axum::Router::new().route(
            "/open-data/changes",
            get(
                move |q: axum::extract::Query<std::collections::HashMap<String, String>>| {
                    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let pages = pages.clone();
                    async move {
                        let body = match q.get("since").map(String::as_str) {
                            Some("1.a") => pages[1].clone(),
                            Some("2.b") => pages[2].clone(),
                            _ => pages[0].clone(),
                        };
                        ([("content-type", "application/json")], body)
                    }
                },
            ),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        etal_node::domain::sources::add(&agg.node.cx, &url, None)
            .await
            .unwrap();
        served.push(count);
        urls.push(url);
    }
    // Wait until every source has found its circle (a loaded machine reads a page of 5,000
    // items slowly), noting what each had read then; then count what each reads in 12 s more.
    let count = |served: &[Arc<std::sync::atomic::AtomicUsize>]| -> Vec<usize> {
        served
            .iter()
            .map(|c| c.load(std::sync::atomic::Ordering::Relaxed))
            .collect()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut found: Vec<Option<usize>> = vec![None; urls.len()];
    while found.iter().any(Option::is_none) {
        for (i, url) in urls.iter().enumerate() {
            let s = etal_node::domain::sources::get(&agg.node.cx, url)
                .await
                .unwrap();
            if found[i].is_none()
                && s.last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("went back"))
            {
                found[i] = Some(served[i].load(std::sync::atomic::Ordering::Relaxed));
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not every source found its circle in 120 s: {found:?}, {:?}",
            count(&served)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let found: Vec<usize> = found.into_iter().flatten().collect();
    // Three pages to find the circle (perhaps a retry before it was seen).
    assert!(found.iter().all(|n| *n <= 6), "{found:?}");
    tokio::time::sleep(Duration::from_secs(12)).await;
    let pages = count(&served);
    println!(
        "pages read from five circling feeds: {found:?} to find the circle, {pages:?} 12 s later"
    );
    for url in &urls {
        let s = etal_node::domain::sources::get(&agg.node.cx, url)
            .await
            .unwrap();
        assert!(
            s.last_error
                .as_deref()
                .is_some_and(|e| e.contains("went back")),
            "{s:?}"
        );
    }
    // Then a page or two at each retry, each wait twice the one before (0.4, 0.8, 1.6, 3.2,
    // 6.4, 12.8 s…): a few pages in the time it took the slowest to find its circle and the
    // 12 s after, where a source due again at once would read hundreds.
    for (before, after) in found.iter().zip(&pages) {
        assert!(after - before <= 16, "{found:?} then {pages:?}");
    }
}

/// Each source reads at most its budget of pages an hour, counted from its first page.
#[tokio::test]
async fn a_source_reads_a_budget_of_pages_an_hour() {
    let agg = spawn().await;
    etal_node::domain::sources::add(&agg.node.cx, "http://localhost:9", None)
        .await
        .unwrap();
    let db = agg.node.cx.db.writer();
    let now = 1_800_000_000_000i64;
    let claimed = etal_node::db::sources::claim(db, "http://localhost:9", "me", now, now + 60_000)
        .await
        .unwrap();
    assert!(claimed.is_some());
    let take = |at: i64| etal_node::db::sources::take_page(db, "http://localhost:9", "me", at, 2);
    assert_eq!(take(now).await.unwrap(), None);
    assert_eq!(take(now + 10).await.unwrap(), None);
    assert_eq!(take(now + 20).await.unwrap(), Some(now + 3_600_000));
    // Another process's pages are not counted.
    let other = etal_node::db::sources::take_page(db, "http://localhost:9", "other", now, 2);
    assert_eq!(other.await.unwrap(), Some(now + 3_600_000));
    assert_eq!(take(now + 3_600_000).await.unwrap(), None);
}
