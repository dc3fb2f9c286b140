//! Feeds, sitemaps, robots.txt, and the follow box.

use super::*;
use crate::fedi::FakeServer;

#[tokio::test]
async fn feeds_and_sitemaps_keep_out_shops_without_consent() {
    let t = spawn().await;
    bakery(&t).await;
    t.merchant("discret").await; // indexable defaults to false
    t.product(
        "discret",
        json!({"name": "Secret de famille", "price": "9"}),
    )
    .await;
    let feed = fetch(&t, "/feed.atom", &[]).await;
    assert!(feed.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let feed = feed.text().await.unwrap();
    assert!(feed.contains("<title>Pain de campagne</title>"));
    assert!(!feed.contains("Secret de famille"));
    let own = fetch(&t, "/shops/discret/feed.atom", &[]).await;
    assert_eq!(own.headers()["x-robots-tag"], "noindex");
    assert!(own.text().await.unwrap().contains("Secret de famille"));
    assert!(page(&t, "/shops/discret").await.meta()["robots"].contains("noindex"));
    assert!(!page(&t, "/shops/boulangerie")
        .await
        .meta()
        .contains_key("robots"));
    let robots = fetch(&t, "/robots.txt", &[]).await.text().await.unwrap();
    assert!(robots.contains(&format!("Sitemap: {}/sitemap.xml", t.url)));
    let index = fetch(&t, "/sitemap.xml", &[]).await.text().await.unwrap();
    assert!(index.contains("<sitemapindex"));
    let mut urls = String::new();
    for loc in index.split("<loc>").skip(1) {
        let loc = &loc[..loc.find('<').unwrap()];
        urls.push_str(&fetch(&t, loc, &[]).await.text().await.unwrap());
    }
    assert!(urls.contains("/shops/boulangerie</loc><lastmod>"));
    assert!(urls.contains("/products/"));
    assert!(!urls.contains("discret"));
    assert_eq!(urls.matches("/products/").count(), 1);
}

#[tokio::test]
async fn the_follow_box_sends_visitors_to_their_own_server() {
    let t = spawn().await;
    bakery(&t).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // A bare server name (what the box first asked) goes to Mastodon's page, as it always did.
    for typed in [
        "mastodon.social",
        "@mastodon.social",
        "https://mastodon.social/",
    ] {
        let res = client
            .get(format!(
                "{}/follow?shop=boulangerie&server={}",
                t.url,
                url::form_urlencoded::byte_serialize(typed.as_bytes()).collect::<String>()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{typed}");
        let to = res.headers()["location"].to_str().unwrap();
        assert_eq!(
            to,
            format!(
                "https://mastodon.social/authorize_interaction?uri={}",
                url::form_urlencoded::byte_serialize(
                    format!("{}/shops/boulangerie", t.url).as_bytes()
                )
                .collect::<String>()
            )
        );
    }
    let bad = t
        .get("/follow?shop=boulangerie&server=javascript:alert(1)")
        .await;
    bad.problem(400);
    assert!(bad.body["detail"].as_str().unwrap().starts_with("server:"));
}

/// `x` percent-encoded as the node puts it in a template.
fn encoded(x: &str) -> String {
    url::form_urlencoded::byte_serialize(x.as_bytes()).collect()
}

/// GETs `/follow?…` without following the redirect: (status, Location, body).
async fn follow_box(t: &TestNode, query: &str) -> (u16, Option<String>, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client
        .get(format!("{}/follow?{query}", t.url))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, location, res.text().await.unwrap())
}

/// The handle `alice` has on `fake`, as a visitor types it.
fn alice(fake: &FakeServer) -> String {
    encoded(&format!(
        "@alice@{}",
        fake.base.trim_start_matches("http://")
    ))
}

#[tokio::test]
async fn the_follow_box_sends_visitors_where_their_server_says() {
    let t = spawn().await;
    let (slug, pid) = bakery(&t).await;
    let shop = encoded(&format!("{}/shops/{slug}", t.url));
    let product = encoded(&format!("{}/products/{pid}", t.url));

    // Mastodon: only OStatus's subscribe template, for a shop as for a product.
    let masto = FakeServer::start().await;
    let (status, to, _) = follow_box(&t, &format!("shop={slug}&server={}", alice(&masto))).await;
    assert_eq!(status, 303);
    assert_eq!(
        to.unwrap(),
        format!("{}/authorize_interaction?uri={shop}", masto.base)
    );
    let (status, to, _) = follow_box(&t, &format!("product={pid}&server={}", alice(&masto))).await;
    assert_eq!(status, 303);
    assert_eq!(
        to.unwrap(),
        format!("{}/authorize_interaction?uri={product}", masto.base)
    );
    assert_eq!(masto.hits("/.well-known/webfinger"), 2);

    // Mitra: the FEP-3b86 intents before OStatus's template, Follow for a shop, Object for
    // a product; `alice@host` as well as `@alice@host`.
    let mitra = FakeServer::start_mitra().await;
    let bare = encoded(&format!(
        "alice@{}",
        mitra.base.trim_start_matches("http://")
    ));
    for typed in [alice(&mitra), bare] {
        let (status, to, _) = follow_box(&t, &format!("shop={slug}&server={typed}")).await;
        assert_eq!(status, 303);
        assert_eq!(
            to.unwrap(),
            format!("{}/intents/follow?object={shop}", mitra.base)
        );
    }
    let (status, to, _) = follow_box(&t, &format!("product={pid}&server={}", alice(&mitra))).await;
    assert_eq!(status, 303);
    assert_eq!(
        to.unwrap(),
        format!("{}/intents/object?object={product}", mitra.base)
    );

    // A template on another host is followed only over https.
    let elsewhere = FakeServer::start().await;
    elsewhere.set_intent_links(vec![
        json!({"rel": "https://w3id.org/fep/3b86/Follow", "template": "http://elsewhere.example/follow?u={object}"}),
        json!({"rel": "http://ostatus.org/schema/1.0/subscribe", "template": "https://elsewhere.example/share?uri={uri}"}),
    ]);
    let (status, to, _) =
        follow_box(&t, &format!("shop={slug}&server={}", alice(&elsewhere))).await;
    assert_eq!(status, 303);
    assert_eq!(
        to.unwrap(),
        format!("https://elsewhere.example/share?uri={shop}")
    );

    // A product's bare server name goes to Mastodon's page with the product.
    let (status, to, _) = follow_box(&t, &format!("product={pid}&server=mastodon.social")).await;
    assert_eq!(status, 303);
    assert_eq!(
        to.unwrap(),
        format!("https://mastodon.social/authorize_interaction?uri={product}")
    );
    // An unknown product is a missing page, as an unknown shop is.
    let (status, _, _) = follow_box(
        &t,
        "product=0190f5d6-0000-7000-8000-000000000000&server=mastodon.social",
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = follow_box(&t, "shop=nowhere&server=mastodon.social").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn without_a_template_the_follow_box_says_what_to_paste() {
    let t = spawn().await;
    let (slug, pid) = bakery(&t).await;
    let node_host = t.url.trim_start_matches("http://").to_string();
    let handle = format!("@{slug}@{node_host}");

    // GoToSocial names no template: the page says, in the visitor's language, to paste the
    // shop's handle into the app's search box; nothing else of the server is asked.
    let gts = FakeServer::start_gotosocial().await;
    let p = page(&t, &format!("/follow?shop={slug}&server={}", alice(&gts))).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.header("cache-control"), Some("no-store"));
    assert!(p.meta()["robots"].contains("noindex"));
    assert!(p.html.contains("<html lang=\"fr\""));
    assert!(
        unescape(&p.html).contains(&format!("<code id=\"handle\">{handle}</code>")),
        "{}",
        p.html
    );
    assert!(p.html.contains("data-copy=\"handle\""));
    assert!(p.html.contains("collez son adresse dans la recherche"));
    assert_eq!(gts.hits("/.well-known/webfinger"), 1);
    assert_eq!(gts.hits_under("/"), 1);
    let en = page(
        &t,
        &format!("/follow?shop={slug}&server={}&lang=en", alice(&gts)),
    )
    .await;
    assert!(en.html.contains("paste its handle into the search box"));
    assert!(unescape(&en.html).contains(&handle));
    // For a product, its address.
    let p = page(&t, &format!("/follow?product={pid}&server={}", alice(&gts))).await;
    assert_eq!(p.status, 200);
    assert!(unescape(&p.html).contains(&format!(
        "<code id=\"handle\">{}/products/{pid}</code>",
        t.url
    )));

    // No server there at all: the same page.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = gone.local_addr().unwrap().port();
    drop(gone);
    let (status, to, body) = follow_box(
        &t,
        &format!(
            "shop={slug}&server={}",
            encoded(&format!("alice@localhost:{port}"))
        ),
    )
    .await;
    assert_eq!((status, to), (200, None));
    assert!(unescape(&body).contains(&handle));

    // Templates that are not http(s) on the visitor's server nor https are never followed.
    let hostile = FakeServer::start().await;
    hostile.set_intent_links(vec![
        json!({"rel": "https://w3id.org/fep/3b86/Follow", "template": "javascript:alert(document.domain)//{object}"}),
        json!({"rel": "http://ostatus.org/schema/1.0/subscribe", "template": "data:text/html,<script>alert(1)</script>{uri}"}),
        json!({"rel": "http://ostatus.org/schema/1.0/subscribe", "template": "http://elsewhere.example/follow?u={uri}"}),
    ]);
    let (status, to, body) =
        follow_box(&t, &format!("shop={slug}&server={}", alice(&hostile))).await;
    assert_eq!((status, to), (200, None));
    assert!(!body.contains("javascript:"));
    assert!(unescape(&body).contains(&handle));

    // Neither a handle nor a server: the problem answer, as before.
    for bad in [
        "alice%20bob%40mastodon.social",
        "alice%40",
        "javascript%3Aalert(1)",
    ] {
        let a = t.get(&format!("/follow?shop={slug}&server={bad}")).await;
        a.problem(400);
        assert!(a.body["detail"].as_str().unwrap().starts_with("server:"));
    }
}

#[tokio::test]
async fn the_follow_box_looks_up_no_loopback_handle_without_private_networks() {
    let t = spawn_with(|s| s.allow_private_networks = false).await;
    let (slug, _) = bakery(&t).await;
    let masto = FakeServer::start_on_ip().await;
    let (status, to, body) = follow_box(&t, &format!("shop={slug}&server={}", alice(&masto))).await;
    assert_eq!((status, to), (200, None));
    assert!(unescape(&body).contains(&format!("@{slug}@")));
    assert_eq!(masto.hits_under("/"), 0);
}
