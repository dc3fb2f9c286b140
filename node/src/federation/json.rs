//! JSON from outside (activities posted to the inbox, fetched documents): bounded before
//! anything is built from it. Bodies are already limited to 1 MiB by their readers; nesting is
//! limited here, because typed reading copies each level of nested objects.

use serde_json::Value;

/// Deepest nesting of JSON objects and arrays accepted. Real documents use a handful of levels
/// (GoToSocial's replies, the deepest seen, use six); an `Announce` of an `Announce` of … is
/// refused before any of it is read.
pub const MAX_DEPTH: usize = 16;

/// How deeply a JSON text nests objects and arrays, found by one pass over its bytes that
/// allocates nothing (brackets inside strings do not count).
pub fn json_depth(body: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Why a body was not read.
#[derive(Debug)]
pub enum Refused {
    /// Nested more than [`MAX_DEPTH`] levels.
    TooDeep,
    /// Not JSON.
    NotJson(serde_json::Error),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::TooDeep => write!(f, "nested more than {MAX_DEPTH} levels deep"),
            Refused::NotJson(e) => write!(f, "{e}"),
        }
    }
}

/// Parses a body from outside, its nesting checked first.
pub fn parse(body: &[u8]) -> Result<Value, Refused> {
    if json_depth(body) > MAX_DEPTH {
        return Err(Refused::TooDeep);
    }
    serde_json::from_slice(body).map_err(Refused::NotJson)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert_eq!(json_depth(br#"{"a": [1, {"b": "[[[{{{"}]}"#), 3);
        assert_eq!(json_depth(br#"{"a": "\"[{", "b": {}}"#), 2);
        assert_eq!(json_depth(b"3"), 0);
        let nested = "{\"object\":".repeat(120) + "1" + &"}".repeat(120);
        assert_eq!(json_depth(nested.as_bytes()), 120);
    }
}
