//! The demo town: six shops of Rambouillet and thirty products with photos, seeded once.
//!
//! The photos are drawn here (the node works offline) and go through the same pipeline as
//! uploads. Seeding is idempotent: a marker written in the seeding transaction makes every
//! later start, or a concurrent one on PostgreSQL, leave the town as it is.

use image::{DynamicImage, Rgb, RgbImage};
use uuid::Uuid;

use crate::db;
use crate::domain::images::Image;
use crate::domain::merchants::{self, Address, Geo, MerchantFields};
use crate::domain::products::{self, ProductFields};
use crate::domain::Context;
use crate::keys::PemKeyPair;
use crate::media::{self, Processed};
use etal_protocol::{Availability, Currency, Money, Unit};

const MARKER: &str = "demo_seeded";

struct Shop {
    slug: &'static str,
    name: &'static str,
    category: &'static str,
    description: &'static str,
    street: &'static str,
    geo: (f64, f64),
    hours: &'static [&'static str],
    phone: &'static str,
    colour: [u8; 3],
    products: &'static [Item],
}

struct Item {
    name: &'static str,
    price: &'static str,
    unit: Unit,
    description: &'static str,
    category: &'static str,
    availability: Availability,
    stock: Option<i64>,
    gtin: Option<&'static str>,
    tags: &'static [&'static str],
}

const fn item(
    name: &'static str,
    price: &'static str,
    unit: Unit,
    description: &'static str,
    category: &'static str,
) -> Item {
    Item {
        name,
        price,
        unit,
        description,
        category,
        availability: Availability::InStock,
        stock: None,
        gtin: None,
        tags: &[],
    }
}

