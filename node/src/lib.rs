//! The Étal node: a federated open-data marketplace for local shops.
//!
//! A node publishes its town's merchants and their products through a REST API, public pages
//! and (see `spec/`) ActivityPub. `main.rs` is a thin command line over [`app::App`].

pub mod app;
pub mod avatar;
pub mod card;
pub mod clock;
pub mod config;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod dev;
pub mod domain;
pub mod error;
pub mod federation;
pub mod http;
pub mod keys;
pub mod mail;
pub mod media;
pub mod model;
pub mod open_data;
pub mod present;
pub mod urls;
