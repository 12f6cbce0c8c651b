//! The report model: the one value every command produces and every renderer formats.
//!
//! It holds plain, precomputed data (no trace, no config, no clap types), so renderers only
//! lay it out. Times are microseconds (`_us` fields); counts are plain numbers.
//! The JSON renderer serializes this model as it is: field names here are the JSON schema
//! (`schema_version` [`SCHEMA_VERSION`]), so renaming one is a breaking change.

use serde::Serialize;

use crate::ops::OpStats;

/// Version of the JSON schema written by `--format json`.
pub const SCHEMA_VERSION: u32 = 1;

/// The gate's decision. Ordered: `Pass < Warn < Fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// How bad one result is. Ordered: `Warn < Fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warn,
    Fail,
}

/// Which command made the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CommandKind {
    Summary,
    Check,
    Compare,
}

/// One trace (or baseline) that went into the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputInfo {
    /// File name as given (or `<stdin>`, or `REV:PATH` for a git baseline).
    pub source: String,
    /// Which side of a comparison it belongs to (`before`/`after`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
    pub spans: u64,
    /// What was odd about the input (truncated, unmatched events, ...), one sentence each.
    pub warnings: Vec<String>,
}

/// The band a budgeted value falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetStatus {
    /// value ≤ target.
    OnTarget,
    /// target < value ≤ flag: a warning.
    Acceptable,
    /// value > flag: the gate fails.
    Flagged,
    /// The budget matched no operation in the traces.
    NoMatch,
}

/// What a budget's value counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Microseconds.
    Us,
    /// A number of calls.
    Count,
}

/// The evaluation of one budget (a row of the team's performance table).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetResult {
    /// The budget's name (the table's "Operation" column).
    pub name: String,
    /// The metric evaluated: `p95`, `max`, `count`, `count_per_parent`, ...
    pub metric: String,
    pub unit: Unit,
    /// The measured value; `None` when nothing matched.
    pub value: Option<f64>,
    pub target: f64,
    pub flag: f64,
    pub status: BudgetStatus,
    /// Severity this result adds to the verdict (`None` when on target).
    pub severity: Option<Severity>,
    /// Operation keys the budget matched.
    pub operations: Vec<String>,
    /// The budget's `operation` pattern as written in budgets.toml: what a budget that matched
    /// nothing was looking for.
    pub pattern: String,
    /// Calls that went into the value.
    pub samples: u64,
    /// Source location of the (first) matched operation, for annotations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The `within` scope pattern, when the budget has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
}

/// Which red flag a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The same operation called many times in a row under one parent call.
    NPlusOne,
    /// An expensive operation called more than once under one parent call.
    RepeatedCall,
    /// One call above its budget's flag threshold.
    SlowCall,
    /// A blocking call inside a coroutine.
    BlockingIo,
}

/// One red flag found in a trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// The offending operation (the repeated child, the slow call, the blocking call).
    pub operation: String,
    /// The parent call it happened under, when that matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// N+1 and repeated calls: the most calls under one parent call. Slow calls and
    /// blocking I/O: the number of offending calls.
    pub count: u64,
    /// How many times the pattern occurred (parent calls with the N+1 loop or the repeated
    /// call; offending calls for slow calls and blocking I/O).
    pub occurrences: u64,
    /// Time spent in the offending calls of every occurrence.
    pub total_us: f64,
    /// Operation keys from the root to the offending call (of the example occurrence: the
    /// longest run, the slowest call).
    pub call_path: Vec<String>,
    /// One human sentence.
    pub message: String,
    /// The trace it was found in.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// How an operation changed between the two sides of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    Regressed,
    Improved,
    Unchanged,
    Added,
    Removed,
    NotEnoughSamples,
}

/// The figures of one operation on one side of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideFigures {
    pub count: u64,
    /// Calls per run (count / runs).
    pub calls_per_run: f64,
    /// The compared metric, µs.
    pub value_us: f64,
}

/// A child operation's share of a parent's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    pub operation: String,
    /// Change of the child's inclusive time per parent call, µs.
    pub delta_us: f64,
    /// Calls of the child per parent call, before and after.
    pub calls_per_parent_before: f64,
    pub calls_per_parent_after: f64,
    /// Change of the child's inclusive time per child call, µs (null when the child was not
    /// called on one side).
    pub delta_per_call_us: f64,
    /// Change of the child's self time per parent call, µs.
    pub self_delta_us: f64,
}

/// One operation of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpChange {
    pub name: String,
    pub status: ChangeStatus,
    /// Severity this change adds to the verdict.
    pub severity: Option<Severity>,
    pub before: Option<SideFigures>,
    pub after: Option<SideFigures>,
    pub delta_us: Option<f64>,
    pub delta_pct: Option<f64>,
    /// Two-sided Mann–Whitney U p-value, when there were enough samples.
    pub p_value: Option<f64>,
    /// How `p_value` was computed: `exact` or `asymptotic`.
    pub test: Option<String>,
    /// Mann–Whitney p-value of the per-run values of the metric, with 3 or more runs per side.
    pub p_value_runs: Option<f64>,
    /// Relative change of the calls per run, %.
    pub calls_delta_pct: Option<f64>,
    /// Hodges–Lehmann shift estimate and its confidence interval, µs.
    pub shift_us: Option<f64>,
    pub shift_ci_us: Option<(f64, f64)>,
    /// The call count changed (per run), which is a regression of its own.
    pub count_regressed: bool,
    /// A sentence on why the status was chosen (thresholds, significance, samples).
    pub reason: String,
    /// Children that explain a regression, largest first.
    pub attribution: Vec<Contribution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// The settings a comparison ran with, and its results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// `p95`, `p50`, `mean`, `max`, `total`, `self`.
    pub metric: String,
    pub threshold_pct: f64,
    pub noise_floor_us: f64,
    pub alpha: f64,
    pub before_runs: u32,
    pub after_runs: u32,
    /// Regressions first, then warnings, improvements, added, removed, and the rest.
    pub operations: Vec<OpChange>,
}

/// Everything one command run found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub command: CommandKind,
    /// `None` for `summary`, which gates nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    pub inputs: Vec<InputInfo>,
    /// Per-operation statistics (summary; the after side of a comparison).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<OpStats>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<BudgetResult>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// The paired statistics of a comparison whose runs are pairs (`perfgate record`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paired: Option<crate::compare::paired::PairedReport>,
}

impl Report {
    pub fn new(command: CommandKind) -> Self {
        Report {
            schema_version: SCHEMA_VERSION,
            command,
            verdict: None,
            inputs: Vec::new(),
            operations: Vec::new(),
            budgets: Vec::new(),
            findings: Vec::new(),
            comparison: None,
            paired: None,
        }
    }

    /// The severity of every result in the report: budgets, red flags, comparison.
    pub fn severities(&self) -> impl Iterator<Item = Severity> + '_ {
        self.budgets
            .iter()
            .filter_map(|b| b.severity)
            .chain(self.findings.iter().map(|f| f.severity))
            .chain(
                self.comparison
                    .iter()
                    .flat_map(|c| c.operations.iter().filter_map(|o| o.severity)),
            )
    }

    /// How many results have severity `s`.
    pub fn count_severity(&self, s: Severity) -> usize {
        self.severities().filter(|&x| x == s).count()
    }

    /// The verdict implied by every severity in the report.
    pub fn computed_verdict(&self) -> Verdict {
        match self.severities().max() {
            None => Verdict::Pass,
            Some(Severity::Warn) => Verdict::Warn,
            Some(Severity::Fail) => Verdict::Fail,
        }
    }
}
