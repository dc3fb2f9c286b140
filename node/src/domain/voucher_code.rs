//! Voucher codes: 80 random bits written as 16 characters of Crockford's base 32 (no I, L, O
//! nor U, so that nothing reads as something else), then a check character (Luhn mod 32),
//! shown in groups of four: `7K3M-Q9ZD-X2AB-HT5R-W`. Read back leniently: case, spaces and
//! dashes are ignored, `O` reads as `0`, `I` and `L` as `1`; a typo is caught by the check
//! character before anything is looked up.

/// The 32 symbols.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters of a code before its check character.
pub const BODY: usize = 16;

fn value(c: u8) -> Option<u32> {
    let c = match c.to_ascii_uppercase() {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        c => c,
    };
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u32)
}

/// The Luhn mod 32 check symbol of `body` (symbol values).
fn check(body: &[u32]) -> u32 {
    let mut sum = 0;
    let mut factor = 2;
    for v in body.iter().rev() {
        let mut addend = factor * v;
        addend = addend / 32 + addend % 32;
        sum += addend;
        factor = if factor == 2 { 1 } else { 2 };
    }
    (32 - sum % 32) % 32
}

/// A new code (normalized: 17 characters, no dashes) from 80 random bits.
pub fn new_code() -> String {
    let bytes: [u8; 10] = rand::random();
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    let body: Vec<u32> = (0..BODY)
        .map(|i| ((bits >> (5 * (BODY - 1 - i))) & 31) as u32)
        .collect();
    let mut out: String = body.iter().map(|v| ALPHABET[*v as usize] as char).collect();
    out.push(ALPHABET[check(&body) as usize] as char);
    out
}

/// Reads what someone typed or scanned: `Some(normalized)` when it has the right length and
/// its check character agrees.
pub fn read(typed: &str) -> Option<String> {
    let mut values = Vec::with_capacity(BODY + 1);
    for c in typed.bytes() {
        if c == b'-' || c == b' ' || c == b'\t' {
            continue;
        }
        values.push(value(c)?);
        if values.len() > BODY + 1 {
            return None;
        }
    }
    if values.len() != BODY + 1 {
        return None;
    }
    let (body, last) = values.split_at(BODY);
    if check(body) != last[0] {
        return None;
    }
    Some(
        values
            .iter()
            .map(|v| ALPHABET[*v as usize] as char)
            .collect(),
    )
}

/// A normalized code in groups of four, as printed and read out.
pub fn display(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code with its first three groups hidden, for exports: enough to tell vouchers apart,
/// not to spend one.
pub fn masked(code: &str) -> String {
    let shown = display(code);
    let tail: String = shown.chars().skip(15).collect();
    format!("****-****-****-{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_code_reads_back_however_it_is_typed() {
        for _ in 0..200 {
            let code = new_code();
            assert_eq!(code.len(), 17);
            assert_eq!(read(&code).as_deref(), Some(code.as_str()));
            let shown = display(&code);
            assert_eq!(shown.len(), 21);
            assert_eq!(read(&shown.to_lowercase()).as_deref(), Some(code.as_str()));
            let spaced = shown.replace('-', " ");
            assert_eq!(read(&spaced).as_deref(), Some(code.as_str()));
        }
    }

    #[test]
    fn look_alikes_read_as_what_they_look_like() {
        let code = loop {
            let c = new_code();
            if c.contains('0') || c.contains('1') {
                break c;
            }
        };
        let typed = code.replace('0', "O").replace('1', "l");
        assert_eq!(read(&typed).as_deref(), Some(code.as_str()));
    }

    #[test]
    fn every_single_typo_and_most_swaps_are_caught() {
        let mut swaps_caught = 0;
        let mut swaps = 0;
        for _ in 0..200 {
            let code = new_code();
            let bytes = code.as_bytes();
            for i in 0..17 {
                for a in ALPHABET {
                    if *a == bytes[i] {
                        continue;
                    }
                    let mut t = bytes.to_vec();
                    t[i] = *a;
                    assert_eq!(read(std::str::from_utf8(&t).unwrap()), None);
                }
                if i + 1 < 17 && bytes[i] != bytes[i + 1] {
                    let mut t = bytes.to_vec();
                    t.swap(i, i + 1);
                    swaps += 1;
                    if read(std::str::from_utf8(&t).unwrap()).is_none() {
                        swaps_caught += 1;
                    }
                }
            }
        }
        assert!(
            swaps_caught * 100 >= swaps * 95,
            "{swaps_caught} of {swaps}"
        );
    }

    #[test]
    fn wrong_lengths_and_symbols_are_refused() {
        assert_eq!(read(""), None);
        assert_eq!(read("ABCD"), None);
        assert_eq!(read("ABCD-EFGH-JKMN-PQRS-TV"), None);
        assert_eq!(read("ABCD-EFGH-JKMN-PQRS-!"), None);
    }
}
