//! Checks of an incoming activity, in order: Digest, Date, Signature (refetching the key once
//! when it fails), key owner = actor, origins of the activity and its object. Nothing is
//! stored here; the verified actor is stored with the activity's effects.

use axum::http::request::Parts;
use serde_json::Value;
use url::Url;

use crate::federation::fetch::FetchError;
use crate::federation::json;
use crate::federation::signing::{self, SignatureError};
use crate::federation::Federation;
use crate::model::remote::RemoteActor;
use etal_protocol::ap::{self, Activity, Actor};

/// Largest clock difference accepted on `Date`.
pub const MAX_SKEW_SECS: i64 = 3600;

/// What kind of refusal (the HTTP layer chooses the status for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not something the node can read (bad JSON, no Digest, a foreign object…).
    Malformed,
    /// The signature, its key or its owner does not hold.
    Unauthorized,
    /// The inbox's shop does not exist.
    NotFound,
    /// The inbox's shop was deleted.
    Gone,
    /// Over the size limit.
    TooLarge,
    /// Nothing to do, and nothing wrong: acknowledged (the deletion of an unknown actor).
    NothingToDo,
    /// A server the activity depends on failed.
    Upstream,
    /// The sender's domain is blocked by the admin.
    Blocked,
    /// A fault of ours.
    Internal,
}

/// Longest `keyId` accepted (real ones are URLs of a hundred bytes or so).
pub const MAX_KEY_ID_BYTES: usize = 2048;

/// Why an activity was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxError {
    /// What kind of refusal.
    pub kind: Refusal,
    /// What was wrong.
    pub reason: String,
}

impl InboxError {
    /// A refusal of some kind.
    pub fn new(kind: Refusal, reason: String) -> InboxError {
        InboxError { kind, reason }
    }

    fn unauthorized(reason: impl Into<String>) -> InboxError {
        InboxError::new(Refusal::Unauthorized, reason.into())
    }

    fn bad(reason: impl Into<String>) -> InboxError {
        InboxError::new(Refusal::Malformed, reason.into())
    }

    /// A fault of ours.
    pub fn internal(e: impl std::fmt::Display) -> InboxError {
        tracing::error!(error = %e, "inbox failure");
        InboxError::new(Refusal::Internal, "internal error".into())
    }
}

impl From<SignatureError> for InboxError {
    fn from(e: SignatureError) -> InboxError {
        InboxError::unauthorized(e.to_string())
    }
}

impl From<crate::error::Error> for InboxError {
    fn from(e: crate::error::Error) -> InboxError {
        InboxError::internal(e)
    }
}

/// An activity whose signature, key owner and origins were checked.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The activity.
    pub activity: Activity,
    /// The actor, as verified, to store with the activity's effects.
    pub actor: RemoteActor,
    /// Whether the actor was fetched now (and must be stored) rather than already stored.
    pub fresh: bool,
}

/// The key `key_id` (or, without one, the first key) among those a document lists in
/// `publicKey` (one object or an array), or the document itself when it is a bare key document
/// (`{id, owner, publicKeyPem}`). Returns the key's id, its stated owner and its PEM.
pub fn listed_key(doc: &Value, key_id: Option<&str>) -> Option<(String, Option<String>, String)> {
    let read = |k: &Value| {
        let id = k.get("id")?.as_str()?;
        if key_id.is_some_and(|want| want != id) {
            return None;
        }
        let pem = k.get("publicKeyPem")?.as_str()?;
        let owner = k.get("owner").and_then(Value::as_str).map(str::to_string);
        Some((id.to_string(), owner, pem.to_string()))
    };
    match doc.get("publicKey") {
        Some(Value::Array(keys)) => keys.iter().find_map(read),
        Some(key @ Value::Object(_)) => read(key),
        _ => read(doc),
    }
}

/// Reads a remote actor document into the stored form, with its first key.
pub fn remote_actor(doc: &Value, now: i64) -> Result<(Actor, RemoteActor), String> {
    actor_with_key(doc, now, None)
}

