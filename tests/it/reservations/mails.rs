//! Every step is e-mailed to the customer in the language they browsed in, with the status
//! page's link; the shop is e-mailed at each new reservation.

use reqwest::Method;

use super::{order, product, shop_taking_reservations};
use crate::dashboard::smtp_sink;

async fn next(inbox: &mut tokio::sync::mpsc::Receiver<String>) -> String {
    let mail = tokio::time::timeout(std::time::Duration::from_secs(10), inbox.recv())
        .await
        .expect("a mail arrives")
        .unwrap();
    mail.replace("=\n", "").replace("=3D", "=")
}

#[tokio::test]
async fn the_customer_hears_of_every_step_in_their_language_and_the_shop_of_each_new_one() {
    let (port, mut inbox) = smtp_sink().await;
    let (t, _clock) = shop_taking_reservations(move |s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    let bread = product(&t, "Pain", "1.20", Some(9)).await;
    let mut body = order(&bread, 2, "camille@example.fr");
    body["lang"] = "en".into();
    let a = t
        .call(Method::POST, "/api/v1/reservations", None, Some(body))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.body["id"].as_str().unwrap().to_string();
    let mut got = [next(&mut inbox).await, next(&mut inbox).await];
    got.sort_by_key(|m| !m.contains("To: contact@boulangerie.example"));
    let (shop, customer) = (&got[0], &got[1]);
    assert!(shop.contains("Nouvelle r"), "{shop}");
    assert!(shop.contains("camille@example.fr"), "{shop}");
    assert!(
        shop.contains("/dashboard/shops/boulangerie/reservations"),
        "{shop}"
    );
    assert!(customer.contains("To: camille@example.fr"), "{customer}");
    assert!(customer.contains("is sent"), "{customer}");
    assert!(
        customer.contains(&format!("{}/reservations/{id}", t.url)),
        "{customer}"
    );

    let token = t.merchant_token("boulangerie").await;
    for (step, words) in [
        ("accept", "accepts your reservation"),
        ("ready", "is ready"),
    ] {
        let a = t
            .call(
                Method::POST,
                &format!("/api/v1/reservations/{id}/{step}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(a.status, 200);
        let m = next(&mut inbox).await;
        assert!(m.contains(words), "{step}: {m}");
        assert!(m.contains("To: camille@example.fr"));
    }
}
