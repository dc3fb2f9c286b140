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

/// The centre square of `photo`, flattened over `under` (for transparent pictures) and
/// resampled to `side`×`side`; `None` for an empty image.
fn cover_square(photo: &DynamicImage, side: u32, under: Colour) -> Option<RgbImage> {
    let (w, h) = photo.dimensions();
    let crop = w.min(h);
    if crop == 0 || side == 0 {
        return None;
    }
    let (x0, y0) = ((w - crop) / 2, (h - crop) / 2);
    let flattened;
    let (src, x0, y0) = match photo {
        // The common case (a decoded JPEG) is read in place.
        DynamicImage::ImageRgb8(rgb) => (rgb, x0, y0),
        DynamicImage::ImageRgba8(rgba) => {
            flattened = flatten(rgba, x0, y0, crop, under);
            (&flattened, 0, 0)
        }
        other => {
            let rgba = other.crop_imm(x0, y0, crop, crop).to_rgba8();
            flattened = flatten(&rgba, 0, 0, crop, under);
            (&flattened, 0, 0)
        }
    };
    // A box average by a whole factor first brings huge photos down to at most twice the
    // target, so the filter below never needs more than a dozen taps.
    let factor = crop / (side * 2);
    if factor >= 2 {
        let reduced = box_reduce(src, x0, y0, crop, factor);
        Some(resample(&reduced, 0, 0, crop / factor, side))
    } else {
        Some(resample(src, x0, y0, crop, side))
    }
}

// The loops below index plain slices rather than chaining iterator adapters: the workspace's
// release profile turns LTO off, which also stops generic helpers from other codegen units
// being inlined, and adapters in a hot loop then cost a call per pixel.

/// The `n`×`n` square of `img` at (`x0`, `y0`), composited over an opaque colour.
fn flatten(img: &RgbaImage, x0: u32, y0: u32, n: u32, under: Colour) -> RgbImage {
    let (n, x0, y0) = (n as usize, x0 as usize, y0 as usize);
    let (stride, raw) = (img.width() as usize * 4, img.as_raw());
    let under = under.map(u32::from);
    let mut out = RgbImage::new(n as u32, n as u32);
    let dst = &mut *out;
    for y in 0..n {
        let start = (y0 + y) * stride + x0 * 4;
        let row = &raw[start..start + n * 4];
        let out_row = &mut dst[y * n * 3..(y + 1) * n * 3];
        for x in 0..n {
            let a = u32::from(row[x * 4 + 3]);
            for c in 0..3 {
                let v = u32::from(row[x * 4 + c]) * a + under[c] * (255 - a);
                out_row[x * 3 + c] = ((v + 127) / 255) as u8;
            }
        }
    }
    out
}

/// Averages `factor`×`factor` blocks of the `n`×`n` square of `src` at (`x0`, `y0`).
fn box_reduce(src: &RgbImage, x0: u32, y0: u32, n: u32, factor: u32) -> RgbImage {
    let (out_side, f) = ((n / factor) as usize, factor as usize);
    let (x0, y0) = (x0 as usize, y0 as usize);
    let (stride, raw) = (src.width() as usize * 3, src.as_raw());
    let row_len = out_side * f * 3;
    // Multiplying by the reciprocal is much cheaper than dividing millions of times.
    let inverse = 1.0 / (factor * factor) as f32;
    let mut out = RgbImage::new(out_side as u32, out_side as u32);
    let dst = &mut *out;
    // Column sums over a band of `factor` rows (a contiguous loop that vectorises), then
    // sums of `factor` pixels along the band.
    let mut columns = vec![0u32; row_len];
    for oy in 0..out_side {
        for sum in columns.iter_mut() {
            *sum = 0;
        }
        for dy in 0..f {
            let start = (y0 + oy * f + dy) * stride + x0 * 3;
            let row = &raw[start..start + row_len];
            let columns = &mut columns[..row_len];
            for i in 0..row_len {
                columns[i] += u32::from(row[i]);
            }
        }
        let out_row = &mut dst[oy * out_side * 3..(oy + 1) * out_side * 3];
        for ox in 0..out_side {
            for c in 0..3 {
                let mut sum = 0;
                for k in 0..f {
                    sum += columns[(ox * f + k) * 3 + c];
                }
                out_row[ox * 3 + c] = (sum as f32 * inverse + 0.5) as u8;
            }
        }
    }
    out
}

