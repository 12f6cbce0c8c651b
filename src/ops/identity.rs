//! Operation identity: which spans of two traces are "the same operation".
//!
//! viztracer names Python functions `qualname (/abs/path/file.py:LINE)`. The absolute path
//! changes between checkouts and the line shifts with every edit above the function, so the
//! default key ([`KeyMode::File`]) is `qualname (file.py)`: the qualified name and the file's
//! base name (with its parent directory for `__init__.py` and `__main__.py`, which say nothing
//! alone). Names without that suffix (C functions like `time.sleep`, browser events) are their
//! own key. [`KeyMode::Function`] is coarser (qualname only), [`KeyMode::Name`] finer (the raw
//! event name, path and line included).

use std::fmt;

/// How coarse an operation key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyMode {
    /// The function's qualified name only.
    Function,
    /// The qualified name and the file's base name (survives moved checkouts and line shifts).
    #[default]
    File,
    /// The raw event name, with the full path and line.
    Name,
}

impl fmt::Display for KeyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyMode::Function => "function",
            KeyMode::File => "file",
            KeyMode::Name => "name",
        })
    }
}

/// A span name split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedName {
    /// The qualified function name, or the whole name when it has no source location.
    pub function: String,
    /// The source file, as written in the trace.
    pub file: Option<String>,
    pub line: Option<u32>,
}

/// Splits `qualname (path:line)` into its parts; any other name is all function.
pub fn parse_name(raw: &str) -> ParsedName {
    split_location(raw).unwrap_or_else(|| ParsedName {
        function: raw.to_string(),
        file: None,
        line: None,
    })
}

/// Qualified names hold no space, paths may hold " (": the location starts at the first " ("
/// after which a `path:line` follows.
fn split_location(raw: &str) -> Option<ParsedName> {
    let body = raw.strip_suffix(')')?;
    body.match_indices(" (")
        .find_map(|(open, _)| location_at(body, open))
}

fn location_at(body: &str, open: usize) -> Option<ParsedName> {
    let function = &body[..open];
    let location = &body[open + 2..];
    let colon = location.rfind(':')?;
    let (path, line) = (&location[..colon], &location[colon + 1..]);
    if function.is_empty() || path.is_empty() || line.is_empty() {
        return None;
    }
    let line: u32 = line.parse().ok()?;
    Some(ParsedName {
        function: function.to_string(),
        file: Some(path.to_string()),
        line: Some(line),
    })
}

/// The part of a path kept in a [`KeyMode::File`] key.
pub fn short_file(path: &str) -> &str {
    let mut parts = path.rsplit(['/', '\\']);
    let base = parts.next().unwrap_or(path);
    if (base == "__init__.py" || base == "__main__.py")
        && let Some(parent) = parts.next().filter(|p| !p.is_empty())
    {
        let start = path.len() - base.len() - parent.len() - 1;
        return &path[start..];
    }
    base
}

/// The operation key of a span name under `mode`.
pub fn operation_key(parsed: &ParsedName, raw: &str, mode: KeyMode) -> String {
    match (mode, &parsed.file) {
        (KeyMode::Name, _) => raw.to_string(),
        (KeyMode::Function, _) | (KeyMode::File, None) => parsed.function.clone(),
        (KeyMode::File, Some(file)) => format!("{} ({})", parsed.function, short_file(file)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viztracer_python_names() {
        let p = parse_name("Grader.evaluate (/home/ci/app/src/grader.py:42)");
        assert_eq!(p.function, "Grader.evaluate");
        assert_eq!(p.file.as_deref(), Some("/home/ci/app/src/grader.py"));
        assert_eq!(p.line, Some(42));
        let p = parse_name("f.<locals>.<listcomp> (/a b/c (1)/x.py:7)");
        assert_eq!(p.function, "f.<locals>.<listcomp>");
        assert_eq!(p.file.as_deref(), Some("/a b/c (1)/x.py"));
    }

    #[test]
    fn c_functions_and_other_names_have_no_file() {
        for raw in [
            "time.sleep",
            "list.append",
            "RunTask",
            "f (not a location)",
            "g (x.py:)",
        ] {
            let p = parse_name(raw);
            assert_eq!(p.function, raw);
            assert_eq!(p.file, None);
        }
    }

    #[test]
    fn file_key_survives_moved_checkout_and_shifted_lines() {
        let a = "get_session (/work/a/service/db.py:10)";
        let b = "get_session (/tmp/ci-42/checkout/service/db.py:17)";
        let key = |raw: &str| operation_key(&parse_name(raw), raw, KeyMode::File);
        assert_eq!(key(a), "get_session (db.py)");
        assert_eq!(key(a), key(b));
        assert_eq!(
            key("<module> (/x/pkg/__init__.py:1)"),
            "<module> (pkg/__init__.py)"
        );
        assert_eq!(key("time.sleep"), "time.sleep");
    }

    #[test]
    fn coarser_and_finer_keys() {
        let raw = "get_session (/work/a/db.py:10)";
        let p = parse_name(raw);
        assert_eq!(operation_key(&p, raw, KeyMode::Function), "get_session");
        assert_eq!(operation_key(&p, raw, KeyMode::Name), raw);
    }
}
