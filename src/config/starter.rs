//! The starter budgets.toml that `perfgate init` writes: one `[[budget]]` per heavy operation
//! of the project's own code, its bands set from the figures observed in the traces with a
//! stated headroom, then every detector's table with its defaults written out, and a comment
//! on every line saying what it does.
//!
//! This module only writes text from figures it is given; choosing the operations and checking
//! that the text is accepted by `perfgate check` is the command's job.

use std::fmt::Write;

use crate::ops::identity::short_file;
use crate::outcome::units::human_us;

/// One budget to write: an operation of the project's own code and what the traces showed.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The qualified function name (`Grader.evaluate`).
    pub function: String,
    /// Its source file as the catalog shows it (only the base name is written).
    pub file: Option<String>,
    /// The p95 of its calls' inclusive durations, µs: the budget's metric.
    pub p95_us: f64,
    /// Its slowest call, µs: the flag is never below it (the slow_call detector flags single
    /// calls above the flag).
    pub max_us: f64,
    /// Calls in the traces.
    pub calls: u64,
    /// Total inclusive time, µs (what ranked it).
    pub total_us: f64,
}

/// What the starter file is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Starter<'a> {
    /// The traces, as named on the command line (for the header).
    pub traces: &'a [String],
    /// Headroom in percent: target = p95 × (1 + h), flag = p95 × (1 + 2h).
    pub headroom_pct: f64,
    /// The budgets, heaviest first.
    pub budgets: &'a [Observed],
}

impl Observed {
    /// The target: the observed p95 plus the headroom, rounded up.
    pub fn target_us(&self, headroom_pct: f64) -> f64 {
        round_up(self.p95_us * (1.0 + headroom_pct / 100.0))
    }

    /// The flag: the observed p95 plus twice the headroom, and at least the slowest call seen,
    /// rounded up.
    pub fn flag_us(&self, headroom_pct: f64) -> f64 {
        round_up(
            (self.p95_us * (1.0 + 2.0 * headroom_pct / 100.0))
                .max(self.max_us)
                .max(self.target_us(headroom_pct)),
        )
    }
}

/// The starter budgets.toml.
pub fn render(starter: &Starter<'_>) -> String {
    let mut out = header(starter);
    out.push_str(DEFAULTS);
    let names = budget_names(starter.budgets);
    for (b, name) in starter.budgets.iter().zip(&names) {
        out.push('\n');
        out.push_str(&budget(b, name, starter.headroom_pct));
    }
    out.push('\n');
    out.push_str(DETECTORS);
    out
}

fn header(starter: &Starter<'_>) -> String {
    let h = starter.headroom_pct;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# budgets.toml for perfgate, written by `perfgate init` from {} trace(s):",
        starter.traces.len()
    );
    for t in starter.traces {
        let _ = writeln!(out, "#   {t}");
    }
    let _ = write!(
        out,
        "#
# Each [[budget]] below is one of the {n} heaviest operations of this project's own code in
# those traces (by total time; libraries and the interpreter's C functions left out). Its
# bands come from what the traces showed, with {h}% headroom:
#   target = observed p95 + {h}%
#   flag   = observed p95 + {h2}%, and at least the slowest call observed
# each rounded up to two significant digits. These are today's figures, not goals: edit them.
#
# `perfgate check TRACE...` reads this file. A budget's value falls in a band: value <= target
# is on target, target < value <= flag is acceptable (a warning, exit 0 unless --fail-on
# warn), value > flag is flagged (the gate fails, exit 1). The schema is in docs/budgets.md.

",
        n = starter.budgets.len(),
        h = fmt_pct(h),
        h2 = fmt_pct(2.0 * h),
    );
    out
}

const DEFAULTS: &str = "\
# Settings every budget shares unless it says otherwise.
[defaults]
# The statistic of the matched calls' durations compared with target and flag: p50, p90,
# p95, p99, max, mean, total, self (sum of self time), count, count_per_parent.
# p95: \"almost every call\", without one outlier deciding the gate.
metric = \"p95\"
# false: a budget that matches no call in the traces is a warning; true fails the gate.
require_match = false
";

