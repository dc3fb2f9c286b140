//! The node's layers, checked on its source: `http` → `federation` → `domain` → `db`, with
//! `model` below both `domain` and `db`. Every SQL statement is under `db/`, `db/` knows no
//! rules, nothing below `http/` uses it, and no two top-level modules use each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    walk(&root, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&p).unwrap();
            // Unit tests may reach anywhere.
            let code = text.split("#[cfg(test)]").next().unwrap().to_string();
            (rel, code)
        })
        .collect()
}

/// The top-level module a file belongs to (`db`, `domain`, `urls`, …).
fn module_of(rel: &str) -> String {
    rel.split('/')
        .next()
        .unwrap()
        .trim_end_matches(".rs")
        .to_string()
}

/// The top-level modules a file's code names through `crate::`.
fn uses(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out
}

#[test]
fn every_sql_statement_is_under_db() {
    let outside: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, code)| !rel.starts_with("db/") && code.contains("sqlx::query"))
        .map(|(rel, _)| rel)
        .collect();
    assert!(outside.is_empty(), "SQL outside db/: {outside:?}");
}

#[test]
fn db_knows_no_rules_and_nothing_below_http_uses_it() {
    for (rel, code) in sources() {
        let used = uses(&code);
        let top = module_of(&rel);
        if top == "db" || top == "model" {
            for upper in ["domain", "federation", "delivery", "http", "app"] {
                assert!(!used.contains(upper), "{rel} uses {upper}");
            }
        }
        if !["http", "app", "main", "lib"].contains(&top.as_str()) {
            assert!(!used.contains("http"), "{rel} uses http");
        }
        // The rules know nothing of HTTP or of API documentation.
        if top == "domain" || top == "db" {
            for web in ["axum", "utoipa"] {
                assert!(!code.contains(web), "{rel} uses {web}");
            }
        }
    }
}

#[test]
fn no_two_top_level_modules_use_each_other() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, code) in sources() {
        let top = module_of(&rel);
        if top == "lib" || top == "main" {
            continue;
        }
        let deps = graph.entry(top.clone()).or_default();
        deps.extend(uses(&code).into_iter().filter(|m| *m != top));
    }
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(m) = stack.pop() {
            for d in graph.get(&m).into_iter().flatten() {
                if d == to {
                    return true;
                }
                if seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        false
    };
    let mut circles = vec![];
    for (m, deps) in &graph {
        for d in deps {
            if reaches(d, m) {
                circles.push(format!("{m} -> {d}"));
            }
        }
    }
    assert!(circles.is_empty(), "import circles: {circles:?}");
    // The layers in order: each uses only those after it.
    let order = ["http", "federation", "domain", "db", "model"];
    for (i, upper) in order.iter().enumerate() {
        for lower in &order[i + 1..] {
            assert!(
                !graph.get(*lower).is_some_and(|d| d.contains(*upper)),
                "{lower} uses {upper}"
            );
        }
    }
}
