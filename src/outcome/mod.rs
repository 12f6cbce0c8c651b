//! The outcome of a run: the report model that the analysis stages (budgets, detectors,
//! comparison) write and every renderer reads, and the units people read its figures in
//! ([`units`]).
//!
//! This module is a leaf of the pipeline: it imports nothing from the analysis stages' logic
//! or the renderers. It holds plain, precomputed data (enums and numbers, no sentences; no
//! trace, no config, no clap types), so renderers only lay it out. Times are microseconds (`_us` fields); counts are plain numbers.
//! The JSON renderer serializes this model as it is: field names here are the JSON schema
//! (`schema_version` [`SCHEMA_VERSION`]), so renaming one is a breaking change.

use serde::Serialize;

pub use crate::ops::memory::{CounterSummary, GcSummary};
use crate::ops::{OpStats, Origin};

pub mod memory_change;
pub mod paired;
pub mod pictures;
pub mod units;

/// Version of the JSON schema written by `--format json`.
pub const SCHEMA_VERSION: u32 = 3;

/// The gate's decision. Ordered: `Pass < Warn < Fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warn,
    Fail,
}

/// Which command made the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CommandKind {
    Summary,
    Check,
    Compare,
}

/// One trace (or baseline) that went into the report.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct InputInfo {
    /// File name as given (or `<stdin>`, or `REV:PATH` for a git baseline).
    pub source: String,
    /// Which side of a comparison it belongs to (`before`/`after`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
    pub spans: u64,
    /// What was odd about the input (truncated, unmatched events, ...), one sentence each.
    pub warnings: Vec<String>,
    /// Calls are missing: the file was cut short, or the tracer's buffer overflowed. Nothing
    /// judged on it is trustworthy (counts fall, the slow tail may be gone).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
    /// What an incomplete input adds to the verdict: fail, or warn with `--allow-incomplete`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

/// The band a budgeted value falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetStatus {
    /// value ≤ target.
    OnTarget,
    /// target < value ≤ flag: a warning.
    Acceptable,
    /// value > flag: the gate fails.
    Flagged,
    /// A `count` budget's calls are fewer than its `at_least` (a function that must be called
    /// was not): fails, or warns with `at_least_severity = "warn"`.
    TooFew,
    /// The budget matched no operation in the traces.
    NoMatch,
}

/// What a budget's value counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Microseconds.
    Us,
    /// A number of calls.
    Count,
}

/// The evaluation of one budget (a row of the team's performance table).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BudgetResult {
    /// The budget's name (the table's "Operation" column).
    pub name: String,
    /// The metric evaluated: `p95`, `max`, `count`, `count_per_parent`, ...
    pub metric: String,
    pub unit: Unit,
    /// The measured value; `None` when nothing matched.
    pub value: Option<f64>,
    /// The upper thresholds; absent for a `count` budget with only a lower bound
    /// (`at_least`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<f64>,
    /// A `count` budget's fewest calls (`at_least`): fewer is `too_few`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u64>,
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
    /// Whose code that (first) matched operation is: `own`, `library` or `unknown` (nothing
    /// matched). Only own code is linked to its line in GitHub mode.
    pub origin: Origin,
    /// The `within` scope pattern, when the budget has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// A counter budget: the counter series it measured (`value` is the counter's, in its
    /// own unit), instead of calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter: Option<String>,
    /// When no operation matched the pattern: the closest operation names in the traces
    /// (a typo such as `call_cluade`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub did_you_mean: Vec<String>,
}

/// Which red flag a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
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
    /// Several single queries of different operations (or statements) one after another
    /// under one parent call, where one join would do.
    ConsecutiveQueries,
    /// The same query text (not only the same template) run many times under one parent call.
    RedundantCall,
    /// compare: a watched data-access operation now called `min_count` or more times per call
    /// of its parent, more than twice as often as before (an N+1 introduced or grown).
    NPlusOneIntroduced,
    /// compare: an expensive (LLM) operation called more often per call of its parent than
    /// before, at least twice.
    RepeatedCallIntroduced,
    /// Garbage collections took more than a share of an operation's time (viztracer
    /// `--log_gc`).
    GcPressure,
}

