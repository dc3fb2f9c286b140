//! Presentation shared by the HTML pages and the ActivityPub documents (whose `content` is
//! HTML too): escaping, prices as French shoppers read them.

pub mod hours;
pub mod reservation;

use etal_protocol::Money;

/// Escapes text for HTML.
pub fn esc(s: impl AsRef<str>) -> String {
    let s = s.as_ref();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A price as French shoppers read it: `3,20 €`.
pub fn price_fr(m: &Money) -> String {
    let amount = m.amount_string().replace('.', ",");
    match m.currency.code() {
        "EUR" => format!("{amount} €"),
        code => format!("{amount} {code}"),
    }
}

/// The language a page is shown in: French by default, English on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// French.
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag: `fr` or `en`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The Open Graph locale: `fr_FR` or `en_GB`.
    pub fn og_locale(self) -> &'static str {
        match self {
            Lang::Fr => "fr_FR",
            Lang::En => "en_GB",
        }
    }
}

/// A price in the page's language: `3,20 €` in French, `€3.20` in English.
/// An amount in euro cents as shoppers read it (`6,40 €`).
pub fn euros(minor: i64, lang: Lang) -> String {
    price(
        &Money {
            minor,
            currency: etal_protocol::Currency::EUR,
        },
        lang,
    )
}

/// An instant in the town's time zone, as RFC 3339 (`2027-01-06T10:00:00+01:00`).
pub fn local_time(tz: chrono_tz::Tz, ms: i64) -> String {
    use chrono::TimeZone;
    tz.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
        .unwrap_or_default()
}

/// A day in the town's time zone: `31/01/2027` in French, `2027-01-31` in English.
pub fn day(tz: chrono_tz::Tz, ms: i64, lang: Lang) -> String {
    use chrono::TimeZone;
    let Some(t) = tz.timestamp_millis_opt(ms).single() else {
        return String::new();
    };
    match lang {
        Lang::Fr => t.format("%d/%m/%Y").to_string(),
        Lang::En => t.format("%Y-%m-%d").to_string(),
    }
}

/// A price as shoppers read it.
pub fn price(m: &Money, lang: Lang) -> String {
    match lang {
        Lang::Fr => price_fr(m),
        Lang::En => match m.currency.code() {
            "EUR" => format!("€{}", m.amount_string()),
            code => format!("{} {code}", m.amount_string()),
        },
    }
}

/// What a price buys, as it reads after the price.
pub fn unit(u: etal_protocol::Unit, lang: Lang) -> &'static str {
    use etal_protocol::Unit;
    match lang {
        Lang::Fr => u.label_fr(),
        Lang::En => match u {
            Unit::Piece => "item",
            Unit::Kg => "kg",
            Unit::G => "g",
            Unit::L => "l",
            Unit::Ml => "ml",
            Unit::M => "m",
            Unit::Box => "box",
            Unit::Dozen => "dozen",
            Unit::Bunch => "bunch",
        },
    }
}

/// Price per unit: `3,20 € / kg`, `€3.20 / kg`.
pub fn price_per_unit(m: &Money, u: etal_protocol::Unit, lang: Lang) -> String {
    format!("{} / {}", price(m, lang), unit(u, lang))
}

/// Whether a product can be had, in words.
pub fn availability(a: etal_protocol::Availability, lang: Lang) -> &'static str {
    use etal_protocol::Availability::*;
    match (lang, a) {
        (Lang::Fr, InStock) => "en stock",
        (Lang::Fr, OutOfStock) => "épuisé",
        (Lang::Fr, Preorder) => "sur commande",
        (Lang::En, InStock) => "in stock",
        (Lang::En, OutOfStock) => "out of stock",
        (Lang::En, Preorder) => "to order",
    }
}

/// A category's label in the page's language (the code itself if unknown).
pub fn category_label(code: &str, lang: Lang) -> String {
    etal_protocol::taxonomy::CATEGORIES
        .iter()
        .find(|c| c.code == code)
        .map_or_else(
            || code.to_string(),
            |c| match lang {
                Lang::Fr => c.label_fr.to_string(),
                Lang::En => c.label_en.to_string(),
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use etal_protocol::{Currency, Unit};

    #[test]
    fn prices_read_as_each_language_writes_them() {
        let m = Money {
            minor: 320,
            currency: Currency::from_code("EUR").unwrap(),
        };
        assert_eq!(price_per_unit(&m, Unit::Kg, Lang::Fr), "3,20 € / kg");
        assert_eq!(price_per_unit(&m, Unit::Piece, Lang::En), "€3.20 / item");
    }
}
