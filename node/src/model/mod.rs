//! The node's data as plain types: merchants, products, photos, what is known of the
//! fediverse, outbox events. `db` reads and writes them, `domain` checks and changes them; no
//! I/O and no rules here (the rules are in `domain`, as `impl` blocks and functions).

pub mod account;
pub mod actor;
pub mod commune;
pub mod image;
pub mod input;
pub mod merchant;
pub mod outbox;
pub mod patch;
pub mod product;
pub mod remote;
pub mod reservation;
pub mod search;
pub mod voucher;
