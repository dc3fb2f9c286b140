//! A fake fediverse server for tests: actors with their own keys on `localhost:PORT`, an inbox
//! that records (and checks the signature of) every delivery, and that can be told to stall or
//! fail. Also signs activities to post to a node.
//!
//! It behaves like Mastodon by default, or like GoToSocial (`FakeServer::start_gotosocial`), as
//! captured in `protocol/tests/fixtures/gotosocial/`: keys at `{actor}/main-key` served as a
//! stub of the actor, actors served only to signed GETs, 418 to requests without a User-Agent,
//! NodeInfo 2.0 only, and activities signed `hs2019` over `(request-target) host date digest`.
//! Or like Mitra (`FakeServer::start_mitra`) where it differs from Mastodon: the intents its
//! WebFinger names.
//!
//! Its WebFinger names the templates of "follow from my server" as each does: Mastodon only
//! OStatus's `subscribe` (`/authorize_interaction?uri={uri}`), Mitra the FEP-3b86 intents
//! besides it, GoToSocial none (`FakeServer::set_intent_links` serves others).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use etal_node::federation::signing::{self, SigningKey};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;

mod routes;

/// What the inbox does with a delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Answer 202.
    Accept,
    /// Hold the request until the mode changes.
    Stall,
    /// Answer this status.
    Fail(u16),
}

/// One delivery received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Inbox path.
    pub path: String,
    /// The activity.
    pub activity: Value,
    /// keyId of the signature.
    pub key_id: String,
    /// Whether the signature verified against the key its keyId names.
    pub verified: bool,
}

/// Which server the fake behaves like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Flavour {
    /// Keys at `{actor}#main-key`, actors served to anyone.
    Mastodon,
    /// GoToSocial's ways (see the module documentation).
    GoToSocial,
    /// Mastodon's ways, but FEP-3b86 intents in its WebFinger.
    Mitra,
}

/// How the fake's outbox pages link on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outbox {
    /// Each page's `next` is the page itself.
    Loop,
    /// Page N links to page N+1 for ever, each answered after 200 ms.
    Endless,
}

/// GoToSocial's User-Agent, as captured.
pub const GTS_USER_AGENT: &str = "gotosocial/57cb4fe (+http://localhost:8480)";

pub(crate) struct Inner {
    keys: HashMap<String, (String, Arc<SigningKey>)>,
    received: Vec<Received>,
    events: Vec<String>,
    refused: Vec<(String, u16, String)>,
    /// GoToSocial key documents that name another owner than their actor (hostile tests).
    key_owners: HashMap<String, String>,
    /// Inboxes and shared inboxes actors claim instead of their own (hostile tests).
    inboxes: HashMap<String, (String, Option<String>)>,
    /// GETs received, by path and query.
    hits: HashMap<String, u64>,
    /// How outbox pages link to the next one.
    outbox: Outbox,
    /// Discovery answers (WebFinger, NodeInfo links) padded to this many bytes.
    discovery_padding: usize,
    /// WebFinger's template links instead of the flavour's (hostile tests).
    intent_links: Option<Vec<Value>>,
    http: reqwest::Client,
}

/// A fake server with any number of actors.
#[derive(Clone)]
pub struct FakeServer {
    /// `http://localhost:PORT`.
    pub base: String,
    /// Whom it behaves like.
    pub flavour: Flavour,
    inner: Arc<Mutex<Inner>>,
    mode: watch::Sender<Mode>,
}

impl FakeServer {
    /// Starts a server that behaves like Mastodon.
    pub async fn start() -> FakeServer {
        FakeServer::start_as(Flavour::Mastodon).await
    }

    /// Starts a server that behaves like GoToSocial.
    pub async fn start_gotosocial() -> FakeServer {
        FakeServer::start_as(Flavour::GoToSocial).await
    }

    /// Starts a server that behaves like Mitra.
    pub async fn start_mitra() -> FakeServer {
        FakeServer::start_as(Flavour::Mitra).await
    }

    /// Starts a Mastodon-like server known by its address (`http://127.0.0.1:PORT`) rather
    /// than `localhost`: another domain than the node's, for domain blocks.
    pub async fn start_on_ip() -> FakeServer {
        FakeServer::start_at(Flavour::Mastodon, "127.0.0.1").await
    }

    async fn start_as(flavour: Flavour) -> FakeServer {
        FakeServer::start_at(flavour, "localhost").await
    }

