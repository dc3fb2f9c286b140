//! Generated pictures for shops that have none yet: a monogram avatar and a header banner in
//! the colour of the shop's category, so every profile looks finished on Mastodon.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};

/// 5×7 glyphs, one row per byte (low five bits, leftmost pixel first).
fn glyph(c: char) -> [u8; 7] {
    match c {
        'A' => [14, 17, 17, 31, 17, 17, 17],
        'B' => [30, 17, 17, 30, 17, 17, 30],
        'C' => [14, 17, 16, 16, 16, 17, 14],
        'D' => [30, 17, 17, 17, 17, 17, 30],
        'E' => [31, 16, 16, 30, 16, 16, 31],
        'F' => [31, 16, 16, 30, 16, 16, 16],
        'G' => [14, 17, 16, 23, 17, 17, 15],
        'H' => [17, 17, 17, 31, 17, 17, 17],
        'I' => [14, 4, 4, 4, 4, 4, 14],
        'J' => [7, 2, 2, 2, 2, 18, 12],
        'K' => [17, 18, 20, 24, 20, 18, 17],
        'L' => [16, 16, 16, 16, 16, 16, 31],
        'M' => [17, 27, 21, 21, 17, 17, 17],
        'N' => [17, 17, 25, 21, 19, 17, 17],
        'O' => [14, 17, 17, 17, 17, 17, 14],
        'P' => [30, 17, 17, 30, 16, 16, 16],
        'Q' => [14, 17, 17, 17, 21, 18, 13],
        'R' => [30, 17, 17, 30, 20, 18, 17],
        'S' => [15, 16, 16, 14, 1, 1, 30],
        'T' => [31, 4, 4, 4, 4, 4, 4],
        'U' => [17, 17, 17, 17, 17, 17, 14],
        'V' => [17, 17, 17, 17, 17, 10, 4],
        'W' => [17, 17, 17, 21, 21, 21, 10],
        'X' => [17, 17, 10, 4, 10, 17, 17],
        'Y' => [17, 17, 10, 4, 4, 4, 4],
        'Z' => [31, 1, 2, 4, 8, 16, 31],
        '0' => [14, 17, 19, 21, 25, 17, 14],
        '1' => [4, 12, 4, 4, 4, 4, 14],
        '2' => [14, 17, 1, 2, 4, 8, 31],
        '3' => [31, 2, 4, 2, 1, 17, 14],
        '4' => [2, 6, 10, 18, 31, 2, 2],
        '5' => [31, 16, 30, 1, 1, 17, 14],
        '6' => [6, 8, 16, 30, 17, 17, 14],
        '7' => [31, 1, 2, 4, 8, 8, 8],
        '8' => [14, 17, 17, 14, 17, 17, 14],
        '9' => [14, 17, 17, 15, 1, 2, 12],
        _ => [0, 14, 14, 14, 14, 14, 0],
    }
}

/// The colour of a category family.
pub fn colour(category: Option<&str>) -> [u8; 3] {
    match category.and_then(|c| c.split('.').next()) {
        Some("food") => [200, 112, 44],
        Some("drinks") => [136, 38, 68],
        Some("restaurant") => [190, 74, 56],
        Some("fashion") => [112, 66, 146],
        Some("home") => [52, 124, 84],
        Some("culture") => [46, 86, 156],
        Some("health-beauty") => [188, 80, 130],
        Some("services") => [70, 96, 118],
        _ => [96, 100, 108],
    }
}

fn initials(name: &str) -> Vec<char> {
    let plain = deunicode::deunicode(name).to_uppercase();
    let words: Vec<&str> = plain
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() > 2 || w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let mut out: Vec<char> = words
        .iter()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    if out.is_empty() {
        out = plain
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(1)
            .collect();
    }
    out
}

fn png(img: RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .expect("PNG encoding in memory");
    out.into_inner()
}

