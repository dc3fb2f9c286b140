//! The open data files: only consenting shops, every row in pages of a thousand, the headers
//! of the Table Schemas, gzip, ETag and 304, the Data Package and the page.

use std::io::Read;

use etal_node::domain::authz::Caller;
use serde_json::{json, Value};

use crate::harness::{spawn, TestNode};

mod feed;

async fn get(t: &TestNode, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = t.client.get(format!("{}{path}", t.url));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn schema_fields(name: &str) -> Vec<String> {
    let path = format!(
        "{}/../schemas/open-data/{name}.tableschema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn only_consenting_shops_are_in_the_files_whatever_their_size() {
    let t = spawn().await;
    let open = t
        .post(
            "/api/v1/merchants",
            json!({"slug": "ouverte", "name": "La Boutique Ouverte", "indexable": true,
                   "siret": "73282932000074", "geo": {"lat": 48.64, "lon": 1.83},
                   "address": {"postal_code": "78120", "city": "Rambouillet", "insee_code": "78517"}}),
        )
        .await;
    assert_eq!(open.status, 201, "{}", open.body);
    t.merchant("discrete").await;
    t.product("discrete", json!({"name": "Secret", "price": "1.00"}))
        .await;
    // 2,500 products: three pages of the stream.
    let mut csv = String::from("name;price;on_hand\n");
    for i in 0..2500 {
        csv.push_str(&format!(
            "Produit {i};{},{:02};{}\n",
            i / 100,
            i % 100,
            i % 5
        ));
    }
    let report = etal_node::domain::spreadsheet::import(
        &t.node.cx,
        &Caller::Operator,
        "ouverte",
        bytes::Bytes::from(csv),
        false,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.created, 2500);

    let res = get(&t, "/open-data/products.csv", &[]).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["link"]
        .to_str()
        .unwrap()
        .contains("rel=\"license\""));
    let text = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        headers,
        schema_fields("products"),
        "the file follows its Table Schema"
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2500);
    let ids: std::collections::HashSet<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len(), 2500, "no row twice across pages");
    assert!(rows.iter().all(|r| r[1].ends_with("/shops/ouverte")));
    assert!(
        !text.contains("Secret"),
        "a shop without consent is not in the file"
    );
    assert!(rows
        .iter()
        .all(|r| r[5].parse::<f64>().is_ok() && r[13].ends_with('Z')));

    let merchants = get(&t, "/open-data/merchants.csv", &[])
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(merchants.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(headers, schema_fields("merchants"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (&rows[0][1], &rows[0][7], &rows[0][13]),
        ("ouverte", "78517", "73282932000074")
    );

    let ndjson = get(&t, "/open-data/products.ndjson", &[])
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2500);
    assert!(lines[0]["price"].is_string() && lines[0]["tags"].is_array());
    for line in lines.iter().step_by(97) {
        crate::schemas::assert_valid("open-data/product", line);
    }

    // Gzip on request, the same bytes once inflated.
    let gz = get(
        &t,
        "/open-data/products.csv",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let body = gz.bytes().await.unwrap();
    let mut inflated = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut inflated)
        .unwrap();
    assert_eq!(inflated, text);
    assert!(body.len() < text.len() / 3);
}

#[tokio::test]
async fn unchanged_files_answer_304_and_consent_withdrawn_changes_them() {
    let t = spawn().await;
    t.post(
        "/api/v1/merchants",
        json!({"slug": "ouverte", "name": "Ouverte", "indexable": true,
               "address": {"postal_code": "78120", "city": "Rambouillet"}}),
    )
    .await;
    t.product("ouverte", json!({"name": "Pomme", "price": "1.00"}))
        .await;
    let first = get(&t, "/open-data/products.csv", &[]).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(etag.starts_with('"'), "strong, for byte ranges: {etag}");
    let again = get(&t, "/open-data/products.csv", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);
    let since = get(
        &t,
        "/open-data/products.csv",
        &[("if-modified-since", &modified)],
    )
    .await;
    assert_eq!(since.status(), 304);
    // The shop withdraws its consent: the file changes and no longer lists it.
    t.patch("/api/v1/merchants/ouverte", json!({"indexable": false}))
        .await;
    let after = get(&t, "/open-data/products.csv", &[("if-none-match", &etag)]).await;
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["etag"].to_str().unwrap(), etag);
    assert!(!after.text().await.unwrap().contains("Pomme"));
}

