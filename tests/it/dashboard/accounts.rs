//! Accounts: invitation, sign-in and its throttle, sessions and their revocation, password
//! reset through a real SMTP conversation, CSRF.

use etal_node::model::account::Role;

use super::{link_in_mail, path_of, person, smtp_sink, Browser, PASSWORD};
use crate::harness::{spawn, spawn_with};

#[tokio::test]
async fn an_invitation_sets_a_password_and_signs_in_once() {
    let t = spawn().await;
    t.merchant("fromagerie").await;
    let shop = etal_node::domain::merchants::get(&t.node.cx, "fromagerie")
        .await
        .unwrap();
    let link = etal_node::domain::people::create_or_invite(
        &t.node.cx,
        " Claire@Fromagerie.FR ",
        Some((shop.id, Role::Owner)),
        false,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(link.email, "claire@fromagerie.fr");
    let path = path_of(&link.url);
    let mut b = Browser::new(&t);
    let form = b.get(&path).await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains("claire@fromagerie.fr"));
    // A short password is refused and nothing is used up.
    let token = form.csrf();
    let short = b
        .post(&path, &[("_csrf", &token), ("password", "court")])
        .await;
    assert_eq!(short.status, 422);
    assert!(!b.has_session());
    let done = b
        .post(&path, &[("_csrf", &token), ("password", PASSWORD)])
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert!(b.has_session());
    // The only shop opens straight away.
    let home = b.get("/dashboard").await;
    assert_eq!(home.status, 303);
    assert_eq!(home.location(), "/dashboard/shops/fromagerie");
    let shop_page = b.get("/dashboard/shops/fromagerie").await;
    assert_eq!(shop_page.status, 200);
    assert!(shop_page.html.contains("Shop fromagerie"));
    // The link worked once.
    let again = Browser::new(&t).get(&path).await;
    assert_eq!(again.status, 410);
    // Signing in again with the password works.
    let mut other = Browser::new(&t);
    let signed = other.sign_in("claire@fromagerie.fr", PASSWORD).await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    assert!(other.has_session());
}

