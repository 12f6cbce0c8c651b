//! `[[budget]]` and `[defaults]`: the rows of the performance table. A budget names the
//! operations it covers (a pattern, optionally narrowed by file and by a `within` ancestor),
//! the metric it measures and its two thresholds (target and flag, or `acceptable`).

use std::ops::Range;

use serde::Deserialize;

use super::{ConfigError, Pattern, Source, Sp};
use crate::outcome::Severity;
use crate::outcome::units::human_us;
use crate::units::{DURATION_HINT, parse_band, parse_duration};

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
    /// Time spent in garbage collection during the calls (viztracer `--log_gc`).
    Gc,
    /// Counter budgets: the smallest value.
    Min,
    /// Counter budgets: the last value.
    Last,
    /// Counter budgets: the largest rise within one trace (last − first).
    Growth,
}

impl Metric {
    /// Every metric with its spelling in budgets.toml.
    pub const ALL: [(&'static str, Metric); 14] = [
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
        ("gc", Metric::Gc),
        ("min", Metric::Min),
        ("last", Metric::Last),
        ("growth", Metric::Growth),
    ];

    /// The metrics a `counter` budget takes.
    pub const OF_COUNTERS: [Metric; 4] = [Metric::Max, Metric::Min, Metric::Last, Metric::Growth];

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
    /// A counter budget: the counter series it measures (`memory.rss_mb`), instead of calls
    /// (its `operation` pattern, the same text, then matches no call).
    pub counter: Option<String>,
    pub metric: Metric,
    /// µs for durations, calls for counts, the counter's own unit for counter budgets.
    /// `f64::INFINITY` when a `count` budget has only a lower bound (`at_least`).
    pub target: f64,
    pub flag: f64,
    /// A `count` budget's lower bound: fewer calls are "too few" ("must be called").
    pub at_least: Option<LowerBound>,
}

/// `at_least = N` (and `at_least_severity`): the fewest calls a `count` budget accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LowerBound {
    pub calls: u64,
    /// What fewer calls add to the verdict (default fail).
    pub severity: Severity,
}

/// Reads the `[[budget]]` tables; `default_metric` is `[defaults] metric`.
pub(super) fn read(
    src: &Source,
    raw: &[Sp<RawBudget>],
    default_metric: Metric,
) -> Result<Vec<Budget>, ConfigError> {
    let mut budgets = Vec::with_capacity(raw.len());
    for b in raw {
        let budget = budget(src, b, default_metric)?;
        if budgets.iter().any(|o: &Budget| o.name == budget.name) {
            return Err(src.error(
                b.get_ref().name.span(),
                format!(
                    "a budget named \"{}\" is already defined above; budget names must be unique",
                    budget.name
                ),
            ));
        }
        budgets.push(budget);
    }
    Ok(budgets)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    pub(super) metric: Option<Sp<String>>,
    pub(super) require_match: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBudget {
    name: Sp<String>,
    operation: Option<Sp<String>>,
    counter: Option<Sp<String>>,
    file: Option<Sp<String>>,
    within: Option<Sp<String>>,
    metric: Option<Sp<String>>,
    target: Option<Sp<toml::Value>>,
    acceptable: Option<Sp<toml::Value>>,
    flag: Option<Sp<toml::Value>>,
    at_least: Option<Sp<i64>>,
    at_least_severity: Option<Sp<String>>,
}

pub(super) fn metric(src: &Source, m: &Sp<String>) -> Result<Metric, ConfigError> {
    Metric::ALL
        .iter()
        .find(|(s, _)| *s == m.get_ref().as_str())
        .map(|(_, metric)| *metric)
        .ok_or_else(|| {
            let all: Vec<&str> = Metric::ALL.iter().map(|(s, _)| *s).collect();
            src.error(
                m.span(),
                format!(
                    "unknown metric \"{}\"; expected one of {}",
                    m.get_ref(),
                    all.join(", ")
                ),
            )
        })
}

fn budget(src: &Source, sp: &Sp<RawBudget>, default_metric: Metric) -> Result<Budget, ConfigError> {
    let b = sp.get_ref();
    let name = b.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(src.error(b.name.span(), "the budget name is empty"));
    }
    let subject = match (&b.operation, &b.counter) {
        (Some(op), None) => op,
        (None, Some(counter)) => counter,
        (Some(_), Some(counter)) => {
            return Err(src.error(
                counter.span(),
                "a budget measures either calls (operation = ...) or a counter (counter = ...), not both",
            ));
        }
        (None, None) => {
            return Err(src.error(
                b.name.span(),
                format!(
                    "budget \"{name}\" measures nothing; add operation = \"<function or glob>\" (its calls) or counter = \"<name>\" (a counter series)"
                ),
            ));
        }
    };
    let is_counter = b.counter.is_some();
    let metric = match &b.metric {
        Some(m) => metric(src, m)?,
        None if is_counter => Metric::Max,
        None => default_metric,
    };
    if let Some(m) = &b.metric {
        check_metric_fits(src, m, metric, is_counter)?;
    }
    if metric == Metric::CountPerParent && b.within.is_none() {
        let span = b.metric.as_ref().map_or(b.name.span(), |m| m.span());
        return Err(src.error(
            span,
            "metric \"count_per_parent\" counts calls beneath each call of the `within` operation; add within = \"<pattern>\"",
        ));
    }
    let numeric = metric.is_count() || is_counter;
    let at_least = lower_bound(src, b, metric)?;
    let (target, flag) = if at_least.is_some() && upper_bound_missing(b) {
        (f64::INFINITY, f64::INFINITY)
    } else {
        thresholds(src, b, metric, numeric, sp.span())?
    };
    if let (Some(low), Some(n)) = (at_least, &b.at_least)
        && low.calls as f64 > flag
    {
        return Err(src.error(
            n.span(),
            format!(
                "at_least ({} calls) is above flag ({flag} calls): no count could pass; lower at_least or raise flag",
                low.calls
            ),
        ));
    }
    Ok(Budget {
        name,
        operation: src.pattern(subject)?,
        file: b.file.as_ref().map(|f| src.pattern(f)).transpose()?,
        within: b.within.as_ref().map(|w| src.pattern(w)).transpose()?,
        counter: b.counter.as_ref().map(|c| c.get_ref().trim().to_string()),
        metric,
        target,
        flag,
        at_least,
    })
}

