//! Activities, and [`Object`]: any document an activity may carry, typed by its `type`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use url::Url;

use super::actor::Actor;
use super::object::{Note, Tombstone};

/// The activity types Étal sends or handles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityType {
    /// A new object.
    Create,
    /// A changed object or actor.
    Update,
    /// A removed object or actor.
    Delete,
    /// A subscription request.
    Follow,
    /// Approval (of a Follow).
    Accept,
    /// Refusal (of a Follow).
    Reject,
    /// Reversal (of a Follow, Like, Announce).
    Undo,
    /// A favourite.
    Like,
    /// A boost; from a node actor, a relayed activity.
    Announce,
    /// FEP-0837 order.
    Offer,
    /// Moving an account.
    Move,
    /// Anything else, kept by name.
    #[serde(untagged)]
    Other(String),
}

/// An activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// JSON-LD context (absent when embedded).
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub context: Value,
    /// The activity's id.
    pub id: Url,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: ActivityType,
    /// Who did it.
    pub actor: Url,
    /// What it acts on: an id or an embedded document.
    pub object: ObjectRef,
    /// Primary audience.
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub to: Vec<Url>,
    /// Secondary audience.
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cc: Vec<Url>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
}

/// An object given by id or embedded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ObjectRef {
    /// Just the id.
    Id(Url),
    /// The document.
    Object(Box<Object>),
}

impl ObjectRef {
    /// The referenced id (for an embedded document, its `id`).
    pub fn id(&self) -> Option<&Url> {
        match self {
            ObjectRef::Id(u) => Some(u),
            ObjectRef::Object(o) => o.id(),
        }
    }

    /// The embedded document, if any.
    pub fn object(&self) -> Option<&Object> {
        match self {
            ObjectRef::Id(_) => None,
            ObjectRef::Object(o) => Some(o),
        }
    }
}

/// Any document, typed by its `type` field. Unknown types are kept as JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    /// A product, or another server's post.
    Note(Box<Note>),
    /// A deleted object.
    Tombstone(Tombstone),
    /// An actor.
    Actor(Box<Actor>),
    /// An activity (inside Announce or Undo).
    Activity(Box<Activity>),
    /// Anything else.
    Other(Value),
}

impl Object {
    /// The document's id.
    pub fn id(&self) -> Option<&Url> {
        match self {
            Object::Note(n) => Some(&n.id),
            Object::Tombstone(t) => Some(&t.id),
            Object::Actor(a) => Some(&a.id),
            Object::Activity(a) => Some(&a.id),
            Object::Other(_) => None,
        }
    }
}

fn type_name(v: &Value) -> Option<&str> {
    match v.get("type")? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.first()?.as_str(),
        _ => None,
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let kind = type_name(&v).unwrap_or_default().to_string();
        let typed = match kind.as_str() {
            "Note" | "Article" | "Page" | "Question" => {
                serde_json::from_value(v.clone()).map(|n| Object::Note(Box::new(n)))
            }
            "Tombstone" => serde_json::from_value(v.clone()).map(Object::Tombstone),
            "Organization" | "Application" | "Person" | "Service" | "Group" => {
                serde_json::from_value(v.clone()).map(|a| Object::Actor(Box::new(a)))
            }
            "Create" | "Update" | "Delete" | "Follow" | "Accept" | "Reject" | "Undo" | "Like"
            | "Announce" | "Offer" | "Move" => {
                serde_json::from_value(v.clone()).map(|a| Object::Activity(Box::new(a)))
            }
            _ => return Ok(Object::Other(v)),
        };
        // A document of a known type that does not fit our reading stays available as JSON.
        Ok(typed.unwrap_or(Object::Other(v)))
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Object::Note(n) => n.serialize(s),
            Object::Tombstone(t) => t.serialize(s),
            Object::Actor(a) => a.serialize(s),
            Object::Activity(a) => a.serialize(s),
            Object::Other(v) => v.serialize(s),
        }
    }
}
