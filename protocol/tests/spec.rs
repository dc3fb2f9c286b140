//! The spec cannot drift from the code: every example in `spec/README.md` validates against its
//! JSON Schema and round-trips through this crate's types without losing a field; the taxonomy
//! validates; documents captured from Mitra and Fedify parse.

use std::path::{Path, PathBuf};

use etal_protocol::ap::{
    Activity, Actor, Agreement, Jrd, NodeInfo, NodeInfoLinks, Note, Object, OrderedCollection,
    OrderedCollectionPage, Tombstone,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every ```json block of the spec with the schema its marker names.
fn examples() -> Vec<(String, Value, usize)> {
    let text = std::fs::read_to_string(root().join("spec/README.md")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "```json" {
            let marker = (0..i)
                .rev()
                .map(|j| lines[j].trim())
                .find(|l| !l.is_empty())
                .and_then(|l| l.strip_prefix("<!-- example schema=\""))
                .and_then(|l| l.strip_suffix("\" -->"))
                .unwrap_or_else(|| panic!("the json block at line {} has no example marker", i + 1))
                .to_string();
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].trim() == "```")
                .unwrap();
            let body = lines[i + 1..end].join("\n");
            let value: Value = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("example at line {}: {e}", i + 1));
            out.push((marker, value, i + 1));
            i = end;
        }
        i += 1;
    }
    out
}

fn validator(name: &str) -> jsonschema::Validator {
    let load = |file: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(root().join("schemas").join(file)).unwrap())
            .unwrap()
    };
    // Schemas refer to each other by `$id`: register them all, so nothing is fetched.
    let mut options = jsonschema::options();
    let dir = root().join("schemas");
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .chain(std::fs::read_dir(dir.join("open-data")).unwrap());
    for entry in files {
        let path = entry.unwrap().path();
        let file = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if file.ends_with(".schema.json") {
            let schema = load(&file);
            let id = schema["$id"].as_str().unwrap().to_string();
            options =
                options.with_resource(id, jsonschema::Resource::from_contents(schema).unwrap());
        }
    }
    options
        .build(&load(&format!("{name}.schema.json")))
        .unwrap_or_else(|e| panic!("schema {name}: {e}"))
}

/// `doc` with its audiences (`to`, `cc`, at any depth) as the types write them: an array, and
/// absent when empty. A single IRI and a one-element array are the same audience, and so are
/// an empty array and none.
fn audiences_as_written(doc: &Value) -> Value {
    match doc {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter_map(|(k, v)| match (k.as_str(), v) {
                    ("to" | "cc", Value::String(_)) => {
                        Some((k.clone(), Value::Array(vec![v.clone()])))
                    }
                    ("to" | "cc", Value::Array(a)) if a.is_empty() => None,
                    _ => Some((k.clone(), audiences_as_written(v))),
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(audiences_as_written).collect()),
        other => other.clone(),
    }
}

fn round_trip<T: DeserializeOwned + Serialize>(doc: &Value, what: &str) {
    let typed: T = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    let doc = &audiences_as_written(doc);
    if back != *doc {
        let lost: Vec<String> = doc
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, v)| back.get(k.as_str()) != Some(v))
            .map(|(k, _)| k.clone())
            .collect();
        panic!("{what} lost or changed fields {lost:?} on the way through the types");
    }
}

