//! Writes under attack: thousands of tags, decompression bombs, tags with quotes and accents.

use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::federation::{add_photo, shop_with_product};
use crate::harness::{spawn, TestNode};

/// Thousands of tags are refused on their count, before the write transaction: another
/// shop's change is not held up.
#[tokio::test]
async fn thousands_of_tags_are_refused_at_once_and_hold_no_lock() {
    let t = spawn().await;
    t.merchant("bombe").await;
    t.merchant("voisin").await;
    let p = t
        .product("bombe", json!({"name": "Pain", "price": "1.00"}))
        .await;
    let other = t
        .product("voisin", json!({"name": "Lait", "price": "1.00"}))
        .await;
    let tags: Vec<String> = (0..32_000).map(|i| format!("t{i}")).collect();
    let before = t.snapshot().await;
    let bomb_path = format!("/api/v1/products/{}", p["id"].as_str().unwrap());
    let bomb = t.patch(&bomb_path, json!({"tags": tags}));
    // The neighbour changes its product every 50 ms while the bomb is under way, and notes
    // its longest wait.
    let done = std::sync::atomic::AtomicBool::new(false);
    let neighbour = async {
        let mut longest = Duration::ZERO;
        let mut last = None;
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            let started = Instant::now();
            let a = t
                .patch(
                    &format!("/api/v1/products/{}", other["id"].as_str().unwrap()),
                    json!({"price": "1.10"}),
                )
                .await;
            longest = longest.max(started.elapsed());
            last = Some(a);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (last.expect("at least one change"), longest)
    };
    let bomb = async {
        let a = bomb.await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        a
    };
    let (bomb, (neighbour, waited)) = tokio::join!(bomb, neighbour);
    bomb.problem(422);
    assert_eq!(bomb.fields(), ["tags"]);
    assert!(
        bomb.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 20 tags"),
        "{}",
        bomb.body
    );
    assert_eq!(neighbour.status, 200, "{}", neighbour.body);
    assert!(
        waited < Duration::from_secs(3),
        "another shop's change waited {waited:?}"
    );
    let a = t
        .post(
            "/api/v1/merchants/bombe/products",
            json!({"name": "Brioche", "price": "2.00", "tags": (0..32_000).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
        )
        .await;
    a.problem(422);
    assert_eq!(a.fields(), ["tags"]);
    let after = t.snapshot().await;
    assert_eq!(
        before["products"].len(),
        after["products"].len(),
        "no product was created"
    );
}

#[tokio::test]
async fn tags_match_whatever_their_characters_and_case() {
    let t = spawn().await;
    t.merchant("epicerie").await;
    let p = t
        .product(
            "epicerie",
            json!({"name": "Sirop", "price": "3.00", "tags": ["Été", "a\"b", "c\\d", "100%", "パン"]}),
        )
        .await;
    let other = t
        .product(
            "epicerie",
            json!({"name": "Autre", "price": "3.00", "tags": ["b", "cd", "100", "pan"]}),
        )
        .await;
    let id = p["id"].as_str().unwrap();
    let tagged = |tag: &'static str| {
        let mut url = url::Url::parse(&format!("{}/api/v1/products", t.url)).unwrap();
        url.query_pairs_mut().append_pair("tag", tag);
        url
    };
    // Other scripts are not transliterated: パン is not "pan".
    let a = t.send(t.client.get(tagged("pan"))).await;
    assert_eq!(a.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(a.body["items"][0]["id"], other["id"]);
    for tag in ["été", "ÉTÉ", "ete", "a\"b", "c\\d", "100%", "#Été", "パン"] {
        let mut url = url::Url::parse(&format!("{}/api/v1/products", t.url)).unwrap();
        url.query_pairs_mut().append_pair("tag", tag);
        let a = t.send(t.client.get(url)).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let ids: Vec<&str> = a.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [id], "tag {tag:?}");
    }
}

async fn upload_bomb(t: &TestNode, product: &str) -> crate::harness::Answer {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(png_bomb().to_vec()).file_name("bomb.png"),
    );
    t.send(
        t.client
            .post(format!("{}/api/v1/products/{product}/images", t.url))
            .bearer_auth(&t.admin)
            .multipart(form),
    )
    .await
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_from_its_header() {
    let t = spawn().await;
    shop_with_product(&t, "boulangerie").await;
    let p = t
        .product("boulangerie", json!({"name": "Pain", "price": "1.00"}))
        .await;
    let id = p["id"].as_str().unwrap().to_string();
    assert!(png_bomb().len() < 10 * 1024 * 1024);
    t.unchanged(|| async {
        let a = upload_bomb(&t, &id).await;
        a.problem(422);
        assert_eq!(a.fields(), ["file"]);
        assert!(
            a.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("megapixels"),
            "{}",
            a.body
        );
    })
    .await;
    // A fifth photo is refused before it is decoded.
    for _ in 0..4 {
        add_photo(&t, &id, None).await;
    }
    t.unchanged(|| async {
        let a = upload_bomb(&t, &id).await;
        a.problem(422);
        assert!(
            a.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("at most 4 photos"),
            "{}",
            a.body
        );
    })
    .await;
}

/// The dashboard's product form took a 38 MiB photo the API refused at 11 MiB (its only limit
/// was the whole form's): one limit now, for every door, and nothing is made.
#[tokio::test]
async fn the_dashboard_refuses_a_photo_the_api_refuses() {
    use crate::dashboard::person;
    use etal_node::model::account::Role;
    use reqwest::multipart::{Form, Part};
    let t = spawn().await;
    t.merchant("boulangerie").await;
    let mut b = person(
        &t,
        "o@boulangerie.fr",
        Some(("boulangerie", Role::Owner)),
        false,
    )
    .await;
    // A real photo of 3.6 megapixels, 10.4 MB: over the 10 MB limit.
    let big = tokio::task::spawn_blocking(|| super::load::png(1900, 1900, true))
        .await
        .unwrap();
    assert!(big.len() > 10 * 1024 * 1024);
    let token = b.token("/dashboard/shops/boulangerie/products/new").await;
    t.unchanged(|| async {
        let form = Form::new()
            .text("_csrf", token.clone())
            .part("photo", Part::bytes(big.clone()).file_name("IMG_0002.png"))
            .text("name", "Pain de campagne")
            .text("price", "3,20");
        let refused = b
            .post_multipart("/dashboard/shops/boulangerie/products/new", form)
            .await;
        assert_eq!(refused.status, 413, "{}", refused.html);
        assert!(refused.html.contains("10 Mo"), "{}", refused.html);
    })
    .await;
    // The API says the same.
    let p = t
        .product("boulangerie", json!({"name": "Miche", "price": "4.00"}))
        .await;
    let form = Form::new().part("file", Part::bytes(big).file_name("IMG_0002.png"));
    let res = t
        .client
        .post(format!(
            "{}/api/v1/products/{}/images",
            t.url,
            p["id"].as_str().unwrap()
        ))
        .bearer_auth(&t.admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}
