//! Who may get a voucher: a campaign for a list of imported addresses, and a paid campaign's
//! voucher waiting for its payment.

use serde_json::{json, Value};

use super::{form, no_redirects, town};
use crate::dashboard::{link_in_mail, smtp_sink};

#[tokio::test]
async fn a_list_campaign_gives_vouchers_only_to_the_imported_addresses_and_a_paid_one_waits_for_payment(
) {
    let (port, mut inbox) = smtp_sink().await;
    let (t, _clock, id) = town(
        move |s| s.smtp_url = Some(format!("smtp://127.0.0.1:{port}")),
        json!({"eligibility": "list", "price": "7.50"}),
    )
    .await;
    let imported = t
        .client
        .post(format!("{}/api/v1/voucher-campaigns/{id}/entitled", t.url))
        .bearer_auth(&t.admin)
        .header("content-type", "text/csv")
        .body("email;foyer\nalice@example.fr;12\n\"Bob@Example.fr\";13\n\n")
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), 200);
    let body: Value = imported.json().await.unwrap();
    assert_eq!(body["added"], 2);
    let bad = t
        .client
        .post(format!("{}/api/v1/voucher-campaigns/{id}/entitled", t.url))
        .bearer_auth(&t.admin)
        .body("carol@example.fr\nnot an address\n")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    let web = no_redirects();
    let ask = |email: &str| {
        web.post(format!("{}/vouchers/{id}", t.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("email", email)]))
            .send()
    };
    // A stranger is told the same as an entitled resident (who is on the list stays private),
    // and gets no mail: the next mail is bob's.
    let stranger = ask("mallory@example.fr").await.unwrap();
    assert_eq!(stranger.status(), 200);
    let said = stranger.text().await.unwrap();
    let bob = ask("bob@example.fr").await.unwrap();
    assert_eq!(bob.status(), 200);
    assert_eq!(said, bob.text().await.unwrap(), "the same page either way");
    let link = link_in_mail(&mut inbox, "/vouchers/confirm/").await;
    let got = web.post(&link).send().await.unwrap();
    let mine = got.headers()["location"].to_str().unwrap().to_string();
    let holder = web
        .get(format!("{}{mine}", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(holder.contains("à régler à la mairie"), "{holder}");
    assert!(!holder.contains("<svg"), "no code before it is paid");
    let _ = link_in_mail(&mut inbox, "/vouchers/mine/").await;

    let campaign = etal_node::domain::vouchers::campaign(&t.node.cx, &id)
        .await
        .unwrap();
    let admin = etal_node::domain::authz::Caller::Operator;
    let waiting = etal_node::domain::vouchers::awaiting_payment(&t.node.cx, &admin, &campaign)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1);
    etal_node::domain::vouchers::mark_paid(
        &t.node.cx,
        &admin,
        &waiting[0].id.to_string(),
        "TRESOR-42",
    )
    .await
    .unwrap();
    let holder = web
        .get(format!("{}{mine}", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        holder.contains("<svg") && holder.contains("10,00 €"),
        "{holder}"
    );
}
