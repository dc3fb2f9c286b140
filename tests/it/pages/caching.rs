//! HTTP: the page cache, ETags and compression, languages, errors, hostile URLs, two processes.

use super::*;

#[tokio::test]
async fn pages_are_cached_revalidated_compressed_and_fresh_after_a_write() {
    let t = spawn().await;
    let (_, id) = bakery(&t).await;
    let path = format!("/products/{id}");
    let first = page(&t, &path).await;
    let etag = first.header("etag").unwrap().to_string();
    assert!(etag.starts_with('"'), "strong ETag: {etag}");
    assert!(first.header("cache-control").unwrap().contains("max-age"));
    let again = page(&t, &path).await;
    assert_eq!(again.header("etag").unwrap(), etag);
    assert_eq!(again.html, first.html);
    let (hits, _) = t.node.pages.stats();
    assert!(hits >= 1, "the second answer came from the cache");
    let revalidated = page_with(&t, &path, &[("if-none-match", &etag)]).await;
    assert_eq!(revalidated.status, 304);
    assert!(revalidated.html.is_empty());
    // Compressed copies.
    for (encoding, name) in [("br", "br"), ("gzip", "gzip")] {
        let res = t
            .client
            .get(format!("{}{path}", t.url))
            .header(ACCEPT, "text/html")
            .header(ACCEPT_ENCODING, encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["content-encoding"], name);
        assert!(
            res.headers()["vary"]
                .to_str()
                .unwrap()
                .contains("Accept-Encoding")
                || res
                    .headers()
                    .get_all("vary")
                    .iter()
                    .any(|v| v.to_str().unwrap().contains("Accept-Encoding"))
        );
        let tag = res.headers()["etag"].to_str().unwrap().to_string();
        let body = res.bytes().await.unwrap();
        assert!(
            body.len() < first.html.len() / 2,
            "{encoding}: {} bytes",
            body.len()
        );
        let mut text = String::new();
        if name == "br" {
            brotli::Decompressor::new(&body[..], 4096)
                .read_to_string(&mut text)
                .unwrap();
        } else {
            flate2::read::GzDecoder::new(&body[..])
                .read_to_string(&mut text)
                .unwrap();
        }
        assert_eq!(text, first.html);
        let r = t
            .client
            .get(format!("{}{path}", t.url))
            .header(ACCEPT, "text/html")
            .header(IF_NONE_MATCH, tag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304);
    }
    // A write shows at once.
    let a = t
        .patch(
            &path.replace("/products/", "/api/v1/products/"),
            json!({"price": "3.50"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let after = page(&t, &path).await;
    assert!(
        after.html.contains("3,50 €"),
        "the new price, not the cached page"
    );
    assert_ne!(after.header("etag").unwrap(), etag);
    assert_eq!(
        page_with(&t, &path, &[("if-none-match", &etag)])
            .await
            .status,
        200
    );
    // Static files: versioned, compressed, kept a year.
    let css = first.link("stylesheet", None).unwrap();
    assert!(css.contains("?v="));
    let res = fetch(&t, &css, &[(ACCEPT_ENCODING.as_str(), "gzip")]).await;
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert_eq!(res.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn languages_follow_the_browser_and_the_switch() {
    let t = spawn().await;
    let (slug, _) = bakery(&t).await;
    let fr = page(&t, &format!("/shops/{slug}")).await;
    assert!(fr.html.starts_with("<!doctype html>\n<html lang=\"fr\">"));
    let en = page_with(
        &t,
        &format!("/shops/{slug}"),
        &[("accept-language", "en-GB,en;q=0.8")],
    )
    .await;
    assert!(en.html.contains("<html lang=\"en\">"));
    assert!(en.html.contains("Tuesday to Saturday, 7 am – 7:30 pm"));
    assert!(en.html.contains("€3.20 / item"));
    assert_eq!(en.meta()["og:locale"], "en_GB");
    // The switch: a link, then a cookie that keeps the choice.
    let switch = fr.html.split("class=\"lang\" href=\"").nth(1).unwrap();
    let switch = unescape(&switch[..switch.find('"').unwrap()]);
    assert_eq!(switch, format!("/shops/{slug}?lang=en"));
    let res = fetch(&t, &switch, &[]).await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("lang=en;"), "{cookie}");
    assert!(res.text().await.unwrap().contains("<html lang=\"en\">"));
    let kept = page_with(&t, "/", &[("cookie", "lang=en"), ("accept-language", "fr")]).await;
    assert!(kept.html.contains("<html lang=\"en\">"));
    assert_eq!(
        page_with(&t, "/", &[(ACCEPT_LANGUAGE.as_str(), "fr")])
            .await
            .meta()["og:locale"],
        "fr_FR"
    );
}

#[tokio::test]
async fn errors_are_pages_for_browsers_and_problems_for_programs() {
    let t = spawn().await;
    let (_, id) = bakery(&t).await;
    for path in [
        "/products/00000000-0000-7000-8000-000000000000",
        "/products/nonsense",
        "/shops/nobody",
        "/nothing/here",
        "/categories/nope",
    ] {
        let p = page(&t, path).await;
        assert_eq!(p.status, 404, "{path}");
        assert!(
            p.header("content-type").unwrap().starts_with("text/html"),
            "{path}"
        );
        assert!(
            p.html.contains("<main") && p.html.contains("href=\"/\""),
            "{path}"
        );
        assert!(p.meta()["robots"].contains("noindex"));
    }
    t.get("/nothing/here").await.problem(404);
    assert_eq!(
        t.delete(&format!("/api/v1/products/{id}")).await.status,
        204
    );
    let gone = page(&t, &format!("/products/{id}")).await;
    assert_eq!(gone.status, 410);
    assert!(gone.html.contains("<h1>Cette page n’existe plus</h1>"));
}

/// Review findings: made-up parameters do not enter the cache, a search near the antimeridian
/// works, a control character in a name does not break the feed.
#[tokio::test]
async fn hostile_urls_and_names_do_not_break_pages() {
    let t = spawn().await;
    bakery(&t).await;
    page(&t, "/").await;
    let (hits, misses) = t.node.pages.stats();
    for n in 0..5 {
        assert_eq!(page(&t, &format!("/?junk={n}")).await.status, 200);
    }
    assert_eq!(
        t.node.pages.stats(),
        (hits, misses),
        "junk URLs bypass the cache"
    );
    let edge = page(&t, "/search?q=pain&lat=-89.99&lon=-179.99&km=5").await;
    assert_eq!(edge.status, 200, "a circle across the antimeridian");
    let a = t
        .post(
            "/api/v1/merchants/boulangerie/products",
            json!({"name": "Pain\u{1}bis", "price": "1"}),
        )
        .await;
    if a.status == 201 {
        let feed = fetch(&t, "/feed.atom", &[]).await.text().await.unwrap();
        assert!(
            !feed.contains('\u{1}'),
            "XML 1.0 forbids control characters"
        );
        assert!(feed.contains("Painbis"));
    } else {
        a.problem(422);
    }
}

/// Two node processes on one PostgreSQL database: a write through one is seen at once
/// through the other, which checks the database's change count before serving a kept page.
#[tokio::test]
#[ignore = "needs PostgreSQL: run with ETAL_TEST_DATABASE_URL and --include-ignored"]
async fn a_write_through_one_process_is_seen_at_once_through_another() {
    if !on_postgres() {
        return;
    }
    let one = spawn().await;
    let database_url = one.node.cx.settings.database_url.clone();
    let two = spawn_with(move |s| s.database_url = database_url).await;
    let (_, id) = bakery(&one).await;
    let path = format!("/products/{id}");
    // Give the second process's listener time to connect (it clears its cache when it does).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for round in 0..20 {
        let cached = page(&two, &path).await;
        assert_eq!(
            page(&two, &path).await.header("etag"),
            cached.header("etag")
        );
        let price = format!("{}.{:02}", 4 + round, round);
        let a = one
            .patch(&format!("/api/v1/products/{id}"), json!({"price": price}))
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        let shown = format!("{},{:02} €", 4 + round, round);
        let seen = page(&two, &path).await;
        assert!(
            seen.html.contains(&shown),
            "round {round}: process two still shows the old page"
        );
    }
}
