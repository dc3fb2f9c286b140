//! Following other nodes under attack: looping or endless outboxes, huge discovery answers,
//! mirrored objects that break the field rules.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use super::*;
use crate::fedi::{FakeServer, Outbox};
use crate::harness::spawn;

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
