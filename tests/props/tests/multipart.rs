//! Multipart forms from outside: real photo uploads, mutated, posted to a running node's API.
//! Whatever arrives, the node answers with a client error (or takes the photo), never a 500,
//! and goes on answering.

use std::sync::OnceLock;

use proptest::prelude::*;

use etal_props::inputs::{apply, Mutation};

/// A node, its admin token and a product to give photos to.
struct Running {
    base: String,
    token: String,
    product: String,
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

fn node() -> &'static Running {
    static NODE: OnceLock<Running> = OnceLock::new();
    NODE.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (base, token, product) = rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
            let settings = etal_node::config::Settings::for_dir(dir.path(), &base, None);
            let app = etal_node::app::App::with_listener(settings, listener)
                .await
                .unwrap();
            let token = etal_node::domain::auth::create_token(&app.node().cx, "props", None)
                .await
                .unwrap();
            tokio::spawn(app.run_until(std::future::pending()));
            let client = reqwest::Client::new();
            let res = client
                .post(format!("{base}/api/v1/merchants"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"slug": "photo", "name": "Photo",
                    "address": {"postal_code": "78120", "city": "Rambouillet"}}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            let p: serde_json::Value = client
                .post(format!("{base}/api/v1/merchants/photo/products"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"name": "Tirage", "price": "3.00"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (base, token, p["id"].as_str().unwrap().to_string())
        });
        Running {
            base,
            token,
            product,
            rt,
            _dir: dir,
        }
    })
}

/// A 2 × 2 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9as\x00\x00\x00\x16IDATx\x9cc\xf8\xcf\xc0\xf0\x9f\x81\x81\x81\xe1?\x03\x03\x03\x00\x1b\xf0\x03\xfd\x9b\xd4\xd2\x83\x00\x00\x00\x00IEND\xaeB`\x82";

/// A real upload's body: the photo and its alt text.
fn upload_body() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(
        b"--XyZ\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nUn tirage\r\n--XyZ\r\n\
          Content-Disposition: form-data; name=\"file\"; filename=\"t.png\"\r\n\
          Content-Type: image/png\r\n\r\n",
    );
    b.extend_from_slice(PNG);
    b.extend_from_slice(b"\r\n--XyZ--\r\n");
    b
}

/// Whether the node still answers.
async fn alive(client: &reqwest::Client, base: &str) -> u16 {
    client
        .get(format!("{base}/api/v1/categories"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<u16>(), any::<u8>()).prop_map(|(p, b)| Mutation::Flip(p, b)),
        (any::<u16>(), any::<u16>()).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (any::<u16>(), any::<usize>()).prop_map(|(p, i)| Mutation::Insert(p, i)),
        (any::<u16>(), any::<u16>(), any::<u16>()).prop_map(|(p, n, t)| Mutation::Repeat(p, n, t)),
        any::<u16>().prop_map(Mutation::Truncate),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_uploads_get_a_client_error_never_a_fault(
        mutations in proptest::collection::vec(mutation(), 0..6)
    ) {
        let node = node();
        let body = apply(upload_body(), &mutations);
        let (status, alive) = node.rt.block_on(async {
            // A new connection each time: the node closes one whose request it refused early.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap();
            let res = client
                .post(format!("{}/api/v1/products/{}/images", node.base, node.product))
                .bearer_auth(&node.token)
                .header("content-type", "multipart/form-data; boundary=XyZ")
                .body(body)
                .send()
                .await;
            // The node may answer and close before the client has sent everything: the
            // client then sees the connection closed, a refusal too.
            let Ok(res) = res else {
                return (0, alive(&client, &node.base).await);
            };
            let status = res.status().as_u16();
            if status == 201 {
                let image: serde_json::Value = res.json().await.unwrap();
                let id = image["id"].as_str().unwrap();
                client
                    .delete(format!("{}/api/v1/products/{}/images/{id}", node.base, node.product))
                    .bearer_auth(&node.token)
                    .send()
                    .await
                    .unwrap();
            }
            (status, alive(&client, &node.base).await)
        });
        prop_assert!(
            [0, 201, 400, 413, 415, 422].contains(&status),
            "status {status} for a mutated upload"
        );
        prop_assert_eq!(alive, 200);
    }
}
