//! Photos: decoding (JPEG, PNG, WebP), EXIF orientation applied then every metadata block
//! dropped by re-encoding, resized copies, blurhash. Files live under `{data_dir}/media/`.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView, ImageDecoder, ImageFormat, ImageReader, Limits};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The copies kept of each photo: name and longest side in pixels.
const VARIANTS: [(&str, u32); 3] = [("full", 2048), ("large", 1200), ("small", 400)];

/// One stored copy of a photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// `full` (≤ 2048 px), `large` (≤ 1200 px, for previews) or `small` (≤ 400 px).
    pub name: String,
    /// Path under the media folder, also the path under `/media/`.
    pub path: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// A processed photo, written to disk.
#[derive(Debug, Clone)]
pub struct Processed {
    /// Width of the `full` copy, upright.
    pub width: u32,
    /// Height of the `full` copy, upright.
    pub height: u32,
    /// Blurhash (4×3 components).
    pub blurhash: String,
    /// `image/jpeg`, or `image/png` for photos with transparency.
    pub media_type: &'static str,
    /// Every stored copy.
    pub variants: Vec<Variant>,
}

/// Why a photo was refused.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Not JPEG, PNG or WebP.
    #[error("only JPEG, PNG and WebP photos are accepted")]
    Unsupported,
    /// Announced as an image but unreadable.
    #[error("the file is not a readable image: {0}")]
    Corrupt(String),
    /// More pixels than [`MAX_PIXELS`].
    #[error("the photo has {0} megapixels; at most 40 are accepted")]
    TooLarge(u64),
    /// Disk trouble.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Most pixels a photo may have (a 48 MP phone camera bins to 12 MP; 40 MP leaves room for
/// real cameras). Checked from the file's header, before anything is decoded: a small file
/// may announce a huge image (a 1 MB PNG of 16384×16384 decodes to 1 GiB).
pub const MAX_PIXELS: u64 = 40_000_000;

/// Megapixels decoded at once across the node: one photo at the pixel limit, or several
/// smaller ones. A decoded photo takes 3 or 4 bytes a pixel, so this bounds what decoding
/// holds at about 200 MB whatever the mix of uploads.
pub const DECODE_BUDGET_MP: u32 = 48;

static DECODING: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| {
        std::sync::Arc::new(tokio::sync::Semaphore::new(DECODE_BUDGET_MP as usize))
    });

/// Waits for room to decode a photo of `pixels` (from its header, [`probe`]): the permit is
/// the room, given back when dropped.
pub async fn decode_room(pixels: u64) -> tokio::sync::OwnedSemaphorePermit {
    let mp = pixels
        .div_ceil(1_000_000)
        .clamp(1, u64::from(DECODE_BUDGET_MP)) as u32;
    DECODING
        .clone()
        .acquire_many_owned(mp)
        .await
        .expect("the decoding budget is never closed")
}

/// Bytes of uploaded files held in memory at once across the node (photos, logos and
/// spreadsheets while their request is read and handled).
pub const UPLOAD_BUDGET_BYTES: usize = 128 * 1024 * 1024;
const UPLOAD_UNIT: usize = 64 * 1024;

static UPLOADS: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| {
        std::sync::Arc::new(tokio::sync::Semaphore::new(
            UPLOAD_BUDGET_BYTES / UPLOAD_UNIT,
        ))
    });

/// The share of [`UPLOAD_BUDGET_BYTES`] a request's files hold; given back when dropped.
#[derive(Debug, Default)]
pub struct Buffered {
    bytes: usize,
    held: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// The node holds as many uploaded bytes as it takes at once: try again shortly.
#[derive(Debug, thiserror::Error)]
#[error("the node is busy reading other uploads: try again in a minute")]
pub struct Busy;

impl Buffered {
    /// Counts `more` bytes, or refuses at once if the node holds its budget already.
    pub fn grow(&mut self, more: usize) -> Result<(), Busy> {
        let units = |b: usize| b.div_ceil(UPLOAD_UNIT);
        let need = units(self.bytes + more) - units(self.bytes);
        if need > 0 {
            let permit = UPLOADS
                .clone()
                .try_acquire_many_owned(need as u32)
                .map_err(|_| Busy)?;
            match self.held.as_mut() {
                Some(held) => held.merge(permit),
                None => self.held = Some(permit),
            }
        }
        self.bytes += more;
        Ok(())
    }
}

/// A photo's format and size, read from its header only.
pub fn probe(data: &[u8]) -> Result<(ImageFormat, u32, u32), MediaError> {
    let format = image::guess_format(data).map_err(|_| MediaError::Unsupported)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(MediaError::Unsupported);
    }
    let (w, h) = ImageReader::with_format(Cursor::new(data), format)
        .into_dimensions()
        .map_err(|e| MediaError::Corrupt(e.to_string()))?;
    let pixels = u64::from(w) * u64::from(h);
    if pixels > MAX_PIXELS {
        return Err(MediaError::TooLarge(pixels.div_ceil(1_000_000)));
    }
    Ok((format, w, h))
}

/// Reads the text of the QR code in a photo (a voucher's, shown on a phone or printed), if
/// one is found. The photo is bounded as uploads are (format, 40 megapixels), then looked at
/// in grey at most 1,600 pixels wide.
pub fn read_qr(data: &[u8]) -> Result<Option<String>, MediaError> {
    let (format, _, _) = probe(data)?;
    let mut reader = ImageReader::with_format(Cursor::new(data), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    let corrupt = |e: image::ImageError| MediaError::Corrupt(e.to_string());
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let orientation = decoder.orientation().map_err(corrupt)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    if img.width().max(img.height()) > 1600 {
        img = img.thumbnail(1600, 1600);
    }
    img.apply_orientation(orientation);
    let grey = img.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(grey);
    for grid in prepared.detect_grids() {
        if let Ok((_, text)) = grid.decode() {
            return Ok(Some(text));
        }
    }
    Ok(None)
}

/// The media folder of a data dir.
pub fn media_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("media")
}