/// Reads a remote actor document into the stored form, with the key `key_id` it must list
/// (the first key when `None`). Its inbox must be on its own server; a shared inbox elsewhere
/// is ignored.
fn actor_with_key(
    doc: &Value,
    now: i64,
    key_id: Option<&str>,
) -> Result<(Actor, RemoteActor), String> {
    let (key_id, owner, pem) = listed_key(doc, key_id).ok_or_else(|| match key_id {
        Some(k) => format!("the actor does not list the key {k}"),
        None => "the actor has no publicKey".to_string(),
    })?;
    // Keys are read above, whatever their shape (one object or an array); the typed reading
    // takes the rest.
    let mut typed = doc.clone();
    if let Some(o) = typed.as_object_mut() {
        o.remove("publicKey");
    }
    let mut actor: Actor =
        serde_json::from_value(typed).map_err(|e| format!("not an actor: {e}"))?;
    if owner.as_deref().is_some_and(|o| o != actor.id.as_str()) {
        return Err(format!(
            "the key {key_id} belongs to another actor than {}",
            actor.id
        ));
    }
    let key_url = Url::parse(&key_id).map_err(|_| format!("the key id {key_id} is not a URL"))?;
    let origin = origin_of(&actor.id);
    if origin_of(&key_url) != origin {
        return Err(format!(
            "the key {key_id} is not on the server of {}",
            actor.id
        ));
    }
    if origin_of(&actor.inbox) != origin {
        return Err(format!(
            "the inbox {} is not on the actor's server",
            actor.inbox
        ));
    }
    if let Some(e) = actor.endpoints.as_mut() {
        if e.shared_inbox
            .as_ref()
            .is_some_and(|u| origin_of(u) != origin)
        {
            e.shared_inbox = None;
        }
    }
    actor.public_key = Some(ap::PublicKey {
        id: key_url,
        owner: actor.id.clone(),
        public_key_pem: pem.clone(),
    });
    let kind = serde_json::to_value(&actor.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let stored = RemoteActor {
        ap_id: actor.id.to_string(),
        kind,
        preferred_username: actor.preferred_username.clone(),
        name: actor.name.clone(),
        inbox: actor.inbox.to_string(),
        shared_inbox: actor
            .endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_ref())
            .map(Url::to_string),
        key_id: Some(key_id),
        public_key_pem: pem,
        // A profile link is shown to shopkeepers: http(s) only (never `javascript:`).
        url: actor
            .url
            .as_ref()
            .and_then(|u| u.as_str())
            .and_then(|u| Url::parse(u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(String::from),
        document: doc.to_string(),
        fetched_at: now,
    };
    Ok((actor, stored))
}

/// Fetches the actor that owns `key_id`. The key id is either the actor's URL with a fragment
/// (Mastodon: `{actor}#main-key`), or a URL of its own that answers a key document or a stub
/// of the actor (GoToSocial: `{actor}/main-key` answers `{id: actor, publicKey: {…}}`). In the
/// second case that answer only names the owner: the owner's own document, fetched from its
/// own URL, must list the key, and the owner must be on the key's server.
pub async fn fetch_key_owner(fed: &Federation, key_id: &Url) -> Result<RemoteActor, InboxError> {
    let mut url = key_id.clone();
    url.set_fragment(None);
    // What went wrong is logged, not told: the sender learns only which kind of failure it was
    // (a fetch error would describe hosts and networks this node can reach).
    let fetch_err = |e: FetchError| {
        tracing::info!(key = %key_id, error = %e, "cannot get a signing key");
        InboxError::unauthorized(match e {
            FetchError::Refused(_) => {
                format!("cannot get the signing key {key_id}: its address is refused by this node's address policy")
            }
            FetchError::Network(..) | FetchError::Status(..) => {
                format!("cannot get the signing key {key_id}: its server did not provide it")
            }
            FetchError::Invalid(..) => {
                format!("cannot get the signing key {key_id}: its server's answer is not a usable ActivityPub document")
            }
        })
    };
    let doc = fed
        .fetcher
        .get_key_document(&url)
        .await
        .map_err(fetch_err)?;
    let is_the_actor =
        doc.get("id").and_then(Value::as_str) == Some(url.as_str()) && doc.get("inbox").is_some();
    let doc = if is_the_actor {
        doc
    } else {
        let owner = listed_key(&doc, Some(key_id.as_str()))
            .and_then(|(_, owner, _)| owner)
            .ok_or_else(|| {
                InboxError::unauthorized(format!("{url} does not name the owner of {key_id}"))
            })?;
        let owner = Url::parse(&owner).map_err(|_| {
            InboxError::unauthorized(format!("the key owner {owner:?} is not a URL"))
        })?;
        if origin_of(&owner) != origin_of(key_id) {
            return Err(InboxError::unauthorized(format!(
                "the key {key_id} names an owner on another server ({owner})"
            )));
        }
        fed.fetcher.get(&owner).await.map_err(fetch_err)?
    };
    let (_, stored) = actor_with_key(&doc, fed.cx.clock.now_ms(), Some(key_id.as_str()))
        .map_err(InboxError::unauthorized)?;
    Ok(stored)
}

fn origin_of(u: &Url) -> String {
    ap::origin(u)
}

/// Runs every check on a received request.
pub async fn verify(fed: &Federation, parts: &Parts, body: &[u8]) -> Result<Verified, InboxError> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let sig = signing::parse_signature(header("signature").ok_or(SignatureError::Missing)?)?;
    if sig.key_id.len() > MAX_KEY_ID_BYTES {
        return Err(InboxError::unauthorized("keyId is too long"));
    }
    // A blocked domain is refused before anything of it is fetched or read.
    if let Some(host) = Url::parse(&sig.key_id)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
    {
        match crate::domain::moderation::is_blocked(&fed.cx, &host).await {
            Ok(false) => {}
            Ok(true) => {
                return Err(InboxError::new(
                    Refusal::Blocked,
                    "this node does not accept activities from your domain".into(),
                ))
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read the domain blocks");
                return Err(InboxError::new(Refusal::Internal, "internal error".into()));
            }
        }
    }
    for required in ["(request-target)", "host", "digest"] {
        if !sig.headers.iter().any(|h| h == required) {
            return Err(SignatureError::Uncovered(match required {
                "(request-target)" => "(request-target)",
                "host" => "host",
                _ => "digest",
            })
            .into());
        }
    }
    if !sig.headers.iter().any(|h| h == "date" || h == "(created)") {
        return Err(SignatureError::Uncovered("date").into());
    }
    // Digest: the body must be the one that was signed.
    let digest = header("digest").ok_or_else(|| InboxError::bad("no Digest header"))?;
    let expected = signing::digest_header(body);
    let matches = digest.split(',').any(|d| {
        let d = d.trim();
        d.len() == expected.len()
            && d[..8].eq_ignore_ascii_case("SHA-256=")
            && d[8..] == expected[8..]
    });
    if !matches {
        return Err(InboxError::bad("the Digest header does not match the body"));
    }
    // Freshness.
    // The request was meant for this server: a signed request replayed from another one
    // carries that server's Host.
    let host = header("host").unwrap_or_default();
    let host = host
        .strip_suffix(":443")
        .or_else(|| host.strip_suffix(":80"))
        .unwrap_or(host);
    let ours = fed.cx.urls.host();
    if !host.eq_ignore_ascii_case(ours) {
        return Err(InboxError::unauthorized(format!(
            "the signed Host {host:?} is not this server ({ours})"
        )));
    }
    // Freshness, from what the signature covers: an unsigned Date proves nothing.
    let now = chrono::Utc::now().timestamp();
    let signed_date = sig.headers.iter().any(|h| h == "date");
    let sent = match (signed_date, header("date"), sig.created) {
        (true, Some(d), _) => chrono::DateTime::parse_from_rfc2822(&d.replace("GMT", "+0000"))
            .map(|t| t.timestamp())
            .map_err(|_| InboxError::bad("the Date header is not an HTTP date"))?,
        (_, _, Some(c)) => c,
        _ => return Err(InboxError::bad("no signed Date or (created)")),
    };
    if now.saturating_sub(sent).saturating_abs() > MAX_SKEW_SECS {
        return Err(InboxError::unauthorized(
            "the request is too old or from the future (Date off by more than an hour)",
        ));
    }
    if sig.expires.is_some_and(|e| e < now) {
        return Err(InboxError::unauthorized("the signature has expired"));
    }
    // The body, bounded before anything is built from it: a deeply nested document costs
    // nothing to refuse, and the typed reading below waits until the signature is checked.
    let doc = json::parse(body).map_err(|e| match e {
        json::Refused::TooDeep => InboxError::bad(format!(
            "the activity nests objects more than {} levels deep",
            json::MAX_DEPTH
        )),
        json::Refused::NotJson(e) => InboxError::bad(format!("the body is not JSON: {e}")),
    })?;
    // The signature, with the stored key first and a fresh one if that fails.
    let key_id =
        Url::parse(&sig.key_id).map_err(|_| InboxError::unauthorized("keyId is not a URL"))?;
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let text = signing::signing_string(&sig, parts.method.as_str(), path, |h| header(h))?;
    // Keys are found by their id: `{actor}#main-key`, or a document of its own
    // (`{actor}/main-key`, GoToSocial) whose owner is the actor.
    let cached = match fed.cached_actor(&sig.key_id) {
        Some(a) => Some(a),
        None => crate::domain::audience::actor_by_key(&fed.cx, &sig.key_id)
            .await
            .map_err(InboxError::internal)?,
    };
    // Servers tell every server they know when an account is deleted. For an actor we never
    // stored there is nothing to undo, and its key is usually gone already: acknowledge it
    // without fetching anything.
    let object_id = match doc.get("object") {
        Some(Value::String(id)) => Some(id.as_str()),
        Some(o) => o.get("id").and_then(Value::as_str),
        None => None,
    };
    let actor_id = doc.get("actor").and_then(Value::as_str);
    if cached.is_none()
        && doc.get("type").and_then(Value::as_str) == Some("Delete")
        && actor_id.is_some()
        && object_id == actor_id
    {
        return Err(InboxError::new(
            Refusal::NothingToDo,
            "the deletion of an actor this node does not know: nothing to do".into(),
        ));
    }
    let (actor, fresh) =
        match cached {
            Some(a) if signing::verify(&a.public_key_pem, text.as_bytes(), &sig.signature) => {
                (a, false)
            }
            _ => {
                // A key fetched within the last minutes without a verified signature is not asked
                // for again: forged signatures naming a real key must not make the node fetch it
                // each time. What that fetch returned still serves the real sender (a first
                // contact, or a rotated key). A real rotation with a stored key refetches once.
                if let Some(recent) = fed.recent_key_fetch(&sig.key_id) {
                    match recent.owner {
                        Some(owner)
                            if signing::verify(
                                &owner.public_key_pem,
                                text.as_bytes(),
                                &sig.signature,
                            ) =>
                        {
                            return finish(fed, doc, owner, true);
                        }
                        Some(_) => return Err(SignatureError::Invalid(sig.key_id.clone()).into()),
                        // The key could not be had: the same kind of failure as the first time.
                        None => {
                            return Err(InboxError::unauthorized(recent.failure.unwrap_or_else(
                                || format!("cannot get the signing key {key_id}"),
                            )))
                        }
                    }
                }
                let fresh = match fetch_key_owner(fed, &key_id).await {
                    Ok(f) => f,
                    Err(e) => {
                        fed.note_key_fetch(&sig.key_id, None, Some(e.reason.clone()));
                        return Err(e);
                    }
                };
                if !signing::verify(&fresh.public_key_pem, text.as_bytes(), &sig.signature) {
                    fed.note_key_fetch(&sig.key_id, Some(fresh.clone()), None);
                    return Err(SignatureError::Invalid(fresh.ap_id).into());
                }
                (fresh, true)
            }
        };
    finish(fed, doc, actor, fresh)
}

/// The checks after the signature: the body read as an activity, its actor the signer, and
/// everything from the actor's server.
fn finish(
    fed: &Federation,
    doc: Value,
    actor: RemoteActor,
    fresh: bool,
) -> Result<Verified, InboxError> {
    // The activity, read only now that its signature holds.
    let activity: Activity = serde_json::from_value(doc).map_err(|e| {
        InboxError::bad(format!("the body is not an activity this node reads: {e}"))
    })?;
    if !fresh {
        // A fetched actor is remembered once the activity's transaction stored it.
        fed.cache_actor(&actor);
    }
    // Who signed must be who acts, and everything must come from the actor's server.
    if activity.actor.as_str() != actor.ap_id {
        return Err(InboxError::unauthorized(format!(
            "signed by {} but the activity's actor is {}",
            actor.ap_id, activity.actor
        )));
    }
    let actor_origin = origin_of(&activity.actor);
    if origin_of(&activity.id) != actor_origin {
        return Err(InboxError::bad(format!(
            "the activity {} is not on its actor's server",
            activity.id
        )));
    }
    if let Some(why) = crate::federation::from_ap::foreign_object(&activity, &actor_origin) {
        return Err(InboxError::bad(why));
    }
    Ok(Verified {
        activity,
        actor,
        fresh,
    })
}
