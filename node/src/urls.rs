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

    /// One of the node's URLs from its path (built from the configured origin, so it parses).
    fn url(&self, path_and_fragment: &str) -> Url {
        Url::parse(&format!("{}{path_and_fragment}", self.base))
            .expect("the node's own URLs are valid")
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
    pub fn node_actor(&self) -> Url {
        self.url("/actor")
    }

    /// The node actor's key id.
    pub fn node_key(&self) -> Url {
        self.url("/actor#main-key")
    }

    /// The node actor's inbox.
    pub fn node_inbox(&self) -> Url {
        self.url("/actor/inbox")
    }

    /// The node actor's outbox: every activity of the node, announced.
    pub fn node_outbox(&self) -> Url {
        self.url("/actor/outbox")
    }

    /// Who follows the node actor.
    pub fn node_followers(&self) -> Url {
        self.url("/actor/followers")
    }

    /// Whom the node actor follows.
    pub fn node_following(&self) -> Url {
        self.url("/actor/following")
    }

    /// The shared inbox of every local actor.
    pub fn shared_inbox(&self) -> Url {
        self.url("/inbox")
    }

    /// A merchant's page and actor.
    pub fn merchant(&self, slug: &str) -> Url {
        self.url(&format!("/shops/{slug}"))
    }

    /// A merchant's key id.
    pub fn merchant_key(&self, slug: &str) -> Url {
        self.url(&format!("/shops/{slug}#main-key"))
    }

    /// A merchant's collection or endpoint: `inbox`, `outbox`, `followers`, `featured`,
    /// `icon.png`, `header.png`.
    pub fn merchant_part(&self, slug: &str, part: &str) -> Url {
        self.url(&format!("/shops/{slug}/{part}"))
    }

    /// A hashtag's page.
    pub fn tag(&self, name: &str) -> Url {
        self.url(&format!(
            "/tags/{}",
            url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        ))
    }

    /// A product's page and object.
    pub fn product(&self, id: &Uuid) -> Url {
        self.url(&format!("/products/{id}"))
    }

    /// A file under `/media/`; `path` is relative to the media folder. Mirrored remote photos
    /// keep their absolute URL.
    pub fn media(&self, path: &str) -> Url {
        if path.starts_with("https://") || path.starts_with("http://") {
            if let Ok(u) = Url::parse(path) {
                return u;
            }
        }
        self.url(&format!("/media/{path}"))
    }

    /// A page of the node, `path` without its leading slash (dashboard, account links).
    pub fn page(&self, path: &str) -> Url {
        self.url(&format!("/{path}"))
    }

    /// A reservation's status page (its id is its secret).
    pub fn reservation(&self, id: &str) -> Url {
        self.url(&format!("/reservations/{id}"))
    }

    /// The API's address of `path` (`/api/v1/{path}`).
    pub fn api(&self, path: &str) -> Url {
        self.url(&format!("/api/v1/{path}"))
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
    pub fn activity(&self, id: &Uuid) -> Url {
        self.url(&format!("/activities/{id}"))
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
        let local = |u: Url| urls.parse_local(&u);
        assert_eq!(local(urls.node_actor()), Some(LocalRef::NodeActor));
        assert_eq!(local(urls.node_key()), Some(LocalRef::NodeActor));
        assert_eq!(
            local(urls.merchant("boulangerie")),
            Some(LocalRef::Merchant("boulangerie".into()))
        );
        assert_eq!(local(urls.product(&id)), Some(LocalRef::Product(id)));
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
