//! A fake fediverse server for tests: actors with their own keys on `localhost:PORT`, an inbox
//! that records (and checks the signature of) every delivery, and that can be told to stall or
//! fail. Also signs activities to post to a node.
//!
//! It behaves like Mastodon by default, or like GoToSocial (`FakeServer::start_gotosocial`), as
//! captured in `protocol/tests/fixtures/gotosocial/`: keys at `{actor}/main-key` served as a
//! stub of the actor, actors served only to signed GETs, 418 to requests without a User-Agent,
//! NodeInfo 2.0 only, and activities signed `hs2019` over `(request-target) host date digest`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use etal_node::federation::signing::{self, SigningKey};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;

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

struct Inner {
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

    async fn start_as(flavour: Flavour) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
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
                http: reqwest::Client::new(),
            })),
            mode,
        };
        let app = Router::new()
            .route("/users/{name}", get(actor))
            .route("/users/{name}/outbox", get(outbox))
            .route("/.well-known/webfinger", get(webfinger))
            .route("/users/{name}/main-key", get(key_document))
            .route("/.well-known/nodeinfo", get(nodeinfo_links))
            .route("/nodeinfo/2.0", get(nodeinfo))
            .route("/users/{name}/inbox", post(inbox))
            .route("/inbox", post(inbox_shared))
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
            Flavour::Mastodon => format!("{actor}#main-key"),
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

fn not_found() -> (StatusCode, [(&'static str, &'static str); 1], String) {
    (
        StatusCode::NOT_FOUND,
        [("content-type", "application/json")],
        "{\"error\":\"Not Found\"}".into(),
    )
}

/// GoToSocial answers 418 to any request without a User-Agent.
fn teapot(s: &FakeServer, path: &str, headers: &HeaderMap) -> bool {
    let missing = s.flavour == Flavour::GoToSocial && !headers.contains_key("user-agent");
    if missing {
        s.inner
            .lock()
            .unwrap()
            .refused
            .push((path.into(), 418, "no User-Agent".into()));
    }
    missing
}

/// Checks a signed GET as GoToSocial does: the signature, with the key its keyId names.
async fn signed_get_ok(s: &FakeServer, path: &str, headers: &HeaderMap) -> Result<(), String> {
    let sig = headers
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .ok_or("http request wasn't signed")?;
    let sig = signing::parse_signature(sig).map_err(|e| e.to_string())?;
    let text = signing::signing_string(&sig, "GET", path, |n| {
        headers.get(n).and_then(|v| v.to_str().ok())
    })
    .map_err(|e| e.to_string())?;
    let http = s.inner.lock().unwrap().http.clone();
    let pem = key_of(&http, &sig.key_id)
        .await
        .ok_or_else(|| format!("cannot fetch the key {}", sig.key_id))?;
    if signing::verify(&pem, text.as_bytes(), &sig.signature) {
        Ok(())
    } else {
        Err("http signature was invalid".into())
    }
}

async fn actor(
    State(s): State<FakeServer>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> impl IntoResponse {
    let path = format!("/users/{name}");
    s.hit(&path);
    if teapot(&s, &path, &headers) {
        return (
            StatusCode::IM_A_TEAPOT,
            [("content-type", "text/plain")],
            String::new(),
        );
    }
    if !s.inner.lock().unwrap().keys.contains_key(&name) {
        return not_found();
    }
    if s.flavour == Flavour::GoToSocial {
        if let Err(why) = signed_get_ok(&s, &path, &headers).await {
            s.inner
                .lock()
                .unwrap()
                .refused
                .push((path, 401, why.clone()));
            return (
                StatusCode::UNAUTHORIZED,
                [("content-type", "application/json")],
                json!({"error": format!("Unauthorized: {why}")}).to_string(),
            );
        }
    }
    (
        StatusCode::OK,
        [("content-type", "application/activity+json")],
        s.document(&name).to_string(),
    )
}

/// GoToSocial's key URL: a stub of the actor whose `id` is the actor, served unsigned.
async fn key_document(
    State(s): State<FakeServer>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> impl IntoResponse {
    let path = format!("/users/{name}/main-key");
    if teapot(&s, &path, &headers) {
        return (
            StatusCode::IM_A_TEAPOT,
            [("content-type", "text/plain")],
            String::new(),
        );
    }
    if s.flavour != Flavour::GoToSocial || !s.inner.lock().unwrap().keys.contains_key(&name) {
        return not_found();
    }
    let mut doc = s.document(&name);
    if let Some(owner) = s.inner.lock().unwrap().key_owners.get(&name) {
        doc["id"] = json!(owner);
        doc["publicKey"]["owner"] = json!(owner);
    }
    (
        StatusCode::OK,
        [("content-type", "application/activity+json")],
        json!({
            "@context": ["https://w3id.org/security/v1", "https://www.w3.org/ns/activitystreams"],
            "id": doc["id"], "preferredUsername": name, "publicKey": doc["publicKey"], "type": "Person"
        })
        .to_string(),
    )
}

/// GoToSocial lists NodeInfo 2.0 (and 2.1); this fake offers 2.0 only.
async fn nodeinfo_links(State(s): State<FakeServer>) -> impl IntoResponse {
    s.hit("/.well-known/nodeinfo");
    let padding = " ".repeat(s.inner.lock().unwrap().discovery_padding);
    (
        [("content-type", "application/json")],
        format!(
            "{}{padding}",
            json!({"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{}/nodeinfo/2.0", s.base)},
                             {"rel": "https://www.w3.org/ns/activitystreams#Application", "href": format!("{}/users/relay", s.base)}]})
        ),
    )
}

