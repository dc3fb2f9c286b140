//! Public pages as browsers and crawlers read them: previews (Open Graph, Twitter, JSON-LD,
//! oEmbed, share cards), search, languages, errors, caching (ETag, compression, invalidation,
//! across processes), feeds, sitemaps, robots.txt.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use reqwest::header::{ACCEPT, ACCEPT_ENCODING, ACCEPT_LANGUAGE, IF_NONE_MATCH};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::harness::{on_postgres, spawn, spawn_with, TestNode};

/// A fetched page.
struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    html: String,
}

impl Page {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `<meta property|name=… content=…>` as a crawler reads them (no JavaScript).
    fn meta(&self) -> HashMap<String, String> {
        let mut out = HashMap::new();
        for tag in self.html.split("<meta ").skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            let attr = |name: &str| {
                let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
                let end = tag[start..].find('"')? + start;
                Some(unescape(&tag[start..end]))
            };
            if let (Some(k), Some(v)) = (attr("property").or_else(|| attr("name")), attr("content"))
            {
                out.entry(k).or_insert(v);
            }
        }
        out
    }

    fn link(&self, rel: &str, kind: Option<&str>) -> Option<String> {
        for tag in self.html.split("<link ").skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            if tag.contains(&format!("rel=\"{rel}\""))
                && kind.is_none_or(|k| tag.contains(&format!("type=\"{k}\"")))
            {
                let start = tag.find("href=\"")? + 6;
                let end = tag[start..].find('"')? + start;
                return Some(unescape(&tag[start..end]));
            }
        }
        None
    }

    fn json_ld(&self) -> Value {
        let start = self
            .html
            .find("<script type=\"application/ld+json\">")
            .expect("JSON-LD")
            + "<script type=\"application/ld+json\">".len();
        let end = self.html[start..].find("</script>").unwrap() + start;
        serde_json::from_str(&self.html[start..end]).expect("JSON-LD parses")
    }
}

/// Decodes HTML character references, named (the five of XML) and numeric.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let decoded = match entity {
            "quot" => Some('"'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            e => e
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| e.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

async fn page(t: &TestNode, path: &str) -> Page {
    page_with(t, path, &[]).await
}

async fn page_with(t: &TestNode, path: &str, headers: &[(&str, &str)]) -> Page {
    let url = if path.starts_with("http") {
        path.to_string()
    } else {
        format!("{}{path}", t.url)
    };
    let mut req = t
        .client
        .get(url)
        .header(ACCEPT, "text/html,application/xhtml+xml");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let html = res.text().await.unwrap();
    Page {
        status,
        headers,
        html,
    }
}

fn photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(900, 600, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

async fn bakery(t: &TestNode) -> (String, String) {
    let m = t
        .post(
            "/api/v1/merchants",
            json!({"slug": "boulangerie", "name": "Boulangerie Martin", "category": "food.bakery",
                   "description": "Pain au levain cuit au feu de bois.",
                   "address": {"street": "12 rue Chasles", "postal_code": "78120", "city": "Rambouillet"},
                   "geo": {"lat": 48.6447, "lon": 1.8302}, "phone": "+33 1 34 83 00 01",
                   "opening_hours": ["Tu-Sa 07:00-19:30", "Su 07:00-13:00"], "indexable": true}),
        )
        .await;
    assert_eq!(m.status, 201, "{}", m.body);
    let p = t
        .product(
            "boulangerie",
            json!({"name": "Pain de campagne", "price": "3.20", "unit": "piece",
                   "category": "food.bakery", "tags": ["pain", "levain"],
                   "description": "Miche de 800 g au seigle.", "gtin": "3017620422003"}),
        )
        .await;
    let id = p["id"].as_str().unwrap().to_string();
    let form = Form::new().part("file", Part::bytes(photo()).file_name("pain.jpg"));
    let up = t
        .client
        .post(format!("{}/api/v1/products/{id}/images", t.url))
        .bearer_auth(&t.admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), 201);
    (m.body["slug"].as_str().unwrap().to_string(), id)
}

/// Fetches an image and returns (content type, width, height, bytes).
async fn image_at(t: &TestNode, url: &str) -> (String, u32, u32, usize) {
    let res = t.client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    let bytes = res.bytes().await.unwrap();
    let img = image::load_from_memory(&bytes).expect("decodes");
    (ct, img.width(), img.height(), bytes.len())
}

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
    assert_eq!(meta["og:site_name"], t.node.settings.site.name);
    assert_eq!(meta["og:locale"], "fr_FR");
    assert_eq!(meta["twitter:card"], "summary_large_image");
    assert_eq!(meta["og:image:width"], "1200");
    assert_eq!(meta["og:image:height"], "630");
    assert!(meta["og:image:alt"].contains("Pain de campagne"));
    assert!(meta["description"].contains("3,20 €"));
    assert_eq!(
        meta["fediverse:creator"],
        format!("@boulangerie@{}", t.node.urls.host())
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
        .contains(&format!("@boulangerie@{}", t.node.urls.host())));
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
    let doc: Value = t
        .client
        .get(&oembed)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let ap = t
        .client
        .get(format!("{}/shops/{slug}", t.url))
        .header(ACCEPT, "application/activity+json")
        .send()
        .await
        .unwrap();
    assert!(ap.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("activity+json"));
}

