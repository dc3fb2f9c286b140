//! Search at national scale: a word found in more products than the window read
//! (`db::window`, 500) is counted up to the window, ranked within it (names first, even before
//! newer products that name it only in their description) and paged to its end, on SQLite as
//! on PostgreSQL. The facet by town counts what `towns_counted` says.

use etal_node::domain::authz::Caller;
use serde_json::json;

use crate::harness::spawn;

#[tokio::test]
async fn a_common_word_is_counted_to_the_window_and_ranked_names_first() {
    let t = spawn().await;
    let shop = t
        .post(
            "/api/v1/merchants",
            json!({"slug": "rucher", "name": "Le Rucher", "geo": {"lat": 48.64, "lon": 1.83},
                   "address": {"postal_code": "78120", "city": "Rambouillet", "insee_code": "78517"}}),
        )
        .await;
    assert_eq!(shop.status, 201, "{}", shop.body);
    // 560 products named after honey, then 30 newer ones that mention it only in their
    // description.
    let mut csv = String::from("name;description;price\n");
    for i in 0..560 {
        csv.push_str(&format!("Miel de fleurs {i};Pot de 500 g;8,50\n"));
    }
    for i in 0..30 {
        csv.push_str(&format!("Bougie {i};Cire d’abeille et miel;6,00\n"));
    }
    let report = etal_node::domain::spreadsheet::import(
        &t.node.cx,
        &Caller::Operator,
        "rucher",
        bytes::Bytes::from(csv),
        false,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.created, 590);

    let first = t.get("/api/v1/search?q=miel&limit=20").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let names = |body: &serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let page1 = names(&first.body);
    assert_eq!(page1.len(), 20);
    // Names first, newest first: the last honey imported leads.
    assert_eq!(page1[0], "Miel de fleurs 559", "{page1:?}");
    assert!(page1.iter().all(|n| n.starts_with("Miel")), "{page1:?}");

    let (total, exact) = (
        first.body["total"].as_i64().unwrap(),
        first.body["total_exact"].as_bool().unwrap(),
    );
    // The 500 newest matches: 30 candles and 470 honeys.
    assert_eq!((total, exact), (500, false), "{}", first.body);
    assert_eq!(first.body["towns_counted"], total);
    assert_eq!(
        first.body["towns"],
        json!([{"insee_code": "78517", "city": "Rambouillet", "count": total}])
    );
    // The last page holds the candles (their description only names honey), the page after
    // it nothing.
    let last = (total + 19) / 20;
    let tail = t
        .get(&format!("/api/v1/search?q=miel&limit=20&page={last}"))
        .await;
    let tail_names = names(&tail.body);
    assert!(
        tail_names
            .iter()
            .rev()
            .take(10)
            .all(|n| n.starts_with("Bougie")),
        "{tail_names:?}"
    );
    let beyond = t
        .get(&format!("/api/v1/search?q=miel&limit=20&page={}", last + 1))
        .await;
    assert_eq!(beyond.status, 200);
    assert_eq!(names(&beyond.body), Vec::<String>::new());
    assert_eq!(beyond.body["total"], total);

    // The page says so.
    let html = t
        .client
        .get(format!("{}/search?q=miel", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Plus de 500 résultats"), "{html}");
    assert!(html.contains("Parmi les 500 résultats les plus récents."));

    // Fewer matches than the window: counted exactly, ranked the same way.
    let few = t.get("/api/v1/search?q=bougie").await;
    assert_eq!(few.body["total"], 30);
    assert_eq!(few.body["total_exact"], true);
    assert_eq!(few.body["towns_counted"], 30);
    let cire = t.get("/api/v1/search?q=cire+miel&limit=5").await;
    assert_eq!(cire.body["total"], 30, "{}", cire.body);
    assert_eq!(names(&cire.body)[0], "Bougie 29");
}
