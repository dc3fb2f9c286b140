//! Strangers against accounts: locking the owner out, claiming an address before its owner,
//! telling which addresses have accounts, links that outlive a password.

use std::time::Instant;

use etal_node::clock::ManualClock;

use crate::dashboard::{link_in_mail, path_of, person, smtp_sink, Browser, PASSWORD};
use crate::harness::{spawn_full, spawn_with, TestNode};

/// Signs in from a browser behind the node's reverse proxy, as `ip`.
async fn guess(t: &TestNode, email: &str, password: &str, ip: &str) -> u16 {
    Browser::new(t)
        .from(ip)
        .sign_in(email, password)
        .await
        .status
        .as_u16()
}

/// Past fifty failures from strangers, the address used to answer 429 to everyone, the right
/// password included, and every try stretched the lock (24 h after the last): a few guesses a
/// quarter of an hour kept the owner out for good.
#[tokio::test]
async fn strangers_cannot_keep_the_owner_out() {
    let clock = ManualClock::new();
    let t = spawn_full(|_| {}, clock.clone()).await;
    // The owner signed in on their phone once (from their invitation).
    let mut phone = person(&t, "mairie@ville.fr", None, true).await;
    phone.forget_session_only();
    // Sixty strangers, one guess each.
    for i in 0..60 {
        let status = guess(
            &t,
            "mairie@ville.fr",
            "motdepasse123",
            &format!("198.51.100.{i}"),
        )
        .await;
        assert!(status == 401 || status == 429, "{status}");
    }
    // The owner's phone gets in at once with the right password.
    let mut phone = phone.from("203.0.113.1");
    let signed = phone.sign_in("mairie@ville.fr", PASSWORD).await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    assert!(phone.has_session() && phone.has_device());
    // A browser never used before waits at most a minute, even while strangers go on.
    clock.advance(61_000);
    assert_eq!(
        guess(&t, "mairie@ville.fr", "encore un essai", "198.51.100.200").await,
        401
    );
    assert_eq!(
        guess(&t, "mairie@ville.fr", PASSWORD, "203.0.113.2").await,
        429,
        "one try a minute between unknown browsers once strangers ran up the count"
    );
    clock.advance(61_000);
    assert_eq!(
        guess(&t, "mairie@ville.fr", PASSWORD, "203.0.113.2").await,
        303
    );
    // Guesses every quarter of an hour do not stretch anything: an hour after the first
    // failure, the count starts again.
    for _ in 0..4 {
        clock.advance(15 * 60_000);
        guess(&t, "mairie@ville.fr", "un quart d'heure", "198.51.100.201").await;
    }
    assert_eq!(
        guess(&t, "mairie@ville.fr", PASSWORD, "203.0.113.3").await,
        303
    );
    // The phone's own failures count against the phone only.
    let mut phone = phone;
    phone.forget_session_only();
    for _ in 0..5 {
        assert_eq!(
            phone.sign_in("mairie@ville.fr", "mauvais").await.status,
            401
        );
    }
    assert_eq!(phone.sign_in("mairie@ville.fr", PASSWORD).await.status, 429);
    assert_eq!(
        guess(&t, "mairie@ville.fr", PASSWORD, "203.0.113.4").await,
        303
    );
}

/// A stranger asking for resets used up the address's three mails an hour, and asking again
/// every fifty minutes kept them used up: the owner's own ask mailed nothing, ever.
#[tokio::test]
async fn the_owner_always_has_a_working_reset_link() {
    let (port, mut inbox) = smtp_sink().await;
    let t = spawn_with(|s| s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    person(&t, "mairie@ville.fr", None, true).await;
    for i in 0..6 {
        let mut stranger = Browser::new(&t).from(&format!("198.51.100.{i}"));
        let token = stranger.token("/account/reset").await;
        let asked = stranger
            .post(
                "/account/reset",
                &[("_csrf", &token), ("email", "mairie@ville.fr")],
            )
            .await;
        assert_eq!(asked.status, 200);
    }
    // Whoever asked, the newest link mailed works for its owner.
    let link = link_in_mail(&mut inbox, "/account/reset/").await;
    let mut owner = Browser::new(&t).from("203.0.113.9");
    let path = path_of(&link);
    let token = owner.token(&path).await;
    let done = owner
        .post(
            &path,
            &[
                ("_csrf", &token),
                ("password", "un tout nouveau mot de passe"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert!(owner.has_session() && owner.has_device());
}

/// An attacker signed up with the victim's address and a password of their choice; the
/// victim, opening the confirmation mail and confirming, created the account with the
/// attacker's password.
#[tokio::test]
async fn the_mailbox_holder_chooses_the_password() {
    let (port, mut inbox) = smtp_sink().await;
    let t = spawn_with(|s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        s.site.signup_open = true;
    })
    .await;
    let mut attacker = Browser::new(&t).from("198.51.100.7");
    let token = attacker.token("/signup").await;
    let sent = attacker
        .post(
            "/signup",
            &[
                ("_csrf", &token),
                ("shop_name", "Boutique piégée"),
                ("postal_code", "78120"),
                ("city", "Rambouillet"),
                ("email", "victime@exemple.fr"),
                ("password", "le mot de passe de l'attaquant"),
            ],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.html);
    // The victim opens the mail they did not ask for and confirms, choosing a password.
    let link = link_in_mail(&mut inbox, "/account/confirm/").await;
    let path = path_of(&link);
    let mut victim = Browser::new(&t).from("203.0.113.5");
    let page = victim.get(&path).await;
    assert_eq!(page.status, 200);
    let token = page.csrf();
    let confirmed = victim
        .post(
            &path,
            &[
                ("_csrf", &token),
                ("shop_name", "Ma vraie boutique"),
                ("postal_code", "78120"),
                ("city", "Rambouillet"),
                ("password", "le mot de passe de la victime"),
            ],
        )
        .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.html);
    assert!(victim.has_session());
    assert_eq!(
        guess(
            &t,
            "victime@exemple.fr",
            "le mot de passe de l'attaquant",
            "198.51.100.8"
        )
        .await,
        401,
        "the attacker's password opens nothing"
    );
    assert_eq!(
        guess(
            &t,
            "victime@exemple.fr",
            "le mot de passe de la victime",
            "203.0.113.6"
        )
        .await,
        303
    );
    // The victim saw what was asked, and corrected it.
    assert!(
        page.html.contains("Boutique piégée"),
        "the victim sees what is asked"
    );
    let pending = etal_node::db::signups::pending(t.node.cx.db.pool())
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].shop_name, "Ma vraie boutique");
    assert!(pending[0].confirmed);
}