fn budget(b: &Observed, name: &str, headroom_pct: f64) -> String {
    let target = duration(b.target_us(headroom_pct));
    let flag = duration(b.flag_us(headroom_pct));
    let mut out = String::new();
    let _ = writeln!(out, "[[budget]]");
    let _ = writeln!(
        out,
        "# Observed: p95 {} over {} call(s), slowest {}, {} in all.",
        human_us(b.p95_us),
        b.calls,
        human_us(b.max_us),
        human_us(b.total_us)
    );
    let _ = writeln!(out, "# The row's name in every report.");
    let _ = writeln!(out, "name = {}", quoted(name));
    let _ = writeln!(
        out,
        "# Which operations: a glob on the function name (or \"regex:...\")."
    );
    let _ = writeln!(out, "operation = {}", quoted(&pattern(&b.function)));
    if let Some(file) = &b.file {
        let _ = writeln!(
            out,
            "# Only the function of that name defined in this file (base name or path glob)."
        );
        let _ = writeln!(out, "file = {}", quoted(&pattern(short_file(file))));
    }
    let _ = writeln!(out, "# On target up to here (observed p95 + headroom).");
    let _ = writeln!(out, "target = {}", quoted(&target));
    let _ = writeln!(
        out,
        "# The middle band, a warning; its ends must equal target and flag."
    );
    let _ = writeln!(out, "acceptable = {}", quoted(&format!("{target}..{flag}")));
    let _ = writeln!(
        out,
        "# Above this the budget is flagged and the gate fails."
    );
    let _ = writeln!(out, "flag = {}", quoted(&flag));
    out
}

/// Budget names: the function name, or `function (file)` when two budgets share a function
/// name, numbered when even that repeats.
fn budget_names(budgets: &[Observed]) -> Vec<String> {
    let plain: Vec<String> = budgets.iter().map(|b| b.function.clone()).collect();
    let mut names: Vec<String> = budgets
        .iter()
        .map(|b| {
            let shared = plain.iter().filter(|n| **n == b.function).count() > 1;
            match (&b.file, shared) {
                (Some(f), true) => format!("{} ({})", b.function, short_file(f)),
                _ => b.function.clone(),
            }
        })
        .collect();
    for i in 0..names.len() {
        let before = names[..i].iter().filter(|n| **n == names[i]).count();
        if before > 0 {
            names[i] = format!("{} #{}", names[i], before + 1);
        }
    }
    names
}

