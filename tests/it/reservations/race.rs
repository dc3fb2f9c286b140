//! The race for the last item: of 50 customers reserving it at once, exactly one gets it, and
//! the others are told which line is short (on SQLite and on PostgreSQL).

use reqwest::Method;
use serde_json::json;

use super::{order, product, shop_taking_reservations, stock};

#[tokio::test]
async fn of_fifty_customers_racing_for_the_last_item_exactly_one_gets_it() {
    let (t, _clock) = shop_taking_reservations(|s| {
        s.limits.reservations_per_client_hour = 1000;
    })
    .await;
    let cap = t
        .patch(
            "/api/v1/merchants/boulangerie",
            json!({"reservations": {"slot_capacity": 1000}}),
        )
        .await;
    assert_eq!(cap.status, 200);
    let last = product(&t, "Galette des rois", "18.00", Some(1)).await;
    let plenty = product(&t, "Baguette", "1.20", None).await;
    let tries = (0..50).map(|i| {
        let t = &t;
        let mut body = order(&last, 1, &format!("c{i}@example.fr"));
        // The short line is the second one: the answer must name it.
        body["lines"] =
            json!([{"product": plenty, "quantity": 2}, {"product": last, "quantity": 1}]);
        async move {
            t.call(Method::POST, "/api/v1/reservations", None, Some(body))
                .await
        }
    });
    let answers = futures::future::join_all(tries).await;
    let won: Vec<_> = answers.iter().filter(|a| a.status == 201).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for a in answers.iter().filter(|a| a.status != 201) {
        assert_eq!(
            a.problem(409).fields(),
            vec!["lines[1].quantity"],
            "{}",
            a.body
        );
        assert!(
            a.body["detail"]
                .as_str()
                .unwrap()
                .contains("Galette des rois"),
            "{}",
            a.body
        );
    }
    assert_eq!(stock(&t, &last).await, (json!(0), json!("out_of_stock")));
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM reservations")
        .fetch_one(t.node.cx.db.pool())
        .await
        .unwrap();
    assert_eq!(count, 1, "nothing half-written by the losers");
    let (lines,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM reservation_lines")
        .fetch_one(t.node.cx.db.pool())
        .await
        .unwrap();
    assert_eq!(lines, 2);
}

#[tokio::test]
async fn a_client_sending_too_many_reservations_is_slowed_down() {
    let (t, _clock) = shop_taking_reservations(|s| {
        s.limits.reservations_per_client_hour = 3;
    })
    .await;
    let bread = product(&t, "Pain", "1.00", None).await;
    for i in 0..3 {
        let a = t
            .call(
                Method::POST,
                "/api/v1/reservations",
                None,
                Some(order(&bread, 1, &format!("x{i}@example.fr"))),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
    }
    let a = t
        .call(
            Method::POST,
            "/api/v1/reservations",
            None,
            Some(order(&bread, 1, "x9@example.fr")),
        )
        .await;
    a.problem(429);
    assert!(a.header("retry-after").is_some());
}
