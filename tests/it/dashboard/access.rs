//! The authorization matrix: {anonymous, owner of A, staff of A, owner of B, admin, API token
//! of A} × every write of the API and the dashboard, each expected allowed or refused; a
//! refused write changes nothing.

use etal_node::model::account::Role;
use reqwest::multipart::Form;
use reqwest::Method;
use serde_json::json;

use super::{person, Browser};
use crate::harness::{spawn, TestNode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    OwnerA,
    StaffA,
    OwnerB,
    Admin,
    TokenA,
}

#[derive(Debug, Clone, Copy)]
enum Write {
    // API
    ApiCreateShop,
    ApiEditShopA,
    ApiDeleteShopA,
    ApiCreateProductA,
    ApiEditProductA,
    ApiDeleteProductA,
    ApiCreateProductB,
    ApiFollowNode,
    // Dashboard
    DashCreateProductA,
    DashQuickEditA,
    DashEditProductA,
    DashDeleteProductA,
    DashProfileA,
    DashTokenA,
    DashInviteA,
    DashCreateShop,
    DashSuspendA,
    DashBlockDomain,
    DashSettings,
    DashImportA,
    DashRevokeTokenA,
    DashRemovePersonA,
    DashDeletePhotoA,
}

impl Write {
    fn api(self) -> bool {
        matches!(
            self,
            Write::ApiCreateShop
                | Write::ApiEditShopA
                | Write::ApiDeleteShopA
                | Write::ApiCreateProductA
                | Write::ApiEditProductA
                | Write::ApiDeleteProductA
                | Write::ApiCreateProductB
                | Write::ApiFollowNode
        )
    }

    /// What the rules say.
    fn allowed(self, who: Who) -> bool {
        use Who::*;
        match self {
            Write::ApiCreateShop | Write::ApiDeleteShopA | Write::ApiFollowNode => false,
            Write::ApiEditShopA
            | Write::ApiCreateProductA
            | Write::ApiEditProductA
            | Write::ApiDeleteProductA => who == TokenA,
            Write::ApiCreateProductB => false,
            Write::DashCreateProductA
            | Write::DashQuickEditA
            | Write::DashEditProductA
            | Write::DashDeleteProductA => matches!(who, OwnerA | StaffA | Admin),
            Write::DashProfileA | Write::DashTokenA | Write::DashInviteA => {
                matches!(who, OwnerA | Admin)
            }
            Write::DashCreateShop
            | Write::DashSuspendA
            | Write::DashBlockDomain
            | Write::DashSettings => who == Admin,
            Write::DashImportA | Write::DashDeletePhotoA => matches!(who, OwnerA | StaffA | Admin),
            Write::DashRevokeTokenA | Write::DashRemovePersonA => matches!(who, OwnerA | Admin),
        }
    }
}

const WRITES: [Write; 23] = [
    Write::ApiCreateShop,
    Write::ApiEditShopA,
    Write::ApiDeleteShopA,
    Write::ApiCreateProductA,
    Write::ApiEditProductA,
    Write::ApiDeleteProductA,
    Write::ApiCreateProductB,
    Write::ApiFollowNode,
    Write::DashCreateProductA,
    Write::DashQuickEditA,
    Write::DashEditProductA,
    Write::DashDeleteProductA,
    Write::DashProfileA,
    Write::DashTokenA,
    Write::DashInviteA,
    Write::DashCreateShop,
    Write::DashSuspendA,
    Write::DashBlockDomain,
    Write::DashSettings,
    Write::DashImportA,
    Write::DashRevokeTokenA,
    Write::DashRemovePersonA,
    Write::DashDeletePhotoA,
];

/// What a trial works on, made before the "before" snapshot.
struct Target {
    product: String,
    photo: String,
    token: String,
    person: String,
}

struct Rig {
    t: TestNode,
    token_a: String,
    browsers: Vec<(Who, Browser)>,
    n: usize,
}

impl Rig {
    async fn fresh_product(&self, slug: &str) -> String {
        let p = self
            .t
            .product(slug, json!({"name": "Pomme", "price": "2.00"}))
            .await;
        p["id"].as_str().unwrap().to_string()
    }

