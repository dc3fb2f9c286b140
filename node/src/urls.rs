//! Every local URL the node publishes is built here, from the configured public URL.
//! The layout is permanent: other servers store these addresses.

use url::Url;
use uuid::Uuid;

/// What a local URL names: the one place where the node's own URLs are read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalRef {
    /// `/actor`.
    NodeActor,
    /// `/shops/{slug}` (the slug as written, not checked against the database).
    Merchant(String),
    /// `/products/{uuid}`.
    Product(Uuid),
}

/// Builds the node's public URLs.
#[derive(Debug, Clone)]
pub struct Urls {
    base: String,
    host: String,
}

impl Urls {
    /// `public_url` is an origin such as `https://town.example` or `http://localhost:8080`.
    pub fn new(public_url: &Url) -> Urls {
        let base = public_url.as_str().trim_end_matches('/').to_string();
        let host = match public_url.port() {
            Some(port) => format!("{}:{port}", public_url.host_str().unwrap_or_default()),
            None => public_url.host_str().unwrap_or_default().to_string(),
        };
        Urls { base, host }
    }

    /// The origin, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Host with the port when one is explicit (`localhost:8080`): the WebFinger domain.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The node's own actor.
    pub fn node_actor(&self) -> String {
        format!("{}/actor", self.base)
    }

    /// The node actor's key id.
    pub fn node_key(&self) -> String {
        format!("{}/actor#main-key", self.base)
    }

    /// The node actor's inbox.
    pub fn node_inbox(&self) -> String {
        format!("{}/actor/inbox", self.base)
    }

    /// The node actor's outbox: every activity of the node, announced.
    pub fn node_outbox(&self) -> String {
        format!("{}/actor/outbox", self.base)
    }

    /// Who follows the node actor.
    pub fn node_followers(&self) -> String {
        format!("{}/actor/followers", self.base)
    }

    /// Whom the node actor follows.
    pub fn node_following(&self) -> String {
        format!("{}/actor/following", self.base)
    }

    /// The shared inbox of every local actor.
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }

    /// A merchant's page and actor.
    pub fn merchant(&self, slug: &str) -> String {
        format!("{}/shops/{slug}", self.base)
    }

    /// A merchant's key id.
    pub fn merchant_key(&self, slug: &str) -> String {
        format!("{}/shops/{slug}#main-key", self.base)
    }

    /// A merchant's collection or endpoint: `inbox`, `outbox`, `followers`, `featured`,
    /// `icon.png`, `header.png`.
    pub fn merchant_part(&self, slug: &str, part: &str) -> String {
        format!("{}/shops/{slug}/{part}", self.base)
    }

    /// A hashtag's page.
    pub fn tag(&self, name: &str) -> String {
        format!(
            "{}/tags/{}",
            self.base,
            url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        )
    }

    /// A product's page and object.
    pub fn product(&self, id: &Uuid) -> String {
        format!("{}/products/{id}", self.base)
    }

    /// A file under `/media/`; `path` is relative to the media folder. Mirrored remote photos
    /// keep their absolute URL.
    pub fn media(&self, path: &str) -> String {
        if path.starts_with("https://") || path.starts_with("http://") {
            return path.to_string();
        }
        format!("{}/media/{path}", self.base)
    }

    /// A REST resource under `/api/v1/`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.base)
    }

    /// Whether `url` is on this node (same scheme, host and port).
    pub fn is_local(&self, url: &Url) -> bool {
        url.origin().ascii_serialization() == self.base
    }

    /// What a URL names on this node, if it is one of its actors or products (fragments, as
    /// in key ids, are ignored).
    pub fn parse_local(&self, url: &Url) -> Option<LocalRef> {
        if !self.is_local(url) || url.query().is_some() {
            return None;
        }
        let segments: Vec<&str> = url.path_segments()?.collect();
        match segments.as_slice() {
            ["actor"] => Some(LocalRef::NodeActor),
            ["shops", slug] if !slug.is_empty() => Some(LocalRef::Merchant(slug.to_string())),
            ["products", id] => Uuid::parse_str(id).ok().map(LocalRef::Product),
            _ => None,
        }
    }

    /// An activity minted from an outbox event.
    pub fn activity(&self, id: &Uuid) -> String {
        format!("{}/activities/{id}", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_urls_read_back_to_what_they_name() {
        let urls = Urls::new(&Url::parse("https://town.example").unwrap());
        let id = Uuid::now_v7();
        let parse = |s: &str| urls.parse_local(&Url::parse(s).unwrap());
        assert_eq!(parse(&urls.node_actor()), Some(LocalRef::NodeActor));
        assert_eq!(parse(&urls.node_key()), Some(LocalRef::NodeActor));
        assert_eq!(
            parse(&urls.merchant("boulangerie")),
            Some(LocalRef::Merchant("boulangerie".into()))
        );
        assert_eq!(parse(&urls.product(&id)), Some(LocalRef::Product(id)));
        for other in [
            "https://other.example/actor",
            "http://town.example/actor",
            "https://town.example/shops/a/outbox",
            "https://town.example/products/nope",
            "https://town.example/actor?x=1",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
    }
}
