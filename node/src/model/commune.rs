//! French communes (INSEE code, name, postal codes, population, département), from Etalab's
//! `@etalab/decoupage-administratif` under the Licence Ouverte 2.0 (see
//! `node/data/communes.LICENCE.md`; rebuilt by `scripts/communes/`). Read once, on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../data/communes.tsv");

/// A commune (or a municipal arrondissement of Paris, Lyon or Marseille).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commune {
    /// INSEE code, e.g. `78517`.
    pub insee: &'static str,
    /// Name, e.g. `Rambouillet`.
    pub name: &'static str,
    /// Its postal codes.
    pub postal_codes: Vec<&'static str>,
    /// Legal population (0 when unknown).
    pub population: u32,
    /// Département code.
    pub departement: &'static str,
}

/// The table, with its indexes.
#[derive(Debug)]
pub struct Communes {
    /// Every commune, by INSEE code.
    pub all: Vec<Commune>,
    by_insee: HashMap<&'static str, usize>,
    by_postal: HashMap<&'static str, Vec<usize>>,
}

impl Communes {
    /// The commune with this INSEE code.
    pub fn by_insee(&self, code: &str) -> Option<&Commune> {
        self.by_insee.get(code).map(|&i| &self.all[i])
    }

    /// The communes with this postal code (often several), most populous first.
    pub fn by_postal_code(&self, code: &str) -> Vec<&Commune> {
        let mut out: Vec<&Commune> = self
            .by_postal
            .get(code)
            .map(|v| v.iter().map(|&i| &self.all[i]).collect())
            .unwrap_or_default();
        out.sort_by(|a, b| b.population.cmp(&a.population).then(a.insee.cmp(b.insee)));
        out
    }
}

/// The communes table.
pub fn communes() -> &'static Communes {
    static TABLE_CELL: OnceLock<Communes> = OnceLock::new();
    TABLE_CELL.get_or_init(|| {
        let mut all = Vec::with_capacity(35_100);
        for line in TABLE.lines().skip(1) {
            let mut f = line.split('\t');
            let (Some(insee), Some(name), Some(postal), Some(pop), Some(dep)) =
                (f.next(), f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            all.push(Commune {
                insee,
                name,
                postal_codes: postal.split(' ').filter(|p| !p.is_empty()).collect(),
                population: pop.parse().unwrap_or(0),
                departement: dep,
            });
        }
        let mut by_insee = HashMap::with_capacity(all.len());
        let mut by_postal: HashMap<&'static str, Vec<usize>> = HashMap::new();
        for (i, c) in all.iter().enumerate() {
            by_insee.insert(c.insee, i);
            for p in &c.postal_codes {
                by_postal.entry(*p).or_default().push(i);
            }
        }
        Communes {
            all,
            by_insee,
            by_postal,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_resolves_insee_and_postal_codes() {
        let t = communes();
        assert!(t.all.len() > 34_000, "{}", t.all.len());
        let r = t.by_insee("78517").unwrap();
        assert_eq!(r.name, "Rambouillet");
        assert_eq!(r.departement, "78");
        let names: Vec<&str> = t.by_postal_code("78120").iter().map(|c| c.name).collect();
        assert_eq!(names[0], "Rambouillet", "most populous first: {names:?}");
        assert!(names.contains(&"Sonchamp"), "{names:?}");
        assert!(t.by_postal_code("00000").is_empty());
        assert_eq!(t.by_insee("2A004").unwrap().name, "Ajaccio");
    }
}