/// WebFinger for any of the fake's actors (padded when told to).
async fn webfinger(
    State(s): State<FakeServer>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> impl IntoResponse {
    s.hit("/.well-known/webfinger");
    let resource = q.get("resource").cloned().unwrap_or_default();
    let name = resource
        .trim_start_matches("acct:")
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string();
    let padding = " ".repeat(s.inner.lock().unwrap().discovery_padding);
    (
        [("content-type", "application/jrd+json")],
        format!(
            "{}{padding}",
            json!({"subject": resource, "links": [{"rel": "self", "type": "application/activity+json",
                    "href": format!("{}/users/{name}", s.base)}]})
        ),
    )
}

/// An outbox with no items whose pages link on as told (see [`Outbox`]).
async fn outbox(
    State(s): State<FakeServer>,
    Path(name): Path<String>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let id = format!("{}/users/{name}/outbox", s.base);
    let page: Option<u64> = q.get("page").and_then(|p| p.parse().ok());
    let key = match page {
        Some(p) => format!("/users/{name}/outbox?page={p}"),
        None => format!("/users/{name}/outbox"),
    };
    s.hit(&key);
    let doc = match page {
        None => json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id,
                       "type": "OrderedCollection", "totalItems": 0, "first": format!("{id}?page=1")}),
        Some(p) => {
            let mode = s.inner.lock().unwrap().outbox;
            let next = match mode {
                Outbox::Loop => p,
                Outbox::Endless => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    p + 1
                }
            };
            json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{id}?page={p}"),
                   "type": "OrderedCollectionPage", "partOf": id, "orderedItems": [],
                   "next": format!("{id}?page={next}")})
        }
    };
    (
        [("content-type", "application/activity+json")],
        doc.to_string(),
    )
}

async fn nodeinfo() -> impl IntoResponse {
    (
        [(
            "content-type",
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\"",
        )],
        json!({"version": "2.0", "software": {"name": "gotosocial", "version": "57cb4fe"}, "protocols": ["activitypub"],
               "services": {"inbound": [], "outbound": []}, "openRegistrations": false,
               "usage": {"users": {"total": 1}, "localPosts": 1}, "metadata": {}})
        .to_string(),
    )
}

async fn inbox(
    State(s): State<FakeServer>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    record(s, format!("/users/{name}/inbox"), headers, body).await
}

async fn inbox_shared(State(s): State<FakeServer>, headers: HeaderMap, body: Bytes) -> StatusCode {
    record(s, "/inbox".into(), headers, body).await
}

async fn key_of(http: &reqwest::Client, key_id: &str) -> Option<String> {
    let doc: Value = http
        .get(key_id)
        .header("accept", "application/activity+json")
        .header("user-agent", "etal-tests")
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    doc["publicKey"]["publicKeyPem"]
        .as_str()
        .map(str::to_string)
}

async fn record(s: FakeServer, path: String, headers: HeaderMap, body: Bytes) -> StatusCode {
    if teapot(&s, &path, &headers) {
        return StatusCode::IM_A_TEAPOT;
    }
    let activity: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = activity["id"].as_str().unwrap_or_default().to_string();
    s.inner.lock().unwrap().events.push(format!("start {id}"));
    let mut mode = s.mode.subscribe();
    loop {
        let m = mode.borrow_and_update().clone();
        match m {
            Mode::Accept => break,
            Mode::Fail(status) => {
                s.inner.lock().unwrap().events.push(format!("failed {id}"));
                return StatusCode::from_u16(status).unwrap();
            }
            Mode::Stall => {
                if mode.changed().await.is_err() {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
            }
        }
    }
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let http = s.inner.lock().unwrap().http.clone();
    let (key_id, verified) =
        match h("signature").and_then(|sig| signing::parse_signature(&sig).ok()) {
            None => (String::new(), false),
            Some(sig) => {
                let text = signing::signing_string(&sig, "POST", &path, |n| {
                    headers.get(n).and_then(|v| v.to_str().ok())
                });
                let digest_ok = h("digest") == Some(signing::digest_header(&body));
                let ok = match (text, key_of(&http, &sig.key_id).await) {
                    (Ok(text), Some(pem)) => {
                        digest_ok && signing::verify(&pem, text.as_bytes(), &sig.signature)
                    }
                    _ => false,
                };
                (sig.key_id, ok)
            }
        };
    let mut inner = s.inner.lock().unwrap();
    inner.events.push(format!("done {id}"));
    inner.received.push(Received {
        path,
        activity,
        key_id,
        verified,
    });
    StatusCode::ACCEPTED
}
