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
        moderation::block(&t.node.cx, &Caller::Anonymous, "x.example", None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_owner_answers_a_reply_and_its_author_receives_the_answer() {
    let t = spawn().await;
    t.merchant("boulangerie").await;
    let p = t
        .product("boulangerie", json!({"name": "Pain", "price": "1.20"}))
        .await;
    let product = format!("{}/products/{}", t.url, p["id"].as_str().unwrap());
    let fake = FakeServer::start().await;
    let alice = fake.actor("alice");
    let note_id = fake.new_id("notes");
    let reply = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": fake.new_id("creates"),
        "type": "Create", "actor": alice,
        "object": {"id": note_id, "type": "Note", "attributedTo": alice, "inReplyTo": product,
                   "content": "<p>Encore chaude à 18 h ?</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"]}});
    let inbox = format!("{}/shops/boulangerie/inbox", t.url);
    assert_eq!(fake.post("alice", &inbox, &reply).await.0, 202);
    let mut staff = person(
        &t,
        "s@b.fr",
        Some(("boulangerie", etal_node::model::account::Role::Staff)),
        false,
    )
    .await;
    let mut owner = person(
        &t,
        "o@b.fr",
        Some(("boulangerie", etal_node::model::account::Role::Owner)),
        false,
    )
    .await;
    let panel = owner.get("/dashboard/shops/boulangerie/fediverse").await;
    assert_eq!(panel.status, 200);
    assert!(panel.html.contains("Encore chaude"));
    let token = panel.csrf();
    let at = panel
        .html
        .find("/dashboard/shops/boulangerie/replies/")
        .unwrap();
    let id: String = panel.html[at + 37..].chars().take(36).collect();
    let path = format!("/dashboard/shops/boulangerie/replies/{id}");
    // Staff may not speak for the shop; an empty answer is refused; neither sends anything.
    let staff_token = staff.token("/account").await;
    t.unchanged(|| async {
        let refused = staff
            .post(&path, &[("_csrf", &staff_token), ("content", "Oui")])
            .await;
        assert_eq!(refused.status, 403);
        let empty = owner
            .post(&path, &[("_csrf", &token), ("content", "  ")])
            .await;
        assert_eq!(empty.status, 422);
    })
    .await;
    let sent = owner
        .post(
            &path,
            &[
                ("_csrf", &token),
                ("content", "Oui, la dernière fournée sort à 17 h 30."),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.html);
    let got = fake
        .wait_for("the answer", 10, |r| {
            r.iter().any(|r| {
                r.activity["type"] == "Create" && r.activity["object"]["inReplyTo"] == note_id
            })
        })
        .await;
    let create = got
        .iter()
        .find(|r| r.activity["type"] == "Create" && r.activity["object"]["inReplyTo"] == note_id)
        .unwrap();
    assert!(create.verified, "signed by the shop");
    crate::schemas::assert_valid("activity-create", &create.activity);
    let answer = &create.activity["object"];
    assert!(answer["content"].as_str().unwrap().contains("17 h 30"));
    assert_eq!(answer["tag"][0]["type"], "Mention");
    assert_eq!(answer["tag"][0]["href"], alice);
    // Its document is served where its id says.
    let doc = t
        .client
        .get(answer["id"].as_str().unwrap())
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(doc.status(), 200);
    let doc: serde_json::Value = doc.json().await.unwrap();
    crate::schemas::assert_valid("reply-note", &doc);
    assert_eq!(doc["inReplyTo"], note_id);
    let panel = owner.get("/dashboard/shops/boulangerie/fediverse").await;
    assert!(panel.html.contains("répondu"));
}

#[tokio::test]
async fn the_admin_names_the_site_chooses_its_licence_and_uploads_a_logo() {
    use reqwest::multipart::{Form, Part};
    let t = spawn().await;
    t.merchant("cave").await;
    let mut admin = person(&t, "admin@ville.fr", None, true).await;
    let page = admin.get("/dashboard/admin/settings").await;
    assert_eq!(page.status, 200);
    let token = page.csrf();
    let logo = {
        let img = image::RgbImage::from_fn(600, 300, |x, _| image::Rgb([(x % 256) as u8, 40, 90]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let form = |name: &str| {
        Form::new()
            .text("_csrf", token.clone())
            .text("name", name.to_string())
            .text("description", "Les commerces du centre-ville, en ligne.")
            .text("operator", "Mairie de Rambouillet")
            .text("contact", "commerces@rambouillet.fr")
            .text("licence", "odbl-1.0")
    };
    // An empty name is refused and nothing changes.
    t.unchanged(|| async {
        let bad = admin
            .post_multipart("/dashboard/admin/settings", form(" "))
            .await;
        assert_eq!(bad.status, 422);
    })
    .await;
    let saved = admin
        .post_multipart(
            "/dashboard/admin/settings",
            form("Commerces de Rambouillet").part(
                "logo",
                Part::bytes(logo)
                    .file_name("logo.png")
                    .mime_str("image/png")
                    .unwrap(),
            ),
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let home = reqwest::get(format!("{}/", t.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("<title>Commerces de Rambouillet</title>"),
        "{home}"
    );
    assert!(home.contains("Les commerces du centre-ville, en ligne."));
    let at = home
        .find("/media/site/logo-")
        .expect("the logo in the header");
    let src: String = home[at..].chars().take_while(|c| *c != '"').collect();
    let img = reqwest::get(format!("{}{src}", t.url)).await.unwrap();
    assert_eq!(img.status(), 200);
    let decoded = image::load_from_memory(&img.bytes().await.unwrap()).unwrap();
    assert!(decoded.width() <= 256 && decoded.height() <= 256);
    let about = reqwest::get(format!("{}/about", t.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(about.contains("Open Database License") && about.contains("Mairie de Rambouillet"));
    let feed = reqwest::get(format!("{}/feed.atom", t.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(feed.contains("<rights>Open Database License (ODbL) 1.0</rights>"));
    // A shop's owner may not change the site.
    let mut owner = person(
        &t,
        "o@cave.fr",
        Some(("cave", etal_node::model::account::Role::Owner)),
        false,
    )
    .await;
    assert_eq!(owner.get("/dashboard/admin/settings").await.status, 403);
}

#[tokio::test]
async fn a_block_covers_subdomains_and_a_final_dot_but_not_lookalikes() {
    let t = spawn().await;
    let admin = etal_node::domain::authz::Caller::Operator;
    moderation::block(&t.node.cx, &admin, "https://Spam.Example./", Some("spam"))
        .await
        .unwrap();
    for (host, blocked) in [
        ("spam.example", true),
        ("spam.example.", true),
        ("cdn.spam.example.", true),
        ("notspam.example", false),
        ("spam.example.org", false),
    ] {
        assert_eq!(
            moderation::is_blocked(&t.node.cx, host).await.unwrap(),
            blocked,
            "{host}"
        );
    }
}
