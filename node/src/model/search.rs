//! Full-text search as shoppers type it: the words of a product and of a query reduced to the
//! same French-aware keys (case and accents folded, common words dropped, stemmed), so that
//! "epicerie" finds "Épicerie" and "pommes" finds "Pomme".
//!
//! SQLite indexes these keys with FTS5; PostgreSQL gets the same effect from its `french`
//! configuration with `unaccent` (see `migrations/postgres/0004_search.sql`). Both stem with
//! the Snowball French algorithm.

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use super::merchant::Geo;
use etal_protocol::Availability;

/// Which products a list shows.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Published on this node (the default).
    #[default]
    Local,
    /// Mirrored from followed nodes.
    Remote,
    /// Both.
    All,
}

/// Longest query considered, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words of a query that count.
pub const MAX_QUERY_WORDS: usize = 8;
/// Largest radius of a "near" filter, in kilometres.
pub const MAX_RADIUS_KM: f64 = 200.0;

/// A search: words and filters, ranked by relevance when there are words, newest first
/// otherwise.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// What the person typed.
    pub q: Option<String>,
    /// A category code; a family includes its kinds.
    pub category: Option<String>,
    /// Only this availability.
    pub availability: Option<Availability>,
    /// Only this shop (its internal id).
    pub merchant: Option<Uuid>,
    /// Only these shops (a town's, for a facet by town); `Some(empty)` matches nothing.
    pub shops: Option<Vec<Uuid>>,
    /// Only shops within a radius of a point.
    pub near: Option<Near>,
    /// Local, mirrored, or both.
    pub origin: Origin,
    /// Rows to skip.
    pub offset: i64,
    /// Rows wanted.
    pub limit: i64,
}

/// A circle on the map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    /// Centre.
    pub at: Geo,
    /// Radius in kilometres.
    pub km: f64,
}

impl Near {
    /// The bounding box of the circle: (min lat, max lat, min lon, max lon).
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        let dlat = self.km / KM_PER_DEGREE_LAT;
        let dlon = self.km / (KM_PER_DEGREE_LAT * self.at.lat.to_radians().cos().max(0.01));
        (
            self.at.lat - dlat,
            self.at.lat + dlat,
            self.at.lon - dlon,
            self.at.lon + dlon,
        )
    }

    /// Kilometres per degree of longitude at the centre (for the distance test in SQL).
    pub fn km_per_degree_lon(&self) -> f64 {
        KM_PER_DEGREE_LAT * self.at.lat.to_radians().cos()
    }
}

/// Kilometres in one degree of latitude (mean).
pub const KM_PER_DEGREE_LAT: f64 = 111.2;

/// Words too common to help a search (articles, prepositions), already folded.
const STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "avec", "ce", "ces", "d", "dans", "de", "des", "du", "en", "et", "l", "la",
    "le", "les", "leur", "ou", "par", "pour", "sans", "sur", "un", "une", "the", "of", "and",
];

/// Case and accents folded the way both databases fold them: `Épicerie` → `epicerie`, `Œuf`
/// → `oeuf`; letters of other scripts kept.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .flat_map(|c| match c {
            'œ' | 'Œ' => "oe".chars().collect::<Vec<_>>(),
            'æ' | 'Æ' => "ae".chars().collect(),
            'ß' => "ss".chars().collect(),
            c => c.to_lowercase().collect(),
        })
        .collect()
}

/// The search keys of a text, in order: folded words, stop words dropped, stemmed.
pub fn keys(text: &str) -> Vec<String> {
    let stemmer = Stemmer::create(Algorithm::French);
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOP_WORDS.contains(w))
        .map(|w| stemmer.stem(w).into_owned())
        .collect()
}

/// The keys of a query, at most [`MAX_QUERY_WORDS`], without repeats.
pub fn query_keys(q: &str) -> Vec<String> {
    let q: String = q.chars().take(MAX_QUERY_CHARS).collect();
    let mut out: Vec<String> = Vec::new();
    for k in keys(&q) {
        if !out.contains(&k) {
            out.push(k);
        }
        if out.len() == MAX_QUERY_WORDS {
            break;
        }
    }
    out
}

