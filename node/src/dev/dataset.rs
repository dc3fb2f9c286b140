//! A realistic, deterministic national dataset: French shops spread over real communes
//! (weighted by population, near their département's prefecture), with products whose names,
//! prices, units and tags fit their trade. The same plan and seed give the same data.

use etal_protocol::{Availability, Currency, Money, Unit};

use crate::model::commune::{communes, Commune};
use crate::model::merchant::{Address, Geo, MerchantFields};
use crate::model::product::ProductFields;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Shops in all.
    pub merchants: usize,
    /// Products in all.
    pub products: usize,
    /// Nodes they are spread over (by département).
    pub nodes: usize,
    /// Seed of the generator.
    pub seed: u64,
}

/// A generated shop with its products.
#[derive(Debug, Clone)]
pub struct Shop {
    /// Slug, unique on its node.
    pub slug: String,
    /// Its fields.
    pub fields: MerchantFields,
    /// Its products.
    pub products: Vec<ProductFields>,
}

/// SplitMix64: small, fast, deterministic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.bits() % n.max(1) as u64) as usize
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.bits() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A trade: its category, shop names, products (name, price range in cents, unit) and tags.
struct Trade {
    category: &'static str,
    shop: &'static [&'static str],
    products: &'static [(&'static str, i64, i64, Unit)],
    variants: &'static [&'static str],
    tags: &'static [&'static str],
    weight: usize,
}