const SHOPS: &[Shop] = &[
    Shop {
        slug: "boulangerie-martin",
        name: "Boulangerie Martin",
        category: "food.bakery",
        description: "Pain au levain cuit au feu de bois, viennoiseries pur beurre, depuis 1987.",
        street: "12 rue Chasles",
        geo: (48.6447, 1.8302),
        hours: &["Tu-Sa 07:00-19:30", "Su 07:00-13:00"],
        phone: "+33 1 34 83 00 01",
        colour: [196, 138, 66],
        products: &[
            Item {
                tags: &["pain", "levain"],
                stock: Some(80),
                ..item(
                    "Baguette tradition",
                    "1.30",
                    Unit::Piece,
                    "Farine Label Rouge, levain naturel, 250 g.",
                    "food.bakery",
                )
            },
            item(
                "Pain de campagne",
                "3.80",
                Unit::Piece,
                "Miche de 800 g au seigle.",
                "food.bakery",
            ),
            Item {
                stock: Some(40),
                ..item(
                    "Croissant au beurre",
                    "1.20",
                    Unit::Piece,
                    "Beurre AOP Charentes-Poitou.",
                    "food.bakery",
                )
            },
            item(
                "Pain au chocolat",
                "1.35",
                Unit::Piece,
                "Deux barres de chocolat noir.",
                "food.bakery",
            ),
            Item {
                availability: Availability::Preorder,
                ..item(
                    "Tarte aux pommes",
                    "18.00",
                    Unit::Piece,
                    "Six parts, à commander la veille.",
                    "food.bakery",
                )
            },
            item(
                "Éclair au café",
                "2.90",
                Unit::Piece,
                "Crème pâtissière au café.",
                "food.bakery",
            ),
            item(
                "Brioche tressée",
                "6.50",
                Unit::Piece,
                "500 g, au sucre perlé.",
                "food.bakery",
            ),
        ],
    },
    Shop {
        slug: "fromagerie-du-marche",
        name: "Fromagerie du Marché",
        category: "food.cheese",
        description: "Fromages fermiers affinés dans nos caves, crèmerie et produits laitiers.",
        street: "3 place Félix Faure",
        geo: (48.6431, 1.8285),
        hours: &["We-Sa 08:30-12:30,15:00-19:00", "Su 08:30-12:30"],
        phone: "+33 1 34 83 00 02",
        colour: [232, 206, 120],
        products: &[
            Item {
                tags: &["aop"],
                ..item(
                    "Brie de Meaux AOP",
                    "26.50",
                    Unit::Kg,
                    "Affiné six semaines.",
                    "food.cheese",
                )
            },
            item(
                "Comté 18 mois",
                "29.90",
                Unit::Kg,
                "Fruité, notes de noisette.",
                "food.cheese",
            ),
            item(
                "Crottin de Chavignol",
                "3.20",
                Unit::Piece,
                "Chèvre AOP, 60 g.",
                "food.cheese",
            ),
            Item {
                gtin: Some("3760012345670"),
                ..item(
                    "Beurre demi-sel",
                    "4.80",
                    Unit::Piece,
                    "Motte de 250 g, baratté à l'ancienne.",
                    "food.cheese",
                )
            },
            Item {
                stock: Some(0),
                ..item(
                    "Yaourt fermier nature",
                    "0.95",
                    Unit::Piece,
                    "Lait entier de la ferme de Gazeran.",
                    "food.cheese",
                )
            },
        ],
    },
    Shop {
        slug: "primeur-les-saisons",
        name: "Les Saisons",
        category: "food.produce",
        description: "Fruits et légumes de saison, producteurs d'Île-de-France et de la Beauce.",
        street: "27 rue Gambetta",
        geo: (48.6424, 1.8318),
        hours: &["Tu-Sa 08:00-19:30", "Su 08:00-13:00"],
        phone: "+33 1 34 83 00 03",
        colour: [120, 170, 70],
        products: &[
            item(
                "Pommes Reine des reinettes",
                "3.40",
                Unit::Kg,
                "Vergers de Méré.",
                "food.produce",
            ),
            item(
                "Poireaux",
                "2.90",
                Unit::Kg,
                "Botte d'environ 1 kg.",
                "food.produce",
            ),
            item(
                "Carottes des sables",
                "1.90",
                Unit::Kg,
                "Sucrées et croquantes.",
                "food.produce",
            ),
            Item {
                tags: &["bio"],
                ..item(
                    "Radis roses",
                    "1.50",
                    Unit::Bunch,
                    "Cueillis du matin.",
                    "food.produce",
                )
            },
            Item {
                availability: Availability::Preorder,
                ..item(
                    "Fraises Gariguette",
                    "6.90",
                    Unit::Box,
                    "Barquette de 500 g, dès avril.",
                    "food.produce",
                )
            },
            item(
                "Potiron",
                "2.50",
                Unit::Kg,
                "Idéal en velouté.",
                "food.produce",
            ),
        ],
    },
    Shop {
        slug: "boucherie-leroy",
        name: "Boucherie Leroy",
        category: "food.butcher",
        description: "Viandes d'éleveurs, charcuterie maison, volailles fermières.",
        street: "8 rue de la Motte",
        geo: (48.6452, 1.8271),
        hours: &["Tu-Sa 08:00-13:00,15:30-19:30", "Su 08:00-13:00"],
        phone: "+33 1 34 83 00 04",
        colour: [170, 60, 55],
        products: &[
            item(
                "Entrecôte de bœuf",
                "32.00",
                Unit::Kg,
                "Race limousine, maturée 21 jours.",
                "food.butcher",
            ),
            item(
                "Poulet fermier Label Rouge",
                "12.90",
                Unit::Kg,
                "Élevé en plein air, 1,8 kg environ.",
                "food.butcher",
            ),
            item(
                "Saucisses de Toulouse",
                "14.50",
                Unit::Kg,
                "Fabrication maison.",
                "food.butcher",
            ),
            item(
                "Jambon blanc à l'os",
                "3.10",
                Unit::Piece,
                "La tranche, cuit sur place.",
                "food.butcher",
            ),
            item(
                "Pâté en croûte",
                "24.00",
                Unit::Kg,
                "Volaille et foie gras.",
                "food.butcher",
            ),
        ],
    },
    Shop {
        slug: "librairie-la-foret",
        name: "Librairie La Forêt",
        category: "culture.books",
        description:
            "Librairie générale, jeunesse, bande dessinée et guides de la forêt de Rambouillet.",
        street: "45 rue du Général de Gaulle",
        geo: (48.6439, 1.8334),
        hours: &["Tu-Sa 10:00-19:00"],
        phone: "+33 1 34 83 00 05",
        colour: [70, 100, 160],
        products: &[
            item(
                "Carte de la forêt de Rambouillet",
                "11.90",
                Unit::Piece,
                "IGN au 1:25 000.",
                "culture.books",
            ),
            Item {
                gtin: Some("9782070360024"),
                ..item(
                    "L'Étranger, Albert Camus",
                    "8.30",
                    Unit::Piece,
                    "Folio, poche.",
                    "culture.books",
                )
            },
            item(
                "Carnet de croquis",
                "8.50",
                Unit::Piece,
                "Papier 120 g, 96 pages.",
                "culture.press",
            ),
        ],
    },
    Shop {
        slug: "fleurs-de-lys",
        name: "Fleurs de Lys",
        category: "home.florist",
        description: "Fleurs coupées de saison, plantes, compositions pour toutes les occasions.",
        street: "2 rue de Groussay",
        geo: (48.6460, 1.8310),
        hours: &["Tu-Sa 09:00-19:30", "Su 09:00-13:00"],
        phone: "+33 1 34 83 00 06",
        colour: [214, 96, 140],
        products: &[
            item(
                "Bouquet de saison",
                "25.00",
                Unit::Piece,
                "Composé selon l'arrivage.",
                "home.florist",
            ),
            item(
                "Tulipes",
                "12.00",
                Unit::Bunch,
                "Botte de 10.",
                "home.florist",
            ),
            item(
                "Orchidée blanche",
                "29.90",
                Unit::Piece,
                "Phalaenopsis deux branches.",
                "home.florist",
            ),
            Item {
                availability: Availability::Preorder,
                ..item(
                    "Couronne de l'Avent",
                    "45.00",
                    Unit::Piece,
                    "Sapin et pommes de pin, sur commande.",
                    "home.florist",
                )
            },
        ],
    },
];

