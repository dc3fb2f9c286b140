//! Town vouchers: a campaign (face value, price, budget, dates, who may get one), its
//! vouchers, their redemptions in the participating shops. Money in integer cents.

use uuid::Uuid;

/// Who may get a voucher of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligibility {
    /// Anyone, as many as they like (within the budget).
    Anyone,
    /// One per confirmed e-mail address.
    OnePerEmail,
    /// One per confirmed address living in one of these postal codes.
    PostalCodes(Vec<String>),
    /// Only the addresses the admin imported, one each.
    List,
}

impl Eligibility {
    /// How the API and storage spell it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Eligibility::Anyone => "anyone",
            Eligibility::OnePerEmail => "one_per_email",
            Eligibility::PostalCodes(_) => "postal_codes",
            Eligibility::List => "list",
        }
    }

    /// Whether an address gets one voucher at most.
    pub fn one_each(&self) -> bool {
        !matches!(self, Eligibility::Anyone)
    }
}

/// A campaign.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// UUIDv7.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// What a voucher is worth, in cents.
    pub face_minor: i64,
    /// What a resident pays for it, in cents (0: a gift).
    pub price_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// Vouchers in the budget.
    pub quantity: i64,
    /// Vouchers may be asked for from this time (ms)…
    pub issue_from: i64,
    /// …until this one.
    pub issue_until: i64,
    /// And spent until this one.
    pub valid_until: i64,
    /// Who may get one.
    pub eligibility: Eligibility,
    /// Made.
    pub created_at: i64,
}

/// Where a shop stands in a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopState {
    /// Invited by the admin; not yet taking vouchers.
    Invited,
    /// Takes the campaign's vouchers.
    Accepted,
    /// Left it.
    Left,
}

impl ShopState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ShopState::Invited => "invited",
            ShopState::Accepted => "accepted",
            ShopState::Left => "left",
        }
    }

    /// Reads it back.
    pub fn parse(s: &str) -> Option<ShopState> {
        [ShopState::Invited, ShopState::Accepted, ShopState::Left]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A voucher.
#[derive(Debug, Clone)]
pub struct Voucher {
    /// UUIDv7.
    pub id: Uuid,
    /// Its campaign.
    pub campaign_id: Uuid,
    /// The code, normalized (17 characters: 16 of 5 bits and a check character).
    pub code: String,
    /// The secret of the holder's private page.
    pub holder_secret: String,
    /// The holder's address.
    pub email: String,
    /// Its face value, cents.
    pub face_minor: i64,
    /// What is left, cents.
    pub balance_minor: i64,
    /// Issued, or waiting for its price to be paid.
    pub issued: bool,
    /// The payment's reference, when paid.
    pub payment_ref: Option<String>,
    /// Made.
    pub created_at: i64,
    /// Issued.
    pub issued_at: Option<i64>,
}

/// A redemption of a voucher at a shop.
#[derive(Debug, Clone)]
pub struct Redemption {
    /// UUIDv7.
    pub id: Uuid,
    /// The voucher.
    pub voucher_id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// The shop.
    pub merchant_id: Uuid,
    /// Who took it (a person's e-mail, or a token's name).
    pub by_whom: String,
    /// Cents.
    pub amount_minor: i64,
    /// When.
    pub created_at: i64,
    /// Cancelled by the shop.
    pub cancelled_at: Option<i64>,
}