#[tokio::test]
async fn failed_sign_ins_back_off_even_for_the_right_password() {
    let t = spawn().await;
    person(&t, "admin@ville.fr", None, true).await;
    let mut b = Browser::new(&t);
    for _ in 0..5 {
        let wrong = b.sign_in("admin@ville.fr", "pas le bon mot de passe").await;
        assert_eq!(wrong.status, 401);
        assert!(!b.has_session());
    }
    let right = b.sign_in("admin@ville.fr", PASSWORD).await;
    assert_eq!(right.status, 429, "{}", right.html);
    assert!(right.headers.get("retry-after").is_some());
    assert!(!b.has_session());
    // An unknown address is counted too, and answers like a wrong password.
    let unknown = Browser::new(&t).sign_in("nobody@ville.fr", PASSWORD).await;
    assert!(unknown.status == 401 || unknown.status == 429);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session() {
    let t = spawn().await;
    let mut phone = person(&t, "admin@ville.fr", None, true).await;
    let mut laptop = Browser::new(&t);
    assert_eq!(laptop.sign_in("admin@ville.fr", PASSWORD).await.status, 303);
    assert_eq!(laptop.get("/dashboard").await.status, 200);
    let account = phone.get("/account").await;
    assert_eq!(account.status, 200);
    let token = account.csrf();
    let out = phone
        .post("/account/sign-out-everywhere", &[("_csrf", &token)])
        .await;
    assert_eq!(out.status, 303);
    for b in [&mut phone, &mut laptop] {
        let page = b.get("/dashboard").await;
        assert_eq!(page.status, 303, "signed out");
        assert!(page.location().starts_with("/login"));
    }
}

#[tokio::test]
async fn a_cross_site_form_is_refused_and_changes_nothing() {
    let t = spawn().await;
    t.merchant("epicerie").await;
    let p = t
        .product(
            "epicerie",
            serde_json::json!({"name": "Miel", "price": "8.50"}),
        )
        .await;
    let id = p["id"].as_str().unwrap().to_string();
    let mut owner = person(
        &t,
        "owner@epicerie.fr",
        Some(("epicerie", Role::Owner)),
        false,
    )
    .await;
    let token = owner.token("/dashboard/shops/epicerie").await;
    let path = format!("/dashboard/products/{id}/quick");
    t.drain().await;
    let before = t.snapshot().await;
    // Another site's page posting with the victim's cookies: no token, or a wrong one.
    for (fields, headers) in [
        (vec![("availability", "out_of_stock")], vec![]),
        (
            vec![("_csrf", "not-the-token"), ("availability", "out_of_stock")],
            vec![],
        ),
        (
            vec![("_csrf", token.as_str()), ("availability", "out_of_stock")],
            vec![("origin", "https://evil.example")],
        ),
        (
            vec![("_csrf", token.as_str()), ("availability", "out_of_stock")],
            vec![("sec-fetch-site", "cross-site")],
        ),
    ] {
        let got = owner.post_with(&path, &fields, &headers).await;
        assert_eq!(got.status, 403, "{fields:?} {headers:?}");
    }
    assert_eq!(
        before,
        t.snapshot().await,
        "a refused form changed something"
    );
    // The same form from the page itself works.
    let ok = owner
        .post(
            &path,
            &[("_csrf", &token), ("availability", "out_of_stock")],
        )
        .await;
    assert_eq!(ok.status, 303);
    let after = t.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(after.body["availability"], "out_of_stock");
}

#[tokio::test]
async fn a_password_reset_arrives_by_mail_and_ends_the_other_sessions() {
    let (port, mut inbox) = smtp_sink().await;
    let t = spawn_with(|s| s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let mut old = person(&t, "marie@boulangerie.fr", None, true).await;
    let mut b = Browser::new(&t);
    let token = b.token("/account/reset").await;
    let asked = b
        .post(
            "/account/reset",
            &[("_csrf", &token), ("email", "Marie@Boulangerie.fr")],
        )
        .await;
    assert_eq!(asked.status, 200);
    let mail = tokio::time::timeout(std::time::Duration::from_secs(10), inbox.recv())
        .await
        .expect("the mail arrives")
        .unwrap();
    // The body is quoted-printable (French has accents): undo its soft breaks and `=3D`.
    let mail = mail.replace("=\n", "").replace("=3D", "=");
    assert!(mail.contains("marie@boulangerie.fr"), "{mail}");
    let url = mail
        .split_whitespace()
        .find(|w| w.contains("/account/reset/"))
        .expect("a link in the mail")
        .to_string();
    // An unknown address gets the same page and no mail.
    let token = b.token("/account/reset").await;
    let unknown = b
        .post(
            "/account/reset",
            &[("_csrf", &token), ("email", "nobody@x.fr")],
        )
        .await;
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.html, asked.html);
    let path = path_of(&url);
    let token = b.token(&path).await;
    let set = b
        .post(
            &path,
            &[
                ("_csrf", &token),
                ("password", "un tout nouveau mot de passe"),
            ],
        )
        .await;
    assert_eq!(set.status, 303, "{}", set.html);
    assert!(b.has_session());
    // The session opened before the reset is over; the new password works, the old does not.
    assert_eq!(old.get("/dashboard").await.status, 303);
    assert_eq!(
        Browser::new(&t)
            .sign_in("marie@boulangerie.fr", PASSWORD)
            .await
            .status,
        401
    );
    assert_eq!(
        Browser::new(&t)
            .sign_in("marie@boulangerie.fr", "un tout nouveau mot de passe")
            .await
            .status,
        303
    );
    assert!(inbox.try_recv().is_err(), "no mail for an unknown address");
}

/// The first link to `path_part` in the next mail the sink receives.
#[tokio::test]
async fn a_shopkeeper_signs_up_and_the_admin_puts_the_shop_online() {
    let (port, mut inbox) = smtp_sink().await;
    let t = spawn_with(|s| s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    // Closed by default.
    let mut visitor = Browser::new(&t);
    assert_eq!(visitor.get("/signup").await.status, 403);
    let mut admin = person(&t, "admin@ville.fr", None, true).await;
    let page = admin.get("/dashboard/admin/settings").await;
    let token = page.csrf();
    let open = admin
        .post_multipart(
            "/dashboard/admin/settings",
            reqwest::multipart::Form::new()
                .text("_csrf", token.clone())
                .text("name", "Commerces de Rambouillet")
                .text("licence", "etalab-2.0")
                .text("signup_open", "1"),
        )
        .await;
    assert_eq!(open.status, 303, "{}", open.html);
    let form = visitor.get("/signup").await;
    assert_eq!(form.status, 200);
    let vt = form.csrf();
    let fields = [
        ("_csrf", vt.as_str()),
        ("shop_name", "Boulangerie Saint-Lubin"),
        ("postal_code", "78120"),
        ("city", "Rambouillet"),
        ("email", "Lucie@Saint-Lubin.fr"),
        ("message", "Boulangerie rue Chasles."),
    ];
    // A missing town is refused and names the field; nothing is made.
    t.unchanged(|| async {
        let mut bad = fields;
        bad[3] = ("city", "");
        let refused = visitor.post("/signup", &bad).await;
        assert_eq!(refused.status, 422);
        assert!(refused.html.contains("Commune"), "{}", refused.html);
    })
    .await;
    let sent = visitor.post("/signup", &fields).await;
    assert_eq!(sent.status, 200, "{}", sent.html);
    // The password is chosen on the confirmation page: a short one is refused there.
    let mut lucie = Browser::new(&t);
    let confirm = link_in_mail(&mut inbox, "/account/confirm/").await;
    let path = super::path_of(&confirm);
    let page = lucie.get(&path).await;
    assert!(
        page.html.contains("Boulangerie Saint-Lubin"),
        "{}",
        page.html
    );
    let token_l = page.csrf();
    let mut answer = vec![
        ("_csrf", token_l.as_str()),
        ("shop_name", "Boulangerie Saint-Lubin"),
        ("postal_code", "78120"),
        ("city", "Rambouillet"),
        ("password", "court"),
    ];
    let short = lucie.post(&path, &answer).await;
    assert_eq!(short.status, 422, "{}", short.html);
    assert!(!lucie.has_session());
    answer[4] = ("password", "ma boulangerie depuis 1998");
    let confirmed = lucie.post(&path, &answer).await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.html);
    assert!(lucie.has_session());
    let home = lucie.get("/dashboard").await;
    assert!(home.html.contains("attend d’être validée"), "{}", home.html);
    assert_eq!(
        Browser::new(&t)
            .sign_in("lucie@saint-lubin.fr", "ma boulangerie depuis 1998")
            .await
            .status,
        303
    );
    // Signing up again with a known address says the same, and mails its owner, who may send
    // that request from their account.
    let again = visitor.post("/signup", &fields).await;
    assert_eq!(
        (again.status.as_u16(), again.html.contains("e-mail")),
        (200, true)
    );
    link_in_mail(&mut inbox, "/login").await;
    // The admin sees the request and approves it with the proposed slug.
    let list = admin.get("/dashboard/admin").await;
    assert!(
        list.html.contains("Boulangerie Saint-Lubin") && list.html.contains("lucie@saint-lubin.fr")
    );
    assert!(list.html.contains("value=\"boulangerie-saint-lubin\""));
    let at = list.html.find("/dashboard/admin/signups/").unwrap();
    let id: String = list.html[at + 25..].chars().take(36).collect();
    let approved = admin
        .post(
            &format!("/dashboard/admin/signups/{id}/approve"),
            &[("_csrf", &token), ("slug", "boulangerie-saint-lubin")],
        )
        .await;
    assert_eq!(approved.status, 303, "{}", approved.html);
    let shop = t.get("/api/v1/merchants/boulangerie-saint-lubin").await;
    assert_eq!(shop.status, 200);
    assert_eq!(shop.body["name"], "Boulangerie Saint-Lubin");
    let home = lucie.get("/dashboard").await;
    assert_eq!(home.location(), "/dashboard/shops/boulangerie-saint-lubin");
    // A decided request cannot be decided again.
    let again = admin
        .post(
            &format!("/dashboard/admin/signups/{id}/refuse"),
            &[("_csrf", &token)],
        )
        .await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn nobody_claims_an_address_by_signing_up_before_its_owner_is_invited() {
    let (port, mut inbox) = smtp_sink().await;
    let t = spawn_with(|s| s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let mut admin = person(&t, "admin@ville.fr", None, true).await;
    let token = admin.token("/dashboard/admin/settings").await;
    admin
        .post_multipart(
            "/dashboard/admin/settings",
            reqwest::multipart::Form::new()
                .text("_csrf", token.clone())
                .text("name", "Ville")
                .text("licence", "etalab-2.0")
                .text("signup_open", "1"),
        )
        .await;
    // Someone signs up with the future second admin's address (they cannot read its mail).
    let mut squatter = Browser::new(&t);
    let st = squatter.token("/signup").await;
    let sent = squatter
        .post(
            "/signup",
            &[
                ("_csrf", &st),
                ("shop_name", "X"),
                ("postal_code", "78120"),
                ("city", "R"),
                ("email", "adjoint@ville.fr"),
                ("password", "le mot de passe du squatteur"),
            ],
        )
        .await;
    assert_eq!(sent.status, 200);
    let squatters_link = link_in_mail(&mut inbox, "/account/confirm/").await;
    // The admin invites that address as an admin: a real invitation goes to its owner.
    let invited = admin
        .post(
            "/dashboard/admin/people",
            &[("_csrf", &token), ("email", "adjoint@ville.fr")],
        )
        .await;
    assert_eq!(invited.status, 303, "{}", invited.html);
    let invitation = link_in_mail(&mut inbox, "/account/welcome/").await;
    let mut owner = Browser::new(&t);
    let path = super::path_of(&invitation);
    let ot = owner.token(&path).await;
    assert_eq!(
        owner
            .post(
                &path,
                &[("_csrf", &ot), ("password", "le vrai mot de passe")]
            )
            .await
            .status,
        303
    );
    // The squatter's password never worked, and their link is dead now.
    assert_eq!(
        Browser::new(&t)
            .sign_in("adjoint@ville.fr", "le mot de passe du squatteur")
            .await
            .status,
        401
    );
    let spath = super::path_of(&squatters_link);
    assert_eq!(squatter.get(&spath).await.status, 410);
    assert_eq!(owner.get("/dashboard/admin").await.status, 200);
}

#[tokio::test]
async fn a_shop_owner_is_never_shown_an_invitation_link_the_admin_may_be() {
    let t = spawn().await;
    t.merchant("epicerie").await;
    let mut owner = person(&t, "o@epicerie.fr", Some(("epicerie", Role::Owner)), false).await;
    let token = owner.token("/dashboard/shops/epicerie/people").await;
    let invited = owner
        .post(
            "/dashboard/shops/epicerie/people",
            &[
                ("_csrf", &token),
                ("email", "futur@ville.fr"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(invited.status, 303);
    let page = owner.get(&invited.location()).await;
    assert!(!page.html.contains("/account/welcome/"), "{}", page.html);
    assert!(page.html.contains("journal"), "told where the link went");
    // Without a mail server, the admin can make a new link and pass it on.
    let mut admin = person(&t, "admin@ville.fr", None, true).await;
    let list = admin.get("/dashboard/admin/people").await;
    let at = list
        .html
        .find("/invite\"")
        .expect("a new-link button for the invited account");
    let id: String = list.html[..at]
        .chars()
        .rev()
        .take(36)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let at_token = list.csrf();
    let again = admin
        .post(
            &format!("/dashboard/admin/people/{id}/invite"),
            &[("_csrf", &at_token)],
        )
        .await;
    assert_eq!(again.status, 200);
    assert!(again.html.contains("/account/welcome/"));
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let t = spawn().await;
    let mut phone = person(&t, "admin@ville.fr", None, true).await;
    let mut stolen = Browser::new(&t);
    assert_eq!(stolen.sign_in("admin@ville.fr", PASSWORD).await.status, 303);
    let token = phone.token("/account").await;
    let changed = phone
        .post(
            "/account/password",
            &[
                ("_csrf", &token),
                ("current_password", PASSWORD),
                ("password", "un nouveau secret bien long"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.html);
    assert_eq!(phone.get("/dashboard").await.status, 200);
    assert_eq!(
        stolen.get("/dashboard").await.status,
        303,
        "the other session ended"
    );
}

#[tokio::test]
async fn password_resets_are_limited_per_client() {
    let t = spawn().await;
    let mut b = Browser::new(&t);
    let token = b.token("/account/reset").await;
    for _ in 0..etal_node::domain::accounts::RESETS_PER_HOUR {
        let asked = b
            .post(
                "/account/reset",
                &[("_csrf", &token), ("email", "x@ville.fr")],
            )
            .await;
        assert_eq!(asked.status, 200);
    }
    let refused = b
        .post(
            "/account/reset",
            &[("_csrf", &token), ("email", "x@ville.fr")],
        )
        .await;
    assert_eq!(refused.status, 429);
}
