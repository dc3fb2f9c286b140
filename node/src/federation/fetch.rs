//! Outgoing HTTP: signed GETs of remote documents and the client deliveries use. Every
//! connection goes through an address policy: without `--allow-private-networks`, only https
//! on the default port to public addresses (checked on the resolved address, so DNS cannot
//! smuggle a private one in).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::Value;
use url::Url;

use super::signing::{self, SigningKey};
use etal_protocol::ap;

/// Largest remote document read.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Content types of ActivityPub documents (and of WebFinger answers, which some servers give
/// for actors).
const AP_TYPES: &[&str] = &[
    "application/activity+json",
    "application/ld+json",
    "application/jrd+json",
];

/// Content types of WebFinger and NodeInfo answers.
const DISCOVERY_TYPES: &[&str] = &["application/jrd+json", "application/json"];

/// Reads a response's JSON body: a 2xx status, one of `types`, at most
/// [`MAX_DOCUMENT_BYTES`] (counted as it arrives, so a huge answer costs nothing), nested at
/// most [`super::json::MAX_DEPTH`] levels.
async fn read_json_body(
    url: &Url,
    res: reqwest::Response,
    types: &[&str],
) -> Result<Value, FetchError> {
    let body = read_body(url, res, types, MAX_DOCUMENT_BYTES).await?;
    super::json::parse(&body).map_err(|e| FetchError::Invalid(url.to_string(), e.to_string()))
}

/// Reads a response's body: a 2xx status, one of `types`, at most `max` bytes (counted as
/// they arrive).
async fn read_body(
    url: &Url,
    res: reqwest::Response,
    types: &[&str],
    max: usize,
) -> Result<Vec<u8>, FetchError> {
    let too_big = || {
        FetchError::Invalid(
            url.to_string(),
            format!("larger than {} MiB", max / (1024 * 1024)),
        )
    };
    let status = res.status().as_u16();
    if !res.status().is_success() {
        return Err(FetchError::Status(url.to_string(), status));
    }
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !types.iter().any(|t| ct.starts_with(t)) {
        return Err(FetchError::Invalid(
            url.to_string(),
            format!("content type {ct:?}"),
        ));
    }
    if res.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_big());
    }
    let mut body = Vec::new();
    let mut stream = res.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| FetchError::Network(url.to_string(), e.to_string()))?;
        if body.len() + chunk.len() > max {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The address policy refused the URL.
    #[error("refused by the address policy: {0}")]
    Refused(String),
    /// Network trouble or timeout.
    #[error("cannot fetch {0}: {1}")]
    Network(String, String),
    /// Non-2xx answer.
    #[error("{0} answered {1}")]
    Status(String, u16),
    /// Not an ActivityPub document.
    #[error("{0} is not an ActivityPub document: {1}")]
    Invalid(String, String),
}

impl FetchError {
    /// Whether the remote said the document is gone (404/410).
    pub fn is_gone(&self) -> bool {
        matches!(self, FetchError::Status(_, 404 | 410))
    }
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            // Addresses that carry an IPv4 address reach it: NAT64 (64:ff9b::/96), 6to4
            // (2002::/16) and the deprecated IPv4-compatible form (::a.b.c.d).
            let embedded = |hi: u16, lo: u16| {
                std::net::Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)
            };
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                return is_public(IpAddr::V4(embedded(s[6], s[7])));
            }
            if s[0] == 0x2002 {
                return is_public(IpAddr::V4(embedded(s[1], s[2])));
            }
            if s[..6] == [0, 0, 0, 0, 0, 0] && !v6.is_loopback() && !v6.is_unspecified() {
                return is_public(IpAddr::V4(embedded(s[6], s[7])));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local (fc00::/7), link-local (fe80::/10), site-local (fec0::/10).
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                // Local-use NAT64 (64:ff9b:1::/48, RFC 8215): translates to any IPv4 address
                // a local translator chooses.
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
                // Teredo (2001::/32) tunnels to an IPv4 address; documentation (2001:db8::/32).
                || (s[0] == 0x2001 && (s[1] == 0 || s[1] == 0x0db8)))
        }
    }
}