/// Fixed-point precision of filter weights.
const WEIGHT_BITS: u32 = 14;

/// The filter: Lanczos with three lobes.
fn lanczos3(x: f32) -> f32 {
    let x = x.abs();
    if x < 1e-6 {
        1.0
    } else if x < 3.0 {
        let px = std::f32::consts::PI * x;
        3.0 * px.sin() * (px / 3.0).sin() / (px * px)
    } else {
        0.0
    }
}

/// For each of `dst` output samples, the first source sample it reads and the fixed-point
/// weights of the consecutive source samples.
fn filter_taps(src: u32, dst: u32) -> Vec<(usize, Vec<i16>)> {
    let ratio = src as f32 / dst as f32;
    // When shrinking, the kernel is widened to cover every source sample.
    let scale = ratio.max(1.0);
    let support = 3.0 * scale;
    (0..dst)
        .map(|i| {
            let centre = (i as f32 + 0.5) * ratio;
            let lo = ((centre - support).floor().max(0.0) as usize).min(src as usize - 1);
            let hi = ((centre + support).ceil() as usize).clamp(lo + 1, src as usize);
            let raw: Vec<f32> = (lo..hi)
                .map(|j| lanczos3((j as f32 + 0.5 - centre) / scale))
                .collect();
            let sum: f32 = raw.iter().sum();
            let one = (1 << WEIGHT_BITS) as f32;
            let weights = if sum.abs() < 1e-6 {
                // Cannot happen with this kernel; fall back to the nearest sample.
                let mut w = vec![0i16; raw.len()];
                w[((centre as usize).saturating_sub(lo)).min(raw.len() - 1)] = 1 << WEIGHT_BITS;
                w
            } else {
                // Lanczos weights stay within (-0.25, 1.25]: they fit an i16 at this precision.
                raw.iter().map(|w| (w / sum * one).round() as i16).collect()
            };
            (lo, weights)
        })
        .collect()
}

/// A fixed-point filter sum back to a channel value.
#[inline]
fn to_u8(acc: i32) -> u8 {
    ((acc + (1 << (WEIGHT_BITS - 1))) >> WEIGHT_BITS).clamp(0, 255) as u8
}