#[tokio::test]
async fn search_is_french_aware_ranked_and_filtered() {
    let t = spawn().await;
    for (slug, cat, lat) in [
        ("primeur", "food.produce", 48.64),
        ("epicerie", "food.grocery", 45.76),
    ] {
        let a = t
            .post(
                "/api/v1/merchants",
                json!({"slug": slug, "name": if slug == "epicerie" { "Épicerie du Marché" } else { "Les Saisons" },
                       "category": cat, "geo": {"lat": lat, "lon": 1.83},
                       "address": {"postal_code": "78120", "city": "Rambouillet"}}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
    }
    let mk = |slug: &'static str, body: Value| {
        let t = &t;
        async move {
            t.product(slug, body).await["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let golden = mk(
        "primeur",
        json!({"name": "Pomme Golden", "price": "2.90", "unit": "kg", "category": "food.produce"}),
    )
    .await;
    let _compote = mk("epicerie", json!({"name": "Compote maison", "price": "4", "description": "Faite avec des pommes du verger.", "category": "food.grocery"})).await;
    let _riz = mk("epicerie", json!({"name": "Riz de Camargue", "price": "3", "availability": "out_of_stock", "category": "food.grocery"})).await;
    let names = |p: &Page| -> Vec<String> {
        p.html
            .split("<span class=\"name\">")
            .skip(1)
            .map(|s| unescape(&s[..s.find('<').unwrap()]))
            .collect()
    };
    // Plural and singular meet; a match in the name ranks above one in the description.
    let p = page(&t, "/search?q=pommes").await;
    assert_eq!(names(&p), ["Pomme Golden", "Compote maison"]);
    // Accents folded, and the shop's name counts.
    assert_eq!(names(&page(&t, "/search?q=epicerie").await).len(), 2);
    assert_eq!(
        names(&page(&t, "/search?q=EPICERIE%20riz").await),
        ["Riz de Camargue"]
    );
    // Filters.
    assert_eq!(
        names(&page(&t, "/search?q=pomme&category=food.produce").await),
        ["Pomme Golden"]
    );
    assert_eq!(
        names(&page(&t, "/search?category=food&availability=in_stock").await),
        ["Compote maison", "Pomme Golden"]
    );
    assert_eq!(
        names(&page(&t, "/search?shop=epicerie").await),
        ["Riz de Camargue", "Compote maison"]
    );
    assert_eq!(
        names(&page(&t, "/search?q=pomme&lat=48.6&lon=1.8&km=20").await),
        ["Pomme Golden"]
    );
    let around = page(&t, "/search?lat=45.7&lon=1.8&km=20").await;
    assert_eq!(names(&around), ["Riz de Camargue", "Compote maison"]);
    assert!(around.html.contains("2 résultats"));
    let bad = page(&t, "/search?q=pomme&lat=north&lon=1").await;
    assert_eq!(bad.status, 200);
    assert!(
        bad.html.contains("role=\"alert\""),
        "a bad filter is explained, not fatal"
    );
    let none = page(&t, "/search?q=xylophone").await;
    assert!(names(&none).is_empty());
    assert!(none.html.contains("0 résultats"));
    // The index follows every write, in its transaction.
    let a = t
        .patch(
            &format!("/api/v1/products/{golden}"),
            json!({"name": "Poire Williams"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        names(&page(&t, "/search?q=pommes").await),
        ["Compote maison"]
    );
    assert_eq!(
        names(&page(&t, "/search?q=poires").await),
        ["Poire Williams"]
    );
    let a = t
        .patch(
            "/api/v1/merchants/primeur",
            json!({"name": "Au Jardin de Lucie"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        names(&page(&t, "/search?q=jardins").await),
        ["Poire Williams"]
    );
    assert_eq!(
        t.delete(&format!("/api/v1/products/{golden}")).await.status,
        204
    );
    assert!(names(&page(&t, "/search?q=poire").await).is_empty());
    // The API's q filter uses the same index.
    let api = t.get("/api/v1/products?q=pommes").await;
    assert_eq!(api.body["items"].as_array().unwrap().len(), 1);
}

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
    let res = t
        .client
        .get(format!("{}{css}", t.url))
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
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
    let res = t
        .client
        .get(format!("{}{switch}", t.url))
        .send()
        .await
        .unwrap();
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
    let feed = t
        .client
        .get(format!("{}/feed.atom", t.url))
        .send()
        .await
        .unwrap();
    assert!(feed.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let feed = feed.text().await.unwrap();
    assert!(feed.contains("<title>Pain de campagne</title>"));
    assert!(!feed.contains("Secret de famille"));
    let own = t
        .client
        .get(format!("{}/shops/discret/feed.atom", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(own.headers()["x-robots-tag"], "noindex");
    assert!(own.text().await.unwrap().contains("Secret de famille"));
    assert!(page(&t, "/shops/discret").await.meta()["robots"].contains("noindex"));
    assert!(!page(&t, "/shops/boulangerie")
        .await
        .meta()
        .contains_key("robots"));
    let robots = t
        .client
        .get(format!("{}/robots.txt", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(robots.contains(&format!("Sitemap: {}/sitemap.xml", t.url)));
    let index = t
        .client
        .get(format!("{}/sitemap.xml", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(index.contains("<sitemapindex"));
    let mut urls = String::new();
    for loc in index.split("<loc>").skip(1) {
        let loc = &loc[..loc.find('<').unwrap()];
        urls.push_str(
            &t.client
                .get(loc)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
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
    let cards = std::fs::read_dir(t.node.settings.data_dir.join("cards/p"))
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

/// Two node processes on one PostgreSQL database: a write through one is seen at once
/// through the other, whose page cache hears of it by LISTEN/NOTIFY.
#[tokio::test]
#[ignore = "needs PostgreSQL: run with ETAL_TEST_DATABASE_URL and --include-ignored"]
async fn a_write_through_one_process_is_seen_at_once_through_another() {
    if !on_postgres() {
        return;
    }
    let one = spawn().await;
    let database_url = one.node.settings.database_url.clone();
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
        let feed = t
            .client
            .get(format!("{}/feed.atom", t.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !feed.contains('\u{1}'),
            "XML 1.0 forbids control characters"
        );
        assert!(feed.contains("Painbis"));
    } else {
        a.problem(422);
    }
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
