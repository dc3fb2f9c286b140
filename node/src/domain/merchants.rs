//! Merchants: the shops of the town. Each is an ActivityPub actor with its own key pair; its
//! slug is permanent and never given to another shop, even after deletion.

use uuid::Uuid;

use super::authz::{allow, Action, Caller};
pub use super::merchant_input::{MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};
use crate::db::{self, outbox, Tx};
use crate::domain::Context;
use crate::error::{Error, Result};
pub use crate::model::input::{AddressInput, AddressPatch, MerchantCreate, MerchantPatch};
pub use crate::model::merchant::{Address, Geo, Merchant, MerchantFields};

/// Creates a merchant with its key pair, and records its `create` event.
pub async fn create(cx: &Context, who: &Caller, input: MerchantCreate) -> Result<Merchant> {
    allow(who, Action::CreateShop)?;
    let (slug, fields) = input.validate()?;
    let keys = crate::keys::generate_async().await?;
    let mut tx = cx.db.begin().await?;
    if db::merchants::slug_taken(&mut *tx, &slug).await? {
        return Err(slug_conflict(&slug));
    }
    let merchant = insert(cx, &mut tx, slug, fields, &keys).await?;
    tx.commit().await?;
    cx.committed().await;
    Ok(merchant)
}

/// Inserts a merchant and its `create` event inside a transaction (the demo seeds through this).
pub async fn insert(
    cx: &Context,
    tx: &mut Tx,
    slug: String,
    fields: MerchantFields,
    keys: &crate::keys::PemKeyPair,
) -> Result<Merchant> {
    let now = cx.clock.now_ms();
    let merchant = Merchant {
        id: Uuid::now_v7(),
        ap_id: cx.urls.merchant(&slug).to_string(),
        slug,
        fields,
        public_key_pem: Some(keys.public_pem.clone()),
        version: 1,
        created_at: crate::clock::time(now),
        updated_at: crate::clock::time(now),
        deleted_at: None,
    };
    db::merchants::insert(tx, &merchant, &keys.private_pem)
        .await
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                slug_conflict(&merchant.slug)
            } else {
                e.into()
            }
        })?;
    outbox::record(
        tx,
        now,
        outbox::Verb::Create,
        outbox::Kind::Merchant,
        merchant.id,
        merchant.id,
    )
    .await?;
    Ok(merchant)
}

fn slug_conflict(slug: &str) -> Error {
    Error::Conflict {
        detail: format!("the slug \"{slug}\" is taken (slugs of deleted shops are never reused)"),
        field: Some("slug".into()),
    }
}

/// Finds a live merchant: 404 when unknown, 410 when deleted.
pub async fn get(cx: &Context, slug: &str) -> Result<Merchant> {
    live(db::merchants::by_slug(cx.db.pool(), slug).await?, slug)
}

/// 404 for no merchant, 410 for a deleted one.
pub fn live(found: Option<Merchant>, slug: &str) -> Result<Merchant> {
    match found {
        None => Err(Error::NotFound(format!("no shop \"{slug}\""))),
        Some(m) if m.deleted_at.is_some() => {
            Err(Error::Deleted(format!("the shop \"{slug}\" was deleted")))
        }
        Some(m) => Ok(m),
    }
}

/// Applies a PATCH; records an `update` event when something changed.
pub async fn update(
    cx: &Context,
    who: &Caller,
    slug: &str,
    mut patch: MerchantPatch,
) -> Result<Merchant> {
    let reservations = patch.reservations.take();
    let change = match &reservations {
        Some(r) => Some(super::reservations::change_of(r)?),
        None => None,
    };
    let mut tx = cx.db.begin().await?;
    let current = live(
        db::merchants::by_slug_locked(&mut *tx, slug, cx.db.row_lock()).await?,
        slug,
    )?;
    allow(who, Action::EditShop(current.id))?;
    let fields = patch.apply(slug, &current.fields)?;
    if let Some(change) = &change {
        super::reservations::save_settings(cx, &mut tx, current.id, change).await?;
    }
    if fields == current.fields {
        tx.commit().await?;
        if change.is_some() {
            cx.committed().await;
        }
        return Ok(current);
    }
    let now = cx.clock.now_ms();
    db::merchants::update(&mut tx, current.id, &fields, now).await?;
    outbox::record(
        &mut tx,
        now,
        outbox::Verb::Update,
        outbox::Kind::Merchant,
        current.id,
        current.id,
    )
    .await?;
    tx.commit().await?;
    cx.committed().await;
    Ok(Merchant {
        fields,
        version: current.version + 1,
        updated_at: crate::clock::time(now),
        ..current
    })
}

/// Deletes a merchant with its products and tokens; the slug is never reused.
pub async fn delete(cx: &Context, who: &Caller, slug: &str) -> Result<()> {
    let mut tx = cx.db.begin().await?;
    let current = live(
        db::merchants::by_slug_locked(&mut *tx, slug, cx.db.row_lock()).await?,
        slug,
    )?;
    allow(who, Action::DeleteShop(current.id))?;
    let now = cx.clock.now_ms();
    db::merchants::mark_deleted(&mut tx, current.id, now).await?;
    outbox::record(
        &mut tx,
        now,
        outbox::Verb::Delete,
        outbox::Kind::Merchant,
        current.id,
        current.id,
    )
    .await?;
    tx.commit().await?;
    cx.committed().await;
    Ok(())
}