/// A pattern that matches exactly `name`: the name itself, or an anchored regular expression
/// when it holds glob characters.
fn pattern(name: &str) -> String {
    if name.contains(['*', '?', '[', ']', '{', '}', '\\']) || name.starts_with("regex:") {
        format!("regex:^{}$", regex::escape(name))
    } else {
        name.to_string()
    }
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `v` rounded up to two significant digits (at least 1 µs).
fn round_up(v: f64) -> f64 {
    if !v.is_finite() || v <= 1.0 {
        return 1.0;
    }
    let step = 10f64.powf(v.log10().floor() - 1.0);
    // A hair below the step first: 56.000000001 is 56, not 57.
    (v / step - 1e-9).ceil() * step
}

/// A duration in the unit that reads best, as budgets.toml takes it: `"250us"`, `"5.6ms"`,
/// `"1.3s"`. Exact for values [`round_up`] made (two significant digits).
fn duration(us: f64) -> String {
    let (value, unit) = if us >= 1_000_000.0 {
        (us / 1_000_000.0, "s")
    } else if us >= 1_000.0 {
        (us / 1_000.0, "ms")
    } else {
        (us, "us")
    };
    let decimals = (1 - value.log10().floor() as i32).max(0) as usize;
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{unit}")
}

fn fmt_pct(p: f64) -> String {
    let text = format!("{p:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Every detector's table with its defaults written out (a test checks they are the defaults).
const DETECTORS: &str = r#"# The red-flag detectors. Each has `enabled` and `severity` ("warn": a warning; "fail": the
# gate fails). The values below are the defaults, written out so you can see and tune them.
# The call-structure detectors judge by structure, whatever the durations: in CI a mocked LLM
# answers in milliseconds and an in-memory database in microseconds, yet the calls are there.
# min_total and min_duration are optional floors (0 = none); docs/budgets.md explains them.

[detectors.n_plus_one]
# The same data-access operation called min_count or more times in a row under one parent
# call (an N+1 query loop).
enabled = true
severity = "fail"
min_count = 5
min_total = "0ms"
# Which child operations are watched: names of data access.
operations = [
  "*query*", "*execute*", "*fetch*", "get_*", "*.get_*", "load_*", "*.load_*", "*sql*",
  "*cursor*", "requests.*", "http.client.*", "urllib.request.*",
]
# Batch calls are the cure of an N+1, never one.
ignore = ["*executemany*", "*executescript*", "*bulk*"]

[detectors.repeated_call]
# An expensive operation (an LLM) called min_count or more times under one parent call.
enabled = true
severity = "fail"
min_count = 2
# Calls shorter than this are not counted (0ms: every call counts).
min_duration = "0ms"
operations = ["*claude*", "*llm*", "*openai*", "*anthropic*"]

[detectors.consecutive_queries]
# min_count or more single queries of different operations one after another under one
# parent call, where one join would do.
enabled = true
severity = "warn"
min_count = 3
min_total = "0ms"
# What a query is.
operations = ["*execute*", "*query*"]
ignore = []

[detectors.structure_change]
# perfgate compare only: a watched operation now called more often per call of its parent
# than before (an N+1 introduced, an LLM called twice).
enabled = true
severity = "fail"

[detectors.slow_call]
# A single call above its budget's flag, shown with its call path (the budget's own band
# decides whether the gate fails).
enabled = true
severity = "warn"

[detectors.blocking_io]
# A blocking call of min_duration or more inside an asyncio task (viztracer --log_async).
enabled = true
severity = "fail"
min_duration = "10ms"
operations = [
  "time.sleep", "io.open", "builtins.open", "_io.*.read*", "_io.*.write*", "os.read",
  "os.write", "requests.*", "urllib.request.*", "http.client.*", "socket.*recv*",
  "socket.*send*", "socket.*connect*", "subprocess.*",
]
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::detect::Detectors;

    fn observed(function: &str, file: &str, p95_us: f64, max_us: f64) -> Observed {
        Observed {
            function: function.into(),
            file: Some(file.into()),
            p95_us,
            max_us,
            calls: 12,
            total_us: p95_us * 12.0,
        }
    }

    #[test]
    fn the_detector_tables_are_the_defaults() {
        let config = parse(DETECTORS, "starter.toml").unwrap();
        assert_eq!(
            format!("{:?}", config.detectors),
            format!("{:?}", Detectors::default())
        );
    }

    #[test]
    fn thresholds_are_rounded_up_to_two_digits_in_a_readable_unit() {
        assert_eq!(duration(round_up(448_123.0)), "450ms");
        assert_eq!(duration(round_up(1_234_567.0)), "1.3s");
        assert_eq!(duration(round_up(5_601.0)), "5.7ms");
        assert_eq!(duration(round_up(5_600.0)), "5.6ms");
        assert_eq!(duration(round_up(249.2)), "250us");
        assert_eq!(duration(round_up(0.2)), "1us");
        assert_eq!(duration(round_up(99_950.0)), "100ms");
        for us in [1.5, 37.0, 999.9, 1_000.0, 12_345.0, 987_654.0, 3.2e7] {
            let text = duration(round_up(us));
            let back = crate::units::parse_duration(&text).unwrap();
            assert!(back >= us, "{us} -> {text}");
        }
    }

    #[test]
    fn bands_have_the_stated_headroom_and_the_flag_covers_the_slowest_call() {
        let b = observed("call_claude", "svc/diagnostic.py", 400_000.0, 450_000.0);
        assert_eq!(b.target_us(25.0), 500_000.0);
        assert_eq!(b.flag_us(25.0), 600_000.0);
        let outlier = observed("main", "diagnostic.py", 400_000.0, 900_000.0);
        assert_eq!(outlier.flag_us(25.0), 900_000.0);
    }

    #[test]
    fn the_file_parses_into_the_budgets_it_describes() {
        let budgets = [
            observed(
                "post_answer",
                "tests/svc/diagnostic.py",
                600_000.0,
                610_000.0,
            ),
            observed("get_*", "a.py", 1_000.0, 1_000.0),
            observed("run", "a.py", 10_000.0, 10_000.0),
            observed("run", "b.py", 20_000.0, 20_000.0),
        ];
        let traces = ["t.json".to_string()];
        let text = render(&Starter {
            traces: &traces,
            headroom_pct: 25.0,
            budgets: &budgets,
        });
        let config = parse(&text, "budgets.toml").unwrap();
        let names: Vec<&str> = config.budgets.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["post_answer", "get_*", "run (a.py)", "run (b.py)"]);
        let first = &config.budgets[0];
        assert_eq!((first.target, first.flag), (750_000.0, 900_000.0));
        assert_eq!(first.file.as_ref().unwrap().text, "diagnostic.py");
        // A glob character in a name is matched literally.
        assert_eq!(config.budgets[1].operation.text, r"regex:^get_\*$");
        assert!(config.budgets[1].operation.is_match("get_*"));
        assert!(!config.budgets[1].operation.is_match("get_x"));
        assert!(text.contains("with 25% headroom"), "{text}");
        // Every non-blank line outside the header is a comment or explained by one above it.
        assert!(text.contains("# Above this the budget is flagged"));
    }

    #[test]
    fn repeated_names_are_numbered() {
        let b = observed("f", "x/a.py", 1.0, 1.0);
        let c = observed("f", "y/a.py", 1.0, 1.0);
        assert_eq!(budget_names(&[b, c]), ["f (a.py)", "f (a.py) #2"]);
    }
}
