//! `/api/v1/products`: prices as exact strings, filters and cursors, PATCH semantics,
//! If-Match, atomic stock changes, and every error changing nothing.

use reqwest::Method;
use serde_json::json;

use crate::harness::{spawn, TestNode};

async fn with_shop() -> TestNode {
    let t = spawn().await;
    t.merchant("boulangerie").await;
    t
}

#[tokio::test]
async fn a_product_is_created_with_defaults_and_its_price_comes_back_exactly() {
    let t = with_shop().await;
    let a = t
        .post(
            "/api/v1/merchants/boulangerie/products",
            json!({"name": "Baguette", "price": "1.3"}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let p = &a.body;
    let id = p["id"].as_str().unwrap();
    let uuid = uuid::Uuid::parse_str(id).unwrap();
    assert_eq!(uuid.get_version_num(), 7);
    assert_eq!(p["url"], format!("{}/products/{id}", t.url));
    assert_eq!(p["ap_id"], p["url"]);
    assert_eq!(p["price"], "1.30");
    assert_eq!(p["currency"], "EUR");
    assert_eq!(p["unit"], "piece");
    assert_eq!(p["availability"], "in_stock");
    assert_eq!(p["merchant"], "boulangerie");
    assert_eq!(a.header("etag").unwrap(), "\"1\"");
    assert_eq!(
        a.header("location").unwrap(),
        format!("{}/api/v1/products/{id}", t.url)
    );
    let (minor, currency): (i64, String) =
        sqlx::query_as("SELECT price_minor, currency FROM products WHERE id=$1")
            .bind(id.to_string())
            .fetch_one(t.node.cx.db.pool())
            .await
            .unwrap();
    assert_eq!((minor, currency.as_str()), (130, "EUR"));

    let full = t
        .post(
            "/api/v1/merchants/boulangerie/products",
            json!({"name": "Farine T80", "price": "3.20", "currency": "EUR", "unit": "kg",
                   "availability": "preorder", "description": "Meule de pierre", "stock": 12,
                   "gtin": "4006381333931", "category": "food.bakery", "tags": ["#bio", "local", "Bio"]}),
        )
        .await;
    assert_eq!(full.status, 201, "{}", full.body);
    assert_eq!(full.body["price"], "3.20");
    assert_eq!(full.body["tags"], json!(["bio", "local"]));
    assert_eq!(full.body["stock"], 12);
    let jpy = t
        .post(
            "/api/v1/merchants/boulangerie/products",
            json!({"name": "Mochi", "price": "150", "currency": "JPY"}),
        )
        .await;
    assert_eq!(jpy.body["price"], "150");
    let got = t.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(got.body, a.body);
    assert_eq!(got.header("etag").unwrap(), "\"1\"");
}

#[tokio::test]
async fn invalid_products_are_refused_field_by_field() {
    let t = with_shop().await;
    t.unchanged(|| async {
        let url = "/api/v1/merchants/boulangerie/products";
        let a = t.post(url, json!({})).await;
        a.problem(422);
        let mut f = a.fields();
        f.sort();
        assert_eq!(f, ["name", "price"]);
        for price in ["-1", "3.205", "3,20", "abc", "", "1e3"] {
            let a = t.post(url, json!({"name": "x", "price": price})).await;
            a.problem(422);
            assert_eq!(a.fields(), ["price"], "{price}");
        }
        let a = t.post(url, json!({"name": "x", "price": 3.2})).await;
        a.problem(422);
        assert_eq!(a.fields(), ["price"]);
        let a = t.post(url, json!({"name": "x", "price": "1.5", "currency": "JPY"})).await;
        assert_eq!(a.fields(), ["price"]);
        let a = t
            .post(
                url,
                json!({"name": "x", "price": "1", "currency": "EURO", "unit": "bag", "availability": "soon",
                       "stock": -1, "gtin": "4006381333932", "category": "food.moon",
                       "tags": (0..25).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
            )
            .await;
        a.problem(422);
        let mut f = a.fields();
        f.sort();
        assert_eq!(f, ["availability", "category", "currency", "gtin", "stock", "tags", "unit"]);
        t.post("/api/v1/merchants/nobody/products", json!({"name": "x", "price": "1"})).await.problem(404);
    })
    .await;
}

#[tokio::test]
async fn a_merchant_token_manages_only_its_own_products() {
    let t = with_shop().await;
    t.merchant("fromagerie").await;
    let mine = t.merchant_token("boulangerie").await;
    let a = t
        .call(
            Method::POST,
            "/api/v1/merchants/boulangerie/products",
            Some(&mine),
            Some(json!({"name": "Pain", "price": "2"})),
        )
        .await;
    assert_eq!(a.status, 201);
    let cheese = t
        .product(
            "fromagerie",
            json!({"name": "Comté", "price": "29.90", "unit": "kg"}),
        )
        .await;
    let cheese_url = format!("/api/v1/products/{}", cheese["id"].as_str().unwrap());
    t.unchanged(|| async {
        t.call(
            Method::POST,
            "/api/v1/merchants/fromagerie/products",
            Some(&mine),
            Some(json!({"name": "x", "price": "1"})),
        )
        .await
        .problem(403);
        t.call(
            Method::PATCH,
            &cheese_url,
            Some(&mine),
            Some(json!({"price": "1"})),
        )
        .await
        .problem(403);
        t.call(Method::DELETE, &cheese_url, Some(&mine), None)
            .await
            .problem(403);
        t.call(
            Method::PATCH,
            &cheese_url,
            None,
            Some(json!({"price": "1"})),
        )
        .await
        .problem(401);
    })
    .await;
}

#[tokio::test]
async fn products_are_filtered_and_paged_newest_first() {
    let t = with_shop().await;
    t.merchant("fleuriste").await;
    let mut ids = vec![];
    for (shop, name, cat, avail) in [
        (
            "boulangerie",
            "Pâtisserie du jour",
            "food.bakery",
            "in_stock",
        ),
        ("boulangerie", "Pain complet", "food.bakery", "out_of_stock"),
        (
            "fleuriste",
            "Bouquet de pivoines",
            "home.florist",
            "in_stock",
        ),
        ("fleuriste", "Tulipes", "home.florist", "preorder"),
        ("boulangerie", "Tarte aux POMMES", "food.bakery", "in_stock"),
    ] {
        let p = t
            .product(
                shop,
                json!({"name": name, "price": "5", "category": cat, "availability": avail}),
            )
            .await;
        ids.push(p["id"].as_str().unwrap().to_string());
    }
    let names = |a: &crate::harness::Answer| -> Vec<String> {
        a.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let all = t.get("/api/v1/products").await;
    assert_eq!(
        names(&all),
        [
            "Tarte aux POMMES",
            "Tulipes",
            "Bouquet de pivoines",
            "Pain complet",
            "Pâtisserie du jour"
        ]
    );
    assert!(all.body["next_cursor"].is_null());
    // Full text: the category's label ("Boulangerie-pâtisserie") counts, accents and plurals
    // are folded.
    assert_eq!(
        names(&t.get("/api/v1/products?q=patisserie").await),
        ["Tarte aux POMMES", "Pain complet", "Pâtisserie du jour"]
    );
    assert_eq!(
        names(&t.get("/api/v1/products?q=pivoine").await),
        ["Bouquet de pivoines"]
    );
    assert_eq!(
        names(&t.get("/api/v1/products?q=de%20la").await),
        [] as [&str; 0]
    );
    assert_eq!(
        names(&t.get("/api/v1/products?q=pommes%20TARTE").await),
        ["Tarte aux POMMES"]
    );
    assert_eq!(names(&t.get("/api/v1/products?q=100%25").await).len(), 0);
    assert_eq!(
        names(&t.get("/api/v1/products?merchant=fleuriste").await),
        ["Tulipes", "Bouquet de pivoines"]
    );
    assert_eq!(
        names(&t.get("/api/v1/products?category=home").await),
        ["Tulipes", "Bouquet de pivoines"]
    );
    assert_eq!(
        names(
            &t.get("/api/v1/products?category=food.bakery&availability=in_stock")
                .await
        ),
        ["Tarte aux POMMES", "Pâtisserie du jour"]
    );

    let page1 = t.get("/api/v1/products?limit=2").await;
    assert_eq!(names(&page1), ["Tarte aux POMMES", "Tulipes"]);
    let link = page1.header("link").unwrap();
    assert!(
        link.contains("rel=\"next\"") && link.contains("limit=2"),
        "{link}"
    );
    let cursor = page1.body["next_cursor"].as_str().unwrap();
    let page2 = t
        .get(&format!("/api/v1/products?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(names(&page2), ["Bouquet de pivoines", "Pain complet"]);
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let via_link = t.send(t.client.get(next)).await;
    assert_eq!(names(&via_link), names(&page2));
    let page3 = t
        .get(&format!(
            "/api/v1/products?limit=2&cursor={}",
            page2.body["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(names(&page3), ["Pâtisserie du jour"]);
    assert!(page3.body["next_cursor"].is_null() && page3.header("link").is_none());

    for bad in [
        "limit=101",
        "limit=x",
        "cursor=zzz",
        "category=nope",
        "availability=soon",
    ] {
        t.get(&format!("/api/v1/products?{bad}")).await.problem(422);
    }
}

#[tokio::test]
async fn patch_sets_fields_absolutely_and_if_match_guards_against_stale_writes() {
    let t = with_shop().await;
    let p = t
        .product(
            "boulangerie",
            json!({"name": "Croissant", "price": "1.20", "description": "Beurre", "tags": ["a"]}),
        )
        .await;
    let url = format!("/api/v1/products/{}", p["id"].as_str().unwrap());
    let a = t
        .patch(
            &url,
            json!({"price": "1.25", "description": null, "tags": ["b", "c"]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["price"], "1.25");
    assert!(a.body["description"].is_null());
    assert_eq!(a.body["tags"], json!(["b", "c"]));
    assert_eq!(a.body["name"], "Croissant");
    assert_eq!(a.header("etag").unwrap(), "\"2\"");

    t.unchanged(|| async {
        let stale = t
            .send(
                t.client
                    .patch(format!("{}{url}", t.url))
                    .bearer_auth(&t.admin)
                    .header("if-match", "\"1\"")
                    .json(&json!({"price": "9"})),
            )
            .await;
        stale.problem(412);
        t.send(
            t.client
                .delete(format!("{}{url}", t.url))
                .bearer_auth(&t.admin)
                .header("if-match", "\"1\""),
        )
        .await
        .problem(412);
        let a = t.patch(&url, json!({"currency": "USD"})).await;
        a.problem(422);
        assert_eq!(a.fields(), ["price"]);
        t.patch(&url, json!({"name": null})).await.problem(422);
        t.patch(&url, json!({"price": null})).await.problem(422);
        t.patch(&url, json!({"stock": 3, "stock_delta": 1}))
            .await
            .problem(422);
        t.patch(&url, json!({"stock_delta": 1})).await.problem(422);
        t.patch("/api/v1/products/not-a-uuid", json!({"price": "1"}))
            .await
            .problem(404);
        t.patch(
            &format!("/api/v1/products/{}", uuid::Uuid::now_v7()),
            json!({"price": "1"}),
        )
        .await
        .problem(404);
    })
    .await;
    let fresh = t
        .send(
            t.client
                .patch(format!("{}{url}", t.url))
                .bearer_auth(&t.admin)
                .header("if-match", "\"2\"")
                .json(&json!({"currency": "USD", "price": "1.50"})),
        )
        .await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_eq!(
        (
            fresh.body["price"].as_str(),
            fresh.body["currency"].as_str()
        ),
        (Some("1.50"), Some("USD"))
    );
}

#[tokio::test]
async fn concurrent_stock_deltas_all_count() {
    let t = with_shop().await;
    let p = t
        .product(
            "boulangerie",
            json!({"name": "Baguette", "price": "1.30", "stock": 100}),
        )
        .await;
    let url = format!("{}/api/v1/products/{}", t.url, p["id"].as_str().unwrap());
    let mut tasks = vec![];
    for i in 0..20 {
        let (client, url, token) = (t.client.clone(), url.clone(), t.admin.clone());
        let delta = if i % 2 == 0 { 3 } else { -1 };
        tasks.push(tokio::spawn(async move {
            client
                .patch(&url)
                .bearer_auth(token)
                .json(&json!({"stock_delta": delta}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let got = t
        .get(&format!("/api/v1/products/{}", p["id"].as_str().unwrap()))
        .await;
    assert_eq!(got.body["stock"], 100 + 10 * 3 - 10);
    assert_eq!(got.body["version"], 21);
    // Stock-only changes that keep the availability are not announced.
    assert_eq!(
        t.events().await.iter().filter(|e| e.0 == "update").count(),
        0
    );
}

#[tokio::test]
async fn stock_drives_availability_and_cannot_go_negative() {
    let t = with_shop().await;
    let p = t
        .product(
            "boulangerie",
            json!({"name": "Éclair", "price": "2.90", "stock": 2}),
        )
        .await;
    let url = format!("/api/v1/products/{}", p["id"].as_str().unwrap());
    t.unchanged(|| async {
        let a = t.patch(&url, json!({"stock_delta": -3})).await;
        a.problem(422);
        assert_eq!(a.fields(), ["stock_delta"]);
    })
    .await;
    let a = t.patch(&url, json!({"stock_delta": -2})).await;
    assert_eq!(
        (a.body["stock"].as_i64(), a.body["availability"].as_str()),
        (Some(0), Some("out_of_stock"))
    );
    let a = t.patch(&url, json!({"stock": 5})).await;
    assert_eq!(a.body["availability"], "in_stock");
    let a = t
        .patch(&url, json!({"stock": 0, "availability": "preorder"}))
        .await;
    assert_eq!(a.body["availability"], "preorder");
    let updates = t.events().await.iter().filter(|e| e.0 == "update").count();
    assert_eq!(updates, 3, "each availability change is announced");
}

#[tokio::test]
async fn a_deleted_product_answers_410_and_its_id_is_never_reused() {
    let t = with_shop().await;
    let p = t
        .product("boulangerie", json!({"name": "Chouquettes", "price": "3"}))
        .await;
    let id = p["id"].as_str().unwrap();
    let url = format!("/api/v1/products/{id}");
    assert_eq!(t.delete(&url).await.status, 204);
    t.get(&url).await.problem(410);
    t.get(&format!("/api/v1/products/{}", uuid::Uuid::now_v7()))
        .await
        .problem(404);
    t.get("/api/v1/products/42").await.problem(404);
    let page = t
        .client
        .get(format!("{}/products/{id}", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 410);
    t.unchanged(|| async {
        t.delete(&url).await.problem(410);
        t.patch(&url, json!({"price": "1"})).await.problem(410);
    })
    .await;
    let kinds: Vec<String> = t
        .events()
        .await
        .into_iter()
        .filter(|e| e.1 == "product")
        .map(|e| e.0)
        .collect();
    assert_eq!(kinds, ["create", "delete"]);
}

#[tokio::test]
async fn categories_are_listed_with_labels() {
    let t = spawn().await;
    let a = t.get("/api/v1/categories").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["version"], "1");
    let cats = a.body["categories"].as_array().unwrap();
    let bakery = cats.iter().find(|c| c["code"] == "food.bakery").unwrap();
    assert_eq!(bakery["label_fr"], "Boulangerie, pâtisserie");
    assert_eq!(bakery["parent"], "food");
    let published: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../schemas/taxonomy/categories-v1.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(a.body, published);
}
