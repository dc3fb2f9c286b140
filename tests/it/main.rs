//! Integration tests: each starts real nodes on port 0 with a fresh database (SQLite in a
//! temporary folder, or a PostgreSQL schema of its own when `ETAL_TEST_DATABASE_URL` is set).

mod aggregator;
mod api_auth;
mod api_images;
mod api_merchants;
mod api_products;
mod cli;
mod dashboard;
mod federation;
mod fedi;
mod harness;
mod hostile;
mod layers;
mod open_data;
mod openapi;
mod pages;
mod procs;
mod reservations;
mod schemas;
mod search_window;
mod spec_examples;
mod vouchers;
