//! budgets.toml: reading, strict validation, and the settings of every section.
//!
//! The file is read into raw serde structs that keep every value's byte span
//! ([`toml::Spanned`]) and refuse unknown keys, then checked into plain structs ([`Config`]).
//! Every problem becomes a [`ConfigError`] naming the file, the line:column of the offending
//! key or value, what was expected and what to do. docs/budgets.md documents the schema.
//!
//! One module per section: [`budgets`] (`[[budget]]` and `[defaults]`), [`compare`]
//! (`[compare]`), [`hook`] (`[hook]`), [`scope`] (`[scope]`). Each `[detectors.NAME]` table belongs to its detector in
//! `crate::detect`, which reads it from a [`Section`]; the registry there says which names
//! exist. This module holds what they share: the file, [`Source`] (byte span → line:column
//! with a caret) and the readers of common values (durations, counts, severities, patterns).

pub mod budgets;
pub mod compare;
pub mod hook;
pub mod scope;
pub mod starter;

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::detect::{Detectors, RawDetectors};
use crate::outcome::Severity;
use crate::units::{DURATION_HINT, parse_duration};

pub use crate::ops::pattern::{Pattern, PatternSet};
pub use budgets::{Budget, Metric};
pub use compare::CompareConfig;
pub use hook::HookConfig;
pub use scope::ScopeConfig;

/// The budgets file read when none is named.
pub const DEFAULT_PATH: &str = "budgets.toml";

/// Why budgets.toml could not be used (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file does not exist.
    #[error(
        "{path}: no budgets file here; pass --budgets FILE or create one (see docs/budgets.md)"
    )]
    NotFound { path: String },
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or breaks the schema.
    #[error("{path}:{line}:{column}: {message}{snippet}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
        /// The offending source line with a caret under the place, starting with a newline.
        snippet: String,
    },
}

/// Everything budgets.toml says.
#[derive(Debug)]
pub struct Config {
    /// The file's name as given, for messages.
    pub path: String,
    /// The budgets, in file order.
    pub budgets: Vec<Budget>,
    /// Every registered detector, with its `[detectors.NAME]` settings or its defaults.
    pub detectors: Detectors,
    /// `[compare]`, consumed by `perfgate compare`.
    pub compare: CompareConfig,
    /// `[hook]`, consumed by the pre-push hook.
    pub hook: HookConfig,
    /// `[scope]`: the operations every command looks at.
    pub scope: ScopeConfig,
    /// `[defaults] require_match`: a budget that matches nothing fails the gate.
    pub require_match: bool,
}

/// Reads and validates a budgets file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ConfigError::NotFound { path: name.clone() }
        } else {
            ConfigError::Read {
                path: name.clone(),
                source: e,
            }
        }
    })?;
    let text = utf8(&bytes, &name)?;
    parse(text, &name)
}

/// The file as text; bytes that are not UTF-8 (TOML is UTF-8) are an error at their
/// line:column, like any other mistake in the file.
pub(crate) fn utf8<'a>(bytes: &'a [u8], path: &str) -> Result<&'a str, ConfigError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let text = std::str::from_utf8(valid).unwrap_or_default();
        let src = Source { path, text };
        let bad = bytes[e.valid_up_to()];
        src.error(
            text.len()..text.len(),
            format!(
                "byte 0x{bad:02x} is not UTF-8 (TOML files are UTF-8 text; save the file as UTF-8)"
            ),
        )
    })
}

/// Validates budgets.toml text; `path` names it in messages.
pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
    let src = Source { path, text };
    let root = DeTable::parse(text).map_err(|e| src.toml_error(&e))?;
    // The detectors' tables go to their detectors, which read them with their own raw structs
    // (spans kept); the first pass checks the rest of the file and the detectors' names.
    let detectors = root.get_ref().get("detectors").cloned();
    let raw =
        RawFile::deserialize(toml::de::Deserializer::from(root)).map_err(|e| src.toml_error(&e))?;
    let default_metric = match raw.defaults.as_ref().and_then(|d| d.metric.as_ref()) {
        Some(m) => budgets::metric(&src, m)?,
        None => Metric::P95,
    };
    Ok(Config {
        path: path.to_string(),
        budgets: budgets::read(&src, &raw.budget, default_metric)?,
        detectors: Detectors::read(&src, detectors)?,
        compare: compare::read(&src, raw.compare)?,
        hook: hook::read(&src, raw.hook)?,
        scope: scope::read(&src, raw.scope)?,
        require_match: raw.defaults.and_then(|d| d.require_match).unwrap_or(false),
    })
}

