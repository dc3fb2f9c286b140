//! The fixed, versioned taxonomy of local-shop categories: stable codes, French and English
//! labels, a hashtag for the fediverse. Merchants and products both draw from it.
//!
//! Codes never change meaning and are never removed; a new version may only add codes. The
//! published copy is `schemas/taxonomy/categories-v1.json` (a test keeps it identical).

use serde::Serialize;

/// The taxonomy version published with every category list.
pub const VERSION: &str = "1";

/// One category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Category {
    /// Stable code: `family` or `family.kind`, lower-case ASCII.
    pub code: &'static str,
    /// The parent family's code, for a second-level category.
    pub parent: Option<&'static str>,
    /// French label.
    pub label_fr: &'static str,
    /// English label.
    pub label_en: &'static str,
    /// Hashtag (without `#`) used when the category is published on the fediverse.
    pub hashtag: &'static str,
}

const fn family(
    code: &'static str,
    fr: &'static str,
    en: &'static str,
    tag: &'static str,
) -> Category {
    Category {
        code,
        parent: None,
        label_fr: fr,
        label_en: en,
        hashtag: tag,
    }
}

const fn kind(
    code: &'static str,
    parent: &'static str,
    fr: &'static str,
    en: &'static str,
    tag: &'static str,
) -> Category {
    Category {
        code,
        parent: Some(parent),
        label_fr: fr,
        label_en: en,
        hashtag: tag,
    }
}

/// Every category of version 1, families first, each followed by its kinds.
pub const CATEGORIES: &[Category] = &[
    family("food", "Alimentation", "Food", "alimentation"),
    kind(
        "food.bakery",
        "food",
        "Boulangerie, pâtisserie",
        "Bakery, pastry",
        "boulangerie",
    ),
    kind(
        "food.butcher",
        "food",
        "Boucherie, charcuterie",
        "Butcher, delicatessen meats",
        "boucherie",
    ),
    kind(
        "food.fishmonger",
        "food",
        "Poissonnerie",
        "Fishmonger",
        "poissonnerie",
    ),
    kind(
        "food.cheese",
        "food",
        "Fromagerie, crèmerie",
        "Cheese, dairy",
        "fromagerie",
    ),
    kind(
        "food.produce",
        "food",
        "Fruits et légumes",
        "Fruit and vegetables",
        "primeur",
    ),
    kind("food.grocery", "food", "Épicerie", "Grocery", "epicerie"),
    kind("food.bulk", "food", "Vrac", "Bulk goods", "vrac"),
    kind("food.caterer", "food", "Traiteur", "Caterer", "traiteur"),
    kind(
        "food.confectionery",
        "food",
        "Chocolaterie, confiserie",
        "Chocolate, confectionery",
        "chocolaterie",
    ),
    kind(
        "food.farm",
        "food",
        "Produits de la ferme",
        "Farm produce",
        "produitsfermiers",
    ),
    kind(
        "food.world",
        "food",
        "Produits du monde",
        "World food",
        "epiceriedumonde",
    ),
    family("drinks", "Boissons", "Drinks", "boissons"),
    kind(
        "drinks.wine",
        "drinks",
        "Cave, vins et spiritueux",
        "Wine and spirits",
        "caviste",
    ),
    kind("drinks.beer", "drinks", "Bières", "Beer", "biere"),
    kind(
        "drinks.coffee-tea",
        "drinks",
        "Café, thé",
        "Coffee, tea",
        "cafe",
    ),
    kind(
        "drinks.soft",
        "drinks",
        "Jus, sodas",
        "Juices, soft drinks",
        "jus",
    ),
    family("restaurant", "Restauration", "Eating out", "restauration"),
    kind(
        "restaurant.restaurant",
        "restaurant",
        "Restaurant",
        "Restaurant",
        "restaurant",
    ),
    kind(
        "restaurant.cafe-bar",
        "restaurant",
        "Café, bar",
        "Café, bar",
        "bar",
    ),
    kind(
        "restaurant.takeaway",
        "restaurant",
        "Vente à emporter",
        "Takeaway",
        "aemporter",
    ),
    family("fashion", "Mode", "Fashion", "mode"),
    kind(
        "fashion.clothing",
        "fashion",
        "Vêtements",
        "Clothing",
        "vetements",
    ),
    kind(
        "fashion.shoes",
        "fashion",
        "Chaussures",
        "Shoes",
        "chaussures",
    ),
    kind(
        "fashion.accessories",
        "fashion",
        "Maroquinerie, accessoires",
        "Leather goods, accessories",
        "maroquinerie",
    ),
    kind(
        "fashion.jewellery",
        "fashion",
        "Bijouterie, horlogerie",
        "Jewellery, watches",
        "bijouterie",
    ),
    kind(
        "fashion.children",
        "fashion",
        "Puériculture, mode enfant",
        "Baby and children",
        "enfant",
    ),
    family("home", "Maison", "Home", "maison"),
    kind(
        "home.decor",
        "home",
        "Décoration",
        "Decoration",
        "decoration",
    ),
    kind(
        "home.furniture",
        "home",
        "Ameublement",
        "Furniture",
        "meuble",
    ),
    kind(
        "home.hardware",
        "home",
        "Quincaillerie, bricolage",
        "Hardware, DIY",
        "bricolage",
    ),
    kind("home.garden", "home", "Jardinerie", "Garden", "jardin"),
    kind("home.florist", "home", "Fleuriste", "Florist", "fleuriste"),
    kind(
        "home.kitchen",
        "home",
        "Arts de la table, cuisine",
        "Kitchen and tableware",
        "cuisine",
    ),
    kind(
        "home.appliances",
        "home",
        "Électroménager",
        "Household appliances",
        "electromenager",
    ),
    family(
        "culture",
        "Culture et loisirs",
        "Culture and leisure",
        "culture",
    ),
    kind(
        "culture.books",
        "culture",
        "Librairie",
        "Bookshop",
        "librairie",
    ),
    kind(
        "culture.press",
        "culture",
        "Presse, papeterie",
        "Newsagent, stationery",
        "papeterie",
    ),
    kind("culture.music", "culture", "Musique", "Music", "musique"),
    kind(
        "culture.games",
        "culture",
        "Jeux, jouets",
        "Games, toys",
        "jouets",
    ),
    kind(
        "culture.crafts",
        "culture",
        "Art, artisanat, mercerie",
        "Art, crafts, haberdashery",
        "artisanat",
    ),
    kind("culture.sports", "culture", "Sport", "Sports", "sport"),
    kind(
        "culture.electronics",
        "culture",
        "Informatique, téléphonie",
        "Computers, phones",
        "informatique",
    ),
    family(
        "health-beauty",
        "Santé et beauté",
        "Health and beauty",
        "beaute",
    ),
    kind(
        "health-beauty.pharmacy",
        "health-beauty",
        "Pharmacie, parapharmacie",
        "Pharmacy",
        "pharmacie",
    ),
    kind(
        "health-beauty.optician",
        "health-beauty",
        "Opticien",
        "Optician",
        "opticien",
    ),
    kind(
        "health-beauty.cosmetics",
        "health-beauty",
        "Parfumerie, cosmétiques",
        "Perfume, cosmetics",
        "cosmetiques",
    ),
    kind(
        "health-beauty.hairdresser",
        "health-beauty",
        "Coiffure, esthétique",
        "Hairdresser, beauty salon",
        "coiffure",
    ),
    family("services", "Services", "Services", "services"),
    kind(
        "services.repair",
        "services",
        "Réparation, cordonnerie",
        "Repairs, cobbler",
        "reparation",
    ),
    kind(
        "services.printing",
        "services",
        "Imprimerie, photo",
        "Printing, photo",
        "imprimerie",
    ),
    kind(
        "services.pets",
        "services",
        "Animalerie",
        "Pet shop",
        "animalerie",
    ),
    kind(
        "services.mobility",
        "services",
        "Vélos, mobilité",
        "Bicycles, mobility",
        "velo",
    ),
    kind(
        "services.other",
        "services",
        "Autres services",
        "Other services",
        "services",
    ),
    family("other", "Autres commerces", "Other shops", "commerce"),
];

