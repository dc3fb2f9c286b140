//! Presentation shared by the HTML pages and the ActivityPub documents (whose `content` is
//! HTML too): escaping, prices as French shoppers read them.

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
