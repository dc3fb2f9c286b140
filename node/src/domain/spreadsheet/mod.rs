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
//! Reading the file and checking its rows: `rows`; writing them and exporting: here.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::authz::{allow, Action, Caller};
use super::merchants;
use crate::db::{self, outbox};
use crate::error::{Error, Result};
use crate::model::product::{Product, ProductFields};
use crate::Node;

mod rows;

use rows::{check, protect};

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
