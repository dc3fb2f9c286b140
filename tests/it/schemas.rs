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

/// Asserts that every row of `csv` keeps the constraints of the Table Schema
/// `schemas/open-data/{name}.tableschema.json` (required, pattern, maxLength, enum, minimum,
/// maximum, the types number, integer and datetime, unique), as frictionless checks them.
#[track_caller]
pub fn assert_valid_table(name: &str, csv: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/open-data");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.tableschema.json"))).unwrap(),
    )
    .unwrap();
    let fields = schema["fields"].as_array().unwrap();
    // Each field's constraints as a JSON Schema of the cell, given as text.
    let mut properties = serde_json::Map::new();
    let mut required = vec![];
    for f in fields {
        let c = &f["constraints"];
        let mut cell = serde_json::json!({});
        match f["type"].as_str().unwrap() {
            "number" => cell["type"] = "number".into(),
            "integer" => cell["type"] = "integer".into(),
            "datetime" => {
                cell["type"] = "string".into();
                cell["pattern"] =
                    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$".into();
            }
            _ => cell["type"] = "string".into(),
        }
        for key in ["pattern", "maxLength", "enum", "minimum", "maximum"] {
            if !c[key].is_null() {
                cell[key] = c[key].clone();
            }
        }
        let name = f["name"].as_str().unwrap().to_string();
        if c["required"] == true {
            required.push(name.clone());
        }
        properties.insert(name, cell);
    }
    let row_schema =
        serde_json::json!({"type": "object", "properties": properties, "required": required});
    let validator = jsonschema::validator_for(&row_schema).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(
        headers, names,
        "{name}: the columns of the Table Schema, in order"
    );
    let mut unique: std::collections::HashMap<String, std::collections::HashSet<String>> =
        Default::default();
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let mut row = serde_json::Map::new();
        for (f, value) in fields.iter().zip(record.iter()) {
            if value.is_empty() {
                continue;
            }
            let field = f["name"].as_str().unwrap();
            let typed = match f["type"].as_str().unwrap() {
                "number" | "integer" => serde_json::from_str::<Value>(value)
                    .ok()
                    .filter(Value::is_number)
                    .unwrap_or_else(|| Value::String(value.into())),
                _ => Value::String(value.into()),
            };
            if f["constraints"]["unique"] == true {
                assert!(
                    unique.entry(field.into()).or_default().insert(value.into()),
                    "{name}: row {} repeats {field} {value}",
                    i + 2
                );
            }
            row.insert(field.into(), typed);
        }
        let row = Value::Object(row);
        let errors: Vec<String> = validator
            .iter_errors(&row)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{name}.csv row {}: {errors:#?}\n{row:#}",
            i + 2
        );
    }
}