/// The words a product's category adds to its index: the labels of the category and of its
/// family, in French and English.
pub fn category_words(code: Option<&str>) -> String {
    let mut out = String::new();
    let Some(code) = code else { return out };
    let family = code.split('.').next().unwrap_or(code);
    for c in etal_protocol::taxonomy::CATEGORIES {
        if c.code == code || c.code == family {
            for s in [c.label_fr, c.label_en, c.hashtag] {
                out.push_str(s);
                out.push(' ');
            }
        }
    }
    out
}

/// Sizes in degrees of the map cells products are indexed under (by their shop's position),
/// so that a "near" search reads only the products of the cells around its circle.
pub const GEO_STEPS: [f64; 3] = [0.05, 0.25, 1.0];
/// Most cells a "near" search names.
const MAX_CELLS: usize = 36;

/// The facet word of the cell of `step` index `level` holding a point.
fn cell(level: usize, lat: f64, lon: f64) -> String {
    let step = GEO_STEPS[level];
    let y = ((lat + 90.0) / step).floor() as i64;
    let x = ((lon + 180.0) / step).floor() as i64;
    cell_word(level, y, x)
}

/// A cell's word: letters and digits only (`m` for a minus sign, which FTS5 would read as an
/// operator; cells past the poles or the antimeridian only occur in queries).
fn cell_word(level: usize, y: i64, x: i64) -> String {
    format!("g{level}y{y}x{x}").replace('-', "m")
}

/// The cells around a circle: the words of the finest level that covers it with at most
/// [`MAX_CELLS`] cells (`None` if even the coarsest needs more: the filter then reads every
/// match).
pub fn near_cells(near: &Near) -> Option<Vec<String>> {
    let (lat0, lat1, lon0, lon1) = near.bounds();
    for (level, step) in GEO_STEPS.iter().enumerate() {
        let ys = ((lat0 + 90.0) / step).floor() as i64..=((lat1 + 90.0) / step).floor() as i64;
        let xs = ((lon0 + 180.0) / step).floor() as i64..=((lon1 + 180.0) / step).floor() as i64;
        let count = (ys.end() - ys.start() + 1) * (xs.end() - xs.start() + 1);
        if count as usize <= MAX_CELLS {
            let mut out = Vec::new();
            for y in ys {
                for x in xs.clone() {
                    out.push(cell_word(level, y, x));
                }
            }
            return Some(out);
        }
    }
    None
}

/// The facet words of a product (filters answered by the index itself): `c` + category code
/// and family, `a` + availability, `s` + merchant id, `o` + origin, `g` + map cells of the
/// shop; letters and digits only.
pub fn facets(
    category: Option<&str>,
    availability: Availability,
    merchant: Uuid,
    local: bool,
    geo: Option<Geo>,
) -> String {
    let mut out = String::new();
    if let Some(code) = category {
        let family = code.split('.').next().unwrap_or(code);
        out.push_str(&category_facet(family));
        if family != code {
            out.push(' ');
            out.push_str(&category_facet(code));
        }
        out.push(' ');
    }
    out.push_str(&availability_facet(availability));
    out.push(' ');
    out.push_str(&merchant_facet(merchant));
    out.push(' ');
    out.push_str(if local { "olocal" } else { "oremote" });
    if let Some(g) = geo {
        if g.lat.is_finite() && g.lon.is_finite() {
            for level in 0..GEO_STEPS.len() {
                out.push(' ');
                out.push_str(&cell(level, g.lat, g.lon));
            }
        }
    }
    out
}

/// The facet word of a category code (`food.bakery` → `cfoodxbakery`).
pub fn category_facet(code: &str) -> String {
    let mut out = String::from("c");
    for ch in code.chars() {
        match ch {
            'a'..='z' | '0'..='9' => out.push(ch),
            _ => out.push('x'),
        }
    }
    out
}