/// Resamples the `n`×`n` square of `src` at (`x0`, `y0`) to `side`×`side` (separable Lanczos3
/// in fixed point; columns first, as that pass runs over whole rows and vectorises well).
fn resample(src: &RgbImage, x0: u32, y0: u32, n: u32, side: u32) -> RgbImage {
    let taps = filter_taps(n, side);
    let (stride, raw) = (src.width() as usize * 3, src.as_raw());
    let (x0, y0, side) = (x0 as usize, y0 as usize, side as usize);
    // Vertical pass: `side` rows of n pixels.
    let row_len = n as usize * 3;
    let mut mid = vec![0u8; side * row_len];
    let mut acc = vec![0i32; row_len];
    for (i, (lo, weights)) in taps.iter().enumerate() {
        let acc = &mut acc[..row_len];
        for a in acc.iter_mut() {
            *a = 0;
        }
        for (k, &w) in weights.iter().enumerate() {
            let start = (y0 + lo + k) * stride + x0 * 3;
            let row = &raw[start..start + row_len];
            let w = i32::from(w);
            for j in 0..row_len {
                acc[j] += w * i32::from(row[j]);
            }
        }
        let mid_row = &mut mid[i * row_len..(i + 1) * row_len];
        for j in 0..row_len {
            mid_row[j] = to_u8(acc[j]);
        }
    }
    // Horizontal pass.
    let mut out = RgbImage::new(side as u32, side as u32);
    let dst = &mut *out;
    for y in 0..side {
        let row = &mid[y * row_len..(y + 1) * row_len];
        let out_row = &mut dst[y * side * 3..(y + 1) * side * 3];
        for (x, (lo, weights)) in taps.iter().enumerate() {
            let span = &row[lo * 3..(lo + weights.len()) * 3];
            let (mut r, mut g, mut b) = (0i32, 0i32, 0i32);
            for (k, &w) in weights.iter().enumerate() {
                let w = i32::from(w);
                r += w * i32::from(span[k * 3]);
                g += w * i32::from(span[k * 3 + 1]);
                b += w * i32::from(span[k * 3 + 2]);
            }
            out_row[x * 3] = to_u8(r);
            out_row[x * 3 + 1] = to_u8(g);
            out_row[x * 3 + 2] = to_u8(b);
        }
    }
    out
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

// ---------------------------------------------------------------------------------------------
// Text

/// Tidies `text` for `font`: at most [`MAX_CHARS`] characters are looked at, runs of
/// whitespace and control characters become one space, invisible formatting characters and
/// characters without a glyph are dropped. The flag says whether text was left out at the end.
fn clean(text: &str, font: &FontRef) -> (String, bool) {
    let mut out = String::new();
    let mut space = false;
    let mut chars = text.chars();
    for c in chars.by_ref().take(MAX_CHARS) {
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
        } else if !invisible(c) && font.glyph_id(c).0 != 0 {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    // Whatever follows the cut counts only if it would have shown (look a bounded distance).
    let cut = chars
        .take(MAX_CHARS)
        .any(|c| !c.is_whitespace() && !c.is_control());
    (out, cut)
}

/// Format and other invisible characters that fonts may nevertheless map to a glyph.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{E000}'..='\u{F8FF}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}' | '\u{F0000}'..='\u{10FFFF}')
}

/// Letters of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana…), digits excluded.
fn right_to_left(c: char) -> bool {
    matches!(c,
        '\u{0590}'..='\u{065F}' | '\u{066A}'..='\u{06EF}' | '\u{06FA}'..='\u{08FF}'
        | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFE}'
        | '\u{10800}'..='\u{10FFF}' | '\u{1E800}'..='\u{1EFFF}')
}

/// Combining marks that must stay after their base letter when a run is reversed.
fn combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}' | '\u{0591}'..='\u{05BD}' | '\u{05BF}' | '\u{05C1}'
        | '\u{05C2}' | '\u{05C4}' | '\u{05C5}' | '\u{05C7}' | '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}'
        | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// A rough visual order for one line: each run of right-to-left letters (with the spaces and
/// marks inside it) is reversed, cluster by cluster; everything else stays left to right.
/// Not the Unicode bidi algorithm, but it reads right for words of Hebrew in a Latin line and
/// for lines wholly in Hebrew. (Arabic letters are not shaped.)
fn visual_order(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.chars().any(right_to_left) {
        return line.into();
    }
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        if !right_to_left(chars[i]) || combining(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run ends after its last right-to-left letter or mark (trailing spaces stay).
        let mut end = i + 1;
        let mut j = i + 1;
        while j < chars.len() && (right_to_left(chars[j]) || combining(chars[j]) || chars[j] == ' ')
        {
            j += 1;
            if chars[j - 1] != ' ' {
                end = j;
            }
        }
        let mut clusters: Vec<&[char]> = Vec::new();
        let mut k = i;
        while k < end {
            let start = k;
            k += 1;
            while k < end && combining(chars[k]) {
                k += 1;
            }
            clusters.push(&chars[start..k]);
        }
        for cluster in clusters.iter().rev() {
            out.extend(cluster.iter());
        }
        i = end;
    }
    out.into()
}

/// Glyphs of one line with their pen positions, starting at 0.
fn layout_line(font: &FontRef, size: f32, text: &str) -> (Vec<(GlyphId, f32)>, f32) {
    let sf = font.as_scaled(PxScale::from(size));
    let mut x = 0.0;
    let mut prev = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(prev) = prev {
            x += sf.kern(prev, id);
        }
        glyphs.push((id, x));
        x += sf.h_advance(id);
        prev = Some(id);
    }
    (glyphs, x)
}

