//! The photo of a card: the centre square, flattened over the panel colour and resampled
//! (a fixed-point Lanczos3, with a box average first for large reductions).

use super::*;

/// The centre square of `photo`, flattened over `under` (for transparent pictures) and
/// resampled to `side`×`side`; `None` for an empty image.
pub(super) fn cover_square(photo: &DynamicImage, side: u32, under: Colour) -> Option<RgbImage> {
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
pub(super) fn flatten(img: &RgbaImage, x0: u32, y0: u32, n: u32, under: Colour) -> RgbImage {
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
pub(super) fn box_reduce(src: &RgbImage, x0: u32, y0: u32, n: u32, factor: u32) -> RgbImage {
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
pub(super) const WEIGHT_BITS: u32 = 14;

/// The filter: Lanczos with three lobes.
pub(super) fn lanczos3(x: f32) -> f32 {
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
pub(super) fn filter_taps(src: u32, dst: u32) -> Vec<(usize, Vec<i16>)> {
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
pub(super) fn to_u8(acc: i32) -> u8 {
    ((acc + (1 << (WEIGHT_BITS - 1))) >> WEIGHT_BITS).clamp(0, 255) as u8
}

/// Resamples the `n`×`n` square of `src` at (`x0`, `y0`) to `side`×`side` (separable Lanczos3
/// in fixed point; columns first, as that pass runs over whole rows and vectorises well).
pub(super) fn resample(src: &RgbImage, x0: u32, y0: u32, n: u32, side: u32) -> RgbImage {
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
