//! Reserving from the pages, without JavaScript: the product page's form, the basket in its
//! cookie, the slot and contact form, the status page and the customer's cancel.

use super::{product, shop_taking_reservations, stock};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn basket_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_visitor_reserves_from_the_product_page_and_follows_it_on_the_status_page() {
    let (t, _clock) = shop_taking_reservations(|_| {}).await;
    let bread = product(&t, "Pain aux noix", "3.40", Some(6)).await;
    let web = no_redirects();
    let page = web
        .get(format!("{}/products/{bread}", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<form action="/basket" method="post" class="reserve" id="reserver">"#),
        "{page}"
    );
    assert!(page.contains("Réserver"));

    let added = web
        .post(format!("{}/basket", t.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("product", bread.as_str()),
            ("quantity", "2"),
            ("lang", "fr"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 303);
    let cookie = basket_cookie(&added);
    assert!(cookie.starts_with("etal_basket=boulangerie|"), "{cookie}");

    let basket = web
        .get(format!("{}/basket", t.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(basket.headers()["cache-control"], "no-store");
    let html = basket.text().await.unwrap();
    assert!(html.contains("Pain aux noix"), "{html}");
    assert!(html.contains("6,80"), "the total: {html}");
    assert!(html.contains(r#"<option value="2027-01-06T10:00:00+01:00">mercredi 6 janvier, 10 h 00 – 10 h 30</option>"#), "{html}");
    assert!(html.contains(r#"<meta name="robots" content="noindex">"#));

    // Without the consent box: the form comes back, nothing reserved.
    let refused = web
        .post(format!("{}/basket/send", t.url))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("pickup", "2027-01-06T10:00:00+01:00"),
            ("name", "Camille"),
            ("email", "camille@example.fr"),
            ("lang", "fr"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Cochez la case"), "{html}");
    assert!(html.contains(r#"value="Camille""#), "fields kept");
    assert_eq!(stock(&t, &bread).await.0, 6);

    let sent = web
        .post(format!("{}/basket/send", t.url))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("pickup", "2027-01-06T10:00:00+01:00"),
            ("name", "Camille"),
            ("email", "camille@example.fr"),
            ("note", "Merci"),
            ("consent", "yes"),
            ("lang", "fr"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303, "{}", sent.text().await.unwrap());
    assert_eq!(
        basket_cookie(&sent),
        "etal_basket=",
        "the basket is emptied"
    );
    let status_url = sent.headers()["location"].to_str().unwrap().to_string();
    assert!(status_url.starts_with("/reservations/"));
    assert_eq!(stock(&t, &bread).await.0, 4);

    let status = web
        .get(format!("{}{status_url}", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 200);
    assert_eq!(status.headers()["x-robots-tag"], "noindex");
    let html = status.text().await.unwrap();
    assert!(html.contains("Réservation n° 1"), "{html}");
    assert!(html.contains(r#"aria-current="step""#));
    assert!(
        html.contains("2 × Pain aux noix (3,40 € / pièce) = 6,80 €"),
        "{html}"
    );
    assert!(html.contains("Annuler la réservation"));

    let cancelled = web
        .post(format!("{}{status_url}/cancel", t.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("lang", "fr")]))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 303);
    let html = web
        .get(format!("{}{status_url}", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("est annulée"), "{html}");
    assert!(!html.contains("Annuler la réservation"));
    assert_eq!(stock(&t, &bread).await.0, 6);

    // An unknown reservation is a plain 404 page.
    let none = web
        .get(format!("{}/reservations/AAAAAAAAAAAAAAAAAAAAAAAA", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 404);
}

#[tokio::test]
async fn a_reservable_products_note_ends_with_a_reserve_link_to_its_page() {
    let (t, _clock) = shop_taking_reservations(|_| {}).await;
    let bread = product(&t, "Pain", "1.10", Some(4)).await;
    let note = |t: &crate::harness::TestNode| {
        let url = format!("{}/products/{bread}", t.url);
        let client = t.client.clone();
        async move {
            let doc: serde_json::Value = client
                .get(&url)
                .header("accept", "application/activity+json")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            doc["content"].as_str().unwrap().to_string()
        }
    };
    let content = note(&t).await;
    assert!(
        content.ends_with(&format!(
            r##"<p><a href="{}/products/{bread}#reserver">Réserver</a></p>"##,
            t.url
        )),
        "{content}"
    );
    let off = t
        .patch(
            "/api/v1/merchants/boulangerie",
            serde_json::json!({"reservations": {"enabled": false}}),
        )
        .await;
    assert_eq!(off.status, 200);
    assert!(!note(&t).await.contains("Réserver"));
}