#[test]
fn every_spec_example_validates_and_round_trips() {
    let examples = examples();
    assert!(examples.len() >= 20, "the spec has its examples");
    let mut seen = std::collections::BTreeSet::new();
    for (schema, doc, line) in &examples {
        let what = format!("{schema} example at spec/README.md:{line}");
        let v = validator(schema);
        let errors: Vec<String> = v
            .iter_errors(doc)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{what} is invalid: {errors:#?}");
        match schema.as_str() {
            "merchant-actor" | "node-actor" => round_trip::<Actor>(doc, &what),
            "product-note" => round_trip::<Note>(doc, &what),
            "tombstone" => round_trip::<Tombstone>(doc, &what),
            "ordered-collection" => round_trip::<OrderedCollection>(doc, &what),
            "ordered-collection-page" => round_trip::<OrderedCollectionPage>(doc, &what),
            "webfinger" => round_trip::<Jrd>(doc, &what),
            "nodeinfo-links" => round_trip::<NodeInfoLinks>(doc, &what),
            "nodeinfo" => round_trip::<NodeInfo>(doc, &what),
            "open-data/changes" => round_trip::<etal_protocol::open_data::ChangePage>(doc, &what),
            // An order: the Agreement is not an object type of `Object`; it is read as an
            // `Agreement`, as `federation::offers` reads it.
            "activity-offer" => {
                round_trip::<Activity>(doc, &what);
                round_trip::<Agreement>(&doc["object"], &format!("{what}, its Agreement"));
            }
            // The node writes `result` and `summary` beside the typed activity
            // (`federation::offers`): each part goes through its own type.
            "activity-accept-offer" | "activity-reject" => {
                let mut activity = doc.clone();
                let result = activity.as_object_mut().unwrap().remove("result");
                let summary = activity.as_object_mut().unwrap().remove("summary");
                round_trip::<Activity>(&activity, &what);
                if let Some(result) = result {
                    round_trip::<Agreement>(&result, &format!("{what}, its result"));
                }
                assert!(
                    summary.is_none_or(|s| s.is_string()),
                    "{what}: summary is text"
                );
            }
            s if s.starts_with("activity-") => {
                round_trip::<Activity>(doc, &what);
                // The object is read as the typed document it is, not kept as loose JSON.
                let a: Activity = serde_json::from_value(doc.clone()).unwrap();
                if let Some(o) = a.object.object() {
                    assert!(
                        !matches!(o, Object::Other(_)),
                        "{what}: its object is not a known type"
                    );
                }
            }
            other => panic!("no type for schema {other}"),
        }
        seen.insert(schema.clone());
    }
    for required in [
        "merchant-actor",
        "node-actor",
        "product-note",
        "activity-create",
        "activity-update",
        "activity-delete",
        "activity-announce",
        "activity-follow",
        "activity-accept",
        "activity-undo",
        "activity-like",
        "activity-offer",
        "activity-accept-offer",
        "activity-reject",
        "activity-create-message",
        "ordered-collection",
        "ordered-collection-page",
        "webfinger",
        "nodeinfo",
        "tombstone",
        "open-data/changes",
    ] {
        assert!(
            seen.contains(required),
            "the spec shows a complete {required} example"
        );
    }
}

#[test]
fn schemas_refuse_what_receivers_would_mishandle() {
    let note = examples()
        .into_iter()
        .find(|(s, _, _)| s == "product-note")
        .unwrap()
        .1;
    let v = validator("product-note");
    assert!(v.is_valid(&note));
    let mut cw = note.clone();
    cw["summary"] = Value::from("hidden");
    assert!(
        !v.is_valid(&cw),
        "a summary hides a product behind a content warning"
    );
    let mut float = note.clone();
    float["price"] = serde_json::json!(1.3);
    assert!(!v.is_valid(&float), "prices are decimal strings");
    let mut many = note.clone();
    let one = note["attachment"][0].clone();
    many["attachment"] = serde_json::json!([one, one, one, one, one]);
    assert!(
        !v.is_valid(&many),
        "Mastodon shows at most four attachments"
    );
    let shop = examples()
        .into_iter()
        .find(|(s, _, _)| s == "merchant-actor")
        .unwrap()
        .1;
    let mut no_consent = shop.clone();
    no_consent.as_object_mut().unwrap().remove("indexable");
    assert!(
        !validator("merchant-actor").is_valid(&no_consent),
        "consent is always stated"
    );

    // Orders: the answers are direct, the prices decimal strings.
    let example = |name: &str| {
        examples()
            .into_iter()
            .find(|(s, _, _)| s == name)
            .unwrap_or_else(|| panic!("the spec shows a {name}"))
            .1
    };
    let public = Value::from("https://www.w3.org/ns/activitystreams#Public");
    let message = example("activity-create-message");
    let v = validator("activity-create-message");
    assert!(v.is_valid(&message));
    let mut shown = message.clone();
    shown["object"]["to"]
        .as_array_mut()
        .unwrap()
        .push(public.clone());
    assert!(!v.is_valid(&shown), "a message is not public");
    let mut shown = message.clone();
    shown["cc"] = serde_json::json!([public]);
    assert!(!v.is_valid(&shown), "a message's Create is not public");
    let mut followers = message.clone();
    followers["object"]["cc"] =
        serde_json::json!(["https://rambouillet.example/shops/boulangerie-martin/followers"]);
    assert!(
        !v.is_valid(&followers),
        "a message does not go to followers"
    );
    let accept = example("activity-accept-offer");
    let v = validator("activity-accept-offer");
    assert!(v.is_valid(&accept));
    let mut float = accept.clone();
    float["result"]["stipulatesReciprocal"]["resourceQuantity"]["hasNumericalValue"] =
        serde_json::json!(2.6);
    assert!(!v.is_valid(&float), "the total is a decimal string");
    let mut shown = accept.clone();
    shown["to"] = serde_json::json!([public]);
    assert!(!v.is_valid(&shown), "an Accept of an order is not public");
    let mut unfinished = accept.clone();
    unfinished["result"].as_object_mut().unwrap().remove("id");
    assert!(!v.is_valid(&unfinished), "a finalized Agreement has its id");

    // What the node reads in an Offer, as leniently as it reads it.
    let offer = example("activity-offer");
    let v = validator("activity-offer");
    assert!(v.is_valid(&offer));
    let mut prefixed = offer.clone();
    let agreement = prefixed["object"].as_object_mut().unwrap();
    let primary = agreement.remove("stipulates").unwrap();
    agreement.insert(
        "vf:stipulates".into(),
        serde_json::json!({
            "type": "Commitment",
            "vf:satisfies": primary["satisfies"],
            "vf:resourceQuantity": {"om2:hasUnit": "one", "vf:hasNumericalValue": 2}
        }),
    );
    assert!(
        v.is_valid(&prefixed),
        "prefixed terms and JSON numbers are read"
    );
    let read: Agreement = serde_json::from_value(prefixed["object"].clone()).unwrap();
    assert_eq!(
        read.stipulates.resource_quantity.number().as_deref(),
        Some("2")
    );
    let mut by_id = offer.clone();
    by_id["object"] = Value::from("https://mitra.example/agreements/1");
    assert!(!v.is_valid(&by_id), "the Agreement is embedded");
    let mut elsewhere = offer.clone();
    let note = offer["object"]["stipulates"]["satisfies"]
        .as_str()
        .unwrap()
        .trim_end_matches("#primary")
        .to_string();
    elsewhere["object"]["stipulates"]["satisfies"] = Value::from(note);
    assert!(
        !v.is_valid(&elsewhere),
        "a Commitment satisfies the primary intent"
    );
}

#[test]
fn the_taxonomy_validates() {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/taxonomy/categories-v1.json")).unwrap(),
    )
    .unwrap();
    let errors: Vec<String> = validator("categories")
        .iter_errors(&doc)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

fn fixtures() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for server in ["mitra", "fedify", "gotosocial"] {
        for entry in std::fs::read_dir(dir.join(server)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let name = format!("{server}/{}", path.file_name().unwrap().to_string_lossy());
            out.push((
                name,
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap(),
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn documents_from_mitra_fedify_and_gotosocial_parse() {
    let docs = fixtures();
    assert!(docs.len() >= 14 + 24, "every captured document is here");
    for (name, doc) in docs {
        let file = name.rsplit('/').next().unwrap();
        match file {
            "key-document.json" => {
                // A stub of the actor (its id is the actor's) that carries the key.
                let k: etal_protocol::ap::PublicKey =
                    serde_json::from_value(doc["publicKey"].clone())
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(k.owner.as_str(), doc["id"].as_str().unwrap());
            }
            "actor.json" => {
                let a: Actor =
                    serde_json::from_value(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(
                    a.public_key.is_some() && a.preferred_username.is_some(),
                    "{name}"
                );
            }
            "webfinger.json" => {
                let j: Jrd = serde_json::from_value(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(j.links.iter().any(|l| l.rel == "self"), "{name}");
            }
            "nodeinfo-2.1.json" | "nodeinfo-2.0.json" => {
                let n: NodeInfo =
                    serde_json::from_value(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(format!("nodeinfo-{}.json", n.version), file);
            }
            "nodeinfo-links.json" | "nodeinfo-wellknown.json" => {
                serde_json::from_value::<NodeInfoLinks>(doc)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            "note.json" => {
                let n: Note = serde_json::from_value(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(n.content.is_some() && !n.attachment.is_empty(), "{name}");
                assert!(
                    n.attachment.iter().all(|a| a.alt().is_some()),
                    "{name}: alt text (GoToSocial's summary) is read"
                );
            }
            "outbox.json" | "followers.json" | "following.json" => {
                let c: OrderedCollection =
                    serde_json::from_value(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(c.first.is_some(), "{name}");
            }
            "outbox-page.json" | "followers-page.json" => {
                let p: OrderedCollectionPage =
                    serde_json::from_value(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(!p.ordered_items.is_empty(), "{name}");
            }
            _ => {
                let a: Activity =
                    serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
                match (file, a.object.object()) {
                    ("create-note-with-image.json", Some(Object::Note(n))) => {
                        assert_eq!(n.attachment.len(), 1);
                        assert_eq!(n.attachment[0].media_type.as_deref(), Some("image/jpeg"));
                        assert_eq!(n.tag[0].name.as_deref(), Some("#miel"));
                    }
                    ("update-note.json" | "create-note.json", Some(Object::Note(n))) => {
                        assert!(n.content.is_some(), "{name}")
                    }
                    ("create-reply.json", Some(Object::Note(n))) => {
                        assert!(n.in_reply_to.is_some() && n.content.is_some(), "{name}");
                        assert_eq!(a.to.len(), 1, "a single recipient is a plain string");
                    }
                    ("update-person.json", Some(Object::Actor(p))) => {
                        assert!(p.public_key.is_some(), "{name}")
                    }
                    ("follow.json" | "like.json" | "announce.json", None) => {
                        assert!(a.object.id().is_some() && !a.to.is_empty(), "{name}")
                    }
                    (
                        "undo-follow.json" | "undo-like.json" | "undo-announce.json",
                        Some(Object::Activity(inner)),
                    ) => {
                        assert_eq!(inner.actor, a.actor, "{name}")
                    }
                    ("accept-follow.json", Some(Object::Activity(inner))) => {
                        assert_eq!(
                            inner.kind,
                            etal_protocol::ap::ActivityType::Follow,
                            "{name}"
                        )
                    }
                    ("accept.json", _) => assert!(
                        a.object.id().is_some() || a.object.object().is_some(),
                        "{name}"
                    ),
                    ("delete-note.json", _) => assert!(a.object.id().is_some(), "{name}"),
                    (f, o) => panic!("{name}: unexpected {f} with {o:?}"),
                }
            }
        }
    }
}
