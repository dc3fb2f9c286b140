//! FEP-0837 orders: an `Offer` of an `Agreement` that `stipulates` a `Commitment` satisfying a
//! product's primary intent (`{note}#primary`) with a quantity, and optionally
//! `stipulatesReciprocal` a `Commitment` for the price (`{note}#reciprocal`). The shop answers
//! `Accept` with `result`: the finalized `Agreement`, with its own `id`, `attributedTo` the shop,
//! and commitments `{agreement}#primary` and `{agreement}#reciprocal` (the shape Mitra reads).
//!
//! Readers are lenient as Mitra writes them: ValueFlows terms may come prefixed (`vf:`), and
//! numbers as strings or as JSON numbers.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An `Agreement`: proposed inside an `Offer`, finalized in the `Accept`'s `result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agreement {
    /// `Agreement`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Given by the shop when it accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Url>,
    /// The shop, when finalized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<Url>,
    /// What the customer receives.
    #[serde(alias = "vf:stipulates")]
    pub stipulates: Commitment,
    /// What the customer gives in return (the price).
    #[serde(
        default,
        alias = "vf:stipulatesReciprocal",
        skip_serializing_if = "Option::is_none"
    )]
    pub stipulates_reciprocal: Option<Commitment>,
    /// A page about it (the reservation's status page), as a `Link` (Mitra reads it so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Link>,
}

/// A `Link`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    /// `Link`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where.
    pub href: Url,
    /// What is there (`text/html`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// A `Commitment`: an amount of what an intent offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Commitment {
    /// `Commitment`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `{agreement}#primary` or `{agreement}#reciprocal`, when finalized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Url>,
    /// The intent it satisfies: `{note}#primary` or `{note}#reciprocal`.
    #[serde(alias = "vf:satisfies")]
    pub satisfies: Url,
    /// How much.
    #[serde(alias = "vf:resourceQuantity")]
    pub resource_quantity: Amount,
}

/// An OM 2.0 measure, lenient about prefixes and number types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Amount {
    /// OM 2.0 unit name: `one`, `kilogram`…
    #[serde(alias = "vf:hasUnit", alias = "om2:hasUnit")]
    pub has_unit: String,
    /// A decimal number, written as a string (a JSON number is read too).
    #[serde(alias = "vf:hasNumericalValue", alias = "om2:hasNumericalValue")]
    pub has_numerical_value: Value,
}

impl Amount {
    /// The number as written (a JSON number or a string), if it is one.
    pub fn number(&self) -> Option<String> {
        match &self.has_numerical_value {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mitras_offer_object_is_read() {
        let a: Agreement = serde_json::from_value(json!({
            "type": "Agreement",
            "stipulates": {"type": "Commitment", "satisfies": "https://a.example/p#primary",
                "resourceQuantity": {"hasUnit": "second", "hasNumericalValue": "10"}},
            "stipulatesReciprocal": {"type": "Commitment", "satisfies": "https://a.example/p#reciprocal",
                "resourceQuantity": {"vf:hasUnit": "one", "vf:hasNumericalValue": 200000}}
        }))
        .unwrap();
        assert_eq!(
            a.stipulates.resource_quantity.number().as_deref(),
            Some("10")
        );
        let r = a.stipulates_reciprocal.unwrap();
        assert_eq!(r.resource_quantity.has_unit, "one");
        assert_eq!(r.resource_quantity.number().as_deref(), Some("200000"));
    }
}