    /// Tries `w` as `who`; true when it was done.
    /// A fresh product with a photo, a token and a staff member of shop A.
    async fn target(&mut self) -> Target {
        self.n += 1;
        let product = self.fresh_product("shop-a").await;
        let photo = {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(super::photo())
                    .file_name("p.jpg")
                    .mime_str("image/jpeg")
                    .unwrap(),
            );
            let a = self
                .t
                .send(
                    self.t
                        .client
                        .post(format!("{}/api/v1/products/{product}/images", self.t.url))
                        .bearer_auth(&self.t.admin)
                        .multipart(form),
                )
                .await;
            assert_eq!(a.status, 201, "{}", a.body);
            a.body["id"].as_str().unwrap().to_string()
        };
        etal_node::domain::auth::create_token(&self.t.node.cx, "till", Some("shop-a"))
            .await
            .unwrap();
        let shop = etal_node::domain::merchants::get(&self.t.node.cx, "shop-a")
            .await
            .unwrap();
        let token = etal_node::domain::auth::tokens_of(
            &self.t.node.cx,
            &etal_node::domain::authz::Caller::Operator,
            shop.id,
        )
        .await
        .unwrap()[0]
            .id
            .to_string();
        let email = format!("staff{}@a.fr", self.n);
        etal_node::domain::people::create_or_invite(
            &self.t.node.cx,
            &email,
            Some((shop.id, Role::Staff)),
            false,
        )
        .await
        .unwrap();
        let person = etal_node::domain::people::people(
            &self.t.node.cx,
            &etal_node::domain::authz::Caller::Operator,
            shop.id,
        )
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.email == email)
        .unwrap()
        .user_id
        .to_string();
        Target {
            product,
            photo,
            token,
            person,
        }
    }

    async fn attempt(&mut self, w: Write, who: Who, target: &Target) -> bool {
        self.n += 1;
        let n = self.n;
        let product = target.product.as_str();
        if w.api() {
            let token = match who {
                Who::TokenA => Some(self.token_a.clone()),
                Who::Anonymous => None,
                _ => unreachable!("people use the dashboard"),
            };
            let (method, path, body) = match w {
                Write::ApiCreateShop => (
                    Method::POST,
                    "/api/v1/merchants".to_string(),
                    Some(json!({"slug": format!("new-{n}"), "name": "N",
                        "address": {"postal_code": "78120", "city": "R"}})),
                ),
                Write::ApiEditShopA => (
                    Method::PATCH,
                    "/api/v1/merchants/shop-a".into(),
                    Some(json!({"description": format!("v{n}")})),
                ),
                Write::ApiDeleteShopA => (Method::DELETE, "/api/v1/merchants/shop-a".into(), None),
                Write::ApiCreateProductA => (
                    Method::POST,
                    "/api/v1/merchants/shop-a/products".into(),
                    Some(json!({"name": "Poire", "price": "3.00"})),
                ),
                Write::ApiEditProductA => (
                    Method::PATCH,
                    format!("/api/v1/products/{product}"),
                    Some(json!({"price": "9.99"})),
                ),
                Write::ApiDeleteProductA => {
                    (Method::DELETE, format!("/api/v1/products/{product}"), None)
                }
                Write::ApiCreateProductB => (
                    Method::POST,
                    "/api/v1/merchants/shop-b/products".into(),
                    Some(json!({"name": "Poire", "price": "3.00"})),
                ),
                Write::ApiFollowNode => (
                    Method::POST,
                    "/api/v1/node/follows".into(),
                    Some(json!({"target": "http://localhost:1/actor"})),
                ),
                _ => unreachable!(),
            };
            let a = self.t.call(method, &path, token.as_deref(), body).await;
            assert!(
                a.status.is_success() || matches!(a.status.as_u16(), 401 | 403),
                "{w:?} as {who:?}: {} {}",
                a.status,
                a.body
            );
            return a.status.is_success();
        }
        let b = &mut self.browsers.iter_mut().find(|(w, _)| *w == who).unwrap().1;
        let token = if who == Who::Anonymous {
            b.token("/login").await
        } else {
            b.token("/account").await
        };
        let got = match w {
            Write::DashCreateProductA => {
                let form = Form::new()
                    .text("_csrf", token.clone())
                    .text("name", "Poire")
                    .text("price", "3,00");
                b.post_multipart("/dashboard/shops/shop-a/products/new", form)
                    .await
            }
            Write::DashQuickEditA => {
                b.post(
                    &format!("/dashboard/products/{product}/quick"),
                    &[("_csrf", &token), ("availability", "out_of_stock")],
                )
                .await
            }
            Write::DashEditProductA => {
                let form = Form::new()
                    .text("_csrf", token.clone())
                    .text("name", "Pomme rouge")
                    .text("price", "2,10");
                b.post_multipart(&format!("/dashboard/products/{product}"), form)
                    .await
            }
            Write::DashDeleteProductA => {
                b.post(
                    &format!("/dashboard/products/{product}/delete"),
                    &[("_csrf", &token)],
                )
                .await
            }
            Write::DashProfileA => {
                let desc = format!("v{n}");
                b.post(
                    "/dashboard/shops/shop-a/profile",
                    &[
                        ("_csrf", &token),
                        ("name", "Shop shop-a"),
                        ("postal_code", "78120"),
                        ("city", "Rambouillet"),
                        ("description", &desc),
                    ],
                )
                .await
            }
            Write::DashTokenA => {
                b.post(
                    "/dashboard/shops/shop-a/tokens",
                    &[("_csrf", &token), ("name", "caisse")],
                )
                .await
            }
            Write::DashInviteA => {
                let email = format!("new{n}@a.fr");
                b.post(
                    "/dashboard/shops/shop-a/people",
                    &[("_csrf", &token), ("email", &email), ("role", "staff")],
                )
                .await
            }
            Write::DashCreateShop => {
                let slug = format!("shop-{n}");
                b.post(
                    "/dashboard/admin/shops",
                    &[
                        ("_csrf", &token),
                        ("name", "Nouvelle"),
                        ("slug", &slug),
                        ("postal_code", "78120"),
                        ("city", "Rambouillet"),
                    ],
                )
                .await
            }
            Write::DashSuspendA => {
                let g = b
                    .post(
                        "/dashboard/admin/shops/shop-a/suspend",
                        &[("_csrf", &token)],
                    )
                    .await;
                if g.status == 303 {
                    // Lift it at once: the other trials need the shop.
                    let r = b
                        .post("/dashboard/admin/shops/shop-a/resume", &[("_csrf", &token)])
                        .await;
                    assert_eq!(r.status, 303);
                }
                g
            }
            Write::DashSettings => {
                let form = Form::new()
                    .text("_csrf", token.clone())
                    .text("name", format!("Site {n}"))
                    .text("licence", "etalab-2.0");
                b.post_multipart("/dashboard/admin/settings", form).await
            }
            Write::DashImportA => {
                let form = Form::new().text("_csrf", token.clone()).part(
                    "file",
                    reqwest::multipart::Part::bytes(
                        format!("name;price\nImport {n};1,00\n").into_bytes(),
                    )
                    .file_name("p.csv")
                    .mime_str("text/csv")
                    .unwrap(),
                );
                b.post_multipart("/dashboard/shops/shop-a/import", form)
                    .await
            }
            Write::DashRevokeTokenA => {
                b.post(
                    &format!("/dashboard/shops/shop-a/tokens/{}/revoke", target.token),
                    &[("_csrf", &token)],
                )
                .await
            }
            Write::DashRemovePersonA => {
                b.post(
                    &format!("/dashboard/shops/shop-a/people/{}/remove", target.person),
                    &[("_csrf", &token)],
                )
                .await
            }
            Write::DashDeletePhotoA => {
                b.post(
                    &format!(
                        "/dashboard/products/{}/photos/{}/delete",
                        target.product, target.photo
                    ),
                    &[("_csrf", &token)],
                )
                .await
            }
            Write::DashBlockDomain => {
                let host = format!("spam{n}.example");
                b.post(
                    "/dashboard/admin/blocks",
                    &[("_csrf", &token), ("host", &host)],
                )
                .await
            }
            _ => unreachable!(),
        };
        let done = match got.status.as_u16() {
            // A page with the shown-once token, or the invitation link to pass on.
            200 => true,
            303 => !got.location().starts_with("/login"),
            403 => false,
            other => panic!("{w:?} as {who:?}: {other} {}", got.html),
        };
        done
    }
}

