//! The budgets.toml model and its strict validation.
//!
//! The file is read into raw serde structs that keep every value's byte span
//! ([`toml::Spanned`]) and refuse unknown keys, then checked into plain structs ([`Config`]).
//! Every problem becomes a [`ConfigError`] naming the file, the line:column of the offending
//! key or value, what was expected and what to do. docs/budgets.md documents the schema.

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::pattern::{Pattern, PatternSet};
use crate::report::Severity;
use crate::report::units::human_us;
use crate::units::{DURATION_HINT, parse_band, parse_duration, parse_percent};

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
#[derive(Debug, Clone)]
pub struct Config {
    /// The file's name as given, for messages.
    pub path: String,
    /// The budgets, in file order.
    pub budgets: Vec<Budget>,
    pub detectors: Detectors,
    /// `[compare]`, consumed by `perfgate compare`.
    pub compare: CompareConfig,
    /// `[hook]`, consumed by the pre-push hook.
    pub hook: HookConfig,
    /// `[defaults] require_match`: a budget that matches nothing fails the gate.
    pub require_match: bool,
}

/// What a budget measures over the calls it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    P50,
    P90,
    P95,
    P99,
    Max,
    Mean,
    /// Sum of inclusive durations.
    Total,
    /// Sum of self times.
    SelfTime,
    /// Number of calls.
    Count,
    /// Largest number of calls beneath one call of the `within` ancestor.
    CountPerParent,
}

impl Metric {
    /// Every metric with its spelling in budgets.toml.
    pub const ALL: [(&'static str, Metric); 10] = [
        ("p50", Metric::P50),
        ("p90", Metric::P90),
        ("p95", Metric::P95),
        ("p99", Metric::P99),
        ("max", Metric::Max),
        ("mean", Metric::Mean),
        ("total", Metric::Total),
        ("self", Metric::SelfTime),
        ("count", Metric::Count),
        ("count_per_parent", Metric::CountPerParent),
    ];

    /// The spelling in budgets.toml and in reports.
    pub fn as_str(self) -> &'static str {
        Metric::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map(|(s, _)| *s)
            .unwrap_or("?")
    }

    /// Counts calls rather than timing them.
    pub fn is_count(self) -> bool {
        matches!(self, Metric::Count | Metric::CountPerParent)
    }

    /// A statistic of single calls' durations: one call above the flag is a slow call.
    pub fn is_per_call(self) -> bool {
        matches!(
            self,
            Metric::P50 | Metric::P90 | Metric::P95 | Metric::P99 | Metric::Max | Metric::Mean
        )
    }
}

/// One row of the performance table.
#[derive(Debug, Clone)]
pub struct Budget {
    pub name: String,
    /// Which operations it covers.
    pub operation: Pattern,
    /// Only operations whose source file matches (full path or base name).
    pub file: Option<Pattern>,
    /// Only calls beneath a call of an operation matching this.
    pub within: Option<Pattern>,
    pub metric: Metric,
    /// µs for durations, calls for counts.
    pub target: f64,
    pub flag: f64,
}

/// Settings shared by every detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectorBase {
    pub enabled: bool,
    pub severity: Severity,
}

/// `[detectors.n_plus_one]`.
#[derive(Debug, Clone)]
pub struct NPlusOneConfig {
    pub base: DetectorBase,
    /// Calls in a row that make a finding.
    pub min_count: u64,
    /// Time the run must take in all, µs.
    pub min_total_us: f64,
    /// Child operations watched; calls of other operations in between do not break a run.
    pub operations: PatternSet,
    /// Child operations never reported, although `operations` matches them.
    pub ignore: PatternSet,
}

/// `[detectors.repeated_call]`.
#[derive(Debug, Clone)]
pub struct RepeatedCallConfig {
    pub base: DetectorBase,
    /// Calls under one parent call that make a finding.
    pub min_count: u64,
    /// Calls shorter than this are not counted, µs.
    pub min_duration_us: f64,
    /// Expensive operations watched.
    pub operations: PatternSet,
}

/// `[detectors.slow_call]`.
#[derive(Debug, Clone, Copy)]
pub struct SlowCallConfig {
    pub base: DetectorBase,
}

