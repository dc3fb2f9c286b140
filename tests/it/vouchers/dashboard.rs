//! Vouchers in the dashboard: the shopkeeper takes part of one by its code or a photo of its QR
//! code; the admin runs a campaign.

use serde_json::json;

use super::{audit_is_clean, town};

/// A PNG photo of a QR code holding `text`, as a phone would take it of a screen.
fn qr_photo(text: &str) -> Vec<u8> {
    let qr = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let width = qr.width();
    let colors = qr.to_colors();
    let (scale, quiet) = (8u32, 4u32);
    let side = (width as u32 + 2 * quiet) * scale;
    let img = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let dark = mx >= quiet
            && my >= quiet
            && mx < quiet + width as u32
            && my < quiet + width as u32
            && colors[((my - quiet) as usize) * width + (mx - quiet) as usize]
                == qrcode::Color::Dark;
        image::Luma([if dark { 20 } else { 235 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn the_shopkeeper_takes_part_of_a_voucher_from_the_dashboard_by_code_or_photo() {
    use crate::dashboard::person;
    use etal_node::model::account::Role;
    let (t, _clock, id) = town(|_| {}, json!({})).await;
    let v = t
        .post(
            &format!("/api/v1/voucher-campaigns/{id}/vouchers"),
            json!({"email": "r@example.fr"}),
        )
        .await;
    let code = v.body["code"].as_str().unwrap().to_string();
    let mut staff = person(
        &t,
        "staff@boulangerie.example",
        Some(("boulangerie", Role::Staff)),
        false,
    )
    .await;
    let page = staff.get("/dashboard/shops/boulangerie/vouchers").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Encaisser un bon"));
    assert!(page
        .html
        .contains(r#"type="file" accept="image/*" capture="environment""#));

    // By the code typed in, loosely.
    let loose = code.replace('-', " ").to_lowercase();
    let read = staff
        .get(&format!(
            "/dashboard/shops/boulangerie/vouchers?code={}",
            loose.replace(' ', "+")
        ))
        .await;
    assert!(read.html.contains("Solde : 10,00 €"), "{}", read.html);
    let token = staff.token("/dashboard/shops/boulangerie/vouchers").await;
    let taken = staff
        .post(
            "/dashboard/shops/boulangerie/vouchers",
            &[("_csrf", &token), ("code", &code), ("amount", "6,40")],
        )
        .await;
    assert_eq!(taken.status, 200, "{}", taken.html);
    assert!(
        taken
            .html
            .contains("Encaissé : 6,40 €. Reste sur le bon : 3,60 €."),
        "{}",
        taken.html
    );
    // It can be cancelled from the page for a quarter of an hour.
    let page = staff.get("/dashboard/shops/boulangerie/vouchers").await;
    assert!(
        page.html.contains("Encaissements des 15 dernières minutes"),
        "{}",
        page.html
    );
    assert!(page.html.contains("/vouchers/redemptions/"));
    let over = staff
        .post(
            "/dashboard/shops/boulangerie/vouchers",
            &[("_csrf", &token), ("code", &code), ("amount", "5")],
        )
        .await;
    assert_eq!(over.status, 409);
    assert!(
        over.html.contains("Le bon n’a plus que 3,60 €"),
        "{}",
        over.html
    );
    assert!(
        over.html.contains("Solde : 3,60 €"),
        "the voucher stays on screen"
    );

    // By a photo of its QR code.
    let form = reqwest::multipart::Form::new()
        .text("_csrf", token.clone())
        .part(
            "photo",
            reqwest::multipart::Part::bytes(qr_photo(&code))
                .file_name("qr.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let scanned = staff
        .post_multipart("/dashboard/shops/boulangerie/vouchers/scan", form)
        .await;
    assert_eq!(scanned.status, 303, "{}", scanned.html);
    let read = staff.get(&scanned.location()).await;
    assert!(read.html.contains("Solde : 3,60 €"), "{}", read.html);
    let blank = reqwest::multipart::Form::new()
        .text("_csrf", token.clone())
        .part(
            "photo",
            reqwest::multipart::Part::bytes(
                qr_photo("x").into_iter().map(|_| 0).collect::<Vec<u8>>(),
            )
            .file_name("x.png")
            .mime_str("image/png")
            .unwrap(),
        );
    let unreadable = staff
        .post_multipart("/dashboard/shops/boulangerie/vouchers/scan", blank)
        .await;
    assert_eq!(unreadable.status, 422);

    // A shop not taking part is told so.
    let mut other = person(&t, "g@garage.example", Some(("garage", Role::Owner)), false).await;
    let no = other
        .get(&format!("/dashboard/shops/garage/vouchers?code={code}"))
        .await;
    assert_eq!(no.status, 403);
    assert!(no.html.contains("does not take part"), "{}", no.html);
    audit_is_clean(&t).await;
}

#[tokio::test]
async fn the_admin_runs_a_campaign_from_the_dashboard() {
    use crate::dashboard::person;
    let (t, _clock, _) = town(|_| {}, json!({})).await;
    let mut admin = person(&t, "mairie@example.fr", None, true).await;
    let token = admin.token("/dashboard/admin/vouchers").await;
    let made = admin
        .post(
            "/dashboard/admin/vouchers",
            &[
                ("_csrf", &token),
                ("name", "Bons de printemps"),
                ("face_value", "20"),
                ("price", "15"),
                ("quantity", "10"),
                ("issue_from", "2026-01-01"),
                ("issue_until", "2099-01-01"),
                ("valid_until", "2099-06-30"),
                ("eligibility", "postal_codes"),
                ("postal_codes", "78120, 78730"),
                ("merchants", "boulangerie"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let at = made.location().split('?').next().unwrap().to_string();
    let page = admin.get(&at).await;
    assert!(page.html.contains("Bons de printemps"));
    let issued = admin
        .post(
            &format!("{at}/issue"),
            &[
                ("_csrf", &token),
                ("email", "habitant@example.fr"),
                ("payment_ref", "CAISSE-7"),
            ],
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.html);
    assert!(issued.html.contains("Bon émis pour habitant@example.fr"));
    let list = admin.get("/dashboard/admin/vouchers").await;
    assert!(
        list.html.contains("Bons de printemps") && list.html.contains("20,00 €"),
        "{}",
        list.html
    );
    let csv = admin.get(&format!("{at}/export.csv")).await;
    assert_eq!(csv.status, 200);
    assert!(csv
        .html
        .contains("campagne;commerce;siret;bon;montant_eur;date;id_encaissement"));
    // A shop owner cannot reach it.
    let mut owner = person(
        &t,
        "o@boulangerie.example",
        Some(("boulangerie", etal_node::model::account::Role::Owner)),
        false,
    )
    .await;
    assert_eq!(owner.get("/dashboard/admin/vouchers").await.status, 403);
}
