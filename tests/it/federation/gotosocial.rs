//! GoToSocial, as its users meet a shop: account search (WebFinger, then the actor by signed
//! GET, which must have a `following` collection), NodeInfo 2.0, a follow signed with a key
//! served as a stub of the actor, likes, boosts and replies in GoToSocial's shapes, and
//! products that arrive as one Create with their photo and no content warning.

use std::time::Duration;

use serde_json::{json, Value};

use super::{add_photo, shop_with_product};
use crate::fedi::{FakeServer, GTS_USER_AGENT};
use crate::harness::{spawn_with, TestNode};

const AS: &str = "https://www.w3.org/ns/activitystreams";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Whether GoToSocial shows a Note as edited: it has `updated`, not before `published`.
fn edited_for_gotosocial(note: &Value) -> bool {
    let time = |k: &str| {
        note[k]
            .as_str()
            .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap())
    };
    match (time("updated"), time("published")) {
        (Some(updated), Some(published)) => updated >= published,
        (Some(_), None) => true,
        _ => false,
    }
}

async fn follower_count(gts: &FakeServer, shop: &str) -> u64 {
    let (status, c) = gts.signed_get("alice", &format!("{shop}/followers")).await;
    assert_eq!(status, 200);
    c["totalItems"].as_u64().unwrap()
}

