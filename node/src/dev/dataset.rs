//! A realistic, deterministic national dataset: French shops spread over real communes
//! (weighted by population, near their département's prefecture), with products whose names,
//! prices, units and tags fit their trade. The same plan and seed give the same data.

use etal_protocol::{Availability, Currency, Money};

use super::trades::{HOURS, SURNAMES, TRADES};
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
        let slug = format!("{}-{}", crate::model::merchant::slug_of(&name), n + 1);
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
        assert_eq!(
            crate::model::merchant::slug_of("L'épicerie de Dupont"),
            "l-epicerie-de-dupont"
        );
    }
}