/// No `target`, `flag` or `acceptable`: a budget with only a lower bound.
fn upper_bound_missing(b: &RawBudget) -> bool {
    b.target.is_none() && b.flag.is_none() && b.acceptable.is_none()
}

/// `at_least` and `at_least_severity`: only on `count` budgets, at least 1 call.
fn lower_bound(
    src: &Source,
    b: &RawBudget,
    metric: Metric,
) -> Result<Option<LowerBound>, ConfigError> {
    let Some(n) = &b.at_least else {
        if let Some(s) = &b.at_least_severity {
            return Err(src.error(
                s.span(),
                "at_least_severity says what too few calls add to the verdict; add at_least = <calls>",
            ));
        }
        return Ok(None);
    };
    if metric != Metric::Count {
        return Err(src.error(
            n.span(),
            format!(
                "at_least is the fewest calls of a count budget; this budget's metric is \"{}\" (write metric = \"count\")",
                metric.as_str()
            ),
        ));
    }
    if *n.get_ref() < 1 {
        return Err(src.error(
            n.span(),
            "at_least must be 1 or more: a count is never below 0 (at_least = 1: must be called)",
        ));
    }
    let severity = match &b.at_least_severity {
        Some(s) => src.severity(s)?,
        None => Severity::Fail,
    };
    Ok(Some(LowerBound {
        calls: *n.get_ref() as u64,
        severity,
    }))
}