/// A 400×400 PNG monogram.
pub fn icon(name: &str, category: Option<&str>) -> Vec<u8> {
    let bg = colour(category);
    let size = 400u32;
    let letters = initials(name);
    let cell = if letters.len() > 1 { 22 } else { 34 };
    let (gw, gh) = (5 * cell, 7 * cell);
    let gap = cell;
    let total_w = letters.len() as u32 * gw + (letters.len() as u32).saturating_sub(1) * gap;
    let (x0, y0) = ((size - total_w) / 2, (size - gh) / 2);
    let mut img = RgbImage::from_fn(size, size, |x, y| {
        let t = (x + y) as f32 / (2 * size) as f32;
        Rgb(bg.map(|c| (c as f32 * (1.1 - 0.25 * t)).min(255.0) as u8))
    });
    for (i, ch) in letters.iter().enumerate() {
        let rows = glyph(*ch);
        let gx = x0 + i as u32 * (gw + gap);
        for (r, bits) in rows.iter().enumerate() {
            for col in 0..5u32 {
                if bits & (1 << (4 - col)) != 0 {
                    for dy in 0..cell {
                        for dx in 0..cell {
                            img.put_pixel(
                                gx + col * cell + dx,
                                y0 + r as u32 * cell + dy,
                                Rgb([250, 248, 244]),
                            );
                        }
                    }
                }
            }
        }
    }
    png(img)
}

/// A 1500×500 PNG banner.
pub fn header(category: Option<&str>) -> Vec<u8> {
    let c = colour(category);
    let img = RgbImage::from_fn(1500, 500, |x, y| {
        let wave = ((x as f32 / 90.0).sin() * 18.0 + (y as f32 / 60.0).cos() * 12.0) / 255.0;
        let t = x as f32 / 1500.0;
        Rgb(c.map(|v| ((v as f32 / 255.0 * (0.7 + 0.5 * t) + wave).clamp(0.0, 1.0) * 255.0) as u8))
    });
    png(img)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_skip_short_words_and_accents() {
        assert_eq!(initials("Boulangerie Martin"), ['B', 'M']);
        assert_eq!(initials("Épicerie de la Gare"), ['E', 'G']);
        assert_eq!(initials("Le 7"), ['7']);
        assert_eq!(initials("Au"), ['A']);
        let png = icon("Fleurs de Lys", Some("home.florist"));
        assert!(png.starts_with(b"\x89PNG"));
    }
}

/// Generated pictures kept in memory: a picture depends only on the shop's name and category,
/// so each is drawn once (drawing costs tens of milliseconds of CPU, and anyone may ask).
#[derive(Debug, Default)]
pub struct Cache {
    pictures: std::sync::Mutex<std::collections::HashMap<CacheKey, bytes::Bytes>>,
    drawn: std::sync::atomic::AtomicU64,
}

type CacheKey = (bool, String, Option<String>);

/// Pictures kept at most; past that the cache starts again (each costs a few kilobytes).
const CACHE_ENTRIES: usize = 4096;

impl Cache {
    /// The icon (`icon` true, from the name and category) or header (from the category).
    pub async fn get(&self, is_icon: bool, name: &str, category: Option<&str>) -> bytes::Bytes {
        let key: CacheKey = (
            is_icon,
            if is_icon {
                name.to_string()
            } else {
                String::new()
            },
            category.map(str::to_string),
        );
        if let Some(b) = self.pictures.lock().expect("avatar cache").get(&key) {
            return b.clone();
        }
        let (k, name, category) = key.clone();
        let drawn = tokio::task::spawn_blocking(move || {
            if k {
                icon(&name, category.as_deref())
            } else {
                header(category.as_deref())
            }
        })
        .await
        .expect("drawing a picture does not panic");
        let drawn = bytes::Bytes::from(drawn);
        self.drawn
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut pictures = self.pictures.lock().expect("avatar cache");
        if pictures.len() >= CACHE_ENTRIES {
            pictures.clear();
        }
        pictures.insert(key, drawn.clone());
        drawn
    }

    /// How many pictures were drawn (not served from the cache).
    pub fn drawn(&self) -> u64 {
        self.drawn.load(std::sync::atomic::Ordering::Relaxed)
    }
}