#[tokio::test]
async fn every_write_is_allowed_or_refused_as_the_rules_say() {
    let t = spawn().await;
    t.merchant("shop-a").await;
    t.merchant("shop-b").await;
    let token_a = t.merchant_token("shop-a").await;
    let browsers = vec![
        (Who::Anonymous, Browser::new(&t)),
        (
            Who::OwnerA,
            person(&t, "owner@a.fr", Some(("shop-a", Role::Owner)), false).await,
        ),
        (
            Who::StaffA,
            person(&t, "staff@a.fr", Some(("shop-a", Role::Staff)), false).await,
        ),
        (
            Who::OwnerB,
            person(&t, "owner@b.fr", Some(("shop-b", Role::Owner)), false).await,
        ),
        (Who::Admin, person(&t, "admin@ville.fr", None, true).await),
    ];
    let mut rig = Rig {
        t,
        token_a,
        browsers,
        n: 0,
    };
    let mut tried = 0;
    for w in WRITES {
        let callers: &[Who] = if w.api() {
            &[Who::Anonymous, Who::TokenA]
        } else {
            &[
                Who::Anonymous,
                Who::OwnerA,
                Who::StaffA,
                Who::OwnerB,
                Who::Admin,
            ]
        };
        for &who in callers {
            let target = rig.target().await;
            rig.t.drain().await;
            let before = rig.t.snapshot().await;
            let done = rig.attempt(w, who, &target).await;
            if w.allowed(who) {
                assert!(done, "{w:?} should be allowed to {who:?}");
            } else {
                assert!(!done, "{w:?} should be refused to {who:?}");
                let after = rig.t.snapshot().await;
                for (table, rows) in &before {
                    assert_eq!(
                        rows, &after[table],
                        "{w:?} refused to {who:?} changed {table}"
                    );
                }
            }
            tried += 1;
        }
    }
    assert_eq!(tried, 8 * 2 + 15 * 5);
}
