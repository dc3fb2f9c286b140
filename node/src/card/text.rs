//! The text of a card: tidied for the font, laid out with kerning, wrapped, shortened with
//! an ellipsis, drawn with anti-aliasing.

use super::*;

/// Tidies `text` for `font`: at most [`MAX_CHARS`] characters are looked at, runs of
/// whitespace and control characters become one space, invisible formatting characters and
/// characters without a glyph are dropped. The flag says whether text was left out at the end.
pub(super) fn clean(text: &str, font: &FontRef) -> (String, bool) {
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
pub(super) fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{E000}'..='\u{F8FF}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}' | '\u{F0000}'..='\u{10FFFF}')
}

/// Letters of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana…), digits excluded.
pub(super) fn right_to_left(c: char) -> bool {
    matches!(c,
        '\u{0590}'..='\u{065F}' | '\u{066A}'..='\u{06EF}' | '\u{06FA}'..='\u{08FF}'
        | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFE}'
        | '\u{10800}'..='\u{10FFF}' | '\u{1E800}'..='\u{1EFFF}')
}

/// Combining marks that must stay after their base letter when a run is reversed.
pub(super) fn combining(c: char) -> bool {
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
pub(super) fn visual_order(line: &str) -> std::borrow::Cow<'_, str> {
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
pub(super) fn layout_line(font: &FontRef, size: f32, text: &str) -> (Vec<(GlyphId, f32)>, f32) {
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
pub(super) fn line_width(font: &FontRef, size: f32, text: &str) -> f32 {
    layout_line(font, size, text).1
}

/// Draws one line of text with its pen starting at (`x`, `baseline`), anti-aliased.
pub(super) fn draw_line(
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
pub(super) fn fit_line(font: &FontRef, size: f32, text: &str, max_width: f32, cut: bool) -> String {
    if !cut && line_width(font, size, text) <= max_width {
        return text.to_string();
    }
    ellipsize(font, size, text, max_width)
}

/// `text` shortened from the end until it fits with a trailing "…".
pub(super) fn ellipsize(font: &FontRef, size: f32, text: &str, max_width: f32) -> String {
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
pub(super) fn wrap(font: &FontRef, size: f32, text: &str, max_width: f32) -> Vec<String> {
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
pub(super) fn fit_title(
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