/// `[detectors.blocking_io]`.
#[derive(Debug, Clone)]
pub struct BlockingIoConfig {
    pub base: DetectorBase,
    /// Blocking calls shorter than this are not reported, µs.
    pub min_duration_us: f64,
    /// Blocking operations watched.
    pub operations: PatternSet,
}

/// `[detectors]`.
#[derive(Debug, Clone)]
pub struct Detectors {
    pub n_plus_one: NPlusOneConfig,
    pub repeated_call: RepeatedCallConfig,
    pub slow_call: SlowCallConfig,
    pub blocking_io: BlockingIoConfig,
}

/// Default watch list of the repeated-call detector: LLM calls.
pub const DEFAULT_EXPENSIVE: [&str; 4] = ["*claude*", "*llm*", "*openai*", "*anthropic*"];

/// Default watch list of the blocking-I/O detector: calls that block the event loop.
pub const DEFAULT_BLOCKING: [&str; 14] = [
    "time.sleep",
    "io.open",
    "builtins.open",
    "_io.*.read*",
    "_io.*.write*",
    "os.read",
    "os.write",
    "requests.*",
    "urllib.request.*",
    "http.client.*",
    "socket.*recv*",
    "socket.*send*",
    "socket.*connect*",
    "subprocess.*",
];

/// Default watch list of the N+1 detector: operations named like data access (database
/// queries, fetches, loads, HTTP requests). A driver loop (`main` calling `post_answer` per
/// request) or an event loop is a loop by design, not an N+1.
pub const DEFAULT_N_PLUS_ONE: [&str; 12] = [
    "*query*",
    "*execute*",
    "*fetch*",
    "get_*",
    "*.get_*",
    "load_*",
    "*.load_*",
    "*sql*",
    "*cursor*",
    "requests.*",
    "http.client.*",
    "urllib.request.*",
];

impl Default for Detectors {
    fn default() -> Self {
        let on = |severity| DetectorBase {
            enabled: true,
            severity,
        };
        let set = |pats: &[&str]| {
            PatternSet(
                pats.iter()
                    .map(|p| Pattern::new(p).expect("default patterns are valid"))
                    .collect(),
            )
        };
        Detectors {
            n_plus_one: NPlusOneConfig {
                base: on(Severity::Fail),
                min_count: 5,
                min_total_us: 50_000.0,
                operations: set(&DEFAULT_N_PLUS_ONE),
                ignore: PatternSet::default(),
            },
            repeated_call: RepeatedCallConfig {
                base: on(Severity::Fail),
                min_count: 2,
                min_duration_us: 100_000.0,
                operations: set(&DEFAULT_EXPENSIVE),
            },
            slow_call: SlowCallConfig {
                base: on(Severity::Warn),
            },
            blocking_io: BlockingIoConfig {
                base: on(Severity::Fail),
                min_duration_us: 10_000.0,
                operations: set(&DEFAULT_BLOCKING),
            },
        }
    }
}

/// The metric `perfgate compare` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareMetric {
    P95,
    P50,
    Mean,
    Max,
    Total,
    SelfTime,
}

impl CompareMetric {
    const ALL: [(&'static str, CompareMetric); 6] = [
        ("p95", CompareMetric::P95),
        ("p50", CompareMetric::P50),
        ("mean", CompareMetric::Mean),
        ("max", CompareMetric::Max),
        ("total", CompareMetric::Total),
        ("self", CompareMetric::SelfTime),
    ];

    pub fn as_str(self) -> &'static str {
        CompareMetric::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map(|(s, _)| *s)
            .unwrap_or("?")
    }
}

/// `[compare]`: defaults of `perfgate compare`; every field optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompareConfig {
    pub metric: Option<CompareMetric>,
    /// Relative change that counts as a regression, percent.
    pub threshold_pct: Option<f64>,
    /// Absolute changes below this are noise, µs.
    pub noise_floor_us: Option<f64>,
    /// Significance level of the Mann–Whitney test, in (0, 1).
    pub alpha: Option<f64>,
    /// Fewest calls per side for a statistical verdict.
    pub min_samples: Option<u64>,
}

