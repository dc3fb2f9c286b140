//! Spreadsheet import and export: a round trip gives the same catalogue; a file with bad rows
//! imports nothing and names them, or only its valid rows when asked; the command line shares
//! the same rules.

use etal_node::domain::authz::Caller;
use etal_node::domain::spreadsheet;
use etal_node::model::account::Role;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use super::{person, Browser};
use crate::harness::{spawn, TestNode};

async fn catalogue(t: &TestNode, slug: &str) -> Vec<Value> {
    let list = t
        .get(&format!("/api/v1/products?merchant={slug}&limit=100"))
        .await;
    let mut items: Vec<Value> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut p = p.clone();
            for k in [
                "id",
                "url",
                "ap_id",
                "merchant",
                "version",
                "created_at",
                "updated_at",
                "images",
            ] {
                p.as_object_mut().unwrap().remove(k);
            }
            p
        })
        .collect();
    items.sort_by_key(|p| p["name"].as_str().unwrap().to_string());
    items
}

async fn upload(b: &mut Browser, slug: &str, csv: Vec<u8>, valid_only: bool) -> super::Got {
    let token = b.token(&format!("/dashboard/shops/{slug}/import")).await;
    let mut form = Form::new().text("_csrf", token).part(
        "file",
        Part::bytes(csv)
            .file_name("catalogue.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    if valid_only {
        form = form.text("valid_only", "1");
    }
    b.post_multipart(&format!("/dashboard/shops/{slug}/import"), form)
        .await
}

#[tokio::test]
async fn export_then_import_gives_the_same_catalogue() {
    let t = spawn().await;
    t.merchant("epicerie").await;
    t.merchant("epicerie-bis").await;
    for body in [
        json!({"name": "Comté 18 mois", "price": "29.90", "unit": "kg", "sku": "FRO-1",
               "description": "Affiné; \"fruité\"\nsur deux lignes", "category": "food", "tags": ["fromage", "AOP"], "stock": 4}),
        json!({"name": "Miel, toutes fleurs", "price": "8.50", "availability": "preorder", "gtin": "3760012345670"}),
        json!({"name": "Œufs", "price": "3.10", "unit": "dozen", "stock": 0}),
    ] {
        t.product("epicerie", body).await;
    }
    let mut b = person(&t, "e@epicerie.fr", Some(("epicerie", Role::Owner)), false).await;
    let got = b.get("/dashboard/shops/epicerie/products.csv").await;
    assert_eq!(got.status, 200);
    assert!(got.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = got.html.clone();
    assert!(
        csv.starts_with('\u{feff}') && csv.contains("29,90"),
        "{csv}"
    );
    // The same file back: nothing changes.
    t.drain().await;
    let before = t.snapshot().await;
    let again = upload(&mut b, "epicerie", csv.clone().into_bytes(), false).await;
    assert_eq!(again.status, 200, "{}", again.html);
    assert!(
        again
            .html
            .contains("0 produits ajoutés, 0 modifiés, 3 inchangés"),
        "{}",
        again.html
    );
    assert_eq!(before, t.snapshot().await);
    // One price changed in the spreadsheet: one product changes, with one Update.
    let events_before = t.events().await.len();
    let edited = csv.replace("8,50", "9,00");
    let done = upload(&mut b, "epicerie", edited.clone().into_bytes(), false).await;
    assert!(
        done.html.contains("0 produits ajoutés, 1 modifiés"),
        "{}",
        done.html
    );
    let events = t.events().await;
    assert_eq!(events.len(), events_before + 1);
    assert_eq!(events.last().unwrap().0, "update");
    let exported = b.get("/dashboard/shops/epicerie/products.csv").await.html;
    assert_eq!(exported, edited);
    // Without its id column, the file fills another shop with the same catalogue.
    let mut other = person(&t, "e@bis.fr", Some(("epicerie-bis", Role::Owner)), false).await;
    let no_ids: String = {
        let mut r = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(edited.trim_start_matches('\u{feff}').as_bytes());
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(vec![]);
        let headers = r.headers().unwrap().clone();
        w.write_record(headers.iter().skip(1)).unwrap();
        for rec in r.records() {
            w.write_record(rec.unwrap().iter().skip(1)).unwrap();
        }
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    };
    let filled = upload(&mut other, "epicerie-bis", no_ids.into_bytes(), false).await;
    assert!(
        filled.html.contains("3 produits ajoutés"),
        "{}",
        filled.html
    );
    assert_eq!(
        catalogue(&t, "epicerie").await,
        catalogue(&t, "epicerie-bis").await
    );
}

#[tokio::test]
async fn three_bad_rows_among_a_thousand_import_nothing_and_are_named() {
    let t = spawn().await;
    t.merchant("ferme").await;
    let mut csv = String::from("sku;name;price;unit_type;on_hand\n");
    for i in 0..1000 {
        let line = match i {
            100 => format!("S{i};;2,00;kg;1\n"),
            500 => format!("S{i};Carottes {i};gratuit;kg;1\n"),
            900 => format!("S{i};Poireaux {i};2,00;sac;1\n"),
            _ => format!("S{i};Légume {i};2,{:02};kg;{}\n", i % 100, i % 7),
        };
        csv.push_str(&line);
    }
    let mut b = person(&t, "f@ferme.fr", Some(("ferme", Role::Staff)), false).await;
    t.drain().await;
    let before = t.snapshot().await;
    let refused = upload(&mut b, "ferme", csv.clone().into_bytes(), false).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert_eq!(
        before,
        t.snapshot().await,
        "a refused import wrote something"
    );
    // Lines count the header as 1: data row i is on line i + 2.
    for (line, column) in [(102, "name"), (502, "price"), (902, "unit_type")] {
        assert!(
            refused
                .html
                .contains(&format!("<tr><td>{line}</td><td>{column}</td>")),
            "line {line} column {column} in {}",
            refused.html
        );
    }
    assert_eq!(refused.html.matches("<tr><td>").count(), 3);
    // Only the valid rows, when asked: 997 products, 997 Create events.
    let events_before = t.events().await.len();
    let partial = upload(&mut b, "ferme", csv.into_bytes(), true).await;
    assert_eq!(partial.status, 200, "{}", partial.html);
    assert!(
        partial.html.contains("997 produits ajoutés"),
        "{}",
        partial.html
    );
    let total = t.get("/api/v1/products?merchant=ferme&limit=1").await;
    assert!(total.body["next_cursor"].is_string());
    let events = t.events().await;
    assert_eq!(events.len() - events_before, 997);
    assert!(events[events_before..]
        .iter()
        .all(|e| e.0 == "create" && e.1 == "product"));
    // The imported products are searchable like any other.
    let found = t
        .get("/api/v1/products?q=legume&merchant=ferme&limit=5")
        .await;
    assert_eq!(found.body["items"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn another_shop_cannot_import_into_this_one() {
    let t = spawn().await;
    t.merchant("ferme").await;
    t.merchant("cave").await;
    let mut b = person(&t, "c@cave.fr", Some(("cave", Role::Owner)), false).await;
    let page = b.get("/dashboard/shops/ferme/import").await;
    assert_eq!(page.status, 403);
    let err = spreadsheet::import(
        &t.node.cx,
        &Caller::Anonymous,
        "ferme",
        bytes::Bytes::from_static(b"name;price\nX;1\n"),
        false,
        &mut |_| {},
    )
    .await;
    assert!(err.is_err());
}

#[tokio::test]
async fn the_catalogue_downloads_as_an_excel_workbook() {
    let t = spawn().await;
    t.merchant("cave").await;
    t.product(
        "cave",
        json!({"name": "Chablis premier cru", "price": "24.50", "stock": 12, "sku": "VIN-7"}),
    )
    .await;
    let b = person(&t, "c@cave.fr", Some(("cave", Role::Staff)), false).await;
    let got = b
        .client
        .get(format!("{}/dashboard/shops/cave/products.xlsx", t.url))
        .header("cookie", b.cookie_header().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = got.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut text = String::new();
    for name in ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"] {
        let mut f = zip.by_name(name).unwrap();
        std::io::Read::read_to_string(&mut f, &mut text).unwrap();
    }
    assert!(
        text.contains("Chablis premier cru") && text.contains("VIN-7"),
        "{text}"
    );
    assert!(
        text.contains("<v>24.5</v>") && text.contains("<v>12</v>"),
        "{text}"
    );
    // Another shop's people get nothing.
    t.merchant("ferme").await;
    let mut other = person(&t, "f@ferme.fr", Some(("ferme", Role::Owner)), false).await;
    let refused = other.get("/dashboard/shops/cave/products.xlsx").await;
    assert_eq!(refused.status, 403);
}

/// A SKU or a product named twice, even a thousand rows apart (in another batch), is named
/// with the line of its first appearance.
#[tokio::test]
async fn the_same_product_twice_is_named_across_batches() {
    let t = spawn().await;
    t.merchant("ferme").await;
    let existing = t
        .product(
            "ferme",
            json!({"name": "Miel", "price": "8.00", "sku": "MIEL"}),
        )
        .await;
    let mut csv = String::from("id;sku;name;price\n");
    for i in 0..1500 {
        csv.push_str(&format!(";S{i};Légume {i};2,00\n"));
    }
    csv.push_str(";S3;Doublon;2,00\n");
    csv.push_str(&format!(
        "{};;Miel de tilleul;9,00\n",
        existing["id"].as_str().unwrap()
    ));
    csv.push_str(";MIEL;Miel encore;9,50\n");
    let mut b = person(&t, "f@ferme.fr", Some(("ferme", Role::Owner)), false).await;
    let refused = upload(&mut b, "ferme", csv.into_bytes(), false).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused
            .html
            .contains("<tr><td>1502</td><td>sku</td><td>the same sku is on line 5</td>"),
        "{}",
        refused.html
    );
    assert!(
        refused
            .html
            .contains("<tr><td>1504</td><td>sku</td><td>the same product is on line 1503</td>"),
        "{}",
        refused.html
    );
    let list = t.get("/api/v1/products?merchant=ferme&limit=5").await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

/// A shop holds at most `--max-products-per-shop` products, by the API and by imports.
#[tokio::test]
async fn a_shop_holds_at_most_its_share_of_products() {
    let t = crate::harness::spawn_with(|s| s.max_products_per_shop = 3).await;
    t.merchant("ferme").await;
    for i in 0..2 {
        t.product("ferme", json!({"name": format!("P{i}"), "price": "1.00"}))
            .await;
    }
    let mut b = person(&t, "f@ferme.fr", Some(("ferme", Role::Owner)), false).await;
    let refused = upload(
        &mut b,
        "ferme",
        b"name;price\nA;1,00\nB;1,00\n".to_vec(),
        false,
    )
    .await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert!(refused.html.contains("at most 3"), "{}", refused.html);
    let one = upload(&mut b, "ferme", b"name;price\nA;1,00\n".to_vec(), false).await;
    assert_eq!(one.status, 200, "{}", one.html);
    t.post(
        "/api/v1/merchants/ferme/products",
        json!({"name": "Un de trop", "price": "1.00"}),
    )
    .await
    .problem(409);
}

/// An import a stopped process left while it was being applied is finished when a node
/// process starts; one left while it was being read is forgotten.
#[tokio::test]
async fn an_interrupted_import_is_finished_or_forgotten() {
    let t = spawn().await;
    t.merchant("ferme").await;
    let shop_id = etal_node::domain::merchants::get(&t.node.cx, "ferme")
        .await
        .unwrap()
        .id
        .to_string();
    let long_ago = etal_node::clock::Clock::now_ms(&etal_node::clock::SystemClock) - 3_600_000;
    for (id, state) in [
        ("01900000-0000-7000-8000-000000000001", "applying"),
        ("01900000-0000-7000-8000-000000000002", "staging"),
    ] {
        sqlx::query("INSERT INTO imports (id, merchant_id, state, created_at, updated_at) VALUES ($1,$2,$3,$4,$4)")
            .bind(id)
            .bind(&shop_id)
            .bind(state)
            .bind(long_ago)
            .execute(t.node.cx.db.pool())
            .await
            .unwrap();
        for line in [2i64, 3] {
            sqlx::query("INSERT INTO import_rows (import_id, line, product_id, creates, sku, cells) VALUES ($1,$2,$3,1,NULL,$4)")
                .bind(id)
                .bind(line)
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(json!({"name": format!("{state} {line}"), "price": "2,50"}).to_string())
                .execute(t.node.cx.db.pool())
                .await
                .unwrap();
        }
    }
    spreadsheet::recover(&t.node.cx).await.unwrap();
    let names: Vec<String> = catalogue(&t, "ferme")
        .await
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["applying 2", "applying 3"]);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM import_rows")
        .fetch_one(t.node.cx.db.pool())
        .await
        .unwrap();
    let imports: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM imports")
        .fetch_one(t.node.cx.db.pool())
        .await
        .unwrap();
    assert_eq!((left, imports), (0, 0));
}
