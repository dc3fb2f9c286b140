//! Approximate points of French départements (their prefecture), for generated datasets: a
//! generated shop stands near its département's prefecture, jittered. Not for real addresses.

/// (département code as in communes.tsv, latitude, longitude) of its prefecture.
pub const PREFECTURES: &[(&str, f64, f64)] = &[
    ("01", 46.205, 5.226),    // Bourg-en-Bresse
    ("02", 49.564, 3.620),    // Laon
    ("03", 46.566, 3.333),    // Moulins
    ("04", 44.093, 6.236),    // Digne-les-Bains
    ("05", 44.559, 6.079),    // Gap
    ("06", 43.710, 7.262),    // Nice
    ("07", 44.735, 4.599),    // Privas
    ("08", 49.763, 4.720),    // Charleville-Mézières
    ("09", 42.965, 1.607),    // Foix
    ("10", 48.297, 4.074),    // Troyes
    ("11", 43.213, 2.351),    // Carcassonne
    ("12", 44.350, 2.575),    // Rodez
    ("13", 43.297, 5.381),    // Marseille
    ("14", 49.183, -0.371),   // Caen
    ("15", 44.927, 2.440),    // Aurillac
    ("16", 45.649, 0.156),    // Angoulême
    ("17", 46.160, -1.151),   // La Rochelle
    ("18", 47.081, 2.399),    // Bourges
    ("19", 45.267, 1.771),    // Tulle
    ("2A", 41.919, 8.739),    // Ajaccio
    ("2B", 42.697, 9.451),    // Bastia
    ("21", 47.322, 5.041),    // Dijon
    ("22", 48.514, -2.765),   // Saint-Brieuc
    ("23", 46.171, 1.871),    // Guéret
    ("24", 45.184, 0.721),    // Périgueux
    ("25", 47.238, 6.024),    // Besançon
    ("26", 44.933, 4.892),    // Valence
    ("27", 49.024, 1.151),    // Évreux
    ("28", 48.446, 1.489),    // Chartres
    ("29", 47.996, -4.102),   // Quimper
    ("30", 43.837, 4.360),    // Nîmes
    ("31", 43.605, 1.444),    // Toulouse
    ("32", 43.646, 0.586),    // Auch
    ("33", 44.838, -0.579),   // Bordeaux
    ("34", 43.611, 3.877),    // Montpellier
    ("35", 48.117, -1.678),   // Rennes
    ("36", 46.811, 1.691),    // Châteauroux
    ("37", 47.394, 0.685),    // Tours
    ("38", 45.188, 5.724),    // Grenoble
    ("39", 46.675, 5.555),    // Lons-le-Saunier
    ("40", 43.890, -0.500),   // Mont-de-Marsan
    ("41", 47.586, 1.335),    // Blois
    ("42", 45.440, 4.387),    // Saint-Étienne
    ("43", 45.043, 3.885),    // Le Puy-en-Velay
    ("44", 47.218, -1.554),   // Nantes
    ("45", 47.903, 1.909),    // Orléans
    ("46", 44.448, 1.441),    // Cahors
    ("47", 44.203, 0.616),    // Agen
    ("48", 44.518, 3.501),    // Mende
    ("49", 47.478, -0.563),   // Angers
    ("50", 49.116, -1.091),   // Saint-Lô
    ("51", 48.957, 4.363),    // Châlons-en-Champagne
    ("52", 48.111, 5.139),    // Chaumont
    ("53", 48.073, -0.770),   // Laval
    ("54", 48.692, 6.184),    // Nancy
    ("55", 48.773, 5.160),    // Bar-le-Duc
    ("56", 47.658, -2.760),   // Vannes
    ("57", 49.120, 6.176),    // Metz
    ("58", 46.990, 3.159),    // Nevers
    ("59", 50.629, 3.057),    // Lille
    ("60", 49.430, 2.081),    // Beauvais
    ("61", 48.432, 0.091),    // Alençon
    ("62", 50.291, 2.778),    // Arras
    ("63", 45.778, 3.087),    // Clermont-Ferrand
    ("64", 43.295, -0.371),   // Pau
    ("65", 43.233, 0.078),    // Tarbes
    ("66", 42.699, 2.896),    // Perpignan
    ("67", 48.573, 7.752),    // Strasbourg
    ("68", 48.079, 7.358),    // Colmar
    ("69", 45.764, 4.836),    // Lyon
    ("70", 47.620, 6.155),    // Vesoul
    ("71", 46.307, 4.828),    // Mâcon
    ("72", 48.006, 0.199),    // Le Mans
    ("73", 45.565, 5.918),    // Chambéry
    ("74", 45.899, 6.129),    // Annecy
    ("75", 48.857, 2.352),    // Paris
    ("76", 49.443, 1.099),    // Rouen
    ("77", 48.540, 2.660),    // Melun
    ("78", 48.804, 2.134),    // Versailles
    ("79", 46.324, -0.465),   // Niort
    ("80", 49.894, 2.296),    // Amiens
    ("81", 43.929, 2.148),    // Albi
    ("82", 44.018, 1.355),    // Montauban
    ("83", 43.124, 5.928),    // Toulon
    ("84", 43.949, 4.806),    // Avignon
    ("85", 46.670, -1.426),   // La Roche-sur-Yon
    ("86", 46.580, 0.340),    // Poitiers
    ("87", 45.834, 1.262),    // Limoges
    ("88", 48.172, 6.449),    // Épinal
    ("89", 47.799, 3.567),    // Auxerre
    ("90", 47.640, 6.863),    // Belfort
    ("91", 48.629, 2.441),    // Évry-Courcouronnes
    ("92", 48.892, 2.207),    // Nanterre
    ("93", 48.909, 2.440),    // Bobigny
    ("94", 48.790, 2.455),    // Créteil
    ("95", 49.036, 2.076),    // Cergy
    ("971", 15.998, -61.726), // Basse-Terre (Guadeloupe)
    ("972", 14.616, -61.059), // Fort-de-France (Martinique)
    ("973", 4.938, -52.326),  // Cayenne (Guyane)
    ("974", -20.882, 55.451), // Saint-Denis (La Réunion)
    ("976", -12.780, 45.228), // Mamoudzou (Mayotte)
];

/// The point of a département, if known.
pub fn prefecture(departement: &str) -> Option<(f64, f64)> {
    PREFECTURES
        .iter()
        .find(|(code, _, _)| *code == departement)
        .map(|&(_, lat, lon)| (lat, lon))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn covers_101_departements() {
        assert_eq!(PREFECTURES.len(), 101);
        assert!(prefecture("20").is_none());
        for code in [
            "01", "19", "2A", "2B", "21", "95", "971", "972", "973", "974", "976",
        ] {
            assert!(prefecture(code).is_some(), "missing {code}");
        }
    }

    #[test]
    fn codes_are_unique() {
        let codes: HashSet<&str> = PREFECTURES.iter().map(|(c, _, _)| *c).collect();
        assert_eq!(codes.len(), PREFECTURES.len());
    }

    #[test]
    fn metropolitan_points_are_in_france() {
        for &(code, lat, lon) in PREFECTURES {
            if code.len() == 2 {
                assert!((41.3..=51.1).contains(&lat), "{code}: latitude {lat}");
                assert!((-5.2..=9.6).contains(&lon), "{code}: longitude {lon}");
            }
        }
    }

    #[test]
    fn versailles() {
        let (lat, lon) = prefecture("78").unwrap();
        assert!((lat - 48.804).abs() < 0.05 && (lon - 2.134).abs() < 0.05);
    }
}