/// Finds a category by code.
pub fn find(code: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.code == code)
}

/// Checks a category code.
pub fn check(code: &str) -> Result<&'static Category, String> {
    find(code).ok_or_else(|| {
        format!("\"{code}\" is not a category of taxonomy version {VERSION}; see GET /api/v1/categories")
    })
}

/// The published document: version plus every category.
pub fn document() -> serde_json::Value {
    serde_json::json!({
        "version": VERSION,
        "categories": CATEGORIES,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_parents_exist() {
        let mut seen = HashSet::new();
        for c in CATEGORIES {
            assert!(seen.insert(c.code), "duplicate {}", c.code);
            if let Some(p) = c.parent {
                let parent = find(p).expect("parent exists");
                assert!(parent.parent.is_none(), "two levels only");
                assert!(c.code.starts_with(&format!("{p}.")), "{} under {p}", c.code);
            }
            assert!(c
                .hashtag
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        }
    }

    /// The copy in `schemas/` is what aggregators download: it must be exactly this table.
    /// Run with `ETAL_BLESS=1` to rewrite it after adding a category.
    #[test]
    fn published_copy_matches() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../schemas/taxonomy/categories-v1.json"
        );
        let expected = serde_json::to_string_pretty(&document()).unwrap() + "\n";
        if std::env::var_os("ETAL_BLESS").is_some() {
            std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
            std::fs::write(path, &expected).unwrap();
        }
        let published = std::fs::read_to_string(path).expect("schemas/taxonomy/categories-v1.json");
        assert_eq!(
            published, expected,
            "run ETAL_BLESS=1 cargo test -p etal-protocol"
        );
    }
}
