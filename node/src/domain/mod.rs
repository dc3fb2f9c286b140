//! The node's rules: what a merchant, a product and an image are, how they are validated, and
//! how each write is stored together with the outbox event that announces it.

pub mod accounts;
pub mod audience;
pub mod auth;
pub mod authz;
pub mod context;
pub mod dataset;
pub mod follows;
pub mod images;
pub mod interaction_writer;
pub mod keys;
pub mod merchant_input;
pub mod merchants;
pub mod mirror;
pub mod moderation;
pub mod open_data;
pub mod passwords;
pub mod people;
pub mod product_input;
pub mod products;
pub mod read;
pub mod reservations;
pub mod signups;
pub mod site;
pub mod sources;
pub mod spreadsheet;
pub mod voucher_code;
pub mod vouchers;

pub use crate::db::Tx;
pub use crate::model::patch::Patch;
pub use context::Context;

/// Trims a text field; an empty text counts as absent.
pub(crate) fn clean(value: Option<String>) -> Option<String> {
    value.and_then(|s| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_string())
    })
}

/// Trims a required name and an optional description and checks their lengths (shops and
/// products alike).
pub(crate) fn check_name_and_description(
    name: &mut String,
    description: &mut Option<String>,
    max_name: usize,
    max_description: usize,
    checks: &mut crate::error::Checks,
) {
    *name = name.trim().to_string();
    if name.is_empty() && !checks.has("name") {
        checks.required("name");
    }
    checks.check("name", max_chars(&Some(name.clone()), max_name));
    *description = clean(description.take());
    checks.check("description", max_chars(description, max_description));
}

/// Checks a text's length in characters.
pub(crate) fn max_chars(value: &Option<String>, max: usize) -> Result<(), String> {
    match value {
        Some(v) if v.chars().count() > max => Err(format!("must be at most {max} characters")),
        _ => Ok(()),
    }
}
