//! Reading a spreadsheet file into checked rows: its encoding and separator, its header, each
//! cell read as the API would take it (units, availability, categories, prices written the
//! French way), each row checked, every bad row named with its column. Nothing is written here.
//!
//! The file is read one row at a time by a CSV reader that stores at most [`MAX_COLUMNS`] cells
//! of at most [`MAX_CELL_BYTES`] each: a row of a million columns or a cell of a hundred
//! megabytes costs no more memory than a normal one.

use std::borrow::Cow;
use std::collections::HashMap;

use uuid::Uuid;

use super::{RowError, COLUMNS, IGNORED};
use crate::error::Error;
use crate::model::input::{typed_price, ProductCreate};
use crate::model::product::ProductFields;
use etal_protocol::{taxonomy, Availability, Unit};

/// Longest cell read, in bytes (a description may have 5,000 characters of up to 4 bytes).
pub const MAX_CELL_BYTES: usize = 24 * 1024;

fn bad(line: usize, column: &str, message: impl Into<String>) -> RowError {
    RowError {
        line,
        column: column.into(),
        message: message.into(),
    }
}

/// The file as UTF-8 text: as it is when it is UTF-8 (a BOM dropped), else read as
/// Windows-1252 (what French spreadsheets save as "CSV").
pub(super) fn text_of(bytes: &[u8]) -> Cow<'_, [u8]> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(_) => Cow::Borrowed(bytes),
        Err(_) => match encoding_rs::WINDOWS_1252.decode(bytes).0 {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        },
    }
}

/// The separator: the most frequent of `;`, `,` and tab on the header line.
fn separator(text: &[u8]) -> u8 {
    let end = text.iter().position(|b| *b == b'\n').unwrap_or(text.len());
    let header = &text[..end];
    [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|s| header.iter().filter(|b| *b == s).count())
        .unwrap_or(b';')
}

/// One row as read: its line and cells, or why it cannot be read.
pub(super) struct Record {
    /// 1-based line of the file where the row starts.
    pub(super) line: usize,
    /// What is wrong with the row as a whole (too many columns, a cell too long).
    pub(super) problem: Option<String>,
}

/// A file read row after row, with bounded memory.
pub(super) struct Sheet<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    reader: csv_core::Reader,
    field: Vec<u8>,
    /// The header's columns, lower-case.
    pub(super) headers: Vec<String>,
    /// Lines in the file (for the progress bar).
    pub(super) lines: usize,
}

