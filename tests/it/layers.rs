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
fn every_sql_statement_and_sqlx_type_is_under_db() {
    let outside: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, code)| !rel.starts_with("db/") && code.contains("sqlx::"))
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        outside.is_empty(),
        "SQL or sqlx types outside db/ (db names its own: DbError, DbResult, Conn, Tx): {outside:?}"
    );
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
        // The rules and their errors know nothing of HTTP or of API documentation.
        if top == "domain" || top == "db" || top == "error" {
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
}

/// Each top-level module's height: a module uses only lower ones. `lib.rs` only declares the
/// modules; the tools at the bottom (pictures, clock, settings, keys…) use none of the others.
fn height(module: &str) -> u32 {
    match module {
        "main" => 100,
        "app" => 90,
        "http" => 80,
        "delivery" => 70,
        "open_data" => 65,
        "federation" => 60,
        "demo" => 55,
        "domain" => 50,
        "db" => 40,
        "dev" => 30,
        "model" => 20,
        "avatar" | "card" | "clock" | "config" | "error" | "keys" | "mail" | "media"
        | "present" | "urls" => 10,
        "lib" => 0,
        other => panic!("{other}: a new top-level module needs its place in `height`"),
    }
}

/// The top-level modules a file at the crate's root names by their own names (`lib.rs` says
/// `http::cache`, `main.rs` says `etal_node::http`), besides `crate::`.
fn root_uses(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = uses(code);
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    for (i, _) in code.match_indices("::") {
        let before = &code[..i];
        let name: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let start = before.len() - name.len();
        let rooted = code[..start].ends_with("etal_node::") || !code[..start].ends_with("::");
        if rooted && modules.contains(&name) {
            out.insert(name);
        }
    }
    out
}

#[test]
fn every_import_runs_down_the_layers() {
    let files = sources();
    let modules: BTreeSet<String> = files.iter().map(|(rel, _)| module_of(rel)).collect();
    let mut upward = vec![];
    for (rel, code) in files {
        let top = module_of(&rel);
        let used = if rel == "lib.rs" || rel == "main.rs" {
            root_uses(&code, &modules)
        } else {
            uses(&code)
        };
        for used in used {
            // An item of the crate's root (`crate::Node` once) lives in `lib.rs`.
            let used = if used.starts_with(|c: char| c.is_ascii_uppercase()) {
                "lib".to_string()
            } else {
                used
            };
            if used != top && height(&used) >= height(&top) {
                upward.push(format!("{rel} uses {used}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports running up the layers: {upward:#?}"
    );
}

/// A file's module path (`http/dashboard/shop.rs` → `http::dashboard::shop`; `mod.rs` is its
/// folder; `lib.rs` and `main.rs` the root).
fn module_path(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

/// The other files a file's code names through `crate::` or `super::` paths (a path names the
/// file of its longest prefix that is a module). A module naming its own children by their
/// names (`shop::home` in `dashboard/mod.rs`) is how Rust declares them, not counted.
fn file_uses(rel: &str, code: &str, files: &BTreeMap<Vec<String>, String>) -> BTreeSet<String> {
    let me = module_path(rel);
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = BTreeSet::new();
    let mut paths: Vec<Vec<String>> = vec![];
    for start in ["crate::", "super::"] {
        for (i, _) in code.match_indices(start) {
            if code[..i].ends_with(is_word) || code[..i].ends_with("::") {
                continue;
            }
            let mut base = if start == "crate::" {
                vec![]
            } else {
                me[..me.len().saturating_sub(1)].to_vec()
            };
            let mut rest = &code[i + start.len()..];
            while let Some(r) = rest.strip_prefix("super::") {
                base.pop();
                rest = r;
            }
            // `a::b::{c, d::e}` names `a::b::c` and `a::b::d::e`.
            let head: String = rest
                .chars()
                .take_while(|c| is_word(*c) || *c == ':')
                .collect();
            let mut prefix = base.clone();
            prefix.extend(
                head.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
            let after = &rest[head.len()..];
            if let Some(group) = after.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    let item: String = item
                        .trim()
                        .chars()
                        .take_while(|c| is_word(*c) || *c == ':')
                        .collect();
                    let mut p = prefix.clone();
                    p.extend(
                        item.split("::")
                            .filter(|s| !s.is_empty())
                            .map(str::to_string),
                    );
                    paths.push(p);
                }
            } else {
                paths.push(prefix);
            }
        }
    }
    for p in paths {
        for n in (1..=p.len()).rev() {
            if let Some(file) = files.get(&p[..n]) {
                if file != rel {
                    out.insert(file.clone());
                }
                break;
            }
        }
    }
    out
}

/// No files import each other, directly or round a circle. Two files are compared as the
/// modules they belong to under their closest common module: `federation/mirror.rs` using
/// `federation/inbox/mod.rs` and `federation/inbox/handle.rs` using `federation/mirror.rs`
/// are `mirror` and `inbox` using each other. A module and its own submodules may use each
/// other (that is how Rust nests them).
#[test]
fn no_files_import_each_other_round_a_circle() {
    let sources = sources();
    let files: BTreeMap<Vec<String>, String> = sources
        .iter()
        .filter(|(rel, _)| rel != "main.rs")
        .map(|(rel, _)| (module_path(rel), rel.clone()))
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, code) in &sources {
        let from = module_path(rel);
        for used in file_uses(rel, code, &files) {
            let to = module_path(&used);
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue;
            }
            graph
                .entry(from[..=common].join("::"))
                .or_default()
                .insert(to[..=common].join("::"));
        }
    }
    // A module that reaches itself through the modules it uses is in a circle.
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
        circles: &mut BTreeSet<String>,
    ) {
        let here = path.last().unwrap().clone();
        for next in graph.get(&here).into_iter().flatten() {
            if *next == path[0] {
                let mut c = path.clone();
                let least = c.iter().enumerate().min_by_key(|(_, f)| *f).unwrap().0;
                c.rotate_left(least);
                circles.insert(c.join(" → "));
            } else if seen.insert(next.clone()) {
                path.push(next.clone());
                walk(graph, path, seen, circles);
                path.pop();
            }
        }
    }
    let mut circles = BTreeSet::new();
    for start in graph.keys() {
        walk(
            &graph,
            &mut vec![start.clone()],
            &mut BTreeSet::new(),
            &mut circles,
        );
    }
    assert!(
        circles.is_empty(),
        "modules importing each other: {circles:#?}"
    );
}

/// Whether a shop or product is deleted is judged by the rules (`domain::read` and the other
/// domain modules), not by each page, document or handler. The one exception renders the
/// outbox's events, where a deleted object's event is its Delete.
#[test]
fn deletion_is_judged_by_the_rules() {
    let judged: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, code)| {
            ["http/", "federation/", "open_data/", "delivery/"]
                .iter()
                .any(|d| rel.starts_with(d))
                && rel != "federation/outbox.rs"
                && code.contains("deleted_at")
        })
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        judged.is_empty(),
        "deletion judged outside the rules: {judged:?}"
    );
}

/// Pages, documents and ActivityPub read and write through the rules: no file of `http/`,
/// `federation/` or `open_data/` touches the database (the delivery worker's bookkeeping, its
/// queue and the hosts' health, is `delivery`'s own).
#[test]
fn only_the_rules_and_the_bookkeeping_touch_the_database() {
    let touching: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, code)| {
            ["http", "federation", "open_data"].contains(&module_of(rel).as_str())
                && (uses(code).contains("db") || code.contains(".db."))
        })
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        touching.is_empty(),
        "the database touched outside the rules: {touching:?}"
    );
}
