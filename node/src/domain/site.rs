//! The node's own settings, set by its admin: name, description, who runs it, contact, the
//! licence of its open data, its logo.

use super::authz::{allow, Action, Caller};
use crate::config::Licence;
use crate::db;
use crate::domain::Context;
use crate::error::{Checks, Error, Result};

/// What the settings page sends.
#[derive(Debug, Clone, Default)]
pub struct SiteInput {
    /// The node's name (required).
    pub name: String,
    /// About the node.
    pub description: String,
    /// Who runs it.
    pub operator: String,
    /// E-mail address or URL.
    pub contact: String,
    /// `etalab-2.0` or `odbl-1.0`.
    pub licence: String,
    /// A new logo (PNG, JPEG or WebP), if one was sent.
    pub logo: Option<bytes::Bytes>,
    /// Remove the logo.
    pub remove_logo: bool,
    /// Let shopkeepers sign up themselves.
    pub signup_open: bool,
}

/// Largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 2 * 1024 * 1024;
/// Logos are scaled to fit this square.
pub const LOGO_SIZE: u32 = 256;

/// Checks and saves the settings, then every page shows them.
pub async fn update(cx: &Context, who: &Caller, input: SiteInput) -> Result<()> {
    allow(who, Action::RunNode)?;
    let mut checks = Checks::default();
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        checks.add("name", "must be 1 to 100 characters");
    }
    let description = input.description.trim().to_string();
    if description.chars().count() > 1000 {
        checks.add("description", "must be at most 1,000 characters");
    }
    let operator = input.operator.trim().to_string();
    if operator.chars().count() > 200 {
        checks.add("operator", "must be at most 200 characters");
    }
    let contact = input.contact.trim().to_string();
    if contact.chars().count() > 200 || contact.chars().any(char::is_control) {
        checks.add("contact", "must be an e-mail address or a URL");
    }
    let licence = Licence::parse(input.licence.trim()).unwrap_or_else(|| {
        checks.add("licence", "must be etalab-2.0 or odbl-1.0");
        Licence::default()
    });
    checks.finish()?;
    // The logo is decoded and drawn before the transaction begins.
    let logo = match input.logo {
        Some(data) => Some(save_logo(cx, data).await?),
        None => None,
    };
    let mut tx = cx.db.begin().await?;
    for (key, value) in [
        ("site.name", name.as_str()),
        ("site.description", description.as_str()),
        ("site.operator", operator.as_str()),
        ("site.contact", contact.as_str()),
        ("site.licence", licence.code()),
        ("site.signup", if input.signup_open { "1" } else { "" }),
    ] {
        db::settings::set(&mut tx, key, value).await?;
    }
    if let Some(path) = &logo {
        db::settings::set(&mut tx, "site.logo", path).await?;
    } else if input.remove_logo {
        db::settings::set(&mut tx, "site.logo", "").await?;
    }
    tx.commit().await?;
    cx.reload_site().await?;
    cx.committed().await;
    Ok(())
}

/// Scales a logo into a PNG under the media folder; returns its path there.
async fn save_logo(cx: &Context, data: bytes::Bytes) -> Result<String> {
    if data.len() > MAX_LOGO_BYTES {
        return Err(Error::field("logo", "must be at most 2 MB"));
    }
    let dir = cx.media_dir().join("site");
    // At most 4000 × 4000 pixels: room for 16 megapixels in the node's decoding budget.
    let room = crate::media::decode_room(16_000_000).await;
    tokio::task::spawn_blocking(move || {
        let _room = room;
        let bad = || {
            Error::field(
                "logo",
                "must be a PNG, JPEG or WebP image of at most 4,000 × 4,000 pixels",
            )
        };
        let mut reader = image::ImageReader::new(std::io::Cursor::new(&data[..]))
            .with_guessed_format()
            .map_err(|_| bad())?;
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(4000);
        limits.max_image_height = Some(4000);
        limits.max_alloc = Some(128 * 1024 * 1024);
        reader.limits(limits);
        let img = reader.decode().map_err(|_| bad())?;
        let img = img.resize(LOGO_SIZE, LOGO_SIZE, image::imageops::FilterType::Lanczos3);
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png)
            .map_err(|e| Error::Internal(e.into()))?;
        let png = png.into_inner();
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &png);
        let hex: String = digest.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let name = format!("logo-{hex}.png");
        std::fs::create_dir_all(&dir).map_err(|e| Error::Internal(e.into()))?;
        std::fs::write(dir.join(&name), &png).map_err(|e| Error::Internal(e.into()))?;
        Ok(format!("site/{name}"))
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?
}
