//! A shop's catalogue as a spreadsheet: CSV export, and import with a report per bad row.
//!
//! The columns (documented in `schemas/products-spreadsheet.md`) match Open Food Network's
//! product template where they overlap: `id, sku, name, description, category, units,
//! unit_type, price, on_hand, available, tags, gtin`. French spreadsheets are welcome: UTF-8
//! (a BOM tolerated) or Windows-1252, `;` or `,` or tab separators, decimal commas, prices
//! with `€`. A row whose `id` or `sku` names a product of the shop updates it; other rows add
//! products.
//!
//! An import is read row by row, each row checked through the same validation as the API and
//! staged (`db::imports`) in short transactions, so that no import holds the database's writer
//! for long. Once the whole file is read, the import is applied a thousand rows at a time, each
//! batch with its outbox events in one transaction: all rows, or none if any is bad (unless
//! only the valid rows are asked for). An import interrupted while it is applied is finished by
//! the next node process to start ([`recover`]); one interrupted before leaves nothing. Its
//! memory does not grow with the number of rows.
//! Reading the file and checking its rows: `rows`; staging, applying and exporting: here.

use std::collections::HashMap;

use uuid::Uuid;

use super::authz::{allow, Action, Caller};
use super::merchants;
use crate::db::{self, imports::Staged, outbox};
use crate::domain::Context;
use crate::error::{Error, Result};
use crate::model::merchant::Merchant;
use crate::model::product::{Product, ProductFields};

mod export;
mod rows;

pub use export::{export, export_xlsx};
use rows::{check_cells, not_in_shop, Checked, Sheet};
pub use rows::{protect, MAX_CELL_BYTES, MAX_COLUMNS};

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
/// Rows staged, then applied, per transaction (SQLite binds the lists of larger batches more
/// slowly).
const BATCH: usize = 1000;
/// An import nobody renewed for this long was abandoned by its process.
const ABANDONED_MS: i64 = 5 * 60 * 1000;

/// Imports run one at a time in a node process: each holds a file of up to 64 MiB.
static IMPORTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

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

impl Report {
    /// Counts a row read: its fields if it is good; its problems reported if not.
    fn count(&mut self, row: rows::Checking) -> Option<Checked> {
        match row? {
            Ok(checked) => {
                self.rows += 1;
                Some(checked)
            }
            Err(errors) => {
                self.rows += 1;
                self.refuse(errors);
                None
            }
        }
    }

