//! Validation of what a running node serves and sends against the published JSON Schemas.

use std::path::Path;

use serde_json::Value;

/// Asserts that `doc` is valid against `schemas/{name}.schema.json`.
#[track_caller]
pub fn assert_valid(name: &str, doc: &Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let load = |file: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap()
    };
    let mut options = jsonschema::options();
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .chain(std::fs::read_dir(dir.join("open-data")).unwrap());
    for entry in files {
        let entry = entry.unwrap();
        let file = entry
            .path()
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
    let validator = options
        .build(&load(&format!("{name}.schema.json")))
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{doc:#}");
}