/// A value with the byte span it was read from.
pub type Sp<T> = Spanned<T>;

/// The file as serde reads it: spans kept, unknown keys refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    defaults: Option<budgets::RawDefaults>,
    #[serde(default)]
    budget: Vec<Sp<budgets::RawBudget>>,
    /// Only the names of the tables: each detector reads its own.
    #[allow(dead_code)]
    detectors: Option<RawDetectors>,
    compare: Option<compare::RawCompare>,
    hook: Option<hook::RawHook>,
    scope: Option<scope::RawScope>,
    /// `[record]` is read by `record::config`; here it is only accepted.
    #[serde(rename = "record")]
    _record: Option<toml::Value>,
}

/// Characters of a source line an error shows: a line of a megabyte (a trace passed as the
/// budgets file, a huge pattern) is shown as a window around the place.
const SNIPPET_CHARS: usize = 100;

/// The part of `line` shown under an error at character `column` (0-based) spanning `width`
/// characters: the text (with `…` where it was cut), and the caret's column and width in it.
fn snippet_window(line: &str, column: usize, width: usize) -> (String, usize, usize) {
    let from = column.saturating_sub(SNIPPET_CHARS / 2);
    let mut chars = line.chars().skip(from);
    let mut shown: String = chars.by_ref().take(SNIPPET_CHARS).collect();
    let mut caret_at = column - from;
    if from > 0 {
        shown.insert(0, '…');
        caret_at += 1;
    }
    if chars.next().is_some() {
        shown.push('…');
    }
    let width = width
        .min(SNIPPET_CHARS.saturating_sub(column - from))
        .max(1);
    (shown, caret_at, width)
}

/// One table of the file handed to the code that owns it (a detector's `[detectors.NAME]`),
/// read with its spans so that its errors point into the file.
pub struct Section<'a> {
    /// The file, for messages.
    pub src: &'a Source<'a>,
    value: Sp<DeValue<'a>>,
}

impl<'a> Section<'a> {
    pub(crate) fn new(src: &'a Source<'a>, value: Sp<DeValue<'a>>) -> Section<'a> {
        Section { src, value }
    }

    /// The table as the owner's raw serde struct; a wrong type or an unknown key is an error
    /// at its line:column.
    pub fn read<T: Deserialize<'a>>(self) -> Result<T, ConfigError> {
        T::deserialize(toml::de::ValueDeserializer::from(self.value))
            .map_err(|e| self.src.toml_error(&e))
    }
}