/// A change of calls per parent call between the two sides of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CallsPerParent {
    /// Calls of the operation per call of its parent, before (mean over the parent's calls).
    pub before: f64,
    /// The same, after.
    pub after: f64,
}

/// One red flag found in a trace.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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
    /// The longest single offending call.
    pub slowest_us: f64,
    /// How many of the input traces it was found in.
    pub traces: u64,
    /// The duration the offending calls were judged against: the budget's flag (slow call),
    /// `min_duration` (repeated call, blocking I/O).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold_us: Option<f64>,
    /// Slow calls: the budget whose flag they are above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
    /// Operation keys from the root to the offending call (of the example occurrence: the
    /// longest run, the slowest call).
    pub call_path: Vec<String>,
    /// The trace it was found in.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Whose code `file` is: `own`, `library` or `unknown`. Only own code is linked to its
    /// line in GitHub mode.
    pub origin: Origin,
    /// Structure changes found by compare: calls per parent call on both sides. `file` and
    /// `line` (and `origin`) are then the parent's, where the calls are made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_parent: Option<CallsPerParent>,
    /// GC pressure: the share (0..1) of the operation's time spent in the collections that
    /// interrupted it (`total_us` of `count` collections), and the largest share allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_share: Option<f64>,
}

/// How an operation changed between the two sides of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SideFigures {
    pub count: u64,
    /// Calls per run (count / runs).
    pub calls_per_run: f64,
    /// The compared metric, µs.
    pub value_us: f64,
}

/// The figure a regression's change is split in. Inclusive time is own time plus the
/// children's inclusive time, call by call, so a sum (per run) or a mean (per call) splits
/// exactly; a percentile or a maximum does not (its calls are not the same calls on both
/// sides), so a row judged on one is explained in the mean per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttributionBasis {
    /// Inclusive time per run: the row's own figure when the metric is `total`.
    TotalPerRun,
    /// Mean inclusive time per call: the row's own figure when the metric is `mean`.
    MeanPerCall,
}

impl AttributionBasis {
    /// The basis that explains a row judged on `metric`; `None` for `self`, which has no
    /// children's share (the row is all own code).
    pub fn of(metric: Metric) -> Option<AttributionBasis> {
        match metric {
            Metric::Total => Some(AttributionBasis::TotalPerRun),
            Metric::SelfTime => None,
            Metric::Mean | Metric::P95 | Metric::P50 | Metric::Max => {
                Some(AttributionBasis::MeanPerCall)
            }
        }
    }

    /// Whether the basis is the figure of rows judged on `metric` (the split then adds up to
    /// the row's change; with runs as the samples the row is their geometric mean, the split
    /// their arithmetic mean, and the two differ slightly).
    pub fn is_the_row_metric(self, metric: Metric) -> bool {
        matches!(
            (self, metric),
            (AttributionBasis::TotalPerRun, Metric::Total)
                | (AttributionBasis::MeanPerCall, Metric::Mean)
        )
    }
}

/// Where a regressed operation's change went, in one figure (`basis`): `change_us` is
/// `children` + `other_children_us` + `own_code_us`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Attribution {
    pub basis: AttributionBasis,
    /// The operation's change of inclusive time in the basis, µs.
    pub change_us: f64,
    /// The children that explain most of it, largest first.
    pub children: Vec<Contribution>,
    /// The change of the children not listed (small, or faster), µs.
    pub other_children_us: f64,
    /// The change of the operation's own time (self time), µs.
    pub own_code_us: f64,
}

/// A child operation's share of a parent's change.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Contribution {
    pub operation: String,
    /// Change of the child's inclusive time under the parent, in the attribution's basis
    /// (per run, or per parent call), µs.
    pub delta_us: f64,
    /// Calls of the child per parent call, before and after.
    pub calls_per_parent_before: f64,
    pub calls_per_parent_after: f64,
    /// Change of the child's inclusive time per child call, µs (null when the child was not
    /// called on one side).
    pub delta_per_call_us: f64,
    /// Change of the child's self time under the parent, in the attribution's basis, µs.
    pub self_delta_us: f64,
}

