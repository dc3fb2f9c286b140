//! Feeds, sitemaps, robots.txt, and the follow box.

use super::*;

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
    for typed in [
        "mastodon.social",
        "@alice@mastodon.social",
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
