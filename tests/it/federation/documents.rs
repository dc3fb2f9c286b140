//! What other servers read: WebFinger, NodeInfo, actors, product notes, collections, and the
//! same URLs answering HTML to browsers.

use serde_json::json;

use super::{ap_get, shop_with_product};
use crate::harness::spawn;
use etal_protocol::ap;

#[tokio::test]
async fn webfinger_finds_merchants_with_and_without_the_port_and_the_node_actor() {
    let t = spawn().await;
    shop_with_product(&t, "boulangerie-martin").await;
    let host = t.url.trim_start_matches("http://").to_string();
    let bare = host.split(':').next().unwrap().to_string();
    for resource in [
        format!("acct:boulangerie-martin@{host}"),
        format!("acct:boulangerie-martin@{bare}"),
        format!("{}/shops/boulangerie-martin", t.url),
    ] {
        let res = t
            .client
            .get(
                url::Url::parse_with_params(
                    &format!("{}/.well-known/webfinger", t.url),
                    &[("resource", &resource)],
                )
                .unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{resource}");
        assert_eq!(res.headers()["content-type"], "application/jrd+json");
        let jrd: ap::Jrd = res.json().await.unwrap();
        assert_eq!(jrd.subject, format!("acct:boulangerie-martin@{host}"));
        let me = jrd.links.iter().find(|l| l.rel == "self").unwrap();
        assert_eq!(me.kind.as_deref(), Some("application/activity+json"));
        assert_eq!(
            me.href.as_deref(),
            Some(format!("{}/shops/boulangerie-martin", t.url).as_str())
        );
    }
    let node = t
        .client
        .get(format!(
            "{}/.well-known/webfinger?resource=acct:etal@{host}",
            t.url
        ))
        .send()
        .await
        .unwrap();
    let jrd: ap::Jrd = node.json().await.unwrap();
    assert_eq!(
        jrd.links[0].href.as_deref(),
        Some(format!("{}/actor", t.url).as_str())
    );
    for (resource, status) in [
        (format!("acct:nobody@{host}"), 404),
        ("acct:boulangerie-martin@elsewhere.example".to_string(), 404),
        ("nonsense".to_string(), 404),
    ] {
        let res = t
            .client
            .get(
                url::Url::parse_with_params(
                    &format!("{}/.well-known/webfinger", t.url),
                    &[("resource", &resource)],
                )
                .unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{resource}");
    }
}

#[tokio::test]
async fn nodeinfo_counts_usage_and_links_the_node_actor() {
    let t = spawn().await;
    shop_with_product(&t, "boulangerie").await;
    let links: ap::NodeInfoLinks = t
        .client
        .get(format!("{}/.well-known/nodeinfo", t.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let info = links
        .links
        .iter()
        .find(|l| l.rel == "http://nodeinfo.diaspora.software/ns/schema/2.1")
        .unwrap();
    let actor = links
        .links
        .iter()
        .find(|l| l.rel == "https://www.w3.org/ns/activitystreams#Application")
        .unwrap();
    assert_eq!(
        actor.href.as_deref(),
        Some(format!("{}/actor", t.url).as_str())
    );
    let res = t
        .client
        .get(info.href.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("nodeinfo.diaspora.software/ns/schema/2.1"));
    let doc: ap::NodeInfo = res.json().await.unwrap();
    assert_eq!(doc.version, "2.1");
    assert_eq!(doc.software.name, "etal");
    assert_eq!(doc.protocols, ["activitypub"]);
    assert_eq!(doc.usage.users.total, Some(1));
    assert_eq!(doc.usage.local_posts, Some(1));
}

#[tokio::test]
async fn a_merchant_is_an_organization_actor_with_its_profile() {
    let t = spawn().await;
    shop_with_product(&t, "boulangerie-martin").await;
    let (status, ct, doc) = ap_get(&t, "/shops/boulangerie-martin").await;
    assert_eq!((status, ct.as_str()), (200, "application/activity+json"));
    let a: ap::Actor = serde_json::from_value(doc.clone()).unwrap();
    let me = format!("{}/shops/boulangerie-martin", t.url);
    assert_eq!(a.id.as_str(), me);
    assert_eq!(a.kind, ap::ActorType::Organization);
    assert_eq!(a.preferred_username.as_deref(), Some("boulangerie-martin"));
    assert_eq!(a.inbox.as_str(), format!("{me}/inbox"));
    assert_eq!(
        a.endpoints.unwrap().shared_inbox.unwrap().as_str(),
        format!("{}/inbox", t.url)
    );
    let key = a.public_key.unwrap();
    assert_eq!(key.id.as_str(), format!("{me}#main-key"));
    assert_eq!(key.owner.as_str(), me);
    assert!(key.public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(!doc.to_string().contains("PRIVATE KEY"));
    assert_eq!((a.indexable, a.discoverable), (Some(true), Some(true)));
    let fields: Vec<String> = doc["attachment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["Adresse", "Horaires", "Téléphone", "Site web"]);
    assert_eq!(
        doc["attachment"][0]["value"],
        "12 rue Chasles, 78120 Rambouillet"
    );
    let place = a.location.unwrap();
    assert_eq!(
        (place.latitude, place.longitude),
        (Some(48.6447), Some(1.8302))
    );
    assert_eq!(a.address.unwrap().insee_code.as_deref(), Some("78517"));
    assert_eq!(a.opening_hours, ["Tu-Sa 07:00-19:30"]);
    for picture in [a.icon.unwrap().url, a.image.unwrap().url] {
        let res = t.client.get(picture.as_str()).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
    }
    // Browsers get the page.
    let html = t
        .client
        .get(&me)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(html.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(html.headers()["vary"]
        .to_str()
        .unwrap()
        .starts_with("Accept"));
    let ld = t
        .client
        .get(&me)
        .header(
            "accept",
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(ld.headers()["content-type"], "application/activity+json");
}

#[tokio::test]
async fn a_product_is_a_note_mastodon_shows_with_commerce_data_aggregators_read() {
    let t = spawn().await;
    let id = shop_with_product(&t, "boulangerie-martin").await;
    let (status, _, doc) = ap_get(&t, &format!("/products/{id}")).await;
    assert_eq!(status, 200);
    let note: ap::Note = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(note.kind, "Note");
    assert!(
        note.summary.is_none(),
        "a summary would hide the post behind a content warning"
    );
    let content = note.content.clone().unwrap();
    assert!(
        content.contains("Baguette tradition") && content.contains("1,30 €"),
        "{content}"
    );
    assert!(
        content.contains("#<span>boulangerie</span>") && content.contains("#<span>levain</span>"),
        "{content}"
    );
    assert_eq!(note.to, [url::Url::parse(ap::PUBLIC).unwrap()]);
    assert_eq!(
        note.cc[0].as_str(),
        format!("{}/shops/boulangerie-martin/followers", t.url)
    );
    assert_eq!(note.attachment.len(), 1);
    let photo = &note.attachment[0];
    assert_eq!(
        (photo.kind.as_str(), photo.media_type.as_deref()),
        ("Image", Some("image/jpeg"))
    );
    assert_eq!(photo.name.as_deref(), Some("Une baguette dorée"));
    assert_eq!((photo.width, photo.height), (Some(120), Some(80)));
    assert!(photo.blurhash.is_some());
    assert_eq!(
        t.client
            .get(photo.url.as_str())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let tags: Vec<&str> = note
        .tag
        .iter()
        .map(|t| t.name.as_deref().unwrap())
        .collect();
    assert_eq!(tags, ["#boulangerie", "#levain", "#pain"]);
    // `updated` says a change made after the Create went out (the photo may have gone out
    // with the Create or after it, as the worker ran), never one before `published`.
    let published = note.published.unwrap();
    assert!(note.updated.is_none_or(|u| u > published), "{note:?}");
    // FEP-0837 and schema.org, without reading HTML.
    assert_eq!(note.purpose.as_deref(), Some("offer"));
    let primary = note.publishes.unwrap();
    assert_eq!(
        primary.id.as_str(),
        format!("{}/products/{id}#primary", t.url)
    );
    assert_eq!(primary.resource_quantity.has_unit, "one");
    assert_eq!(
        primary
            .available_quantity
            .unwrap()
            .has_numerical_value
            .as_deref(),
        Some("40")
    );
    let price = note.reciprocal.unwrap();
    assert_eq!(
        price.resource_quantity.has_numerical_value.as_deref(),
        Some("1.30")
    );
    assert_eq!(
        price.resource_conforms_to.unwrap().as_str(),
        "https://www.wikidata.org/wiki/Q4916"
    );
    assert_eq!(
        (note.price.as_deref(), note.price_currency.as_deref()),
        (Some("1.30"), Some("EUR"))
    );
    assert_eq!(
        note.availability.unwrap().as_str(),
        "https://schema.org/InStock"
    );
    assert_eq!(note.gtin.as_deref(), Some("3760012345670"));
    assert_eq!(note.unit_based, Some(true));
    // Every term is defined inline: no context but ActivityStreams and security/v1 to fetch.
    let ctx = doc["@context"].as_array().unwrap();
    assert_eq!(ctx[0], "https://www.w3.org/ns/activitystreams");
    assert_eq!(ctx[1], "https://w3id.org/security/v1");
    for key in doc
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with('@') && *k != "id" && *k != "type")
    {
        let known_as = [
            "attributedTo",
            "name",
            "content",
            "contentMap",
            "url",
            "published",
            "updated",
            "to",
            "cc",
            "attachment",
            "tag",
            "location",
        ];
        assert!(
            known_as.contains(&key.as_str()) || ctx[2].get(key).is_some(),
            "term {key} is defined"
        );
    }
    // A change after the Create went out is an edit: the Note says when.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    t.patch(&format!("/api/v1/products/{id}"), json!({"price": "1.40"}))
        .await;
    let (_, _, doc) = ap_get(&t, &format!("/products/{id}")).await;
    let note: ap::Note = serde_json::from_value(doc).unwrap();
    assert!(
        note.updated.is_some_and(|u| u > published),
        "{:?}",
        note.updated
    );
}

#[tokio::test]
async fn deleted_objects_answer_410_with_a_tombstone() {
    let t = spawn().await;
    let id = shop_with_product(&t, "boulangerie").await;
    t.delete(&format!("/api/v1/products/{id}")).await;
    let (status, _, doc) = ap_get(&t, &format!("/products/{id}")).await;
    assert_eq!(status, 410);
    assert_eq!(
        (doc["type"].as_str(), doc["formerType"].as_str()),
        (Some("Tombstone"), Some("Note"))
    );
    t.delete("/api/v1/merchants/boulangerie").await;
    let (status, _, doc) = ap_get(&t, "/shops/boulangerie").await;
    assert_eq!((status, doc["type"].as_str()), (410, Some("Tombstone")));
    let (status, _, _) = ap_get(&t, "/shops/nobody").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn outboxes_are_paged_newest_first_and_activities_resolve() {
    let t = spawn().await;
    shop_with_product(&t, "boulangerie").await;
    for i in 0..25 {
        t.product(
            "boulangerie",
            json!({"name": format!("Pain {i}"), "price": "2"}),
        )
        .await;
    }
    let (_, _, outbox) = ap_get(&t, "/shops/boulangerie/outbox").await;
    let c: ap::OrderedCollection = serde_json::from_value(outbox).unwrap();
    // 26 products created, one photo added (an Update).
    assert_eq!(c.total_items, Some(27));
    let first = c.first.unwrap().as_str().unwrap().to_string();
    let page: ap::OrderedCollectionPage = serde_json::from_value(
        t.client
            .get(&first)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(page.ordered_items.len(), 20);
    let first_item = page.ordered_items[0].object().unwrap();
    let ap::Object::Activity(a) = first_item else {
        panic!("activities in the outbox")
    };
    assert_eq!(a.kind, ap::ActivityType::Create);
    let ap::Object::Note(n) = a.object.object().unwrap() else {
        panic!("a note")
    };
    assert_eq!(
        n.publishes.as_ref().and_then(|i| i.name.as_deref()),
        Some("Pain 24")
    );
    let next = page.next.unwrap();
    let page2: ap::OrderedCollectionPage = serde_json::from_value(
        t.client
            .get(next.as_str())
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(page2.ordered_items.len(), 7);
    assert!(page2.next.is_none());
    let (status, _, doc) = ap_get(&t, a.id.path()).await;
    assert_eq!(status, 200);
    assert_eq!(doc["id"], a.id.as_str());
    let (_, _, featured) = ap_get(&t, "/shops/boulangerie/featured").await;
    assert_eq!(featured["orderedItems"].as_array().unwrap().len(), 4);
    let (_, _, followers) = ap_get(&t, "/shops/boulangerie/followers").await;
    assert_eq!(followers["totalItems"], 0);
    let (_, _, node_outbox) = ap_get(&t, "/actor/outbox").await;
    let first = node_outbox["first"].as_str().unwrap().to_string();
    let page: serde_json::Value = t
        .client
        .get(&first)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["orderedItems"][0]["type"], "Announce");
    assert_eq!(page["orderedItems"][0]["object"]["type"], "Create");
}

#[tokio::test]
async fn the_node_actor_is_an_application() {
    let t = spawn().await;
    let (status, _, doc) = ap_get(&t, "/actor").await;
    assert_eq!(status, 200);
    let a: ap::Actor = serde_json::from_value(doc).unwrap();
    assert_eq!(a.kind, ap::ActorType::Application);
    assert_eq!(a.inbox.as_str(), format!("{}/actor/inbox", t.url));
    assert_eq!(
        a.public_key.unwrap().id.as_str(),
        format!("{}/actor#main-key", t.url)
    );
}

#[tokio::test]
async fn what_the_node_serves_and_sends_validates_against_the_published_schemas() {
    use crate::fedi::FakeServer;
    use crate::schemas::assert_valid;
    let t = spawn().await;
    let id = shop_with_product(&t, "boulangerie").await;
    let host = t.url.trim_start_matches("http://");
    let get_json = |path: String| {
        let client = t.client.clone();
        async move {
            client
                .get(path)
                .header("accept", "application/activity+json")
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    assert_valid(
        "webfinger",
        &get_json(format!(
            "{}/.well-known/webfinger?resource=acct:boulangerie@{host}",
            t.url
        ))
        .await,
    );
    assert_valid(
        "nodeinfo-links",
        &get_json(format!("{}/.well-known/nodeinfo", t.url)).await,
    );
    assert_valid(
        "nodeinfo",
        &get_json(format!("{}/nodeinfo/2.1", t.url)).await,
    );
    assert_valid(
        "merchant-actor",
        &get_json(format!("{}/shops/boulangerie", t.url)).await,
    );
    assert_valid("node-actor", &get_json(format!("{}/actor", t.url)).await);
    assert_valid(
        "product-note",
        &get_json(format!("{}/products/{id}", t.url)).await,
    );
    assert_valid(
        "ordered-collection",
        &get_json(format!("{}/shops/boulangerie/outbox", t.url)).await,
    );
    assert_valid(
        "ordered-collection",
        &get_json(format!("{}/shops/boulangerie/featured", t.url)).await,
    );
    assert_valid(
        "ordered-collection",
        &get_json(format!("{}/shops/boulangerie/followers", t.url)).await,
    );
    let page = get_json(format!("{}/shops/boulangerie/outbox?page=true", t.url)).await;
    assert_valid("ordered-collection-page", &page);
    assert_valid(
        "ordered-collection-page",
        &get_json(format!("{}/actor/outbox?page=true", t.url)).await,
    );
    let activity = page["orderedItems"][0]["id"].as_str().unwrap().to_string();
    assert_valid("activity-update", &get_json(activity.clone()).await);
    assert_valid(
        "activity-announce",
        &get_json(format!("{activity}/announce")).await,
    );

    // What followers receive.
    let fake = FakeServer::start().await;
    let alice = fake.actor("alice");
    fake.post("alice", &format!("{}/inbox", t.url), &json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": fake.new_id("follows"), "type": "Follow", "actor": alice, "object": format!("{}/shops/boulangerie", t.url)})).await;
    let p = t
        .product(
            "boulangerie",
            json!({"name": "Sablés", "price": "3.50", "unit": "box", "stock": 4}),
        )
        .await;
    let url = format!("/api/v1/products/{}", p["id"].as_str().unwrap());
    t.drain().await;
    t.patch(&url, json!({"availability": "preorder"})).await;
    t.drain().await;
    t.delete(&url).await;
    t.drain().await;
    let received = fake.received();
    let kinds: Vec<&str> = received
        .iter()
        .map(|r| r.activity["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Accept", "Create", "Update", "Delete"]);
    for r in &received {
        let schema = format!(
            "activity-{}",
            r.activity["type"].as_str().unwrap().to_lowercase()
        );
        assert_valid(&schema, &r.activity);
    }
    let (_, _, gone) = ap_get(&t, &format!("/products/{}", p["id"].as_str().unwrap())).await;
    assert_valid("tombstone", &gone);
}