/// Advance width of `text` on one line.
fn line_width(font: &FontRef, size: f32, text: &str) -> f32 {
    layout_line(font, size, text).1
}

/// Draws one line of text with its pen starting at (`x`, `baseline`), anti-aliased.
fn draw_line(
    img: &mut RgbImage,
    font: &FontRef,
    size: f32,
    text: &str,
    x: f32,
    baseline: f32,
    colour: Colour,
) {
    let scale = PxScale::from(size);
    for (id, dx) in layout_line(font, size, &visual_order(text)).0 {
        let glyph = id.with_scale_and_position(scale, point(x + dx, baseline));
        let Some(outline) = font.outline_glyph(glyph) else {
            continue; // spaces and empty glyphs
        };
        let bounds = outline.px_bounds();
        let (ox, oy) = (bounds.min.x as i32, bounds.min.y as i32);
        outline.draw(|gx, gy, coverage| {
            blend(
                img,
                ox + gx as i32,
                oy + gy as i32,
                colour,
                coverage.min(1.0),
            );
        });
    }
}

/// `text` on one line of at most `max_width`, ending in "…" when it had to be shortened or
/// when `cut` says text was already left out.
fn fit_line(font: &FontRef, size: f32, text: &str, max_width: f32, cut: bool) -> String {
    if !cut && line_width(font, size, text) <= max_width {
        return text.to_string();
    }
    ellipsize(font, size, text, max_width)
}

/// `text` shortened from the end until it fits with a trailing "…".
fn ellipsize(font: &FontRef, size: f32, text: &str, max_width: f32) -> String {
    // First guess in one pass: the characters whose advance ends within the room left for
    // "…" (one glyph per char); the loop below then settles kerning and trailing spaces.
    let room = max_width - line_width(font, size, "…");
    let sf = font.as_scaled(PxScale::from(size));
    let (glyphs, _) = layout_line(font, size, text);
    let mut kept: Vec<char> = text
        .chars()
        .zip(&glyphs)
        .take_while(|(_, &(id, x))| x + sf.h_advance(id) <= room)
        .map(|(c, _)| c)
        .collect();
    loop {
        while kept.last().is_some_and(|c| c.is_whitespace()) {
            kept.pop();
        }
        let mut candidate: String = kept.iter().collect();
        candidate.push('…');
        if kept.is_empty() || line_width(font, size, &candidate) <= max_width {
            return candidate;
        }
        kept.pop();
    }
}

