//! The rendered-response cache of the public pages and documents, and the HTTP caching every
//! answer of it gets: strong ETags with `304 Not Modified`, gzip and brotli made once per
//! rendering rather than per request.
//!
//! An answer is kept under its URL (path and query), its representation (HTML or
//! ActivityPub JSON) and its language. Correctness rests on one rule: **every committed write
//! that changes what a page shows moves the generation**: the rules count their committed writes
//! (`domain::Context::committed`), and the cache's generation is that count plus the times it
//! was told to forget ([`PageCache::invalidate`], when another process wrote). An answer rendered while a write was
//! committing carries the generation read before rendering, so it is never served after the
//! bump. Several node processes sharing one PostgreSQL count their writes in the database
//! (the `etal_changes` sequence, advanced after each commit), and a process serves a kept
//! answer only after reading that count once more since the request arrived: see
//! `super::freshness`. Concurrent requests share one such read, so it costs a round trip of latency,
//! not one query per request.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::negotiation::wants_activity_json;
use crate::http::Node;
use crate::present::Lang;

/// Bytes of answers kept at most (identity and compressed copies together).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Largest answer kept.
const MAX_ANSWER_BYTES: usize = 2 * 1024 * 1024;
/// Answers smaller than this are not compressed (the headers would outweigh the gain).
const MIN_COMPRESS_BYTES: usize = 860;

/// What an answer is keyed by, besides its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repr {
    /// A page (or a feed, a sitemap: anything not ActivityPub).
    Html,
    /// An ActivityPub document.
    Activity,
}

type Key = (String, Repr, Lang);

/// One rendered answer, ready to be served many times.
#[derive(Debug)]
pub struct Rendered {
    status: StatusCode,
    headers: HeaderMap,
    etag: String,
    identity: Bytes,
    gzip: Option<Bytes>,
    br: Option<Bytes>,
}

/// The first `len` bytes of the SHA-256 of `bytes`, in hex: ETags, asset versions.
pub fn fingerprint(bytes: &[u8], len: usize) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    digest.as_ref()[..len.min(32)]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Rendered {
    /// Prepares an answer: its ETag and compressed copies.
    pub fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Rendered {
        Rendered::build(status, headers, body, true)
    }

    /// An answer served as it is (images, already compressed).
    pub fn uncompressed(status: StatusCode, headers: HeaderMap, body: Bytes) -> Rendered {
        Rendered::build(status, headers, body, false)
    }

    fn build(status: StatusCode, headers: HeaderMap, body: Bytes, compress: bool) -> Rendered {
        let etag = fingerprint(&body, 12);
        let compressible = compress && body.len() >= MIN_COMPRESS_BYTES;
        let gzip = compressible.then(|| gzip(&body));
        let br = compressible.then(|| brotli(&body));
        Rendered {
            status,
            headers,
            etag,
            identity: body,
            gzip,
            br,
        }
    }

    fn size(&self) -> usize {
        self.identity.len()
            + self.gzip.as_ref().map_or(0, Bytes::len)
            + self.br.as_ref().map_or(0, Bytes::len)
            + 512
    }

    /// The answer to one request: `304` when its `If-None-Match` names this answer, else the
    /// body in the best encoding the client accepts.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let encoding = choose_encoding(request, self.gzip.is_some());
        let (body, suffix, name) = match encoding {
            Encoding::Br => (self.br.clone(), "-br", Some("br")),
            Encoding::Gzip => (self.gzip.clone(), "-gz", Some("gzip")),
            Encoding::Identity => (None, "", None),
        };
        let body = body.unwrap_or_else(|| self.identity.clone());
        let etag = format!("\"{}{suffix}\"", self.etag);
        let not_modified = request
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| {
                let t = t.trim().trim_start_matches("W/").trim_matches('"');
                t == "*" || t.split('-').next() == Some(self.etag.as_str())
            });
        let mut res = if not_modified {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = self.status;
            r
        };
        let h = res.headers_mut();
        for (k, v) in &self.headers {
            if not_modified && (k == header::CONTENT_TYPE || k == header::CONTENT_LENGTH) {
                continue;
            }
            h.append(k.clone(), v.clone());
        }
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
        if let Some(name) = name {
            if !not_modified {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
            }
        }
        if self.gzip.is_some() {
            append_vary(h, "Accept-Encoding");
        }
        res
    }
}

