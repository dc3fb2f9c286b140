//! One reservation's life, and every refusal.

use reqwest::Method;
use serde_json::json;

use super::{order, product, shop_taking_reservations, stock, WEDNESDAY_9H};

#[tokio::test]
async fn a_reservation_holds_stock_freezes_prices_and_goes_from_requested_to_collected() {
    let (t, _clock) = shop_taking_reservations(|_| {}).await;
    let bread = product(&t, "Pain de campagne", "2.50", Some(5)).await;
    let flour = product(&t, "Farine", "3.10", None).await;

    // The day's free slots start after the hour of preparation.
    let slots = t
        .get("/api/v1/merchants/boulangerie/slots?date=2027-01-06")
        .await;
    assert_eq!(slots.status, 200, "{}", slots.body);
    let list = slots.body["slots"].as_array().unwrap();
    assert_eq!(list[0]["start"], "2027-01-06T10:00:00+01:00");
    assert_eq!(list[0]["end"], "2027-01-06T10:30:00+01:00");
    assert_eq!(list[0]["left"], 4);
    assert_eq!(list.last().unwrap()["start"], "2027-01-06T19:30:00+01:00");

    let mut body = order(&bread, 2, "camille@example.fr");
    body["lines"]
        .as_array_mut()
        .unwrap()
        .push(json!({"product": flour, "quantity": 3}));
    let a = t
        .call(Method::POST, "/api/v1/reservations", None, Some(body))
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let r = a.body.clone();
    let id = r["id"].as_str().unwrap().to_string();
    assert!(id.len() >= 22, "at least 128 bits: {id}");
    assert_eq!(r["status"], "requested");
    assert_eq!(r["status_url"], format!("{}/reservations/{id}", t.url));
    assert_eq!(
        a.header("location").unwrap(),
        r["status_url"].as_str().unwrap()
    );
    assert_eq!(r["lines"][0]["unit_price"], "2.50");
    assert_eq!(r["lines"][1]["unit_price"], "3.10");
    assert_eq!(r["total"], "14.30");
    assert_eq!(r["pickup"], "2027-01-06T10:00:00+01:00");
    // The stock is held at once; an untracked stock stays untracked.
    assert_eq!(stock(&t, &bread).await.0, 3);
    assert_eq!(stock(&t, &flour).await.0, serde_json::Value::Null);

    // A later price change does not touch the reservation.
    let p = t
        .patch(
            &format!("/api/v1/products/{bread}"),
            json!({"price": "2.90"}),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let again = t.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(again.body["lines"][0]["unit_price"], "2.50");
    assert_eq!(again.body["total"], "14.30");

    // The shop sees it, new first, and nobody else does.
    let token = t.merchant_token("boulangerie").await;
    let anon = t.get("/api/v1/merchants/boulangerie/reservations").await;
    anon.problem(401);
    let list = t
        .call(
            Method::GET,
            "/api/v1/merchants/boulangerie/reservations?status=requested",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["items"][0]["id"], id);
    assert_eq!(
        list.body["items"][0]["customer"]["email"],
        "camille@example.fr"
    );
    assert_eq!(list.body["items"][0]["note"], "Bien cuite, merci");

    // The customer cannot accept their own reservation.
    let forged = t
        .call(
            Method::POST,
            &format!("/api/v1/reservations/{id}/accept"),
            None,
            None,
        )
        .await;
    forged.problem(401);

    // Accepting one loaf of the two gives one back.
    let acc = t
        .call(
            Method::POST,
            &format!("/api/v1/reservations/{id}/accept"),
            Some(&token),
            Some(json!({"quantities": [1, 3], "message": "Plus qu'un pain ce matin"})),
        )
        .await;
    assert_eq!(acc.status, 200, "{}", acc.body);
    assert_eq!(acc.body["status"], "accepted");
    assert_eq!(acc.body["lines"][0]["accepted"], 1);
    assert_eq!(acc.body["total"], "11.80");
    assert_eq!(acc.body["message"], "Plus qu'un pain ce matin");
    assert_eq!(stock(&t, &bread).await.0, 4);

    let twice = t
        .call(
            Method::POST,
            &format!("/api/v1/reservations/{id}/accept"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(twice.problem(409).fields(), vec!["status"]);

    for (step, status) in [("ready", "ready"), ("collected", "collected")] {
        let a = t
            .call(
                Method::POST,
                &format!("/api/v1/reservations/{id}/{step}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(a.status, 200, "{step}: {}", a.body);
        assert_eq!(a.body["status"], status);
    }
    // Collected is the end: no cancelling, and the stock stays sold.
    let late = t
        .call(
            Method::POST,
            &format!("/api/v1/reservations/{id}/cancel"),
            None,
            None,
        )
        .await;
    late.problem(409);
    assert_eq!(stock(&t, &bread).await.0, 4);
}

#[tokio::test]
async fn slots_are_checked_on_the_server() {
    let (t, _clock) = shop_taking_reservations(|_| {}).await;
    let bread = product(&t, "Pain", "1.20", Some(50)).await;
    let try_at = |pickup: &str| {
        let mut b = order(&bread, 1, "a@example.fr");
        b["pickup"] = json!(pickup);
        b
    };
    for (pickup, why) in [
        ("2027-01-06T21:00:00+01:00", "after closing"),
        ("2027-01-06T07:30:00+01:00", "before opening"),
        ("2027-01-06T10:10:00+01:00", "not a slot's start"),
        (
            "2027-01-06T09:30:00+01:00",
            "inside the hour of preparation",
        ),
        ("2027-02-06T10:00:00+01:00", "a month ahead"),
    ] {
        let a = t
            .call(
                Method::POST,
                "/api/v1/reservations",
                None,
                Some(try_at(pickup)),
            )
            .await;
        assert_eq!(a.problem(409).fields(), vec!["pickup"], "{why}: {}", a.body);
    }
    let bad = t
        .call(
            Method::POST,
            "/api/v1/reservations",
            None,
            Some(try_at("tomorrow")),
        )
        .await;
    assert_eq!(bad.problem(422).fields(), vec!["pickup"]);
    // Nothing was held by the refusals.
    assert_eq!(stock(&t, &bread).await.0, 50);

    // A full slot refuses the next customer.
    let cap = t
        .patch(
            "/api/v1/merchants/boulangerie",
            json!({"reservations": {"slot_capacity": 1}}),
        )
        .await;
    assert_eq!(cap.status, 200, "{}", cap.body);
    let first = t
        .call(
            Method::POST,
            "/api/v1/reservations",
            None,
            Some(order(&bread, 1, "a@example.fr")),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = t
        .call(
            Method::POST,
            "/api/v1/reservations",
            None,
            Some(order(&bread, 1, "b@example.fr")),
        )
        .await;
    assert_eq!(second.problem(409).fields(), vec!["pickup"]);
    let slots = t
        .get("/api/v1/merchants/boulangerie/slots?date=2027-01-06")
        .await;
    assert_eq!(slots.body["slots"][0]["start"], "2027-01-06T10:30:00+01:00");
}

#[tokio::test]
async fn bad_requests_name_their_fields_and_store_nothing() {
    let (t, _clock) = shop_taking_reservations(|_| {}).await;
    let bread = product(&t, "Pain", "1.20", Some(3)).await;
    let before = t.snapshot().await;
    let a = t
        .call(
            Method::POST,
            "/api/v1/reservations",
            None,
            Some(
                json!({"merchant": "boulangerie", "lines": [{"product": bread, "quantity": 0}],
                        "pickup": "2027-01-06T10:00:00+01:00", "customer": {"email": "nope"}}),
            ),
        )
        .await;
    let mut fields = a.problem(422).fields();
    fields.sort();
    assert_eq!(
        fields,
        vec!["customer.email", "customer.name", "lines[0].quantity"]
    );
    let off = t
        .call(
            Method::POST,
            "/api/v1/reservations",
            None,
            Some(json!({"merchant": "boulangerie", "lines": [{"product": uuid::Uuid::now_v7().to_string(), "quantity": 1}],
                        "pickup": "2027-01-06T10:00:00+01:00", "customer": {"name": "A", "phone": "06 12 34 56 78"}})),
        )
        .await;
    assert_eq!(off.problem(409).fields(), vec!["lines[0].product"]);
    // Only the rate limits' counters moved.
    let mut after = t.snapshot().await;
    after.remove("login_throttle");
    let mut before = before;
    before.remove("login_throttle");
    assert_eq!(before, after);

    // A shop that takes no reservations says so.
    t.merchant("epicerie").await;
    let other = t
        .call(
            Method::POST,
            "/api/v1/reservations",
            None,
            Some(json!({"merchant": "epicerie", "lines": [{"product": bread, "quantity": 1}],
                        "pickup": "2027-01-06T10:00:00+01:00", "customer": {"name": "A", "email": "a@example.fr"}})),
        )
        .await;
    assert_eq!(other.problem(409).fields(), vec!["merchant"]);
    // Settings out of range, and only owners change them.
    let bad = t
        .patch(
            "/api/v1/merchants/boulangerie",
            json!({"reservations": {"slot_minutes": 1, "slot_capacity": 0}}),
        )
        .await;
    let mut f = bad.problem(422).fields();
    f.sort();
    assert_eq!(
        f,
        vec!["reservations.slot_capacity", "reservations.slot_minutes"]
    );
}

#[tokio::test]
async fn cancelling_declining_and_expiring_give_the_stock_back_and_details_are_purged() {
    let (t, clock) = shop_taking_reservations(|_| {}).await;
    let bread = product(&t, "Brioche", "6.00", Some(2)).await;
    let token = t.merchant_token("boulangerie").await;
    let reserve = |email: &str| {
        t.call(
            Method::POST,
            "/api/v1/reservations",
            None,
            Some(order(&bread, 2, email)),
        )
    };

    // The last two: the product is sold out everywhere without anyone touching it.
    let a = reserve("a@example.fr").await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(stock(&t, &bread).await, (json!(0), json!("out_of_stock")));
    let page = t
        .client
        .get(format!("{}/products/{bread}", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("épuisé"), "the page says sold out");
    // Cancelled by the customer: back in stock.
    let id = a.body["id"].as_str().unwrap();
    let c = t
        .call(
            Method::POST,
            &format!("/api/v1/reservations/{id}/cancel"),
            None,
            None,
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(c.body["status"], "cancelled");
    assert_eq!(stock(&t, &bread).await, (json!(2), json!("in_stock")));

    // Declined by the shop: back too.
    let b = reserve("b@example.fr").await;
    let id = b.body["id"].as_str().unwrap();
    let d = t
        .call(
            Method::POST,
            &format!("/api/v1/reservations/{id}/decline"),
            Some(&token),
            Some(json!({"message": "Fermé exceptionnellement"})),
        )
        .await;
    assert_eq!(d.status, 200, "{}", d.body);
    assert_eq!(d.body["status"], "declined");
    assert_eq!(d.body["message"], "Fermé exceptionnellement");
    assert_eq!(stock(&t, &bread).await.0, 2);

    // Not collected by 10:30 plus the hour's grace: expired at 11:31, not before.
    let e = reserve("e@example.fr").await;
    let id = e.body["id"].as_str().unwrap().to_string();
    let acc = t
        .call(
            Method::POST,
            &format!("/api/v1/reservations/{id}/accept"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(acc.status, 200);
    clock.set(WEDNESDAY_9H + (2 * 60 + 29) * 60_000);
    etal_node::domain::reservations::sweep(&t.node.cx)
        .await
        .unwrap();
    assert_eq!(
        t.get(&format!("/api/v1/reservations/{id}")).await.body["status"],
        "accepted"
    );
    clock.set(WEDNESDAY_9H + (2 * 60 + 31) * 60_000);
    let (expired, _) = etal_node::domain::reservations::sweep(&t.node.cx)
        .await
        .unwrap();
    assert_eq!(expired, 1);
    let r = t.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(r.body["status"], "expired");
    assert_eq!(stock(&t, &bread).await, (json!(2), json!("in_stock")));
    assert_eq!(r.body["customer"]["email"], "e@example.fr");

    // Thirty days after they ended, the customers' details are gone; the rest stays.
    clock.set(WEDNESDAY_9H + 30 * 86_400_000);
    let (_, purged) = etal_node::domain::reservations::sweep(&t.node.cx)
        .await
        .unwrap();
    assert_eq!(purged, 0, "not yet: thirty days after 11:31");
    clock.set(WEDNESDAY_9H + 31 * 86_400_000);
    let (_, purged) = etal_node::domain::reservations::sweep(&t.node.cx)
        .await
        .unwrap();
    assert_eq!(purged, 3);
    let r = t.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(r.body["status"], "expired");
    assert_eq!(
        r.body["customer"],
        json!({"name": null, "email": null, "phone": null, "actor": null})
    );
    assert_eq!(r.body["note"], serde_json::Value::Null);
    assert_eq!(r.body["total"], "12.00");
    let left: Vec<(Option<String>, Option<String>, String)> =
        sqlx::query_as("SELECT customer_name, customer_email, contact_key FROM reservations")
            .fetch_all(t.node.cx.db.pool())
            .await
            .unwrap();
    assert!(
        left.iter()
            .all(|(n, e, k)| n.is_none() && e.is_none() && k.is_empty()),
        "{left:?}"
    );
}
