//! Page speed against nginx: the demo town's product page, shop page, shop actor and product
//! Note, each served by the release node and, in the same run, by nginx from a file holding
//! the node's very bytes. Load by `wrk -t2 -c64` on the same machine.
//!
//! ```sh
//! apt-get install -y nginx wrk        # Debian's packages
//! cargo build --release --bin etal --example bench_pages
//! target/release/examples/bench_pages             # ETAL_BENCH_SECONDS=10 by default
//! ```

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

/// nginx's master process, stopped with SIGQUIT (it stops its workers; a SIGKILL would
/// orphan them).
struct Nginx(std::process::Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-QUIT", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

struct Target {
    name: &'static str,
    path: String,
    accept: &'static str,
    file: &'static str,
}

/// Requests per second and p99 latency (ms) of one wrk run.
fn wrk(url: &str, accept: &str, seconds: u64) -> (f64, f64) {
    let out = Command::new("wrk")
        .args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency", "-H"])
        .arg(format!("Accept: {accept}"))
        .arg(url)
        .output()
        .expect("wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| {
            let v = v.trim();
            if let Some(ms) = v.strip_suffix("ms") {
                ms.parse().unwrap_or(f64::NAN)
            } else if let Some(us) = v.strip_suffix("us") {
                us.parse::<f64>().unwrap_or(f64::NAN) / 1000.0
            } else if let Some(s) = v.strip_suffix('s') {
                s.parse::<f64>().unwrap_or(f64::NAN) * 1000.0
            } else {
                f64::NAN
            }
        })
        .unwrap_or(f64::NAN);
    let errors = text
        .lines()
        .any(|l| l.contains("Non-2xx") || l.contains("Socket errors"));
    if errors {
        eprintln!("wrk reported errors for {url}:\n{text}");
    }
    (rps, p99)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::var("ETAL_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir()?;
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut node = Command::new(common::bin("ETAL_BIN", "target/release/etal"))
        .args(["serve", "--demo"])
        .env("ETAL_LISTEN", format!("127.0.0.1:{port}"))
        .env("ETAL_PUBLIC_URL", &base)
        .env(
            "ETAL_DATABASE_URL",
            format!("sqlite://{}/etal.db", dir.path().display()),
        )
        .env("ETAL_DATA_DIR", dir.path())
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()?;
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while client
        .get(format!("{base}/api/v1/categories"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "node did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let products: serde_json::Value = client
        .get(format!("{base}/api/v1/products?limit=1"))
        .send()
        .await?
        .json()
        .await?;
    let id = products["items"][0]["id"]
        .as_str()
        .expect("a demo product")
        .to_string();
    let shop = products["items"][0]["merchant"]
        .as_str()
        .unwrap_or("boulangerie-martin")
        .to_string();
    let targets = [
        Target {
            name: "product page",
            path: format!("/products/{id}"),
            accept: "text/html",
            file: "product.html",
        },
        Target {
            name: "shop page",
            path: format!("/shops/{shop}"),
            accept: "text/html",
            file: "shop.html",
        },
        Target {
            name: "shop actor JSON",
            path: format!("/shops/{shop}"),
            accept: "application/activity+json",
            file: "actor.json",
        },
        Target {
            name: "product Note JSON",
            path: format!("/products/{id}"),
            accept: "application/activity+json",
            file: "note.json",
        },
    ];
    // nginx serves the node's own bytes.
    let root = dir.path().join("static");
    std::fs::create_dir_all(&root)?;
    for t in &targets {
        let res = client
            .get(format!("{base}{}", t.path))
            .header("accept", t.accept)
            .send()
            .await?;
        assert!(res.status().is_success(), "{}: {}", t.path, res.status());
        std::fs::write(root.join(t.file), res.bytes().await?)?;
    }
    let nginx_port = common::free_port();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nworker_processes auto;\npid {0}/nginx.pid;\nerror_log stderr error;\n\
             events {{ worker_connections 4096; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 1000000;\n\
               open_file_cache max=1000 inactive=60s;\n  open_file_cache_valid 60s;\n\
               types {{ text/html html; application/activity+json json; }}\n\
               client_body_temp_path {0}; proxy_temp_path {0}; fastcgi_temp_path {0}; uwsgi_temp_path {0}; scgi_temp_path {0};\n\
               server {{ listen 127.0.0.1:{nginx_port}; root {1}; }}\n}}\n",
            dir.path().display(),
            root.display()
        ),
    )?;
    let nginx = Nginx(
        Command::new("nginx")
            .args(["-c"])
            .arg(&conf)
            .args(["-p"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx (apt-get install nginx)"),
    );
    let nginx_base = format!("http://127.0.0.1:{nginx_port}");
    while client
        .get(format!("{nginx_base}/product.html"))
        .send()
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("wrk -t2 -c64 -d{seconds}s, same machine; node and nginx alternate per target\n");
    println!(
        "| what | bytes | nginx req/s | nginx p99 ms | node req/s | node p99 ms | node / nginx |"
    );
    println!("|---|---|---|---|---|---|---|");
    for t in &targets {
        let size = std::fs::metadata(root.join(t.file))?.len();
        let (n_rps, n_p99) = wrk(&format!("{nginx_base}/{}", t.file), t.accept, seconds);
        let (e_rps, e_p99) = wrk(&format!("{base}{}", t.path), t.accept, seconds);
        println!(
            "| {} | {size} | {n_rps:.0} | {n_p99:.2} | {e_rps:.0} | {e_p99:.2} | **{:.0} %** |",
            t.name,
            e_rps / n_rps * 100.0
        );
    }
    drop(nginx);
    let _ = node.kill();
    let _ = node.wait();
    Ok(())
}
