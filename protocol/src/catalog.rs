//! The closed lists a product uses: sale units and availability.

use serde::{Deserialize, Serialize};

/// What one price buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// One item.
    #[default]
    Piece,
    /// A kilogram.
    Kg,
    /// A gram.
    G,
    /// A litre.
    L,
    /// A millilitre.
    Ml,
    /// A metre.
    M,
    /// A box.
    Box,
    /// Twelve items.
    Dozen,
    /// A bunch (flowers, radishes, herbs).
    Bunch,
}

impl Unit {
    /// Every unit, in documentation order.
    pub const ALL: [Unit; 9] = [
        Unit::Piece,
        Unit::Kg,
        Unit::G,
        Unit::L,
        Unit::Ml,
        Unit::M,
        Unit::Box,
        Unit::Dozen,
        Unit::Bunch,
    ];

    /// The API and storage spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Unit::Piece => "piece",
            Unit::Kg => "kg",
            Unit::G => "g",
            Unit::L => "l",
            Unit::Ml => "ml",
            Unit::M => "m",
            Unit::Box => "box",
            Unit::Dozen => "dozen",
            Unit::Bunch => "bunch",
        }
    }

    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Unit> {
        Unit::ALL.into_iter().find(|u| u.as_str() == s)
    }

    /// The UN/CEFACT Common Code, used by schema.org `unitCode` and ValueFlows `hasUnit`.
    pub fn unece_code(&self) -> &'static str {
        match self {
            Unit::Piece => "H87",
            Unit::Kg => "KGM",
            Unit::G => "GRM",
            Unit::L => "LTR",
            Unit::Ml => "MLT",
            Unit::M => "MTR",
            Unit::Box => "XBX",
            Unit::Dozen => "DZN",
            Unit::Bunch => "XBH",
        }
    }

    /// The FEP-0837 quantity of one unit of sale: an OM 2.0 unit name and an amount
    /// (`one`/`1` for a piece, `one`/`12` for a dozen, `kilogram`/`1`…).
    pub fn om2(&self) -> (&'static str, &'static str) {
        match self {
            Unit::Piece | Unit::Box | Unit::Bunch => ("one", "1"),
            Unit::Dozen => ("one", "12"),
            Unit::Kg => ("kilogram", "1"),
            Unit::G => ("gram", "1"),
            Unit::L => ("litre", "1"),
            Unit::Ml => ("millilitre", "1"),
            Unit::M => ("metre", "1"),
        }
    }

    /// Whether a buyer takes whole multiples (pieces, boxes) rather than any amount (weights).
    pub fn countable(&self) -> bool {
        matches!(self, Unit::Piece | Unit::Box | Unit::Dozen | Unit::Bunch)
    }

    /// How the unit reads after a price in French ("3,20 € / kg").
    pub fn label_fr(&self) -> &'static str {
        match self {
            Unit::Piece => "pièce",
            Unit::Kg => "kg",
            Unit::G => "g",
            Unit::L => "l",
            Unit::Ml => "ml",
            Unit::M => "m",
            Unit::Box => "boîte",
            Unit::Dozen => "douzaine",
            Unit::Bunch => "botte",
        }
    }
}

/// Whether a product can be had now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// On the shelf.
    #[default]
    InStock,
    /// Not available at the moment.
    OutOfStock,
    /// Can be ordered before it is available.
    Preorder,
}

impl Availability {
    /// Every value.
    pub const ALL: [Availability; 3] = [
        Availability::InStock,
        Availability::OutOfStock,
        Availability::Preorder,
    ];

    /// The API and storage spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Availability::InStock => "in_stock",
            Availability::OutOfStock => "out_of_stock",
            Availability::Preorder => "preorder",
        }
    }

    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Availability> {
        Availability::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The schema.org `ItemAvailability` IRI.
    pub fn schema_org(&self) -> &'static str {
        match self {
            Availability::InStock => "https://schema.org/InStock",
            Availability::OutOfStock => "https://schema.org/OutOfStock",
            Availability::Preorder => "https://schema.org/PreOrder",
        }
    }
}