/// One operation of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OpChange {
    pub name: String,
    pub status: ChangeStatus,
    /// Severity this change adds to the verdict.
    pub severity: Option<Severity>,
    pub before: Option<SideFigures>,
    pub after: Option<SideFigures>,
    pub delta_us: Option<f64>,
    pub delta_pct: Option<f64>,
    /// The change (%) once the after side's durations are divided by the CPU its runs lacked
    /// against the before side's (`comparison.measured_environment`): what was judged. Absent
    /// when no environment was measured or the after side got as much CPU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjusted_pct: Option<f64>,
    /// One-sided p-value of the test that decided (`test`), in the direction of the change.
    pub p_value: Option<f64>,
    /// The test: `paired-t`, `paired-welch` (on the metric), `paired-t-mean`,
    /// `paired-welch-mean`, `paired-t-min`, `paired-welch-min` (on a steadier figure of each
    /// run, for p95/max), `welch-runs`, `welch-runs-min` (unpaired runs, on each run's
    /// fastest call, for p95/max), `fisher-tail` or `mann-whitney`.
    pub test: Option<String>,
    /// The level `p_value` was held to: the comparison's α shared by the operations tested
    /// (Holm's step-down), when a test ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// What the time was judged on.
    pub evidence: Evidence,
    /// The tail test's counts, when it decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tail: Option<TailCounts>,
    /// Relative change of the calls per run, %.
    pub calls_delta_pct: Option<f64>,
    /// Hodges–Lehmann shift estimate and its confidence interval, µs.
    pub shift_us: Option<f64>,
    pub shift_ci_us: Option<(f64, f64)>,
    /// With one run per side (`calls` evidence): the mean call's after / before. The
    /// single-run bar holds the smaller of it and the metric's ratio, so a p95 moved by a few
    /// preempted calls of one run does not fail while the typical call stayed put.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_ratio: Option<f64>,
    /// With one run per side (`calls` evidence): the fastest call's after / before. A
    /// slowdown fails the single-run bar only when the fastest call moved too (docs/compare.md,
    /// rule 4). With 3+ runs under a measured environment (rule 7): the runs' fastest calls'
    /// after / before as traced (geometric means).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_ratio: Option<f64>,
    /// The call count changed (per run), which is a regression of its own.
    pub count_regressed: bool,
    /// Why the status was chosen: the rules that decided it, with their figures.
    pub reason: ChangeReason,
    /// Where a regression's change went: children and own code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
    /// Whose code it is: `own`, `library` or `unknown`.
    pub origin: Origin,
    /// Change of the mean self time per call (the operation's own code), µs.
    pub self_delta_us: Option<f64>,
    /// The metric grew significantly, but in what the operation calls, none of which
    /// regressed on its own: a slowdown spread thin (a busier machine), warned, not failed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub diffuse: bool,
    /// A regression that follows from another one: the cause (or regressed child) it is
    /// folded under in the reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explained_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// Why a comparison row got its status. Renderers turn it into words.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeReason {
    /// Only the after side has the operation.
    Added {
        calls_per_run: f64,
        cost_per_run_us: f64,
        /// The cost per run is above the noise floor (and so warned about).
        above_noise_floor: bool,
    },
    /// Only the before side has the operation.
    Removed {
        calls_per_run: f64,
        cost_per_run_us: f64,
    },
    /// Both sides have it: what the time figures and the call counts said.
    Compared {
        time: TimeJudgement,
        /// What the time was judged on.
        evidence: Evidence,
        /// The calls per run moved beyond the threshold.
        #[serde(skip_serializing_if = "Option::is_none")]
        count: Option<CountReason>,
    },
}

/// What an operation's time was judged on (docs/compare.md, "Evidence").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// Three or more pairs of runs made side by side (`perfgate record`, `compare --paired`):
    /// each pair's log ratio head / base is one sample (paired t test), so drift of the
    /// machine between pairs cancels.
    Pairs,
    /// Three or more runs per side: each run's figure is one sample (Welch's t test on logs).
    Runs,
    /// Fewer runs but enough calls per run: the calls are the samples (a tail test for p95 and
    /// max, Mann–Whitney for the rest).
    Calls,
    /// Too few runs and too few calls (a one-shot operation such as `<module>`): reported,
    /// never judged.
    NotEnoughData,
}