/// The facet word of an availability.
pub fn availability_facet(a: Availability) -> String {
    format!(
        "a{}",
        a.as_str().replace(|c: char| !c.is_ascii_alphanumeric(), "")
    )
}

/// The facet word of a merchant.
pub fn merchant_facet(id: Uuid) -> String {
    format!("s{}", id.simple())
}

/// The indexed text of a product, one field per FTS column, as keys joined by spaces.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The product's name.
    pub name: String,
    /// Tags and category labels.
    pub keywords: String,
    /// The shop's name.
    pub shop: String,
    /// The description.
    pub description: String,
    /// Facet words (see [`facets`]).
    pub facets: String,
}

/// Most characters of a description indexed.
pub const MAX_INDEXED_DESCRIPTION: usize = 4000;

impl Document {
    /// Builds the document from a product's stored text.
    pub fn new(
        name: &str,
        keywords: &str,
        shop: &str,
        description: Option<&str>,
        facets: String,
    ) -> Document {
        let joined = |t: &str| keys(t).join(" ");
        let description: String = description
            .unwrap_or_default()
            .chars()
            .take(MAX_INDEXED_DESCRIPTION)
            .collect();
        Document {
            name: joined(name),
            keywords: joined(keywords),
            shop: joined(shop),
            description: joined(&description),
            facets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_and_plurals_meet() {
        assert_eq!(keys("Épicerie"), keys("epicerie"));
        assert_eq!(keys("pommes"), keys("Pomme"));
        assert_eq!(keys("Œufs frais"), keys("oeuf frais"));
        assert_eq!(keys("pâtisseries"), keys("Patisserie"));
        assert_ne!(keys("pain"), keys("pomme"));
    }

    #[test]
    fn stop_words_do_not_count() {
        assert_eq!(keys("tarte aux pommes"), keys("tarte pomme"));
        assert!(query_keys("de la").is_empty());
    }

    #[test]
    fn queries_are_bounded_and_deduplicated() {
        assert_eq!(query_keys("pain pains PAIN"), vec![keys("pain")[0].clone()]);
        let long = "mot ".repeat(10_000);
        assert_eq!(query_keys(&long).len(), 1);
        let many: String = (0..50).map(|i| format!("x{i} ")).collect();
        assert_eq!(query_keys(&many).len(), MAX_QUERY_WORDS);
    }

    #[test]
    fn facets_are_single_words() {
        let f = facets(
            Some("food.bakery"),
            Availability::InStock,
            Uuid::nil(),
            true,
            Some(Geo {
                lat: 48.64,
                lon: -1.83,
            }),
        );
        for w in f.split(' ') {
            assert!(w.chars().all(|c| c.is_ascii_alphanumeric()), "{w}");
        }
        assert!(f.contains("cfood "));
        assert!(f.contains("cfoodxbakery"));
    }

    #[test]
    fn a_circle_names_the_cells_around_it() {
        let near = Near {
            at: Geo {
                lat: 48.64,
                lon: 1.83,
            },
            km: 10.0,
        };
        let cells = near_cells(&near).unwrap();
        assert!(cells.len() <= MAX_CELLS);
        // A shop 8 km away is in one of them, at the level chosen.
        let shop = facets(
            None,
            Availability::InStock,
            Uuid::nil(),
            true,
            Some(Geo {
                lat: 48.70,
                lon: 1.90,
            }),
        );
        assert!(cells.iter().any(|c| shop.split(' ').any(|w| w == c)));
        let wide = Near {
            at: near.at,
            km: 200.0,
        };
        assert!(near_cells(&wide).unwrap()[0].starts_with("g2"));
    }

    #[test]
    fn a_circle_bounds_its_points() {
        let near = Near {
            at: Geo {
                lat: 48.64,
                lon: 1.83,
            },
            km: 10.0,
        };
        let (a, b, c, d) = near.bounds();
        assert!(a < 48.64 && b > 48.64 && c < 1.83 && d > 1.83);
        assert!((b - a) * KM_PER_DEGREE_LAT > 19.9);
    }
}
