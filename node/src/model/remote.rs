//! What the node knows of the fediverse: remote actors, its own follows of other nodes, and
//! the likes, boosts and replies its products receive.

use uuid::Uuid;

/// A remote actor as stored after its document was verified.
#[derive(Debug, Clone)]
pub struct RemoteActor {
    /// Actor id.
    pub ap_id: String,
    /// Actor type.
    pub kind: String,
    /// Handle user part.
    pub preferred_username: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Personal inbox.
    pub inbox: String,
    /// Shared inbox.
    pub shared_inbox: Option<String>,
    /// Key id.
    pub key_id: Option<String>,
    /// Public key.
    pub public_key_pem: String,
    /// Profile page.
    pub url: Option<String>,
    /// The whole document, JSON.
    pub document: String,
    /// When it was fetched.
    pub fetched_at: i64,
}

/// Where a follow by the node actor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowState {
    /// Sent, not answered yet.
    Pending,
    /// Accepted: what the followed actor announces is mirrored.
    Accepted,
    /// Refused.
    Rejected,
}

impl FollowState {
    /// As stored and as the API says it.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowState::Pending => "pending",
            FollowState::Accepted => "accepted",
            FollowState::Rejected => "rejected",
        }
    }

    /// Reads a stored state.
    pub fn parse(s: &str) -> Option<FollowState> {
        [
            FollowState::Pending,
            FollowState::Accepted,
            FollowState::Rejected,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

/// A follow by the node actor.
#[derive(Debug, Clone)]
pub struct Follow {
    /// The followed actor.
    pub target: String,
    /// Our Follow activity's id.
    pub follow_activity: String,
    /// Whether the followed actor answered.
    pub state: FollowState,
    /// Whether its outbox was read to its end once accepted.
    pub backfilled: bool,
}

/// A received like, boost or reply.
#[derive(Debug, Clone)]
pub struct Interaction {
    /// Local id.
    pub id: Uuid,
    /// The remote activity's id.
    pub activity_id: String,
    /// like | announce | reply.
    pub kind: String,
    /// The product concerned.
    pub product_id: Option<Uuid>,
    /// Who.
    pub actor: String,
    /// The reply's id.
    pub object_id: Option<String>,
    /// Sanitised HTML of a reply.
    pub content: Option<String>,
    /// The reply's page.
    pub url: Option<String>,
    /// When received.
    pub created_at: i64,
}

/// A shop's answer to a reply it received, published as a Note.
#[derive(Debug, Clone)]
pub struct ShopReply {
    /// UUIDv7: `/shops/{slug}/replies/{id}`.
    pub id: Uuid,
    /// The shop.
    pub merchant_id: Uuid,
    /// The reply answered (an interaction of the shop).
    pub interaction_id: Uuid,
    /// The remote reply's id.
    pub in_reply_to: String,
    /// Its author.
    pub to_actor: String,
    /// The answer, plain text.
    pub content: String,
    /// When (ms).
    pub created_at: i64,
}
