//! "Follow from my server": where a visitor's own server lets them follow a shop or open a
//! product, read from their WebFinger document: the FEP-3b86 intent templates
//! (`https://w3id.org/fep/3b86/Follow` or `…/Object`, with `{object}`), else OStatus's older
//! `http://ostatus.org/schema/1.0/subscribe` (with `{uri}`), which Mastodon serves.

use std::time::Duration;

use url::Url;

use super::fetch::FetchError;
use super::Federation;
use etal_protocol::ap::Jrd;

/// FEP-3b86: following an actor.
pub const FOLLOW_REL: &str = "https://w3id.org/fep/3b86/Follow";
/// FEP-3b86: opening any object (to like, share or answer it).
pub const OBJECT_REL: &str = "https://w3id.org/fep/3b86/Object";
/// OStatus's remote follow, also used by Mastodon for any object.
pub const OSTATUS_SUBSCRIBE_REL: &str = "http://ostatus.org/schema/1.0/subscribe";

/// How long a visitor waits for their server's WebFinger answer.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(8);

/// Longest template read (a `Location` header is sent to the visitor's browser).
const MAX_TEMPLATE_CHARS: usize = 2000;

/// What the visitor means to do with the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Follow an actor (a shop).
    Follow,
    /// Open an object (a product's Note).
    Object,
}

/// Where `handle`'s server (`user@host` or `@user@host`) lets its user act on `object`, if
/// its WebFinger names a usable template. Nothing else remote is tried.
pub async fn intent_url(
    fed: &Federation,
    handle: &str,
    object: &Url,
    intent: Intent,
) -> Result<Option<Url>, FetchError> {
    let handle = handle.trim_start_matches('@');
    let server = handle.split_once('@').map_or("", |(_, host)| host);
    let (_, jrd) = tokio::time::timeout(LOOKUP_TIMEOUT, fed.fetcher.webfinger_jrd(handle))
        .await
        .map_err(|_| FetchError::Network(handle.to_string(), "WebFinger timed out".into()))??;
    Ok(pick(&jrd, server, object, intent))
}

/// The first usable template of `jrd`, in order of preference (the FEP-3b86 intent, then
/// OStatus's subscribe), filled with `object`. A template is usable when it has its
/// placeholder and makes an https URL, or an http URL on `server` itself (the handle's host,
/// with its port if any): never `javascript:`, `data:` or another scheme.
pub fn pick(jrd: &Jrd, server: &str, object: &Url, intent: Intent) -> Option<Url> {
    let wanted = match intent {
        Intent::Follow => FOLLOW_REL,
        Intent::Object => OBJECT_REL,
    };
    let encoded: String =
        url::form_urlencoded::byte_serialize(object.as_str().as_bytes()).collect();
    [(wanted, "{object}"), (OSTATUS_SUBSCRIBE_REL, "{uri}")]
        .into_iter()
        .flat_map(|(rel, placeholder)| {
            jrd.links
                .iter()
                .filter(move |l| l.rel == rel)
                .filter_map(move |l| l.template.as_deref().map(|t| (t, placeholder)))
        })
        .find_map(|(template, placeholder)| fill(template, placeholder, &encoded, server))
}

