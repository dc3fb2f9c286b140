//! Search at national scale: generates 14,019 shops and 273,560 products (the size of
//! fairemescourses.fr) with French names and descriptions, then times 20 realistic searches
//! through the running release node, over HTTP: the search page (each request a cache miss)
//! and the API's `q` filter.
//!
//! ```sh
//! cargo build --release --bin etal --example bench_search
//! target/release/examples/bench_search                 # SQLite
//! ETAL_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/etal_bench \
//!   target/release/examples/bench_search               # PostgreSQL (an empty database)
//! ```
//! `ETAL_BENCH_PRODUCTS` and `ETAL_BENCH_SHOPS` change the size. The data is generated at
//! every run (deterministically, from a fixed seed) and never committed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use etal_node::db::{self, Db};
use etal_node::model::merchant::{Address, Geo, Merchant, MerchantFields};
use etal_node::model::product::{Product, ProductFields};
use etal_node::urls::Urls;
use etal_protocol::{Availability, Currency, Money, Unit};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

mod common;

/// What each kind of shop sells: (category of the shop, product category, names).
const TRADES: &[(&str, &str, &[&str])] = &[
    (
        "food.bakery",
        "food.bakery",
        &[
            "Baguette tradition",
            "Pain de campagne",
            "Croissant au beurre",
            "Pain au chocolat",
            "Brioche tressée",
            "Tarte aux pommes",
            "Éclair au café",
            "Pain complet",
            "Fougasse aux olives",
            "Chausson aux pommes",
            "Pain aux noix",
            "Flan pâtissier",
        ],
    ),
    (
        "food.butcher",
        "food.butcher",
        &[
            "Côte de bœuf",
            "Poulet fermier",
            "Saucisson sec",
            "Rôti de porc",
            "Jambon blanc",
            "Merguez",
            "Bavette d'aloyse",
            "Pâté de campagne",
            "Terrine de canard",
            "Escalope de veau",
        ],
    ),
    (
        "food.cheese",
        "food.cheese",
        &[
            "Comté 18 mois",
            "Brie de Meaux",
            "Fromage de chèvre frais",
            "Camembert au lait cru",
            "Roquefort",
            "Tomme de Savoie",
            "Beurre demi-sel",
            "Crème fraîche épaisse",
            "Yaourt fermier",
            "Reblochon",
        ],
    ),
    (
        "food.produce",
        "food.produce",
        &[
            "Pommes Reine des reinettes",
            "Tomates anciennes",
            "Carottes des sables",
            "Poireaux",
            "Fraises de Plougastel",
            "Salade batavia",
            "Pommes de terre nouvelles",
            "Courgettes bio",
            "Poires Conférence",
            "Oranges à jus",
            "Champignons de Paris",
            "Haricots verts",
        ],
    ),
    (
        "food.grocery",
        "food.grocery",
        &[
            "Huile d'olive vierge extra",
            "Confiture de fraises",
            "Miel de lavande",
            "Café en grains",
            "Thé vert",
            "Pâtes artisanales",
            "Riz de Camargue",
            "Lentilles vertes",
            "Moutarde à l'ancienne",
            "Chocolat noir 70 %",
            "Biscuits sablés",
            "Sel de Guérande",
        ],
    ),
    (
        "drinks.wine",
        "drinks.wine",
        &[
            "Vin rouge de Bourgogne",
            "Champagne brut",
            "Bière artisanale blonde",
            "Cidre brut",
            "Vin blanc de Loire",
            "Rosé de Provence",
            "Whisky tourbé",
            "Jus de pomme",
            "Crémant d'Alsace",
            "Bière ambrée",
        ],
    ),
    (
        "home.florist",
        "home.florist",
        &[
            "Bouquet de roses",
            "Bouquet de pivoines",
            "Orchidée blanche",
            "Tulipes",
            "Plante verte",
            "Couronne de l'Avent",
            "Bouquet champêtre",
            "Cactus",
            "Lys blancs",
        ],
    ),
    (
        "culture.books",
        "culture.books",
        &[
            "Roman policier",
            "Livre de cuisine",
            "Bande dessinée",
            "Livre pour enfants",
            "Guide de randonnée",
            "Carnet de notes",
            "Album jeunesse",
            "Dictionnaire",
            "Poésie",
        ],
    ),
    (
        "fashion.shoes",
        "fashion.shoes",
        &[
            "Chaussures de marche",
            "Baskets en cuir",
            "Sandales",
            "Bottines",
            "Chaussons",
            "Mocassins",
            "Escarpins",
        ],
    ),
    (
        "home.hardware",
        "home.hardware",
        &[
            "Tournevis",
            "Perceuse sans fil",
            "Ampoule LED",
            "Peinture blanche",
            "Cadenas",
            "Mètre ruban",
            "Colle forte",
            "Vis à bois",
        ],
    ),
];

