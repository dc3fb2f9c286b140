//! `/api/v1/products/{id}/images`: upright, EXIF-free copies with blurhash; limits and errors.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::harness::{spawn, Answer, TestNode};

/// A 64×32 JPEG, left half red and right half blue, with an EXIF block saying "rotate 90°
/// clockwise to display" (Orientation 6) and a GPS latitude.
fn jpeg_with_exif() -> Vec<u8> {
    let img = RgbImage::from_fn(64, 32, |x, _| {
        if x < 32 {
            Rgb([230, 20, 20])
        } else {
            Rgb([20, 20, 230])
        }
    });
    let mut jpeg = Cursor::new(Vec::new());
    img.write_to(&mut jpeg, ImageFormat::Jpeg).unwrap();
    let jpeg = jpeg.into_inner();

    let mut tiff: Vec<u8> = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut e = tag.to_le_bytes().to_vec();
        e.extend(kind.to_le_bytes());
        e.extend(count.to_le_bytes());
        e.extend(value.to_le_bytes());
        e
    };
    // IFD0 at 8: Orientation = 6, GPS IFD pointer -> 38.
    tiff.extend(2u16.to_le_bytes());
    tiff.extend(entry(0x0112, 3, 1, 6));
    tiff.extend(entry(0x8825, 4, 1, 38));
    tiff.extend(0u32.to_le_bytes());
    // GPS IFD at 38: GPSLatitudeRef "N", GPSLatitude -> 68.
    tiff.extend(2u16.to_le_bytes());
    tiff.extend(entry(0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")));
    tiff.extend(entry(0x0002, 5, 3, 68));
    tiff.extend(0u32.to_le_bytes());
    for (num, den) in [(48u32, 1u32), (38, 1), (3960, 100)] {
        tiff.extend(num.to_le_bytes());
        tiff.extend(den.to_le_bytes());
    }
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

fn encoded(format: ImageFormat) -> Vec<u8> {
    let img = RgbImage::from_fn(300, 200, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

async fn upload(
    t: &TestNode,
    product: &str,
    bytes: Vec<u8>,
    name: &str,
    alt: Option<&str>,
    token: &str,
) -> Answer {
    let mut form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    if let Some(alt) = alt {
        form = form.text("alt", alt.to_string());
    }
    t.send(
        t.client
            .post(format!("{}/api/v1/products/{product}/images", t.url))
            .bearer_auth(token)
            .multipart(form),
    )
    .await
}

async fn setup() -> (TestNode, String) {
    let t = spawn().await;
    t.merchant("primeur").await;
    let p = t
        .product(
            "primeur",
            json!({"name": "Pommes", "price": "3.40", "unit": "kg"}),
        )
        .await;
    (t, p["id"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_photo_with_gps_and_orientation_exif_comes_back_upright_without_exif() {
    let (t, id) = setup().await;
    let original = jpeg_with_exif();
    assert!(original.windows(6).any(|w| w == b"Exif\0\0"));
    let a = upload(
        &t,
        &id,
        original,
        "pommes.jpg",
        Some("Pommes sur l'étal"),
        &t.admin.clone(),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(
        (a.body["width"].as_i64(), a.body["height"].as_i64()),
        (Some(32), Some(64))
    );
    assert_eq!(a.body["alt"], "Pommes sur l'étal");
    assert_eq!(a.body["media_type"], "image/jpeg");
    assert_eq!(a.body["position"], 0);
    let blurhash = a.body["blurhash"].as_str().unwrap();
    assert!(
        blurhash.len() >= 6 && blurhash.starts_with('L'),
        "{blurhash}"
    );
    let variants = a.body["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 3);
    for v in variants {
        let res = t
            .client
            .get(v["url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        let bytes = res.bytes().await.unwrap();
        assert!(
            !bytes.windows(4).any(|w| w == b"Exif"),
            "EXIF left in {}",
            v["name"]
        );
        let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (32, 64));
        let top = img.get_pixel(16, 8).0;
        let bottom = img.get_pixel(16, 56).0;
        assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
        assert!(
            bottom[2] > 150 && bottom[0] < 100,
            "bottom is blue: {bottom:?}"
        );
    }
    let product = t.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(product.body["images"][0]["id"], a.body["id"]);
    assert_eq!(product.body["version"], 2);
    assert_eq!(
        t.events().await.iter().filter(|e| e.0 == "update").count(),
        1
    );
}

#[tokio::test]
async fn png_and_webp_are_accepted_and_large_photos_get_resized_copies() {
    let (t, id) = setup().await;
    let big = {
        let img = RgbImage::from_fn(2600, 1300, |x, _| Rgb([(x / 11) as u8, 90, 40]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let a = upload(&t, &id, big, "big.png", None, &t.admin.clone()).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let sizes: Vec<(i64, i64)> = a.body["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["width"].as_i64().unwrap(), v["height"].as_i64().unwrap()))
        .collect();
    assert_eq!(sizes, [(2048, 1024), (1200, 600), (400, 200)]);
    let a = upload(
        &t,
        &id,
        encoded(ImageFormat::WebP),
        "p.webp",
        None,
        &t.admin.clone(),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["position"], 1);
}

#[tokio::test]
async fn bad_uploads_are_refused_and_leave_nothing_behind() {
    let (t, id) = setup().await;
    let admin = t.admin.clone();
    t.unchanged(|| async {
        let a = upload(
            &t,
            &id,
            b"GIF89a\x01\x00\x01\x00".to_vec(),
            "x.gif",
            None,
            &admin,
        )
        .await;
        a.problem(415);
        let a = upload(
            &t,
            &id,
            b"\xFF\xD8\xFF\xE0 this is not a jpeg".to_vec(),
            "x.jpg",
            None,
            &admin,
        )
        .await;
        a.problem(422);
        assert_eq!(a.fields(), ["file"]);
        let a = t
            .send(
                t.client
                    .post(format!("{}/api/v1/products/{id}/images", t.url))
                    .bearer_auth(&admin)
                    .json(&json!({"file": "x"})),
            )
            .await;
        a.problem(415);
        let a = t
            .send(
                t.client
                    .post(format!("{}/api/v1/products/{id}/images", t.url))
                    .bearer_auth(&admin)
                    .multipart(Form::new().text("alt", "no file")),
            )
            .await;
        a.problem(422);
        assert_eq!(a.fields(), ["file"]);
        let mut huge = encoded(ImageFormat::Png);
        huge.resize(10 * 1024 * 1024 + 1, 0);
        upload(&t, &id, huge, "huge.png", None, &admin)
            .await
            .problem(413);
        let a = upload(
            &t,
            &id,
            encoded(ImageFormat::Png),
            "x.png",
            Some(&"a".repeat(1501)),
            &admin,
        )
        .await;
        a.problem(422);
        assert_eq!(a.fields(), ["alt"]);
        upload(
            &t,
            &uuid::Uuid::now_v7().to_string(),
            encoded(ImageFormat::Png),
            "x.png",
            None,
            &admin,
        )
        .await
        .problem(404);
        upload(
            &t,
            &id,
            encoded(ImageFormat::Png),
            "x.png",
            None,
            "etal_nope",
        )
        .await
        .problem(401);
    })
    .await;
    t.merchant("autre").await;
    let other = t.merchant_token("autre").await;
    t.unchanged(|| async {
        upload(&t, &id, encoded(ImageFormat::Png), "x.png", None, &other)
            .await
            .problem(403);
    })
    .await;
}

#[tokio::test]
async fn a_product_has_at_most_four_photos_which_can_be_reordered_and_removed() {
    let (t, id) = setup().await;
    let mut ids = vec![];
    for i in 0..4 {
        let a = upload(
            &t,
            &id,
            encoded(ImageFormat::Png),
            "p.png",
            Some(&format!("photo {i}")),
            &t.admin.clone(),
        )
        .await;
        assert_eq!(a.status, 201, "{}", a.body);
        ids.push(a.body["id"].as_str().unwrap().to_string());
    }
    t.unchanged(|| async {
        let a = upload(
            &t,
            &id,
            encoded(ImageFormat::Png),
            "p.png",
            None,
            &t.admin.clone(),
        )
        .await;
        a.problem(422);
        assert_eq!(a.fields(), ["file"]);
    })
    .await;
    let base = format!("/api/v1/products/{id}/images");
    let a = t
        .patch(
            &format!("{base}/{}", ids[3]),
            json!({"position": 0, "alt": "La plus belle"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        (a.body["position"].as_i64(), a.body["alt"].as_str()),
        (Some(0), Some("La plus belle"))
    );
    let order = |p: &crate::harness::Answer| -> Vec<String> {
        p.body["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let p = t.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(
        order(&p),
        [
            ids[3].clone(),
            ids[0].clone(),
            ids[1].clone(),
            ids[2].clone()
        ]
    );
    t.unchanged(|| async {
        t.patch(&format!("{base}/{}", ids[0]), json!({"position": 4}))
            .await
            .problem(422);
        t.patch(
            &format!("{base}/{}", uuid::Uuid::now_v7()),
            json!({"alt": "x"}),
        )
        .await
        .problem(404);
        t.patch(&format!("{base}/{}", ids[0]), json!({"width": 3}))
            .await
            .problem(422);
    })
    .await;
    let file = p.body["images"][1]["variants"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(t.client.get(&file).send().await.unwrap().status(), 200);
    assert_eq!(t.delete(&format!("{base}/{}", ids[0])).await.status, 204);
    assert_eq!(t.client.get(&file).send().await.unwrap().status(), 404);
    let p = t.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(order(&p), [ids[3].clone(), ids[1].clone(), ids[2].clone()]);
    let positions: Vec<i64> = p.body["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, [0, 1, 2]);
    t.delete(&format!("{base}/{}", ids[0])).await.problem(404);
}
