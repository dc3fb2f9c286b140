//! The fake server's HTTP side: actors, GoToSocial's key documents, discovery, outboxes, and
//! the inboxes that record (and check) every delivery.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use etal_node::federation::signing;
use serde_json::{json, Value};

use super::{FakeServer, Flavour, Mode, Outbox, Received};

fn not_found() -> (StatusCode, [(&'static str, &'static str); 1], String) {
    (
        StatusCode::NOT_FOUND,
        [("content-type", "application/json")],
        "{\"error\":\"Not Found\"}".into(),
    )
}

/// GoToSocial answers 418 to any request without a User-Agent.
pub(super) fn teapot(s: &FakeServer, path: &str, headers: &HeaderMap) -> bool {
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
pub(super) async fn signed_get_ok(
    s: &FakeServer,
    path: &str,
    headers: &HeaderMap,
) -> Result<(), String> {
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

pub(super) async fn actor(
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
pub(super) async fn key_document(
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
pub(super) async fn nodeinfo_links(State(s): State<FakeServer>) -> impl IntoResponse {
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
pub(super) async fn webfinger(
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
    let mut links = vec![json!({"rel": "self", "type": "application/activity+json",
                                "href": format!("{}/users/{name}", s.base)})];
    links.extend(s.intent_links());
    (
        [("content-type", "application/jrd+json")],
        format!("{}{padding}", json!({"subject": resource, "links": links})),
    )
}

/// An outbox with no items whose pages link on as told (see [`Outbox`]).
pub(super) async fn outbox(
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

pub(super) async fn nodeinfo() -> impl IntoResponse {
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

pub(super) async fn inbox(
    State(s): State<FakeServer>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    record(s, format!("/users/{name}/inbox"), headers, body).await
}

pub(super) async fn inbox_shared(
    State(s): State<FakeServer>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    record(s, "/inbox".into(), headers, body).await
}

pub(super) async fn key_of(http: &reqwest::Client, key_id: &str) -> Option<String> {
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

pub(super) async fn record(
    s: FakeServer,
    path: String,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
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
