//! Aggregator mode across nodes on loopback: backfill through the change feed, live changes
//! through the followed actor, deletions and withdrawn consent, restart without harvesting
//! everything again, a source that is down and comes back.

use etal_node::db::sources::SourceState;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::harness::{self, spawn, spawn_with, TestNode};

async fn harvested(agg: &TestNode) -> Vec<Value> {
    let a = agg.get("/api/v1/products?origin=remote&limit=100").await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["items"].as_array().unwrap().clone()
}

async fn names(agg: &TestNode) -> Vec<String> {
    let mut n: Vec<String> = harvested(agg)
        .await
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

async fn wait_for(agg: &TestNode, what: &str, pred: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = names(agg).await;
        if pred(&n) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {n:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn source(agg: &TestNode, url: &str) -> etal_node::db::sources::Source {
    etal_node::domain::sources::get(&agg.node.cx, url)
        .await
        .expect("a source")
}

/// What `etal aggregator follow URL` does.
async fn follow(agg: &TestNode, url: &str) {
    let actor = etal_node::federation::follows::follow(&agg.node.fed, url)
        .await
        .expect("follow");
    etal_node::domain::sources::add(&agg.node.cx, url, Some(actor.as_str()))
        .await
        .expect("add source");
}

pub(crate) async fn shop(t: &TestNode, slug: &str, city: &str, indexable: bool) {
    let a = t
        .post(
            "/api/v1/merchants",
            json!({"slug": slug, "name": format!("Boutique {slug}"), "category": "food",
                   "address": {"postal_code": "78120", "city": city, "insee_code": "78517"},
                   "geo": {"lat": 48.64, "lon": 1.83}, "indexable": indexable}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
}

pub(crate) async fn product(t: &TestNode, slug: &str, name: &str, price: &str) -> String {
    t.product(slug, json!({"name": name, "price": price})).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn aggregator_on(listener: TcpListener, dir: &std::path::Path, url: &str) -> TestNode {
    let mut s = harness::settings(dir, url).await;
    s.aggregator = true;
    s.harvest_every = Duration::from_millis(500);
    harness::start(s, listener, Arc::new(etal_node::clock::SystemClock)).await
}

#[tokio::test]
async fn an_aggregator_harvests_three_nodes_live_and_resumes_after_a_restart() {
    let (b1, b2, b3) = (spawn().await, spawn().await, spawn().await);
    shop(&b1, "miel", "Rambouillet", true).await;
    shop(&b1, "secret", "Rambouillet", false).await;
    product(&b1, "miel", "Miel de acacia", "8.50").await;
    let lavande = product(&b1, "miel", "Miel de lavande", "9.00").await;
    product(&b1, "secret", "Produit non indexable", "1.00").await;
    shop(&b2, "fromagerie", "Versailles", true).await;
    product(&b2, "fromagerie", "Comté 18 mois", "24.00").await;
    shop(&b3, "cave", "Chartres", true).await;
    let vin = product(&b3, "cave", "Vin de Loire", "12.00").await;
    for b in [&b1, &b2, &b3] {
        b.drain().await;
    }

    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("http://localhost:{port}");
    let agg = aggregator_on(listener, dir.path(), &url).await;
    for b in [&b1, &b2, &b3] {
        follow(&agg, &b.url).await;
    }
    // Backfill through the change feeds; the shop without consent never comes.
    wait_for(&agg, "backfill", |n| n.len() == 4).await;
    assert_eq!(
        names(&agg).await,
        [
            "Comté 18 mois",
            "Miel de acacia",
            "Miel de lavande",
            "Vin de Loire"
        ]
    );
    let first = harvested(&agg).await;
    let comte = first.iter().find(|p| p["name"] == "Comté 18 mois").unwrap();
    assert!(
        comte["ap_id"].as_str().unwrap().starts_with(&b2.url),
        "each result links to its own node: {comte}"
    );
    for b in [&b1, &b2, &b3] {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let s = source(&agg, &b.url).await;
            let follow =
                etal_node::db::remote::follow(agg.node.cx.db.pool(), s.actor.as_deref().unwrap())
                    .await
                    .unwrap()
                    .map(|f| f.state);
            if s.state == SourceState::Live
                && follow == Some(etal_node::db::remote::FollowState::Accepted)
            {
                break;
            }
            assert!(Instant::now() < deadline, "{s:?} {follow:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let view = etal_node::domain::sources::list(&agg.node.cx)
        .await
        .unwrap();
    let v1 = view.iter().find(|v| v.source.url == b1.url).unwrap();
    assert_eq!((v1.shops, v1.products), (1, 2), "{v1:?}");

    // Live: a new product, a price change, a deletion.
    product(&b2, "fromagerie", "Brie de Meaux", "6.40").await;
    let a = b1
        .patch(
            &format!("/api/v1/products/{lavande}"),
            json!({"name": "Miel de lavande fine"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = b3.delete(&format!("/api/v1/products/{vin}")).await;
    assert_eq!(a.status, 204, "{}", a.body);
    wait_for(&agg, "live changes", |n| {
        n == [
            "Brie de Meaux",
            "Comté 18 mois",
            "Miel de acacia",
            "Miel de lavande fine",
        ]
    })
    .await;

    // Consent withdrawn: the shop and its products leave the aggregate.
    let a = b1
        .patch("/api/v1/merchants/miel", json!({"indexable": false}))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    wait_for(&agg, "consent withdrawn", |n| {
        n == ["Brie de Meaux", "Comté 18 mois"]
    })
    .await;

    // Restart: what changed meanwhile arrives; nothing is harvested twice.
    let before = source(&agg, &b2.url).await.changes;
    let dir_kept = agg.settings.clone();
    agg.stop().await;
    product(&b2, "fromagerie", "Chaource", "5.10").await;
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let agg = harness::start(dir_kept, listener, Arc::new(etal_node::clock::SystemClock)).await;
    wait_for(&agg, "after restart", |n| {
        n.contains(&"Chaource".to_string())
    })
    .await;
    let after = source(&agg, &b2.url).await.changes;
    assert!(
        after - before <= 2,
        "resumed from its cursor: {before} changes before, {after} after"
    );
    drop(dir);
}

#[tokio::test]
async fn a_source_that_is_down_is_retried_and_recovers_without_stalling_the_others() {
    let up = spawn().await;
    shop(&up, "epicerie", "Rambouillet", true).await;
    product(&up, "epicerie", "Lentilles vertes", "3.20").await;
    let agg = spawn_with(|s| {
        s.aggregator = true;
        s.harvest_every = Duration::from_millis(300);
    })
    .await;
    // A node that is not running yet: a port nobody listens on.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let down_url = format!("http://localhost:{port}");
    etal_node::domain::sources::add(&agg.node.cx, &down_url, None)
        .await
        .unwrap();
    follow(&agg, &up.url).await;
    wait_for(&agg, "the healthy source", |n| n == ["Lentilles vertes"]).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let s = source(&agg, &down_url).await;
        if s.state == SourceState::Down && s.failures >= 2 {
            assert!(s.last_error.is_some(), "{s:?}");
            break;
        }
        assert!(Instant::now() < deadline, "{s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Meanwhile the healthy source stays live.
    product(&up, "epicerie", "Pois chiches", "2.90").await;
    wait_for(&agg, "live while another is down", |n| n.len() == 2).await;

    // The node starts: the source recovers (its feed alone, no actor followed).
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let s = harness::settings(dir.path(), &down_url).await;
    let back = harness::start(s, listener, Arc::new(etal_node::clock::SystemClock)).await;
    shop(&back, "ferme", "Gazeran", true).await;
    product(&back, "ferme", "Oeufs frais", "3.00").await;
    // Its wait grew with the failures: following it again asks for a look at once.
    etal_node::domain::sources::add(&agg.node.cx, &down_url, None)
        .await
        .unwrap();
    wait_for(&agg, "the source back", |n| n.len() == 3).await;
    let s = source(&agg, &down_url).await;
    assert_eq!((s.state, s.failures), (SourceState::Live, 0), "{s:?}");
    drop(back);
    drop(dir);
}

#[tokio::test]
async fn national_search_finds_every_node_near_a_postal_code_with_facets_by_town() {
    let (b1, b2) = (spawn().await, spawn().await);
    // Rambouillet (78517, postal code 78120) and Versailles (78646, 78000).
    shop(&b1, "rucher", "Rambouillet", true).await;
    product(&b1, "rucher", "Miel de forêt", "9.50").await;
    product(&b1, "rucher", "Miel de colza", "7.00").await;
    let a = b2
        .post(
            "/api/v1/merchants",
            json!({"slug": "halles", "name": "Les halles", "category": "food",
                   "address": {"postal_code": "78000", "city": "Versailles", "insee_code": "78646"},
                   "geo": {"lat": 48.8049, "lon": 2.1204}, "indexable": true}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    product(&b2, "halles", "Miel de Versailles", "11.00").await;
    let agg = spawn_with(|s| {
        s.aggregator = true;
        s.harvest_every = Duration::from_millis(300);
    })
    .await;
    follow(&agg, &b1.url).await;
    follow(&agg, &b2.url).await;
    wait_for(&agg, "harvest", |n| n.len() == 3).await;

    let r = agg.get("/api/v1/search?q=miel").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["total"], 3);
    let towns: Vec<(String, i64)> = r.body["towns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["insee_code"].as_str().unwrap().to_string(),
                t["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(towns, [("78517".to_string(), 2), ("78646".to_string(), 1)]);
    let pages: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["url"].as_str().unwrap())
        .collect();
    assert!(
        pages
            .iter()
            .all(|u| u.starts_with(&b1.url) || u.starts_with(&b2.url)),
        "results link to their own nodes: {pages:?}"
    );

    // Near a postal code (its communes' shops give the point), then an INSEE code.
    let r = agg.get("/api/v1/search?q=miel&near=78120&km=5").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["total"], 2, "{}", r.body);
    assert!(r.body["near"]["name"]
        .as_str()
        .unwrap()
        .contains("Rambouillet"));
    let r = agg.get("/api/v1/search?q=miel&near=78646&km=40").await;
    assert_eq!(r.body["total"], 3, "{}", r.body);
    assert_eq!(
        r.body["items"][0]["name"], "Miel de Versailles",
        "closest first"
    );
    // The facet as a filter.
    let r = agg.get("/api/v1/search?q=miel&town=78646").await;
    assert_eq!(r.body["total"], 1, "{}", r.body);
    // Bad places are named.
    let r = agg.get("/api/v1/search?q=miel&near=99999").await;
    r.problem(422);
    assert_eq!(r.fields(), ["near"]);
    let r = agg.get("/api/v1/search?q=miel&near=2A004").await;
    r.problem(422);
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Ajaccio"),
        "a commune with no shop known: {}",
        r.body
    );
    agg.get("/api/v1/search?page=0").await.problem(422);

    // The search page: the same, in HTML.
    let page = agg
        .client
        .get(format!("{}/search?q=miel&near=78120&km=5", agg.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Miel de forêt") && !page.contains("Miel de Versailles"),
        "{page}"
    );
    assert!(
        page.contains("Par commune") && page.contains("town=78517"),
        "{page}"
    );
    // On the map: the results' shops, each linking to its page on its own node.
    let places = &page[page.find("id=\"places\"").expect("a map of the shops")..];
    let places = &places[..places.find("</ul>").unwrap()];
    assert!(page.contains("Les commerces de ces résultats"));
    assert!(
        places.contains("data-lat=\"48.") && places.contains(&format!("href=\"{}/", b1.url)),
        "{places}"
    );
    assert!(!places.contains(&agg.url), "{places}");
}

#[tokio::test]
async fn one_process_at_a_time_reads_a_source_and_a_source_down_waits_no_less_than_a_live_one() {
    // Two aggregator processes, A and B, on one database take turns through the source's
    // lease: B cannot take a source A holds; the turn's end gives it back.
    use etal_node::domain::sources::{self, LEASE_MS};
    let clock = etal_node::clock::ManualClock::new();
    let agg = harness::spawn_clocked(clock.clone()).await;
    let node = &agg.node;
    let url = "http://127.0.0.1:9";
    sources::add(&node.cx, url, None).await.unwrap();
    let listed = source(&agg, url).await;
    let a = sources::claim(&node.cx, &listed, "A")
        .await
        .unwrap()
        .expect("A takes it");
    assert!(sources::claim(&node.cx, &listed, "B")
        .await
        .unwrap()
        .is_none());
    assert!(
        sources::due(&node.cx).await.unwrap().is_empty(),
        "a held source is not due"
    );
    // A renews before each page; B still cannot take it after the first lease's length.
    clock.advance(LEASE_MS - 1);
    assert!(sources::renew(&node.cx, &a, "A").await.unwrap());
    clock.advance(2);
    assert!(sources::claim(&node.cx, &listed, "B")
        .await
        .unwrap()
        .is_none());

    // A stalls past its lease: B takes the source, reads a page and records it.
    clock.advance(LEASE_MS + 1);
    let b = sources::claim(&node.cx, &listed, "B")
        .await
        .unwrap()
        .expect("B takes it");
    let mut tx = node.cx.db.begin().await.unwrap();
    assert!(
        etal_node::db::sources::advance(&mut tx, url, "0", "5", 5, 0)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    // A, back, cannot record the page it read after the old cursor (nothing written), cannot
    // renew, and its turn's end neither gives B's source back nor marks it down.
    let stale = etal_node::domain::mirror::Batch {
        deleted_merchants: vec![format!("{url}/shops/rucher")],
        ..Default::default()
    };
    assert_eq!(
        sources::apply_page(&node.cx, &a, "0", "3", stale)
            .await
            .unwrap(),
        None
    );
    let after = source(&agg, url).await;
    assert_eq!((after.cursor.as_str(), after.changes), ("5", 5));
    assert!(!sources::renew(&node.cx, &a, "A").await.unwrap());
    sources::yield_turn(&node.cx, &a, "A").await.unwrap();
    sources::failed(&node.cx, &a, "A", "timed out", 1000)
        .await
        .unwrap();
    assert!(sources::claim(&node.cx, &listed, "C")
        .await
        .unwrap()
        .is_none());
    assert_ne!(source(&agg, url).await.state, SourceState::Down);
    // B yields its turn: the next process takes the source as it stands, cursor 5.
    sources::yield_turn(&node.cx, &b, "B").await.unwrap();
    let c = sources::claim(&node.cx, &listed, "C")
        .await
        .unwrap()
        .expect("C takes it");
    assert_eq!(c.cursor, "5");

    // Read every hour: down five times, it waits an hour, not the 15 minutes' cap.
    let hour = 3_600_000;
    let mut down = c.clone();
    down.failures = 5;
    sources::failed(&node.cx, &down, "C", "refused", hour)
        .await
        .unwrap();
    let after = source(&agg, url).await;
    assert_eq!(
        after.next_at - etal_node::clock::Clock::now_ms(clock.as_ref()),
        hour
    );
    assert_eq!(after.state, SourceState::Down);
    // Given back, but not due.
    assert!(sources::claim(&node.cx, &after, "A")
        .await
        .unwrap()
        .is_none());
    clock.advance(hour);
    assert!(sources::claim(&node.cx, &after, "A")
        .await
        .unwrap()
        .is_some());
}