const TRADES: &[Trade] = &[
    Trade {
        category: "food.bakery",
        shop: &[
            "Boulangerie",
            "Boulangerie-pâtisserie",
            "Au fournil de",
            "La mie de",
        ],
        products: &[
            ("Baguette tradition", 110, 150, Unit::Piece),
            ("Pain de campagne", 280, 450, Unit::Piece),
            ("Pain complet", 250, 420, Unit::Piece),
            ("Croissant au beurre", 100, 160, Unit::Piece),
            ("Pain au chocolat", 110, 170, Unit::Piece),
            ("Brioche tressée", 450, 900, Unit::Piece),
            ("Tarte aux pommes", 1400, 2600, Unit::Piece),
            ("Éclair au café", 250, 420, Unit::Piece),
            ("Fougasse aux olives", 300, 550, Unit::Piece),
            ("Kouign-amann", 300, 600, Unit::Piece),
            ("Pain aux céréales", 300, 480, Unit::Piece),
            ("Flan pâtissier", 280, 450, Unit::Piece),
        ],
        variants: &[
            "",
            " bio",
            " au levain",
            " maison",
            " (400 g)",
            " à l'ancienne",
        ],
        tags: &[
            "pain",
            "levain",
            "viennoiserie",
            "patisserie",
            "bio",
            "fait-maison",
        ],
        weight: 14,
    },
    Trade {
        category: "food.butcher",
        shop: &["Boucherie", "Boucherie-charcuterie", "Maison"],
        products: &[
            ("Entrecôte de bœuf", 2800, 4200, Unit::Kg),
            ("Rôti de porc", 1300, 2100, Unit::Kg),
            ("Saucisses de Toulouse", 1200, 1900, Unit::Kg),
            ("Poulet fermier", 900, 1600, Unit::Kg),
            ("Jambon blanc", 1800, 3200, Unit::Kg),
            ("Pâté de campagne", 1500, 2600, Unit::Kg),
            ("Terrine de canard", 2200, 3600, Unit::Kg),
            ("Gigot d'agneau", 2400, 3600, Unit::Kg),
            ("Merguez", 1300, 1900, Unit::Kg),
            ("Rillettes du Mans", 1800, 2800, Unit::Kg),
        ],
        variants: &["", " label rouge", " fermier", " de la région", " bio"],
        tags: &[
            "viande",
            "charcuterie",
            "local",
            "label-rouge",
            "circuit-court",
        ],
        weight: 8,
    },
    Trade {
        category: "food.cheese",
        shop: &["Fromagerie", "Crèmerie", "Le comptoir à fromages de"],
        products: &[
            ("Comté 18 mois", 2200, 3400, Unit::Kg),
            ("Camembert de Normandie", 350, 650, Unit::Piece),
            ("Brie de Meaux", 2000, 3000, Unit::Kg),
            ("Roquefort", 2800, 3800, Unit::Kg),
            ("Crottin de chèvre", 200, 380, Unit::Piece),
            ("Beurre demi-sel", 250, 450, Unit::Piece),
            ("Yaourt fermier", 90, 180, Unit::Piece),
            ("Tomme de Savoie", 1800, 2800, Unit::Kg),
            ("Reblochon", 600, 1100, Unit::Piece),
            ("Crème fraîche épaisse", 300, 600, Unit::Piece),
        ],
        variants: &["", " AOP", " fermier", " au lait cru", " affiné"],
        tags: &["fromage", "aop", "lait-cru", "cremerie", "local"],
        weight: 6,
    },
    Trade {
        category: "food.produce",
        shop: &[
            "Primeur",
            "Les jardins de",
            "Au panier de",
            "Fruits et légumes",
        ],
        products: &[
            ("Tomates cœur de bœuf", 350, 650, Unit::Kg),
            ("Pommes de terre", 150, 320, Unit::Kg),
            ("Carottes", 180, 350, Unit::Kg),
            ("Pommes Golden", 250, 450, Unit::Kg),
            ("Salade batavia", 100, 200, Unit::Piece),
            ("Fraises gariguette", 600, 1200, Unit::Box),
            ("Poireaux", 250, 450, Unit::Bunch),
            ("Courgettes", 250, 450, Unit::Kg),
            ("Radis", 120, 220, Unit::Bunch),
            ("Œufs frais", 300, 480, Unit::Dozen),
            ("Oignons jaunes", 180, 320, Unit::Kg),
            ("Poires Conférence", 280, 480, Unit::Kg),
        ],
        variants: &["", " bio", " de saison", " du producteur", " extra"],
        tags: &[
            "legumes",
            "fruits",
            "bio",
            "de-saison",
            "circuit-court",
            "local",
        ],
        weight: 10,
    },
    Trade {
        category: "food.farm",
        shop: &["Ferme", "La ferme de", "GAEC", "Le rucher de"],
        products: &[
            ("Miel de fleurs", 800, 1400, Unit::Piece),
            ("Miel d'acacia", 900, 1600, Unit::Piece),
            ("Miel de lavande", 1000, 1700, Unit::Piece),
            ("Confiture de fraises", 450, 800, Unit::Piece),
            ("Jus de pomme", 300, 550, Unit::L),
            ("Œufs de poules élevées en plein air", 300, 500, Unit::Dozen),
            ("Lait cru entier", 110, 200, Unit::L),
            ("Farine de blé T80", 250, 450, Unit::Kg),
            ("Lentilles vertes", 450, 800, Unit::Kg),
            ("Colis de veau", 1800, 2600, Unit::Kg),
        ],
        variants: &[
            "",
            " bio",
            " (500 g)",
            " de la ferme",
            " récolte de l'année",
        ],
        tags: &[
            "miel",
            "ferme",
            "bio",
            "producteur",
            "circuit-court",
            "local",
        ],
        weight: 8,
    },
    Trade {
        category: "food.grocery",
        shop: &["Épicerie", "L'épicerie de", "Épicerie fine", "Comptoir"],
        products: &[
            ("Huile d'olive vierge extra", 900, 2200, Unit::L),
            ("Pâtes artisanales", 300, 600, Unit::Piece),
            ("Riz de Camargue", 350, 600, Unit::Kg),
            ("Café en grains", 1800, 3400, Unit::Kg),
            ("Thé vert", 600, 1400, Unit::Piece),
            ("Chocolat noir 70 %", 300, 650, Unit::Piece),
            ("Sel de Guérande", 350, 700, Unit::Piece),
            ("Moutarde de Dijon", 250, 500, Unit::Piece),
            ("Biscuits sablés", 350, 650, Unit::Piece),
            ("Rillettes de sardines", 450, 800, Unit::Piece),
        ],
        variants: &["", " bio", " en vrac", " artisanal", " (250 g)"],
        tags: &["epicerie", "vrac", "bio", "zero-dechet", "artisanal"],
        weight: 9,
    },
    Trade {
        category: "drinks.wine",
        shop: &["Cave", "La cave de", "Cave à vins", "Le cellier de"],
        products: &[
            ("Bordeaux rouge", 800, 2500, Unit::Piece),
            ("Chablis", 1400, 2800, Unit::Piece),
            ("Côtes-du-Rhône", 700, 1600, Unit::Piece),
            ("Champagne brut", 2400, 4800, Unit::Piece),
            ("Muscadet sur lie", 700, 1300, Unit::Piece),
            ("Crémant d'Alsace", 900, 1600, Unit::Piece),
            ("Bière blonde artisanale", 250, 450, Unit::Piece),
            ("Cidre brut", 350, 700, Unit::Piece),
            ("Vin de Loire", 800, 1900, Unit::Piece),
        ],
        variants: &["", " 2022", " 2023", " bio", " magnum", " cuvée prestige"],
        tags: &["vin", "biere", "cidre", "bio", "vigneron", "degustation"],
        weight: 6,
    },
    Trade {
        category: "home.florist",
        shop: &["Fleuriste", "Au jardin de", "L'atelier floral de"],
        products: &[
            ("Bouquet de saison", 2000, 4500, Unit::Piece),
            ("Roses rouges", 300, 600, Unit::Piece),
            ("Orchidée en pot", 2500, 4500, Unit::Piece),
            ("Plante verte", 1200, 3500, Unit::Piece),
            ("Composition de deuil", 4500, 9000, Unit::Piece),
            ("Tulipes", 900, 1800, Unit::Bunch),
        ],
        variants: &["", " (taille M)", " (taille L)", " champêtre", " de saison"],
        tags: &["fleurs", "bouquet", "plantes", "fete-des-meres"],
        weight: 5,
    },
    Trade {
        category: "culture.books",
        shop: &["Librairie", "La librairie de", "Le bouquiniste de"],
        products: &[
            ("Roman de la rentrée", 1800, 2400, Unit::Piece),
            ("Bande dessinée", 1200, 2000, Unit::Piece),
            ("Livre de cuisine", 1900, 3500, Unit::Piece),
            ("Guide de randonnée", 1400, 2200, Unit::Piece),
            ("Album jeunesse", 900, 1800, Unit::Piece),
            ("Carte postale", 100, 250, Unit::Piece),
        ],
        variants: &["", " (poche)", " dédicacé", " édition illustrée"],
        tags: &["livres", "bd", "jeunesse", "lecture", "cadeau"],
        weight: 4,
    },
    Trade {
        category: "fashion.clothing",
        shop: &["Boutique", "Mode", "Le vestiaire de", "Atelier"],
        products: &[
            ("Pull en laine", 4500, 9500, Unit::Piece),
            ("Chemise en lin", 3900, 7900, Unit::Piece),
            ("Jean coupe droite", 4900, 9900, Unit::Piece),
            ("Robe d'été", 3500, 8900, Unit::Piece),
            ("Écharpe tricotée", 1900, 4500, Unit::Piece),
            ("Marinière", 3500, 6500, Unit::Piece),
        ],
        variants: &[
            "",
            " (taille S)",
            " (taille M)",
            " (taille L)",
            " fabriqué en France",
        ],
        tags: &["mode", "vetements", "made-in-france", "seconde-main"],
        weight: 6,
    },
    Trade {
        category: "home.hardware",
        shop: &["Quincaillerie", "Droguerie", "Bricolage"],
        products: &[
            ("Marteau de charpentier", 1200, 2800, Unit::Piece),
            ("Boîte de vis", 300, 900, Unit::Box),
            ("Ampoule LED", 300, 900, Unit::Piece),
            ("Peinture acrylique", 1500, 4500, Unit::L),
            ("Corde de chanvre", 150, 400, Unit::M),
            ("Savon noir", 400, 900, Unit::Piece),
        ],
        variants: &["", " professionnel", " (lot de 2)", " écologique"],
        tags: &["bricolage", "maison", "outils", "jardin"],
        weight: 4,
    },
    Trade {
        category: "restaurant.takeaway",
        shop: &["Traiteur", "Pizzeria", "Crêperie", "Le comptoir de"],
        products: &[
            ("Pizza margherita", 900, 1300, Unit::Piece),
            ("Galette complète", 800, 1200, Unit::Piece),
            ("Quiche lorraine", 350, 600, Unit::Piece),
            ("Plat du jour à emporter", 1000, 1600, Unit::Piece),
            ("Lasagnes maison", 1000, 1500, Unit::Piece),
            ("Salade composée", 800, 1200, Unit::Piece),
        ],
        variants: &["", " (part)", " végétarienne", " maison", " familiale"],
        tags: &["a-emporter", "fait-maison", "vegetarien", "traiteur"],
        weight: 6,
    },
];

const SURNAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefèvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Le Gall",
    "Kerouac",
    "Le Bihan",
    "Etcheverry",
    "Santoni",
];

const HOURS: &[&[&str]] = &[
    &["Tu-Sa 07:00-13:00,15:00-19:30", "Su 07:30-12:30"],
    &["Mo-Sa 09:00-19:00"],
    &["Tu-Fr 09:30-12:30,14:30-19:00", "Sa 09:00-19:00"],
    &["We,Sa 08:00-13:00"],
    &["Mo-Fr 10:00-19:00", "Sa 10:00-18:00"],
];

/// Lowercase ASCII letters, digits and dashes.
fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'œ' | 'Œ' => 'o',
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-')
        .chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// A SIRET whose Luhn check holds (14 digits).
fn siret(rng: &mut Rng) -> String {
    let mut digits: Vec<u32> = (0..13).map(|_| rng.below(10) as u32).collect();
    for check in 0..10 {
        digits.push(check);
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &d)| {
                if i % 2 == 1 {
                    let x = d * 2;
                    if x > 9 {
                        x - 9
                    } else {
                        x
                    }
                } else {
                    d
                }
            })
            .sum();
        if sum % 10 == 0 {
            break;
        }
        digits.pop();
    }
    digits
        .iter()
        .map(|d| char::from_digit(*d, 10).unwrap_or('0'))
        .collect()
}