#[tokio::test]
async fn the_page_and_the_data_package_state_the_licence() {
    let t = spawn().await;
    let page = get(&t, "/open-data/", &[("accept", "text/html")]).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Licence Ouverte 2.0") && html.contains("/open-data/products.csv"));
    let pkg: Value = get(&t, "/open-data/datapackage.json", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pkg["licenses"][0]["name"], "etalab-2.0");
    assert_eq!(pkg["resources"][1]["schema"]["fields"][0]["name"], "id");
    let schema = get(&t, "/open-data/products.schema.json", &[]).await;
    assert_eq!(schema.status(), 200);
}

#[tokio::test]
async fn the_dcat_catalogue_names_the_dataset_its_files_licence_and_communes() {
    let t = spawn().await;
    t.post(
        "/api/v1/merchants",
        json!({"slug": "ouverte", "name": "Ouverte", "indexable": true,
               "address": {"postal_code": "78120", "city": "Rambouillet", "insee_code": "78517"}}),
    )
    .await;
    let ld: Value = get(&t, "/open-data/catalog.jsonld", &[])
        .await
        .json()
        .await
        .unwrap();
    let graph = ld["@graph"].as_array().unwrap();
    let dataset = graph
        .iter()
        .find(|n| n["@type"] == "dcat:Dataset")
        .expect("a dataset");
    assert_eq!(dataset["dcat:distribution"].as_array().unwrap().len(), 3);
    assert_eq!(
        dataset["dct:spatial"][0]["@id"],
        "http://id.insee.fr/geo/commune/78517"
    );
    assert_eq!(
        dataset["dct:license"]["@id"],
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    );
    let ttl = get(&t, "/open-data/catalog.ttl", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(ttl.contains("a dcat:Catalog") && ttl.contains("a dcat:Distribution"));
    assert!(ttl.contains("<http://id.insee.fr/geo/commune/78517>"));
}

async fn open_shop(t: &TestNode, slug: &str) {
    let res = t
        .post(
            "/api/v1/merchants",
            json!({"slug": slug, "name": "Ouverte", "indexable": true,
                   "address": {"postal_code": "78120", "city": "Rambouillet"}}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
}

/// Each download of a file was made again from the database (20 s of CPU for a million
/// products, four at once 80 s): a file is now made once per change of the data, kept on
/// disk gzipped, and served from there, by byte ranges too.
#[tokio::test]
async fn files_are_made_once_per_change_and_served_by_ranges() {
    let t = spawn().await;
    open_shop(&t, "ouverte").await;
    for i in 0..30 {
        t.product(
            "ouverte",
            json!({"name": format!("Pomme {i}"), "price": "1.00"}),
        )
        .await;
    }
    let made = t.node.dumps.made();
    let downloads = (0..4).map(|_| async {
        let r = get(&t, "/open-data/products.csv", &[]).await;
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    });
    let bodies: Vec<String> = futures::future::join_all(downloads).await;
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    let whole = bodies[0].clone();
    assert_eq!(whole.lines().count(), 31);
    let again = get(&t, "/open-data/products.csv", &[]).await;
    assert_eq!(again.text().await.unwrap(), whole);
    assert_eq!(
        t.node.dumps.made() - made,
        1,
        "four downloads, then a fifth: one file made"
    );
    // A range of the unzipped file, and of the gzipped one.
    let part = get(&t, "/open-data/products.csv", &[("range", "bytes=100-199")]).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"].to_str().unwrap(),
        format!("bytes 100-199/{}", whole.len())
    );
    assert_eq!(part.headers()["accept-ranges"], "bytes");
    assert_eq!(part.text().await.unwrap(), whole[100..200]);
    let gz_whole = get(
        &t,
        "/open-data/products.csv",
        &[("accept-encoding", "gzip")],
    )
    .await;
    let gz_len: usize = gz_whole.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let etag = gz_whole.headers()["etag"].to_str().unwrap().to_string();
    let gz_bytes = gz_whole.bytes().await.unwrap();
    assert_eq!(gz_bytes.len(), gz_len);
    let tail = get(
        &t,
        "/open-data/products.csv",
        &[
            ("accept-encoding", "gzip"),
            ("range", "bytes=10-"),
            ("if-range", &etag),
        ],
    )
    .await;
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap(), gz_bytes[10..]);
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&gz_bytes[..])
        .read_to_string(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, whole);
    let beyond = get(&t, "/open-data/products.csv", &[("range", "bytes=999999-")]).await;
    assert_eq!(beyond.status(), 416);
    // A change of the data: the next download makes the file again, once.
    t.product("ouverte", json!({"name": "Poire", "price": "2.00"}))
        .await;
    let (a, b) = tokio::join!(
        get(&t, "/open-data/products.csv", &[]),
        get(&t, "/open-data/products.csv", &[])
    );
    assert!(a.text().await.unwrap().contains("Poire") && b.text().await.unwrap().contains("Poire"));
    assert_eq!(t.node.dumps.made() - made, 2);
    // The earlier version is gone from the disk.
    let kept: Vec<String> = std::fs::read_dir(t.settings.data_dir.join("open-data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("products.csv."))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
}

/// The files carry the change feed's cursor they are consistent with: a harvester loads a
/// file, then reads the feed from its cursor and misses nothing.
#[tokio::test]
async fn a_file_and_the_feed_from_its_cursor_give_everything() {
    let t = spawn().await;
    open_shop(&t, "ouverte").await;
    t.product("ouverte", json!({"name": "Pomme", "price": "1.00"}))
        .await;
    let file = get(&t, "/open-data/products.ndjson", &[]).await;
    let cursor = file.headers()["change-feed-cursor"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(file.text().await.unwrap().contains("Pomme"));
    let pkg: Value = get(&t, "/open-data/datapackage.json", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pkg["resources"][2]["cursor"], json!(cursor));
    assert_eq!(
        pkg["changes"]["path"],
        json!(format!("{}/open-data/changes", t.url))
    );
    t.product("ouverte", json!({"name": "Poire", "price": "2.00"}))
        .await;
    let (items, _) = feed::changes(&t, &cursor).await;
    let names: Vec<&str> = items
        .iter()
        .filter_map(|i| i["data"]["name"].as_str())
        .collect();
    assert_eq!(names, vec!["Poire"]);
}

/// The open data is found from the node's base URL alone: NodeInfo links the catalogue, the
/// Data Package and the change feed; the catalogue names the feed as a data service.
#[tokio::test]
async fn the_open_data_is_found_from_the_base_url() {
    let t = spawn().await;
    let links: Value = get(&t, "/.well-known/nodeinfo", &[])
        .await
        .json()
        .await
        .unwrap();
    let href = links["links"][0]["href"].as_str().unwrap();
    let info: Value = t
        .client
        .get(href)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let open = &info["metadata"]["openData"];
    for (key, path) in [
        ("catalog", "/open-data/catalog.jsonld"),
        ("dataPackage", "/open-data/datapackage.json"),
        ("changes", "/open-data/changes"),
    ] {
        assert_eq!(open[key], json!(format!("{}{path}", t.url)), "{info}");
        let url = open[key].as_str().unwrap();
        assert_eq!(
            t.client.get(url).send().await.unwrap().status(),
            200,
            "{url}"
        );
    }
    let catalog = get(&t, "/open-data/catalog.jsonld", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(catalog.contains("dcat:DataService") && catalog.contains("/open-data/changes\""));
}

/// Shops and products using every taxonomy code and every unit, with names, descriptions and
/// tags at their limits (in multi-byte letters): every file, feed page and ActivityPub
/// document the node serves for them keeps its published schema. (Seven codes have a hyphen;
/// the open data's schemas used to refuse them.)
#[tokio::test]
async fn every_code_unit_and_limit_keeps_the_schemas() {
    let t = spawn().await;
    let units = ["piece", "kg", "g", "l", "ml", "m", "box", "dozen", "bunch"];
    let long = |n: usize| "é".repeat(n);
    for (i, c) in etal_protocol::taxonomy::CATEGORIES.iter().enumerate() {
        let slug = format!("s{i}-{}", c.code.replace('.', "-"));
        let slug: String = slug.chars().take(40).collect::<String>();
        let slug = slug.trim_end_matches('-').to_string();
        let res = t
            .post(
                "/api/v1/merchants",
                json!({"slug": slug, "name": long(120), "description": long(5000), "category": c.code,
                       "indexable": true, "phone": "+33 1 34 83 00 01", "siret": "73282932000074",
                       "opening_hours": ["Mo-Fr 08:30-12:30,14:00-19:00", "Sa 08:00-12:00"],
                       "geo": {"lat": 48.64, "lon": 1.83},
                       "address": {"street": long(200), "postal_code": "78120", "city": long(100), "insee_code": "78517"}}),
            )
            .await;
        assert_eq!(res.status, 201, "{}: {}", c.code, res.body);
        let tags: Vec<String> = (0..20).map(|k| format!("étiquette{k}")).collect();
        let p = t
            .post(
                &format!("/api/v1/merchants/{slug}/products"),
                json!({"name": long(200), "description": long(5000), "category": c.code,
                       "unit": units[i % units.len()], "price": "123456.78", "stock": 0,
                       "gtin": "3760012345670", "tags": tags, "availability": "preorder"}),
            )
            .await;
        assert_eq!(p.status, 201, "{}: {}", c.code, p.body);
    }
    // One name over the limit is refused, naming the field.
    t.post(
        "/api/v1/merchants",
        json!({"slug": "trop-long", "name": long(121), "address": {"postal_code": "78120", "city": "R"}}),
    )
    .await
    .problem(422);
    let merchants = get(&t, "/open-data/merchants.csv", &[])
        .await
        .text()
        .await
        .unwrap();
    crate::schemas::assert_valid_table("merchants", &merchants);
    let products = get(&t, "/open-data/products.csv", &[])
        .await
        .text()
        .await
        .unwrap();
    crate::schemas::assert_valid_table("products", &products);
    assert_eq!(
        products.lines().count(),
        1 + etal_protocol::taxonomy::CATEGORIES.len()
    );
    let ndjson = get(&t, "/open-data/products.ndjson", &[])
        .await
        .text()
        .await
        .unwrap();
    for line in ndjson.lines() {
        crate::schemas::assert_valid("open-data/product", &serde_json::from_str(line).unwrap());
    }
    let mut cursor = "0".to_string();
    loop {
        let page: Value = get(
            &t,
            &format!("/open-data/changes?since={cursor}&limit=40"),
            &[],
        )
        .await
        .json()
        .await
        .unwrap();
        crate::schemas::assert_valid("open-data/changes", &page);
        if page["items"].as_array().unwrap().is_empty() {
            break;
        }
        cursor = page["next_cursor"].as_str().unwrap().to_string();
    }
    let list = t.get("/api/v1/products?limit=100").await;
    for p in list.body["items"].as_array().unwrap() {
        let note: Value = t
            .client
            .get(p["url"].as_str().unwrap())
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        crate::schemas::assert_valid("product-note", &note);
        let shop: Value = t
            .client
            .get(note["attributedTo"].as_str().unwrap())
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        crate::schemas::assert_valid("merchant-actor", &shop);
    }
}
