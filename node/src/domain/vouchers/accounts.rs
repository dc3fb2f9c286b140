//! The town's accounts: what it owes each shop, reimbursements, the accountant's exports, the
//! audit of balances, and the figures the open data publishes.

use super::*;

/// What the town owes each shop of a campaign.
#[derive(Debug, Clone)]
pub struct Owed {
    /// Shop id.
    pub merchant_id: Uuid,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// SIRET.
    pub siret: Option<String>,
    /// Redemptions not cancelled.
    pub redemptions: i64,
    /// Their total, cents.
    pub amount_minor: i64,
    /// Reimbursed so far, cents.
    pub reimbursed_minor: i64,
}

/// Per shop: redemptions, amount, reimbursed (the admin).
pub async fn reimbursements(
    cx: &Context,
    who: &Caller,
    campaign_id: &str,
) -> Result<(Campaign, Vec<Owed>)> {
    allow(who, Action::RunNode)?;
    let c = campaign(cx, campaign_id).await?;
    let shops = db::vouchers::shops_of(cx.db.pool(), c.id).await?;
    let owed = db::voucher_accounts::owed(cx.db.pool(), c.id).await?;
    let rows = shops
        .into_iter()
        .map(|(id, slug, name, siret, _)| {
            let (n, amount, paid) = owed
                .iter()
                .find(|o| o.0 == id)
                .map_or((0, 0, 0), |o| (o.1, o.2, o.3));
            Owed {
                merchant_id: id,
                slug,
                name,
                siret,
                redemptions: n,
                amount_minor: amount,
                reimbursed_minor: paid,
            }
        })
        .collect();
    Ok((c, rows))
}

/// Every redemption of a campaign as the accountant needs it: campaign, shop, SIRET, voucher,
/// amount, date, redemption id.
pub async fn accounting_rows(
    cx: &Context,
    who: &Caller,
    campaign_id: &str,
) -> Result<(Campaign, Vec<[String; 7]>)> {
    let (c, owed) = reimbursements(cx, who, campaign_id).await?;
    let rows = db::voucher_accounts::redemptions_of(cx.db.pool(), c.id).await?;
    let tz = cx.settings.time_zone;
    let out = rows
        .into_iter()
        .map(|(r, code)| {
            let shop = owed.iter().find(|o| o.merchant_id == r.merchant_id);
            [
                c.name.clone(),
                shop.map(|s| s.name.clone()).unwrap_or_default(),
                shop.and_then(|s| s.siret.clone()).unwrap_or_default(),
                voucher_code::masked(&code),
                etal_protocol::money::format_minor(r.amount_minor, 2),
                tz.timestamp_millis_opt(r.created_at)
                    .single()
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                r.id.to_string(),
            ]
        })
        .collect();
    Ok((c, out))
}

/// The admin records that a shop was reimbursed what it is owed now (date and reference).
/// What is owed is read in the same transaction, the campaign's row taken: a second click
/// finds nothing more to reimburse.
pub async fn mark_reimbursed(
    cx: &Context,
    who: &Caller,
    campaign_id: &str,
    slug: &str,
    reference: &str,
) -> Result<i64> {
    let (c, owed) = reimbursements(cx, who, campaign_id).await?;
    let Some(o) = owed.iter().find(|o| o.slug == slug) else {
        return Err(Error::NotFound(format!(
            "the shop \"{slug}\" is not in this campaign"
        )));
    };
    if reference.trim().is_empty() || reference.chars().count() > 200 {
        let mut k = Checks::default();
        k.add("reference", "the payment's reference, 1 to 200 characters");
        k.finish()?;
    }
    let mut tx = cx.begin().await?;
    db::vouchers::lock_campaign(&mut tx, c.id, cx.db.row_lock()).await?;
    let (amount, paid) = db::voucher_accounts::owed_to(&mut tx, c.id, o.merchant_id).await?;
    let due = amount - paid;
    if due <= 0 {
        return Err(Error::Conflict {
            detail: "nothing is owed to this shop".into(),
            field: None,
        });
    }
    db::voucher_accounts::reimburse(
        &mut tx,
        c.id,
        o.merchant_id,
        due,
        reference.trim(),
        cx.clock.now_ms(),
    )
    .await?;
    cx.commit(tx).await?;
    Ok(due)
}

/// Vouchers whose stored balance is not their face value minus their redemptions (none, ever).
pub async fn audit(cx: &Context) -> Result<Vec<(Uuid, i64, i64)>> {
    Ok(db::voucher_accounts::audit(cx.db.pool()).await?)
}

/// The accounting rows as CSV (UTF-8 with a BOM, `;`, decimal comma: what a French
/// spreadsheet opens as is).
pub fn accounting_csv(rows: &[[String; 7]]) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let _ = w.write_record(ACCOUNTING_COLUMNS);
    for r in rows {
        let mut r: Vec<String> = r
            .iter()
            .map(|c| crate::domain::spreadsheet::protect(c.clone()))
            .collect();
        r[4] = r[4].replace('.', ",");
        let _ = w.write_record(&r);
    }
    out.extend(w.into_inner().unwrap_or_default());
    out
}

/// The columns of the accounting exports.
pub const ACCOUNTING_COLUMNS: [&str; 7] = [
    "campagne",
    "commerce",
    "siret",
    "bon",
    "montant_eur",
    "date",
    "id_encaissement",
];

/// The accounting rows as an Excel workbook (amounts as numbers).
pub fn accounting_xlsx(c: &Campaign, rows: &[[String; 7]]) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let xlsx = |e: rust_xlsxwriter::XlsxError| Error::Internal(e.into());
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("0.00");
    let sheet = book.add_worksheet();
    let name: String = c
        .name
        .chars()
        .filter(|ch| !"[]:*?/\\".contains(*ch))
        .take(31)
        .collect();
    if !name.is_empty() {
        sheet.set_name(&name).map_err(xlsx)?;
    }
    for (i, h) in ACCOUNTING_COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(0, i as u16, *h, &bold)
            .map_err(xlsx)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (i, v) in row.iter().enumerate() {
            if i == 4 {
                let n: f64 = v.parse().unwrap_or(0.0);
                sheet
                    .write_number_with_format(r, i as u16, n, &money)
                    .map_err(xlsx)?;
            } else {
                sheet.write_string(r, i as u16, v).map_err(xlsx)?;
            }
        }
    }
    book.save_to_buffer().map_err(xlsx)
}

/// Every campaign's figures and its number of participating shops, for the open data (no
/// person, no voucher, no shop's own takings).
pub async fn public_figures(cx: &Context) -> Result<Vec<(Campaign, Figures, usize)>> {
    let mut out = Vec::new();
    for c in db::vouchers::campaigns(cx.db.pool()).await? {
        let f = figures(cx, &c).await?;
        let shops = participants(cx, &c).await?.len();
        out.push((c, f, shops));
    }
    Ok(out)
}
