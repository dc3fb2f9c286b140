//! Click & collect: a shop's reservation settings, a reservation and its lines, the steps it
//! goes through. Payment happens in the shop; nothing here handles money but the prices
//! frozen when the reservation was made.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A shop's settings for reservations (off until its owner turns them on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReservationSettings {
    /// Whether customers may reserve.
    pub enabled: bool,
    /// Minutes between a reservation and the earliest pick-up.
    pub preparation_minutes: i64,
    /// Length of a pick-up slot, in minutes.
    pub slot_minutes: i64,
    /// Reservations one slot takes.
    pub slot_capacity: i64,
    /// Minutes after the end of its slot before an uncollected reservation expires.
    pub grace_minutes: i64,
    /// Products that cannot be reserved (all can by default).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub excluded_products: Vec<Uuid>,
}

impl Default for ReservationSettings {
    fn default() -> ReservationSettings {
        ReservationSettings {
            enabled: false,
            preparation_minutes: 60,
            slot_minutes: 30,
            slot_capacity: 4,
            grace_minutes: 60,
            excluded_products: Vec::new(),
        }
    }
}

impl ReservationSettings {
    /// Whether a product of the shop can be reserved.
    pub fn reservable(&self, product: Uuid) -> bool {
        self.enabled && !self.excluded_products.contains(&product)
    }
}

/// Where a reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Sent by the customer; the shop has not answered.
    Requested,
    /// The shop accepts it (perhaps only some lines or quantities).
    Accepted,
    /// The shop declines it.
    Declined,
    /// Ready to collect.
    Ready,
    /// Collected: done.
    Collected,
    /// Cancelled by the customer before it was ready.
    Cancelled,
    /// Not collected by the end of its slot plus the shop's grace.
    Expired,
}

impl Status {
    /// Every status, in the order of the steps.
    pub const ALL: [Status; 7] = [
        Status::Requested,
        Status::Accepted,
        Status::Ready,
        Status::Collected,
        Status::Declined,
        Status::Cancelled,
        Status::Expired,
    ];

    /// How it is stored and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Requested => "requested",
            Status::Accepted => "accepted",
            Status::Declined => "declined",
            Status::Ready => "ready",
            Status::Collected => "collected",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
        }
    }

    /// Reads a stored status.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Still to be handled: holds stock and a place in its slot.
    pub fn open(self) -> bool {
        matches!(self, Status::Requested | Status::Accepted | Status::Ready)
    }
}

/// A line of a reservation, its price frozen when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The product.
    pub product_id: Uuid,
    /// Its name then.
    pub name: String,
    /// Its unit of sale then (`piece`, `kg`…).
    pub unit: String,
    /// Its price per unit then, in minor units of the reservation's currency.
    pub unit_price_minor: i64,
    /// Units asked for.
    pub quantity: i64,
    /// Units the shop accepted, once it answered.
    pub accepted: Option<i64>,
}

impl Line {
    /// The units the reservation holds now: what the shop accepted, or what was asked until it
    /// answers.
    pub fn held(&self) -> i64 {
        self.accepted.unwrap_or(self.quantity)
    }
}

/// Who reserved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Customer {
    /// Name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// A fediverse actor (an `Offer`'s sender).
    pub actor: Option<String>,
}

/// A stored reservation.
#[derive(Debug, Clone)]
pub struct Reservation {
    /// 144 random bits in base64url: the status page's address, `/reservations/{id}`.
    pub id: String,
    /// A short number for the shop and the customer to speak of it.
    pub number: i64,
    /// The shop.
    pub merchant_id: Uuid,
    /// Where it stands.
    pub status: Status,
    /// Pick-up slot start (ms).
    pub pickup_start: i64,
    /// Pick-up slot end (ms).
    pub pickup_end: i64,
    /// Who reserved; empty once purged.
    pub customer: Customer,
    /// The `Offer` it came from.
    pub offer_id: Option<String>,
    /// The customer's note to the shop.
    pub note: Option<String>,
    /// The shop's word with its answer.
    pub message: Option<String>,
    /// The customer's language (`fr` or `en`).
    pub lang: String,
    /// ISO 4217 currency of every price.
    pub currency: String,
    /// Lines, in the customer's order.
    pub lines: Vec<Line>,
    /// Made (ms).
    pub created_at: i64,
    /// Last step (ms).
    pub updated_at: i64,
    /// When it ended (ms): declined, collected, cancelled or expired.
    pub ended_at: Option<i64>,
    /// When the customer's details were erased.
    pub purged_at: Option<i64>,
}

impl Reservation {
    /// The total of what it holds now, in minor units.
    pub fn total_minor(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| l.unit_price_minor.saturating_mul(l.held()))
            .fold(0i64, |a, b| a.saturating_add(b))
    }

    /// What the words of `present::reservation` need of it.
    pub fn told(&self) -> crate::present::reservation::Told<'_> {
        crate::present::reservation::Told {
            number: self.number,
            status: self.status.as_str(),
            partly: self.partly_accepted(),
            message: self.message.as_deref(),
            currency: &self.currency,
            lines: self
                .lines
                .iter()
                .map(|l| crate::present::reservation::LineTold {
                    name: &l.name,
                    unit: &l.unit,
                    unit_price_minor: l.unit_price_minor,
                    quantity: l.quantity,
                    accepted: l.accepted,
                })
                .collect(),
        }
    }

    /// Whether the shop took away or reduced some lines when it accepted.
    pub fn partly_accepted(&self) -> bool {
        self.lines
            .iter()
            .any(|l| l.accepted.is_some_and(|a| a < l.quantity))
    }
}

/// A step to tell someone about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A new reservation, to the shop.
    New,
    /// The customer's status changed (to the customer).
    Status(Status),
}

impl Step {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::New => "new",
            Step::Status(s) => s.as_str(),
        }
    }

    /// Reads a stored step.
    pub fn parse(s: &str) -> Option<Step> {
        if s == "new" {
            Some(Step::New)
        } else {
            Status::parse(s).map(Step::Status)
        }
    }
}

/// A notice waiting to be sent.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Its number.
    pub seq: i64,
    /// About.
    pub reservation_id: String,
    /// Which step.
    pub step: Step,
    /// Tries so far.
    pub attempts: i64,
}

/// A free pick-up slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// Start (ms).
    pub start: i64,
    /// End (ms).
    pub end: i64,
    /// Places left.
    pub left: i64,
}
