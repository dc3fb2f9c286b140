//! `/api/v1/merchants`: success and every error status, each failure changing nothing.

use reqwest::Method;
use serde_json::json;

use crate::harness::spawn;

fn full_merchant() -> serde_json::Value {
    json!({
        "slug": "boulangerie-martin",
        "name": "Boulangerie Martin",
        "description": "Pain au levain",
        "category": "food.bakery",
        "address": {"street": "12 rue Chasles", "postal_code": "78120", "city": "Rambouillet", "insee_code": "78517"},
        "geo": {"lat": 48.6447, "lon": 1.8302},
        "phone": "+33 1 34 83 00 01",
        "email": "contact@boulangerie-martin.fr",
        "website": "https://boulangerie-martin.fr",
        "opening_hours": ["Tu-Sa 08:00-19:30", "Su 08:00-12:30"],
        "siret": "73282932000074",
        "indexable": true
    })
}

#[tokio::test]
async fn an_admin_creates_a_merchant_with_every_field() {
    let t = spawn().await;
    let a = t.post("/api/v1/merchants", full_merchant()).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(
        a.header("location").unwrap(),
        format!("{}/api/v1/merchants/boulangerie-martin", t.url)
    );
    let m = &a.body;
    assert_eq!(m["slug"], "boulangerie-martin");
    assert_eq!(m["url"], format!("{}/shops/boulangerie-martin", t.url));
    assert_eq!(m["ap_id"], m["url"]);
    assert_eq!(m["address"]["insee_code"], "78517");
    assert_eq!(m["geo"]["lat"], 48.6447);
    assert_eq!(m["opening_hours"][1], "Su 08:00-12:30");
    assert_eq!(m["siret"], "73282932000074");
    assert_eq!(m["indexable"], true);
    assert!(m.get("private_key_pem").is_none() && m.get("public_key_pem").is_none());

    let got = t.get("/api/v1/merchants/boulangerie-martin").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, a.body);
    // The actor's key pair exists from creation, and the private half is stored PKCS#8.
    let (public, private): (String, String) = sqlx::query_as(
        "SELECT public_key_pem, private_key_pem FROM merchants WHERE slug='boulangerie-martin'",
    )
    .fetch_one(t.node.cx.db.pool())
    .await
    .unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(
        t.events().await,
        vec![(
            "create".into(),
            "merchant".into(),
            got_id(&t, "boulangerie-martin").await
        )]
    );
}

