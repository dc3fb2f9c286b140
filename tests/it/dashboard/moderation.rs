//! The admin's moderation: a blocked domain's activities are refused at the inbox and its
//! followers get nothing more; a hidden reply leaves the shop's panel and the API.

use etal_node::domain::authz::Caller;
use etal_node::domain::moderation;
use serde_json::json;

use super::person;
use crate::fedi::FakeServer;
use crate::harness::spawn;

#[tokio::test]
async fn a_blocked_domain_is_refused_and_a_hidden_reply_disappears() {
    let t = spawn().await;
    t.merchant("boulangerie").await;
    let p = t
        .product("boulangerie", json!({"name": "Pain", "price": "1.20"}))
        .await;
    let product = format!("{}/products/{}", t.url, p["id"].as_str().unwrap());
    let fake = FakeServer::start_on_ip().await;
    let alice = fake.actor("alice");
    let inbox = format!("{}/shops/boulangerie/inbox", t.url);
    let reply = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("creates"),
        "type": "Create", "actor": alice,
        "object": {"id": fake.new_id("notes"), "type": "Note", "attributedTo": alice, "inReplyTo": product,
                   "content": "<p>Achetez mes pilules</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"]}});
    assert_eq!(fake.post("alice", &inbox, &reply).await.0, 202);
    assert_eq!(t.interactions("boulangerie").await.len(), 1);
    // The admin hides it from the moderation page.
    let mut admin = person(&t, "admin@ville.fr", None, true).await;
    let page = admin.get("/dashboard/admin/moderation").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("Achetez mes pilules"));
    let token = page.csrf();
    let at = page.html.find("/dashboard/admin/moderation/").unwrap();
    let id: String = page.html[at + 28..].chars().take(36).collect();
    let hidden = admin
        .post(
            &format!("/dashboard/admin/moderation/{id}/hide"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(hidden.status, 303);
    assert!(t.interactions("boulangerie").await.is_empty());
    // Then blocks the domain: its next activity is refused.
    let blocked = admin
        .post(
            "/dashboard/admin/blocks",
            &[("_csrf", &token), ("host", "http://127.0.0.1/")],
        )
        .await;
    assert_eq!(blocked.status, 303, "{}", blocked.html);
    let like = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("likes"),
        "type": "Like", "actor": alice, "object": product});
    let (status, body) = fake.post("alice", &format!("{}/inbox", t.url), &like).await;
    assert_eq!(status, 403, "{body}");
    t.unchanged(|| async {
        assert_eq!(fake.post("alice", &inbox, &like).await.0, 403);
    })
    .await;
    // Only the admin may block.
    assert!(
        moderation::block(&t.node, &Caller::Anonymous, "x.example", None)
            .await
            .is_err()
    );
}
