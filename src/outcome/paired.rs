//! The figures of a paired comparison (`perfgate record`): runs of base and head made side by
//! side, judged pair by pair. Computed by `compare::paired`, worded by the renderers.

use serde::Serialize;

/// The paired estimate for one operation: head relative to base.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PairedEstimate {
    /// Pairs used: those where both values are positive and finite.
    pub pairs: usize,
    /// The geometric mean of the per-pair ratios head / base (`exp` of the mean log ratio);
    /// 1.5 means head is 50 % slower.
    pub ratio: f64,
    /// Confidence interval of `ratio` at level `1 − α` (Student's t with `pairs − 1` degrees
    /// of freedom, on the log scale).
    pub ratio_ci: (f64, f64),
    /// Two-sided p-value of the one-sample t test of the mean log ratio against 0. When every
    /// pair has the same ratio (no spread): 1 if that ratio is 1, else 0.
    pub p_value: f64,
    /// The t statistic (infinite when the pairs have no spread and the ratio is not 1).
    #[serde(skip)]
    pub t: f64,
    /// How much this operation's base timing moved across the session: largest over smallest
    /// base value, minus 1, in percent (0 when it never moved).
    pub drift_pct: f64,
}

/// How much the timing of unchanged code moved across a session.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SessionDrift {
    /// Per pair, the level of the session: the median over operations of the operation's
    /// base value in that pair divided by the geometric mean of its base values (1.0 = the
    /// session's typical speed; 1.2 = everything 20 % slower in that pair).
    pub per_pair: Vec<f64>,
    /// Highest over lowest per-pair level, minus 1, in percent.
    pub range_pct: f64,
    /// Operations the levels were taken from.
    pub operations: usize,
}

/// One operation in a [`PairedReport`].
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PairedOp {
    /// Operation key.
    pub name: String,
    /// Geometric mean of the base values of the pairs used, µs.
    pub base_us: f64,
    /// Geometric mean of the head values of the pairs used, µs.
    pub head_us: f64,
    #[serde(flatten)]
    pub estimate: PairedEstimate,
}

/// What the report says about a paired comparison (`report.paired` in the JSON).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PairedReport {
    /// Pairs of runs (runs per side).
    pub pairs: u32,
    /// The order the runs were made in, `A` the base (before) side: `ABBA` repeated.
    pub order: String,
    /// The metric compared per run (the comparison's).
    pub metric: String,
    /// `1 − alpha` is the level of the intervals; `alpha` that of the tests.
    pub alpha: f64,
    pub threshold_pct: f64,
    pub noise_floor_us: f64,
    /// How much the base side's timing moved across the session.
    pub drift: Option<SessionDrift>,
    /// Every operation on both sides with 2 or more usable pairs, largest ratio first, each
    /// with its confidence interval. The verdict is the comparison's (evidence `pairs`, where
    /// α is shared by the operations tested); these are the figures behind it.
    pub operations: Vec<PairedOp>,
}
