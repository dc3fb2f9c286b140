//! Product photos: at most four a product, ordered; each change is announced as an update of
//! the product.

use uuid::Uuid;

use super::authz::{allow, Action, Caller};
use super::products::{self, parse_id};
use super::Patch;
use crate::db::{self, outbox};
use crate::domain::Context;
use crate::error::{Error, Result};
use crate::media::{self, MediaError};
pub use crate::model::image::Image;
pub use crate::model::input::ImagePatch;

/// Photos a product may have.
pub const MAX_IMAGES: i64 = 4;

fn check_alt(alt: Option<String>) -> Result<Option<String>> {
    let alt = super::clean(alt);
    super::max_chars(&alt, 1500).map_err(|m| Error::field("alt", m))?;
    Ok(alt)
}

/// Adds a photo to a product.
pub async fn upload(
    cx: &Context,
    who: &Caller,
    product_id: &str,
    data: bytes::Bytes,
    alt: Option<String>,
) -> Result<Image> {
    let product = products::get(cx, product_id).await?;
    product.check_local()?;
    allow(who, Action::EditProducts(product.merchant_id))?;
    let alt = check_alt(alt)?;
    if product.images.len() as i64 >= MAX_IMAGES {
        return Err(too_many());
    }
    // One limit for every door (the API, the dashboard's forms).
    if data.len() > media::MAX_UPLOAD_BYTES {
        return Err(Error::TooLarge(format!(
            "a photo may be at most {} MB",
            media::MAX_UPLOAD_BYTES / 1024 / 1024
        )));
    }
    let (_, w, h) = media::probe(&data).map_err(media_error)?;
    let id = Uuid::now_v7();
    let dir = cx.media_dir();
    // Decoding takes a core and up to 4 bytes a pixel: photos wait for room in the node's
    // budget, in proportion to their size.
    let slot = media::decode_room(u64::from(w) * u64::from(h)).await;
    // The permit goes into the decoding task: a cancelled request does not free it early.
    let processed = tokio::task::spawn_blocking(move || {
        let decoded = media::process(&data, &dir, id);
        drop(slot);
        decoded
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?
    .map_err(media_error)?;
    let image = Image {
        id,
        product_id: product.id,
        position: 0,
        alt,
        width: processed.width as i64,
        height: processed.height as i64,
        blurhash: processed.blurhash,
        media_type: processed.media_type.to_string(),
        variants: processed.variants,
        created_at: crate::clock::time(cx.clock.now_ms()),
    };
    match attach(cx, image.clone()).await {
        Ok(image) => Ok(image),
        Err(e) => {
            media::remove(&cx.media_dir(), &image.variants);
            Err(e)
        }
    }
}

fn media_error(e: MediaError) -> Error {
    match e {
        MediaError::Unsupported => Error::UnsupportedFormat(e.to_string()),
        MediaError::Corrupt(_) | MediaError::TooLarge(_) => Error::field("file", e.to_string()),
        MediaError::Io(io) => Error::Internal(io.into()),
    }
}

fn too_many() -> Error {
    Error::field("file", format!("a product has at most {MAX_IMAGES} photos"))
}

async fn attach(cx: &Context, mut image: Image) -> Result<Image> {
    let mut tx = cx.db.begin().await?;
    let product = products::live(
        db::products::by_id(&mut *tx, image.product_id, cx.db.row_lock()).await?,
        image.product_id,
    )?;
    let count = db::images::count(&mut *tx, product.id).await?;
    if count >= MAX_IMAGES {
        return Err(too_many());
    }
    image.position = count;
    db::images::insert(&mut *tx, &image).await?;
    changed(&mut tx, &product, cx.clock.now_ms()).await?;
    tx.commit().await?;
    cx.committed().await;
    Ok(image)
}

async fn changed(tx: &mut db::Tx, product: &products::Product, now: i64) -> Result<()> {
    db::products::touch(tx, product.id, now).await?;
    outbox::record(
        tx,
        now,
        outbox::Verb::Update,
        outbox::Kind::Product,
        product.id,
        product.merchant_id,
    )
    .await?;
    Ok(())
}

async fn locked(
    cx: &Context,
    tx: &mut db::Tx,
    who: &Caller,
    product_id: &str,
    image_id: &str,
) -> Result<(products::Product, Vec<Image>, usize)> {
    let pid = parse_id(product_id)?;
    let product = products::live(
        db::products::by_id(&mut **tx, pid, cx.db.row_lock()).await?,
        pid,
    )?;
    product.check_local()?;
    allow(who, Action::EditProducts(product.merchant_id))?;
    let images = db::images::for_product(&mut **tx, pid).await?;
    let index = images
        .iter()
        .position(|i| i.id.to_string() == image_id)
        .ok_or_else(|| Error::NotFound(format!("no photo \"{image_id}\" on this product")))?;
    Ok((product, images, index))
}

/// Changes a photo's alt text or position.
pub async fn update(
    cx: &Context,
    who: &Caller,
    product_id: &str,
    image_id: &str,
    patch: ImagePatch,
) -> Result<Image> {
    let mut tx = cx.db.begin().await?;
    let (product, mut images, index) = locked(cx, &mut tx, who, product_id, image_id).await?;
    let mut image = images.remove(index);
    let alt = match patch.alt {
        Patch::Keep => image.alt.clone(),
        Patch::Clear => None,
        Patch::Set(a) => check_alt(Some(a))?,
    };
    let position = patch.position.unwrap_or(image.position);
    if !(0..=images.len() as i64).contains(&position) {
        return Err(Error::field(
            "position",
            format!("must be between 0 and {}", images.len()),
        ));
    }
    if alt == image.alt && position == image.position {
        return Ok(image);
    }
    image.alt = alt;
    images.insert(position as usize, image);
    for (i, img) in images.iter_mut().enumerate() {
        img.position = i as i64;
    }
    db::images::save_order_and_alt(&mut tx, &images).await?;
    changed(&mut tx, &product, cx.clock.now_ms()).await?;
    tx.commit().await?;
    cx.committed().await;
    Ok(images.swap_remove(position as usize))
}

/// Removes a photo and its files.
pub async fn delete(cx: &Context, who: &Caller, product_id: &str, image_id: &str) -> Result<()> {
    let mut tx = cx.db.begin().await?;
    let (product, mut images, index) = locked(cx, &mut tx, who, product_id, image_id).await?;
    let removed = images.remove(index);
    db::images::delete(&mut *tx, removed.id).await?;
    for (i, img) in images.iter_mut().enumerate() {
        img.position = i as i64;
    }
    db::images::save_order_and_alt(&mut tx, &images).await?;
    changed(&mut tx, &product, cx.clock.now_ms()).await?;
    tx.commit().await?;
    cx.committed().await;
    media::remove(&cx.media_dir(), &removed.variants);
    Ok(())
}
