//! Open data, apart from ActivityPub: the documents a node publishes for harvesters, built
//! from its shops and products (`to_open_data`), and, on an aggregator, the harvest of other
//! nodes' change feeds (`harvest`) read into the mirror (`from_open_data`).

pub mod from_open_data;
pub mod harvest;
pub mod to_open_data;
