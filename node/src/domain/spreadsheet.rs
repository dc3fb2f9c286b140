//! A shop's catalogue as a spreadsheet: CSV export, and import with a report per bad row.
//!
//! The columns (documented in `schemas/products-spreadsheet.md`) match Open Food Network's
//! product template where they overlap: `id, sku, name, description, category, units,
//! unit_type, price, on_hand, available, tags, gtin`. French spreadsheets are welcome: UTF-8
//! (a BOM tolerated) or Windows-1252, `;` or `,` or tab separators, decimal commas, prices
//! with `€`. A row whose `id` or `sku` names a product of the shop updates it; other rows add
//! products.
//!
//! An import is checked whole before anything is written (each row through the same
//! validation as the API), then written in one transaction: all rows or none, unless only the
//! valid rows are asked for. One outbox event per created or changed product, as for any write.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::authz::{allow, Action, Caller};
use super::merchants;
use crate::db::{self, outbox};
use crate::error::{Error, Result};
use crate::model::input::ProductCreate;
use crate::model::product::{Product, ProductFields};
use crate::Node;
use etal_protocol::{taxonomy, Availability, Unit};

/// The columns, in export order.
pub const COLUMNS: [&str; 12] = [
    "id",
    "sku",
    "name",
    "description",
    "category",
    "units",
    "unit_type",
    "price",
    "on_hand",
    "available",
    "tags",
    "gtin",
];

/// Open Food Network columns accepted and ignored.
const IGNORED: [&str; 7] = [
    "producer",
    "display_name",
    "variant_unit_name",
    "available_on",
    "on_demand",
    "shipping_category",
    "tax_category",
];

/// Most rows an import may have.
pub const MAX_ROWS: usize = 500_000;
/// Most bad rows listed in a report (all are counted).
pub const MAX_REPORTED: usize = 1000;
/// Products written per statement.
const BATCH: usize = 1000;

/// One problem of an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line of the file (the header is line 1).
    pub line: usize,
    /// The column at fault (empty for the whole row).
    pub column: String,
    /// What is wrong.
    pub message: String,
}

/// What an import did, or would have done.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Data rows read.
    pub rows: usize,
    /// Products added.
    pub created: usize,
    /// Products changed.
    pub updated: usize,
    /// Rows equal to their product.
    pub unchanged: usize,
    /// Bad rows (each counted once).
    pub bad_rows: usize,
    /// The first [`MAX_REPORTED`] problems.
    pub errors: Vec<RowError>,
    /// Whether anything was written.
    pub written: bool,
}

/// Where an import is, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// Rows checked so far, of all.
    Checked(usize, usize),
    /// Products written so far, of all to write.
    Written(usize, usize),
}

