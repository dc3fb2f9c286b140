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

/// A GET of a path of the node (or of an absolute URL) with the given headers.
async fn fetch(t: &TestNode, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let url = if path.starts_with("http") {
        path.to_string()
    } else {
        format!("{}{path}", t.url)
    };
    let mut req = t.client.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn page(t: &TestNode, path: &str) -> Page {
    page_with(t, path, &[]).await
}

async fn page_with(t: &TestNode, path: &str, headers: &[(&str, &str)]) -> Page {
    let mut all = vec![(ACCEPT.as_str(), "text/html,application/xhtml+xml")];
    all.extend_from_slice(headers);
    let res = fetch(t, path, &all).await;
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
    let res = fetch(t, url, &[]).await;
    assert_eq!(res.status(), 200, "{url}");
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    let bytes = res.bytes().await.unwrap();
    let img = image::load_from_memory(&bytes).expect("decodes");
    (ct, img.width(), img.height(), bytes.len())
}

mod caching;
mod discovery;
mod previews;
mod search;