impl<'a> Sheet<'a> {
    /// Opens a file and reads its header: the problems of the header, if any.
    pub(super) fn open(text: &'a [u8]) -> Result<Sheet<'a>, Vec<RowError>> {
        let mut sheet = Sheet {
            text,
            pos: 0,
            line: 1,
            reader: csv_core::ReaderBuilder::new()
                .delimiter(separator(text))
                .build(),
            field: vec![0; MAX_CELL_BYTES],
            headers: vec![],
            lines: text.iter().filter(|b| **b == b'\n').count().max(1),
        };
        let mut cells = Vec::new();
        let header = match sheet.next(&mut cells) {
            None => return Err(vec![bad(1, "", "the file is empty")]),
            Some(h) => h,
        };
        if let Some(problem) = header.problem {
            return Err(vec![bad(header.line, "", format!("the header: {problem}"))]);
        }
        let headers: Vec<String> = cells.iter().map(|c| c.trim().to_lowercase()).collect();
        let mut errors = vec![];
        for (i, h) in headers.iter().enumerate() {
            if !h.is_empty() && !COLUMNS.contains(&h.as_str()) && !IGNORED.contains(&h.as_str()) {
                errors.push(bad(
                    header.line,
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
            if !headers.iter().any(|h| h == required) {
                errors.push(bad(header.line, required, "this column is required"));
            }
        }
        if !errors.is_empty() {
            errors.truncate(super::MAX_REPORTED);
            return Err(errors);
        }
        sheet.headers = headers;
        Ok(sheet)
    }

    /// Reads the next row's cells into `cells` (at most [`MAX_COLUMNS`], each at most
    /// [`MAX_CELL_BYTES`]); `None` at the end of the file.
    pub(super) fn next(&mut self, cells: &mut Vec<String>) -> Option<Record> {
        use csv_core::ReadFieldResult;
        cells.clear();
        // Blank lines between rows are skipped (counted for the line numbers).
        while let Some(&b) = self.text.get(self.pos) {
            match b {
                b'\n' => self.line += 1,
                b'\r' => {}
                _ => break,
            }
            self.pos += 1;
        }
        if self.pos >= self.text.len() {
            return None;
        }
        let line = self.line;
        let mut problem = None;
        let mut columns = 0usize;
        let mut len = 0usize;
        loop {
            let input = &self.text[self.pos..];
            let (result, nin, nout) = self.reader.read_field(input, &mut self.field[len..]);
            self.line += input[..nin].iter().filter(|b| **b == b'\n').count();
            self.pos += nin;
            len += nout;
            match result {
                ReadFieldResult::OutputFull => {
                    // A cell longer than any the node keeps: the rest of it is skipped.
                    problem.get_or_insert_with(|| {
                        format!("a cell is longer than {MAX_CELL_BYTES} bytes")
                    });
                    len = 0;
                }
                ReadFieldResult::InputEmpty => {
                    if input.is_empty() {
                        // The end of the file ends the last field.
                        continue;
                    }
                }
                ReadFieldResult::Field { record_end } => {
                    columns += 1;
                    if columns <= MAX_COLUMNS && problem.is_none() {
                        cells.push(String::from_utf8_lossy(&self.field[..len]).into_owned());
                    }
                    len = 0;
                    if record_end {
                        break;
                    }
                }
                ReadFieldResult::End => break,
            }
        }
        if columns > MAX_COLUMNS {
            problem = Some(format!(
                "the row has {columns} columns; at most {MAX_COLUMNS} are read"
            ));
        }
        if problem.is_some() {
            cells.clear();
        }
        Some(Record { line, problem })
    }
}

impl Sheet<'_> {
    /// Reads and checks the next row: its line, and its fields or every problem of it
    /// (`None` for a blank row); `None` at the end of the file.
    pub(super) fn next_checked(&mut self, cells: &mut Vec<String>) -> Option<(usize, Checking)> {
        let record = self.next(cells)?;
        let row = match record.problem {
            Some(problem) => Some(Err(vec![bad(
                record.line,
                "",
                format!("cannot read this row: {problem}"),
            )])),
            None => check_row(&self.headers, cells, record.line),
        };
        Some((record.line, row))
    }
}

/// A row read and checked: its fields, or every problem of it; `None` for a blank row.
pub(super) type Checking = Option<Result<Checked, Vec<RowError>>>;

/// A row whose cells are right, before it is matched with the shop's products.
#[derive(Debug, Clone)]
pub(super) struct Checked {
    /// The `id` column: a product of the shop, if it is one (checked against the shop later).
    pub(super) id: Option<Uuid>,
    /// The `sku` column.
    pub(super) sku: Option<String>,
    /// The product's fields.
    pub(super) fields: ProductFields,
    /// The cells by column (what is staged, and read again when the row is applied).
    pub(super) cells: HashMap<String, String>,
}

/// Checks a row read by [`Sheet::next`], as the API would: its fields, or every problem.
fn check_row(headers: &[String], cells: &[String], line: usize) -> Checking {
    if cells.iter().all(|c| c.trim().is_empty()) {
        return None;
    }
    let mut by_column: HashMap<String, String> = HashMap::new();
    for (h, c) in headers.iter().zip(cells) {
        if COLUMNS.contains(&h.as_str()) {
            by_column.insert(h.clone(), unprotect(c.trim()).to_string());
        }
    }
    Some(check_cells(by_column, line))
}

/// Checks a row's cells by column name (also when a staged row is applied).
pub(super) fn check_cells(
    by_column: HashMap<String, String>,
    line: usize,
) -> Result<Checked, Vec<RowError>> {
    let cell = |name: &str| by_column.get(name).map(String::as_str).unwrap_or("");
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
    let id = match cell("id") {
        "" => None,
        raw => match Uuid::parse_str(raw) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(not_in_shop(line));
                None
            }
        },
    };
    let sku = Some(cell("sku").to_string()).filter(|s| !s.is_empty());
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
        sku: sku.clone(),
    };
    match input.validate() {
        Ok(fields) if errors.is_empty() => Ok(Checked {
            id,
            sku,
            fields,
            cells: by_column,
        }),
        Ok(_) => Err(errors),
        Err(Error::Invalid(list)) => {
            for f in list {
                errors.push(bad(line, column_of(&f.field), f.message));
            }
            Err(errors)
        }
        Err(e) => {
            errors.push(bad(line, "", e.to_string()));
            Err(errors)
        }
    }
}

