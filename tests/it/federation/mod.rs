//! Federation: documents and discovery, inbox, delivery, node-to-node mirroring, process-level
//! crash and concurrency tests, and interoperability with real peers.

pub mod delivery;
mod documents;
mod gotosocial;
mod inbox;
mod interop;
mod nodes;
mod process;

use serde_json::json;

use crate::harness::TestNode;

/// A shop with one product with a photo: (product id).
pub async fn shop_with_product(t: &TestNode, slug: &str) -> String {
    t.post(
        "/api/v1/merchants",
        json!({"slug": slug, "name": "Boulangerie Martin", "category": "food.bakery", "description": "Pain au levain",
               "address": {"street": "12 rue Chasles", "postal_code": "78120", "city": "Rambouillet", "insee_code": "78517"},
               "geo": {"lat": 48.6447, "lon": 1.8302}, "opening_hours": ["Tu-Sa 07:00-19:30"], "phone": "+33 1 34 83 00 01",
               "website": "https://boulangerie.example", "indexable": true}),
    )
    .await;
    let p = t
        .product(slug, json!({"name": "Baguette tradition", "price": "1.30", "category": "food.bakery",
                              "tags": ["levain", "pain"], "stock": 40, "gtin": "3760012345670", "description": "250 g"}))
        .await;
    let id = p["id"].as_str().unwrap().to_string();
    add_photo(t, &id, Some("Une baguette dorée")).await;
    // Followers added after this see only what happens next.
    t.drain().await;
    id
}

/// Uploads a small JPEG to product `id`, with alt text if given.
pub async fn add_photo(t: &TestNode, id: &str, alt: Option<&str>) {
    let img = image::RgbImage::from_fn(120, 80, |x, _| image::Rgb([(x * 2) as u8, 120, 60]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageFormat::Jpeg).unwrap();
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes.into_inner()).file_name("b.jpg"),
    );
    if let Some(alt) = alt {
        form = form.text("alt", alt.to_string());
    }
    let res = t
        .client
        .post(format!("{}/api/v1/products/{id}/images", t.url))
        .bearer_auth(&t.admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

/// GETs `path` as an ActivityPub client.
pub async fn ap_get(t: &TestNode, path: &str) -> (u16, String, serde_json::Value) {
    let res = t
        .client
        .get(format!("{}{path}", t.url))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.json().await.unwrap_or(serde_json::Value::Null);
    (status, ct, body)
}