    async fn start_at(flavour: Flavour, host: &str) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{host}:{}", listener.local_addr().unwrap().port());
        let (mode, _) = watch::channel(Mode::Accept);
        let server = FakeServer {
            base,
            flavour,
            inner: Arc::new(Mutex::new(Inner {
                keys: HashMap::new(),
                received: vec![],
                events: vec![],
                refused: vec![],
                key_owners: HashMap::new(),
                inboxes: HashMap::new(),
                hits: HashMap::new(),
                outbox: Outbox::Loop,
                discovery_padding: 0,
                intent_links: None,
                http: reqwest::Client::new(),
            })),
            mode,
        };
        let app = Router::new()
            .route("/users/{name}", get(routes::actor))
            .route("/users/{name}/outbox", get(routes::outbox))
            .route("/.well-known/webfinger", get(routes::webfinger))
            .route("/users/{name}/main-key", get(routes::key_document))
            .route("/.well-known/nodeinfo", get(routes::nodeinfo_links))
            .route("/nodeinfo/2.0", get(routes::nodeinfo))
            .route("/users/{name}/inbox", post(routes::inbox))
            .route("/inbox", post(routes::inbox_shared))
            .with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        server
    }

    /// Adds an actor `name` with a fresh key; returns its id.
    pub fn actor(&self, name: &str) -> String {
        let pair = etal_node::keys::generate().unwrap();
        let id = format!("{}/users/{name}", self.base);
        let key = SigningKey::from_pem(self.key_id(&id), &pair.private_pem).unwrap();
        self.inner
            .lock()
            .unwrap()
            .keys
            .insert(name.into(), (pair.public_pem, Arc::new(key)));
        id
    }

    /// Gives `name` a new key (key rotation).
    pub fn rotate(&self, name: &str) {
        self.actor(name);
    }

    fn key_id(&self, actor: &str) -> String {
        match self.flavour {
            Flavour::Mastodon | Flavour::Mitra => format!("{actor}#main-key"),
            Flavour::GoToSocial => format!("{actor}/main-key"),
        }
    }

    /// The actor document of `name`.
    pub fn document(&self, name: &str) -> Value {
        let pem = self.inner.lock().unwrap().keys[name].0.clone();
        let id = format!("{}/users/{name}", self.base);
        if self.flavour == Flavour::GoToSocial {
            // As GoToSocial serves it: no shared inbox, `following` and `featured` present.
            return json!({
                "@context": ["https://gotosocial.org/ns", "https://w3id.org/security/v1", "https://www.w3.org/ns/activitystreams",
                             {"discoverable": "toot:discoverable", "manuallyApprovesFollowers": "as:manuallyApprovesFollowers", "toot": "http://joinmastodon.org/ns#"}],
                "discoverable": false,
                "featured": format!("{id}/collections/featured"),
                "followers": format!("{id}/followers"), "following": format!("{id}/following"),
                "id": id, "inbox": format!("{id}/inbox"), "manuallyApprovesFollowers": true, "name": name,
                "outbox": format!("{id}/outbox"), "preferredUsername": name,
                "publicKey": {"id": self.key_id(&id), "owner": id, "publicKeyPem": pem},
                "published": "2026-12-01T00:05:20Z", "tag": [], "type": "Person",
                "url": format!("{}/@{name}", self.base)
            });
        }
        let (inbox, shared) = self
            .inner
            .lock()
            .unwrap()
            .inboxes
            .get(name)
            .cloned()
            .unwrap_or_else(|| (format!("{id}/inbox"), Some(format!("{}/inbox", self.base))));
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id, "type": "Person", "preferredUsername": name,
            "inbox": inbox, "outbox": format!("{id}/outbox"),
            "endpoints": {"sharedInbox": shared},
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem}
        })
    }

    /// Sets what the inbox does.
    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    /// Every delivery so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Deliveries of activities of `kind`.
    pub fn of_type(&self, kind: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.activity["type"] == kind)
            .collect()
    }

    /// A log of what happened, in order ("start <id>", "done <id>").
    pub fn events(&self) -> Vec<String> {
        self.inner.lock().unwrap().events.clone()
    }

    /// Waits until `pred` holds for the deliveries, or panics after `secs`.
    pub async fn wait_for(
        &self,
        what: &str,
        secs: u64,
        pred: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let r = self.received();
            if pred(&r) {
                return r;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; received {:#?}",
                    r.iter().map(|r| &r.activity["type"]).collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Signs and POSTs `activity` as `name` to `inbox`; returns status and body.
    pub async fn post(&self, name: &str, inbox: &str, activity: &Value) -> (u16, String) {
        let body = serde_json::to_vec(activity).unwrap();
        self.post_raw(name, inbox, body, |_| {}).await
    }

    /// Signs and POSTs raw bytes, letting `tweak` alter the headers after signing.
    pub async fn post_raw(
        &self,
        name: &str,
        inbox: &str,
        body: Vec<u8>,
        tweak: impl FnOnce(&mut HeaderMap),
    ) -> (u16, String) {
        self.post_signed_for(name, inbox, inbox, body, tweak).await
    }

    /// Signs `activity` with `name`'s key on this server but names `key_id` in the signature (a
    /// forgery, when `key_id` is another server's key), and POSTs it to `inbox`.
    pub async fn post_naming_key(
        &self,
        name: &str,
        key_id: &str,
        inbox: &str,
        activity: &Value,
    ) -> (u16, String) {
        let own = format!("{}/users/{name}#main-key", self.base);
        let body = serde_json::to_vec(activity).unwrap();
        self.post_raw(name, inbox, body, |h| {
            let sig = h["signature"].to_str().unwrap().replace(&own, key_id);
            h.insert("signature", sig.parse().unwrap());
        })
        .await
    }

    /// Signs a POST as if to `signed_for`, and sends it to `inbox` (a replay when they differ).
    pub async fn post_signed_for(
        &self,
        name: &str,
        signed_for: &str,
        inbox: &str,
        body: Vec<u8>,
        tweak: impl FnOnce(&mut HeaderMap),
    ) -> (u16, String) {
        let (key, http) = {
            let inner = self.inner.lock().unwrap();
            (inner.keys[name].1.clone(), inner.http.clone())
        };
        let signed_url = url::Url::parse(signed_for).unwrap();
        let url = url::Url::parse(inbox).unwrap();
        let digest = signing::digest_header(&body);
        let date = signing::http_date(chrono::Utc::now());
        let signed = signing::sign_post(
            &key,
            &signed_url,
            &digest,
            "application/activity+json",
            &date,
        );
        let mut headers = HeaderMap::new();
        if signed_url.origin() != url.origin() {
            headers.insert("host", signed.host.parse().unwrap());
        }
        headers.insert("content-type", "application/activity+json".parse().unwrap());
        headers.insert("date", signed.date.parse().unwrap());
        headers.insert("digest", digest.parse().unwrap());
        headers.insert("signature", signed.signature.parse().unwrap());
        tweak(&mut headers);
        let res = http
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap_or_default())
    }

    /// POSTs `activity` as `name` to `inbox` the way GoToSocial does: `hs2019` over
    /// `(request-target) host date digest` (Content-Type not covered), its own content type
    /// and User-Agent, no Accept header.
    pub async fn post_like_gotosocial(
        &self,
        name: &str,
        inbox: &str,
        activity: &Value,
    ) -> (u16, String) {
        let body = serde_json::to_vec(activity).unwrap();
        let (key, http) = {
            let inner = self.inner.lock().unwrap();
            (inner.keys[name].1.clone(), inner.http.clone())
        };
        let url = url::Url::parse(inbox).unwrap();
        let digest = signing::digest_header(&body);
        let date = signing::http_date(chrono::Utc::now());
        let host = signing::host_header(&url);
        let text = format!(
            "(request-target): post {}\nhost: {host}\ndate: {date}\ndigest: {digest}",
            url.path()
        );
        let signature = format!(
            "keyId=\"{}\",algorithm=\"hs2019\",headers=\"(request-target) host date digest\",signature=\"{}\"",
            key.key_id,
            key.sign(text.as_bytes())
        );
        let res = http
            .post(url)
            .header("user-agent", GTS_USER_AGENT)
            .header("accept-charset", "utf-8")
            .header(
                "content-type",
                "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
            )
            .header("date", date)
            .header("digest", digest)
            .header("signature", signature)
            .body(body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap_or_default())
    }

    /// GETs `url` signed by `name`, with the headers GoToSocial sends; returns status and JSON.
    pub async fn signed_get(&self, name: &str, url: &str) -> (u16, Value) {
        let (key, http) = {
            let inner = self.inner.lock().unwrap();
            (inner.keys[name].1.clone(), inner.http.clone())
        };
        let url = url::Url::parse(url).unwrap();
        let signed = signing::sign_get(&key, &url, &signing::http_date(chrono::Utc::now()));
        let res = http
            .get(url)
            .header("user-agent", GTS_USER_AGENT)
            .header(
                "accept",
                "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\",application/activity+json",
            )
            .header("accept-charset", "utf-8")
            .header("date", signed.date)
            .header("signature", signed.signature)
            .send()
            .await
            .unwrap();
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }

    /// Makes the key document of `name` name `owner` as the key's owner (a lie, for tests of
    /// the receiving side).
    pub fn set_key_owner(&self, name: &str, owner: &str) {
        self.inner
            .lock()
            .unwrap()
            .key_owners
            .insert(name.into(), owner.into());
    }

    /// Makes `name` claim `inbox` (and `shared`) as its inboxes.
    pub fn set_inboxes(&self, name: &str, inbox: &str, shared: Option<&str>) {
        self.inner
            .lock()
            .unwrap()
            .inboxes
            .insert(name.into(), (inbox.into(), shared.map(str::to_string)));
    }

    /// How many GETs `path_and_query` received.
    pub fn hits(&self, path_and_query: &str) -> u64 {
        self.inner
            .lock()
            .unwrap()
            .hits
            .get(path_and_query)
            .copied()
            .unwrap_or(0)
    }

    /// GETs of paths starting with `prefix`.
    pub fn hits_under(&self, prefix: &str) -> u64 {
        self.inner
            .lock()
            .unwrap()
            .hits
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    /// Sets how outbox pages link on.
    pub fn set_outbox(&self, outbox: Outbox) {
        self.inner.lock().unwrap().outbox = outbox;
    }

    /// Pads WebFinger and NodeInfo answers to `bytes`.
    pub fn set_discovery_padding(&self, bytes: usize) {
        self.inner.lock().unwrap().discovery_padding = bytes;
    }

    /// Makes WebFinger name `links` (each `{"rel": …, "template": …}`) instead of the
    /// flavour's templates.
    pub fn set_intent_links(&self, links: Vec<Value>) {
        self.inner.lock().unwrap().intent_links = Some(links);
    }

    /// The template links WebFinger names, as the flavour's server does (or as told).
    pub(crate) fn intent_links(&self) -> Vec<Value> {
        if let Some(links) = self.inner.lock().unwrap().intent_links.clone() {
            return links;
        }
        let base = &self.base;
        match self.flavour {
            Flavour::Mastodon => vec![json!({"rel": "http://ostatus.org/schema/1.0/subscribe",
                                             "template": format!("{base}/authorize_interaction?uri={{uri}}")})],
            Flavour::Mitra => vec![
                json!({"rel": "http://ostatus.org/schema/1.0/subscribe",
                       "template": format!("{base}/search?q={{uri}}")}),
                json!({"rel": "https://w3id.org/fep/3b86/Object",
                       "template": format!("{base}/intents/object?object={{object}}")}),
                json!({"rel": "https://w3id.org/fep/3b86/Follow",
                       "template": format!("{base}/intents/follow?object={{object}}")}),
            ],
            Flavour::GoToSocial => vec![],
        }
    }

    fn hit(&self, path_and_query: &str) {
        *self
            .inner
            .lock()
            .unwrap()
            .hits
            .entry(path_and_query.to_string())
            .or_default() += 1;
    }

    /// Requests for actors that this server refused (GoToSocial: unsigned or badly signed
    /// GETs, or no User-Agent): (path, status, why).
    pub fn refused(&self) -> Vec<(String, u16, String)> {
        self.inner.lock().unwrap().refused.clone()
    }

    /// A fresh activity id on this server.
    pub fn new_id(&self, what: &str) -> String {
        format!("{}/{what}/{}", self.base, uuid::Uuid::now_v7())
    }
}

impl FakeServer {
    /// Sends, as `name`, a FEP-0837 `Offer` shaped as Mitra sends them: an `Agreement` that
    /// stipulates `quantity` of the product `note`'s primary intent (in `unit`), and, when
    /// given, `price` as the reciprocal commitment. Returns the Offer's id and the answer's
    /// status.
    pub async fn offer(
        &self,
        name: &str,
        shop: &str,
        note: &str,
        unit: &str,
        quantity: &str,
        price: Option<&str>,
    ) -> (String, u16) {
        let id = self.new_id("offers");
        let mut agreement = serde_json::json!({
            "type": "Agreement",
            "stipulates": {
                "type": "Commitment",
                "satisfies": format!("{note}#primary"),
                "resourceQuantity": {"hasUnit": unit, "hasNumericalValue": quantity},
            },
        });
        if let Some(p) = price {
            agreement["stipulatesReciprocal"] = serde_json::json!({
                "type": "Commitment",
                "satisfies": format!("{note}#reciprocal"),
                "resourceQuantity": {"vf:hasUnit": "one", "vf:hasNumericalValue": p},
            });
        }
        let offer = serde_json::json!({
            "@context": ["https://www.w3.org/ns/activitystreams",
                         {"vf": "https://w3id.org/valueflows/ont/vf#", "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
                          "Agreement": "vf:Agreement", "Commitment": "vf:Commitment", "stipulates": "vf:stipulates",
                          "stipulatesReciprocal": "vf:stipulatesReciprocal", "satisfies": {"@id": "vf:satisfies", "@type": "@id"},
                          "resourceQuantity": "vf:resourceQuantity", "hasUnit": "om2:hasUnit", "hasNumericalValue": "om2:hasNumericalValue"}],
            "id": id,
            "type": "Offer",
            "actor": self.actor(name),
            "to": shop,
            "object": agreement,
        });
        let (status, _) = self.post(name, &format!("{shop}/inbox"), &offer).await;
        (id, status)
    }
}
