//! Tokens: stored hashed, scoped, refused when unknown.

use serde_json::json;

use crate::harness::spawn;

#[tokio::test]
async fn tokens_are_stored_hashed() {
    let t = spawn().await;
    let hashes: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(t.node.cx.db.pool())
        .await
        .unwrap();
    assert_eq!(hashes.len(), 1);
    assert_ne!(hashes[0], t.admin);
    assert!(!hashes[0].contains(&t.admin[5..]));
    assert_eq!(hashes[0].len(), 64);
}

#[tokio::test]
async fn a_merchant_token_cannot_be_made_for_an_unknown_shop() {
    let t = spawn().await;
    let err = etal_node::domain::auth::create_token(&t.node.cx, "x", Some("nobody"))
        .await
        .unwrap_err();
    assert_eq!(etal_node::http::problem::status_of(&err), 404);
    t.merchant("cave").await;
    let token = t.merchant_token("cave").await;
    let a = t
        .call(
            reqwest::Method::POST,
            "/api/v1/merchants/cave/products",
            Some(&token),
            Some(json!({"name": "Vin", "price": "9.90"})),
        )
        .await;
    assert_eq!(a.status, 201);
}

/// The rig's "nothing changed" check must see real changes, or every such assertion is void.
#[tokio::test]
async fn snapshots_see_every_kind_of_change() {
    let t = spawn().await;
    let empty = t.snapshot().await;
    assert!(
        empty["node_actor"][0]
            .iter()
            .any(|c| c.starts_with("public_key_pem=Some(")),
        "{:?}",
        empty["node_actor"]
    );
    t.merchant("cave").await;
    let one = t.snapshot().await;
    assert_ne!(empty, one);
    let row = &one["merchants"][0];
    assert!(row.iter().any(|c| c == "indexable=Some(0)"), "{row:?}");
    assert!(row.iter().all(|c| !c.contains("=?")), "{row:?}");
    t.patch(
        "/api/v1/merchants/cave",
        json!({"geo": {"lat": 48.1, "lon": 1.5}}),
    )
    .await;
    let two = t.snapshot().await;
    assert!(
        two["merchants"][0].iter().any(|c| c == "lat=Some(48.1)"),
        "{:?}",
        two["merchants"][0]
    );
}