    fn refuse(&mut self, errors: Vec<RowError>) {
        self.bad_rows += 1;
        for e in errors {
            if self.errors.len() < MAX_REPORTED {
                self.errors.push(e);
            }
        }
    }
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
    cx: &Context,
    who: &Caller,
    slug: &str,
    bytes: bytes::Bytes,
    valid_only: bool,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Report> {
    let merchant = merchants::get(cx, slug).await?;
    allow(who, Action::EditProducts(merchant.id))?;
    let _one_at_a_time = IMPORTING.lock().await;
    let text = rows::text_of(&bytes);
    let mut sheet = match Sheet::open(&text) {
        Ok(s) => s,
        Err(errors) => {
            let mut report = Report::default();
            report.refuse(errors);
            return Ok(report);
        }
    };
    let import = Uuid::now_v7();
    let mut tx = cx.db.begin().await?;
    db::imports::start(&mut tx, import, merchant.id, cx.clock.now_ms()).await?;
    tx.commit().await?;
    let mut report = Report::default();
    let staged = match stage(cx, &merchant, import, &mut sheet, &mut report, progress).await {
        Ok(n) => n,
        Err(e) => {
            discard(cx, import).await?;
            return Err(e);
        }
    };
    drop(sheet);
    if (report.bad_rows > 0 && !valid_only) || report.created + report.updated == 0 {
        discard(cx, import).await?;
        return Ok(report);
    }
    let live = db::products::count_of_shop(cx.db.pool(), merchant.id).await?;
    let most = cx.settings.max_products_per_shop;
    if live as u64 + report.created as u64 > most {
        discard(cx, import).await?;
        return Err(Error::Conflict {
            detail: format!(
                "the file adds {} products to the {live} of the shop: this node allows at most {most} a shop",
                report.created
            ),
            field: Some("file".into()),
        });
    }
    // From here on, the import is finished whatever happens (by `recover` if this process
    // stops).
    db::imports::applying(cx.db.writer(), import, cx.clock.now_ms()).await?;
    let conflicts = apply(cx, &merchant, import, staged, progress).await?;
    for (line, sku) in conflicts {
        report.refuse(vec![RowError {
            line: line as usize,
            column: "sku".into(),
            message: format!("the sku \"{sku}\" was given to another product during the import"),
        }]);
    }
    report.written = true;
    Ok(report)
}

/// Reads and checks a file's rows as an import would, without the shop's products and
/// without writing anything: how many rows it has and every problem of their cells.
pub fn check_file(bytes: &[u8]) -> Report {
    let mut report = Report::default();
    let text = rows::text_of(bytes);
    let mut sheet = match Sheet::open(&text) {
        Ok(s) => s,
        Err(errors) => {
            report.refuse(errors);
            return report;
        }
    };
    let mut cells = Vec::new();
    while let Some((_, row)) = sheet.next_checked(&mut cells) {
        report.count(row);
    }
    report
}

/// Reads, checks and stages every row of the file: how many were staged for writing.
async fn stage(
    cx: &Context,
    merchant: &Merchant,
    import: Uuid,
    sheet: &mut Sheet<'_>,
    report: &mut Report,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<usize> {
    let mut cells = Vec::new();
    let mut batch: Vec<(usize, Checked)> = Vec::with_capacity(BATCH);
    let (mut read, mut staged, mut batches) = (0usize, 0usize, 0u32);
    loop {
        let record = sheet.next_checked(&mut cells);
        let line = record.as_ref().map(|r| r.0);
        if let Some((line, row)) = record {
            read += 1;
            if read > MAX_ROWS {
                let too_many =
                    format!("the file has more than {MAX_ROWS} rows: import it in parts");
                report.refuse(vec![RowError {
                    line,
                    column: String::new(),
                    message: too_many.clone(),
                }]);
                return Err(Error::field("file", too_many));
            }
            if let Some(checked) = report.count(row) {
                batch.push((line, checked));
            }
        }
        if batch.len() >= BATCH || (line.is_none() && !batch.is_empty()) {
            staged += stage_batch(cx, merchant, import, std::mem::take(&mut batch), report).await?;
            batches += 1;
            // The staged rows grow from nothing: PostgreSQL plans their lookups again.
            if batches.is_power_of_two() {
                db::imports::analyze(&cx.db).await?;
            }
            progress(Progress::Checked(
                line.unwrap_or(sheet.lines).min(sheet.lines),
                sheet.lines,
            ));
        }
        if line.is_none() {
            progress(Progress::Checked(sheet.lines, sheet.lines));
            return Ok(staged);
        }
    }
}

/// Matches a batch of checked rows with the shop's products (by `id`, else by `sku`), finds
/// those that name a product or a SKU an earlier row named, and stages the others in one short
/// transaction: how many will be written.
async fn stage_batch(
    cx: &Context,
    merchant: &Merchant,
    import: Uuid,
    batch: Vec<(usize, Checked)>,
    report: &mut Report,
) -> Result<usize> {
    let pool = cx.db.pool();
    let ids: Vec<Uuid> = batch.iter().filter_map(|(_, c)| c.id).collect();
    let of_shop = db::products::of_shop_among(pool, merchant.id, &ids).await?;
    let skus: Vec<String> = batch.iter().filter_map(|(_, c)| c.sku.clone()).collect();
    let by_sku = db::products::ids_by_sku(pool, merchant.id, &skus).await?;
    // Each row's product: named by id, or found by SKU, or a new one.
    let mut targets: Vec<(usize, Checked, Option<Uuid>)> = Vec::with_capacity(batch.len());
    for (line, c) in batch {
        match c.id {
            Some(id) if !of_shop.contains(&id) => report.refuse(vec![not_in_shop(line)]),
            Some(id) => targets.push((line, c, Some(id))),
            None => {
                let found = c.sku.as_ref().and_then(|s| by_sku.get(s).copied());
                targets.push((line, c, found));
            }
        }
    }
    let named: Vec<Uuid> = targets.iter().filter_map(|t| t.2).collect();
    let skus: Vec<String> = targets.iter().filter_map(|t| t.1.sku.clone()).collect();
    let (mut sku_lines, mut product_lines) =
        db::imports::staged_lines(pool, import, &skus, &named).await?;
    let current: HashMap<Uuid, Product> = db::products::by_ids(&cx.db, &named)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut rows = Vec::with_capacity(targets.len());
    let mut writes = 0;
    for (line, c, target) in targets {
        let mut errors = vec![];
        if let Some(first) = c.sku.as_ref().and_then(|s| sku_lines.get(s)) {
            errors.push(RowError {
                line,
                column: "sku".into(),
                message: format!("the same sku is on line {first}"),
            });
        }
        if let Some(first) = target.and_then(|t| product_lines.get(&t)) {
            let column = if c.id.is_some() { "id" } else { "sku" };
            errors.push(RowError {
                line,
                column: column.into(),
                message: format!("the same product is on line {first}"),
            });
        }
        if !errors.is_empty() {
            report.refuse(errors);
            continue;
        }
        let product_id = target.unwrap_or_else(Uuid::now_v7);
        if let Some(s) = &c.sku {
            sku_lines.insert(s.clone(), line as i64);
        }
        product_lines.insert(product_id, line as i64);
        let mut unchanged = false;
        match target.and_then(|t| current.get(&t)) {
            Some(p) if p.fields == c.fields => {
                report.unchanged += 1;
                unchanged = true;
            }
            Some(_) => {
                report.updated += 1;
                writes += 1;
            }
            None if target.is_some() => {
                // Deleted since it was matched.
                report.refuse(vec![not_in_shop(line)]);
                continue;
            }
            None => {
                report.created += 1;
                writes += 1;
            }
        }
        rows.push(Staged {
            line: line as i64,
            product_id,
            creates: target.is_none(),
            unchanged,
            sku: c.sku,
            cells: serde_json::to_string(&c.cells).map_err(|e| Error::Internal(e.into()))?,
        });
    }
    let mut tx = cx.db.begin().await?;
    db::imports::stage(&mut tx, import, &rows).await?;
    db::imports::renew(&mut tx, import, cx.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(writes)
}

/// Applies an import's staged rows to the shop's products, a batch per transaction, each
/// with its outbox events; returns the rows whose SKU another product took meanwhile (left
/// out: the rest of their batch is written).
async fn apply(
    cx: &Context,
    merchant: &Merchant,
    import: Uuid,
    total: usize,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Vec<(i64, String)>> {
    let mut written = 0;
    let mut conflicts = vec![];
    let mut after = 0;
    loop {
        let rows = db::imports::next_rows(cx.db.pool(), import, after, BATCH as i64).await?;
        let Some(last) = rows.last().map(|r| r.line) else {
            break;
        };
        after = last;
        match apply_batch(cx, merchant, import, &rows, last).await {
            Ok(n) => written += n,
            Err(Error::Conflict { .. }) => {
                // A SKU of the batch was taken meanwhile: row by row, leaving those out.
                for row in &rows {
                    match apply_batch(cx, merchant, import, std::slice::from_ref(row), row.line)
                        .await
                    {
                        Ok(n) => written += n,
                        Err(Error::Conflict { .. }) => {
                            conflicts.push((row.line, row.sku.clone().unwrap_or_default()));
                            let mut tx = cx.db.begin().await?;
                            db::imports::applied(&mut tx, import, row.line, row.line).await?;
                            tx.commit().await?;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
        progress(Progress::Written(written.min(total), total));
        cx.committed().await;
    }
    // The rows equal to their product, staged to find repeats, go.
    discard(cx, import).await?;
    db::imports::analyze(&cx.db).await?;
    progress(Progress::Written(total, total));
    Ok(conflicts)
}

/// Writes one batch of staged rows (up to `last`) in one transaction: how many products were
/// added or changed. The rows are checked again (the same rules), and compared with the
/// products as they are now.
async fn apply_batch(
    cx: &Context,
    merchant: &Merchant,
    import: Uuid,
    rows: &[Staged],
    last: i64,
) -> Result<usize> {
    let now = cx.clock.now_ms();
    let fields_of = |r: &Staged| -> Result<ProductFields> {
        let cells: HashMap<String, String> =
            serde_json::from_str(&r.cells).map_err(|e| Error::Internal(e.into()))?;
        check_cells(cells, r.line as usize)
            .map(|c| c.fields)
            .map_err(|_| {
                Error::Internal(anyhow::anyhow!("a staged row no longer passes its checks"))
            })
    };
    let changed_ids: Vec<Uuid> = rows
        .iter()
        .filter(|r| !r.creates)
        .map(|r| r.product_id)
        .collect();
    let current: HashMap<Uuid, Product> = db::products::by_ids(&cx.db, &changed_ids)
        .await?
        .into_iter()
        .filter(|p| p.merchant_id == merchant.id)
        .map(|p| (p.id, p))
        .collect();
    let mut created: Vec<Product> = vec![];
    let mut changed: Vec<(Uuid, ProductFields, bool)> = vec![];
    for r in rows {
        let fields = fields_of(r)?;
        if r.creates {
            created.push(super::products::new_local(
                cx,
                merchant,
                r.product_id,
                fields,
                now,
            ));
        } else if let Some(p) = current.get(&r.product_id) {
            // Deleted meanwhile: left alone. Equal: nothing to write.
            if p.fields != fields {
                let announce = p.fields.announce_change_to(&fields);
                changed.push((p.id, fields, announce));
            }
        }
    }
    let mut tx = cx.db.begin().await?;
    // The shop may have been deleted since it was read.
    merchants::live(
        db::merchants::by_id(&mut *tx, merchant.id).await?,
        &merchant.slug,
    )?;
    super::products::store_new(cx, &mut tx, merchant, &created, now)
        .await
        .map_err(conflict)?;
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
    }
    let first = rows.first().map_or(last, |r| r.line);
    db::imports::applied(&mut tx, import, first, last).await?;
    db::imports::renew(&mut tx, import, now).await?;
    tx.commit().await?;
    Ok(created.len() + changed.len())
}

/// Deletes an import that will not be applied, a few thousand rows per transaction.
async fn discard(cx: &Context, import: Uuid) -> Result<()> {
    while db::imports::discard_some(cx.db.writer(), import, 5 * BATCH as i64).await? > 0 {}
    db::imports::finish(cx.db.writer(), import).await?;
    Ok(())
}

/// Finishes the imports a stopped process left: those being applied are applied to the end,
/// those still being read are forgotten. Run when a node process starts.
pub async fn recover(cx: &Context) -> Result<()> {
    let before = cx.clock.now_ms() - ABANDONED_MS;
    for (import, merchant_id, applying) in db::imports::abandoned(cx.db.pool(), before).await? {
        if !applying {
            discard(cx, import).await?;
            continue;
        }
        let merchant = db::merchants::by_id(cx.db.pool(), merchant_id)
            .await?
            .filter(|m| m.deleted_at.is_none());
        match merchant {
            Some(m) => {
                tracing::info!(shop = %m.slug, "finishing a spreadsheet import a stopped process left");
                apply(cx, &m, import, 0, &mut |_| {}).await?;
            }
            // The shop is gone: nothing to apply.
            None => discard(cx, import).await?,
        }
    }
    Ok(())
}

fn conflict(e: db::DbError) -> Error {
    if db::is_unique_violation(&e) {
        Error::Conflict {
            detail: "a SKU of the file is already another product's of this shop".into(),
            field: Some("sku".into()),
        }
    } else {
        e.into()
    }
}