/// The text being validated, to turn byte spans into line:column messages.
pub struct Source<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// An error at `span`: `path:line:column: message` and the line with a caret under it.
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let start = span.start.min(self.text.len());
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = self.text[..start].matches('\n').count() + 1;
        let column = self.text[line_start..start].chars().count() + 1;
        let line_text = self.text[line_start..]
            .split('\n')
            .next()
            .unwrap_or("")
            .trim_end_matches('\r');
        let width = self.text[start..span.end.clamp(start, self.text.len())]
            .split('\n')
            .next()
            .map_or(1, |s| s.chars().count().max(1));
        let gutter = " ".repeat(line.to_string().len());
        let (shown, caret_at, width) = snippet_window(line_text, column - 1, width);
        let snippet = format!(
            "\n{gutter} |\n{line} | {shown}\n{gutter} | {}{}",
            " ".repeat(caret_at),
            "^".repeat(width)
        );
        ConfigError::Invalid {
            path: self.path.to_string(),
            line,
            column,
            message: message.into(),
            snippet,
        }
    }

    fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        // serde speaks of "fields"; the file has keys.
        let message = e
            .message()
            .trim_end()
            .replace("unknown field", "unknown key")
            .replace("missing field", "missing key");
        self.error(e.span().unwrap_or(0..0), message)
    }

    /// An operation pattern.
    pub fn pattern(&self, p: &Sp<String>) -> Result<Pattern, ConfigError> {
        Pattern::new(p.get_ref()).map_err(|e| self.error(p.span(), e))
    }

    /// A list of operation patterns.
    pub fn patterns(&self, list: &[Sp<String>]) -> Result<PatternSet, ConfigError> {
        list.iter()
            .map(|p| self.pattern(p))
            .collect::<Result<_, _>>()
            .map(PatternSet)
    }

    /// A duration string (`"100ms"`), in µs.
    pub fn duration_value(&self, v: &Sp<toml::Value>) -> Result<f64, ConfigError> {
        match v.get_ref() {
            toml::Value::String(s) => parse_duration(s).map_err(|e| self.error(v.span(), e)),
            other => Err(self.error(
                v.span(),
                format!("expected {DURATION_HINT}, found {}", other.type_str()),
            )),
        }
    }

    /// `"warn"` or `"fail"`.
    pub fn severity(&self, s: &Sp<String>) -> Result<Severity, ConfigError> {
        match s.get_ref().as_str() {
            "warn" => Ok(Severity::Warn),
            "fail" => Ok(Severity::Fail),
            other => Err(self.error(
                s.span(),
                format!("unknown severity \"{other}\"; expected \"warn\" or \"fail\""),
            )),
        }
    }

    /// A whole number of at least `min`.
    pub fn count(&self, n: &Sp<i64>, min: i64) -> Result<u64, ConfigError> {
        if *n.get_ref() < min {
            return Err(self.error(n.span(), format!("expected a whole number ≥ {min}")));
        }
        Ok(*n.get_ref() as u64)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn err(text: &str) -> String {
        parse(text, "b.toml").unwrap_err().to_string()
    }

    #[test]
    fn errors_carry_line_and_column_and_a_caret() {
        let claude = budgets::tests::CLAUDE;
        let e = err(&format!("{claude}tagret = \"800ms\"\nflag = \"1s\"\n"));
        assert!(e.starts_with("b.toml:4:1: unknown key `tagret`"), "{e}");
        assert!(e.contains("4 | tagret = \"800ms\"\n  | ^^^^^^"), "{e}");
        let e = err(&format!("{claude}target = \"800 msec\"\nflag = \"1s\"\n"));
        assert!(
            e.starts_with("b.toml:4:10: `800 msec` is not a duration"),
            "{e}"
        );
    }

    #[test]
    fn compare_and_hook_sections() {
        let c = parse(
            "[compare]\nmetric = \"p50\"\nthreshold = \"10%\"\nnoise_floor = \"1ms\"\nalpha = 0.01\nmin_samples = 8\n\
             [hook]\ncommand = \"make trace\"\ntrace = \"t.json\"\nbaseline = \"origin/main:t.json\"\nfail_on = \"warn\"\n",
            "b.toml",
        )
        .unwrap();
        assert_eq!(
            c.compare,
            CompareConfig {
                metric: Some(crate::outcome::Metric::P50),
                threshold_pct: Some(10.0),
                noise_floor_us: Some(1000.0),
                alpha: Some(0.01),
                min_samples: Some(8),
                min_coverage_pct: None,
            }
        );
        assert_eq!(c.hook.fail_on, Some(Severity::Warn));
        assert_eq!(c.hook.baseline.as_deref(), Some("origin/main:t.json"));
        assert!(
            err("[compare]\nalpha = 2.0\n").contains("b.toml:2:9: alpha must be between 0 and 1")
        );
        let c = parse("[compare]\nthreshold = 10\n", "b.toml").unwrap();
        assert_eq!(c.compare.threshold_pct, Some(10.0));
        assert!(err("[hook]\nfail_on = \"never\"\n").contains("b.toml:2:11: unknown severity"));
        assert!(err("[hook]\ncmd = \"x\"\n").contains("b.toml:2:1: unknown key `cmd`"));
    }
}
