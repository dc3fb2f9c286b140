//! Field rules shared by every implementation: slugs, French identifiers (SIRET, INSEE), GTIN,
//! schema.org opening hours, contact details. Each check returns a sentence fit for an API error.

/// Addresses under the node's root that a merchant slug must never take, now or later. Kept in
/// this one place: every route the node serves at its top level is listed here.
pub const RESERVED_SLUGS: &[&str] = &[
    "about",
    "account",
    "accounts",
    "activities",
    "actor",
    "admin",
    "api",
    "app",
    "assets",
    "atom",
    "auth",
    "cart",
    "categories",
    "category",
    "checkout",
    "contact",
    "dashboard",
    "dcat",
    "docs",
    "etal",
    "explore",
    "favicon",
    "featured",
    "feed",
    "feeds",
    "followers",
    "following",
    "health",
    "help",
    "inbox",
    "legal",
    "login",
    "logout",
    "map",
    "media",
    "merchant",
    "merchants",
    "metrics",
    "node",
    "nodeinfo",
    "oauth",
    "objects",
    "open-data",
    "opendata",
    "order",
    "orders",
    "outbox",
    "privacy",
    "product",
    "products",
    "relay",
    "robots",
    "root",
    "rss",
    "search",
    "settings",
    "shop",
    "shops",
    "signup",
    "sitemap",
    "static",
    "status",
    "tags",
    "terms",
    "user",
    "users",
    "voucher",
    "vouchers",
    "webfinger",
    "well-known",
    "www",
];

/// Checks a merchant slug: `^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])$` and not reserved.
pub fn slug(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = (2..=40).contains(&b.len())
        && alnum(&b[0])
        && alnum(&b[b.len() - 1])
        && b.iter().all(|c| alnum(c) || *c == b'-');
    if !ok {
        return Err(
            "must be 2 to 40 characters: lower-case letters, digits and inner hyphens".into(),
        );
    }
    if RESERVED_SLUGS.contains(&s) {
        return Err(format!("\"{s}\" is reserved by the node"));
    }
    Ok(())
}

/// Checks a SIRET: 14 digits with a valid Luhn checksum, or La Poste's establishments
/// (SIREN 356000000), whose digits sum to a multiple of 5 instead.
pub fn siret(s: &str) -> Result<(), String> {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be 14 digits".into());
    }
    if s.starts_with("356000000") {
        let sum: u32 = s.bytes().map(|b| (b - b'0') as u32).sum();
        if sum % 5 == 0 {
            return Ok(());
        }
    }
    if luhn(s) {
        Ok(())
    } else {
        Err("is not a valid SIRET (checksum)".into())
    }
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = (b - b'0') as u32;
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// Checks a GTIN (EAN-8, UPC-A, EAN-13, GTIN-14): digits only, GS1 check digit.
pub fn gtin(s: &str) -> Result<(), String> {
    if ![8, 12, 13, 14].contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be 8, 12, 13 or 14 digits".into());
    }
    let digits: Vec<u32> = s.bytes().map(|b| (b - b'0') as u32).collect();
    let (body, check) = digits.split_at(digits.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    if (10 - sum % 10) % 10 == check[0] {
        Ok(())
    } else {
        Err("has a wrong check digit".into())
    }
}

/// Checks an INSEE commune code (COG): five characters, digits, or `2A`/`2B` then three digits
/// for Corsica (`78517`, `2A004`, `97411`).
pub fn insee_code(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let ok = b.len() == 5
        && b[2..].iter().all(u8::is_ascii_digit)
        && (b[..2].iter().all(u8::is_ascii_digit) || s.starts_with("2A") || s.starts_with("2B"));
    if ok {
        Ok(())
    } else {
        Err("must be a 5-character INSEE commune code such as 78517 or 2A004".into())
    }
}

/// Checks a postal code: 3 to 10 letters, digits, spaces or hyphens (French codes are 5 digits,
/// but a node may serve a border town).
pub fn postal_code(s: &str) -> Result<(), String> {
    let ok = (3..=10).contains(&s.len())
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err("must be a postal code such as 78120".into())
    }
}

const DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

