//! Discovery: WebFinger (RFC 7033) and NodeInfo 2.1.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A WebFinger JSON Resource Descriptor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jrd {
    /// `acct:slug@host`.
    pub subject: String,
    /// Other names of the resource (the actor URL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Links.
    #[serde(default)]
    pub links: Vec<JrdLink>,
}

/// A WebFinger link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JrdLink {
    /// Relation: `self` for the actor.
    pub rel: String,
    /// Media type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// URI template (remote follow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

/// `/.well-known/nodeinfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeInfoLinks {
    /// Links to NodeInfo documents (and, per FEP-2677, to the node's actor).
    pub links: Vec<JrdLink>,
}

/// A NodeInfo 2.1 document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    /// `2.1`.
    pub version: String,
    /// The software.
    pub software: Software,
    /// `["activitypub"]`.
    pub protocols: Vec<String>,
    /// Bridges to other services.
    pub services: Services,
    /// Whether anyone can sign up.
    pub open_registrations: bool,
    /// Counts.
    pub usage: Usage,
    /// Free metadata.
    #[serde(default)]
    pub metadata: Value,
}

/// NodeInfo `software`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Software {
    /// `etal`.
    pub name: String,
    /// Version.
    pub version: String,
    /// Source code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
}

/// NodeInfo `services`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Services {
    /// Inbound.
    pub inbound: Vec<String>,
    /// Outbound.
    pub outbound: Vec<String>,
}

/// NodeInfo `usage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Accounts (merchants).
    pub users: Users,
    /// Posts (products).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_posts: Option<u64>,
}

/// NodeInfo `usage.users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Users {
    /// All accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Active in the last month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_month: Option<u64>,
    /// Active in the last six months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_halfyear: Option<u64>,
}
