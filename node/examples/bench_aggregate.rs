//! An aggregator harvests a national dataset from 20 nodes on loopback, end to end, then
//! answers national searches.
//!
//! The dataset (`etal dev gen-dataset`: 14,019 shops, 273,560 products over 20 nodes by
//! département) is generated once into `ETAL_BENCH_DIR` (default `target/bench-aggregate`).
//! Each run starts the 20 nodes (release `etal serve`, SQLite), then a fresh aggregator
//! (`etal serve --aggregator`, on SQLite, or on PostgreSQL with `ETAL_BENCH_DATABASE_URL`
//! naming a server: a database `etal_bench_aggregate` is created there anew), and times from
//! the first `etal aggregator follow URL` to the moment every source is live with every
//! product stored. The aggregator's resident memory is sampled throughout (and its peak read
//! from `VmHWM`). Then each national search is timed over HTTP, one request at a time, each
//! with a new `r=` parameter so that no page comes from the page cache.
//!
//! ```sh
//! cargo build --release --bin etal --example bench_aggregate
//! target/release/examples/bench_aggregate
//! ETAL_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres target/release/examples/bench_aggregate
//! ```

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn etal() -> Command {
    let bin = std::env::var("ETAL_BIN").unwrap_or_else(|_| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        root.join("target/release/etal")
            .to_string_lossy()
            .to_string()
    });
    let mut c = Command::new(bin);
    c.env("ETAL_ALLOW_PRIVATE_NETWORKS", "1")
        .env("RUST_LOG", "warn,sqlx=error");
    c
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident and peak memory of a process, in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn wait_up(client: &reqwest::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while client
        .get(format!("{url}/.well-known/nodeinfo"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "{url} did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// (sources live, products stored) from `etal aggregator sources`.
fn progress(env: &[(String, String)]) -> (usize, usize, String) {
    let out = etal()
        .envs(env.iter().cloned())
        .args(["aggregator", "sources"])
        .output()
        .expect("etal aggregator sources");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut live = 0;
    let mut products = 0;
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 4 {
            continue;
        }
        if cols[0] == "live" {
            live += 1;
        }
        products += cols[3].parse::<usize>().unwrap_or(0);
    }
    (live, products, text)
}

const QUERIES: &[&str] = &[
    "pain",
    "baguette",
    "croissant beurre",
    "fromage chèvre",
    "pommes",
    "tomates bio",
    "vin rouge",
    "bière artisanale",
    "miel",
    "confiture fraise",
    "saucisses",
    "poulet fermier",
    "bouquet roses",
    "album jeunesse",
    "pull laine",
    "epicerie",
    "chocolat noir",
    "xylophone",
    "huile olive",
    "café grains",
];

/// Postal and INSEE codes searched near: big towns, small ones, a shared postal code.
const PLACES: &[&str] = &[
    "78120", "75011", "69003", "13001", "33000", "29000", "2A004", "67482", "59350", "31000",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let merchants = env_usize("ETAL_BENCH_SHOPS", 14_019);
    let products = env_usize("ETAL_BENCH_PRODUCTS", 273_560);
    let nodes = env_usize("ETAL_BENCH_NODES", 20);
    let rounds = env_usize("ETAL_BENCH_ROUNDS", 5);
    let first_port = 18_101u16;
    let dir = std::env::var("ETAL_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-aggregate")
        });
    let dataset = dir.join(format!("dataset-{merchants}-{products}-{nodes}"));
    if !dataset.join("nodes.tsv").exists() {
        let _ = std::fs::remove_dir_all(&dataset);
        println!("generating {merchants} shops and {products} products over {nodes} nodes …");
        let t = Instant::now();
        let ok = etal()
            .args([
                "dev",
                "gen-dataset",
                "--merchants",
                &merchants.to_string(),
                "--products",
                &products.to_string(),
                "--nodes",
                &nodes.to_string(),
                "--first-port",
                &first_port.to_string(),
                "--out",
            ])
            .arg(&dataset)
            .status()?
            .success();
        anyhow::ensure!(ok, "gen-dataset failed");
        println!("generated in {:.1} s", t.elapsed().as_secs_f64());
    }
    let list = std::fs::read_to_string(dataset.join("nodes.tsv"))?;
    let client = reqwest::Client::new();
    let mut running = Vec::new();
    for line in list.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (url, data) = (cols[1].to_string(), cols[2].to_string());
        let port = url.rsplit(':').next().unwrap_or_default().to_string();
        let child = etal()
            .env("ETAL_DATA_DIR", &data)
            .env("ETAL_DATABASE_URL", format!("sqlite://{data}/etal.db"))
            .env("ETAL_PUBLIC_URL", &url)
            .env("ETAL_LISTEN", format!("127.0.0.1:{port}"))
            .arg("serve")
            .stdout(Stdio::null())
            .spawn()?;
        running.push((Proc(child), url));
    }
    for (_, url) in &running {
        wait_up(&client, url).await;
    }
    println!("{} nodes up", running.len());

    // A fresh aggregator.
    let agg_dir = dir.join("aggregator");
    let _ = std::fs::remove_dir_all(&agg_dir);
    std::fs::create_dir_all(&agg_dir)?;
    let database_url = match std::env::var("ETAL_BENCH_DATABASE_URL") {
        Ok(base) if !base.is_empty() => {
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base).await?;
            sqlx::query("DROP DATABASE IF EXISTS etal_bench_aggregate WITH (FORCE)")
                .execute(&mut conn)
                .await?;
            sqlx::query("CREATE DATABASE etal_bench_aggregate")
                .execute(&mut conn)
                .await?;
            let cut = base.rfind('/').map_or(base.len(), |i| i);
            format!("{}/etal_bench_aggregate", &base[..cut])
        }
        _ => format!("sqlite://{}/etal.db", agg_dir.display()),
    };
    let agg_port = first_port - 1;
    let agg_url = format!("http://127.0.0.1:{agg_port}");
    let env: Vec<(String, String)> = vec![
        ("ETAL_DATA_DIR".into(), agg_dir.display().to_string()),
        ("ETAL_DATABASE_URL".into(), database_url.clone()),
        ("ETAL_PUBLIC_URL".into(), agg_url.clone()),
        ("ETAL_LISTEN".into(), format!("127.0.0.1:{agg_port}")),
        ("ETAL_AGGREGATOR".into(), "1".into()),
    ];
    let agg = Proc(
        etal()
            .envs(env.iter().cloned())
            .arg("serve")
            .stdout(Stdio::null())
            .spawn()?,
    );
    let pid = agg.0.id();
    wait_up(&client, &agg_url).await;
    println!(
        "aggregator on {}",
        if database_url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );

    let t0 = Instant::now();
    // The 20 follows at once, as 20 commands typed in 20 terminals.
    let follows: Vec<(Child, &String)> = running
        .iter()
        .map(|(_, url)| {
            let child = etal()
                .envs(env.iter().cloned())
                .args(["aggregator", "follow", url])
                .stdout(Stdio::null())
                .spawn()
                .expect("etal aggregator follow");
            (child, url)
        })
        .collect();
    for (mut child, url) in follows {
        anyhow::ensure!(child.wait()?.success(), "follow {url} failed");
    }
    let followed = t0.elapsed();
    let mut peak_rss: f64 = 0.0;
    let mut last_print = Instant::now();
    // The sources' states are read straight from the aggregator's database (a light query:
    // the observer must not load the machine it measures); products are counted once every
    // source is live, then `etal aggregator sources` prints the table.
    sqlx::any::install_default_drivers();
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&database_url).await?;
    let (mut live, mut stored, table);
    loop {
        let (rss, _) = memory(pid);
        peak_rss = peak_rss.max(rss);
        let states: Vec<String> = sqlx::query_scalar("SELECT state FROM harvest_sources")
            .fetch_all(&mut db)
            .await?;
        live = states.iter().filter(|s| *s == "live").count();
        stored = 0;
        if live == running.len() {
            stored = sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM products WHERE local = 0 AND deleted_at IS NULL",
            )
            .fetch_one(&mut db)
            .await? as usize;
        }
        if live == running.len() && stored >= products {
            (_, _, table) = progress(&env);
            break;
        }
        if last_print.elapsed() > Duration::from_secs(5) {
            println!(
                "  {:>5.1} s: {live} of {} sources live, RSS {rss:.0} MiB",
                t0.elapsed().as_secs_f64(),
                running.len()
            );
            last_print = Instant::now();
        }
        anyhow::ensure!(
            t0.elapsed() < Duration::from_secs(900),
            "harvest did not finish: {live} live, {stored} products"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let harvest = t0.elapsed().as_secs_f64();
    let (_, hwm) = memory(pid);
    println!(
        "harvest: {stored} products from {live} nodes in **{harvest:.1} s** (the {} follows took {:.1} s); \
         aggregator RSS peak {:.0} MiB sampled, VmHWM {hwm:.0} MiB",
        running.len(),
        followed.as_secs_f64(),
        peak_rss
    );
    println!("{table}");

    // National search.
    println!("| what | requests | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|");
    let enc = |s: &str| s.replace(' ', "+");
    let mut n = 0;
    let mut urls = |f: &dyn Fn(&str, &str, usize) -> String| {
        let mut out = Vec::new();
        for r in 0..rounds {
            for (i, q) in QUERIES.iter().enumerate() {
                n += 1;
                out.push(f(&enc(q), PLACES[(i + r) % PLACES.len()], n));
            }
        }
        out
    };
    let a = &agg_url;
    common::time_all(
        &client,
        "search page `/search?q=`",
        urls(&|q, _, n| format!("{a}/search?q={q}&r={n}")),
    )
    .await;
    common::time_all(
        &client,
        "search page + category + availability",
        urls(&|q, _, n| format!("{a}/search?q={q}&category=food&availability=in_stock&r={n}")),
    )
    .await;
    common::time_all(
        &client,
        "search page near a postal or INSEE code (20 km)",
        urls(&|q, p, n| format!("{a}/search?q={q}&near={p}&km=20&r={n}")),
    )
    .await;
    common::time_all(
        &client,
        "API `/api/v1/search?q=` with town facets",
        urls(&|q, _, n| format!("{a}/api/v1/search?q={q}&r={n}")),
    )
    .await;
    common::time_all(
        &client,
        "API near a postal or INSEE code (20 km)",
        urls(&|q, p, n| format!("{a}/api/v1/search?q={q}&near={p}&km=20&r={n}")),
    )
    .await;
    let (_, hwm) = memory(pid);
    println!("aggregator VmHWM after the searches: {hwm:.0} MiB");
    drop(agg);
    drop(running);
    Ok(())
}
