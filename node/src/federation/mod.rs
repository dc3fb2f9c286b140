//! ActivityPub: documents (actors, product notes, collections), discovery (WebFinger,
//! NodeInfo), the inbox, signed fetching, and the mirror of followed nodes.

pub mod fetch;
pub mod follows;
pub mod from_ap;
pub mod inbox;
pub mod intents;
pub mod json;
pub mod mirror;
pub mod offers;
pub mod outbox;
pub mod replies;
pub mod sanitize;
pub mod signing;
pub mod to_ap;

use std::sync::Arc;
use std::time::Duration;

use crate::domain::Context;
use crate::model::actor::LocalActor;
use crate::model::remote::RemoteActor;
use crate::urls::Urls;
use fetch::Fetcher;
use signing::SigningKey;

/// What ActivityPub needs beside the rules' context: the node actor's key, the signed fetcher,
/// what is known of remote actors.
#[derive(Debug)]
pub struct Federation {
    /// The rules' view of the node.
    pub cx: Arc<Context>,
    /// Signs GETs.
    pub fetcher: Fetcher,
    /// The node actor's public key.
    pub node_public_pem: String,
    /// Recently verified remote actors by key id, to check signatures without a query.
    actors: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, RemoteActor)>>,
    /// Key ids fetched recently, so that forged signatures naming a key cannot make the node
    /// fetch it again and again.
    key_fetches: std::sync::Mutex<std::collections::HashMap<String, KeyFetch>>,
    /// Followed nodes whose outbox is being walked.
    backfills: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// The last fetch of a key id that did not end in a verified signature: when, and the owner
/// then fetched (if the fetch itself worked).
#[derive(Debug, Clone)]
pub struct KeyFetch {
    at: std::time::Instant,
    /// The owner as fetched, whose key a later signature may still verify against.
    pub owner: Option<RemoteActor>,
    /// Why the key could not be had, when the fetch itself failed: said again to requests
    /// refused without asking its server again.
    pub failure: Option<String>,
}

/// Key ids remembered at most (a flood of made-up key ids empties the memory rather than
/// growing it).
const KEY_FETCHES_KEPT: usize = 10_000;

/// How often a key id may be fetched again after a failure: a signature that does not verify
/// with the key in hand, or a key that could not be had, is refused without asking its server
/// again within this time (key rotation still works: the first failure refetches).
pub const KEY_REFETCH_EVERY: Duration = Duration::from_secs(300);

/// How long a verified remote actor's key is trusted from memory (a failed check refetches).
const ACTOR_CACHE_TTL: Duration = Duration::from_secs(300);

/// The User-Agent of every request the node makes.
pub fn user_agent(urls: &Urls) -> String {
    format!("Etal/{} (+{}/)", env!("CARGO_PKG_VERSION"), urls.base())
}

impl Federation {
    /// Loads the node key and builds the HTTP client.
    pub async fn new(cx: Arc<Context>) -> anyhow::Result<Federation> {
        let (urls, settings) = (&cx.urls, &cx.settings);
        let (public, private) = crate::domain::keys::node_key_pair(&cx).await?;
        let key = Arc::new(SigningKey::from_pem(urls.node_key().to_string(), &private)?);
        let client = fetch::client(
            settings.allow_private_networks,
            &user_agent(urls),
            Duration::from_secs(20),
        );
        Ok(Federation {
            fetcher: Fetcher::new(client, key, settings.allow_private_networks),
            node_public_pem: public,
            actors: Default::default(),
            key_fetches: Default::default(),
            backfills: Default::default(),
            cx,
        })
    }

    /// A remote actor verified recently, by the id of its key.
    pub fn cached_actor(&self, key_id: &str) -> Option<RemoteActor> {
        let cache = self.actors.lock().expect("actor cache lock");
        cache
            .get(key_id)
            .filter(|(at, _)| at.elapsed() < ACTOR_CACHE_TTL)
            .map(|(_, a)| a.clone())
    }

    /// Remembers a stored remote actor under its key id.
    pub fn cache_actor(&self, actor: &RemoteActor) {
        let Some(key_id) = actor.key_id.clone() else {
            return;
        };
        let mut cache = self.actors.lock().expect("actor cache lock");
        if cache.len() > 10_000 {
            cache.retain(|_, (at, _)| at.elapsed() < ACTOR_CACHE_TTL);
        }
        cache.insert(key_id, (std::time::Instant::now(), actor.clone()));
    }

    /// The last fetch of `key_id` that did not verify, if it was within
    /// [`KEY_REFETCH_EVERY`]: the node does not fetch the key again meanwhile.
    pub fn recent_key_fetch(&self, key_id: &str) -> Option<KeyFetch> {
        self.key_fetches
            .lock()
            .expect("key fetch lock")
            .get(key_id)
            .filter(|f| f.at.elapsed() < KEY_REFETCH_EVERY)
            .cloned()
    }

    /// Records a fetch of `key_id` that did not verify (`owner`: what it returned, if any;
    /// `failure`: why there was nothing, if the fetch failed).
    pub fn note_key_fetch(
        &self,
        key_id: &str,
        owner: Option<RemoteActor>,
        failure: Option<String>,
    ) {
        let mut fetches = self.key_fetches.lock().expect("key fetch lock");
        if fetches.len() >= KEY_FETCHES_KEPT {
            fetches.retain(|_, f| f.at.elapsed() < KEY_REFETCH_EVERY);
            if fetches.len() >= KEY_FETCHES_KEPT {
                fetches.clear();
            }
        }
        fetches.insert(
            key_id.to_string(),
            KeyFetch {
                at: std::time::Instant::now(),
                owner,
                failure,
            },
        );
    }

    /// Marks a backfill of `target` as running; false if one already is.
    pub fn start_backfill(&self, target: &str) -> bool {
        self.backfills
            .lock()
            .expect("backfill lock")
            .insert(target.to_string())
    }

    /// Marks the backfill of `target` as finished.
    pub fn end_backfill(&self, target: &str) {
        self.backfills.lock().expect("backfill lock").remove(target);
    }

    /// Forgets a remote actor (deleted, or its document replaced).
    pub fn forget_actor(&self, ap_id: &str) {
        self.actors
            .lock()
            .expect("actor cache lock")
            .retain(|_, (_, a)| a.ap_id != ap_id);
    }
}

/// The key that signs for a local actor.
pub async fn signer_key(fed: &Federation, signer: LocalActor) -> anyhow::Result<SigningKey> {
    match signer {
        LocalActor::Node => {
            let (_, private) = crate::domain::keys::node_key_pair(&fed.cx).await?;
            SigningKey::from_pem(fed.cx.urls.node_key().to_string(), &private)
        }
        LocalActor::Merchant(id) => {
            let (slug, private) = crate::domain::keys::shop_signing_key(&fed.cx, id).await?;
            SigningKey::from_pem(fed.cx.urls.merchant_key(&slug).to_string(), &private)
        }
    }
}

/// Reads a fetched document as `T`, with a sentence when it does not fit.
pub fn verify_doc<T: serde::de::DeserializeOwned>(doc: &serde_json::Value) -> Result<T, String> {
    serde_json::from_value(doc.clone()).map_err(|e| format!("unexpected document: {e}"))
}