/// Adds a name to `Vary` unless there.
pub fn append_vary(h: &mut HeaderMap, name: &'static str) {
    let present = h
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case(name));
    if !present {
        h.append(header::VARY, HeaderValue::from_static(name));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// Picks brotli, then gzip, when `Accept-Encoding` allows them (`q=0` refuses).
fn choose_encoding(request: &HeaderMap, compressed: bool) -> Encoding {
    if !compressed {
        return Encoding::Identity;
    }
    let (mut br, mut gz) = (false, false);
    for part in request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = it.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        match name.as_str() {
            "br" => br = !refused,
            "gzip" | "x-gzip" => gz = !refused,
            _ => {}
        }
    }
    if br {
        Encoding::Br
    } else if gz {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn gzip(body: &[u8]) -> Bytes {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    let _ = e.write_all(body);
    Bytes::from(e.finish().unwrap_or_default())
}

fn brotli(body: &[u8]) -> Bytes {
    let mut out = Vec::new();
    {
        let mut w = ::brotli::CompressorWriter::new(&mut out, 4096, 6, 22);
        let _ = w.write_all(body);
    }
    Bytes::from(out)
}

/// Kept answers by key, each stamped with the generation it was rendered under.
type Answers = HashMap<Key, (u64, Arc<Rendered>)>;

/// The cache: answers by key, each stamped with the generation it was rendered under.
#[derive(Debug)]
pub struct PageCache {
    /// The writes the rules committed (`domain::Context::changes`).
    committed: Arc<AtomicU64>,
    /// The times this cache was told to forget (another process's write).
    forgotten: AtomicU64,
    bytes: AtomicUsize,
    /// The answers, and the generation they were last emptied at.
    answers: RwLock<(u64, Answers)>,
    pub(super) hits: AtomicU64,
    pub(super) misses: AtomicU64,
    /// Other processes' writes (PostgreSQL).
    pub freshness: super::freshness::Freshness,
}

impl PageCache {
    /// A cache whose answers last until `committed` moves.
    pub fn new(committed: Arc<AtomicU64>) -> PageCache {
        PageCache {
            committed,
            forgotten: AtomicU64::new(0),
            bytes: AtomicUsize::new(0),
            answers: Default::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            freshness: Default::default(),
        }
    }

    /// Forgets every answer (another process wrote).
    pub fn invalidate(&self) {
        self.forgotten.fetch_add(1, Ordering::SeqCst);
        let mut answers = self.answers.write().expect("page cache");
        answers.1.clear();
        self.bytes.store(0, Ordering::Relaxed);
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        self.committed
            .load(Ordering::SeqCst)
            .wrapping_add(self.forgotten.load(Ordering::SeqCst))
    }

    fn get(&self, key: &Key) -> Option<Arc<Rendered>> {
        let generation = self.generation();
        let answers = self.answers.read().expect("page cache");
        match answers.1.get(key) {
            Some((g, r)) if *g == generation => Some(r.clone()),
            _ => None,
        }
    }

    fn put(&self, key: Key, generation: u64, rendered: Arc<Rendered>) {
        let size = rendered.size();
        let mut answers = self.answers.write().expect("page cache");
        // An answer rendered before a write committed is never stored: its stamp is older
        // than the generation (and, stored by a race after this check, is never served).
        if generation != self.generation() {
            return;
        }
        // The first answer of a new generation drops the older ones.
        if answers.0 != generation || self.bytes.load(Ordering::Relaxed) + size > MAX_BYTES {
            answers.0 = generation;
            answers.1.clear();
            self.bytes.store(0, Ordering::Relaxed);
        }
        self.bytes.fetch_add(size, Ordering::Relaxed);
        if let Some((_, old)) = answers.1.insert(key, (generation, rendered)) {
            self.bytes.fetch_sub(old.size(), Ordering::Relaxed);
        }
    }

    /// Answers served from the cache, and rendered.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

/// The language of a page: `?lang=` first, then the `lang` cookie, then `Accept-Language`
/// (the first of French and English it names), French otherwise.
pub fn lang_of(headers: &HeaderMap, query: Option<&str>) -> Lang {
    if let Some(lang) = chosen_lang(query) {
        return lang;
    }
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| lang_setting(c.trim()));
    if let Some(lang) = cookie {
        return lang;
    }
    let mut best: Option<(f32, Lang)> = None;
    for part in headers
        .get_all(header::ACCEPT_LANGUAGE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = if tag == "fr" || tag.starts_with("fr-") {
            Lang::Fr
        } else if tag == "en" || tag.starts_with("en-") {
            Lang::En
        } else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::Fr, |(_, l)| l)
}

/// Headers of an answer that make it unfit for sharing between clients.
fn private(headers: &HeaderMap) -> bool {
    headers.contains_key(header::SET_COOKIE)
        || headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("private") || v.contains("no-store"))
}

/// Middleware over the public pages and documents: serves `GET`s from the cache, renders
/// and keeps the `200`s that are shareable, and gives every answer an ETag and compression.
pub async fn layer(State(node): State<Arc<Node>>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return next.run(request).await;
    }
    let uri = request.uri();
    if !cacheable(uri) {
        return next.run(request).await;
    }
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_string(), |p| p.as_str().to_string());
    let repr = if wants_activity_json(request.headers()) {
        Repr::Activity
    } else {
        Repr::Html
    };
    let chosen = chosen_lang(uri.query());
    let key = (path, repr, lang_of(request.headers(), uri.query()));
    // What answering needs of the request once it has gone to the handler.
    let mut headers = HeaderMap::new();
    for name in [header::IF_NONE_MATCH, header::ACCEPT_ENCODING] {
        for v in request.headers().get_all(&name) {
            headers.append(name.clone(), v.clone());
        }
    }
    let response = cached(&node, key, &headers, request, next).await;
    match chosen {
        Some(lang) => remember_lang(response, lang),
        None => response,
    }
}