/// The error of an `id` that is not one of the shop's products.
pub(super) fn not_in_shop(line: usize) -> RowError {
    bad(
        line,
        "id",
        "is not a product of this shop (leave it empty to add a product)",
    )
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
pub fn protect(cell: String) -> String {
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

    /// Every row of a file: the checked ones and every problem.
    fn run(file: &[u8]) -> (Vec<Checked>, Vec<RowError>) {
        let text = text_of(file);
        let mut sheet = match Sheet::open(&text) {
            Ok(s) => s,
            Err(errors) => return (vec![], errors),
        };
        let (mut good, mut errors) = (vec![], vec![]);
        let mut cells = Vec::new();
        while let Some((_, row)) = sheet.next_checked(&mut cells) {
            match row {
                Some(Ok(c)) => good.push(c),
                Some(Err(e)) => errors.extend(e),
                None => {}
            }
        }
        (good, errors)
    }

    #[test]
    fn french_spreadsheets_read_as_written() {
        let file = "\u{feff}sku;name;price;unit_type;on_hand;available;category;tags\n\
                    P1;Pain de campagne;3,20 €;pièce;12;;Boulangerie, pâtisserie;levain|bio\n\
                    P2;Comté 18 mois;29,90;kg;;épuisé;food;\n";
        let (good, errors) = run(file.as_bytes());
        assert!(errors.is_empty(), "{errors:?}");
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
        let (good, errors) = run(b"name,price\n\"Miel, toutes fleurs\",\"8,50\"\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(good[0].fields.name, "Miel, toutes fleurs");
        assert_eq!(good[0].fields.price.minor, 850);
        let (good, _) = run(b"name;price\nP\xe2t\xe9;2,00\n");
        assert_eq!(good[0].fields.name, "Pâté");
    }

    #[test]
    fn every_bad_row_is_named_with_its_column() {
        let file =
            "sku;name;price;on_hand\nA;Bon;1,00;\n\nB;;2,00;\nC;Prix;deux euros;\nD;Stock;1,00;x\n";
        let (good, errors) = run(file.as_bytes());
        assert_eq!(good.len(), 1);
        let found: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        // Line 3 is blank: the rows after it keep their line numbers.
        assert_eq!(found, vec![(4, "name"), (5, "price"), (6, "on_hand")]);
    }

    #[test]
    fn a_missing_column_stops_at_the_header() {
        let (_, errors) = run(b"sku;nom;price\nA;Pain;1\n");
        assert_eq!(errors[0].line, 1);
        assert!(errors.iter().any(|e| e.column == "name"));
    }

    #[test]
    fn an_unclosed_quote_does_not_swallow_rows() {
        let (good, errors) = run(b"name;price\n\"Pain;1,00\nBrioche;2,00\nCroissant;1,10\n");
        assert!(good.is_empty());
        assert!(
            errors.iter().all(|e| e.line == 2),
            "one bad row: {errors:?}"
        );
        assert!(errors[0].message.contains("line break"), "{errors:?}");
    }

    #[test]
    fn formulas_are_written_as_text_and_read_back() {
        assert_eq!(protect("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        assert_eq!(protect("-20 % sur tout".into()), "'-20 % sur tout");
        assert_eq!(protect("Pain".into()), "Pain");
        let (good, errors) = run(b"name;price\n'-20 % sur tout;1,00\n'Quoted;2,00\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(good[0].fields.name, "-20 % sur tout");
        assert_eq!(good[1].fields.name, "'Quoted");
    }

    #[test]
    fn headers_and_errors_are_bounded() {
        let header = vec!["a"; 100_000].join(";");
        let (_, errors) = run(format!("{header}\n").as_bytes());
        assert_eq!(errors.len(), 1, "one error, not one per column");
    }

    #[test]
    fn every_row_is_bounded_as_it_is_read() {
        // A row of two million columns, then a cell of 100 KB: each is one bad row, read
        // without keeping more than 64 cells of 24 KiB.
        let wide = ";".repeat(2_000_000);
        let long = "x".repeat(100_000);
        let file = format!("name;price\nPain;1,00\n{wide}\n{long};2,00\nBrioche;2,00\n");
        let (good, errors) = run(file.as_bytes());
        assert_eq!(good.len(), 2);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].message.contains("2000001 columns"), "{errors:?}");
        assert_eq!(errors[1].line, 4);
        assert!(errors[1].message.contains("longer than"), "{errors:?}");
    }
}