/// `template` with `placeholder` replaced by `encoded`, if the result is a URL the visitor
/// may be sent to.
fn fill(template: &str, placeholder: &str, encoded: &str, server: &str) -> Option<Url> {
    if template.len() > MAX_TEMPLATE_CHARS || !template.contains(placeholder) {
        return None;
    }
    let url = Url::parse(&template.replace(placeholder, encoded)).ok()?;
    let host = url.host_str()?;
    let authority = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let safe = match url.scheme() {
        "https" => true,
        "http" => authority.eq_ignore_ascii_case(server),
        _ => false,
    };
    (safe && url.username().is_empty() && url.password().is_none()).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jrd(links: serde_json::Value) -> Jrd {
        serde_json::from_value(
            serde_json::json!({"subject": "acct:alice@social.example", "links": links}),
        )
        .unwrap()
    }

    fn shop() -> Url {
        Url::parse("https://etal.example/shops/boulangerie").unwrap()
    }

    const ENCODED: &str = "https%3A%2F%2Fetal.example%2Fshops%2Fboulangerie";

    #[test]
    fn the_intent_comes_first_then_ostatus() {
        let both = jrd(serde_json::json!([
            {"rel": OSTATUS_SUBSCRIBE_REL, "template": "https://social.example/authorize_interaction?uri={uri}"},
            {"rel": OBJECT_REL, "template": "https://social.example/search?q={object}"},
            {"rel": FOLLOW_REL, "template": "https://social.example/follow?id={object}"},
        ]));
        let to = |i| {
            pick(&both, "social.example", &shop(), i)
                .unwrap()
                .to_string()
        };
        assert_eq!(
            to(Intent::Follow),
            format!("https://social.example/follow?id={ENCODED}")
        );
        assert_eq!(
            to(Intent::Object),
            format!("https://social.example/search?q={ENCODED}")
        );
        let ostatus = jrd(serde_json::json!([
            {"rel": "self", "type": "application/activity+json", "href": "https://social.example/users/alice"},
            {"rel": OSTATUS_SUBSCRIBE_REL, "template": "https://social.example/authorize_interaction?uri={uri}"},
        ]));
        assert_eq!(
            pick(&ostatus, "social.example", &shop(), Intent::Follow)
                .unwrap()
                .to_string(),
            format!("https://social.example/authorize_interaction?uri={ENCODED}")
        );
        assert_eq!(
            pick(
                &jrd(serde_json::json!([])),
                "social.example",
                &shop(),
                Intent::Follow
            ),
            None
        );
    }

    #[test]
    fn mitra_as_captured_sends_to_its_search() {
        let captured: Jrd = serde_json::from_str(include_str!(
            "../../../protocol/tests/fixtures/mitra/webfinger.json"
        ))
        .unwrap();
        let to = |i| pick(&captured, "127.0.0.5:8380", &shop(), i).map(|u| u.to_string());
        let search = Some(format!("http://127.0.0.5:8380/search?q={ENCODED}"));
        assert_eq!(to(Intent::Object), search);
        assert_eq!(to(Intent::Follow), search);
        // Over http, only on the handle's own server.
        assert_eq!(pick(&captured, "127.0.0.5", &shop(), Intent::Object), None);
    }

    #[test]
    fn unsafe_templates_are_skipped() {
        for bad in [
            "javascript:alert(document.domain)//{object}",
            "JavaScript:alert(1)//{object}",
            "data:text/html,<script>alert(1)</script>{object}",
            "http://elsewhere.example/follow?u={object}",
            "https://social.example/follow",
            "https://user:pass@social.example/follow?u={object}",
            "/follow?u={object}",
            "vbscript:{object}",
        ] {
            let links = jrd(serde_json::json!([{"rel": FOLLOW_REL, "template": bad}]));
            assert_eq!(
                pick(&links, "social.example", &shop(), Intent::Follow),
                None,
                "{bad}"
            );
        }
        let long = format!("https://social.example/{}?u={{object}}", "a".repeat(3000));
        let links = jrd(serde_json::json!([{"rel": FOLLOW_REL, "template": long}]));
        assert_eq!(
            pick(&links, "social.example", &shop(), Intent::Follow),
            None
        );
        // A bad template does not hide a good one after it.
        let links = jrd(serde_json::json!([
            {"rel": FOLLOW_REL, "template": "javascript:alert(1)//{object}"},
            {"rel": OSTATUS_SUBSCRIBE_REL, "template": "https://other.example/share?uri={uri}"},
        ]));
        assert_eq!(
            pick(&links, "social.example", &shop(), Intent::Follow)
                .unwrap()
                .to_string(),
            format!("https://other.example/share?uri={ENCODED}")
        );
    }
}