/// Seeds the demo town unless it already was.
pub async fn seed(cx: &Context) -> anyhow::Result<()> {
    if db::settings::get(cx.db.pool(), MARKER).await?.is_some() {
        tracing::info!("demo town already seeded");
        return Ok(());
    }
    // The slow parts (keys, photos) happen before the transaction, which stays short.
    let dir = cx.media_dir();
    let prepared = tokio::task::spawn_blocking(move || prepare(&dir)).await??;
    let mut tx = cx.db.begin().await?;
    if !db::settings::insert_if_absent(&mut tx, MARKER, &cx.clock.now_ms().to_string()).await? {
        drop(tx);
        discard(cx, &prepared);
        return Ok(());
    }
    let mut count = 0;
    for (shop, keys, photos) in &prepared {
        if db::merchants::slug_taken(&mut *tx, shop.slug).await? {
            tracing::warn!(slug = shop.slug, "demo shop skipped: its slug is taken");
            continue;
        }
        let merchant = merchants::insert(cx, &mut tx, shop.slug.to_string(), fields(shop), keys)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // The demo shops take reservations, so that click & collect can be tried at once.
        let reservations = crate::model::reservation::ReservationSettings {
            enabled: true,
            ..Default::default()
        };
        db::reservations::save_settings(&mut tx, merchant.id, &reservations, cx.clock.now_ms())
            .await?;
        for (item, (image_id, photo)) in shop.products.iter().zip(photos) {
            let product = products::insert(cx, &mut tx, &merchant, product_fields(item)?)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let image = Image {
                id: *image_id,
                product_id: product.id,
                position: 0,
                alt: Some(format!("{} (illustration)", item.name)),
                width: photo.width as i64,
                height: photo.height as i64,
                blurhash: photo.blurhash.clone(),
                media_type: photo.media_type.to_string(),
                variants: photo.variants.clone(),
                created_at: product.created_at,
            };
            db::images::insert(&mut *tx, &image).await?;
            count += 1;
        }
    }
    tx.commit().await?;
    cx.committed().await;
    tracing::info!(shops = prepared.len(), products = count, "demo town seeded");
    Ok(())
}

