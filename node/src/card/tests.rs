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
            let d = ((u - bx).powi(2) + (v - by).powi(2) * (h as f32 / w as f32).powi(2)).sqrt();
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
    let float = DynamicImage::ImageRgb32F(Rgb32FImage::from_pixel(50, 80, Rgb([0.2, 0.5, 0.9])));
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
