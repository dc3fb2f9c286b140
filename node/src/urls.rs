//! Every local URL the node publishes is built here, from the configured public URL.
//! The layout is permanent: other servers store these addresses.

use url::Url;
use uuid::Uuid;

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

    /// A merchant's page and actor.
    pub fn merchant(&self, slug: &str) -> String {
        format!("{}/shops/{slug}", self.base)
    }

    /// A product's page and object.
    pub fn product(&self, id: &Uuid) -> String {
        format!("{}/products/{id}", self.base)
    }

    /// A file under `/media/`; `path` is relative to the media folder.
    pub fn media(&self, path: &str) -> String {
        format!("{}/media/{path}", self.base)
    }

    /// A REST resource under `/api/v1/`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.base)
    }

    /// An activity minted from an outbox event.
    pub fn activity(&self, id: &Uuid) -> String {
        format!("{}/activities/{id}", self.base)
    }
}
