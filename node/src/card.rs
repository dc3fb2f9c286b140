//! Share images ("cards") for product and shop links.
//!
//! When a link to a product or a shop is posted on a social network, the network fetches the
//! page's `og:image` and shows it as the preview. This module draws that picture: a
//! [`WIDTH`]×[`HEIGHT`] baseline JPEG of at most [`MAX_BYTES`].
//!
//! With a photo, the photo is cover-cropped into the left square and the text (title, price,
//! shop, town, site) is set on a light panel tinted with the accent colour. Without one, the
//! text is set larger over the full width of a gradient derived from the accent colour. Every
//! text colour is chosen against its background to reach a contrast ratio of at least 4.5:1.
//!
//! Text is set in DejaVu Sans, embedded in the binary (licence in
//! `assets/fonts/LICENSE-DejaVu.txt`). Layout is deliberately simple: one glyph per `char`,
//! kerning from the font's `kern` table, greedy line breaking at spaces, no shaping, and only a
//! rough reversal of right-to-left runs instead of the Unicode bidi algorithm. That covers
//! Latin, Greek, Cyrillic and Hebrew names well (Arabic shows unjoined letters); characters the
//! font has no glyph for (emoji, CJK…) are left out rather than drawn as empty boxes. Only the
//! first 300 characters of each text are looked at, so the work stays bounded.

use std::sync::LazyLock;

use ab_glyph::{point, Font, FontRef, GlyphId, PxScale, ScaleFont};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, GenericImageView, Rgb, RgbImage, RgbaImage};

mod photo;
mod text;

use photo::*;
use text::*;

/// What a card shows.
pub struct CardInput<'a> {
    /// The big text: the product's or the shop's name.
    pub title: &'a str,
    /// The price line, already formatted (e.g. "3,20 € / kg"), if there is one.
    pub price: Option<&'a str>,
    /// The shop's name (for a product card; usually `None` on a shop's own card).
    pub shop: Option<&'a str>,
    /// The town the shop is in.
    pub town: Option<&'a str>,
    /// The site's name, shown small in the footer.
    pub site: &'a str,
    /// The photo to show on the left; any size or pixel format.
    pub photo: Option<&'a DynamicImage>,
    /// The accent colour (sRGB) the card's colours are derived from.
    pub accent: [u8; 3],
}

/// Width of a card in pixels (the size Open Graph consumers prefer).
pub const WIDTH: u32 = 1200;
/// Height of a card in pixels.
pub const HEIGHT: u32 = 630;
/// The most bytes an encoded card may take.
pub const MAX_BYTES: usize = 300 * 1024;

/// JPEG qualities tried in turn until the card fits in [`MAX_BYTES`], each with the most its
/// output can weigh relative to quality 85 (measured on pure noise, the worst case; real
/// photos shrink faster). Steps the first attempt shows cannot fit are skipped.
const QUALITIES: [(u8, f32); 7] = [
    (85, 1.0),
    (77, 0.83),
    (68, 0.69),
    (58, 0.58),
    (47, 0.49),
    (35, 0.37),
    (22, 0.22),
];
/// Only this many characters of any text are looked at.
const MAX_CHARS: usize = 300;
/// The title never takes more lines than this.
const MAX_TITLE_LINES: usize = 3;
/// Contrast ratio colours are picked for (a margin above the 4.5:1 the text must reach, for
/// JPEG artefacts and anti-aliased edges).
const TARGET_CONTRAST: f32 = 5.0;
/// Side of the photo square.
const PHOTO: u32 = HEIGHT;
/// Width of the accent stripe between the photo and the text panel.
const STRIPE: u32 = 8;

static REGULAR_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// The two embedded faces, parsed on first use.
struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| Fonts {
    regular: FontRef::try_from_slice(REGULAR_TTF).expect("embedded DejaVu Sans is a valid font"),
    bold: FontRef::try_from_slice(BOLD_TTF).expect("embedded DejaVu Sans Bold is a valid font"),
});