/// Counter budgets take the metrics of values (max, min, last, growth); call budgets every
/// other one.
fn check_metric_fits(
    src: &Source,
    m: &Sp<String>,
    metric: Metric,
    is_counter: bool,
) -> Result<(), ConfigError> {
    let of_counters = Metric::OF_COUNTERS.contains(&metric);
    let names = |list: &[Metric]| {
        list.iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if is_counter && !of_counters {
        return Err(src.error(
            m.span(),
            format!(
                "metric \"{}\" measures calls; a counter budget takes one of {}",
                metric.as_str(),
                names(&Metric::OF_COUNTERS)
            ),
        ));
    }
    if !is_counter && of_counters && metric != Metric::Max {
        return Err(src.error(
            m.span(),
            format!(
                "metric \"{}\" is for counter budgets (counter = \"<name>\"); an operation budget takes p50, p90, p95, p99, max, mean, total, self, count, count_per_parent or gc",
                metric.as_str()
            ),
        ));
    }
    Ok(())
}

/// target and flag, from `target`/`flag` and/or `acceptable`, which must agree.
fn thresholds(
    src: &Source,
    b: &RawBudget,
    metric: Metric,
    numeric: bool,
    table: Range<usize>,
) -> Result<(f64, f64), ConfigError> {
    let target = b
        .target
        .as_ref()
        .map(|v| threshold(src, v, metric, numeric))
        .transpose()?;
    let flag = b
        .flag
        .as_ref()
        .map(|v| threshold(src, v, metric, numeric))
        .transpose()?;
    let band = b
        .acceptable
        .as_ref()
        .map(|v| band(src, v, numeric))
        .transpose()?;
    let show = |v: f64| {
        if b.counter.is_some() {
            format!("{v}")
        } else if metric.is_count() {
            format!("{v} calls")
        } else {
            human_us(v)
        }
    };
    if let (Some(acc), Some((lo, hi))) = (&b.acceptable, band) {
        for (given, end, key, which) in [(target, lo, "target", "low"), (flag, hi, "flag", "high")]
        {
            if let Some(v) = given
                && !same(v, end)
            {
                return Err(src.error(
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
        return Err(src.error(
            b.name.span(),
            format!(
                "budget \"{}\" has no {missing}; give target and flag (e.g. target = \"800ms\", flag = \"1200ms\") or acceptable = \"800ms..1200ms\"",
                b.name.get_ref()
            ),
        ));
    };
    if t > f {
        let span = b.target.as_ref().map_or(table, |v| v.span());
        return Err(src.error(
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

/// A threshold: a duration string for time metrics, a whole number for counts, any number
/// for counters (`numeric`: counts and counters).
fn threshold(
    src: &Source,
    v: &Sp<toml::Value>,
    metric: Metric,
    numeric: bool,
) -> Result<f64, ConfigError> {
    let counter = numeric && !metric.is_count();
    match (v.get_ref(), numeric) {
        (toml::Value::Integer(n), true) if *n >= 0 || counter => Ok(*n as f64),
        (toml::Value::Float(x), true) if (*x >= 0.0 || counter) && x.is_finite() => Ok(*x),
        (_, true) if counter => Err(src.error(
            v.span(),
            "a counter budget's thresholds are plain numbers in the counter's unit, e.g. 512",
        )),
        (toml::Value::String(s), false) => parse_duration(s).map_err(|e| src.error(v.span(), e)),
        (toml::Value::Integer(_) | toml::Value::Float(_), false) => Err(src.error(
            v.span(),
            format!(
                "metric \"{}\" is a duration: write {DURATION_HINT}",
                metric.as_str()
            ),
        )),
        (_, true) => Err(src.error(
            v.span(),
            format!(
                "metric \"{}\" counts calls: write a plain non-negative number, e.g. 5",
                metric.as_str()
            ),
        )),
        (other, false) => Err(src.error(
            v.span(),
            format!("expected a duration string, found {}", other.type_str()),
        )),
    }
}

fn band(src: &Source, v: &Sp<toml::Value>, numeric: bool) -> Result<(f64, f64), ConfigError> {
    match v.get_ref() {
        toml::Value::String(s) => parse_band(s, !numeric).map_err(|e| src.error(v.span(), e)),
        other => Err(src.error(
            v.span(),
            format!(
                "acceptable must be a string like \"1000ms..1500ms\", found {}",
                other.type_str()
            ),
        )),
    }
}

/// Thresholds written two ways (`1.5s` and `1500ms`) are equal up to float rounding.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::config::parse;
    use crate::config::tests::err;
    use crate::detect::n_plus_one::NPlusOne;

    pub(crate) const CLAUDE: &str =
        "[[budget]]\nname = \"Claude API\"\noperation = \"call_claude\"\n";

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
        assert!(c.detectors.get::<NPlusOne>().base.enabled);
        assert_eq!(c.compare, crate::config::CompareConfig::default());
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
}
