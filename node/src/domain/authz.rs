//! Who may do what: the one place where every write of the API and the dashboard is allowed
//! or refused. Each write names its [`Action`]; [`allow`] decides from the [`Caller`].
//!
//! | action | admin | owner | staff | shop token | admin token |
//! |---|---|---|---|---|---|
//! | `CreateShop`, `DeleteShop`, `SuspendShop`, `RunNode` | yes | | | | yes |
//! | `EditShop`, `ReadAudience`, `AnswerReplies` | yes | yes | | yes | yes |
//! | `EditProducts` | yes | yes | yes | yes | yes |
//! | `ManagePeople`, `ManageTokens` | yes | yes | | | yes |
//! | `HandleReservations`, `RedeemVouchers` | yes | yes | yes | yes | yes |
//!
//! A shop token acts for its shop but cannot mint tokens or invite people: a leaked token
//! stays one token. Anonymous callers get 401, others 403; a refused write changes nothing,
//! since every write asks before it begins.

use uuid::Uuid;

use crate::db::tokens::Scope;
use crate::error::{Error, Result};
use crate::model::account::{Role, User};

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Nobody signed in, no token.
    Anonymous,
    /// An API token.
    Token(Scope),
    /// A signed-in person (dashboard).
    Person(User),
    /// The command line (`etal import …`), run by whoever administers the machine.
    Operator,
}

/// Every write, by what it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Add a shop to the node.
    CreateShop,
    /// Change a shop's profile.
    EditShop(Uuid),
    /// Delete a shop (a federated Delete follows).
    DeleteShop(Uuid),
    /// Suspend a shop's people and tokens, or lift it.
    SuspendShop(Uuid),
    /// Create, change and delete a shop's products and photos; import them.
    EditProducts(Uuid),
    /// See a shop's followers, likes, boosts and replies.
    ReadAudience(Uuid),
    /// Answer a reply as the shop.
    AnswerReplies(Uuid),
    /// Invite people to a shop and take them off it.
    ManagePeople(Uuid),
    /// Create and revoke a shop's API tokens.
    ManageTokens(Uuid),
    /// See a shop's reservations and answer them.
    HandleReservations(Uuid),
    /// Read and redeem town vouchers at a shop.
    RedeemVouchers(Uuid),
    /// The node itself: its follows, settings, domain blocks, moderation, accounts.
    RunNode,
}

impl Action {
    /// The shop the action is about, if any.
    pub fn shop(self) -> Option<Uuid> {
        match self {
            Action::CreateShop | Action::RunNode => None,
            Action::EditShop(m)
            | Action::DeleteShop(m)
            | Action::SuspendShop(m)
            | Action::EditProducts(m)
            | Action::ReadAudience(m)
            | Action::AnswerReplies(m)
            | Action::ManagePeople(m)
            | Action::ManageTokens(m)
            | Action::HandleReservations(m)
            | Action::RedeemVouchers(m) => Some(m),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Action::CreateShop => "add a shop",
            Action::EditShop(_) => "change this shop's profile",
            Action::DeleteShop(_) => "delete a shop",
            Action::SuspendShop(_) => "suspend a shop",
            Action::EditProducts(_) => "change this shop's products",
            Action::ReadAudience(_) => "see this shop's followers and interactions",
            Action::AnswerReplies(_) => "answer replies as this shop",
            Action::ManagePeople(_) => "manage this shop's people",
            Action::ManageTokens(_) => "manage this shop's API tokens",
            Action::HandleReservations(_) => "handle this shop's reservations",
            Action::RedeemVouchers(_) => "take vouchers at this shop",
            Action::RunNode => "administer the node",
        }
    }
}

/// Whether the role at a shop allows an action on it.
fn role_allows(role: Role, action: Action) -> bool {
    match role {
        Role::Owner => !matches!(
            action,
            Action::CreateShop | Action::DeleteShop(_) | Action::SuspendShop(_) | Action::RunNode
        ),
        Role::Staff => matches!(
            action,
            Action::EditProducts(_) | Action::HandleReservations(_) | Action::RedeemVouchers(_)
        ),
    }
}

/// Allows or refuses `action` to `caller`: 401 for nobody, 403 with the reason otherwise.
pub fn allow(caller: &Caller, action: Action) -> Result<()> {
    let allowed = match caller {
        Caller::Anonymous => {
            return Err(Error::NotAuthenticated(
                "this needs an Authorization: Bearer token (see `etal admin token create`) or a signed-in account"
                    .into(),
            ))
        }
        Caller::Token(Scope::Admin) | Caller::Operator => true,
        Caller::Token(Scope::Merchant { id, .. }) => {
            action.shop() == Some(*id)
                && matches!(
                    action,
                    Action::EditShop(_)
                        | Action::EditProducts(_)
                        | Action::HandleReservations(_)
                        | Action::RedeemVouchers(_)
                        | Action::ReadAudience(_)
                        | Action::AnswerReplies(_)
                )
        }
        Caller::Person(user) if user.disabled => false,
        Caller::Person(user) if user.admin => true,
        Caller::Person(user) => action
            .shop()
            .and_then(|shop| user.role_at(shop))
            .is_some_and(|role| role_allows(role, action)),
    };
    if allowed {
        return Ok(());
    }
    Err(Error::NotAllowed(match caller {
        Caller::Token(Scope::Merchant { slug, .. }) => format!(
            "this token belongs to the shop \"{slug}\" and may not {}",
            action.what()
        ),
        _ => format!("you may not {}", action.what()),
    }))
}

impl Caller {
    /// The signed-in person, if any.
    pub fn person(&self) -> Option<&User> {
        match self {
            Caller::Person(u) => Some(u),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::account::Membership;

    fn person(admin: bool, shops: &[(Uuid, Role)]) -> Caller {
        Caller::Person(User {
            id: Uuid::now_v7(),
            email: "a@b.fr".into(),
            admin,
            has_password: true,
            disabled: false,
            memberships: shops
                .iter()
                .map(|(id, role)| Membership {
                    merchant_id: *id,
                    slug: "s".into(),
                    name: "S".into(),
                    role: *role,
                })
                .collect(),
            created_at: 0,
        })
    }

    #[test]
    fn staff_touch_only_products_and_tokens_never_mint_tokens() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let staff = person(false, &[(a, Role::Staff)]);
        assert!(allow(&staff, Action::EditProducts(a)).is_ok());
        assert!(allow(&staff, Action::EditShop(a)).is_err());
        assert!(allow(&staff, Action::EditProducts(b)).is_err());
        let owner = person(false, &[(a, Role::Owner)]);
        assert!(allow(&owner, Action::ManageTokens(a)).is_ok());
        assert!(allow(&owner, Action::DeleteShop(a)).is_err());
        let token = Caller::Token(Scope::Merchant {
            id: a,
            slug: "s".into(),
        });
        assert!(allow(&token, Action::EditShop(a)).is_ok());
        assert!(allow(&token, Action::ManageTokens(a)).is_err());
        assert!(matches!(
            allow(&Caller::Anonymous, Action::EditProducts(a)),
            Err(Error::NotAuthenticated(_))
        ));
        assert!(allow(&person(true, &[]), Action::RunNode).is_ok());
    }
}
