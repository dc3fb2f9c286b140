//! Stock held and given back by reservations: the last unit makes a product out of stock (with
//! its `Update`), a unit back from 0 puts it in stock again.

use super::*;

/// Takes `units` of a product's stock (when it is tracked): `Ok(false)` when fewer are left.
/// The last units taken make it out of stock, with an `Update` to its followers.
pub(super) async fn take_stock(
    cx: &Context,
    tx: &mut db::Tx,
    p: &mut Product,
    units: i64,
    now: i64,
) -> Result<bool> {
    let Some(stock) = p.fields.stock else {
        return Ok(true);
    };
    if stock < units {
        return Ok(false);
    }
    set_stock(cx, tx, p, stock - units, now).await?;
    Ok(true)
}

/// Gives `units` back to a product's stock (when tracked and the product still lives).
pub(super) async fn give_back(
    cx: &Context,
    tx: &mut db::Tx,
    product: Uuid,
    units: i64,
    now: i64,
) -> Result<()> {
    if units <= 0 {
        return Ok(());
    }
    let Some(mut p) = db::products::by_id(&mut **tx, product, cx.db.row_lock()).await? else {
        return Ok(());
    };
    if p.deleted_at.is_some() {
        return Ok(());
    }
    if let Some(stock) = p.fields.stock {
        set_stock(cx, tx, &mut p, stock + units, now).await?;
    }
    Ok(())
}

/// Writes a new stock: at 0 the product is out of stock; back from 0, in stock again.
pub(super) async fn set_stock(
    _cx: &Context,
    tx: &mut db::Tx,
    p: &mut Product,
    stock: i64,
    now: i64,
) -> Result<()> {
    let mut fields = p.fields.clone();
    let was = fields.stock.unwrap_or(0);
    fields.stock = Some(stock);
    if stock == 0 && fields.availability == Availability::InStock {
        fields.availability = Availability::OutOfStock;
    } else if stock > 0 && was == 0 && fields.availability == Availability::OutOfStock {
        fields.availability = Availability::InStock;
    }
    db::products::update(tx, p.id, &fields, now).await?;
    if p.fields.announce_change_to(&fields) {
        outbox::record(
            tx,
            now,
            outbox::Verb::Update,
            outbox::Kind::Product,
            p.id,
            p.merchant_id,
        )
        .await?;
    }
    p.fields = fields;
    p.version += 1;
    Ok(())
}
