//! Spreadsheet import at national scale: one CSV of 273,560 products (the number
//! fairemescourses.fr lists), imported into one shop through `spreadsheet::import`, the code
//! behind the dashboard's import and `etal import products`: read and check every row, staging
//! them a thousand at a time, then write the products, their search index entries and one
//! outbox event each, a thousand per transaction. Then the same file again (every row matched
//! by its sku, nothing to write).
//!
//! ```sh
//! cargo run --release --example bench_import                     # SQLite in a temporary folder
//! ETAL_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/etal_bench \
//!   cargo run --release --example bench_import                   # PostgreSQL (an empty database)
//! ```
//! `ETAL_BENCH_PRODUCTS` changes the size. The file is generated at every run (from a fixed
//! seed) and never committed.

use std::time::Instant;

use etal_node::config::Settings;
use etal_node::domain::authz::Caller;
use etal_node::domain::{merchants, spreadsheet};
use etal_node::http::Node;
use etal_node::model::input::{AddressInput, MerchantCreate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const NAMES: &[&str] = &[
    "Pain de campagne",
    "Baguette tradition",
    "Comté 18 mois",
    "Miel de châtaignier",
    "Pommes Reinette",
    "Poulet fermier",
    "Confiture de fraises",
    "Jus de pomme bio",
    "Savon au lait d'ânesse",
    "Bouquet de saison",
    "Terrine de campagne",
    "Œufs plein air",
    "Carottes des sables",
    "Fromage de chèvre frais",
    "Café moulu",
    "Bière blonde artisanale",
];
const UNITS: &[&str] = &["pièce", "kg", "l", "botte", "douzaine", "boîte"];
const CATEGORIES: &[&str] = &[
    "food.bakery",
    "food.cheese",
    "food.produce",
    "food",
    "home",
    "",
];
const TAGS: &[&str] = &["bio", "local", "fait maison", "de saison", "AOP", ""];

fn file(rows: usize) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut out = String::with_capacity(rows * 120);
    out.push_str(
        "\u{feff}sku;name;description;category;units;unit_type;price;on_hand;available;tags\n",
    );
    for i in 0..rows {
        let name = NAMES[rng.gen_range(0..NAMES.len())];
        let price = rng.gen_range(50..5000);
        let stock = rng.gen_range(0..40);
        out.push_str(&format!(
            "REF-{i:06};{name} n°{i};Produit {i} de la boutique, cultivé ou fait près d'ici.;{};1;{};{},{:02};{stock};;{}\n",
            CATEGORIES[i % CATEGORIES.len()],
            UNITS[i % UNITS.len()],
            price / 100,
            price % 100,
            TAGS[i % TAGS.len()],
        ));
    }
    out.into_bytes()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows: usize = std::env::var("ETAL_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(273_560);
    let dir = tempfile::tempdir()?;
    let db = std::env::var("ETAL_BENCH_DATABASE_URL").ok();
    let engine = if db.is_some() { "PostgreSQL" } else { "SQLite" };
    let node = Node::open(Settings::for_dir(dir.path(), "http://localhost:8080", db)).await?;
    let shop = merchants::create(
        &node.cx,
        &Caller::Operator,
        MerchantCreate {
            slug: Some("grossiste".into()),
            name: Some("Le Grossiste".into()),
            address: Some(AddressInput {
                postal_code: Some("78120".into()),
                city: Some("Rambouillet".into()),
                ..AddressInput::default()
            }),
            ..MerchantCreate::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bytes = file(rows);
    println!(
        "{engine}: importing {rows} rows ({:.1} MB) into {}",
        bytes.len() as f64 / 1e6,
        shop.slug
    );
    for round in ["first import", "same file again"] {
        let start = Instant::now();
        let mut checked_at = None;
        let report = spreadsheet::import(
            &node.cx,
            &Caller::Operator,
            "grossiste",
            bytes::Bytes::from(bytes.clone()),
            false,
            &mut |p| {
                if let spreadsheet::Progress::Written(0, _) | spreadsheet::Progress::Checked(_, _) =
                    p
                {
                    checked_at = Some(start.elapsed());
                }
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let took = start.elapsed();
        assert_eq!(report.bad_rows, 0, "{:?}", report.errors.first());
        println!(
            "{round}: {:.1} s ({:.0} rows/s; checking {:.1} s): {} added, {} changed, {} unchanged",
            took.as_secs_f64(),
            rows as f64 / took.as_secs_f64(),
            checked_at.unwrap_or_default().as_secs_f64(),
            report.created,
            report.updated,
            report.unchanged
        );
    }
    node.cx.db.close().await;
    Ok(())
}