/// Checks one schema.org `openingHours` value: days (`Mo`..`Su`, ranges with `-`, lists with
/// `,`), then optionally one or more time ranges `HH:MM-HH:MM` separated by `,` or spaces.
/// Examples: `Tu-Sa 08:00-19:30`, `Mo,We,Fr 09:00-12:00,14:00-18:00`, `Su`. A range that ends
/// before it starts runs past midnight (`Fr 18:00-02:00`).
pub fn opening_hours(s: &str) -> Result<(), String> {
    let err = || {
        format!(
            "\"{s}\" is not a schema.org opening-hours value such as \"Tu-Sa 08:00-19:30\" \
             (days Mo Tu We Th Fr Sa Su; times HH:MM-HH:MM)"
        )
    };
    let mut parts = s.split_whitespace();
    let days = parts.next().ok_or_else(err)?;
    for item in days.split(',') {
        let valid = match item.split_once('-') {
            Some((a, b)) => DAYS.contains(&a) && DAYS.contains(&b) && a != b,
            None => DAYS.contains(&item),
        };
        if !valid {
            return Err(err());
        }
    }
    for group in parts {
        for range in group.split(',') {
            let (a, b) = range.split_once('-').ok_or_else(err)?;
            let (a, b) = (minutes(a).ok_or_else(err)?, minutes(b).ok_or_else(err)?);
            if a == b {
                return Err(err());
            }
        }
    }
    Ok(())
}

fn minutes(t: &str) -> Option<u32> {
    let (h, m) = t.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// Checks an e-mail address loosely (one `@`, a dotted domain, no spaces): enough to catch typos
/// without refusing real addresses.
pub fn email(s: &str) -> Result<(), String> {
    let ok = s.len() <= 254
        && !s.chars().any(char::is_whitespace)
        && match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if ok {
        Ok(())
    } else {
        Err("is not an e-mail address".into())
    }
}

/// Checks a telephone number as people write it: digits with optional `+`, spaces, dots,
/// hyphens and parentheses; 6 to 15 digits (E.164's maximum).
pub fn phone(s: &str) -> Result<(), String> {
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    let ok = (6..=15).contains(&digits)
        && s.bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || b" .-()".contains(&b) || (b == b'+' && i == 0));
    if ok {
        Ok(())
    } else {
        Err("is not a telephone number such as +33 1 23 45 67 89".into())
    }
}

/// Checks a web address: absolute `http` or `https` with a host.
pub fn website(s: &str) -> Result<(), String> {
    match url::Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => Err("must be an absolute http(s) address such as https://example.fr".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_pattern_and_avoid_reserved_words() {
        for ok in [
            "boulangerie-martin",
            "ab",
            "a1",
            "cafe-2000",
            &"a".repeat(40),
        ] {
            assert!(slug(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a",
            "-ab",
            "ab-",
            "Ab",
            "é-cafe",
            "a_b",
            "a b",
            &"a".repeat(41),
            "actor",
            "api",
            "well-known",
            "open-data",
        ] {
            assert!(slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sirets_are_luhn_checked() {
        assert!(siret("73282932000074").is_ok()); // a published example SIRET
        assert!(siret("73282932000075").is_err());
        assert!(siret("7328293200007").is_err());
        assert!(siret("7328293200007a").is_err());
        // La Poste: fails Luhn, but its digits sum to a multiple of 5.
        assert!(siret("35600000000001").is_ok());
        assert!(siret("35600000000002").is_err());
    }

    #[test]
    fn gtins_have_a_check_digit() {
        assert!(gtin("4006381333931").is_ok());
        assert!(gtin("4006381333932").is_err());
        assert!(gtin("96385074").is_ok());
        assert!(gtin("036000291452").is_ok());
        assert!(gtin("10012345678902").is_ok());
        assert!(gtin("12345").is_err());
    }

    #[test]
    fn insee_codes_include_corsica() {
        for ok in ["78517", "2A004", "2B033", "97411"] {
            assert!(insee_code(ok).is_ok(), "{ok}");
        }
        for bad in ["7851", "785177", "2C004", "AB123", "78 51"] {
            assert!(insee_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn opening_hours_follow_schema_org() {
        for ok in [
            "Tu-Sa 08:00-19:30",
            "Mo,We,Fr 09:00-12:00,14:00-18:00",
            "Sa 09:00-12:00 14:00-18:00",
            "Su",
            "Fr 18:00-02:00",
            "Mo-Su 00:00-24:00",
        ] {
            assert!(opening_hours(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Monday 08:00-12:00",
            "Tu-Sa 8:00-19:30",
            "Tu-Sa 08:00",
            "Tu-Sa 25:00-26:00",
            "Tu-Tu 08:00-09:00",
            "Tu-Sa 08:00-08:00",
            "tu-sa 08:00-19:30",
        ] {
            assert!(opening_hours(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn contact_details() {
        assert!(email("contact@boulangerie.fr").is_ok());
        assert!(email("contact@localhost").is_err());
        assert!(email("a b@c.fr").is_err());
        assert!(phone("+33 1 34 83 00 00").is_ok());
        assert!(phone("01.34.83.00.00").is_ok());
        assert!(phone("12").is_err());
        assert!(phone("call me").is_err());
        assert!(website("https://boulangerie.fr").is_ok());
        assert!(website("boulangerie.fr").is_err());
        assert!(website("ftp://x.fr").is_err());
    }
}
