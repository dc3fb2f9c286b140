//! A shop's reservation settings: read, checked, changed (owners), and which products can be
//! reserved.

use super::*;

/// A shop's settings (defaults, off, until its owner saves some).
pub async fn settings_of(cx: &Context, merchant: Uuid) -> Result<ReservationSettings> {
    Ok(
        db::reservations::settings(cx.db.pool(), merchant, db::Lock::None)
            .await?
            .unwrap_or_default(),
    )
}

/// The changes a PATCH or the settings form asks for; absent fields are kept.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    /// On or off.
    pub enabled: Option<bool>,
    /// Minutes of preparation.
    pub preparation_minutes: Option<i64>,
    /// Slot length.
    pub slot_minutes: Option<i64>,
    /// Places per slot.
    pub slot_capacity: Option<i64>,
    /// Grace after a slot.
    pub grace_minutes: Option<i64>,
    /// Products not reservable.
    pub excluded_products: Option<Vec<Uuid>>,
}

/// The change a merchant PATCH asks for.
pub fn change_of(p: &crate::model::input::ReservationsPatch) -> Result<SettingsChange> {
    let excluded = match &p.excluded_products {
        None => None,
        Some(ids) => {
            let mut checks = Checks::default();
            let mut out = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                match Uuid::parse_str(id) {
                    Ok(u) => out.push(u),
                    Err(_) => checks.add(
                        format!("reservations.excluded_products[{i}]"),
                        "is not a product id",
                    ),
                }
            }
            checks.finish()?;
            Some(out)
        }
    };
    Ok(SettingsChange {
        enabled: p.enabled,
        preparation_minutes: p.preparation_minutes,
        slot_minutes: p.slot_minutes,
        slot_capacity: p.slot_capacity,
        grace_minutes: p.grace_minutes,
        excluded_products: excluded,
    })
}

/// Checks and applies a change of settings to the current ones.
pub fn changed(current: &ReservationSettings, c: &SettingsChange) -> Result<ReservationSettings> {
    let mut next = current.clone();
    let mut checks = Checks::default();
    let mut range = |field: &str, v: Option<i64>, lo: i64, hi: i64, slot: &mut i64| {
        if let Some(v) = v {
            if (lo..=hi).contains(&v) {
                *slot = v;
            } else {
                checks.add(
                    format!("reservations.{field}"),
                    format!("must be between {lo} and {hi}"),
                );
            }
        }
    };
    range(
        "preparation_minutes",
        c.preparation_minutes,
        0,
        7 * 24 * 60,
        &mut next.preparation_minutes,
    );
    range(
        "slot_minutes",
        c.slot_minutes,
        5,
        240,
        &mut next.slot_minutes,
    );
    range(
        "slot_capacity",
        c.slot_capacity,
        1,
        1000,
        &mut next.slot_capacity,
    );
    range(
        "grace_minutes",
        c.grace_minutes,
        0,
        7 * 24 * 60,
        &mut next.grace_minutes,
    );
    checks.finish()?;
    if let Some(e) = c.enabled {
        next.enabled = e;
    }
    if let Some(x) = &c.excluded_products {
        let mut x = x.clone();
        x.sort_unstable();
        x.dedup();
        next.excluded_products = x;
    }
    Ok(next)
}

/// Saves a shop's settings inside the caller's transaction (the merchant PATCH).
pub async fn save_settings(
    cx: &Context,
    tx: &mut db::Tx,
    merchant: Uuid,
    change: &SettingsChange,
) -> Result<ReservationSettings> {
    let current = db::reservations::settings(&mut **tx, merchant, cx.db.row_lock())
        .await?
        .unwrap_or_default();
    let next = changed(&current, change)?;
    if next != current {
        db::reservations::save_settings(tx, merchant, &next, cx.clock.now_ms()).await?;
    }
    Ok(next)
}

/// Changes a shop's settings (owners and the admin).
pub async fn set_settings(
    cx: &Context,
    who: &Caller,
    slug: &str,
    change: &SettingsChange,
) -> Result<ReservationSettings> {
    let merchant = shop(cx, slug).await?;
    allow(who, Action::EditShop(merchant.id))?;
    let mut tx = cx.begin().await?;
    let next = save_settings(cx, &mut tx, merchant.id, change).await?;
    tx.commit().await?;
    // Pages show the "Réserver" button, or not.
    cx.committed().await;
    Ok(next)
}

/// Whether a product can be reserved now (for pages and documents).
pub async fn reservable(cx: &Context, p: &Product) -> Result<bool> {
    let mut conn = cx.db.pool().acquire().await?;
    crate::domain::read::reservable_in(&mut conn, p).await
}

/// A shop's products (id and name), for choosing which can be reserved: at most 2,000.
pub async fn shop_products(cx: &Context, merchant: Uuid) -> Result<Vec<(Uuid, String)>> {
    Ok(db::products::of_shop(cx.db.pool(), merchant, None, 2000)
        .await?
        .into_iter()
        .map(|p| (p.id, p.fields.name))
        .collect())
}
