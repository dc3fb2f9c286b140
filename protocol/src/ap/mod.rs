//! ActivityPub documents as Étal publishes them, and lenient readers for what other servers
//! send (Mastodon, Mitra, Fedify…). Field names follow ActivityStreams, schema.org and ValueFlows;
//! every term is defined inline in each document's `@context` (see [`context`]).
//!
//! Spec: `spec/README.md`. Unknown fields of remote documents are ignored; our own documents
//! round-trip through these types without losing a field (tests check every spec example).

pub mod activity;
pub mod actor;
pub mod agreement;
pub mod collection;
pub mod context;
pub mod discovery;
pub mod object;

pub use activity::{Activity, ActivityType, Object, ObjectRef};
pub use actor::{Actor, ActorType, Endpoints, PropertyValue, PublicKey};
pub use agreement::{Agreement, Amount, Commitment, Link};
pub use collection::{OrderedCollection, OrderedCollectionPage};
pub use discovery::{Jrd, JrdLink, NodeInfo, NodeInfoLinks};
pub use object::{
    Attachment, ImageRef, Intent, Note, Place, PostalAddress, Quantity, Tag, Tombstone,
};

/// The public collection: addressed in `to`, an object is public.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Media type of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// The JSON-LD form of the ActivityPub media type, also accepted.
pub const LD_JSON_AS: &str =
    "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// Serde helpers for values that other servers send as one item or as an array.
pub mod one_or_many {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Reads `x`, `[x, …]` or `null` as a vector.
    pub fn deserialize<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: DeserializeOwned,
    {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany<T> {
            Many(Vec<T>),
            One(T),
            None(()),
        }
        Ok(match Option::<OneOrMany<T>>::deserialize(d)? {
            Some(OneOrMany::Many(v)) => v,
            Some(OneOrMany::One(x)) => vec![x],
            Some(OneOrMany::None(())) | None => vec![],
        })
    }

    /// Writes a vector as an array.
    pub fn serialize<S: Serializer, T: Serialize>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
}

/// The origin (scheme, host, port) of a URL: two ids are from the same server when their
/// origins are equal. Ports count: `localhost:8001` and `localhost:8002` are different servers.
pub fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}