/// Decodes, orients, resizes and stores a photo as `id`'s copies under `media_dir`.
pub fn process(data: &[u8], media_dir: &Path, id: Uuid) -> Result<Processed, MediaError> {
    let (format, w, h) = probe(data)?;
    let mut reader = ImageReader::with_format(Cursor::new(data), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    // 40 MP of RGBA, and no more.
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    let corrupt = |e: image::ImageError| MediaError::Corrupt(e.to_string());
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let orientation = decoder.orientation().map_err(corrupt)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    // Made small before it is turned upright: turning copies the whole image.
    let full = VARIANTS[0].1;
    if w.max(h) > 2 * full {
        img = img.thumbnail(full, full);
    }
    img.apply_orientation(orientation);
    store(img, media_dir, id)
}

/// Stores an already decoded, upright image (the demo's generated photos come this way).
pub fn store(img: DynamicImage, media_dir: &Path, id: Uuid) -> Result<Processed, MediaError> {
    // Looked at in place: a copy of a 40-megapixel photo is 160 MB.
    let transparent = match &img {
        DynamicImage::ImageRgba8(buf) => buf.pixels().any(|p| p.0[3] < 255),
        DynamicImage::ImageLumaA8(buf) => buf.pixels().any(|p| p.0[1] < 255),
        other if other.color().has_alpha() => other.pixels().any(|(_, _, p)| p.0[3] < 255),
        _ => false,
    };
    let (ext, media_type) = if transparent {
        ("png", "image/png")
    } else {
        ("jpg", "image/jpeg")
    };
    let id_text = id.simple().to_string();
    let shard = &id_text[id_text.len() - 2..];
    let rel_dir = format!("i/{shard}");
    let dir = media_dir.join(&rel_dir);
    std::fs::create_dir_all(&dir)?;
    let mut variants = Vec::new();
    let mut current = img;
    for (name, max) in VARIANTS {
        let (w, h) = current.dimensions();
        if w.max(h) > 2 * max {
            // From a large photo, averaging areas: the filtered resize would hold an
            // intermediate of the source's width at 16 bytes a pixel (180 MB at 40 MP).
            current = current.thumbnail(max, max);
        } else if w.max(h) > max {
            current = current.resize(max, max, FilterType::CatmullRom);
        }
        let (w, h) = current.dimensions();
        let file = format!("{id}-{name}.{ext}");
        let bytes = encode(&current, transparent)?;
        let tmp = dir.join(format!(".{file}.tmp"));
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, dir.join(&file))?;
        variants.push(Variant {
            name: name.to_string(),
            path: format!("{rel_dir}/{file}"),
            width: w,
            height: h,
        });
    }
    let blurhash = blurhash(&current.thumbnail(32, 32).to_rgba8(), 4, 3);
    Ok(Processed {
        width: variants[0].width,
        height: variants[0].height,
        blurhash,
        media_type,
        variants,
    })
}

fn encode(img: &DynamicImage, transparent: bool) -> Result<Vec<u8>, MediaError> {
    let mut out = Cursor::new(Vec::new());
    let result = if transparent {
        img.to_rgba8().write_to(&mut out, ImageFormat::Png)
    } else {
        let rgb = img.to_rgb8();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&rgb)
    };
    result.map_err(|e| MediaError::Io(std::io::Error::other(e)))?;
    Ok(out.into_inner())
}

/// Removes the files of stored variants (after their row is gone).
pub fn remove(media_dir: &Path, variants: &[Variant]) {
    for v in variants {
        if let Err(e) = std::fs::remove_file(media_dir.join(&v.path)) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %v.path, error = %e, "cannot remove media file");
            }
        }
    }
}

/// Encodes an image as a blurhash with `nx` × `ny` components (Mastodon keeps ≤ 5 each).
pub fn blurhash(img: &image::RgbaImage, nx: u32, ny: u32) -> String {
    let (w, h) = img.dimensions();
    // Only fails for components outside 1..=9 or an empty image: neither happens here.
    blurhash::encode(nx, ny, w, h, img.as_raw()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blurhash_of_a_flat_colour_is_stable() {
        let img = image::RgbaImage::from_pixel(8, 8, image::Rgba([255, 0, 0, 255]));
        let hash = blurhash(&img, 4, 3);
        assert_eq!(hash.len(), 1 + 1 + 4 + 2 * 11);
        // Size flag for 4×3, then the DC term: red (the reference encoders round black to 0
        // or 1).
        assert!(hash.starts_with('L'), "{hash}");
        const DIGITS: &str =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";
        let dc = hash[2..6]
            .chars()
            .fold(0u32, |v, c| v * 83 + DIGITS.find(c).unwrap() as u32);
        let (r, g, b) = (dc >> 16, (dc >> 8) & 255, dc & 255);
        assert!(r == 255 && g <= 1 && b <= 1, "{hash}: {r} {g} {b}");
    }

    #[test]
    fn unsupported_formats_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = process(b"GIF89a....", dir.path(), Uuid::now_v7()).unwrap_err();
        assert!(matches!(err, MediaError::Unsupported));
        let err = process(b"\x89PNG\r\n\x1a\nbroken", dir.path(), Uuid::now_v7()).unwrap_err();
        assert!(matches!(err, MediaError::Corrupt(_)));
    }
}
