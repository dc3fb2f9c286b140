//! The `@context` of every published document. Terms are defined inline so that no receiver
//! needs to fetch a context; only ActivityStreams and security/v1 are referenced by URL, and
//! every JSON-LD processor in the fediverse preloads those two.

use serde_json::{json, Map, Value};

/// ActivityStreams 2.0.
pub const ACTIVITYSTREAMS: &str = "https://www.w3.org/ns/activitystreams";
/// W3C security vocabulary (publicKey, publicKeyPem, owner).
pub const SECURITY: &str = "https://w3id.org/security/v1";
/// Étal's own namespace, for the few terms no existing vocabulary has (SIRET, INSEE code).
pub const ETAL_NS: &str = "https://w3id.org/etal/ns#";
/// schema.org.
pub const SCHEMA: &str = "http://schema.org/";
/// ValueFlows, as FEP-0837 uses it.
pub const VALUEFLOWS: &str = "https://w3id.org/valueflows/ont/vf#";
/// Ontology of units of Measure 2.0, as FEP-0837 uses it.
pub const OM2: &str = "http://www.ontology-of-units-of-measure.org/resource/om-2/";
/// Mastodon's namespace (blurhash, discoverable, indexable, featured).
pub const TOOT: &str = "http://joinmastodon.org/ns#";

fn terms(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn id_term(iri: &str) -> Value {
    json!({"@id": iri, "@type": "@id"})
}

fn mastodon_terms() -> Map<String, Value> {
    terms(&[
        ("toot", json!(TOOT)),
        ("schema", json!(SCHEMA)),
        ("PropertyValue", json!("schema:PropertyValue")),
        ("value", json!("schema:value")),
        (
            "manuallyApprovesFollowers",
            json!("as:manuallyApprovesFollowers"),
        ),
        ("discoverable", json!("toot:discoverable")),
        ("indexable", json!("toot:indexable")),
        ("featured", id_term("toot:featured")),
        ("blurhash", json!("toot:blurhash")),
        ("Hashtag", json!("as:Hashtag")),
        ("sensitive", json!("as:sensitive")),
    ])
}

fn local_business_terms() -> Map<String, Value> {
    terms(&[
        ("etal", json!(ETAL_NS)),
        ("PostalAddress", json!("schema:PostalAddress")),
        ("address", json!("schema:address")),
        ("streetAddress", json!("schema:streetAddress")),
        ("postalCode", json!("schema:postalCode")),
        ("addressLocality", json!("schema:addressLocality")),
        ("addressCountry", json!("schema:addressCountry")),
        ("telephone", json!("schema:telephone")),
        ("email", json!("schema:email")),
        ("openingHours", json!("schema:openingHours")),
        ("category", json!("schema:category")),
        ("siret", json!("etal:siret")),
        ("inseeCode", json!("etal:inseeCode")),
    ])
}

fn proposal_terms() -> Map<String, Value> {
    terms(&[
        ("vf", json!(VALUEFLOWS)),
        ("om2", json!(OM2)),
        ("Proposal", json!("vf:Proposal")),
        ("Intent", json!("vf:Intent")),
        ("purpose", json!("vf:purpose")),
        ("publishes", json!("vf:publishes")),
        ("reciprocal", json!("vf:reciprocal")),
        ("unitBased", json!("vf:unitBased")),
        ("Agreement", json!("vf:Agreement")),
        ("Commitment", json!("vf:Commitment")),
        ("stipulates", json!("vf:stipulates")),
        ("stipulatesReciprocal", json!("vf:stipulatesReciprocal")),
        ("satisfies", id_term("vf:satisfies")),
        ("action", json!("vf:action")),
        ("resourceConformsTo", id_term("vf:resourceConformsTo")),
        ("resourceQuantity", json!("vf:resourceQuantity")),
        ("availableQuantity", json!("vf:availableQuantity")),
        ("hasUnit", json!("om2:hasUnit")),
        ("hasNumericalValue", json!("om2:hasNumericalValue")),
        ("price", json!("schema:price")),
        ("priceCurrency", json!("schema:priceCurrency")),
        ("availability", id_term("schema:availability")),
        ("gtin", json!("schema:gtin")),
        ("unitCode", json!("schema:unitCode")),
        ("description", json!("schema:description")),
    ])
}

fn merge(parts: Vec<Map<String, Value>>) -> Value {
    let mut all = Map::new();
    for p in parts {
        all.extend(p);
    }
    Value::Object(all)
}

/// Context of actors (merchants and the node).
pub fn actor() -> Value {
    json!([
        ACTIVITYSTREAMS,
        SECURITY,
        merge(vec![mastodon_terms(), local_business_terms()])
    ])
}

/// Context of product notes and of activities carrying them: the union of every term, so one
/// context serves every document an activity may embed.
pub fn full() -> Value {
    json!([
        ACTIVITYSTREAMS,
        SECURITY,
        merge(vec![
            mastodon_terms(),
            local_business_terms(),
            proposal_terms()
        ])
    ])
}

/// Context of collections and simple activities (Follow, Accept, Undo, Like).
pub fn basic() -> Value {
    json!(ACTIVITYSTREAMS)
}