/// Finds the shop as GoToSocial's account search does; returns the actor document.
async fn search(t: &TestNode, gts: &FakeServer, slug: &str) -> Value {
    let host = t.url.trim_start_matches("http://");
    let jrd: Value = t
        .client
        .get(format!(
            "{}/.well-known/webfinger?resource=acct:{slug}@{host}",
            t.url
        ))
        .header("user-agent", GTS_USER_AGENT)
        .header("accept", "application/jrd+json,application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let href = jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, actor) = gts.signed_get("alice", &href).await;
    assert_eq!(status, 200);
    assert_eq!(actor["id"], href.as_str());
    actor
}

#[tokio::test]
async fn a_gotosocial_user_finds_follows_and_hears_from_a_shop() {
    let t = spawn_with(|s| s.publish_delay = Duration::from_millis(1500)).await;
    let pid = shop_with_product(&t, "boulangerie").await;
    let shop = format!("{}/shops/boulangerie", t.url);
    let gts = FakeServer::start_gotosocial().await;
    let alice = gts.actor("alice");

    // Account search: GoToSocial hides actors without a `following` collection.
    let actor = search(&t, &gts, "boulangerie").await;
    let following = actor["following"].as_str().expect("a following collection");
    let (status, c) = gts.signed_get("alice", following).await;
    assert_eq!(
        (status, c["type"].as_str()),
        (200, Some("OrderedCollection"))
    );
    assert_eq!(c["totalItems"], 0);
    let (status, page) = gts.signed_get("alice", c["first"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(page["type"], "OrderedCollectionPage");
    assert_eq!(page["partOf"], following);
    assert_eq!(page["orderedItems"], json!([]));

    // NodeInfo, as GoToSocial reads it: schema 2.0 only.
    let links: Value = reqwest::get(format!("{}/.well-known/nodeinfo", t.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let href = links["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.0")
        .expect("a NodeInfo 2.0 link")["href"]
        .as_str()
        .unwrap()
        .to_string();
    let res = reqwest::get(&href).await.unwrap();
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("ns/schema/2.0#"));
    let info: Value = res.json().await.unwrap();
    assert_eq!(info["version"], "2.0");
    assert_eq!(info["usage"]["users"]["total"], 1);

    // The follow, signed with a key whose URL answers a stub of the actor.
    let follow = json!({"@context": AS, "actor": alice, "id": gts.new_id("users/alice/follow"),
                        "object": shop, "to": shop, "type": "Follow"});
    let (status, body) = gts
        .post_like_gotosocial("alice", &format!("{shop}/inbox"), &follow)
        .await;
    assert_eq!(status, 202, "{body}");
    let accepted = gts
        .wait_for("the Accept", 10, |r| {
            r.iter().any(|d| d.activity["type"] == "Accept")
        })
        .await;
    let accept = accepted
        .iter()
        .find(|d| d.activity["type"] == "Accept")
        .unwrap();
    assert_eq!(
        accept.path, "/users/alice/inbox",
        "no shared inbox at GoToSocial"
    );
    assert!(accept.verified, "GoToSocial can verify the Accept");
    assert_eq!(accept.activity["object"]["id"], follow["id"]);
    assert_eq!(follower_count(&gts, &shop).await, 1);
    assert_eq!(
        gts.refused(),
        vec![],
        "the node's GETs are signed and carry a User-Agent"
    );

    // A product given its photo right after creation reaches alice as one Create with the
    // photo, without a name GoToSocial would show as a content warning.
    let p = t
        .product(
            "boulangerie",
            json!({"name": "Pain de campagne", "price": "2.50", "category": "food.bakery"}),
        )
        .await;
    let new_id = p["id"].as_str().unwrap().to_string();
    add_photo(&t, &new_id, None).await;
    let note_url = format!("{}/products/{new_id}", t.url);
    let got = gts
        .wait_for("the Create", 15, |r| {
            r.iter()
                .any(|d| d.activity["object"]["id"] == note_url.as_str())
        })
        .await;
    let create = got
        .iter()
        .find(|d| d.activity["object"]["id"] == note_url.as_str())
        .unwrap();
    assert_eq!(create.activity["type"], "Create");
    let note = &create.activity["object"];
    assert!(
        note.get("name").is_none() && note.get("summary").is_none(),
        "{note}"
    );
    assert_eq!(note["publishes"]["name"], "Pain de campagne");
    assert!(note["content"]
        .as_str()
        .unwrap()
        .contains("<strong>Pain de campagne</strong><br>2,50 €"));
    let attachment = note["attachment"].as_array().unwrap();
    assert_eq!(attachment.len(), 1, "the photo travels in the Create");
    assert_eq!(
        attachment[0]["name"], "Pain de campagne",
        "a photo without alt text is described by the product's name"
    );
    t.drain().await;
    let about: Vec<String> = gts
        .received()
        .iter()
        .filter(|d| d.activity["object"]["id"] == note_url.as_str())
        .map(|d| d.activity["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        about,
        ["Create"],
        "no Update: the product does not show as edited"
    );
    // GoToSocial marks as edited a status whose `updated` is not before its `published`
    // (internal/typeutils/astointernal.go): adding the photo touched the product 100 ms after
    // its creation, but the Create carries the photo; it is no edit.
    assert!(!edited_for_gotosocial(note), "{note}");
    // A change after the Create went out is one.
    t.patch(
        &format!("/api/v1/products/{new_id}"),
        json!({"price": "2.70"}),
    )
    .await;
    let got = gts
        .wait_for("the Update", 15, |r| {
            r.iter().any(|d| {
                d.activity["type"] == "Update" && d.activity["object"]["id"] == note_url.as_str()
            })
        })
        .await;
    let update = got
        .iter()
        .find(|d| d.activity["type"] == "Update" && d.activity["object"]["id"] == note_url.as_str())
        .unwrap();
    assert!(edited_for_gotosocial(&update.activity["object"]));

    // Like, boost and reply, in GoToSocial's shapes (single recipients as plain strings,
    // a Mention tag as one object, an empty summary).
    let product = format!("{}/products/{pid}", t.url);
    let inbox = format!("{shop}/inbox");
    let like = json!({"@context": AS, "actor": alice, "id": gts.new_id("users/alice/liked"),
                      "object": product, "to": shop, "type": "Like"});
    assert_eq!(
        gts.post_like_gotosocial("alice", &inbox, &like).await.0,
        202
    );
    let boost = json!({"@context": AS, "actor": alice, "cc": [shop, PUBLIC],
                       "id": gts.new_id("users/alice/statuses"), "object": product,
                       "published": "2026-12-01T00:18:48Z", "to": format!("{alice}/followers"), "type": "Announce"});
    assert_eq!(
        gts.post_like_gotosocial("alice", &inbox, &boost).await.0,
        202
    );
    let status_id = gts.new_id("users/alice/statuses");
    let reply = json!({
        "@context": ["https://gotosocial.org/ns", AS, {"sensitive": "as:sensitive"}],
        "actor": alice, "cc": [format!("{alice}/followers"), shop],
        "id": format!("{status_id}/activity#Create"),
        "object": {
            "attachment": [], "attributedTo": alice, "cc": [format!("{alice}/followers"), shop],
            "content": "<p><span class=\"h-card\"><a href=\"#\" class=\"u-url mention\">@<span>boulangerie</span></a></span> Encore du pain ce soir ?</p>",
            "id": status_id, "inReplyTo": product, "published": "2026-12-01T00:18:34Z",
            "sensitive": false, "summary": "",
            "tag": {"href": shop, "name": "@boulangerie@localhost", "type": "Mention"},
            "to": PUBLIC, "type": "Note", "url": format!("{}/@alice/statuses/1", gts.base)
        },
        "published": "2026-12-01T00:18:34Z", "to": PUBLIC, "type": "Create"
    });
    assert_eq!(
        gts.post_like_gotosocial("alice", &inbox, &reply).await.0,
        202
    );
    let items = t.interactions("boulangerie").await;
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["reply", "announce", "like"]);
    assert!(items
        .iter()
        .all(|i| i["actor"] == alice.as_str() && i["product_id"] == pid.as_str()));
    assert!(items[0]["content"]
        .as_str()
        .unwrap()
        .contains("Encore du pain ce soir"));

    // Unfollow: the Undo embeds the whole Follow.
    let undo = json!({"@context": AS, "actor": alice, "id": gts.new_id("undo"), "object": follow,
                      "to": shop, "type": "Undo"});
    assert_eq!(
        gts.post_like_gotosocial("alice", &inbox, &undo).await.0,
        202
    );
    assert_eq!(follower_count(&gts, &shop).await, 0);
}

#[tokio::test]
async fn a_product_deleted_within_the_publish_delay_is_never_announced() {
    let t = spawn_with(|s| s.publish_delay = Duration::from_millis(1000)).await;
    shop_with_product(&t, "boulangerie").await;
    let shop = format!("{}/shops/boulangerie", t.url);
    let fake = FakeServer::start().await;
    let bob = fake.actor("bob");
    let follow = json!({"@context": AS, "id": fake.new_id("follows"), "type": "Follow", "actor": bob, "object": shop});
    assert_eq!(
        fake.post("bob", &format!("{shop}/inbox"), &follow).await.0,
        202
    );
    fake.wait_for("the Accept", 10, |r| {
        r.iter().any(|d| d.activity["type"] == "Accept")
    })
    .await;
    let gone = t
        .product(
            "boulangerie",
            json!({"name": "Erreur de saisie", "price": "9.99"}),
        )
        .await;
    let gone_id = gone["id"].as_str().unwrap().to_string();
    t.delete(&format!("/api/v1/products/{gone_id}")).await;
    let kept = t
        .product("boulangerie", json!({"name": "Brioche", "price": "4.20"}))
        .await;
    let kept_url = format!("{}/products/{}", t.url, kept["id"].as_str().unwrap());
    fake.wait_for("the Create of the kept product", 15, |r| {
        r.iter()
            .any(|d| d.activity["object"]["id"] == kept_url.as_str())
    })
    .await;
    t.drain().await;
    let gone_url = format!("{}/products/{gone_id}", t.url);
    let about_gone: Vec<Value> = fake
        .received()
        .into_iter()
        .map(|d| d.activity)
        .filter(|a| a.to_string().contains(&gone_url))
        .collect();
    assert!(about_gone.is_empty(), "{about_gone:?}");
}

#[tokio::test]
async fn a_key_document_must_name_an_owner_that_lists_the_key_on_the_same_server() {
    let t = spawn_with(|_| {}).await;
    let pid = shop_with_product(&t, "boulangerie").await;
    let product = format!("{}/products/{pid}", t.url);
    let inbox = format!("{}/inbox", t.url);
    let gts = FakeServer::start_gotosocial().await;
    let other = FakeServer::start_gotosocial().await;
    let mallory = gts.actor("mallory");
    let eve = gts.actor("eve");
    gts.actor("bob");
    other.actor("mallory");
    let like = |actor: &str, id: String| json!({"@context": AS, "actor": actor, "id": id, "object": product, "to": product, "type": "Like"});

    // An owner on another server.
    gts.set_key_owner("mallory", &format!("{}/users/mallory", other.base));
    let before = t.snapshot().await;
    let (status, body) = gts
        .post_like_gotosocial("mallory", &inbox, &like(&mallory, gts.new_id("likes")))
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("another server"), "{body}");

    // An owner on the same server whose own document does not list the key.
    gts.set_key_owner("eve", &format!("{}/users/bob", gts.base));
    let (status, body) = gts
        .post_like_gotosocial("eve", &inbox, &like(&eve, gts.new_id("likes")))
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("does not list the key"), "{body}");
    assert_eq!(t.snapshot().await, before, "nothing was stored");
    assert!(t.interactions("boulangerie").await.is_empty());
}

/// The Follow and Like GoToSocial really sent (captured headers) verify with the node's own
/// signature code: `hs2019` over `(request-target) host date digest`.
#[test]
fn captured_gotosocial_signatures_verify() {
    use etal_node::federation::signing;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../protocol/tests/fixtures/gotosocial");
    let key: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("key-document.json")).unwrap())
            .unwrap();
    let pem = key["publicKey"]["publicKeyPem"].as_str().unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".headers.txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let request = lines.next().unwrap();
        let path_part = request.split(' ').nth(1).unwrap().to_string();
        let headers: Vec<(String, String)> = lines
            .take_while(|l| !l.is_empty())
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        let get = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        let sig = signing::parse_signature(get("signature").unwrap()).unwrap();
        assert_eq!(sig.algorithm.as_deref(), Some("hs2019"));
        assert!(sig.key_id.ends_with("/users/alice/main-key"));
        let signed = signing::signing_string(&sig, "POST", &path_part, get).unwrap();
        assert!(
            signing::verify(pem, signed.as_bytes(), &sig.signature),
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 10, "every captured request was checked");
}
