//! The `etal` binary: `serve` with a TOML file, `admin token create` beside a running server,
//! and the demo town seeded exactly once.

use std::process::{Command, Stdio};
use std::time::Duration;

use etal_node::app::App;
use serde_json::json;
use tokio::net::TcpListener;

use crate::harness;

fn etal() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_etal"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ETAL_") {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn");
    c
}

async fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Killed(std::process::Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn admin_token_create_works_beside_a_running_server_configured_by_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().await;
    let settings = harness::settings(dir.path(), &format!("http://localhost:{port}")).await;
    let config = dir.path().join("etal.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\npublic_url = \"http://localhost:{port}\"\n\
             database_url = \"{}\"\ndata_dir = \"{}\"\n",
            settings.database_url,
            dir.path().display()
        ),
    )
    .unwrap();
    let server = Killed(
        etal()
            .args(["--config", config.to_str().unwrap(), "serve"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let base = format!("http://localhost:{port}");
    let mut up = false;
    for _ in 0..200 {
        if client
            .get(format!("{base}/api/v1/categories"))
            .send()
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "server answers");

    let out = etal()
        .args([
            "admin",
            "token",
            "create",
            "--name",
            "town hall",
            "--config",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admin = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(admin.starts_with("etal_"));
    let res = client
        .post(format!("{base}/api/v1/merchants"))
        .bearer_auth(&admin)
        .json(&json!({"slug": "cave", "name": "La Cave", "address": {"postal_code": "78120", "city": "Rambouillet"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // The same options as environment variables.
    let out = etal()
        .args([
            "admin",
            "token",
            "create",
            "--name",
            "shop",
            "--merchant",
            "cave",
        ])
        .env("ETAL_DATABASE_URL", &settings.database_url)
        .env("ETAL_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shop = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let res = client
        .post(format!("{base}/api/v1/merchants/cave/products"))
        .bearer_auth(&shop)
        .json(&json!({"name": "Chinon 2022", "price": "12.50"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = client
        .post(format!("{base}/api/v1/merchants"))
        .bearer_auth(&shop)
        .json(&json!({"slug": "x2", "name": "x", "address": {"postal_code": "78120", "city": "R"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let out = etal()
        .args([
            "admin",
            "token",
            "create",
            "--name",
            "x",
            "--merchant",
            "nobody",
            "--config",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
    drop(server);
}

#[tokio::test]
async fn bad_configuration_is_reported_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("etal.toml");
    std::fs::write(&config, "lisen = \"127.0.0.1:1\"\n").unwrap();
    let out = etal()
        .args(["--config", config.to_str().unwrap(), "serve"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lisen"));
    let out = etal()
        .args(["serve", "--public-url", "https://town.example/shops"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("path"));
}

async fn counts(node: &etal_node::http::Node) -> (i64, i64, i64) {
    let q = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(node.cx.db.pool())
            .await
            .unwrap()
    };
    (
        q("SELECT COUNT(*) FROM merchants").await,
        q("SELECT COUNT(*) FROM products").await,
        q("SELECT COUNT(*) FROM product_images").await,
    )
}

#[tokio::test]
async fn the_demo_town_is_seeded_once_and_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = harness::settings(dir.path(), "http://localhost:8080").await;
    let plain = App::with_listener(s.clone(), TcpListener::bind("127.0.0.1:0").await.unwrap())
        .await
        .unwrap();
    assert_eq!(
        counts(&plain.node()).await,
        (0, 0, 0),
        "serve without --demo seeds nothing"
    );
    drop(plain);
    s.demo = true;
    for _ in 0..2 {
        let app = App::with_listener(s.clone(), TcpListener::bind("127.0.0.1:0").await.unwrap())
            .await
            .unwrap();
        let (merchants, products, images) = counts(&app.node()).await;
        assert_eq!(merchants, 6);
        assert_eq!(products, 30);
        assert_eq!(images, 30, "every product has a photo");
    }
    let files = walk(&dir.path().join("media"));
    assert_eq!(
        files, 90,
        "three copies of each photo, none left over by the second start"
    );
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn products_import_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("etal.db").display());
    let run = |args: &[&str]| {
        etal()
            .args([
                "--data-dir",
                dir.path().to_str().unwrap(),
                "--database-url",
                &db,
            ])
            .args(args)
            .output()
            .unwrap()
    };
    // A shop, made through the node's own rules.
    {
        let node = etal_node::http::Node::open(etal_node::config::Settings::for_dir(
            dir.path(),
            "http://localhost:8080",
            None,
        ))
        .await
        .unwrap();
        etal_node::domain::merchants::create(
            &node.cx,
            &etal_node::domain::authz::Caller::Operator,
            serde_json::from_value(json!({"slug": "ferme", "name": "La Ferme",
                "address": {"postal_code": "78120", "city": "Rambouillet"}}))
            .unwrap(),
        )
        .await
        .unwrap();
        node.cx.db.close().await;
    }
    let file = dir.path().join("legumes.csv");
    std::fs::write(
        &file,
        "sku;name;price;unit_type\nL1;Carottes;2,10;kg\nL2;;1,00;kg\nL3;Poireaux;trois;botte\n",
    )
    .unwrap();
    let refused = run(&[
        "import",
        "products",
        file.to_str().unwrap(),
        "--merchant",
        "ferme",
    ]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("line 3, column name") && err.contains("line 4, column price"),
        "{err}"
    );
    let partial = run(&[
        "import",
        "products",
        file.to_str().unwrap(),
        "--merchant",
        "ferme",
        "--valid-only",
    ]);
    assert!(
        partial.status.success(),
        "{}",
        String::from_utf8_lossy(&partial.stderr)
    );
    assert!(String::from_utf8_lossy(&partial.stdout).contains("1 added"));
    let out = dir.path().join("out.csv");
    let exported = run(&[
        "export",
        "products",
        "--merchant",
        "ferme",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(exported.status.success());
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(
        csv.contains(";L1;Carottes;") && csv.contains("2,10"),
        "{csv}"
    );
}

/// Two nodes generated by `etal dev gen-dataset`, served by `etal serve`, harvested by
/// `etal serve --aggregator` after `etal aggregator follow`, as `etal aggregator sources` shows.
#[tokio::test]
async fn a_generated_dataset_is_served_and_harvested_through_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dataset");
    // Two free ports in a row for the two nodes.
    let first = loop {
        let p = free_port().await;
        if std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            break p;
        }
    };
    let gen = etal()
        .args([
            "dev",
            "gen-dataset",
            "--merchants",
            "40",
            "--products",
            "400",
            "--nodes",
            "2",
        ])
        .args(["--first-port", &first.to_string(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        gen.status.success(),
        "{}",
        String::from_utf8_lossy(&gen.stderr)
    );
    let list = std::fs::read_to_string(out.join("nodes.tsv")).unwrap();
    let rows: Vec<Vec<String>> = list
        .lines()
        .skip(1)
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{list}");
    let shops: usize = rows.iter().map(|r| r[3].parse::<usize>().unwrap()).sum();
    let products: usize = rows.iter().map(|r| r[4].parse::<usize>().unwrap()).sum();
    assert_eq!((shops, products), (40, 400), "{list}");
    let mut running = Vec::new();
    for r in &rows {
        let port = r[1].rsplit(':').next().unwrap().to_string();
        let child = etal()
            .env("ETAL_ALLOW_PRIVATE_NETWORKS", "1")
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--public-url",
                &r[1],
            ])
            .args([
                "--data-dir",
                &r[2],
                "--database-url",
                &format!("sqlite://{}/etal.db", r[2]),
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        running.push(Killed(child));
    }
    let agg_port = free_port().await;
    let agg_dir = tmp.path().join("aggregator");
    let agg_args = |c: &mut Command| {
        c.env("ETAL_ALLOW_PRIVATE_NETWORKS", "1")
            .args(["--listen", &format!("127.0.0.1:{agg_port}")])
            .args(["--public-url", &format!("http://127.0.0.1:{agg_port}")])
            .arg("--data-dir")
            .arg(&agg_dir)
            .args([
                "--database-url",
                &format!("sqlite://{}/etal.db", agg_dir.display()),
            ]);
    };
    let mut serve = etal();
    agg_args(&mut serve);
    let _agg = Killed(
        serve
            .args(["--aggregator", "--harvest-every", "1", "serve"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    for url in rows
        .iter()
        .map(|r| r[1].clone())
        .chain([format!("http://127.0.0.1:{agg_port}")])
    {
        while client
            .get(format!("{url}/.well-known/nodeinfo"))
            .send()
            .await
            .is_err()
        {
            assert!(std::time::Instant::now() < deadline, "{url} did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for r in &rows {
        let mut follow = etal();
        agg_args(&mut follow);
        let o = follow
            .args(["aggregator", "follow", &r[1]])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("harvesting"));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let mut sources = etal();
        agg_args(&mut sources);
        let o = sources.args(["aggregator", "sources"]).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        let lines: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect())
            .collect();
        assert!(
            text.starts_with("state\tfollow\tshops\tproducts\tsynced\tfailures\turl"),
            "{text}"
        );
        let live = lines
            .iter()
            .filter(|l| l[0] == "live" && l[1] == "accepted")
            .count();
        let harvested: usize = lines.iter().map(|l| l[3].parse::<usize>().unwrap()).sum();
        if live == 2 && harvested == 400 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // National search over both.
    let r: serde_json::Value = client
        .get(format!("http://127.0.0.1:{agg_port}/api/v1/search?limit=5"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["total"], 400, "{r}");
    assert!(!r["towns"].as_array().unwrap().is_empty(), "{r}");
}