/// Draws the card and encodes it as JPEG.
///
/// The result is always a baseline JPEG of exactly [`WIDTH`]×[`HEIGHT`] and at most
/// [`MAX_BYTES`]: the quality is lowered step by step from 85 until it fits (a photo of pure
/// noise fits at 47). Should a photo still not fit at the lowest step, the card is drawn
/// without it. Never panics, whatever the text or the photo.
pub fn render(input: &CardInput) -> Vec<u8> {
    let photo = input
        .photo
        .and_then(|p| cover_square(p, PHOTO, photo_palette(input.accent).bg[0]));
    if photo.is_some() {
        if let Some(bytes) = encode_within(&draw(input, photo.as_ref())) {
            return bytes;
        }
    }
    // Text on a gradient is far below the limit at any quality; quality 10 is a backstop.
    let canvas = draw(input, None);
    encode_within(&canvas)
        .or_else(|| encode(&canvas, 10))
        .unwrap_or_default()
}

/// Baseline JPEG at the given quality.
fn encode(canvas: &RgbImage, quality: u8) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(192 * 1024);
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(canvas)
        .ok()?;
    Some(out)
}

/// Encodes at the qualities of [`QUALITIES`] in turn, skipping those that the size at 85
/// shows to be hopeless, and returns the first result that fits.
fn encode_within(canvas: &RgbImage) -> Option<Vec<u8>> {
    let mut first_size = None;
    for (i, &(quality, ratio)) in QUALITIES.iter().enumerate() {
        let last = i + 1 == QUALITIES.len();
        if let Some(size) = first_size {
            if size as f32 * ratio > MAX_BYTES as f32 && !last {
                continue;
            }
        }
        let out = encode(canvas, quality)?;
        if out.len() <= MAX_BYTES {
            return Some(out);
        }
        first_size.get_or_insert(out.len());
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Colours

type Colour = [u8; 3];

const WHITE: Colour = [255, 255, 255];
const BLACK: Colour = [0, 0, 0];
/// Dark text colour (a warm near-black).
const INK: Colour = [27, 28, 32];

/// Relative luminance as defined by WCAG 2.
fn luminance(c: Colour) -> f32 {
    let lin = |v: u8| {
        let v = f32::from(v) / 255.0;
        if v <= 0.040_45 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

/// WCAG 2 contrast ratio between two colours (1 to 21).
fn contrast(a: Colour, b: Colour) -> f32 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// `a` moved towards `b` by `t` (0 = `a`, 1 = `b`).
#[inline]
fn mix(a: Colour, b: Colour, t: f32) -> Colour {
    let t = t.clamp(0.0, 1.0);
    // + 0.5 and truncation rounds these non-negative values without a libm call.
    let channel =
        |i: usize| (f32::from(a[i]) + (f32::from(b[i]) - f32::from(a[i])) * t + 0.5) as u8;
    [channel(0), channel(1), channel(2)]
}

/// `fg`, moved towards black or white (whichever `bg` contrasts with more) just far enough to
/// reach [`TARGET_CONTRAST`] against every colour of `bgs`.
fn legible(fg: Colour, bgs: &[Colour]) -> Colour {
    let darkest = bgs.iter().map(|&c| luminance(c)).fold(1.0, f32::min);
    let lightest = bgs.iter().map(|&c| luminance(c)).fold(0.0, f32::max);
    // Dark text must beat the darkest background, light text the lightest one.
    let towards = if (darkest + 0.05) / 0.05 >= 1.05 / (lightest + 0.05) {
        BLACK
    } else {
        WHITE
    };
    let ok = |c: Colour| bgs.iter().all(|&bg| contrast(c, bg) >= TARGET_CONTRAST);
    (0..=20)
        .map(|step| mix(fg, towards, step as f32 / 20.0))
        .find(|&c| ok(c))
        .unwrap_or(towards)
}

/// `base` moved towards `towards` until `text` reaches [`TARGET_CONTRAST`] on it.
fn background_for(base: Colour, text: Colour, towards: Colour) -> Colour {
    (0..=25)
        .map(|step| mix(base, towards, step as f32 / 25.0))
        .find(|&c| contrast(c, text) >= TARGET_CONTRAST)
        .unwrap_or(towards)
}

/// Every colour a card uses.
#[derive(Debug, Clone, Copy)]
struct Palette {
    /// Background at the top left and at the bottom right (equal for a flat panel).
    bg: [Colour; 2],
    /// Title and shop name.
    ink: Colour,
    /// Town and site name.
    muted: Colour,
    /// The price pill and the text inside it.
    pill: Colour,
    pill_ink: Colour,
    /// Hairline above the footer.
    rule: Colour,
    /// Stripe between photo and panel.
    stripe: Colour,
}

/// Light panel next to a photo, tinted with the accent.
fn photo_palette(accent: Colour) -> Palette {
    let panel = mix(accent, WHITE, 0.9);
    let bg = [panel, panel];
    let ink = legible(INK, &bg);
    let pill = legible(accent, &bg);
    Palette {
        bg,
        ink,
        muted: legible([92, 96, 104], &bg),
        pill,
        pill_ink: legible(WHITE, &[pill]),
        rule: mix(panel, ink, 0.14),
        stripe: accent,
    }
}

/// Full-width gradient in the accent colour, with white text when the accent is dark enough
/// (or can be darkened a little) and dark text on light accents.
fn plain_palette(accent: Colour) -> Palette {
    // Prefer white text: it reads better on a coloured field, and most accents only need a
    // little darkening to carry it.
    let white_text = contrast(WHITE, accent) * 1.4 >= contrast(INK, accent);
    let (text, far) = if white_text {
        (WHITE, BLACK)
    } else {
        (INK, WHITE)
    };
    let start = background_for(accent, text, far);
    let end = mix(start, far, if white_text { 0.32 } else { 0.45 });
    let bg = [start, end];
    let ink = legible(text, &bg);
    Palette {
        bg,
        ink,
        muted: legible(mix(text, start, 0.3), &bg),
        pill: ink,
        pill_ink: legible(start, &[ink]),
        rule: mix(start, ink, 0.3),
        stripe: start,
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing

/// Where and how large the text goes.
struct Layout {
    /// Text column, left and right edges.
    left: f32,
    right: f32,
    /// Top of the title and bottom of the footer.
    top: f32,
    bottom: f32,
    /// Title sizes to try, largest first.
    title_sizes: &'static [f32],
    price: f32,
    shop: f32,
    town: f32,
    site: f32,
}

const PHOTO_LAYOUT: Layout = Layout {
    left: (PHOTO + STRIPE) as f32 + 52.0,
    right: WIDTH as f32 - 52.0,
    top: 58.0,
    bottom: HEIGHT as f32 - 46.0,
    title_sizes: &[62.0, 54.0, 47.0],
    price: 36.0,
    shop: 32.0,
    town: 28.0,
    site: 24.0,
};

const PLAIN_LAYOUT: Layout = Layout {
    left: 84.0,
    right: WIDTH as f32 - 84.0,
    top: 70.0,
    bottom: HEIGHT as f32 - 50.0,
    title_sizes: &[100.0, 86.0, 74.0, 64.0],
    price: 44.0,
    shop: 40.0,
    town: 32.0,
    site: 26.0,
};

/// Paints the whole card (without encoding it).
fn draw(input: &CardInput, photo: Option<&RgbImage>) -> RgbImage {
    let (palette, layout) = match photo {
        Some(_) => (photo_palette(input.accent), &PHOTO_LAYOUT),
        None => (plain_palette(input.accent), &PLAIN_LAYOUT),
    };
    let mut img = background(&palette);
    if let Some(photo) = photo {
        paste(&mut img, photo);
        fill_rect(&mut img, PHOTO, 0, STRIPE, HEIGHT, palette.stripe);
    }
    draw_text(&mut img, input, &palette, layout);
    img
}

/// Copies `photo` into the top left corner of the card, row by row.
fn paste(img: &mut RgbImage, photo: &RgbImage) {
    let w = (photo.width().min(WIDTH) * 3) as usize;
    let (src_stride, dst_stride) = (photo.width() as usize * 3, WIDTH as usize * 3);
    let dst = &mut **img;
    for y in 0..photo.height().min(HEIGHT) as usize {
        dst[y * dst_stride..y * dst_stride + w]
            .copy_from_slice(&photo.as_raw()[y * src_stride..y * src_stride + w]);
    }
}

/// A diagonal gradient between the palette's two background colours.
fn background(palette: &Palette) -> RgbImage {
    let [a, b] = palette.bg;
    if a == b {
        return RgbImage::from_pixel(WIDTH, HEIGHT, Rgb(a));
    }
    // The colour depends on x + y only: compute each one once.
    let span = WIDTH + HEIGHT - 2;
    let ramp: Vec<Colour> = (0..=span)
        .map(|d| {
            let t = d as f32 / span as f32;
            // Ease in and out so the colour change stays gentle near the corners.
            mix(a, b, t * t * (3.0 - 2.0 * t))
        })
        .collect();
    let mut img = RgbImage::new(WIDTH, HEIGHT);
    let (w, dst) = (WIDTH as usize, &mut *img);
    for y in 0..HEIGHT as usize {
        for x in 0..w {
            let [r, g, b] = ramp[x + y];
            let i = (y * w + x) * 3;
            dst[i] = r;
            dst[i + 1] = g;
            dst[i + 2] = b;
        }
    }
    img
}

/// An opaque rectangle, clipped to the card.
fn fill_rect(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, c: Colour) {
    for yy in y..(y + h).min(HEIGHT) {
        for xx in x..(x + w).min(WIDTH) {
            img.put_pixel(xx, yy, Rgb(c));
        }
    }
}

/// Blends `c` over the pixel at (x, y) with coverage `alpha`; outside the image is ignored.
fn blend(img: &mut RgbImage, x: i32, y: i32, c: Colour, alpha: f32) {
    let (w, h) = img.dimensions();
    if alpha <= 0.0 || x < 0 || y < 0 || x as u32 >= w || y as u32 >= h {
        return;
    }
    let i = (y as usize * w as usize + x as usize) * 3;
    let px = &mut (**img)[i..i + 3];
    let [r, g, b] = mix([px[0], px[1], px[2]], c, alpha);
    px.copy_from_slice(&[r, g, b]);
}

/// An anti-aliased rectangle with rounded corners of radius `r`.
fn fill_rounded(img: &mut RgbImage, x0: f32, y0: f32, x1: f32, y1: f32, r: f32, c: Colour) {
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (hw, hh) = ((x1 - x0) / 2.0, (y1 - y0) / 2.0);
    let r = r.min(hw).min(hh).max(0.0);
    for y in y0.floor() as i32..y1.ceil() as i32 {
        for x in x0.floor() as i32..x1.ceil() as i32 {
            // Signed distance from the pixel centre to the rounded rectangle's edge.
            let qx = (x as f32 + 0.5 - cx).abs() - (hw - r);
            let qy = (y as f32 + 0.5 - cy).abs() - (hh - r);
            let outside = qx.max(0.0).hypot(qy.max(0.0)) + qx.max(qy).min(0.0) - r;
            blend(img, x, y, c, (0.5 - outside).clamp(0.0, 1.0));
        }
    }
}

/// Sets all the text of the card in `layout`'s column.
fn draw_text(img: &mut RgbImage, input: &CardInput, palette: &Palette, layout: &Layout) {
    let fonts = &*FONTS;
    let width = layout.right - layout.left;
    let line = |text: Option<&str>, font: &FontRef<'static>, size: f32| {
        let (text, cut) = clean(text.unwrap_or(""), font);
        let text = fit_line(font, size, &text, width, cut);
        (!text.is_empty()).then_some(text)
    };

    // The bottom block, laid out upwards from the bottom edge: site, hairline, town, shop.
    let mut y = layout.bottom;
    let site = line(Some(input.site), &fonts.regular, layout.site);
    if let Some(site) = &site {
        let sf = fonts.regular.as_scaled(layout.site);
        draw_line(
            img,
            &fonts.regular,
            layout.site,
            site,
            layout.left,
            y + sf.descent(),
            palette.muted,
        );
        y -= sf.height();
    }
    y -= 16.0;
    if site.is_some() {
        fill_rect(
            img,
            layout.left as u32,
            y as u32,
            (width as u32).min(96),
            2,
            palette.rule,
        );
    }
    y -= 18.0;
    let town = line(input.town, &fonts.regular, layout.town);
    if let Some(town) = &town {
        let sf = fonts.regular.as_scaled(layout.town);
        draw_line(
            img,
            &fonts.regular,
            layout.town,
            town,
            layout.left,
            y + sf.descent(),
            palette.muted,
        );
        y -= sf.height() + 4.0;
    }
    let shop = line(input.shop, &fonts.bold, layout.shop);
    if let Some(shop) = &shop {
        let sf = fonts.bold.as_scaled(layout.shop);
        draw_line(
            img,
            &fonts.bold,
            layout.shop,
            shop,
            layout.left,
            y + sf.descent(),
            palette.ink,
        );
        y -= sf.height();
    }
    let bottom_block_top = y;

    // The price pill, measured now because the title must leave room for it.
    let pad_x = layout.price * 0.55;
    let price = {
        let (text, cut) = clean(input.price.unwrap_or(""), &fonts.bold);
        let text = fit_line(&fonts.bold, layout.price, &text, width - 2.0 * pad_x, cut);
        (!text.is_empty()).then_some(text)
    };
    let pill_height = layout.price * 1.5;
    let price_room = if price.is_some() {
        pill_height + layout.price * 0.7
    } else {
        0.0
    };

    // The title gets whatever height is left.
    let room = bottom_block_top - 24.0 - layout.top - price_room;
    let (title, cut) = clean(input.title, &fonts.bold);
    let (size, lines) = fit_title(&fonts.bold, layout.title_sizes, &title, cut, width, room);
    let sf = fonts.bold.as_scaled(size);
    let leading = title_leading(size);
    let mut y = layout.top;
    for text in &lines {
        draw_line(
            img,
            &fonts.bold,
            size,
            text,
            layout.left,
            y + sf.ascent(),
            palette.ink,
        );
        y += leading;
    }
    if !lines.is_empty() {
        // Leading adds more space under the last line than the eye wants.
        y += layout.price * 0.7 - (leading - sf.height()).max(0.0);
    }

    if let Some(price) = &price {
        let sf = fonts.bold.as_scaled(layout.price);
        let text_width = line_width(&fonts.bold, layout.price, price);
        let (x0, y0) = (layout.left, y);
        fill_rounded(
            img,
            x0,
            y0,
            x0 + text_width + 2.0 * pad_x,
            y0 + pill_height,
            pill_height / 2.0,
            palette.pill,
        );
        // Centre the font's ascent-to-descent box vertically in the pill.
        let baseline = y0 + (pill_height - sf.height()) / 2.0 + sf.ascent();
        draw_line(
            img,
            &fonts.bold,
            layout.price,
            price,
            x0 + pad_x,
            baseline,
            palette.pill_ink,
        );
    }
}

/// Distance between title baselines.
fn title_leading(size: f32) -> f32 {
    size * 1.02
}

#[cfg(test)]
mod tests;
