//! Real inputs (the fediverse fixtures captured from GoToSocial, Mitra and Fedify, the spec's
//! change feed example, spreadsheets and opening hours as people write them) and the
//! mutations applied to them.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path, ext: &str, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.to_string_lossy().ends_with(ext) {
            out.push(std::fs::read(&path).expect("a fixture"));
        }
    }
}

/// The spec's examples of one schema (the JSON blocks after `<!-- example schema="…" -->`).
fn spec_examples(schema: &str) -> Vec<Vec<u8>> {
    let spec = std::fs::read_to_string(root().join("spec/README.md")).expect("the spec");
    let marker = format!("<!-- example schema=\"{schema}\"");
    spec.match_indices(&marker)
        .filter_map(|(at, _)| {
            let rest = &spec[at..];
            let start = rest.find("```json")? + "```json".len();
            let end = rest[start..].find("```")?;
            Some(rest.as_bytes()[start..start + end].to_vec())
        })
        .collect()
}

/// Real inputs of one kind: `json` (activities and documents), `changes` (change feed pages),
/// `csv` (spreadsheets), `hours` (opening hours).
pub fn fixtures(kind: &str) -> Vec<Vec<u8>> {
    let mut out = vec![];
    match kind {
        "json" => {
            files(&root().join("protocol/tests/fixtures"), ".json", &mut out);
            for schema in [
                "product-note",
                "merchant-actor",
                "activity-create",
                "activity-announce",
                "webfinger",
                "nodeinfo",
                "ordered-collection-page",
            ] {
                out.extend(spec_examples(schema));
            }
        }
        "changes" => out.extend(spec_examples("open-data/changes")),
        "csv" => {
            for file in [
                "\u{feff}sku;name;price;unit_type;on_hand;available;category;tags\nP1;Pain de campagne;3,20 €;pièce;12;;Boulangerie, pâtisserie;levain|bio\nP2;Comté 18 mois;29,90;kg;;épuisé;food;\n",
                "name,price,description\n\"Miel, toutes fleurs\",\"8,50\",\"Pot de 500 g\nrécolte de juillet\"\n",
                "id;sku;name;description;category;units;unit_type;price;on_hand;available;tags;gtin\n;A1;'=1+1;desc;food.bakery;1;piece;1,00;3;in_stock;a|b;3760012345670\n",
                "name\tprice\nPâté\t2,00\n\n\nBrioche\t3\n",
            ] {
                out.push(file.as_bytes().to_vec());
            }
            out.push(b"name;price\nP\xe2t\xe9;2,00\n".to_vec());
        }
        "hours" => {
            for h in [
                "Mo-Fr 08:30-12:30,14:00-19:00",
                "Tu-Sa 07:00-19:30",
                "We,Sa 09:00-12:30",
                "mo – fr 9:00 - 18:00",
                "Su 08:00-13:00",
                "Mo-Su 00:00-24:00",
            ] {
                out.push(h.as_bytes().to_vec());
            }
        }
        other => panic!("no fixtures of kind {other}"),
    }
    assert!(!out.is_empty(), "fixtures of kind {kind}");
    out
}

/// The `Signature` headers of the requests GoToSocial sent (`*.headers.txt`).
pub fn headers() -> Vec<Vec<u8>> {
    let mut raw = vec![];
    files(
        &root().join("protocol/tests/fixtures"),
        ".headers.txt",
        &mut raw,
    );
    let found: Vec<Vec<u8>> = raw
        .iter()
        .flat_map(|f| {
            String::from_utf8_lossy(f)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter_map(|l| l.strip_prefix("Signature: ").map(|v| v.as_bytes().to_vec()))
        .collect();
    assert!(!found.is_empty(), "signature headers in the fixtures");
    found
}

/// Pieces inserted by mutations: JSON, CSV and header syntax, and what parsers trip on.
const PIECES: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"\\",
    b",",
    b":",
    b"null",
    b"1e999999",
    b"-0",
    b"\"\\u0000\"",
    b"\"\\ud800\"",
    b"\xff\xfe",
    b";",
    b"\n",
    b"\r\n",
    b"\"\"\"",
    b"=",
    b",,,,,,,,",
    b"[[[[[[[[",
    b"{\"a\":{\"a\":{\"a\":",
    b"Mo-Fr",
    b"24:00",
    b"--",
    b"\t",
    b"keyId=\"",
    b"headers=\"(request-target) host",
    b"\"type\":\"Create\"",
    b"\"items\":[",
    b"\"cursor\":\"1.a\"",
    b"0123456789",
];

/// One change to an input.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Flips one bit.
    Flip(u16, u8),
    /// Deletes a span.
    Delete(u16, u16),
    /// Inserts one of [`PIECES`].
    Insert(u16, usize),
    /// Repeats a span.
    Repeat(u16, u16, u16),
    /// Cuts the input short.
    Truncate(u16),
}

fn at(ratio: u16, len: usize) -> usize {
    (len * ratio as usize) / (u16::MAX as usize + 1)
}

/// Longest mutated input.
pub const MAX_INPUT: usize = 256 * 1024;

/// Applies mutations.
pub fn apply(mut input: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = input.len();
        match *m {
            Mutation::Flip(p, bit) if len > 0 => input[at(p, len)] ^= 1 << (bit % 8),
            Mutation::Delete(p, n) => {
                let start = at(p, len);
                let end = (start + n as usize % 64).min(len);
                input.drain(start..end);
            }
            Mutation::Insert(p, piece) => {
                let start = at(p, len);
                let piece = PIECES[piece % PIECES.len()];
                input.splice(start..start, piece.iter().copied());
            }
            Mutation::Repeat(p, n, times) => {
                let start = at(p, len);
                let end = (start + 1 + n as usize % 256).min(len);
                let span = input[start..end].to_vec();
                for _ in 0..times % 2000 {
                    if input.len() + span.len() > MAX_INPUT {
                        break;
                    }
                    input.splice(end..end, span.iter().copied());
                }
            }
            Mutation::Truncate(p) => input.truncate(at(p, len)),
            Mutation::Flip(..) => {}
        }
    }
    input
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<u16>(), any::<u8>()).prop_map(|(p, b)| Mutation::Flip(p, b)),
        2 => (any::<u16>(), any::<u16>()).prop_map(|(p, n)| Mutation::Delete(p, n)),
        4 => (any::<u16>(), any::<usize>()).prop_map(|(p, i)| Mutation::Insert(p, i)),
        1 => (any::<u16>(), any::<u16>(), any::<u16>()).prop_map(|(p, n, t)| Mutation::Repeat(p, n, t)),
        1 => any::<u16>().prop_map(Mutation::Truncate),
    ]
}

/// A real input, changed by up to eight mutations.
pub fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    (0..n, proptest::collection::vec(mutation(), 0..8))
        .prop_map(move |(i, ms)| apply(seeds[i].clone(), &ms))
}

/// JSON nested `depth` levels, `width` keys at each level.
pub fn nested(depth: usize, width: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..depth {
        out.extend_from_slice(b"{");
        for k in 1..width {
            out.extend_from_slice(format!("\"k{k}\":[1,2],").as_bytes());
        }
        out.extend_from_slice(b"\"object\":");
    }
    out.extend_from_slice(b"1");
    out.extend(std::iter::repeat_n(b'}', depth));
    out
}
