//! Town vouchers: a resident gets one by e-mail and spends it in two shops; never more than
//! its value, even with fifty redemptions at once; expiry, shops not taking part, wrong codes,
//! cancellations, paid campaigns, the list of entitled addresses, and the town's accounts.

mod dashboard;
mod eligibility;

use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Value};

use crate::dashboard::{link_in_mail, smtp_sink};
use crate::harness::{spawn_full, TestNode};
use etal_node::clock::ManualClock;

/// A node with three shops; a campaign (10 € for free, one per address) with the first two,
/// which accept.
pub async fn town(
    tweak: impl FnOnce(&mut etal_node::config::Settings),
    extra: Value,
) -> (TestNode, Arc<ManualClock>, String) {
    let clock = ManualClock::new();
    let t = spawn_full(tweak, clock.clone()).await;
    for s in ["boulangerie", "librairie", "garage"] {
        t.merchant(s).await;
    }
    let mut body = json!({
        "name": "Bons de Noël", "face_value": "10.00", "price": "0", "quantity": 100,
        "issue_from": "2026-01-01", "issue_until": "2099-12-31", "valid_until": "2099-12-31",
        "eligibility": "one_per_email", "merchants": ["boulangerie", "librairie"],
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let a = t.post("/api/v1/voucher-campaigns", body).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.body["id"].as_str().unwrap().to_string();
    assert_eq!(a.body["url"], format!("{}/vouchers/{id}", t.url));
    for s in ["boulangerie", "librairie"] {
        let token = t.merchant_token(s).await;
        let ok = t
            .call(
                Method::POST,
                &format!("/api/v1/voucher-campaigns/{id}/merchants/{s}/accept"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(ok.status, 204, "{}", ok.body);
    }
    (t, clock, id)
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn audit_is_clean(t: &TestNode) {
    let wrong = etal_node::domain::vouchers::audit(&t.node.cx)
        .await
        .unwrap();
    assert!(
        wrong.is_empty(),
        "balances disagree with redemptions: {wrong:?}"
    );
}

#[tokio::test]
async fn a_resident_gets_a_voucher_by_e_mail_and_spends_it_in_two_shops() {
    let (port, mut inbox) = smtp_sink().await;
    let (t, _clock, id) = town(
        move |s| s.smtp_url = Some(format!("smtp://127.0.0.1:{port}")),
        json!({}),
    )
    .await;
    let web = no_redirects();
    let page = web
        .get(format!("{}/vouchers/{id}", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<meta property="og:title" content="Bons de Noël">"#),
        "{page}"
    );
    assert!(page.contains("Un bon d’achat de 10,00 € offert"), "{page}");
    // Its own share card, a JPEG of 1200×630.
    let card_url = format!("{}/cards/vouchers/{id}.jpg", t.url);
    assert!(
        page.contains(&format!(
            r#"<meta property="og:image" content="{card_url}">"#
        )),
        "{page}"
    );
    let card = web.get(&card_url).send().await.unwrap();
    assert_eq!(card.headers()["content-type"], "image/jpeg");
    let card = image::load_from_memory(&card.bytes().await.unwrap()).unwrap();
    assert_eq!((card.width(), card.height()), (1200, 630));
    assert!(page.contains("Shop boulangerie") && page.contains("Shop librairie"));
    assert!(!page.contains("Shop garage"));

    let asked = web
        .post(format!("{}/vouchers/{id}", t.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("email", "Camille@Example.fr"), ("lang", "fr")]))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    assert!(asked
        .text()
        .await
        .unwrap()
        .contains("ouvrez-le pour obtenir votre bon"));
    let link = link_in_mail(&mut inbox, "/vouchers/confirm/").await;
    // Opening the link shows a button (a mail scanner opening it takes nothing).
    let shown = web.get(&link).send().await.unwrap();
    assert_eq!(shown.status(), 200);
    let got = web.post(&link).send().await.unwrap();
    assert_eq!(got.status(), 303);
    let mine = got.headers()["location"].to_str().unwrap().to_string();
    assert!(mine.starts_with("/vouchers/mine/"));
    let again = web.post(&link).send().await.unwrap();
    assert_eq!(again.status(), 409, "a link gives one voucher");
    let holder = web
        .get(format!("{}{mine}", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(holder.contains("<svg"), "the QR code");
    assert!(holder.contains("Reste à dépenser : 10,00 €"), "{holder}");
    let mail = link_in_mail(&mut inbox, "/vouchers/mine/").await;
    assert!(mail.ends_with(&mine));
    let code = holder
        .split(r#"<code id="code">"#)
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(code.len(), 21, "{code}");

    let bakery = t.merchant_token("boulangerie").await;
    let books = t.merchant_token("librairie").await;
    let garage = t.merchant_token("garage").await;
    let read = t
        .call(
            Method::GET,
            &format!("/api/v1/vouchers/{code}"),
            Some(&bakery),
            None,
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["balance"], "10.00");
    assert_eq!(read.body["campaign"]["name"], "Bons de Noël");
    // Typed in lower case without dashes, it reads the same.
    let loose = code.replace('-', "").to_lowercase();
    let read = t
        .call(
            Method::GET,
            &format!("/api/v1/vouchers/{loose}"),
            Some(&books),
            None,
        )
        .await;
    assert_eq!(read.status, 200);

    let path = format!("/api/v1/vouchers/{code}/redemptions");
    let redeem = |token: String, shop: &'static str, amount: &'static str| {
        let t = &t;
        let path = path.clone();
        async move {
            t.call(
                Method::POST,
                &path,
                Some(&token),
                Some(json!({"merchant": shop, "amount": amount})),
            )
            .await
        }
    };
    let a = redeem(bakery.clone(), "boulangerie", "6.40").await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["balance"], "3.60");
    let short = redeem(books.clone(), "librairie", "4.00").await;
    assert_eq!(short.problem(409).fields(), vec!["amount"]);
    let b = redeem(books.clone(), "librairie", "3.60").await;
    assert_eq!(b.status, 201, "{}", b.body);
    assert_eq!(b.body["balance"], "0.00");
    // A shop not taking part.
    let refused = redeem(garage.clone(), "garage", "1.00").await;
    refused.problem(403);
    // Not even the admin redeems at a shop outside the campaign (the town owes only its shops).
    let admin_at_garage = redeem(t.admin.clone(), "garage", "0.01").await;
    admin_at_garage.problem(403);
    // A shop's token cannot redeem for another shop.
    let other = redeem(bakery.clone(), "librairie", "1.00").await;
    other.problem(403);
    audit_is_clean(&t).await;

    let holder = web
        .get(format!("{}{mine}", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(holder.contains("Reste à dépenser : 0,00 €"));
    assert!(holder.contains("Shop boulangerie · 6,40 €"), "{holder}");

    // The town's accounts.
    let owed = t
        .get(&format!("/api/v1/voucher-campaigns/{id}/reimbursements"))
        .await;
    owed.problem(401);
    let owed = t
        .call(
            Method::GET,
            &format!("/api/v1/voucher-campaigns/{id}/reimbursements"),
            Some(&t.admin.clone()),
            None,
        )
        .await;
    let rows = owed.body.as_array().unwrap();
    let of = |slug: &str| rows.iter().find(|r| r["merchant"] == slug).unwrap().clone();
    assert_eq!(of("boulangerie")["amount"], "6.40");
    assert_eq!(of("librairie")["due"], "3.60");
    assert_eq!(rows.len(), 2, "only the campaign's shops");
    let csv = t
        .client
        .get(format!(
            "{}/api/v1/voucher-campaigns/{id}/reimbursements.csv",
            t.url
        ))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "campagne;commerce;siret;bon;montant_eur;date;id_encaissement"
    );
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1].starts_with(&format!(
            "Bons de Noël;Shop boulangerie;;****-****-****-{};6,40;",
            &code[15..]
        )) && !csv.contains(&code),
        "{csv}"
    );
    let xlsx = t
        .client
        .get(format!(
            "{}/api/v1/voucher-campaigns/{id}/reimbursements.xlsx",
            t.url
        ))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(xlsx.starts_with(b"PK"), "a workbook");
    // The open data has the figures, and nothing personal.
    let open = t.get("/open-data/vouchers.json").await;
    let c = &open.body["campaigns"][0];
    assert_eq!(c["spent"], "10.00");
    assert_eq!(c["vouchers_issued"], 1);
    assert_eq!(c["shops"], 2);
    let text = open.body.to_string();
    assert!(!text.contains("camille") && !text.contains(&code), "{text}");
    let list = t
        .call(
            Method::GET,
            "/api/v1/voucher-campaigns",
            Some(&t.admin.clone()),
            None,
        )
        .await;
    assert_eq!(list.body[0]["issued"], 1);
    assert_eq!(list.body[0]["spent"], "10.00");
    assert_eq!(list.body[0]["left"], "0.00");
}

#[tokio::test]
async fn fifty_redemptions_at_once_never_spend_more_than_the_voucher_holds() {
    let (t, _clock, id) = town(|_| {}, json!({"eligibility": "anyone"})).await;
    let bakery = t.merchant_token("boulangerie").await;
    for (amount, wins, left) in [("10.00", 1, "0.00"), ("0.30", 33, "0.10")] {
        let v = t
            .post(
                &format!("/api/v1/voucher-campaigns/{id}/vouchers"),
                json!({"email": "x@example.fr", "payment_ref": "CAISSE-1"}),
            )
            .await;
        assert_eq!(v.status, 201, "{}", v.body);
        let code = v.body["code"].as_str().unwrap().to_string();
        let path = format!("/api/v1/vouchers/{code}/redemptions");
        let tries = (0..50).map(|_| {
            let (t, path, bakery) = (&t, path.clone(), bakery.clone());
            async move {
                t.call(
                    Method::POST,
                    &path,
                    Some(&bakery),
                    Some(json!({"merchant": "boulangerie", "amount": amount})),
                )
                .await
            }
        });
        let answers = futures::future::join_all(tries).await;
        let ok = answers.iter().filter(|a| a.status == 201).count();
        assert_eq!(
            ok,
            wins,
            "{amount}: {:?}",
            answers.iter().map(|a| a.status).collect::<Vec<_>>()
        );
        assert!(answers.iter().all(|a| a.status == 201 || a.status == 409));
        let read = t
            .call(
                Method::GET,
                &format!("/api/v1/vouchers/{code}"),
                Some(&bakery),
                None,
            )
            .await;
        assert_eq!(read.body["balance"], left);
    }
    audit_is_clean(&t).await;
}

#[tokio::test]
async fn expiry_wrong_codes_cancellations_and_the_admins_rules() {
    let (t, clock, id) = town(
        |_| {},
        json!({"issue_until": "2030-01-31", "valid_until": "2030-01-31"}),
    )
    .await;
    let bakery = t.merchant_token("boulangerie").await;
    let v = t
        .post(
            &format!("/api/v1/voucher-campaigns/{id}/vouchers"),
            json!({"email": "y@example.fr"}),
        )
        .await;
    let code = v.body["code"].as_str().unwrap().to_string();
    // One per address.
    let twice = t
        .post(
            &format!("/api/v1/voucher-campaigns/{id}/vouchers"),
            json!({"email": "Y@example.fr"}),
        )
        .await;
    assert_eq!(twice.problem(409).fields(), vec!["email"]);
    // Only the admin issues.
    let no = t
        .call(
            Method::POST,
            &format!("/api/v1/voucher-campaigns/{id}/vouchers"),
            Some(&bakery),
            Some(json!({"email": "z@example.fr"})),
        )
        .await;
    no.problem(403);
    // Nobody else reads codes.
    t.get(&format!("/api/v1/vouchers/{code}"))
        .await
        .problem(401);

    // A redemption cancelled within 15 minutes gives the amount back; not after.
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/vouchers/{code}/redemptions"),
            Some(&bakery),
            Some(json!({"merchant": "boulangerie", "amount": "2.50"})),
        )
        .await;
    assert_eq!(r.status, 201);
    let rid = r.body["id"].as_str().unwrap().to_string();
    let c = t
        .call(
            Method::POST,
            &format!("/api/v1/voucher-redemptions/{rid}/cancel"),
            Some(&bakery),
            None,
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(c.body["balance"], "10.00");
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/vouchers/{code}/redemptions"),
            Some(&bakery),
            Some(json!({"merchant": "boulangerie", "amount": "1.00"})),
        )
        .await;
    let rid = r.body["id"].as_str().unwrap().to_string();
    // Once reimbursed, a redemption cannot be cancelled, and a second click reimburses nothing.
    let admin = etal_node::domain::authz::Caller::Operator;
    let paid = etal_node::domain::vouchers::mark_reimbursed(
        &t.node.cx,
        &admin,
        &id,
        "boulangerie",
        "VIR-1",
    )
    .await
    .unwrap();
    assert_eq!(paid, 100);
    let again = etal_node::domain::vouchers::mark_reimbursed(
        &t.node.cx,
        &admin,
        &id,
        "boulangerie",
        "VIR-2",
    )
    .await;
    assert!(
        matches!(again, Err(etal_node::error::Error::Conflict { .. })),
        "{again:?}"
    );
    let refused = t
        .call(
            Method::POST,
            &format!("/api/v1/voucher-redemptions/{rid}/cancel"),
            Some(&bakery),
            None,
        )
        .await;
    refused.problem(409);
    clock.advance(16 * 60_000);
    let late = t
        .call(
            Method::POST,
            &format!("/api/v1/voucher-redemptions/{rid}/cancel"),
            Some(&bakery),
            None,
        )
        .await;
    late.problem(409);
    audit_is_clean(&t).await;

    // A typo is caught by the check character; an unknown code is a 404; too many, a 429.
    let mut typo = code.clone().into_bytes();
    typo[0] = if typo[0] == b'A' { b'B' } else { b'A' };
    let typo = String::from_utf8(typo).unwrap();
    let bad = t
        .call(
            Method::GET,
            &format!("/api/v1/vouchers/{typo}"),
            Some(&bakery),
            None,
        )
        .await;
    assert_eq!(bad.problem(422).fields(), vec!["code"]);
    for _ in 0..19 {
        t.call(
            Method::GET,
            &format!("/api/v1/vouchers/{typo}"),
            Some(&bakery),
            None,
        )
        .await;
    }
    let blocked = t
        .call(
            Method::GET,
            &format!("/api/v1/vouchers/{code}"),
            Some(&bakery),
            None,
        )
        .await;
    blocked.problem(429);

    // Past its validity: 410.
    clock.advance(20 * 60_000);
    clock.set(
        chrono::DateTime::parse_from_rfc3339("2030-02-01T12:00:00+01:00")
            .unwrap()
            .timestamp_millis(),
    );
    let gone = t
        .call(
            Method::POST,
            &format!("/api/v1/vouchers/{code}/redemptions"),
            Some(&bakery),
            Some(json!({"merchant": "boulangerie", "amount": "1.00"})),
        )
        .await;
    gone.problem(410);
}