const ADJECTIVES: &[&str] = &[
    "bio",
    "fermier",
    "artisanal",
    "maison",
    "local",
    "de saison",
    "du terroir",
    "extra",
    "traditionnel",
    "grand format",
    "petit format",
    "en vrac",
];
const DESCRIPTION_WORDS: &[&str] = &[
    "produit",
    "frais",
    "chaque",
    "matin",
    "notre",
    "atelier",
    "recette",
    "depuis",
    "producteur",
    "région",
    "qualité",
    "goût",
    "cuisson",
    "récolte",
    "saveur",
    "idéal",
    "pour",
    "famille",
    "fête",
    "week-end",
    "offrir",
    "partager",
    "nature",
    "délicat",
    "généreux",
    "sélection",
    "provenance",
    "France",
    "Île-de-France",
    "Normandie",
    "Bretagne",
    "Provence",
    "tradition",
    "savoir-faire",
    "artisan",
    "marché",
];
const TOWNS: &[(&str, &str, f64, f64)] = &[
    ("Rambouillet", "78120", 48.644, 1.830),
    ("Chartres", "28000", 48.446, 1.489),
    ("Versailles", "78000", 48.804, 2.130),
    ("Lyon", "69001", 45.764, 4.835),
    ("Nantes", "44000", 47.218, -1.553),
    ("Lille", "59000", 50.629, 3.057),
    ("Toulouse", "31000", 43.604, 1.444),
    ("Rennes", "35000", 48.117, -1.677),
    ("Dijon", "21000", 47.322, 5.041),
    ("Annecy", "74000", 45.899, 6.129),
    ("Bayonne", "64100", 43.492, -1.474),
    ("Colmar", "68000", 48.079, 7.358),
];

