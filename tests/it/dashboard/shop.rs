//! A shopkeeper's pages: a product with a photo from the phone form, quick edits, the
//! profile's hours editor, API tokens.

use etal_node::model::account::Role;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use super::{person, photo};
use crate::harness::spawn;

#[tokio::test]
async fn a_product_with_a_photo_from_the_phone_form_is_public() {
    let t = spawn().await;
    t.merchant("boulangerie").await;
    let mut b = person(
        &t,
        "paul@boulangerie.fr",
        Some(("boulangerie", Role::Staff)),
        false,
    )
    .await;
    let token = b.token("/dashboard/shops/boulangerie/products/new").await;
    let form = Form::new()
        .text("_csrf", token.clone())
        .part(
            "photo",
            Part::bytes(photo())
                .file_name("IMG_0001.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        )
        .text("name", "Pain de campagne")
        .text("price", "3,20")
        .text("unit", "piece")
        .text("availability", "in_stock")
        .text("stock", "")
        .text("tags", "levain, bio");
    let done = b
        .post_multipart("/dashboard/shops/boulangerie/products/new", form)
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(done.location(), "/dashboard/shops/boulangerie?done=created");
    let list = t.get("/api/v1/products?merchant=boulangerie").await;
    let p = &list.body["items"][0];
    assert_eq!(p["name"], "Pain de campagne");
    assert_eq!(p["price"], "3.20");
    assert_eq!(p["tags"], json!(["levain", "bio"]));
    assert_eq!(p["images"].as_array().unwrap().len(), 1);
    let id = p["id"].as_str().unwrap().to_string();
    let public = reqwest::get(format!("{}/products/{id}", t.url))
        .await
        .unwrap();
    assert_eq!(public.status(), 200);
    assert!(public.text().await.unwrap().contains("Pain de campagne"));
    // The list shows it, with its one-tap "sold out".
    let list = b.get("/dashboard/shops/boulangerie?done=created").await;
    assert!(list.html.contains("Pain de campagne") && list.html.contains("role=\"status\""));
    let sold = b
        .post(
            &format!("/dashboard/products/{id}/quick"),
            &[("_csrf", &token), ("availability", "out_of_stock")],
        )
        .await;
    assert_eq!(sold.status, 303);
    let now = t.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(now.body["availability"], "out_of_stock");
    // Quick edit of price and stock; a bad price names the field and changes nothing.
    t.drain().await;
    let before = t.snapshot().await;
    let bad = b
        .post(
            &format!("/dashboard/products/{id}/quick"),
            &[("_csrf", &token), ("price", "trois euros"), ("stock", "4")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert_eq!(before, t.snapshot().await);
    let ok = b
        .post(
            &format!("/dashboard/products/{id}/quick"),
            &[
                ("_csrf", &token),
                ("price", "3,50"),
                ("stock", "12"),
                ("availability", "in_stock"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    let now = t.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(
        (now.body["price"].as_str(), now.body["stock"].as_i64()),
        (Some("3.50"), Some(12))
    );
    // Staff cannot open the shop's profile.
    assert_eq!(
        b.get("/dashboard/shops/boulangerie/profile").await.status,
        403
    );
}

#[tokio::test]
async fn the_hours_editor_writes_schema_org_hours() {
    let t = spawn().await;
    t.merchant("fleuriste").await;
    let mut b = person(&t, "lea@fleurs.fr", Some(("fleuriste", Role::Owner)), false).await;
    let page = b.get("/dashboard/shops/fleuriste/profile").await;
    assert_eq!(page.status, 200);
    let token = page.csrf();
    let mut fields = vec![
        ("_csrf", token.as_str()),
        ("name", "Les Fleurs de Léa"),
        ("postal_code", "78120"),
        ("city", "Rambouillet"),
        ("lat", "48,6447"),
        ("lon", "1.8302"),
        ("indexable", "1"),
    ];
    for day in 1..=5 {
        let d: &'static str = Box::leak(format!("h{day}").into_boxed_str());
        fields.push((Box::leak(format!("{d}a").into_boxed_str()), "09:00"));
        fields.push((Box::leak(format!("{d}b").into_boxed_str()), "12:30"));
        fields.push((Box::leak(format!("{d}c").into_boxed_str()), "14:00"));
        fields.push((Box::leak(format!("{d}d").into_boxed_str()), "19:00"));
    }
    fields.push(("h6a", "09:00"));
    fields.push(("h6b", "13:00"));
    let saved = b.post("/dashboard/shops/fleuriste/profile", &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let m = t.get("/api/v1/merchants/fleuriste").await;
    assert_eq!(m.body["name"], "Les Fleurs de Léa");
    assert_eq!(
        m.body["opening_hours"],
        json!(["Tu-Sa 09:00-12:30,14:00-19:00", "Su 09:00-13:00"])
    );
    assert_eq!(m.body["geo"]["lat"], 48.6447);
    assert_eq!(m.body["indexable"], true);
    // The editor shows them back as times.
    let again = b.get("/dashboard/shops/fleuriste/profile").await;
    assert!(again.html.contains("name=\"h1c\" value=\"14:00\""));
    // A slot with only an opening time is refused, nothing saved.
    t.drain().await;
    let before = t.snapshot().await;
    let bad = b
        .post(
            "/dashboard/shops/fleuriste/profile",
            &[
                ("_csrf", &token),
                ("name", "X"),
                ("postal_code", "78120"),
                ("city", "R"),
                ("h0a", "08:00"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(before, t.snapshot().await);
}

#[tokio::test]
async fn an_owner_creates_and_revokes_an_api_token() {
    let t = spawn().await;
    t.merchant("cave").await;
    let mut b = person(&t, "jo@cave.fr", Some(("cave", Role::Owner)), false).await;
    let token = b.token("/dashboard/shops/cave/people").await;
    let made = b
        .post(
            "/dashboard/shops/cave/tokens",
            &[("_csrf", &token), ("name", "caisse")],
        )
        .await;
    assert_eq!(made.status, 200);
    let at = made.html.find("etal_").expect("the token is shown once");
    let secret: String = made.html[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let ok = t
        .call(
            reqwest::Method::POST,
            "/api/v1/merchants/cave/products",
            Some(&secret),
            Some(json!({"name": "Chablis", "price": "14.00"})),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let page = b.get("/dashboard/shops/cave/people").await;
    let at = page.html.find("/tokens/").unwrap();
    let id: String = page.html[at + 8..].chars().take(36).collect();
    let revoked = b
        .post(
            &format!("/dashboard/shops/cave/tokens/{id}/revoke"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(revoked.status, 303);
    let refused = t
        .call(
            reqwest::Method::POST,
            "/api/v1/merchants/cave/products",
            Some(&secret),
            Some(json!({"name": "Chablis", "price": "14.00"})),
        )
        .await;
    assert_eq!(refused.status, 401);
}

#[tokio::test]
async fn a_product_from_the_dashboard_reaches_a_follower_with_its_photo() {
    let t = crate::harness::spawn_with(|s| {
        s.publish_delay = std::time::Duration::from_secs(2);
    })
    .await;
    t.merchant("primeur").await;
    let fake = crate::fedi::FakeServer::start().await;
    fake.actor("alice");
    crate::federation::delivery::follow(&t, &fake, "alice", "primeur").await;
    fake.wait_for("Accept", 10, |r| {
        r.iter().any(|r| r.activity["type"] == "Accept")
    })
    .await;
    let mut b = person(&t, "p@primeur.fr", Some(("primeur", Role::Owner)), false).await;
    let token = b.token("/dashboard/shops/primeur/products/new").await;
    let form = Form::new()
        .text("_csrf", token)
        .part(
            "photo",
            Part::bytes(photo())
                .file_name("fraises.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        )
        .text("name", "Fraises gariguette")
        .text("price", "4,50")
        .text("unit", "box")
        .text("availability", "in_stock");
    let done = b
        .post_multipart("/dashboard/shops/primeur/products/new", form)
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let got = fake
        .wait_for("Create of the product", 15, |r| {
            r.iter()
                .any(|r| r.activity["type"] == "Create" && r.activity["object"]["type"] == "Note")
        })
        .await;
    let create = got
        .iter()
        .find(|r| r.activity["type"] == "Create" && r.activity["object"]["type"] == "Note")
        .unwrap();
    assert!(create.verified);
    let note = &create.activity["object"];
    assert!(note.to_string().contains("Fraises gariguette"), "{note}");
    assert_eq!(note["price"], "4.50");
    let attachments = note["attachment"].as_array().cloned().unwrap_or_default();
    assert!(
        attachments
            .iter()
            .any(|a| a["mediaType"] == "image/jpeg" || a["type"] == "Image"),
        "the photo travels in the Create: {note}"
    );
}

#[tokio::test]
async fn a_suspended_shop_locks_out_its_people_and_tokens_until_resumed() {
    let t = spawn().await;
    t.merchant("marche").await;
    let token = t.merchant_token("marche").await;
    let mut owner = person(&t, "o@marche.fr", Some(("marche", Role::Owner)), false).await;
    let mut admin = person(&t, "admin@ville.fr", None, true).await;
    let csrf = admin.token("/dashboard/admin").await;
    let suspended = admin
        .post("/dashboard/admin/shops/marche/suspend", &[("_csrf", &csrf)])
        .await;
    assert_eq!(suspended.status, 303);
    let try_token = |token: String| {
        let t = &t;
        async move {
            t.call(
                reqwest::Method::POST,
                "/api/v1/merchants/marche/products",
                Some(&token),
                Some(json!({"name": "Radis", "price": "1.00"})),
            )
            .await
            .status
        }
    };
    assert_eq!(try_token(token.clone()).await, 401);
    assert_eq!(owner.get("/dashboard/shops/marche").await.status, 403);
    // Its public page stays.
    assert_eq!(
        reqwest::get(format!("{}/shops/marche", t.url))
            .await
            .unwrap()
            .status(),
        200
    );
    let resumed = admin
        .post("/dashboard/admin/shops/marche/resume", &[("_csrf", &csrf)])
        .await;
    assert_eq!(resumed.status, 303);
    assert_eq!(try_token(token).await, 201);
    assert_eq!(owner.get("/dashboard/shops/marche").await.status, 200);
}

#[tokio::test]
async fn the_admin_deletes_a_shop_and_its_followers_hear_of_it() {
    let t = spawn().await;
    t.merchant("ancienne").await;
    let fake = crate::fedi::FakeServer::start().await;
    fake.actor("alice");
    crate::federation::delivery::follow(&t, &fake, "alice", "ancienne").await;
    fake.wait_for("Accept", 10, |r| {
        r.iter().any(|r| r.activity["type"] == "Accept")
    })
    .await;
    let mut admin = person(&t, "admin@ville.fr", None, true).await;
    let csrf = admin.token("/dashboard/admin").await;
    let deleted = admin
        .post(
            "/dashboard/admin/shops/ancienne/delete",
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(t.get("/api/v1/merchants/ancienne").await.status, 410);
    let got = fake
        .wait_for("Delete", 10, |r| {
            r.iter().any(|r| r.activity["type"] == "Delete")
        })
        .await;
    let delete = got.iter().find(|r| r.activity["type"] == "Delete").unwrap();
    // Signed with the shop's key, which now answers 410 Gone: what tells Mastodon to remove
    // the account.
    assert_eq!(delete.key_id, format!("{}/shops/ancienne#main-key", t.url));
    assert_eq!(
        delete.activity["object"],
        format!("{}/shops/ancienne", t.url)
    );
}
