//! The shopkeeper's side: the badge of new reservations on every dashboard page and in its
//! title, the list with the answers, staff handling reservations but not the settings.

use reqwest::Method;

use super::{order, product, shop_taking_reservations, stock};
use crate::dashboard::person;
use etal_node::model::account::Role;

#[tokio::test]
async fn the_shop_sees_new_reservations_everywhere_and_answers_them_from_the_dashboard() {
    let (t, _clock) = shop_taking_reservations(|_| {}).await;
    let bread = product(&t, "Fougasse", "4.00", Some(5)).await;
    let mut owner = person(
        &t,
        "owner@boulangerie.example",
        Some(("boulangerie", Role::Owner)),
        false,
    )
    .await;
    let mut staff = person(
        &t,
        "staff@boulangerie.example",
        Some(("boulangerie", Role::Staff)),
        false,
    )
    .await;
    let home = owner.get("/dashboard/shops/boulangerie").await;
    assert!(!home.html.contains("class=\"badge\""), "no badge yet");

    let mut body = order(&bread, 3, "camille@example.fr");
    body["customer"]["phone"] = "06 12 34 56 78".into();
    let a = t
        .call(Method::POST, "/api/v1/reservations", None, Some(body))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.body["id"].as_str().unwrap().to_string();

    for page in [
        "/dashboard/shops/boulangerie",
        "/dashboard/shops/boulangerie/profile",
        "/account",
    ] {
        let got = owner.get(page).await;
        assert!(got.html.contains("<title>(1) "), "{page}: {}", got.html);
        assert!(
            got.html.contains("1 <span>nouvelle réservation</span>"),
            "{page}"
        );
    }
    let list = staff.get("/dashboard/shops/boulangerie/reservations").await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert!(list.html.contains("Nouvelles (1)"));
    assert!(list.html.contains("3 × Fougasse"));
    assert!(list.html.contains("mailto:camille@example.fr"));
    assert!(list.html.contains("06 12 34 56 78"));
    assert!(list.html.contains("mercredi 6 janvier, 10 h 00 – 10 h 30"));
    assert!(
        !list.html.contains("/reservations/settings"),
        "staff do not see the settings"
    );
    let settings = staff
        .get("/dashboard/shops/boulangerie/reservations/settings")
        .await;
    assert_eq!(settings.status, 403);

    // Staff accept two of the three, with a word.
    let token = staff
        .token("/dashboard/shops/boulangerie/reservations")
        .await;
    let done = staff
        .post(
            &format!("/dashboard/shops/boulangerie/reservations/{id}/accept-some"),
            &[("_csrf", &token), ("q0", "2"), ("message", "Plus que deux")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(stock(&t, &bread).await.0, 3);
    let r = t.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(r.body["status"], "accepted");
    assert_eq!(r.body["lines"][0]["accepted"], 2);
    assert_eq!(r.body["message"], "Plus que deux");
    let home = owner.get("/dashboard/shops/boulangerie").await;
    assert!(!home.html.contains("class=\"badge\""), "answered: no badge");

    for step in ["ready", "collected"] {
        let done = staff
            .post(
                &format!("/dashboard/shops/boulangerie/reservations/{id}/{step}"),
                &[("_csrf", &token)],
            )
            .await;
        assert_eq!(done.status, 303, "{step}: {}", done.html);
    }
    assert_eq!(
        t.get(&format!("/api/v1/reservations/{id}")).await.body["status"],
        "collected"
    );

    // A forged form changes nothing.
    let b = t
        .call(
            Method::POST,
            "/api/v1/reservations",
            None,
            Some(order(&bread, 1, "d@example.fr")),
        )
        .await;
    let other = b.body["id"].as_str().unwrap().to_string();
    let forged = staff
        .post_with(
            &format!("/dashboard/shops/boulangerie/reservations/{other}/decline"),
            &[("_csrf", "nope")],
            &[],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        t.get(&format!("/api/v1/reservations/{other}")).await.body["status"],
        "requested"
    );

    // The owner turns reservations off: the product page loses its button.
    let token = owner
        .token("/dashboard/shops/boulangerie/reservations/settings")
        .await;
    let saved = owner
        .post(
            "/dashboard/shops/boulangerie/reservations/settings",
            &[
                ("_csrf", &token),
                ("preparation_minutes", "30"),
                ("slot_minutes", "15"),
                ("slot_capacity", "2"),
                ("grace_minutes", "30"),
                ("reservable", &bread),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let shop = t.get("/api/v1/merchants/boulangerie").await;
    assert_eq!(shop.body["reservations"]["enabled"], false);
    assert_eq!(shop.body["reservations"]["slot_minutes"], 15);
    let page = t
        .client
        .get(format!("{}/products/{bread}", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("class=\"reserve\""));
}