/// The tail test's counts: calls above the pooled quantile on each side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TailCounts {
    /// The pooled quantile's level (0.95 for p95, lowered so at least 10 calls lie above it).
    pub level: f64,
    /// The pooled quantile, µs.
    pub threshold_us: f64,
    pub before_above: u64,
    pub before_calls: u64,
    pub after_above: u64,
    pub after_calls: u64,
}

/// What the time figures of an operation say, before the call count is considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeJudgement {
    /// Within the threshold or the noise floor.
    Within,
    /// Beyond both, but too little evidence to judge (see [`Evidence::NotEnoughData`]).
    NotEnoughData,
    /// Beyond both, but the test does not back it at the comparison's α per test.
    NotSignificant,
    /// Significant and beyond both, but with one run per side and below the single-run bar
    /// (1.5×): one run varies this much on a busy machine. A warning: compare more runs.
    BelowSingleRunBar,
    /// Significant and beyond both, but with one run per side and the mean call moved less
    /// than the single-run noise band (1.3×): what two runs of the same code differ by on an
    /// idle machine. Reported, not warned about: compare more runs.
    WithinSingleRunNoise,
    /// Significant and beyond both relative to the CPU the after side got (a measured
    /// environment, docs/compare.md rule 7), judged on runs, but the runs' fastest calls, as
    /// traced, did not move beyond the threshold: contention stretches a run's slow calls and
    /// leaves its fastest alone, slower code slows every call. A warning.
    FastestCallUnmovedUnderContention,
    /// Beyond both and significant.
    Significant,
}

/// A change of the calls per run beyond the relative threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CountReason {
    pub before_per_run: f64,
    pub after_per_run: f64,
    /// What the calls gained (or lost) cost per run, µs (signed).
    pub cost_per_run_us: f64,
    /// The cost is within the noise floor: reported, not judged.
    pub below_noise_floor: bool,
    /// Every after run has more (or, for fewer calls, less) calls than every before run:
    /// exact in a deterministic program.
    pub consistent: bool,
}

/// The figure of an operation a comparison judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// 95th percentile of the call durations (numpy linear interpolation).
    #[default]
    P95,
    /// Median call duration.
    P50,
    /// Mean call duration.
    Mean,
    /// Longest call.
    Max,
    /// Inclusive time per run (all calls summed, divided by the runs of the side).
    Total,
    /// Self time per run.
    #[serde(rename = "self")]
    SelfTime,
}

impl Metric {
    /// Every metric, in the order help texts list them.
    pub const ALL: [Metric; 6] = [
        Metric::P95,
        Metric::P50,
        Metric::Mean,
        Metric::Max,
        Metric::Total,
        Metric::SelfTime,
    ];

    /// The name used on the command line, in budgets.toml and in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::P95 => "p95",
            Metric::P50 => "p50",
            Metric::Mean => "mean",
            Metric::Max => "max",
            Metric::Total => "total",
            Metric::SelfTime => "self",
        }
    }

    /// The metric of that name (`p95`, `p50`, `mean`, `max`, `total`, `self`).
    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// Whether the metric sums calls (and so already moves with the call count).
    pub fn is_per_run(self) -> bool {
        matches!(self, Metric::Total | Metric::SelfTime)
    }
}

/// How much of what the before side measured the after side measured too.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Coverage {
    /// Operations judged on (the project's own code when the traces have any, else all).
    pub before_operations: u64,
    /// Of those, the ones the after side has.
    pub after_measured: u64,
    pub share: f64,
    /// Below this share the tracer is taken as misconfigured and the gate fails.
    pub min_share: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

/// The environment drift estimated from the traces: the median over operations (with 5+ calls
/// per run and 1 µs+ of self time per call on both sides) of after/before self time per call.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Environment {
    pub ratio: f64,
    pub operations: usize,
    /// The ratio is 2× or more either way: the report says the whole run was slower.
    pub notable: bool,
}