/// A later sign-up of the same address replaces the earlier one and kills its link.
#[tokio::test]
async fn a_later_sign_up_replaces_the_pending_one() {
    let (port, mut inbox) = smtp_sink().await;
    let t = spawn_with(|s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        s.site.signup_open = true;
    })
    .await;
    for (i, shop) in ["Première", "Seconde"].iter().enumerate() {
        let mut b = Browser::new(&t).from(&format!("198.51.100.{i}"));
        let token = b.token("/signup").await;
        let sent = b
            .post(
                "/signup",
                &[
                    ("_csrf", &token),
                    ("shop_name", shop),
                    ("postal_code", "78120"),
                    ("city", "Rambouillet"),
                    ("email", "lucie@exemple.fr"),
                ],
            )
            .await;
        assert_eq!(sent.status, 200);
    }
    // The two mails leave in the background, in either order: one link works, the later's.
    let mut b = Browser::new(&t);
    let mut working = vec![];
    for _ in 0..2 {
        let page = b
            .get(&path_of(
                &link_in_mail(&mut inbox, "/account/confirm/").await,
            ))
            .await;
        if page.status == 200 {
            working.push(page.html);
        } else {
            assert_eq!(page.status, 410);
        }
    }
    assert_eq!(working.len(), 1, "the earlier link died");
    assert!(working[0].contains("Seconde"));
    let pending = etal_node::db::signups::pending(t.node.cx.db.pool())
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert!(!pending[0].confirmed);
}

/// Sign-up hashed the password for a new address and not for a known one: 1.4 ms against
/// 25.5 ms told which addresses have accounts. Now both do the same statements.
#[tokio::test]
async fn sign_up_takes_as_long_for_a_known_address() {
    let t = spawn_with(|s| s.site.signup_open = true).await;
    const N: usize = 15;
    for i in 0..N {
        person(&t, &format!("k{i}@ville.fr"), None, false).await;
    }
    let mut known = vec![];
    let mut new = vec![];
    let mut b = Browser::new(&t);
    let token = b.token("/signup").await;
    for i in 0..N {
        for (j, email) in [format!("k{i}@ville.fr"), format!("n{i}@ville.fr")]
            .into_iter()
            .enumerate()
        {
            b.set_from(&format!("198.51.100.{}", 2 * i + j));
            let started = Instant::now();
            let sent = b
                .post(
                    "/signup",
                    &[
                        ("_csrf", &token),
                        ("shop_name", "Boutique"),
                        ("postal_code", "78120"),
                        ("city", "Rambouillet"),
                        ("email", &email),
                        ("password", "une phrase assez longue"),
                    ],
                )
                .await;
            let took = started.elapsed();
            assert_eq!(sent.status, 200, "{}", sent.html);
            if j == 0 {
                known.push(took);
            } else {
                new.push(took);
            }
        }
    }
    known.sort();
    new.sort();
    let (k, n) = (known[N / 2], new[N / 2]);
    println!("sign-up median: known address {k:?}, new address {n:?}");
    let ratio = k.as_secs_f64() / n.as_secs_f64();
    assert!(
        (0.4..2.5).contains(&ratio),
        "known {k:?} against new {n:?}: the time tells"
    );
}

/// A reset link asked for before a password change still worked after it.
#[tokio::test]
async fn a_password_change_ends_every_link() {
    let (port, mut inbox) = smtp_sink().await;
    let t = spawn_with(|s| s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let mut owner = person(&t, "mairie@ville.fr", None, true).await;
    let mut other = Browser::new(&t);
    let token = other.token("/account/reset").await;
    other
        .post(
            "/account/reset",
            &[("_csrf", &token), ("email", "mairie@ville.fr")],
        )
        .await;
    let reset = path_of(&link_in_mail(&mut inbox, "/account/reset/").await);
    let token = owner.token("/account").await;
    let changed = owner
        .post(
            "/account/password",
            &[
                ("_csrf", &token),
                ("current_password", PASSWORD),
                ("password", "un nouveau mot de passe"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.html);
    assert_eq!(
        other.get(&reset).await.status,
        410,
        "the reset link is dead"
    );
}
