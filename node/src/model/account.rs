//! People who sign in (node admins, shop owners, shop staff), their sessions and the one-time
//! links mailed to them.

use uuid::Uuid;

/// What a person may do for one shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything about the shop: profile, products, people, tokens, fediverse panel.
    Owner,
    /// The shop's products only.
    Staff,
}

impl Role {
    /// How storage and forms spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Staff => "staff",
        }
    }

    /// Reads the spelling back.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "staff" => Some(Role::Staff),
            _ => None,
        }
    }
}

/// One shop a person works for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The shop's id.
    pub merchant_id: Uuid,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// What the person may do there.
    pub role: Role,
}

/// A person with an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Internal id.
    pub id: Uuid,
    /// Lower-case e-mail address.
    pub email: String,
    /// Node admin.
    pub admin: bool,
    /// Whether a password is set (an invited person has none until they accept).
    pub has_password: bool,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
    /// The live, unsuspended shops they work for.
    pub memberships: Vec<Membership>,
    /// When the account was created (ms).
    pub created_at: i64,
}

impl User {
    /// Their role at the shop `merchant_id`, if any.
    pub fn role_at(&self, merchant_id: Uuid) -> Option<Role> {
        self.memberships
            .iter()
            .find(|m| m.merchant_id == merchant_id)
            .map(|m| m.role)
    }
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// Set a first password (an invitation).
    Invite,
    /// Set a new password (a reset).
    Reset,
    /// Confirm the address given at sign-up (the password chosen then takes effect).
    Confirm,
}

impl LinkKind {
    /// How storage spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Invite => "invite",
            LinkKind::Reset => "reset",
            LinkKind::Confirm => "confirm",
        }
    }
}

/// A signed-in browser, as the dashboard sees it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The SHA-256 of the cookie's secret.
    pub id_hash: String,
    /// Who.
    pub user: User,
    /// The token every form of this session carries.
    pub csrf: String,
    /// When it was last seen (ms).
    pub seen_at: i64,
}

/// One of a person's sessions, as listed on their account page.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// The browser's `User-Agent`.
    pub user_agent: Option<String>,
    /// Signed in at (ms).
    pub created_at: i64,
    /// Last seen (ms).
    pub seen_at: i64,
    /// Whether it is the session asking.
    pub current: bool,
}

/// A person as the admin or a shop owner lists them.
#[derive(Debug, Clone)]
pub struct Person {
    /// Internal id.
    pub user_id: Uuid,
    /// E-mail address.
    pub email: String,
    /// Their role at the shop listed.
    pub role: Role,
    /// Whether they have accepted their invitation.
    pub active: bool,
}

/// An API token as the dashboard lists it (never the secret).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// Internal id.
    pub id: Uuid,
    /// What it is for.
    pub name: String,
    /// Created at (ms).
    pub created_at: i64,
}