/// The URL part of the address policy (scheme, port, literal addresses).
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), FetchError> {
    let refuse = |why: &str| Err(FetchError::Refused(format!("{url}: {why}")));
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return refuse("only https is allowed"),
    }
    let Some(host) = url.host() else {
        return refuse("no host");
    };
    if !allow_private {
        if url.port().is_some() {
            return refuse("explicit ports are not allowed");
        }
        let literal = match host {
            url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            url::Host::Domain(d) if d == "localhost" || d.ends_with(".localhost") => {
                return refuse("loopback is not allowed")
            }
            url::Host::Domain(_) => None,
        };
        if literal.is_some_and(|ip| !is_public(ip)) {
            return refuse("private and loopback addresses are not allowed");
        }
    }
    Ok(())
}

/// How long a resolved address is reused: a fan-out to many inboxes of one server resolves
/// its name once.
const DNS_TTL: Duration = Duration::from_secs(60);

type DnsCache =
    std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Vec<SocketAddr>)>>;

/// A resolver that drops non-public addresses unless private networks are allowed.
struct PolicyResolver {
    allow_private: bool,
    cache: Arc<DnsCache>,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        let cache = self.cache.clone();
        Box::pin(async move {
            let cached = cache
                .lock()
                .expect("DNS cache lock")
                .get(&host)
                .filter(|(at, _)| at.elapsed() < DNS_TTL)
                .map(|(_, addrs)| addrs.clone());
            let allowed = match cached {
                Some(addrs) => addrs,
                None => {
                    let addrs: Vec<SocketAddr> =
                        tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
                    let allowed: Vec<SocketAddr> = addrs
                        .into_iter()
                        .filter(|a| allow_private || is_public(a.ip()))
                        .collect();
                    cache
                        .lock()
                        .expect("DNS cache lock")
                        .insert(host.clone(), (std::time::Instant::now(), allowed.clone()));
                    allowed
                }
            };
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client of a node, with its address policy and user agent.
pub fn client(allow_private: bool, user_agent: &str, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .dns_resolver(PolicyResolver {
            allow_private,
            cache: Arc::default(),
        })
        .connect_timeout(Duration::from_secs(5))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(30))
        .no_proxy()
        .build()
        .expect("HTTP client")
}

/// Fetches ActivityPub documents with GETs signed by the node's actor.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    key: Arc<SigningKey>,
    allow_private: bool,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher").finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A fetcher signing with `key`.
    pub fn new(client: reqwest::Client, key: Arc<SigningKey>, allow_private: bool) -> Fetcher {
        Fetcher {
            client,
            key,
            allow_private,
        }
    }

    /// The client, for deliveries.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Whether private networks are allowed.
    pub fn allow_private(&self) -> bool {
        self.allow_private
    }

    /// GETs `url` as JSON: signed, size-limited, with an ActivityPub content type, and (for
    /// documents with an `id`) the `id` equal to the URL fetched.
    pub async fn get(&self, url: &Url) -> Result<Value, FetchError> {
        self.get_checked(url, true).await
    }

    /// GETs a key document: like [`Fetcher::get`] but its `id` may differ from the URL
    /// (GoToSocial serves `…/main-key` as a stub of the actor, whose `id` is the actor). Such a
    /// document proves nothing by itself: the key is used only once its owner's own document,
    /// fetched with [`Fetcher::get`], lists it.
    pub async fn get_key_document(&self, url: &Url) -> Result<Value, FetchError> {
        self.get_checked(url, false).await
    }

    async fn get_checked(&self, url: &Url, check_id: bool) -> Result<Value, FetchError> {
        let mut bare = url.clone();
        bare.set_fragment(None);
        check_url(&bare, self.allow_private)?;
        let date = signing::http_date(chrono::Utc::now());
        let signed = signing::sign_get(&self.key, &bare, &date);
        let res = self
            .client
            .get(bare.clone())
            .header(
                "accept",
                format!("{}, {}", ap::ACTIVITY_JSON, ap::LD_JSON_AS),
            )
            .header("date", signed.date)
            .header("signature", signed.signature)
            .send()
            .await
            .map_err(|e| FetchError::Network(bare.to_string(), e.to_string()))?;
        let doc = read_json_body(&bare, res, AP_TYPES).await?;
        if let Some(id) = doc.get("id").and_then(Value::as_str).filter(|_| check_id) {
            if id != bare.as_str() {
                return Err(FetchError::Invalid(
                    bare.to_string(),
                    format!("its id is {id}"),
                ));
            }
        }
        Ok(doc)
    }

    /// GETs a discovery document (NodeInfo links, NodeInfo), unsigned, with the same limits
    /// as every other fetch: the address policy, 1 MiB, a JSON content type.
    pub async fn get_discovery<T: serde::de::DeserializeOwned>(
        &self,
        url: &Url,
    ) -> Result<T, FetchError> {
        check_url(url, self.allow_private)?;
        let res = self
            .client
            .get(url.clone())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| FetchError::Network(url.to_string(), e.to_string()))?;
        let doc = read_json_body(url, res, DISCOVERY_TYPES).await?;
        serde_json::from_value(doc).map_err(|e| FetchError::Invalid(url.to_string(), e.to_string()))
    }

