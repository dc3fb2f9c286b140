//! Remote HTML is cleaned before it is stored: the tags Mastodon keeps, safe links only.

use std::collections::HashSet;

/// Cleans remote HTML (replies): formatting and links survive, scripts, styles, images,
/// event handlers and `javascript:` links do not.
pub fn html(input: &str) -> String {
    let tags: HashSet<&str> = [
        "p",
        "br",
        "span",
        "a",
        "del",
        "s",
        "pre",
        "blockquote",
        "code",
        "b",
        "strong",
        "u",
        "i",
        "em",
        "ul",
        "ol",
        "li",
    ]
    .into_iter()
    .collect();
    ammonia::Builder::default()
        .tags(tags)
        .tag_attributes(
            [
                ("a", ["href", "class"].into_iter().collect()),
                ("span", ["class"].into_iter().collect()),
            ]
            .into_iter()
            .collect(),
        )
        .url_schemes(["http", "https"].into_iter().collect())
        .link_rel(Some("nofollow noopener noreferrer"))
        .clean(input)
        .to_string()
}

/// Plain text of remote HTML (for names and descriptions of mirrored shops and products).
pub fn text(input: &str) -> String {
    let with_breaks = input
        .replace("</p>", "\n")
        .replace("<br>", "\n")
        .replace("<br/>", "\n");
    let stripped = ammonia::Builder::empty().clean(&with_breaks).to_string();
    stripped
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts_and_dangerous_links_are_removed() {
        let dirty = r#"<p onclick="x()">Bonjour <script>alert(1)</script><a href="javascript:alert(1)">clic</a> <a href="https://ok.example/">ok</a><img src=x onerror=alert(1)></p>"#;
        let clean = super::html(dirty);
        assert!(
            !clean.contains("script")
                && !clean.contains("onclick")
                && !clean.contains("javascript")
                && !clean.contains("<img"),
            "{clean}"
        );
        assert!(clean.contains(r#"href="https://ok.example/""#), "{clean}");
        assert!(clean.starts_with("<p>Bonjour"), "{clean}");
    }
}
