//! Who acts for this node: its own `Application` actor, or one of its merchants. Followers
//! are theirs, and deliveries are signed by one of them.

use uuid::Uuid;

/// A local actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocalActor {
    /// The node's own actor (`/actor`).
    Node,
    /// A merchant, by id.
    Merchant(Uuid),
}

impl LocalActor {
    /// How storage spells it: `node`, or the merchant's id.
    pub fn storage_key(&self) -> String {
        match self {
            LocalActor::Node => "node".into(),
            LocalActor::Merchant(id) => id.to_string(),
        }
    }

    /// Reads the storage spelling back.
    pub fn from_storage_key(key: &str) -> Option<LocalActor> {
        match key {
            "node" => Some(LocalActor::Node),
            id => uuid::Uuid::parse_str(id).ok().map(LocalActor::Merchant),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_storage_spelling_reads_back() {
        let m = LocalActor::Merchant(Uuid::now_v7());
        for a in [LocalActor::Node, m] {
            assert_eq!(LocalActor::from_storage_key(&a.storage_key()), Some(a));
        }
        assert_eq!(LocalActor::from_storage_key("nobody"), None);
    }
}