/// The searches timed: what people type, one that matches nothing, one with a filter.
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
    "saucisson",
    "poulet fermier",
    "bouquet roses",
    "livre enfants",
    "chaussures cuir",
    "epicerie",
    "chocolat noir",
    "xylophone",
    "huile olive",
    "café grains",
];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn generate(db: &Db, urls: &Urls, shops: usize, products: usize) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(14_019);
    let key = etal_node::keys::generate()?;
    let eur = Currency::from_code("EUR").expect("EUR");
    // Shop sizes: most small, a few very large (the largest near 2,600 products).
    let mut weights: Vec<f64> = (0..shops)
        .map(|i| 1.0 / (1.0 + (i % 997) as f64).powf(0.6))
        .collect();
    let total: f64 = weights.iter().sum();
    for w in &mut weights {
        *w = *w / total * products as f64;
    }
    let started = Instant::now();
    let mut written = 0usize;
    let now = Utc::now();
    for (i, w) in weights.iter().enumerate() {
        let (shop_cat, product_cat, names) = TRADES[i % TRADES.len()];
        let (town, postal, lat, lon) = TOWNS[(i / TRADES.len()) % TOWNS.len()];
        let slug = format!("commerce-{i}");
        let m = Merchant {
            id: Uuid::now_v7(),
            ap_id: urls.merchant(&slug).to_string(),
            slug: slug.clone(),
            fields: MerchantFields {
                name: format!(
                    "{} {} {}",
                    shop_label(shop_cat),
                    [
                        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand",
                        "Leroy", "Moreau", "Simon"
                    ][i % 10],
                    i
                ),
                description: Some("Commerce de proximité, ouvert du mardi au samedi.".into()),
                category: Some(shop_cat.into()),
                address: Address {
                    street: Some(format!("{} rue de la République", 1 + i % 120)),
                    postal_code: postal.into(),
                    city: town.into(),
                    insee_code: None,
                },
                geo: Some(Geo {
                    lat: lat + rng.gen_range(-0.05..0.05),
                    lon: lon + rng.gen_range(-0.05..0.05),
                }),
                phone: None,
                email: None,
                website: None,
                opening_hours: vec!["Tu-Sa 09:00-19:00".into()],
                siret: None,
                indexable: true,
            },
            public_key_pem: Some(key.public_pem.clone()),
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        let mut tx = db.begin().await?;
        db::merchants::insert(&mut tx, &m, &key.private_pem).await?;
        let count = if i == shops - 1 {
            products - written
        } else {
            (w.round() as usize).max(1).min(products - written)
        };
        for _ in 0..count {
            let base = names[rng.gen_range(0..names.len())];
            let name = if rng.gen_bool(0.5) {
                format!("{base} {}", ADJECTIVES[rng.gen_range(0..ADJECTIVES.len())])
            } else {
                base.to_string()
            };
            let description: Vec<&str> = (0..rng.gen_range(6..24))
                .map(|_| DESCRIPTION_WORDS[rng.gen_range(0..DESCRIPTION_WORDS.len())])
                .collect();
            let id = Uuid::now_v7();
            let p = Product {
                id,
                merchant_id: m.id,
                merchant_slug: slug.clone(),
                local: true,
                url: None,
                ap_id: urls.product(&id).to_string(),
                fields: ProductFields {
                    name,
                    description: Some(description.join(" ")),
                    price: Money {
                        minor: rng.gen_range(50..9_000),
                        currency: eur,
                    },
                    unit: if rng.gen_bool(0.7) {
                        Unit::Piece
                    } else {
                        Unit::Kg
                    },
                    availability: if rng.gen_bool(0.85) {
                        Availability::InStock
                    } else {
                        Availability::OutOfStock
                    },
                    stock: None,
                    gtin: None,
                    category: Some(product_cat.into()),
                    tags: vec![],
                    sku: None,
                },
                images: vec![],
                version: 1,
                created_at: now,
                updated_at: now,
                announced_at: None,
                deleted_at: None,
            };
            db::products::insert(&mut tx, &p).await?;
        }
        tx.commit().await?;
        written += count;
        if i % 1000 == 0 {
            eprintln!(
                "  {i} shops, {written} products ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
        if written >= products && i + 1 >= shops {
            break;
        }
    }
    eprintln!(
        "generated {shops} shops and {written} products in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn shop_label(category: &str) -> &'static str {
    match category {
        "food.bakery" => "Boulangerie",
        "food.butcher" => "Boucherie",
        "food.cheese" => "Fromagerie",
        "food.produce" => "Primeur",
        "food.grocery" => "Épicerie",
        "drinks.wine" => "Cave",
        "home.florist" => "Fleuriste",
        "culture.books" => "Librairie",
        "fashion.shoes" => "Chaussures",
        _ => "Quincaillerie",
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let products = env_usize("ETAL_BENCH_PRODUCTS", 273_560);
    let shops = env_usize("ETAL_BENCH_SHOPS", 14_019);
    // ETAL_BENCH_DIR keeps the generated database between runs (generated once).
    let tmp = tempfile::tempdir()?;
    let dir = std::env::var("ETAL_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let database_url = std::env::var("ETAL_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/etal.db", dir.display()));
    let existing = std::env::var("ETAL_BENCH_DIR").is_ok() && dir.join("generated").exists();
    let port = common::free_port();
    let public = format!("http://localhost:{port}");
    let urls = Urls::new(&url::Url::parse(&public)?);
    if !existing {
        let db = Db::connect(&database_url).await?;
        generate(&db, &urls, shops, products).await?;
        if db.backend() == db::Backend::Postgres {
            // What autovacuum does after a bulk load, at once.
            sqlx::query("ANALYZE").execute(db.pool()).await?;
        }
        std::fs::write(dir.join("generated"), "")?;
    }
    let mut child = Command::new(common::bin("ETAL_BIN", "target/release/etal"))
        .arg("serve")
        .env("ETAL_LISTEN", format!("127.0.0.1:{port}"))
        .env("ETAL_PUBLIC_URL", &public)
        .env("ETAL_DATABASE_URL", &database_url)
        .env("ETAL_DATA_DIR", &dir)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()?;
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    while client
        .get(format!("{public}/api/v1/categories"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "node did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rounds = env_usize("ETAL_BENCH_ROUNDS", 10);
    let enc = |q: &str| url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>();
    // Warm the database's pages once, as a running node's are.
    for q in QUERIES {
        let _ = client
            .get(format!("{public}/api/v1/products?q={}", enc(q)))
            .send()
            .await?
            .bytes()
            .await?;
    }
    println!(
        "\n{products} products, {shops} shops, {} queries × {rounds} rounds, {database_url}",
        QUERIES.len()
    );
    println!("| what | requests | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|");
    let mut n = 0u64;
    let mut page_urls = Vec::new();
    let mut filtered_urls = Vec::new();
    let mut near_urls = Vec::new();
    let mut api_urls = Vec::new();
    for _ in 0..rounds {
        for q in QUERIES {
            n += 1;
            // A distinct `r` each time: every request misses the page cache.
            page_urls.push(format!("{public}/search?q={}&r={n}", enc(q)));
            filtered_urls.push(format!(
                "{public}/search?q={}&availability=in_stock&category=food&r={n}",
                enc(q)
            ));
            near_urls.push(format!(
                "{public}/search?q={}&lat=48.64&lon=1.83&km=30&r={n}",
                enc(q)
            ));
            api_urls.push(format!("{public}/api/v1/products?q={}&limit=20", enc(q)));
        }
    }
    common::time_all(&client, "search page `/search?q=`", page_urls).await;
    common::time_all(
        &client,
        "search page + category + availability",
        filtered_urls,
    )
    .await;
    common::time_all(&client, "search page + near (30 km)", near_urls).await;
    common::time_all(&client, "API `/api/v1/products?q=&limit=20`", api_urls).await;
    let _ = child.kill();
    let _ = child.wait();
    Ok(())
}