/// Communes that can hold a generated shop (those with a postal code and a known
/// département point), with the cumulated population for weighted picks.
fn places() -> (Vec<&'static Commune>, Vec<u64>) {
    let mut list = Vec::new();
    let mut cumulated = Vec::new();
    let mut total = 0u64;
    for c in &communes().all {
        // Paris, Lyon and Marseille are counted through their arrondissements.
        if matches!(c.insee, "75056" | "69123" | "13055") || c.postal_codes.is_empty() {
            continue;
        }
        if super::places::prefecture(c.departement).is_none() {
            continue;
        }
        total += u64::from(c.population.max(50));
        list.push(c);
        cumulated.push(total);
    }
    (list, cumulated)
}

/// Which node a département belongs to.
fn node_of(departement: &str, nodes: usize) -> usize {
    let h = departement.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (h % nodes.max(1) as u64) as usize
}

/// How many products each shop gets: between 1 and about twice the average, summing to
/// exactly `total`.
fn product_counts(rng: &mut Rng, shops: usize, total: usize) -> Vec<usize> {
    if shops == 0 {
        return vec![];
    }
    let avg = (total / shops).max(1);
    let mut counts: Vec<usize> = (0..shops).map(|_| 1 + rng.below(2 * avg)).collect();
    let mut sum: usize = counts.iter().sum();
    while sum != total {
        let i = rng.below(shops);
        if sum < total {
            counts[i] += 1;
            sum += 1;
        } else if counts[i] > 1 || (total < shops && counts[i] > 0) {
            counts[i] -= 1;
            sum -= 1;
        }
    }
    counts
}

