//! The Étal vocabulary: what a local shop and its products are, the rules their fields obey,
//! and (with the federation layer) how they are written as ActivityPub documents.
//!
//! This crate is pure: serde, url and chrono only, no I/O. Aggregators and other implementations
//! may depend on it; it is licensed MIT OR Apache-2.0.

pub mod ap;
pub mod catalog;
pub mod money;
pub mod open_data;
pub mod taxonomy;
pub mod validate;

pub use catalog::{Availability, Unit};
pub use money::{Currency, Money, PriceError};
