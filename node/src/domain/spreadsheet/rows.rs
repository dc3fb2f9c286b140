//! Reading a spreadsheet file into checked rows: its encoding and separator, its header, each
//! cell read as the API would take it (units, availability, categories, prices written the
//! French way), each row checked, every bad row named with its column. Nothing is written here.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::{Progress, Report, RowError, COLUMNS, IGNORED, MAX_REPORTED, MAX_ROWS};
use crate::error::Error;
use crate::model::input::{typed_price, ProductCreate};
use crate::model::product::ProductFields;
use etal_protocol::{taxonomy, Availability, Unit};

/// A checked row: the product it updates, if any, and its fields.
pub(super) struct Good {
    pub(super) target: Option<Uuid>,
    pub(super) fields: ProductFields,
}

fn bad(line: usize, column: &str, message: impl Into<String>) -> RowError {
    RowError {
        line,
        column: column.into(),
        message: message.into(),
    }
}

/// The file as text: UTF-8 (BOM dropped), else Windows-1252 (what French spreadsheets save
/// as "CSV").
fn text_of(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// The separator: the most frequent of `;`, `,` and tab on the header line.
fn separator(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|s| header.bytes().filter(|b| b == s).count())
        .unwrap_or(b';')
}

/// The API's column name for a field of the rules.
fn column_of(field: &str) -> &str {
    match field.split(['.', '[']).next().unwrap_or(field) {
        "unit" => "unit_type",
        "stock" => "on_hand",
        "availability" => "available",
        "currency" => "price",
        other => other,
    }
}

fn unit_of(raw: &str) -> Option<Unit> {
    let t = raw.trim().to_lowercase();
    Some(match t.as_str() {
        "" | "piece" | "pièce" | "pce" | "unité" | "unite" | "u" | "item" | "items" => {
            Unit::Piece
        }
        "ml" => Unit::Ml,
        "l" | "litre" | "liter" => Unit::L,
        "box" | "boîte" | "boite" | "barquette" => Unit::Box,
        "dozen" | "douzaine" => Unit::Dozen,
        "bunch" | "botte" | "bouquet" => Unit::Bunch,
        other => Unit::parse(other)?,
    })
}

fn availability_of(raw: &str) -> Option<Option<Availability>> {
    let t = raw.trim().to_lowercase();
    Some(match t.as_str() {
        "" => None,
        "in_stock" | "en stock" | "disponible" | "oui" | "yes" | "true" | "1" => {
            Some(Availability::InStock)
        }
        "out_of_stock" | "épuisé" | "epuise" | "non" | "no" | "false" | "0" => {
            Some(Availability::OutOfStock)
        }
        "preorder" | "sur commande" | "précommande" => Some(Availability::Preorder),
        _ => return None,
    })
}

fn category_of(raw: &str) -> Option<Option<String>> {
    let t = raw.trim();
    if t.is_empty() {
        return Some(None);
    }
    if taxonomy::find(t).is_some() {
        return Some(Some(t.to_string()));
    }
    let lower = t.to_lowercase();
    taxonomy::CATEGORIES
        .iter()
        .find(|c| c.label_fr.to_lowercase() == lower || c.label_en.to_lowercase() == lower)
        .map(|c| Some(c.code.to_string()))
}