/// Query parameters the pages read; an answer to a URL with any other is not kept (so that
/// made-up URLs cannot fill the cache and push out the real pages).
const KNOWN_PARAMETERS: &[&str] = &["page", "before", "lang", "url", "format"];

/// Whether answers to this URL are kept: not search results (a search is rarely asked twice,
/// and runs in milliseconds), and only with known parameters.
fn cacheable(uri: &axum::http::Uri) -> bool {
    if uri.path() == "/search" {
        return false;
    }
    uri.query().is_none_or(|q| {
        q.split('&').all(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            KNOWN_PARAMETERS.contains(&name)
        })
    })
}

/// The language a `?lang=` link chose.
fn chosen_lang(query: Option<&str>) -> Option<Lang> {
    query?.split('&').find_map(lang_setting)
}

/// `lang=en` or `lang=fr`, in a query or a cookie.
fn lang_setting(pair: &str) -> Option<Lang> {
    match pair {
        "lang=en" => Some(Lang::En),
        "lang=fr" => Some(Lang::Fr),
        _ => None,
    }
}

/// Keeps a language chosen with the switch for the next pages (a year).
fn remember_lang(mut res: Response, lang: Lang) -> Response {
    let cookie = format!(
        "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.tag()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    res
}

async fn cached(
    node: &Node,
    key: Key,
    headers: &HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let cache = &node.pages;
    cache.freshness.check().await;
    if let Some(hit) = cache.get(&key) {
        cache.hits.fetch_add(1, Ordering::Relaxed);
        return hit.respond(headers);
    }
    cache.misses.fetch_add(1, Ordering::Relaxed);
    let generation = cache.generation();
    let response = next.run(request).await;
    let status = response.status();
    if !(status == StatusCode::OK || status == StatusCode::GONE) {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Large answers (a sitemap of 50,000 URLs is 7 MB) are served as they are, not kept.
    let large = axum::body::HttpBody::size_hint(&body)
        .upper()
        .is_none_or(|n| n > MAX_ANSWER_BYTES as u64);
    if large {
        return Response::from_parts(parts, body);
    }
    let keep = !private(&parts.headers);
    let body = match axum::body::to_bytes(body, MAX_ANSWER_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return status_only(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let rendered = Arc::new(Rendered::new(parts.status, parts.headers, body));
    if keep {
        cache.put(key, generation, rendered.clone());
    }
    rendered.respond(headers)
}

fn status_only(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn languages_are_negotiated() {
        assert_eq!(lang_of(&headers(&[]), None), Lang::Fr);
        assert_eq!(
            lang_of(&headers(&[("accept-language", "en-GB,en;q=0.9")]), None),
            Lang::En
        );
        assert_eq!(
            lang_of(
                &headers(&[("accept-language", "de, en;q=0.5, fr;q=0.8")]),
                None
            ),
            Lang::Fr
        );
        assert_eq!(
            lang_of(&headers(&[("cookie", "a=b; lang=en")]), None),
            Lang::En
        );
        assert_eq!(
            lang_of(&headers(&[("accept-language", "en")]), Some("q=x&lang=fr")),
            Lang::Fr
        );
    }

    #[test]
    fn encodings_follow_accept_encoding() {
        let h = headers(&[("accept-encoding", "gzip, deflate, br")]);
        assert_eq!(choose_encoding(&h, true), Encoding::Br);
        let h = headers(&[("accept-encoding", "gzip, br;q=0")]);
        assert_eq!(choose_encoding(&h, true), Encoding::Gzip);
        assert_eq!(choose_encoding(&headers(&[]), true), Encoding::Identity);
        let h = headers(&[("accept-encoding", "br")]);
        assert_eq!(choose_encoding(&h, false), Encoding::Identity);
    }

    #[test]
    fn a_matching_etag_gets_304_in_any_encoding() {
        let body = Bytes::from("x".repeat(5000));
        let r = Rendered::new(StatusCode::OK, HeaderMap::new(), body);
        let first = r.respond(&headers(&[("accept-encoding", "gzip")]));
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()[header::ETAG].to_str().unwrap().to_string();
        assert!(etag.ends_with("-gz\""));
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&etag).unwrap());
        assert_eq!(r.respond(&h).status(), StatusCode::NOT_MODIFIED);
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(r.respond(&h).status(), StatusCode::OK);
    }

    #[test]
    fn an_answer_rendered_before_a_write_is_not_kept() {
        let committed = Arc::new(AtomicU64::new(0));
        let cache = PageCache::new(committed.clone());
        let key: Key = ("/".into(), Repr::Html, Lang::Fr);
        let before = cache.generation();
        committed.fetch_add(1, Ordering::SeqCst);
        let r = Arc::new(Rendered::new(
            StatusCode::OK,
            HeaderMap::new(),
            Bytes::from("a"),
        ));
        cache.put(key.clone(), before, r.clone());
        assert!(cache.get(&key).is_none());
        cache.put(key.clone(), cache.generation(), r.clone());
        assert!(cache.get(&key).is_some());
        committed.fetch_add(1, Ordering::SeqCst);
        assert!(cache.get(&key).is_none());
        cache.put(key.clone(), cache.generation(), r);
        assert!(cache.get(&key).is_some());
        cache.invalidate();
        assert!(cache.get(&key).is_none());
    }
}