/// `[hook]`: what the pre-push hook runs; every field optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HookConfig {
    /// Shell command that produces the trace.
    pub command: Option<String>,
    /// The trace file the command writes.
    pub trace: Option<String>,
    /// Baseline: a path, or `REV:PATH` in git.
    pub baseline: Option<String>,
    /// The severity that blocks the push.
    pub fail_on: Option<Severity>,
}

/// Reads and validates a budgets file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ConfigError::NotFound { path: name.clone() }
        } else {
            ConfigError::Read {
                path: name.clone(),
                source: e,
            }
        }
    })?;
    parse(&text, &name)
}

/// Validates budgets.toml text; `path` names it in messages.
pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
    let src = Source { path, text };
    let raw: RawFile = toml::from_str(text).map_err(|e| src.toml_error(&e))?;
    src.config(raw)
}

// ---------------------------------------------------------------------------------------
// Raw file: what serde reads, spans kept, unknown keys refused.

type Sp<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    defaults: Option<RawDefaults>,
    #[serde(default)]
    budget: Vec<Sp<RawBudget>>,
    detectors: Option<RawDetectors>,
    compare: Option<RawCompare>,
    hook: Option<RawHook>,
    /// `[record]` is read by `record::config`; here it is only accepted.
    #[serde(rename = "record")]
    _record: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    metric: Option<Sp<String>>,
    require_match: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    name: Sp<String>,
    operation: Sp<String>,
    file: Option<Sp<String>>,
    within: Option<Sp<String>>,
    metric: Option<Sp<String>>,
    target: Option<Sp<toml::Value>>,
    acceptable: Option<Sp<toml::Value>>,
    flag: Option<Sp<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetectors {
    n_plus_one: Option<RawDetector>,
    repeated_call: Option<RawDetector>,
    slow_call: Option<RawSlowCall>,
    blocking_io: Option<RawDetector>,
}

