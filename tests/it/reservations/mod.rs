//! Click & collect through the API: reserving holds the stock at once, the shop's steps, slots
//! checked on the server, prices frozen, stock given back by declines, cancellations and
//! expiries, the race for the last item, and the purge of customers' details.

mod dashboard;
mod flow;
mod mails;
mod offers;
mod pages;
mod race;

use std::sync::Arc;

use serde_json::{json, Value};

use crate::harness::{spawn_full, TestNode};
use etal_node::clock::ManualClock;

/// Wednesday 6 January 2027, 09:00 in Paris (08:00 UTC).
pub const WEDNESDAY_9H: i64 = 1_799_222_400_000;

/// A node whose clock reads Wednesday 09:00 in Paris, with a shop open every day 08:00–20:00
/// taking reservations (60 minutes to prepare, 30-minute slots of 4, an hour's grace).
pub async fn shop_taking_reservations(
    tweak: impl FnOnce(&mut etal_node::config::Settings),
) -> (TestNode, Arc<ManualClock>) {
    let clock = ManualClock::new();
    clock.set(WEDNESDAY_9H);
    let t = spawn_full(tweak, clock.clone()).await;
    t.merchant("boulangerie").await;
    let a = t
        .patch(
            "/api/v1/merchants/boulangerie",
            json!({"opening_hours": ["Mo-Su 08:00-20:00"], "email": "contact@boulangerie.example",
                   "reservations": {"enabled": true}}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["reservations"]["enabled"], true, "{}", a.body);
    assert_eq!(a.body["reservations"]["slot_minutes"], 30);
    (t, clock)
}

/// A product of the shop.
pub async fn product(t: &TestNode, name: &str, price: &str, stock: Option<i64>) -> String {
    let mut body = json!({"name": name, "price": price});
    if let Some(s) = stock {
        body["stock"] = json!(s);
    }
    t.product("boulangerie", body).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A reservation body for the 10:00 slot.
pub fn order(product: &str, quantity: i64, email: &str) -> Value {
    json!({
        "merchant": "boulangerie",
        "lines": [{"product": product, "quantity": quantity}],
        "pickup": "2027-01-06T10:00:00+01:00",
        "customer": {"name": "Camille", "email": email},
        "note": "Bien cuite, merci",
    })
}

/// A product's stock and availability through the API.
pub async fn stock(t: &TestNode, id: &str) -> (Value, Value) {
    let p = t.get(&format!("/api/v1/products/{id}")).await;
    (p.body["stock"].clone(), p.body["availability"].clone())
}