/// A checked row.
struct Good {
    target: Option<Uuid>,
    fields: ProductFields,
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

/// A typed price back to a decimal string: `3,20 €` → `3.20`.
pub fn price_text(raw: &str) -> String {
    raw.trim()
        .trim_end_matches('€')
        .trim_start_matches('€')
        .trim()
        .replace([' ', '\u{a0}', '\u{202f}'], "")
        .replace(',', ".")
}

/// Reads and checks a file: the good rows, and every problem found. Pure: no I/O.
fn check(
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
            price: opt("price").map(|p| price_text(&p)),
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
fn protect(cell: String) -> String {
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

/// Imports a file into the shop `slug`: all rows or none (`valid_only` false), or only the
/// valid rows. The report lists every bad row (line, column, reason).
pub async fn import(
    node: &Node,
    who: &Caller,
    slug: &str,
    bytes: bytes::Bytes,
    valid_only: bool,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Report> {
    let merchant = merchants::get(node, slug).await?;
    allow(who, Action::EditProducts(merchant.id))?;
    let existing = db::products::by_sku(node.db.pool(), merchant.id).await?;
    let by_sku: HashMap<String, Uuid> = existing.iter().map(|(s, p)| (s.clone(), p.id)).collect();
    let mut current: HashMap<Uuid, Product> = existing.into_values().map(|p| (p.id, p)).collect();
    let ids: HashSet<Uuid> = db::products::ids_of_shop(node.db.pool(), merchant.id)
        .await?
        .into_iter()
        .collect();
    // Checking reads and validates every row: on the blocking pool, with its progress sent
    // back here.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut checking = tokio::task::spawn_blocking(move || {
        check(&bytes, &by_sku, &ids, &mut |p| {
            let _ = tx.send(p);
        })
    });
    let (good, mut report) = loop {
        tokio::select! {
            Some(p) = rx.recv() => progress(p),
            done = &mut checking => break done.map_err(|e| Error::Internal(e.into()))?,
        }
    };
    while let Ok(p) = rx.try_recv() {
        progress(p);
    }
    if report.bad_rows > 0 && !valid_only {
        return Ok(report);
    }
    // Products matched by id without a SKU are read too.
    let missing: Vec<Uuid> = good
        .iter()
        .filter_map(|g| g.target)
        .filter(|id| !current.contains_key(id))
        .collect();
    for p in db::products::by_ids(&node.db, &missing).await? {
        current.insert(p.id, p);
    }
    // Everything is computed before the transaction: new products with their index entries,
    // and the changes.
    let now = node.clock.now_ms();
    let shop_geo = merchant.fields.geo;
    let mut created: Vec<Product> = vec![];
    let mut changed: Vec<(Uuid, ProductFields, bool)> = vec![];
    for g in good {
        match g.target.and_then(|id| current.get(&id)) {
            Some(p) if p.fields == g.fields => report.unchanged += 1,
            Some(p) => {
                let announce = p.fields.announce_change_to(&g.fields);
                changed.push((p.id, g.fields, announce));
            }
            None => {
                let id = Uuid::now_v7();
                created.push(Product {
                    id,
                    merchant_id: merchant.id,
                    merchant_slug: merchant.slug.clone(),
                    local: true,
                    url: None,
                    ap_id: node.urls.product(&id).to_string(),
                    fields: g.fields,
                    images: vec![],
                    version: 1,
                    created_at: db::time(now),
                    updated_at: db::time(now),
                    deleted_at: None,
                });
            }
        }
    }
    let entries: Vec<db::search_index::Entry> = created
        .iter()
        .map(|p| db::search_index::entry(p, &merchant.fields.name, shop_geo))
        .collect();
    let total = created.len() + changed.len();
    if total == 0 {
        return Ok(report);
    }
    let mut tx = node.db.begin().await?;
    // The shop may have been deleted since it was read.
    merchants::live(db::merchants::by_id(&mut *tx, merchant.id).await?, slug)?;
    let mut written = 0;
    for (chunk, entries) in created.chunks(BATCH).zip(entries.chunks(BATCH)) {
        db::products::insert_many(&mut tx, chunk, entries)
            .await
            .map_err(conflict)?;
        let objects: Vec<(Uuid, Uuid)> = chunk.iter().map(|p| (p.id, merchant.id)).collect();
        outbox::record_many(
            &mut tx,
            now,
            outbox::Verb::Create,
            outbox::Kind::Product,
            &objects,
        )
        .await?;
        written += chunk.len();
        progress(Progress::Written(written, total));
    }
    for (id, fields, announce) in &changed {
        db::products::update(&mut tx, *id, fields, now)
            .await
            .map_err(conflict)?;
        if *announce {
            outbox::record(
                &mut tx,
                now,
                outbox::Verb::Update,
                outbox::Kind::Product,
                *id,
                merchant.id,
            )
            .await?;
        }
        written += 1;
        if written % BATCH == 0 {
            progress(Progress::Written(written, total));
        }
    }
    tx.commit().await?;
    progress(Progress::Written(total, total));
    node.committed().await;
    report.created = created.len();
    report.updated = changed.len();
    report.written = true;
    Ok(report)
}

fn conflict(e: sqlx::Error) -> Error {
    if db::is_unique_violation(&e) {
        Error::Conflict {
            detail: "a SKU of the file is already another product's of this shop".into(),
            field: Some("sku".into()),
        }
    } else {
        e.into()
    }
}

/// A price with a decimal comma, as French spreadsheets read it.
fn price_cell(p: &Product) -> String {
    p.fields.price.amount_string().replace('.', ",")
}

/// The shop's catalogue as CSV: UTF-8 with a BOM, `;`-separated, decimal commas (what a
/// French spreadsheet opens as is). Read from the database a thousand products at a time.
pub async fn export(node: &Node, who: &Caller, slug: &str) -> Result<Vec<u8>> {
    let merchant = merchants::get(node, slug).await?;
    allow(who, Action::EditProducts(merchant.id))?;
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        let write_err = |e: csv::Error| Error::Internal(e.into());
        w.write_record(COLUMNS).map_err(write_err)?;
        let mut after = None;
        loop {
            let page = db::products::of_shop(node.db.pool(), merchant.id, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for p in &page {
                let f = &p.fields;
                w.write_record([
                    p.id.to_string(),
                    protect(f.sku.clone().unwrap_or_default()),
                    protect(f.name.clone()),
                    protect(f.description.clone().unwrap_or_default()),
                    f.category.clone().unwrap_or_default(),
                    "1".into(),
                    f.unit.as_str().to_string(),
                    price_cell(p),
                    f.stock.map(|s| s.to_string()).unwrap_or_default(),
                    f.availability.as_str().to_string(),
                    protect(f.tags.join("|")),
                    f.gtin.clone().unwrap_or_default(),
                ])
                .map_err(write_err)?;
            }
        }
        w.flush().map_err(|e| Error::Internal(e.into()))?;
    }
    Ok(out)
}

/// The shop's catalogue as an Excel workbook: the same columns as the CSV, prices and stock
/// as numbers, the header line bold and frozen.
pub async fn export_xlsx(node: &Node, who: &Caller, slug: &str) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let merchant = merchants::get(node, slug).await?;
    allow(who, Action::EditProducts(merchant.id))?;
    let mut products = Vec::new();
    let mut after = None;
    loop {
        let page = db::products::of_shop(node.db.pool(), merchant.id, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        products.extend(page);
    }
    let xlsx = |e: rust_xlsxwriter::XlsxError| Error::Internal(e.into());
    tokio::task::spawn_blocking(move || {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("produits").map_err(xlsx)?;
        let bold = Format::new().set_bold();
        let money = Format::new().set_num_format("0.00");
        for (c, name) in COLUMNS.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, *name, &bold)
                .map_err(xlsx)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
        for (i, p) in products.iter().enumerate() {
            let r = (i + 1) as u32;
            let f = &p.fields;
            let text = |v: &str| v.to_string();
            let cells = [
                p.id.to_string(),
                f.sku.clone().unwrap_or_default(),
                f.name.clone(),
                f.description.clone().unwrap_or_default(),
                f.category.clone().unwrap_or_default(),
            ];
            for (c, v) in cells.iter().enumerate() {
                if !v.is_empty() {
                    sheet.write_string(r, c as u16, text(v)).map_err(xlsx)?;
                }
            }
            sheet.write_number(r, 5, 1).map_err(xlsx)?;
            sheet.write_string(r, 6, f.unit.as_str()).map_err(xlsx)?;
            sheet
                .write_number_with_format(r, 7, f.price.minor as f64 / 100.0, &money)
                .map_err(xlsx)?;
            if let Some(s) = f.stock {
                sheet.write_number(r, 8, s as f64).map_err(xlsx)?;
            }
            sheet
                .write_string(r, 9, f.availability.as_str())
                .map_err(xlsx)?;
            if !f.tags.is_empty() {
                sheet.write_string(r, 10, f.tags.join("|")).map_err(xlsx)?;
            }
            if let Some(g) = &f.gtin {
                sheet.write_string(r, 11, g).map_err(xlsx)?;
            }
        }
        sheet.set_column_width(2, 32).map_err(xlsx)?;
        sheet.set_column_width(3, 40).map_err(xlsx)?;
        book.save_to_buffer().map_err(xlsx)
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?
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