async fn got_id(t: &crate::harness::TestNode, slug: &str) -> String {
    sqlx::query_scalar("SELECT id FROM merchants WHERE slug=$1")
        .bind(slug.to_string())
        .fetch_one(t.node.cx.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn null_equals_absent_and_indexable_defaults_to_false() {
    let t = spawn().await;
    let a = t
        .post(
            "/api/v1/merchants",
            json!({"slug": "epicerie", "name": "Épicerie", "description": null, "geo": null,
                   "address": {"postal_code": "78120", "city": "Rambouillet", "street": null}, "indexable": null}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["indexable"], false);
    assert!(a.body["description"].is_null() && a.body["geo"].is_null());
}

#[tokio::test]
async fn missing_and_invalid_fields_are_all_named_and_nothing_is_stored() {
    let t = spawn().await;
    t.unchanged(|| async {
        let a = t.post("/api/v1/merchants", json!({"address": {}})).await;
        a.problem(422);
        let mut fields = a.fields();
        fields.sort();
        assert_eq!(fields, ["address.city", "address.postal_code", "name", "slug"]);

        let a = t
            .post(
                "/api/v1/merchants",
                json!({
                    "slug": "Bad_Slug", "name": "x", "category": "food.spaceships",
                    "address": {"postal_code": "7", "city": "R", "insee_code": "2C004"},
                    "geo": {"lat": 91.0, "lon": 1.0}, "phone": "call me", "email": "nope",
                    "website": "boulangerie.fr", "opening_hours": ["Tu-Sa 08:00-19:30", "Monday 9-5"],
                    "siret": "73282932000075"
                }),
            )
            .await;
        a.problem(422);
        let mut fields = a.fields();
        fields.sort();
        assert_eq!(
            fields,
            [
                "address.insee_code", "address.postal_code", "category", "email", "geo.lat",
                "opening_hours[1]", "phone", "siret", "slug", "website"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn reserved_slugs_are_refused() {
    let t = spawn().await;
    t.unchanged(|| async {
        for slug in [
            "actor",
            "api",
            "inbox",
            "media",
            "open-data",
            "well-known",
            "nodeinfo",
            "shops",
        ] {
            let a = t
                .post(
                    "/api/v1/merchants",
                    json!({"slug": slug, "name": "x",
                       "address": {"postal_code": "78120", "city": "R"}}),
                )
                .await;
            a.problem(422);
            assert_eq!(a.fields(), ["slug"], "{slug}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_taken_slug_conflicts_even_after_deletion() {
    let t = spawn().await;
    t.merchant("fromagerie").await;
    t.unchanged(|| async {
        let a = t
            .post(
                "/api/v1/merchants",
                json!({"slug": "fromagerie", "name": "Autre",
                   "address": {"postal_code": "78120", "city": "R"}}),
            )
            .await;
        a.problem(409);
        assert_eq!(a.fields(), ["slug"]);
    })
    .await;
    assert_eq!(t.delete("/api/v1/merchants/fromagerie").await.status, 204);
    t.unchanged(|| async {
        t.post(
            "/api/v1/merchants",
            json!({"slug": "fromagerie", "name": "Autre",
                "address": {"postal_code": "78120", "city": "R"}}),
        )
        .await
        .problem(409);
    })
    .await;
}

#[tokio::test]
async fn malformed_bodies_get_400_415_413_or_422_naming_the_field() {
    let t = spawn().await;
    let url = format!("{}/api/v1/merchants", t.url);
    t.unchanged(|| async {
        let bad = |body: &'static str, ct: &'static str| {
            t.client
                .post(&url)
                .bearer_auth(&t.admin)
                .header("content-type", ct)
                .body(body)
        };
        t.send(bad("{\"slug\": ", "application/json"))
            .await
            .problem(400);
        t.send(bad("", "application/json")).await.problem(400);
        t.send(bad("[1, 2]", "application/json")).await.problem(400);
        t.send(bad("{} {}", "application/json")).await.problem(400);
        t.send(bad("slug=x", "application/x-www-form-urlencoded"))
            .await
            .problem(415);
        t.send(t.client.post(&url).bearer_auth(&t.admin).body("{}"))
            .await
            .problem(415);
        let a = t.send(bad("{\"slug\": 5}", "application/json")).await;
        a.problem(422);
        assert_eq!(a.fields(), ["slug"]);
        let a = t
            .send(bad("{\"slug\": \"x\", \"prix\": 1}", "application/json"))
            .await;
        a.problem(422);
        assert_eq!(a.fields(), ["prix"]);
        let a = t
            .send(bad("{\"address\": {\"zip\": \"1\"}}", "application/json"))
            .await;
        a.problem(422);
        assert_eq!(a.fields(), ["address.zip"]);
        let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(1_100_000));
        let a = t
            .send(
                t.client
                    .post(&url)
                    .bearer_auth(&t.admin)
                    .header("content-type", "application/json")
                    .body(huge),
            )
            .await;
        a.problem(413);
    })
    .await;
}

#[tokio::test]
async fn writes_need_a_valid_token_of_the_right_scope() {
    let t = spawn().await;
    t.merchant("cave").await;
    let shop = t.merchant_token("cave").await;
    t.unchanged(|| async {
        let body =
            json!({"slug": "x1", "name": "x", "address": {"postal_code": "78120", "city": "R"}});
        let a = t
            .call(Method::POST, "/api/v1/merchants", None, Some(body.clone()))
            .await;
        a.problem(401);
        assert!(a.header("www-authenticate").unwrap().starts_with("Bearer"));
        t.call(
            Method::POST,
            "/api/v1/merchants",
            Some("etal_forged"),
            Some(body.clone()),
        )
        .await
        .problem(401);
        let a = t
            .send(
                t.client
                    .post(format!("{}/api/v1/merchants", t.url))
                    .header("authorization", "Basic abc")
                    .json(&body),
            )
            .await;
        a.problem(401);
        t.call(Method::POST, "/api/v1/merchants", Some(&shop), Some(body))
            .await
            .problem(403);
        t.call(Method::DELETE, "/api/v1/merchants/cave", Some(&shop), None)
            .await
            .problem(403);
        t.call(Method::DELETE, "/api/v1/merchants/cave", None, None)
            .await
            .problem(401);
    })
    .await;
    // A shop edits its own details.
    let a = t
        .call(
            Method::PATCH,
            "/api/v1/merchants/cave",
            Some(&shop),
            Some(json!({"phone": "01 34 83 00 00"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn merchants_are_listed_in_pages() {
    let t = spawn().await;
    for slug in ["aa", "bb", "cc", "dd", "ee"] {
        t.merchant(slug).await;
    }
    t.delete("/api/v1/merchants/cc").await;
    let a = t.get("/api/v1/merchants?limit=2").await;
    assert_eq!(a.status, 200);
    let slugs = |a: &crate::harness::Answer| -> Vec<String> {
        a.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["slug"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(slugs(&a), ["aa", "bb"]);
    let next = a.body["next_cursor"].as_str().unwrap().to_string();
    let b = t
        .get(&format!("/api/v1/merchants?limit=2&cursor={next}"))
        .await;
    assert_eq!(slugs(&b), ["dd", "ee"]);
    assert!(b.body["next_cursor"].is_null());
    t.get("/api/v1/merchants?limit=0").await.problem(422);
    t.get("/api/v1/merchants?limit=many").await.problem(422);
}

#[tokio::test]
async fn patch_sets_clears_and_keeps_fields() {
    let t = spawn().await;
    t.post("/api/v1/merchants", full_merchant()).await;
    let a = t
        .patch(
            "/api/v1/merchants/boulangerie-martin",
            json!({"name": "Boulangerie Martin & fils", "description": null,
                   "address": {"street": "14 rue Chasles"}, "opening_hours": ["Mo-Sa 07:00-20:00"]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["name"], "Boulangerie Martin & fils");
    assert!(a.body["description"].is_null());
    assert_eq!(a.body["address"]["street"], "14 rue Chasles");
    assert_eq!(a.body["address"]["postal_code"], "78120");
    assert_eq!(a.body["siret"], "73282932000074");
    assert_eq!(a.body["opening_hours"], json!(["Mo-Sa 07:00-20:00"]));
    assert_eq!(
        t.get("/api/v1/merchants/boulangerie-martin").await.body,
        a.body
    );
    let events = t.events().await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].0, "update");

    t.unchanged(|| async {
        let a = t
            .patch(
                "/api/v1/merchants/boulangerie-martin",
                json!({"slug": "autre"}),
            )
            .await;
        a.problem(422);
        assert_eq!(a.fields(), ["slug"]);
        let a = t
            .patch(
                "/api/v1/merchants/boulangerie-martin",
                json!({"name": null, "address": {"city": null}}),
            )
            .await;
        a.problem(422);
        let mut f = a.fields();
        f.sort();
        assert_eq!(f, ["address.city", "name"]);
        t.patch(
            "/api/v1/merchants/boulangerie-martin",
            json!({"siret": "123"}),
        )
        .await
        .problem(422);
        t.patch("/api/v1/merchants/nobody", json!({"name": "x"}))
            .await
            .problem(404);
        // Nothing changed: no event either.
        let a = t
            .patch(
                "/api/v1/merchants/boulangerie-martin",
                json!({"phone": "+33 1 34 83 00 01"}),
            )
            .await;
        assert_eq!(a.status, 200);
    })
    .await;
}

#[tokio::test]
async fn a_deleted_merchant_and_its_products_answer_410() {
    let t = spawn().await;
    t.merchant("primeur").await;
    let p = t
        .product(
            "primeur",
            json!({"name": "Poireaux", "price": "2.90", "unit": "kg"}),
        )
        .await;
    let token = t.merchant_token("primeur").await;
    assert_eq!(t.delete("/api/v1/merchants/primeur").await.status, 204);
    t.get("/api/v1/merchants/primeur").await.problem(410);
    t.get(&format!("/api/v1/products/{}", p["id"].as_str().unwrap()))
        .await
        .problem(410);
    t.get("/api/v1/merchants/nobody").await.problem(404);
    let page = t
        .client
        .get(format!("{}/shops/primeur", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 410);
    t.unchanged(|| async {
        t.delete("/api/v1/merchants/primeur").await.problem(410);
        t.patch("/api/v1/merchants/primeur", json!({"name": "x"}))
            .await
            .problem(410);
        t.post(
            "/api/v1/merchants/primeur/products",
            json!({"name": "x", "price": "1"}),
        )
        .await
        .problem(410);
        // The shop's token died with it.
        t.call(
            Method::PATCH,
            &format!("/api/v1/products/{}", p["id"].as_str().unwrap()),
            Some(&token),
            Some(json!({"name": "x"})),
        )
        .await
        .problem(401);
    })
    .await;
    let listed = t.get("/api/v1/products").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 0);
    let kinds: Vec<(String, String)> = t
        .events()
        .await
        .into_iter()
        .map(|(v, k, _)| (v, k))
        .collect();
    assert_eq!(
        kinds,
        [
            ("create".into(), "merchant".into()),
            ("create".into(), "product".into()),
            ("delete".into(), "merchant".into())
        ]
    );
}