/// Reads and checks a file: the good rows, and every problem found. Pure: no I/O.
pub(super) fn check(
    bytes: &[u8],
    existing: &HashMap<String, Uuid>,
    ids: &HashSet<Uuid>,
    progress: &mut dyn FnMut(Progress),
) -> (Vec<Good>, Report) {
    let mut report = Report::default();
    let text = text_of(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(&text))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_lowercase()).collect(),
        Err(e) => {
            report.bad_rows = 1;
            report
                .errors
                .push(bad(1, "", format!("cannot read the header line: {e}")));
            return (vec![], report);
        }
    };
    if headers.len() > MAX_COLUMNS {
        report.bad_rows = 1;
        report.errors.push(bad(
            1,
            "",
            format!(
                "the header has {} columns; at most {MAX_COLUMNS} are read",
                headers.len()
            ),
        ));
        return (vec![], report);
    }
    let at = |name: &str| headers.iter().position(|h| h == name);
    for (i, h) in headers.iter().enumerate() {
        if !h.is_empty() && !COLUMNS.contains(&h.as_str()) && !IGNORED.contains(&h.as_str()) {
            report.errors.push(bad(
                1,
                h,
                format!(
                    "unknown column {} (the columns are {})",
                    i + 1,
                    COLUMNS.join(", ")
                ),
            ));
        }
    }
    for required in ["name", "price"] {
        if at(required).is_none() {
            report
                .errors
                .push(bad(1, required, "this column is required"));
        }
    }
    if !report.errors.is_empty() {
        report.bad_rows = 1;
        return (vec![], report);
    }
    // Records are read one at a time; the line count is only for the progress bar.
    let total = text.bytes().filter(|b| *b == b'\n').count().max(1);
    let mut good = Vec::new();
    let mut seen_sku: HashMap<String, usize> = HashMap::new();
    let mut seen_id: HashSet<Uuid> = HashSet::new();
    let mut record = csv::StringRecord::new();
    let mut n = 0;
    loop {
        let line = reader.position().line() as usize;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                report.bad_rows += 1;
                if report.errors.len() < MAX_REPORTED {
                    report
                        .errors
                        .push(bad(line, "", format!("cannot read this row: {e}")));
                }
                continue;
            }
        }
        n += 1;
        if n > MAX_ROWS {
            report.bad_rows += 1;
            report.errors.push(bad(
                line,
                "",
                format!("the file has more than {MAX_ROWS} rows: import it in parts"),
            ));
            return (vec![], report);
        }
        let line = record.position().map_or(line, |p| p.line() as usize);
        if n % 10_000 == 0 {
            progress(Progress::Checked(n.min(total), total));
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        report.rows += 1;
        let cell =
            |name: &str| unprotect(at(name).and_then(|i| record.get(i)).unwrap_or("").trim());
        let mut errors: Vec<RowError> = vec![];
        // A line break in a one-line column: a quote opened earlier and never closed would
        // otherwise swallow the rows after it into one cell.
        for column in ONE_LINE {
            if cell(column).contains(['\n', '\r']) {
                errors.push(bad(
                    line,
                    column,
                    "holds a line break: a quote (\") opened in this row may not be closed",
                ));
            }
        }
        let target = match cell("id") {
            "" => None,
            raw => match Uuid::parse_str(raw).ok().filter(|id| ids.contains(id)) {
                Some(id) if !seen_id.insert(id) => {
                    errors.push(bad(line, "id", "the same id is on an earlier row"));
                    None
                }
                Some(id) => Some(id),
                None => {
                    errors.push(bad(
                        line,
                        "id",
                        "is not a product of this shop (leave it empty to add a product)",
                    ));
                    None
                }
            },
        };
        let sku = Some(cell("sku").to_string()).filter(|s| !s.is_empty());
        if let Some(s) = &sku {
            if let Some(first) = seen_sku.insert(s.clone(), line) {
                errors.push(bad(line, "sku", format!("the same sku is on line {first}")));
            }
        }
        let target = target.or_else(|| sku.as_ref().and_then(|s| existing.get(s).copied()));
        match cell("units").replace(',', ".").as_str() {
            "" | "1" | "1.0" | "1.00" => {}
            _ => errors.push(bad(
                line,
                "units",
                "only 1 is supported: the price is per unit_type",
            )),
        }
        let unit = unit_of(cell("unit_type")).or_else(|| {
            errors.push(bad(
                line,
                "unit_type",
                "must be piece, kg, g, l, ml, m, box, dozen or bunch",
            ));
            None
        });
        let availability = availability_of(cell("available")).unwrap_or_else(|| {
            errors.push(bad(
                line,
                "available",
                "must be in_stock, out_of_stock or preorder",
            ));
            None
        });
        let category = category_of(cell("category")).unwrap_or_else(|| {
            errors.push(bad(line, "category", "is not a category code or label"));
            None
        });
        let stock = match cell("on_hand") {
            "" => None,
            raw => match raw.replace([' ', '\u{a0}'], "").parse::<i64>() {
                Ok(s) => Some(s),
                Err(_) => {
                    errors.push(bad(line, "on_hand", "must be a whole number"));
                    None
                }
            },
        };
        let tags_cell = cell("tags");
        let tags: Vec<String> = tags_cell
            .split(if tags_cell.contains('|') { '|' } else { ',' })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        let opt = |name: &str| Some(cell(name).to_string()).filter(|s| !s.is_empty());
        let input = ProductCreate {
            name: opt("name"),
            price: opt("price").map(|p| typed_price(&p)),
            currency: None,
            unit: unit.map(|u| u.as_str().to_string()),
            availability: availability.map(|a| a.as_str().to_string()),
            description: opt("description"),
            stock,
            gtin: opt("gtin"),
            category,
            tags: Some(tags),
            sku,
        };
        match input.validate() {
            Ok(fields) if errors.is_empty() => good.push(Good { target, fields }),
            Ok(_) => {}
            Err(Error::Invalid(list)) => {
                for f in list {
                    errors.push(bad(line, column_of(&f.field), f.message));
                }
            }
            Err(e) => errors.push(bad(line, "", e.to_string())),
        }
        if !errors.is_empty() {
            report.bad_rows += 1;
            for e in errors {
                if report.errors.len() < MAX_REPORTED {
                    report.errors.push(e);
                }
            }
        }
    }
    progress(Progress::Checked(total, total));
    (good, report)
}