/// The keys a detector may have; which ones apply is checked per detector.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetector {
    enabled: Option<bool>,
    severity: Option<Sp<String>>,
    min_count: Option<Sp<i64>>,
    min_total: Option<Sp<toml::Value>>,
    min_duration: Option<Sp<toml::Value>>,
    operations: Option<Sp<Vec<Sp<String>>>>,
    ignore: Option<Sp<Vec<Sp<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlowCall {
    enabled: Option<bool>,
    severity: Option<Sp<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompare {
    metric: Option<Sp<String>>,
    threshold: Option<Sp<toml::Value>>,
    noise_floor: Option<Sp<toml::Value>>,
    alpha: Option<Sp<f64>>,
    min_samples: Option<Sp<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHook {
    command: Option<Sp<String>>,
    trace: Option<Sp<String>>,
    baseline: Option<Sp<String>>,
    fail_on: Option<Sp<String>>,
}

// ---------------------------------------------------------------------------------------
// Validation.

/// The text being validated, to turn byte spans into line:column messages.
struct Source<'a> {
    path: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
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
        let snippet = format!(
            "\n{gutter} |\n{line} | {line_text}\n{gutter} | {}{}",
            " ".repeat(column - 1),
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

    fn config(&self, raw: RawFile) -> Result<Config, ConfigError> {
        let defaults = raw.defaults;
        let default_metric = match defaults.as_ref().and_then(|d| d.metric.as_ref()) {
            Some(m) => self.metric(m)?,
            None => Metric::P95,
        };
        let mut budgets = Vec::with_capacity(raw.budget.len());
        for b in &raw.budget {
            let budget = self.budget(b, default_metric)?;
            if budgets.iter().any(|o: &Budget| o.name == budget.name) {
                return Err(self.error(
                    b.get_ref().name.span(),
                    format!(
                        "a budget named \"{}\" is already defined above; budget names must be unique",
                        budget.name
                    ),
                ));
            }
            budgets.push(budget);
        }
        Ok(Config {
            path: self.path.to_string(),
            budgets,
            detectors: self.detectors(raw.detectors)?,
            compare: self.compare(raw.compare)?,
            hook: self.hook(raw.hook)?,
            require_match: defaults.and_then(|d| d.require_match).unwrap_or(false),
        })
    }

    fn metric(&self, m: &Sp<String>) -> Result<Metric, ConfigError> {
        Metric::ALL
            .iter()
            .find(|(s, _)| *s == m.get_ref().as_str())
            .map(|(_, metric)| *metric)
            .ok_or_else(|| {
                let all: Vec<&str> = Metric::ALL.iter().map(|(s, _)| *s).collect();
                self.error(
                    m.span(),
                    format!(
                        "unknown metric \"{}\"; expected one of {}",
                        m.get_ref(),
                        all.join(", ")
                    ),
                )
            })
    }

    fn pattern(&self, p: &Sp<String>) -> Result<Pattern, ConfigError> {
        Pattern::new(p.get_ref()).map_err(|e| self.error(p.span(), e))
    }

    fn budget(&self, sp: &Sp<RawBudget>, default_metric: Metric) -> Result<Budget, ConfigError> {
        let b = sp.get_ref();
        let name = b.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(self.error(b.name.span(), "the budget name is empty"));
        }
        let metric = match &b.metric {
            Some(m) => self.metric(m)?,
            None => default_metric,
        };
        if metric == Metric::CountPerParent && b.within.is_none() {
            let span = b.metric.as_ref().map_or(b.name.span(), |m| m.span());
            return Err(self.error(
                span,
                "metric \"count_per_parent\" counts calls beneath each call of the `within` operation; add within = \"<pattern>\"",
            ));
        }
        let (target, flag) = self.thresholds(b, metric, sp.span())?;
        Ok(Budget {
            name,
            operation: self.pattern(&b.operation)?,
            file: b.file.as_ref().map(|f| self.pattern(f)).transpose()?,
            within: b.within.as_ref().map(|w| self.pattern(w)).transpose()?,
            metric,
            target,
            flag,
        })
    }

    /// target and flag, from `target`/`flag` and/or `acceptable`, which must agree.
    fn thresholds(
        &self,
        b: &RawBudget,
        metric: Metric,
        table: Range<usize>,
    ) -> Result<(f64, f64), ConfigError> {
        let target = b
            .target
            .as_ref()
            .map(|v| self.threshold(v, metric))
            .transpose()?;
        let flag = b
            .flag
            .as_ref()
            .map(|v| self.threshold(v, metric))
            .transpose()?;
        let band = b
            .acceptable
            .as_ref()
            .map(|v| self.band(v, metric))
            .transpose()?;
        let show = |v: f64| {
            if metric.is_count() {
                format!("{v} calls")
            } else {
                human_us(v)
            }
        };
        if let (Some(acc), Some((lo, hi))) = (&b.acceptable, band) {
            for (given, end, key, which) in
                [(target, lo, "target", "low"), (flag, hi, "flag", "high")]
            {
                if let Some(v) = given
                    && !same(v, end)
                {
                    return Err(self.error(
                        acc.span(),
                        format!(
                            "acceptable disagrees with {key}: its {which} end is {} but {key} is {}; make them equal or drop one of them",
                            show(end),
                            show(v)
                        ),
                    ));
                }
            }
        }
        let target = target.or(band.map(|b| b.0));
        let flag = flag.or(band.map(|b| b.1));
        let (Some(t), Some(f)) = (target, flag) else {
            let missing = if target.is_none() { "target" } else { "flag" };
            return Err(self.error(
                b.name.span(),
                format!(
                    "budget \"{}\" has no {missing}; give target and flag (e.g. target = \"800ms\", flag = \"1200ms\") or acceptable = \"800ms..1200ms\"",
                    b.name.get_ref()
                ),
            ));
        };
        if t > f {
            let span = b.target.as_ref().map_or(table, |v| v.span());
            return Err(self.error(
                span,
                format!(
                    "target ({}) is above flag ({}); the target must be at most the flag",
                    show(t),
                    show(f)
                ),
            ));
        }
        Ok((t, f))
    }

    /// A threshold: a duration string for time metrics, a whole number for counts.
    fn threshold(&self, v: &Sp<toml::Value>, metric: Metric) -> Result<f64, ConfigError> {
        match (v.get_ref(), metric.is_count()) {
            (toml::Value::Integer(n), true) if *n >= 0 => Ok(*n as f64),
            (toml::Value::Float(x), true) if *x >= 0.0 && x.is_finite() => Ok(*x),
            (toml::Value::String(s), false) => {
                parse_duration(s).map_err(|e| self.error(v.span(), e))
            }
            (toml::Value::Integer(_) | toml::Value::Float(_), false) => Err(self.error(
                v.span(),
                format!(
                    "metric \"{}\" is a duration: write {DURATION_HINT}",
                    metric.as_str()
                ),
            )),
            (_, true) => Err(self.error(
                v.span(),
                format!(
                    "metric \"{}\" counts calls: write a plain non-negative number, e.g. 5",
                    metric.as_str()
                ),
            )),
            (other, false) => Err(self.error(
                v.span(),
                format!("expected a duration string, found {}", other.type_str()),
            )),
        }
    }

    fn band(&self, v: &Sp<toml::Value>, metric: Metric) -> Result<(f64, f64), ConfigError> {
        match v.get_ref() {
            toml::Value::String(s) => {
                parse_band(s, !metric.is_count()).map_err(|e| self.error(v.span(), e))
            }
            other => Err(self.error(
                v.span(),
                format!(
                    "acceptable must be a string like \"1000ms..1500ms\", found {}",
                    other.type_str()
                ),
            )),
        }
    }

    fn duration_value(&self, v: &Sp<toml::Value>) -> Result<f64, ConfigError> {
        match v.get_ref() {
            toml::Value::String(s) => parse_duration(s).map_err(|e| self.error(v.span(), e)),
            other => Err(self.error(
                v.span(),
                format!("expected {DURATION_HINT}, found {}", other.type_str()),
            )),
        }
    }

    fn severity(&self, s: &Sp<String>) -> Result<Severity, ConfigError> {
        match s.get_ref().as_str() {
            "warn" => Ok(Severity::Warn),
            "fail" => Ok(Severity::Fail),
            other => Err(self.error(
                s.span(),
                format!("unknown severity \"{other}\"; expected \"warn\" or \"fail\""),
            )),
        }
    }

    fn count(&self, n: &Sp<i64>, min: i64) -> Result<u64, ConfigError> {
        if *n.get_ref() < min {
            return Err(self.error(n.span(), format!("expected a whole number ≥ {min}")));
        }
        Ok(*n.get_ref() as u64)
    }

    fn patterns(&self, list: &[Sp<String>]) -> Result<PatternSet, ConfigError> {
        list.iter()
            .map(|p| self.pattern(p))
            .collect::<Result<_, _>>()
            .map(PatternSet)
    }

    fn base(
        &self,
        enabled: Option<bool>,
        severity: Option<&Sp<String>>,
        default: DetectorBase,
    ) -> Result<DetectorBase, ConfigError> {
        Ok(DetectorBase {
            enabled: enabled.unwrap_or(default.enabled),
            severity: severity
                .map(|s| self.severity(s))
                .transpose()?
                .unwrap_or(default.severity),
        })
    }

    /// Refuses a key that exists for other detectors but not for this one.
    fn refuse<T>(&self, v: &Option<Sp<T>>, key: &str, detector: &str) -> Result<(), ConfigError> {
        match v {
            Some(v) => Err(self.error(
                v.span(),
                format!("unknown key `{key}` in [detectors.{detector}]"),
            )),
            None => Ok(()),
        }
    }

    fn detectors(&self, raw: Option<RawDetectors>) -> Result<Detectors, ConfigError> {
        let mut d = Detectors::default();
        let Some(raw) = raw else { return Ok(d) };
        if let Some(r) = raw.n_plus_one {
            let c = &mut d.n_plus_one;
            self.refuse(&r.min_duration, "min_duration", "n_plus_one")?;
            c.base = self.base(r.enabled, r.severity.as_ref(), c.base)?;
            if let Some(n) = &r.min_count {
                c.min_count = self.count(n, 2)?;
            }
            if let Some(t) = &r.min_total {
                c.min_total_us = self.duration_value(t)?;
            }
            if let Some(list) = &r.operations {
                c.operations = self.patterns(list.get_ref())?;
            }
            if let Some(list) = &r.ignore {
                c.ignore = self.patterns(list.get_ref())?;
            }
        }
        if let Some(r) = raw.repeated_call {
            let c = &mut d.repeated_call;
            self.refuse(&r.min_total, "min_total", "repeated_call")?;
            self.refuse(&r.ignore, "ignore", "repeated_call")?;
            c.base = self.base(r.enabled, r.severity.as_ref(), c.base)?;
            if let Some(n) = &r.min_count {
                c.min_count = self.count(n, 2)?;
            }
            if let Some(t) = &r.min_duration {
                c.min_duration_us = self.duration_value(t)?;
            }
            if let Some(list) = &r.operations {
                c.operations = self.patterns(list.get_ref())?;
            }
        }
        if let Some(r) = raw.slow_call {
            d.slow_call.base = self.base(r.enabled, r.severity.as_ref(), d.slow_call.base)?;
        }
        if let Some(r) = raw.blocking_io {
            let c = &mut d.blocking_io;
            self.refuse(&r.min_total, "min_total", "blocking_io")?;
            self.refuse(&r.min_count, "min_count", "blocking_io")?;
            self.refuse(&r.ignore, "ignore", "blocking_io")?;
            c.base = self.base(r.enabled, r.severity.as_ref(), c.base)?;
            if let Some(t) = &r.min_duration {
                c.min_duration_us = self.duration_value(t)?;
            }
            if let Some(list) = &r.operations {
                c.operations = self.patterns(list.get_ref())?;
            }
        }
        Ok(d)
    }

    fn compare(&self, raw: Option<RawCompare>) -> Result<CompareConfig, ConfigError> {
        let Some(r) = raw else {
            return Ok(CompareConfig::default());
        };
        let metric = r
            .metric
            .as_ref()
            .map(|m| {
                CompareMetric::ALL
                    .iter()
                    .find(|(s, _)| *s == m.get_ref().as_str())
                    .map(|(_, c)| *c)
                    .ok_or_else(|| {
                        self.error(
                            m.span(),
                            format!(
                                "unknown compare metric \"{}\"; expected one of p95, p50, mean, max, total, self",
                                m.get_ref()
                            ),
                        )
                    })
            })
            .transpose()?;
        let threshold_pct = r
            .threshold
            .as_ref()
            .map(|t| match t.get_ref() {
                toml::Value::String(s) => parse_percent(s).map_err(|e| self.error(t.span(), e)),
                toml::Value::Integer(n) if *n >= 0 => Ok(*n as f64),
                toml::Value::Float(x) if *x > 0.0 && *x < 1.0 => Err(self.error(
                    t.span(),
                    format!(
                        "threshold {x} is ambiguous: write \"{}%\" for a fraction, or \"{x}%\" for a percentage",
                        x * 100.0
                    ),
                )),
                toml::Value::Float(x) if *x >= 0.0 && x.is_finite() => Ok(*x),
                _ => Err(self.error(
                    t.span(),
                    "threshold must be a percentage like \"10%\" or a non-negative number of percent",
                )),
            })
            .transpose()?;
        let noise_floor_us = r
            .noise_floor
            .as_ref()
            .map(|v| self.duration_value(v))
            .transpose()?;
        let alpha = r
            .alpha
            .as_ref()
            .map(|a| {
                let x = *a.get_ref();
                if x > 0.0 && x < 1.0 {
                    Ok(x)
                } else {
                    Err(self.error(a.span(), "alpha must be between 0 and 1, e.g. 0.01"))
                }
            })
            .transpose()?;
        let min_samples = r
            .min_samples
            .as_ref()
            .map(|n| self.count(n, 1))
            .transpose()?;
        Ok(CompareConfig {
            metric,
            threshold_pct,
            noise_floor_us,
            alpha,
            min_samples,
        })
    }

    fn hook(&self, raw: Option<RawHook>) -> Result<HookConfig, ConfigError> {
        let Some(r) = raw else {
            return Ok(HookConfig::default());
        };
        let non_empty =
            |s: &Option<Sp<String>>, key: &str| -> Result<Option<String>, ConfigError> {
                match s {
                    Some(v) if v.get_ref().trim().is_empty() => {
                        Err(self.error(v.span(), format!("`{key}` is empty")))
                    }
                    Some(v) => Ok(Some(v.get_ref().clone())),
                    None => Ok(None),
                }
            };
        Ok(HookConfig {
            command: non_empty(&r.command, "command")?,
            trace: non_empty(&r.trace, "trace")?,
            baseline: non_empty(&r.baseline, "baseline")?,
            fail_on: r.fail_on.as_ref().map(|s| self.severity(s)).transpose()?,
        })
    }
}

/// Thresholds written two ways (`1.5s` and `1500ms`) are equal up to float rounding.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text, "b.toml").unwrap_err().to_string()
    }

    const CLAUDE: &str = "[[budget]]\nname = \"Claude API\"\noperation = \"call_claude\"\n";

    #[test]
    fn a_budget_from_target_and_flag_or_acceptable() {
        let c = parse(
            &format!("{CLAUDE}target = \"800ms\"\nacceptable = \"800-1200ms\"\nflag = \"1.2s\"\n"),
            "b.toml",
        )
        .unwrap();
        let b = &c.budgets[0];
        assert_eq!(
            (b.target, b.flag, b.metric),
            (800_000.0, 1_200_000.0, Metric::P95)
        );
        let c = parse(&format!("{CLAUDE}acceptable = \"30ms..50ms\"\n"), "b.toml").unwrap();
        assert_eq!(
            (c.budgets[0].target, c.budgets[0].flag),
            (30_000.0, 50_000.0)
        );
        assert!(c.detectors.n_plus_one.base.enabled);
        assert_eq!(c.compare, CompareConfig::default());
    }

    #[test]
    fn errors_carry_line_and_column_and_a_caret() {
        let e = err(&format!("{CLAUDE}tagret = \"800ms\"\nflag = \"1s\"\n"));
        assert!(e.starts_with("b.toml:4:1: unknown key `tagret`"), "{e}");
        assert!(e.contains("4 | tagret = \"800ms\"\n  | ^^^^^^"), "{e}");
        let e = err(&format!("{CLAUDE}target = \"800 msec\"\nflag = \"1s\"\n"));
        assert!(
            e.starts_with("b.toml:4:10: `800 msec` is not a duration"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_names_and_count_per_parent_without_within_are_refused() {
        let twice = format!("{CLAUDE}acceptable = \"1s..2s\"\n{CLAUDE}acceptable = \"1s..2s\"\n");
        assert!(
            err(&twice).starts_with("b.toml:6:8: a budget named \"Claude API\" is already defined")
        );
        let e = err(&format!(
            "{CLAUDE}metric = \"count_per_parent\"\nacceptable = \"1..2\"\n"
        ));
        assert!(
            e.starts_with("b.toml:4:10: metric \"count_per_parent\" counts calls beneath"),
            "{e}"
        );
        let e = err(&format!(
            "{CLAUDE}metric = \"count\"\ntarget = \"5ms\"\nflag = 6\n"
        ));
        assert!(
            e.starts_with("b.toml:5:10: metric \"count\" counts calls"),
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
                metric: Some(CompareMetric::P50),
                threshold_pct: Some(10.0),
                noise_floor_us: Some(1000.0),
                alpha: Some(0.01),
                min_samples: Some(8),
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

    #[test]
    fn detector_settings_and_their_errors() {
        let c = parse(
            "[detectors.n_plus_one]\nmin_count = 3\nmin_total = \"0ms\"\nseverity = \"warn\"\n\
             [detectors.blocking_io]\nenabled = false\n",
            "b.toml",
        )
        .unwrap();
        assert_eq!(c.detectors.n_plus_one.min_count, 3);
        assert_eq!(c.detectors.n_plus_one.base.severity, Severity::Warn);
        assert!(!c.detectors.blocking_io.base.enabled);
        let e = err("[detectors.blocking_io]\nmin_count = 3\n");
        assert!(
            e.contains("b.toml:2:13: unknown key `min_count` in [detectors.blocking_io]"),
            "{e}"
        );
        let e = err("[detectors.n_plus_two]\n");
        assert!(e.contains("unknown key `n_plus_two`"), "{e}");
    }
}