/// Breaks `text` into lines of at most `max_width`, at spaces; a word wider than a line is
/// cut wherever it overflows.
fn wrap(font: &FontRef, size: f32, text: &str, max_width: f32) -> Vec<String> {
    let fits = |s: &str| line_width(font, size, s) <= max_width;
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let joined = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if fits(&joined) {
            current = joined;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // The word alone, cut into line-sized pieces if it must be.
        for c in word.chars() {
            current.push(c);
            if !fits(&current) && current.chars().count() > 1 {
                current.pop();
                lines.push(std::mem::replace(&mut current, c.to_string()));
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Picks the largest title size at which `text` fits in at most [`MAX_TITLE_LINES`] lines and
/// `max_height`; failing that, the smallest size with the last line ending in "…".
fn fit_title(
    font: &FontRef,
    sizes: &[f32],
    text: &str,
    cut: bool,
    max_width: f32,
    max_height: f32,
) -> (f32, Vec<String>) {
    let mut result = (sizes.last().copied().unwrap_or(48.0), Vec::new());
    for (i, &size) in sizes.iter().enumerate() {
        let by_height = ((max_height - size) / title_leading(size)).floor().max(0.0) as usize + 1;
        let max_lines = by_height.min(MAX_TITLE_LINES);
        let mut lines = wrap(font, size, text, max_width);
        let overflow = lines.len() > max_lines;
        if overflow && i + 1 < sizes.len() {
            continue;
        }
        if overflow || cut {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                *last = ellipsize(font, size, last, max_width);
            }
        }
        result = (size, lines);
        break;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgb32FImage, Rgba};

    fn input<'a>(title: &'a str, photo: Option<&'a DynamicImage>) -> CardInput<'a> {
        CardInput {
            title,
            price: Some("3,20 € / kg"),
            shop: Some("Fromagerie Martin"),
            town: Some("Saint-Étienne"),
            site: "etal.example",
            photo,
            accent: [200, 112, 44],
        }
    }

    /// Decodes a card, checking it is a baseline JPEG of the right size and weight.
    fn check(bytes: &[u8]) -> RgbImage {
        assert!(bytes.len() <= MAX_BYTES, "{} bytes", bytes.len());
        assert_eq!(frame_type(bytes), Some(0xC0), "not a baseline JPEG");
        let img = image::load_from_memory_with_format(bytes, ImageFormat::Jpeg)
            .expect("card decodes")
            .to_rgb8();
        assert_eq!(img.dimensions(), (WIDTH, HEIGHT));
        img
    }

    /// The start-of-frame marker of a JPEG (0xC0 for baseline).
    fn frame_type(bytes: &[u8]) -> Option<u8> {
        let mut i = 2;
        while i + 4 <= bytes.len() && bytes[i] == 0xFF {
            let marker = bytes[i + 1];
            if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
                return Some(marker);
            }
            i += 2 + usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        }
        None
    }

    /// Deterministic pseudo-random bytes (xorshift).
    fn noise(seed: u64) -> impl FnMut() -> u8 {
        let mut s = seed | 1;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        }
    }

    /// Something photo-like: a warm gradient with soft round "fruits" and a little grain.
    fn fake_photo(w: u32, h: u32) -> DynamicImage {
        let mut grain = noise(7);
        let blobs = [
            (0.30, 0.40, 0.22, [196, 38, 34]),
            (0.62, 0.55, 0.20, [232, 150, 30]),
            (0.45, 0.75, 0.18, [120, 160, 50]),
        ];
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
            let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
            let mut c = mix([236, 224, 200], [150, 110, 80], v);
            for &(bx, by, r, col) in &blobs {
                let d =
                    ((u - bx).powi(2) + (v - by).powi(2) * (h as f32 / w as f32).powi(2)).sqrt();
                if d < r {
                    let shade = 1.0 - 0.5 * (d / r).powi(2);
                    c = mix(BLACK, col, shade);
                }
            }
            let g = grain() as f32 / 255.0 * 14.0 - 7.0;
            Rgb(c.map(|v| (f32::from(v) + g).clamp(0.0, 255.0) as u8))
        }))
    }

    #[test]
    fn fonts_parse() {
        assert_ne!(FONTS.regular.glyph_id('é').0, 0);
        assert_ne!(FONTS.bold.glyph_id('…').0, 0);
        assert_ne!(FONTS.bold.glyph_id('€').0, 0);
    }

    #[test]
    fn card_with_photo_is_a_baseline_jpeg() {
        let photo = fake_photo(900, 700);
        let img = check(&render(&input("Tomme de Savoie fermière", Some(&photo))));
        // The photo is on the left, the light panel on the right.
        let left = img.get_pixel(300, 300).0;
        let right = img.get_pixel(1150, 20).0;
        assert!(luminance(right) > 0.7, "{right:?}");
        assert_ne!(left, right);
    }

    #[test]
    fn card_without_photo() {
        for accent in [
            [200, 112, 44],
            [250, 220, 40],
            [20, 20, 20],
            [255, 255, 255],
            [46, 86, 156],
        ] {
            let card = CardInput {
                accent,
                ..input("Pain de campagne au levain", None)
            };
            let img = check(&render(&card));
            // The title is drawn: its area holds both background and ink.
            let lums: Vec<f32> = (70..170)
                .flat_map(|y| (84..700).map(move |x| (x, y)))
                .map(|(x, y)| luminance(img.get_pixel(x, y).0))
                .collect();
            let (lo, hi) = lums
                .iter()
                .fold((1f32, 0f32), |(a, b), &l| (a.min(l), b.max(l)));
            assert!(hi - lo > 0.4, "accent {accent:?}: title not visible");
        }
    }

    #[test]
    fn noisy_photo_fits() {
        let mut rnd = noise(42);
        let photo = DynamicImage::ImageRgb8(RgbImage::from_fn(2000, 1500, |_, _| {
            Rgb([rnd(), rnd(), rnd()])
        }));
        let bytes = render(&input("Bruit", Some(&photo)));
        check(&bytes);
    }

    #[test]
    fn odd_photos() {
        let tiny = DynamicImage::ImageRgb8(RgbImage::from_fn(3, 2, |x, y| {
            Rgb([x as u8 * 100, y as u8 * 200, 50])
        }));
        let tall = fake_photo(40, 4000);
        let wide = fake_photo(5000, 30);
        let single = DynamicImage::ImageRgb8(RgbImage::from_pixel(1, 1, Rgb([9, 200, 9])));
        let empty = DynamicImage::ImageRgb8(RgbImage::new(0, 0));
        let flat = DynamicImage::ImageRgb8(RgbImage::new(0, 50));
        let clear = DynamicImage::ImageRgba8(RgbaImage::from_pixel(64, 64, Rgba([255, 0, 0, 0])));
        let float =
            DynamicImage::ImageRgb32F(Rgb32FImage::from_pixel(50, 80, Rgb([0.2, 0.5, 0.9])));
        let gray = DynamicImage::ImageLuma16(image::ImageBuffer::from_pixel(
            80,
            50,
            image::Luma([40_000u16]),
        ));
        for photo in [
            &tiny, &tall, &wide, &single, &empty, &flat, &clear, &float, &gray,
        ] {
            check(&render(&input("Confiture", Some(photo))));
        }
        // A fully transparent photo shows the panel colour, not black.
        let img = check(&render(&input("Confiture", Some(&clear))));
        assert!(luminance(img.get_pixel(300, 300).0) > 0.7);
    }

    #[test]
    fn resampling_keeps_flat_colours_and_centres() {
        // A flat colour stays exactly flat, whether shrunk, box-reduced first or enlarged.
        for (w, h) in [(1500, 1000), (3000, 2600), (7, 300)] {
            let photo = DynamicImage::ImageRgb8(RgbImage::from_pixel(w, h, Rgb([10, 200, 90])));
            let square = cover_square(&photo, PHOTO, WHITE).unwrap();
            assert_eq!(square.dimensions(), (PHOTO, PHOTO));
            assert!(square.pixels().all(|p| p.0 == [10, 200, 90]), "{w}×{h}");
        }
        // The crop is centred: side bands of a wide photo are cut off.
        let banded = DynamicImage::ImageRgb8(RgbImage::from_fn(3000, 1000, |x, _| {
            Rgb(if (1000..2000).contains(&x) {
                [0, 0, 255]
            } else {
                [255, 0, 0]
            })
        }));
        let square = cover_square(&banded, PHOTO, WHITE).unwrap();
        assert!(square.pixels().all(|p| p.0 == [0, 0, 255]));
        // Transparent pixels take the colour underneath.
        let clear = DynamicImage::ImageRgba8(RgbaImage::from_pixel(9, 9, Rgba([0, 0, 0, 0])));
        let square = cover_square(&clear, PHOTO, [1, 2, 3]).unwrap();
        assert!(square.pixels().all(|p| p.0 == [1, 2, 3]));
        assert!(cover_square(&DynamicImage::new_rgb8(0, 9), PHOTO, WHITE).is_none());
    }

    #[test]
    fn weird_text_never_panics() {
        let long = "Saucisson sec ".repeat(800);
        let word = "a".repeat(10_000);
        let texts = [
            "",
            " ",
            "\n\t\r\u{0}\u{7}\u{1b}[31m",
            "🍎🍐🧀 emoji only 👨‍👩‍👧‍👦",
            "北京烤鸭 東京 김치",
            "خبز عربي طازج",
            "לחם טרי",
            "\u{202E}desrever\u{202C} \u{200B}\u{FEFF}\u{2066}",
            "e\u{301}\u{302}\u{303}\u{304}\u{305}\u{306} Z̷̢̛̪͎a̵̳̐l̸̩̈g̶̙̀o̷̞͝",
            "\u{FFFF}\u{10FFFF}\u{E000}\u{1F3FB}",
            long.as_str(),
            word.as_str(),
            "W",
        ];
        let photo = fake_photo(64, 64);
        for (i, &t) in texts.iter().enumerate() {
            // Each text in one layout (alternating), and the longest in both.
            let photo = (i % 2 == 0 || t.len() > 1000).then_some(&photo);
            let card = CardInput {
                title: t,
                price: Some(t),
                shop: Some(t),
                town: Some(t),
                site: t,
                photo,
                accent: [96, 100, 108],
            };
            check(&render(&card));
            if t.len() > 1000 {
                check(&render(&CardInput {
                    photo: None,
                    ..card
                }));
            }
        }
        let none = CardInput {
            price: None,
            shop: None,
            town: None,
            ..input("", None)
        };
        check(&render(&none));
    }

    #[test]
    fn clean_tidies_and_bounds() {
        let font = &FONTS.regular;
        assert_eq!(
            clean("  a \n\t b\u{200B}c 🍎 ", font),
            ("a bc".to_string(), false)
        );
        assert_eq!(clean("", font), (String::new(), false));
        let (text, cut) = clean(&"x".repeat(10_000), font);
        assert_eq!(text.chars().count(), MAX_CHARS);
        assert!(cut);
        let (_, cut) = clean(&format!("{}{}", "x".repeat(MAX_CHARS), "   \n"), font);
        assert!(!cut);
    }

    #[test]
    fn title_wraps_to_three_lines_with_ellipsis() {
        let font = &FONTS.bold;
        let width = 460.0;
        let text = "Terrine de campagne au poivre vert et aux noisettes torréfiées du Piémont, \
                    recette de la grand-mère, pot de 180 grammes";
        let (size, lines) = fit_title(font, &[60.0, 50.0], text, false, width, 400.0);
        assert_eq!(size, 50.0);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with('…'));
        for line in &lines {
            assert!(line_width(font, size, line) <= width, "{line}");
        }
        // A short title takes the largest size, without ellipsis.
        let (size, lines) = fit_title(font, &[60.0, 50.0], "Miel", false, width, 400.0);
        assert_eq!((size, lines), (60.0, vec!["Miel".to_string()]));
        // A word longer than the line is cut.
        let lines = wrap(font, 50.0, &"m".repeat(40), width);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| line_width(font, 50.0, l) <= width));
        // Not enough height: fewer lines.
        let (_, lines) = fit_title(font, &[50.0], text, false, width, 60.0);
        assert_eq!(lines.len(), 1);
    }

    #[test]
    fn right_to_left_runs_are_reversed() {
        assert!(matches!(
            visual_order("Miel"),
            std::borrow::Cow::Borrowed("Miel")
        ));
        assert_eq!(visual_order("Pain אבג דה 12"), "Pain הד גבא 12");
        // Points stay after their letter.
        assert_eq!(visual_order("ש\u{5B8}ל"), "לש\u{5B8}");
        assert_eq!(visual_order("\u{5B8}"), "\u{5B8}");
        assert_eq!(visual_order("شاي "), "ياش ");
    }

    #[test]
    fn colours_are_legible_for_any_accent() {
        let steps = [0u8, 40, 90, 128, 160, 200, 230, 255];
        for &r in &steps {
            for &g in &steps {
                for &b in &steps {
                    let accent = [r, g, b];
                    for p in [photo_palette(accent), plain_palette(accent)] {
                        for bg in p.bg {
                            for fg in [p.ink, p.muted] {
                                assert!(
                                    contrast(fg, bg) >= 4.5,
                                    "accent {accent:?}: {fg:?} on {bg:?}"
                                );
                            }
                        }
                        assert!(
                            contrast(p.pill_ink, p.pill) >= 4.5,
                            "accent {accent:?}: pill"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn contrast_matches_wcag() {
        assert!((contrast(WHITE, BLACK) - 21.0).abs() < 0.01);
        assert!((contrast([118, 118, 118], WHITE) - 4.54).abs() < 0.02);
    }

    /// Prints the time one render takes for photos of the sizes the media store keeps; run
    /// with `cargo test --release -- --ignored timings --nocapture`.
    #[test]
    #[ignore]
    fn timings() {
        let mut rnd = noise(42);
        let noisy = DynamicImage::ImageRgb8(RgbImage::from_fn(2000, 1500, |_, _| {
            Rgb([rnd(), rnd(), rnd()])
        }));
        let photos = [
            ("no photo", None),
            ("400×300", Some(fake_photo(400, 300))),
            ("1200×900", Some(fake_photo(1200, 900))),
            ("2048×1536", Some(fake_photo(2048, 1536))),
            ("4000×3000", Some(fake_photo(4000, 3000))),
            ("noise 2000×1500", Some(noisy)),
        ];
        for (name, photo) in &photos {
            let card = input("Tomme de Savoie fermière affinée six mois", photo.as_ref());
            let bytes = render(&card);
            let mut times: Vec<_> = (0..15)
                .map(|_| {
                    let start = std::time::Instant::now();
                    std::hint::black_box(render(&card));
                    start.elapsed()
                })
                .collect();
            times.sort();
            println!(
                "{name}: {} bytes, median {:?}, fastest {:?}",
                bytes.len(),
                times[times.len() / 2],
                times[0]
            );
        }
    }

    /// Writes sample cards (JPEG, and PNG copies of what they decode to) to the temporary
    /// directory; run with `cargo test --release -- --ignored samples --nocapture`.
    #[test]
    #[ignore]
    fn samples() {
        let dir = std::env::temp_dir();
        let photo = fake_photo(1600, 1200);
        let with_photo = CardInput {
            title: "Tomme de Savoie fermière affinée six mois en cave",
            price: Some("3,20 € / kg"),
            shop: Some("Fromagerie Martin"),
            town: Some("Annecy"),
            site: "etal.example",
            photo: Some(&photo),
            accent: [200, 112, 44],
        };
        let plain = CardInput {
            title: "Pain de campagne au levain naturel",
            price: Some("4,50 €"),
            shop: Some("Boulangerie du Marché"),
            town: Some("Saint-Étienne"),
            site: "etal.example",
            photo: None,
            accent: [52, 124, 84],
        };
        let mut rnd = noise(42);
        let noisy = DynamicImage::ImageRgb8(RgbImage::from_fn(2000, 1500, |_, _| {
            Rgb([rnd(), rnd(), rnd()])
        }));
        let noisy_card = CardInput {
            photo: Some(&noisy),
            ..input("Bruit blanc", None)
        };
        let tall = fake_photo(300, 900);
        let long = CardInput {
            title: "Terrine de campagne au poivre vert et aux noisettes torréfiées du Piémont, \
                    recette de la grand-mère",
            price: Some("12,90 € le pot de 180 g, dégustation offerte le samedi matin"),
            shop: Some("Charcuterie artisanale des Monts du Lyonnais et du Forez réunis"),
            town: Some("Saint-Symphorien-sur-Coise"),
            photo: Some(&tall),
            accent: [136, 38, 68],
            ..with_photo
        };
        let light = CardInput {
            title: "Miel de châtaignier 🍯 — Ελληνικό μέλι, мёд, 蜂蜜, עסל Supercalifragilisticexpialidocious",
            price: None,
            accent: [250, 214, 60],
            ..plain
        };
        for (name, card) in [
            ("photo", &with_photo),
            ("plain", &plain),
            ("noise", &noisy_card),
            ("long", &long),
            ("light", &light),
        ] {
            let bytes = render(card);
            println!("{name}: {} bytes", bytes.len());
            std::fs::write(dir.join(format!("card-sample-{name}.jpg")), &bytes).unwrap();
            // A lossless copy of what the JPEG decodes to, for viewers without JPEG support.
            let decoded = image::load_from_memory(&bytes).unwrap();
            decoded
                .save(dir.join(format!("card-sample-{name}.png")))
                .unwrap();
        }
    }
}