    /// GETs a page of another node's open data (its change feed), unsigned: the address
    /// policy, a JSON content type, at most `max_bytes` counted as they arrive. Returns the
    /// raw body for the caller to read into its types.
    pub async fn get_open_data(&self, url: &Url, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
        check_url(url, self.allow_private)?;
        let res = self
            .client
            .get(url.clone())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| FetchError::Network(url.to_string(), e.to_string()))?;
        read_body(url, res, &["application/json"], max_bytes).await
    }

    /// Resolves `user@host` (or `@user@host`) to an actor id through WebFinger.
    pub async fn webfinger(&self, handle: &str) -> Result<Url, FetchError> {
        let (url, jrd) = self.webfinger_jrd(handle).await?;
        jrd.links
            .iter()
            .find(|l| {
                l.rel == "self"
                    && l.kind
                        .as_deref()
                        .is_some_and(|k| k.contains("activity+json") || k.contains("ld+json"))
            })
            .and_then(|l| l.href.as_deref())
            .and_then(|h| Url::parse(h).ok())
            .ok_or_else(|| FetchError::Invalid(url.to_string(), "no ActivityPub self link".into()))
    }

    /// GETs the WebFinger document of `user@host` (or `@user@host`), unsigned, with the same
    /// limits as every other fetch (the address policy, 1 MiB, a JSON content type); returns
    /// the URL asked and the document.
    pub async fn webfinger_jrd(&self, handle: &str) -> Result<(Url, ap::Jrd), FetchError> {
        let handle = handle.trim_start_matches('@');
        let (_, host) = handle
            .split_once('@')
            .ok_or_else(|| FetchError::Invalid(handle.into(), "not user@host".into()))?;
        let scheme = if self.allow_private { "http" } else { "https" };
        let mut url = Url::parse(&format!("{scheme}://{host}/.well-known/webfinger"))
            .map_err(|e| FetchError::Invalid(handle.into(), e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("resource", &format!("acct:{handle}"));
        check_url(&url, self.allow_private)?;
        let res = self
            .client
            .get(url.clone())
            .header("accept", "application/jrd+json, application/json")
            .send()
            .await
            .map_err(|e| FetchError::Network(url.to_string(), e.to_string()))?;
        let doc = read_json_body(&url, res, DISCOVERY_TYPES).await?;
        let jrd: ap::Jrd = serde_json::from_value(doc)
            .map_err(|e| FetchError::Invalid(url.to_string(), e.to_string()))?;
        Ok((url, jrd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_policy_refuses_private_targets_unless_allowed() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(check_url(&u("https://mastodon.example/users/a"), false).is_ok());
        for bad in [
            "http://mastodon.example/users/a",
            "https://mastodon.example:8443/users/a",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://localhost/x",
            "https://169.254.169.254/latest",
            "ftp://mastodon.example/x",
        ] {
            assert!(check_url(&u(bad), false).is_err(), "{bad}");
        }
        assert!(check_url(&u("http://localhost:8001/x"), true).is_ok());
        assert!(is_public("93.184.216.34".parse().unwrap()));
        assert!(!is_public("100.64.0.1".parse().unwrap()));
        for hidden in [
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::a00:1",
            "fec0::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2002:7f00:1::",
            "::10.0.0.1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(hidden.parse().unwrap()), "{hidden}");
        }
        assert!(is_public("2a01:4f8::1".parse().unwrap()));
    }
}
