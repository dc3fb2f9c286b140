//! FEP-0837 from the fediverse: a Mitra-shaped `Offer` becomes a reservation; the shop's
//! answer is an `Accept` whose `result` is the finalized `Agreement` (the shape Mitra reads),
//! later steps are direct `Note`s mentioning the customer; an `Offer` asking too much, at the
//! wrong price or for what cannot be reserved gets a `Reject` and stores nothing.

use reqwest::Method;
use serde_json::json;

use super::{product, shop_taking_reservations, stock};
use crate::fedi::FakeServer;

#[tokio::test]
async fn an_offer_becomes_a_reservation_and_the_customer_hears_every_answer() {
    let (t, _clock) = shop_taking_reservations(|_| {}).await;
    let bread = product(&t, "Pain au levain", "2.50", Some(3)).await;
    let note = format!("{}/products/{bread}", t.url);
    let shop = format!("{}/shops/boulangerie", t.url);
    let fake = FakeServer::start_mitra().await;
    let alice = fake.actor("alice");

    let (offer, status) = fake
        .offer("alice", &shop, &note, "one", "2", Some("5.00"))
        .await;
    assert!(status < 300, "{status}");
    let token = t.merchant_token("boulangerie").await;
    let list = t
        .call(
            Method::GET,
            "/api/v1/merchants/boulangerie/reservations",
            Some(&token),
            None,
        )
        .await;
    let r = &list.body["items"][0];
    assert_eq!(r["status"], "requested", "{}", list.body);
    assert_eq!(r["customer"]["actor"], alice);
    assert_eq!(r["lines"][0]["quantity"], 2);
    assert_eq!(r["total"], "5.00");
    // The first free slot was taken for it.
    assert_eq!(r["pickup"], "2027-01-06T10:00:00+01:00");
    assert_eq!(stock(&t, &bread).await.0, 1);
    let id = r["id"].as_str().unwrap().to_string();

    let a = t
        .call(
            Method::POST,
            &format!("/api/v1/reservations/{id}/accept"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let got = fake
        .wait_for("the Accept", 20, |r| {
            r.iter().any(|x| x.activity["type"] == "Accept")
        })
        .await;
    let accept = got.iter().find(|x| x.activity["type"] == "Accept").unwrap();
    assert!(accept.verified, "signed by the shop");
    let doc = &accept.activity;
    assert_eq!(doc["actor"], shop);
    assert_eq!(doc["object"], offer);
    assert_eq!(doc["to"], json!([alice]));
    let result = &doc["result"];
    let agreement = format!("{}/reservations/{id}", t.url);
    assert_eq!(result["type"], "Agreement");
    assert_eq!(result["id"], agreement);
    assert_eq!(result["attributedTo"], shop);
    // Mitra reads an Agreement's url as a Link.
    assert_eq!(
        result["url"],
        json!({"type": "Link", "href": agreement, "mediaType": "text/html"})
    );
    assert_eq!(result["stipulates"]["id"], format!("{agreement}#primary"));
    assert_eq!(result["stipulates"]["satisfies"], format!("{note}#primary"));
    assert_eq!(
        result["stipulates"]["resourceQuantity"],
        json!({"hasUnit": "one", "hasNumericalValue": "2"})
    );
    assert_eq!(
        result["stipulatesReciprocal"]["id"],
        format!("{agreement}#reciprocal")
    );
    assert_eq!(
        result["stipulatesReciprocal"]["resourceQuantity"]["hasNumericalValue"],
        "5.00"
    );
    crate::schemas::assert_valid("activity-accept-offer", doc);

    // Ready: a direct Note mentioning alice, which any fediverse app shows.
    let ready = t
        .call(
            Method::POST,
            &format!("/api/v1/reservations/{id}/ready"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(ready.status, 200);
    let got = fake
        .wait_for("the Note", 20, |r| {
            r.iter().any(|x| x.activity["type"] == "Create")
        })
        .await;
    let create = got.iter().find(|x| x.activity["type"] == "Create").unwrap();
    assert!(create.verified);
    let note_doc = &create.activity["object"];
    assert_eq!(note_doc["type"], "Note");
    assert_eq!(note_doc["to"], json!([alice]));
    assert_eq!(note_doc["tag"][0]["type"], "Mention");
    assert_eq!(note_doc["tag"][0]["href"], alice);
    let content = note_doc["content"].as_str().unwrap();
    assert!(content.contains("est prête"), "{content}");
    assert!(content.contains(&agreement), "{content}");
    crate::schemas::assert_valid("activity-create-message", &create.activity);
}

#[tokio::test]
async fn offers_asking_too_much_at_the_wrong_price_or_for_what_is_not_reservable_are_rejected() {
    let (t, _clock) = shop_taking_reservations(|_| {}).await;
    let bread = product(&t, "Pain au levain", "2.50", Some(3)).await;
    let cake = product(&t, "Gâteau", "20.00", Some(3)).await;
    let excluded = t
        .patch(
            "/api/v1/merchants/boulangerie",
            json!({"reservations": {"excluded_products": [cake]}}),
        )
        .await;
    assert_eq!(excluded.status, 200, "{}", excluded.body);
    let shop = format!("{}/shops/boulangerie", t.url);
    let note = |id: &str| format!("{}/products/{id}", t.url);
    let fake = FakeServer::start_mitra().await;
    let before = t.snapshot().await;
    let mut offers = Vec::new();
    for (product, unit, quantity, price, why) in [
        (&bread, "one", "4", Some("10.00"), "only 3 left"),
        (&bread, "one", "2", Some("4.00"), "as published"),
        (&bread, "kilogram", "2", None, "must be in &quot;one&quot;"),
        (&bread, "one", "1.5", None, "whole number"),
        (&cake, "one", "1", None, "cannot be reserved"),
    ] {
        let (id, status) = fake
            .offer("bob", &shop, &note(product), unit, quantity, price)
            .await;
        assert!(status < 300, "{status}");
        offers.push((id, why));
    }
    let got = fake
        .wait_for("five Rejects", 20, |r| {
            r.iter().filter(|x| x.activity["type"] == "Reject").count() == 5
        })
        .await;
    for (id, why) in offers {
        let reject = got
            .iter()
            .find(|x| x.activity["type"] == "Reject" && x.activity["object"] == id)
            .unwrap_or_else(|| panic!("no Reject of {id}"));
        assert!(reject.verified);
        assert_eq!(reject.activity["actor"], shop);
        let summary = reject.activity["summary"].as_str().unwrap();
        assert!(summary.contains(why), "{summary} should say {why}");
    }
    assert!(!got.iter().any(|x| x.activity["type"] == "Accept"));
    // Nothing stored but the receipts, the sender and the deliveries of the Rejects.
    let after = t.snapshot().await;
    for table in [
        "reservations",
        "reservation_lines",
        "reservation_notices",
        "products",
    ] {
        assert_eq!(before.get(table), after.get(table), "{table} changed");
    }
}

#[tokio::test]
async fn an_offer_refused_for_a_reason_the_shop_typed_says_it_escaped() {
    let (t, _clock) = shop_taking_reservations(|_| {}).await;
    let odd = product(&t, "<b>Pain</b> & co", "1.00", Some(1)).await;
    let shop = format!("{}/shops/boulangerie", t.url);
    let fake = FakeServer::start_mitra().await;
    let (id, _) = fake
        .offer(
            "carol",
            &shop,
            &format!("{}/products/{odd}", t.url),
            "one",
            "5",
            None,
        )
        .await;
    let got = fake
        .wait_for("the Reject", 20, |r| {
            r.iter().any(|x| x.activity["type"] == "Reject")
        })
        .await;
    let reject = got.iter().find(|x| x.activity["object"] == id).unwrap();
    let summary = reject.activity["summary"].as_str().unwrap();
    assert!(
        summary.contains("&lt;b&gt;Pain&lt;/b&gt; &amp; co"),
        "{summary}"
    );
}

#[tokio::test]
async fn every_offer_gets_an_accept_or_a_reject_whatever_the_shop_or_the_customer_does() {
    let (t, _clock) = shop_taking_reservations(|_| {}).await;
    let bread = product(&t, "Pain", "1.00", Some(10)).await;
    let note = format!("{}/products/{bread}", t.url);
    let shop = format!("{}/shops/boulangerie", t.url);
    let token = t.merchant_token("boulangerie").await;
    let fake = FakeServer::start_mitra().await;
    let reservation_of = |offer: String| {
        let t = &t;
        let token = token.clone();
        async move {
            let list = t
                .call(
                    Method::GET,
                    "/api/v1/merchants/boulangerie/reservations",
                    Some(&token),
                    None,
                )
                .await;
            list.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["customer"]["actor"].is_string())
                .map(|r| r["id"].as_str().unwrap().to_string())
                .unwrap_or_else(|| panic!("no reservation for {offer}"))
        }
    };
    // Made ready straight away: the Accept goes out first.
    let (ready_offer, _) = fake.offer("dora", &shop, &note, "one", "1", None).await;
    let id = reservation_of(ready_offer.clone()).await;
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/reservations/{id}/ready"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    fake.wait_for("Accept and Note", 20, |r| {
        r.iter()
            .any(|x| x.activity["type"] == "Accept" && x.activity["object"] == ready_offer)
            && r.iter().any(|x| x.activity["type"] == "Create")
    })
    .await;
    // Cancelled by its customer before any answer: a Reject.
    let (cancelled_offer, _) = fake.offer("dora", &shop, &note, "one", "2", None).await;
    let list = t
        .call(
            Method::GET,
            "/api/v1/merchants/boulangerie/reservations?status=requested",
            Some(&token),
            None,
        )
        .await;
    let id = list.body["items"][0]["id"].as_str().unwrap().to_string();
    let c = t
        .call(
            Method::POST,
            &format!("/api/v1/reservations/{id}/cancel"),
            None,
            None,
        )
        .await;
    assert_eq!(c.status, 200);
    let got = fake
        .wait_for("the Reject", 20, |r| {
            r.iter()
                .any(|x| x.activity["type"] == "Reject" && x.activity["object"] == cancelled_offer)
        })
        .await;
    let reject = got.iter().find(|x| x.activity["type"] == "Reject").unwrap();
    assert!(reject.activity["summary"]
        .as_str()
        .unwrap()
        .contains("cancelled"));
}