/// The shops of node `index` (0-based) under `plan`; every node's share comes from the same
/// national draw, so the nodes together hold exactly the plan's counts.
pub fn shops_of_node(plan: &Plan, index: usize) -> Vec<Shop> {
    let mut rng = Rng::new(plan.seed);
    let (places, cumulated) = places();
    let total = *cumulated.last().unwrap_or(&1);
    let counts = product_counts(&mut rng, plan.merchants, plan.products);
    let weight_total: usize = TRADES.iter().map(|t| t.weight).sum();
    let mut out = Vec::new();
    for (n, count) in counts.iter().enumerate() {
        // Each shop draws from its own stream: a node's share does not depend on the others'.
        let mut r = Rng::new(plan.seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let at = r.bits() % total;
        let place = places[cumulated
            .partition_point(|&c| c <= at)
            .min(places.len() - 1)];
        if node_of(place.departement, plan.nodes) != index {
            continue;
        }
        let mut w = r.below(weight_total);
        let trade = TRADES
            .iter()
            .find(|t| {
                if w < t.weight {
                    true
                } else {
                    w -= t.weight;
                    false
                }
            })
            .unwrap_or(&TRADES[0]);
        let surname = *r.pick(SURNAMES);
        let prefix = *r.pick(trade.shop);
        let name = if prefix.ends_with(" de") && surname.starts_with(['A', 'E', 'I', 'O', 'U', 'É'])
        {
            format!("{}'{surname}", prefix.trim_end_matches('e'))
        } else {
            format!("{prefix} {surname}")
        };
        let (lat, lon) = super::places::prefecture(place.departement).unwrap_or((46.6, 2.4));
        let geo = Geo {
            lat: ((lat + (r.unit() - 0.5) * 0.8) * 1e5).round() / 1e5,
            lon: ((lon + (r.unit() - 0.5) * 1.1) * 1e5).round() / 1e5,
        };
        let postal_code = place.postal_codes[r.below(place.postal_codes.len())].to_string();
        let slug = format!("{}-{}", slugify(&name), n + 1);
        let fields = MerchantFields {
            description: Some(format!(
                "{name}, à {} : {} depuis {}.",
                place.name,
                match trade.category {
                    "food.farm" => "vente directe de la ferme",
                    "drinks.wine" => "sélection de vignerons indépendants",
                    "culture.books" => "librairie indépendante",
                    _ => "commerce de proximité",
                },
                1950 + r.below(74)
            )),
            name,
            category: Some(trade.category.to_string()),
            address: Address {
                street: Some(format!(
                    "{} {} {}",
                    1 + r.below(120),
                    r.pick(&["rue", "avenue", "place", "boulevard", "chemin"]),
                    r.pick(&[
                        "de la République",
                        "du Général-de-Gaulle",
                        "Victor-Hugo",
                        "de l'Église",
                        "des Halles",
                        "Jean-Jaurès",
                        "du Marché",
                        "Pasteur"
                    ])
                )),
                postal_code,
                city: place.name.to_string(),
                insee_code: Some(place.insee.to_string()),
            },
            geo: Some(geo),
            phone: Some(format!(
                "+33 {} {:02} {:02} {:02} {:02}",
                1 + r.below(5),
                r.below(100),
                r.below(100),
                r.below(100),
                r.below(100)
            )),
            email: None,
            website: None,
            opening_hours: r.pick(HOURS).iter().map(|s| s.to_string()).collect(),
            siret: Some(siret(&mut r)),
            indexable: true,
        };
        let products = (0..*count)
            .map(|k| {
                let (base, lo, hi, unit) = *r.pick(trade.products);
                let variant = if k < trade.products.len() {
                    ""
                } else {
                    *r.pick(trade.variants)
                };
                let cents = lo + r.below((hi - lo).max(1) as usize) as i64;
                let cents = cents / 10 * 10;
                let availability = match r.below(20) {
                    0 => Availability::OutOfStock,
                    1 => Availability::Preorder,
                    _ => Availability::InStock,
                };
                let tags = (0..r.below(3))
                    .map(|_| r.pick(trade.tags).to_string())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                ProductFields {
                    name: format!("{base}{variant}"),
                    description: Some(format!(
                        "{base}{variant}, proposé par {} à {}.",
                        fields.name, place.name
                    )),
                    price: Money {
                        minor: cents.max(10),
                        currency: Currency::EUR,
                    },
                    unit,
                    availability,
                    stock: (r.below(3) == 0).then(|| r.below(80) as i64),
                    gtin: None,
                    category: Some(trade.category.to_string()),
                    tags,
                    sku: Some(format!("G{}-{}", n + 1, k + 1)),
                }
            })
            .collect();
        out.push(Shop {
            slug,
            fields,
            products,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_share_exactly_the_plan_and_shops_pass_the_rules() {
        let plan = Plan {
            merchants: 300,
            products: 5000,
            nodes: 4,
            seed: 7,
        };
        let mut all: Vec<Vec<Shop>> = (0..4).map(|i| shops_of_node(&plan, i)).collect();
        let shops: usize = all.iter().map(Vec::len).sum();
        let products: usize = all.iter().flatten().map(|s| s.products.len()).sum();
        assert_eq!((shops, products), (300, 5000));
        assert!(all.iter().all(|n| !n.is_empty()), "every node gets shops");
        for s in all.iter_mut().flatten() {
            let mut checks = crate::error::Checks::default();
            s.fields.check(&mut checks);
            assert!(
                checks.fields().is_empty(),
                "{:?}: {:?}",
                s.fields,
                checks.fields()
            );
            for p in &mut s.products {
                let mut checks = crate::error::Checks::default();
                p.check(&mut checks);
                assert!(checks.fields().is_empty(), "{p:?}: {:?}", checks.fields());
            }
        }
        // Deterministic.
        assert_eq!(shops_of_node(&plan, 2)[0].slug, all[2][0].slug);
        assert_eq!(slugify("L'épicerie de Dupont"), "l-epicerie-de-dupont");
    }
}