type Prepared = Vec<(&'static Shop, PemKeyPair, Vec<(Uuid, Processed)>)>;

fn prepare(dir: &std::path::Path) -> anyhow::Result<Prepared> {
    let mut out = Vec::new();
    for (s, shop) in SHOPS.iter().enumerate() {
        let keys = crate::keys::generate()?;
        let mut photos = Vec::new();
        for (i, item) in shop.products.iter().enumerate() {
            let id = Uuid::now_v7();
            let img = draw(shop.colour, (s * 31 + i * 7) as u32, item.unit);
            photos.push((id, media::store(DynamicImage::ImageRgb8(img), dir, id)?));
        }
        out.push((shop, keys, photos));
    }
    Ok(out)
}

fn discard(cx: &Context, prepared: &Prepared) {
    for (_, _, photos) in prepared {
        for (_, p) in photos {
            media::remove(&cx.media_dir(), &p.variants);
        }
    }
}

fn fields(shop: &Shop) -> MerchantFields {
    MerchantFields {
        name: shop.name.into(),
        description: Some(shop.description.into()),
        category: Some(shop.category.into()),
        address: Address {
            street: Some(shop.street.into()),
            postal_code: "78120".into(),
            city: "Rambouillet".into(),
            insee_code: Some("78517".into()),
        },
        geo: Some(Geo {
            lat: shop.geo.0,
            lon: shop.geo.1,
        }),
        phone: Some(shop.phone.into()),
        email: None,
        website: None,
        opening_hours: shop.hours.iter().map(|h| h.to_string()).collect(),
        siret: None,
        indexable: true,
    }
}

fn product_fields(item: &Item) -> anyhow::Result<ProductFields> {
    Ok(ProductFields {
        name: item.name.into(),
        description: Some(item.description.into()),
        price: Money::parse(item.price, Currency::EUR)?,
        unit: item.unit,
        availability: if item.stock == Some(0) {
            Availability::OutOfStock
        } else {
            item.availability
        },
        stock: item.stock,
        gtin: item.gtin.map(Into::into),
        sku: None,
        category: Some(item.category.into()),
        tags: item.tags.iter().map(|t| t.to_string()).collect(),
    })
}

/// Draws a still life: a wall, a wooden table, and the product as a lit, shadowed shape.
fn draw(colour: [u8; 3], seed: u32, unit: Unit) -> RgbImage {
    let (w, h) = (1200u32, 900u32);
    let mix = |a: [u8; 3], b: [u8; 3], t: f32| -> [u8; 3] {
        let t = t.clamp(0.0, 1.0);
        [0, 1, 2].map(|i| (a[i] as f32 * (1.0 - t) + b[i] as f32 * t) as u8)
    };
    let wall_top = mix(colour, [250, 246, 238], 0.85);
    let wall_bottom = mix(colour, [235, 228, 215], 0.7);
    let wood = [150, 105, 70];
    let table_y = h as f32 * 0.62;
    let wobble = (seed % 7) as f32 / 7.0;
    let (cx, cy) = (w as f32 * (0.45 + 0.1 * wobble), h as f32 * 0.6);
    let (rx, ry) = match unit {
        Unit::Bunch => (w as f32 * 0.16, h as f32 * 0.3),
        Unit::Kg | Unit::Box => (w as f32 * 0.3, h as f32 * 0.17),
        _ => (w as f32 * 0.24, h as f32 * 0.2),
    };
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let mut px = if fy < table_y {
            mix(wall_top, wall_bottom, fy / table_y)
        } else {
            let grain =
                ((fy * 0.35 + (fx * 0.01).sin() * 6.0 + seed as f32).sin() * 0.5 + 0.5) * 0.25;
            mix(
                wood,
                [90, 60, 40],
                grain + (fy - table_y) / (h as f32 - table_y) * 0.3,
            )
        };
        // Shadow on the table.
        let (sx, sy) = (
            (fx - cx - rx * 0.15) / (rx * 1.05),
            (fy - cy - ry * 0.75) / (ry * 0.45),
        );
        let sd = sx * sx + sy * sy;
        if sd < 1.0 {
            px = mix(px, [40, 30, 25], 0.45 * (1.0 - sd));
        }
        // The product, lit from the top left.
        let (dx, dy) = ((fx - cx) / rx, (fy - cy) / ry);
        let d = dx * dx + dy * dy;
        if d < 1.0 {
            let light = (1.0 - d).sqrt() * 0.6 + (-dx - dy) * 0.2 + 0.35;
            let base = if light > 1.0 {
                mix(colour, [255, 255, 250], light - 1.0)
            } else {
                mix([20, 15, 10], colour, light)
            };
            px = base;
        }
        Rgb(px)
    })
}
