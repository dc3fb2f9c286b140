//! Search: French word forms, ranking, filters, the index following every write.

use super::*;

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