/// The environment of both sides as the kernel's scheduler measured it (the
/// `TRACE.schedstat` records `perfgate record` writes beside each trace): the share of the
/// CPU time each side's runs asked for that they got.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MeasuredEnvironment {
    /// Geometric mean over the before side's runs.
    pub before_run_share: f64,
    /// Geometric mean over the after side's runs.
    pub after_run_share: f64,
    /// The after side's durations were judged divided by this: before / after run share when
    /// the after runs got at least 5 % less CPU than the before runs, else 1 (never below 1:
    /// a before side that got less is not held against the after side, whose sleep- and
    /// I/O-bound operations would then look slower than they are).
    pub after_scale: f64,
}

/// A root cause of a comparison's regressions (see `compare::causes`).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Cause {
    pub operation: String,
    #[serde(flatten)]
    pub kind: CauseKind,
    /// Time it adds per run, µs (orders the causes).
    pub added_per_run_us: f64,
    /// Regressed operations that follow from it, folded under it.
    pub symptoms: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub origin: Origin,
}

/// What a cause is.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CauseKind {
    /// Its calls got slower.
    Slower {
        /// After / before of the compared metric.
        ratio: f64,
        delta_us: f64,
        /// Share of the growth in the operation's own code (self time), 0..1.
        own_code_share: f64,
    },
    /// It is called more often.
    MoreCalls {
        before_per_run: f64,
        after_per_run: f64,
        /// The caller whose calls of it grew most, with the calls per call of that caller.
        #[serde(skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        before_per_parent: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        after_per_parent: Option<f64>,
    },
}

/// The settings a comparison ran with, and its results.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Comparison {
    pub metric: Metric,
    pub threshold_pct: f64,
    pub noise_floor_us: f64,
    pub alpha: f64,
    /// Fewest calls per run for a test on the calls.
    pub min_samples: usize,
    /// Operations whose change cleared the thresholds and was tested: the α of each test is
    /// `alpha / tested` (Bonferroni).
    pub tested: usize,
    /// How much slower (> 1) or faster the whole run was, from the self time of the other
    /// operations: reported, never used to judge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    /// When every run of both sides has a scheduler record: what it measured, and how the
    /// after side was judged relative to it. Unpaired comparisons only: pairs cancel it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured_environment: Option<MeasuredEnvironment>,
    pub before_runs: u32,
    pub after_runs: u32,
    /// Whether the after side measured what the before side did.
    pub coverage: Coverage,
    /// The root causes of the regressions, largest first; every other regression is folded
    /// under one of them (`OpChange::explained_by`).
    pub causes: Vec<Cause>,
    /// Regressions first, then warnings, improvements, added, removed, and the rest.
    pub operations: Vec<OpChange>,
    /// Garbage collection and counters before and after, when a side recorded them
    /// (informational: never judged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<memory_change::MemoryChange>,
}

/// Everything one command run found.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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
    pub paired: Option<paired::PairedReport>,
    /// Garbage collection and counter series, when the traces recorded them.
    #[serde(skip_serializing_if = "Memory::is_empty")]
    pub memory: Memory,
    /// What the flame graph, the HTML report and `summary --tree` draw (not in the JSON).
    #[serde(skip)]
    pub pictures: pictures::Pictures,
}

/// Memory as the traces recorded it (viztracer `--log_gc`, counter events).
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Memory {
    /// Garbage collections; absent when no trace was made with `--log_gc`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gc: Option<GcSummary>,
    /// Counter series but garbage collection's, in order of first sight.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub counters: Vec<CounterSummary>,
}

impl Memory {
    pub fn is_empty(&self) -> bool {
        self.gc.is_none() && self.counters.is_empty()
    }
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
            memory: Memory::default(),
            pictures: pictures::Pictures::default(),
        }
    }

    /// The severity of every result in the report: budgets, red flags, comparison.
    pub fn severities(&self) -> impl Iterator<Item = Severity> + '_ {
        self.inputs
            .iter()
            .filter_map(|i| i.severity)
            .chain(self.budgets.iter().filter_map(|b| b.severity))
            .chain(self.findings.iter().map(|f| f.severity))
            .chain(self.comparison.iter().filter_map(|c| c.coverage.severity))
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

    /// The inputs that miss calls (truncated, overflowed).
    pub fn incomplete_inputs(&self) -> impl Iterator<Item = &InputInfo> + '_ {
        self.inputs.iter().filter(|i| i.incomplete)
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
