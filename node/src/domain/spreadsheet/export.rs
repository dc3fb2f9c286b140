//! A shop's products as a spreadsheet (CSV or XLSX), in the columns an import reads back.

use super::rows::protect;
use super::COLUMNS;
use crate::db;
use crate::domain::authz::{allow, Action, Caller};
use crate::domain::{merchants, Context};
use crate::error::{Error, Result};
use crate::model::product::Product;

/// A price with a decimal comma, as French spreadsheets read it.
fn price_cell(p: &Product) -> String {
    p.fields.price.amount_string().replace('.', ",")
}

/// The shop's catalogue as CSV: UTF-8 with a BOM, `;`-separated, decimal commas (what a
/// French spreadsheet opens as is). Read from the database a thousand products at a time.
pub async fn export(cx: &Context, who: &Caller, slug: &str) -> Result<Vec<u8>> {
    let merchant = merchants::get(cx, slug).await?;
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
            let page = db::products::of_shop(cx.db.pool(), merchant.id, after, 1000).await?;
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
pub async fn export_xlsx(cx: &Context, who: &Caller, slug: &str) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let merchant = merchants::get(cx, slug).await?;
    allow(who, Action::EditProducts(merchant.id))?;
    let mut products = Vec::new();
    let mut after = None;
    loop {
        let page = db::products::of_shop(cx.db.pool(), merchant.id, after, 1000).await?;
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
