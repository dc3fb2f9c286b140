//! The API description and its docs page, which must work with no internet.

use crate::harness::spawn;

#[tokio::test]
async fn openapi_lists_every_endpoint_with_schemas() {
    let t = spawn().await;
    let a = t.get("/api/openapi.json").await;
    assert_eq!(a.status, 200);
    assert!(a.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = a.body["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/merchants", &["get", "post"][..]),
        ("/api/v1/merchants/{slug}", &["get", "patch", "delete"]),
        ("/api/v1/merchants/{slug}/products", &["post"]),
        ("/api/v1/products", &["get"]),
        ("/api/v1/products/{id}", &["get", "patch", "delete"]),
        ("/api/v1/products/{id}/images", &["post"]),
        (
            "/api/v1/products/{id}/images/{image_id}",
            &["patch", "delete"],
        ),
        ("/api/v1/categories", &["get"]),
    ] {
        for m in methods {
            assert!(paths[path][m].is_object(), "{m} {path} documented");
        }
    }
    let schemas = a.body["components"]["schemas"].as_object().unwrap();
    for s in [
        "MerchantCreate",
        "MerchantPatch",
        "MerchantView",
        "ProductCreate",
        "ProductPatch",
        "ProductView",
        "ImageView",
        "Problem",
    ] {
        assert!(schemas.contains_key(s), "schema {s}");
    }
    assert_eq!(
        a.body["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn the_docs_page_is_served_from_the_binary() {
    let t = spawn().await;
    let page = t
        .client
        .get(format!("{}/api/docs/", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"));
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        let res = t
            .client
            .get(format!("{}/api/docs/{asset}", t.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{asset}");
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("https://unpkg.com") && !body.contains("cdn.jsdelivr"),
            "{asset} loads nothing remote"
        );
        if asset == "swagger-initializer.js" {
            assert!(body.contains("/api/openapi.json"), "{body}");
        }
    }
}