/// Columns whose cells are one line.
const ONE_LINE: [&str; 10] = [
    "id",
    "sku",
    "name",
    "category",
    "units",
    "unit_type",
    "price",
    "on_hand",
    "available",
    "gtin",
];

/// Most columns read.
pub const MAX_COLUMNS: usize = 64;

/// A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, carriage return
/// first) is written with a `'` before it, which spreadsheets show as text; import takes the
/// `'` off again.
pub(super) fn protect(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

fn unprotect(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(file: &str) -> (Vec<Good>, Report) {
        check(
            file.as_bytes(),
            &HashMap::new(),
            &HashSet::new(),
            &mut |_| {},
        )
    }

    #[test]
    fn french_spreadsheets_read_as_written() {
        let file = "\u{feff}sku;name;price;unit_type;on_hand;available;category;tags\n\
                    P1;Pain de campagne;3,20 €;pièce;12;;Boulangerie, pâtisserie;levain|bio\n\
                    P2;Comté 18 mois;29,90;kg;;épuisé;food;\n";
        let (good, report) = run(file);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(good.len(), 2);
        assert_eq!(good[0].fields.price.minor, 320);
        assert_eq!(good[0].fields.stock, Some(12));
        assert_eq!(good[0].fields.category.as_deref(), Some("food.bakery"));
        assert_eq!(good[0].fields.tags, vec!["levain", "bio"]);
        assert_eq!(good[1].fields.unit, Unit::Kg);
        assert_eq!(good[1].fields.availability, Availability::OutOfStock);
    }

    #[test]
    fn commas_and_windows_1252_work_too() {
        let (good, report) = run("name,price\n\"Miel, toutes fleurs\",\"8,50\"\n");
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(good[0].fields.name, "Miel, toutes fleurs");
        assert_eq!(good[0].fields.price.minor, 850);
        let latin1 = b"name;price\nP\xe2t\xe9;2,00\n";
        let (good, _) = check(latin1, &HashMap::new(), &HashSet::new(), &mut |_| {});
        assert_eq!(good[0].fields.name, "Pâté");
    }

    #[test]
    fn every_bad_row_is_named_with_its_column() {
        let file =
            "sku;name;price;on_hand\nA;Bon;1,00;\nB;;2,00;\nC;Prix;deux euros;\nA;Doublon;1,00;x\n";
        let (good, report) = run(file);
        assert_eq!(good.len(), 1);
        assert_eq!(report.bad_rows, 3);
        let found: Vec<(usize, &str)> = report
            .errors
            .iter()
            .map(|e| (e.line, e.column.as_str()))
            .collect();
        assert!(found.contains(&(3, "name")), "{found:?}");
        assert!(found.contains(&(4, "price")), "{found:?}");
        assert!(
            found.contains(&(5, "sku")) && found.contains(&(5, "on_hand")),
            "{found:?}"
        );
    }

    #[test]
    fn a_missing_column_stops_at_the_header() {
        let (_, report) = run("sku;nom;price\nA;Pain;1\n");
        assert_eq!(report.errors[0].line, 1);
        assert!(report.errors.iter().any(|e| e.column == "name"));
    }

    #[test]
    fn an_unclosed_quote_does_not_swallow_rows() {
        let (good, report) = run("name;price\n\"Pain;1,00\nBrioche;2,00\nCroissant;1,10\n");
        assert!(good.is_empty());
        assert_eq!(report.bad_rows, 1);
        assert_eq!(report.errors[0].line, 2);
        assert!(
            report.errors[0].message.contains("line break"),
            "{:?}",
            report.errors
        );
    }

    #[test]
    fn formulas_are_written_as_text_and_read_back() {
        assert_eq!(protect("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        assert_eq!(protect("-20 % sur tout".into()), "'-20 % sur tout");
        assert_eq!(protect("Pain".into()), "Pain");
        let (good, report) = run("name;price\n'-20 % sur tout;1,00\n'Quoted;2,00\n");
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(good[0].fields.name, "-20 % sur tout");
        assert_eq!(good[1].fields.name, "'Quoted");
    }

    #[test]
    fn headers_and_errors_are_bounded() {
        let header = vec!["a"; 100_000].join(";");
        let (_, report) = run(&format!("{header}\n"));
        assert_eq!(report.errors.len(), 1, "one error, not one per column");
    }
}
