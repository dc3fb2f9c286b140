//! Previews as crawlers read them: tags, JSON-LD, oEmbed, share cards.

use super::*;

#[tokio::test]
async fn product_and_shop_pages_preview_as_crawlers_read_them() {
    let t = spawn().await;
    let (slug, id) = bakery(&t).await;
    let p = page_with(
        &t,
        &format!("/products/{id}"),
        &[("user-agent", "facebookexternalhit/1.1")],
    )
    .await;
    assert_eq!(p.status, 200);
    assert!(p.header("content-type").unwrap().starts_with("text/html"));
    let url = format!("{}/products/{id}", t.url);
    let meta = p.meta();
    assert_eq!(meta["og:type"], "product");
    assert_eq!(meta["og:title"], "Pain de campagne — 3,20 € / pièce");
    assert_eq!(meta["og:url"], url);
    assert_eq!(p.link("canonical", None).unwrap(), url);
    assert_eq!(meta["product:price:amount"], "3.20");
    assert_eq!(meta["product:price:currency"], "EUR");
    assert_eq!(meta["og:site_name"], t.node.cx.settings.site.name);
    assert_eq!(meta["og:locale"], "fr_FR");
    assert_eq!(meta["twitter:card"], "summary_large_image");
    assert_eq!(meta["og:image:width"], "1200");
    assert_eq!(meta["og:image:height"], "630");
    assert!(meta["og:image:alt"].contains("Pain de campagne"));
    assert!(meta["description"].contains("3,20 €"));
    assert_eq!(
        meta["fediverse:creator"],
        format!("@boulangerie@{}", t.node.cx.urls.host())
    );
    assert!(p
        .html
        .contains("<title>Pain de campagne — 3,20 € / pièce — Boulangerie Martin</title>"));
    assert_eq!(
        p.link("alternate", Some("application/activity+json"))
            .unwrap(),
        url
    );
    // The share card: a 1200×630 JPEG under 300 KB, with the photo.
    let card = meta["og:image"].clone();
    assert!(card.starts_with(&t.url), "absolute: {card}");
    let (ct, w, h, size) = image_at(&t, &card).await;
    assert_eq!((ct.as_str(), w, h), ("image/jpeg", 1200, 630));
    assert!(size <= 300 * 1024, "{size} bytes");
    // schema.org, as Google reads it.
    let ld = p.json_ld();
    let graph = ld["@graph"].as_array().unwrap();
    let product = graph.iter().find(|v| v["@type"] == "Product").unwrap();
    assert_eq!(product["name"], "Pain de campagne");
    assert_eq!(product["gtin"], "3017620422003");
    assert_eq!(product["offers"]["price"], "3.20");
    assert_eq!(product["offers"]["priceCurrency"], "EUR");
    assert_eq!(
        product["offers"]["availability"],
        "https://schema.org/InStock"
    );
    assert_eq!(product["offers"]["seller"]["name"], "Boulangerie Martin");
    assert!(product["image"].as_array().unwrap().len() >= 2);
    let crumbs = graph
        .iter()
        .find(|v| v["@type"] == "BreadcrumbList")
        .unwrap();
    assert_eq!(crumbs["itemListElement"].as_array().unwrap().len(), 3);
    // The photo with its sizes, the merchant's words, the follow box.
    assert!(p.html.contains("srcset=\""));
    assert!(
        p.html.contains("du mardi au samedi, 7 h – 19 h 30"),
        "hours in words"
    );
    assert!(p
        .html
        .contains(&format!("@boulangerie@{}", t.node.cx.urls.host())));
    // Weight: HTML and CSS under 50 KB.
    let css = t
        .client
        .get(format!("{}{}", t.url, p.link("stylesheet", None).unwrap()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        p.html.len() + css.len() <= 50 * 1024,
        "{} + {}",
        p.html.len(),
        css.len()
    );
    // oEmbed.
    let oembed = p
        .link("alternate", Some("application/json+oembed"))
        .unwrap();
    let doc: Value = fetch(&t, &oembed, &[]).await.json().await.unwrap();
    assert_eq!(doc["version"], "1.0");
    assert_eq!(doc["author_name"], "Boulangerie Martin");
    assert_eq!(doc["thumbnail_width"], 1200);

    // The shop.
    let s = page(&t, &format!("/shops/{slug}")).await;
    assert_eq!(s.status, 200);
    let meta = s.meta();
    assert_eq!(meta["og:title"], "Boulangerie Martin");
    assert_eq!(meta["twitter:card"], "summary_large_image");
    let (ct, w, h, _) = image_at(&t, &meta["og:image"]).await;
    assert_eq!((ct.as_str(), w, h), ("image/jpeg", 1200, 630));
    let ld = s.json_ld();
    let business = ld["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["@type"] == "Bakery")
        .unwrap();
    assert_eq!(business["address"]["postalCode"], "78120");
    assert_eq!(business["geo"]["latitude"], 48.6447);
    assert_eq!(business["telephone"], "+33 1 34 83 00 01");
    let hours = business["openingHoursSpecification"].as_array().unwrap();
    assert_eq!(hours[0]["opens"], "07:00");
    assert_eq!(hours[0]["closes"], "19:30");
    assert_eq!(hours[0]["dayOfWeek"].as_array().unwrap().len(), 5);
    assert!(s.html.contains("le dimanche, 7 h – 13 h"));
    assert!(
        s.html.contains("id=\"map\""),
        "map for browsers with JavaScript"
    );
    assert!(
        s.html
            .contains("openstreetmap.org/directions?to=48.6447,1.8302"),
        "and a link without"
    );
    // The same URL still answers ActivityPub to servers.
    let ap = fetch(
        &t,
        &format!("/shops/{slug}"),
        &[(ACCEPT.as_str(), "application/activity+json")],
    )
    .await;
    assert!(ap.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("activity+json"));
}

/// Every page type has a title, a description, a canonical URL and a large share image.
#[tokio::test]
async fn every_page_type_previews_with_a_large_image() {
    let t = spawn().await;
    let (slug, id) = bakery(&t).await;
    for path in [
        "/".to_string(),
        "/search?q=pain".into(),
        "/categories/food".into(),
        "/categories/food.bakery".into(),
        "/tags/levain".into(),
        "/about".into(),
        format!("/shops/{slug}"),
        format!("/products/{id}"),
    ] {
        let p = page(&t, &path).await;
        assert_eq!(p.status, 200, "{path}");
        let meta = p.meta();
        for key in [
            "og:title",
            "og:description",
            "og:url",
            "og:site_name",
            "og:locale",
            "description",
        ] {
            assert!(
                !meta.get(key).map_or("", String::as_str).is_empty(),
                "{path}: {key}"
            );
        }
        assert!(
            p.html.contains("<title>") && p.link("canonical", None).is_some(),
            "{path}"
        );
        assert_eq!(meta["twitter:card"], "summary_large_image", "{path}");
        let (ct, w, h, size) = image_at(&t, &meta["og:image"]).await;
        assert_eq!((ct.as_str(), w, h), ("image/jpeg", 1200, 630), "{path}");
        assert!(size <= 300 * 1024);
    }
}

#[tokio::test]
async fn share_cards_are_drawn_again_when_the_product_changes() {
    let t = spawn().await;
    let (_, id) = bakery(&t).await;
    let card = |p: Page| p.meta()["og:image"].clone();
    let before = card(page(&t, &format!("/products/{id}")).await);
    image_at(&t, &before).await;
    let a = t
        .patch(
            &format!("/api/v1/products/{id}"),
            json!({"name": "Pain de seigle"}),
        )
        .await;
    assert_eq!(a.status, 200);
    let after = card(page(&t, &format!("/products/{id}")).await);
    assert_ne!(before, after, "a new URL, so networks fetch it again");
    let (_, w, h, _) = image_at(&t, &after).await;
    assert_eq!((w, h), (1200, 630));
    let cards = std::fs::read_dir(t.node.cx.settings.data_dir.join("cards/p"))
        .unwrap()
        .count();
    assert_eq!(cards, 1, "the old card is gone");
    // A product without a photo still gets one.
    let plain = t
        .product("boulangerie", json!({"name": "Sablé", "price": "1"}))
        .await;
    let p = page(&t, &format!("/products/{}", plain["id"].as_str().unwrap())).await;
    let (ct, w, h, _) = image_at(&t, &p.meta()["og:image"]).await;
    assert_eq!((ct.as_str(), w, h), ("image/jpeg", 1200, 630));
}
