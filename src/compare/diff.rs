//! The status of one operation between two sides: regressed, improved, unchanged, added,
//! removed or not enough samples, with the severity it adds to the verdict and the rules that
//! decided it as a [`ChangeReason`] (docs/compare.md states the rules; renderers word them).
//!
//! The rules, measured with the verdict harness (benches/verdict/RESULTS.md):
//! - **Counts** are facts of a deterministic program: calls per run beyond the threshold whose
//!   cost (extra calls × the median call) clears the noise floor fail when every after run has
//!   more calls than every before run, warn otherwise.
//! - **Evidence**: with 3+ runs per side the runs are the samples (a whole run slowed by
//!   another job is one sample, not hundreds of "slower" calls); with fewer runs but 5+ calls
//!   per run the calls are; otherwise the operation is reported as not enough data and never
//!   judged (one-shot `<module>` code).
//! - **Time**: the effect must clear the relative threshold and the noise floor; then a test
//!   that matches the metric, one-sided in the direction of the change, at `α / m` (m = the
//!   operations tested, Bonferroni): Welch's t on log per-run figures (runs), Fisher's exact
//!   test on the share of calls above the pooled quantile (p95 and max on calls: a tail
//!   regression moves the tail, not the typical call), Mann–Whitney otherwise. With one run
//!   per side a significant slowdown below 1.5× only warns.

use crate::ops::percentile;
use crate::ops::{OpProfile, Profile};
use crate::outcome::{
    ChangeReason, ChangeStatus, CountReason, Evidence, OpChange, Severity, SideFigures, TailCounts,
    TimeJudgement,
};

use super::stats;
use super::{Metric, Settings};

/// Runs per side from which the runs are the samples.
pub const MIN_RUNS: usize = 3;

/// Fewest calls above the pooled quantile of the tail test.
const MIN_TAIL_CALLS: f64 = 10.0;

/// Fewest pooled calls for the tail test; with fewer there is no tail to speak of (the pooled
/// quantile would sink to the median) and Mann–Whitney, which uses every call, is the
/// stronger test.
const MIN_TAIL_SAMPLE: usize = 40;

/// The two sides of a comparison.
#[derive(Debug, Clone, Copy)]
pub struct Sides<'a> {
    pub before: &'a Profile,
    pub after: &'a Profile,
}

/// The change of operation `name` judged alone (α not shared with other tests); `None` when
/// neither side has it.
#[cfg(test)]
pub fn compare_op(name: &str, sides: &Sides, settings: &Settings) -> Option<OpChange> {
    compare_op_among(name, sides, settings, 1)
}

/// The change of operation `name` when `tested` operations share the comparison's α.
#[cfg(test)]
pub fn compare_op_among(
    name: &str,
    sides: &Sides,
    settings: &Settings,
    tested: usize,
) -> Option<OpChange> {
    change_of(
        name,
        assess_op(name, sides, settings).as_ref(),
        sides,
        settings,
        tested,
    )
}

/// The assessment of `name` when both sides have it (the added and removed need none).
pub fn assess_op(name: &str, sides: &Sides, settings: &Settings) -> Option<Assessment> {
    let b = sides.before.operations.get(name)?;
    let a = sides.after.operations.get(name)?;
    Some(assess(b, a, sides, settings))
}

/// The change of operation `name`, from its assessment (see [`assess_op`]), when `tested`
/// operations share the comparison's α; `None` when neither side has it.
pub fn change_of(
    name: &str,
    assessment: Option<&Assessment>,
    sides: &Sides,
    settings: &Settings,
    tested: usize,
) -> Option<OpChange> {
    let before = sides.before.operations.get(name);
    let after = sides.after.operations.get(name);
    Some(match (before, after, assessment) {
        (Some(b), Some(a), Some(x)) => {
            let alpha = settings.alpha / tested.max(1) as f64;
            both_sides(name, x, b, a, sides, settings, alpha)
        }
        (None, Some(a), _) => added(name, a, sides.after.runs, settings),
        (Some(b), None, _) => removed(name, b, sides.before.runs, settings),
        _ => return None,
    })
}

fn figures(op: &OpProfile, runs: u32, metric: Metric) -> SideFigures {
    SideFigures {
        count: op.count,
        calls_per_run: calls_per_run(op, runs),
        value_us: metric.of(op, runs),
    }
}

fn calls_per_run(op: &OpProfile, runs: u32) -> f64 {
    op.count as f64 / f64::from(runs.max(1))
}

fn empty_change(
    name: &str,
    op: &OpProfile,
    status: ChangeStatus,
    reason: ChangeReason,
) -> OpChange {
    OpChange {
        name: name.to_string(),
        status,
        severity: None,
        before: None,
        after: None,
        delta_us: None,
        delta_pct: None,
        p_value: None,
        test: None,
        calls_delta_pct: None,
        shift_us: None,
        shift_ci_us: None,
        count_regressed: false,
        reason,
        attribution: None,
        origin: op.origin,
        evidence: Evidence::NotEnoughData,
        tail: None,
        self_delta_us: None,
        diffuse: false,
        explained_by: None,
        file: op.file.clone(),
        line: op.line,
    }
}

/// A new operation: a warning when it costs more than the noise floor per run.
fn added(name: &str, a: &OpProfile, runs: u32, settings: &Settings) -> OpChange {
    let cost = a.total_us / f64::from(runs.max(1));
    let above = cost > settings.noise_floor_us;
    let reason = ChangeReason::Added {
        calls_per_run: calls_per_run(a, runs),
        cost_per_run_us: cost,
        above_noise_floor: above,
    };
    let mut c = empty_change(name, a, ChangeStatus::Added, reason);
    c.after = Some(figures(a, runs, settings.metric));
    c.severity = above.then_some(Severity::Warn);
    c
}

/// An operation that is gone: information, never a failure.
fn removed(name: &str, b: &OpProfile, runs: u32, settings: &Settings) -> OpChange {
    let reason = ChangeReason::Removed {
        calls_per_run: calls_per_run(b, runs),
        cost_per_run_us: b.total_us / f64::from(runs.max(1)),
    };
    let mut c = empty_change(name, b, ChangeStatus::Removed, reason);
    c.before = Some(figures(b, runs, settings.metric));
    c
}

/// How much evidence an operation has, its effect on the metric and the test of it: what
/// the comparison needs before it knows how many operations share α.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub evidence: Evidence,
    /// The metric on each side as judged: per-run geometric means with runs as the samples,
    /// the pooled calls' figure otherwise (µs).
    pub before_us: f64,
    pub after_us: f64,
    /// The effect clears the threshold and the noise floor, either way.
    pub beyond: bool,
    /// One-sided p-value in the direction of the change, when a test ran.
    pub p_value: Option<f64>,
    pub test: Option<&'static str>,
    pub tail: Option<TailCounts>,
}

impl Assessment {
    /// Its effect clears the thresholds and it has the evidence for a test: the count of
    /// these divides α.
    pub fn is_tested(&self) -> bool {
        self.beyond && self.p_value.is_some()
    }

    fn slower(&self) -> bool {
        self.after_us > self.before_us
    }

    /// after / before.
    fn ratio(&self) -> f64 {
        self.after_us / self.before_us
    }
}

/// The evidence, effect and test of an operation both sides have.
pub fn assess(b: &OpProfile, a: &OpProfile, sides: &Sides, settings: &Settings) -> Assessment {
    let metric = settings.metric;
    let run_values = |op: &OpProfile| -> Vec<f64> {
        op.per_run
            .iter()
            .filter(|r| r.count > 0)
            .filter_map(|r| metric.of_run(r))
            .filter(|v| *v > 0.0 && v.is_finite())
            .map(f64::ln)
            .collect()
    };
    let (lb, la) = (run_values(b), run_values(a));
    if lb.len() >= MIN_RUNS && la.len() >= MIN_RUNS {
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (before_us, after_us) = (mean(&lb).exp(), mean(&la).exp());
        let beyond = beyond_thresholds(before_us, after_us, settings);
        let p_value = beyond
            .then(|| {
                if after_us > before_us {
                    stats::welch_greater(&la, &lb)
                } else {
                    stats::welch_greater(&lb, &la)
                }
            })
            .flatten();
        return Assessment {
            evidence: Evidence::Runs,
            before_us,
            after_us,
            beyond,
            p_value,
            test: p_value.map(|_| "welch-runs"),
            tail: None,
        };
    }
    let (runs_b, runs_a) = (sides.before.runs, sides.after.runs);
    let before_us = metric.of(b, runs_b);
    let after_us = metric.of(a, runs_a);
    let beyond = beyond_thresholds(before_us, after_us, settings);
    let enough_calls = |op: &OpProfile, runs: u32| {
        calls_per_run(op, runs) >= settings.min_samples as f64
            && op.durations_us.len() >= settings.min_samples
    };
    if !(enough_calls(b, runs_b) && enough_calls(a, runs_a)) {
        return Assessment {
            evidence: Evidence::NotEnoughData,
            before_us,
            after_us,
            beyond,
            p_value: None,
            test: None,
            tail: None,
        };
    }
    let slower = after_us > before_us;
    let (p_value, test, tail) = if !beyond {
        (None, None, None)
    } else if let Some(level) = tail_level(metric)
        .filter(|_| (b.durations_us.len() + a.durations_us.len()) >= MIN_TAIL_SAMPLE)
    {
        let t = tail_counts(&b.durations_us, &a.durations_us, level);
        let p = if slower {
            stats::fisher_greater(t.after_above, t.after_calls, t.before_above, t.before_calls)
        } else {
            stats::fisher_greater(t.before_above, t.before_calls, t.after_above, t.after_calls)
        };
        (Some(p), Some("fisher-tail"), Some(t))
    } else {
        let p = stats::mann_whitney(&b.durations_us, &a.durations_us).map(|t| {
            let shift_up = t.u_x < (b.durations_us.len() * a.durations_us.len()) as f64 / 2.0;
            if shift_up == slower {
                t.p_value / 2.0
            } else {
                1.0 - t.p_value / 2.0
            }
        });
        (p, p.map(|_| "mann-whitney"), None)
    };
    Assessment {
        evidence: Evidence::Calls,
        before_us,
        after_us,
        beyond,
        p_value,
        test,
        tail,
    }
}

/// The quantile level the tail test looks above, for the metrics a tail moves.
fn tail_level(metric: Metric) -> Option<f64> {
    match metric {
        Metric::P95 => Some(0.95),
        Metric::Max => Some(0.99),
        _ => None,
    }
}

/// Calls above the pooled quantile at `level`, lowered so that at least
/// [`MIN_TAIL_CALLS`] pooled calls lie above it. Both samples are sorted ascending.
fn tail_counts(before: &[f64], after: &[f64], level: f64) -> TailCounts {
    let mut pooled: Vec<f64> = before.iter().chain(after).copied().collect();
    pooled.sort_unstable_by(f64::total_cmp);
    let n = pooled.len() as f64;
    let level = if n > MIN_TAIL_CALLS {
        level.min(1.0 - MIN_TAIL_CALLS / n)
    } else {
        0.5
    };
    let q = percentile(&pooled, level);
    let above = |v: &[f64]| v.iter().filter(|&&d| d > q).count() as u64;
    TailCounts {
        level,
        threshold_us: q,
        before_above: above(before),
        before_calls: before.len() as u64,
        after_above: above(after),
        after_calls: after.len() as u64,
    }
}

fn both_sides(
    name: &str,
    x: &Assessment,
    b: &OpProfile,
    a: &OpProfile,
    sides: &Sides,
    settings: &Settings,
    alpha: f64,
) -> OpChange {
    let (runs_b, runs_a) = (sides.before.runs, sides.after.runs);
    let figures_as_judged = |op: &OpProfile, runs: u32, value_us: f64| SideFigures {
        value_us,
        ..figures(op, runs, settings.metric)
    };
    let before = figures_as_judged(b, runs_b, x.before_us);
    let after = figures_as_judged(a, runs_a, x.after_us);
    let placeholder = ChangeReason::Removed {
        calls_per_run: 0.0,
        cost_per_run_us: 0.0,
    };
    let mut c = empty_change(name, a, ChangeStatus::Unchanged, placeholder);
    c.evidence = x.evidence;
    c.delta_us = Some(x.after_us - x.before_us);
    c.delta_pct = relative_pct(x.before_us, x.after_us);
    c.p_value = x.p_value;
    c.test = x.test.map(str::to_string);
    c.tail = x.tail;
    let self_per_call = |op: &OpProfile| op.self_us / op.count.max(1) as f64;
    c.self_delta_us = Some(self_per_call(a) - self_per_call(b));
    if x.evidence == Evidence::Calls
        && let Some(s) = stats::hodges_lehmann(&b.durations_us, &a.durations_us, 1.0 - alpha)
    {
        c.shift_us = Some(s.estimate);
        c.shift_ci_us = Some(s.ci);
    }
    let time = time_judgement(x, settings, alpha);
    // Counts of sampled profiles are runs of samples, not calls: no structural fact to judge.
    let count = if sides.before.sampled || sides.after.sampled {
        CountChange {
            verdict: CountVerdict::Same,
            reason: None,
        }
    } else {
        count_change(b, a, runs_b, runs_a, settings)
    };
    c.calls_delta_pct = relative_pct(before.calls_per_run, after.calls_per_run);
    let slower = x.slower();
    (c.status, c.severity) = match (time, count.verdict) {
        (TimeJudgement::Significant, _) if slower => {
            (ChangeStatus::Regressed, Some(Severity::Fail))
        }
        (_, CountVerdict::More) => (ChangeStatus::Regressed, Some(Severity::Fail)),
        (TimeJudgement::Significant, _) => (ChangeStatus::Improved, None),
        (TimeJudgement::BelowSingleRunBar, _) => (ChangeStatus::Unchanged, Some(Severity::Warn)),
        (_, CountVerdict::MoreInconsistent) => (ChangeStatus::Unchanged, Some(Severity::Warn)),
        // Fewer calls is an improvement only when the calls did not get slower beyond the
        // thresholds (12 requests traced against 6 halves every count).
        (_, CountVerdict::Fewer) if !(slower && x.beyond) => (ChangeStatus::Improved, None),
        (TimeJudgement::NotEnoughData, _) => (ChangeStatus::NotEnoughSamples, None),
        _ => (ChangeStatus::Unchanged, None),
    };
    c.count_regressed = count.verdict == CountVerdict::More;
    c.before = Some(before);
    c.after = Some(after);
    c.reason = ChangeReason::Compared {
        time,
        evidence: x.evidence,
        count: count.reason,
    };
    c
}

/// What the time figures say at the α of this test.
fn time_judgement(x: &Assessment, settings: &Settings, alpha: f64) -> TimeJudgement {
    if !x.beyond {
        return TimeJudgement::Within;
    }
    if x.evidence == Evidence::NotEnoughData {
        return TimeJudgement::NotEnoughData;
    }
    match x.p_value {
        Some(p) if p < alpha => {
            if x.evidence == Evidence::Calls
                && x.slower()
                && x.ratio() < settings.single_run_fail_ratio
            {
                TimeJudgement::BelowSingleRunBar
            } else {
                TimeJudgement::Significant
            }
        }
        _ => TimeJudgement::NotSignificant,
    }
}

/// `(after - before) / before` in %, `None` when before is zero.
fn relative_pct(before: f64, after: f64) -> Option<f64> {
    (before > 0.0 && before.is_finite() && after.is_finite())
        .then(|| (after - before) / before * 100.0)
}

/// The change clears the noise floor and the relative threshold (a change from zero clears
/// any threshold), either way: slower by more than the threshold, or faster by as much
/// (after ≤ before / (1 + threshold)).
fn beyond_thresholds(before: f64, after: f64, settings: &Settings) -> bool {
    let delta = (after - before).abs();
    if delta <= settings.noise_floor_us {
        return false;
    }
    if before <= 0.0 || after <= 0.0 {
        return true;
    }
    let (lo, hi) = if after > before {
        (before, after)
    } else {
        (after, before)
    };
    hi / lo - 1.0 > settings.threshold
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CountVerdict {
    Same,
    More,
    /// More calls beyond thresholds, but not in every run.
    MoreInconsistent,
    Fewer,
}

struct CountChange {
    verdict: CountVerdict,
    reason: Option<CountReason>,
}

/// Calls per run moved beyond the threshold and the calls gained (or lost) cost more than the
/// noise floor per run, costed by the median call (a few slow calls do not make a cheap helper
/// expensive); consistent when every run of one side is beyond every run of the other.
fn count_change(
    b: &OpProfile,
    a: &OpProfile,
    runs_b: u32,
    runs_a: u32,
    settings: &Settings,
) -> CountChange {
    let (cb, ca) = (calls_per_run(b, runs_b), calls_per_run(a, runs_a));
    let delta = ca - cb;
    let median = if delta > 0.0 {
        a.percentile_us(0.5)
    } else {
        b.percentile_us(0.5)
    };
    let cost = delta * median;
    let beyond = cb > 0.0 && delta.abs() / cb > settings.threshold;
    let counts = |op: &OpProfile| -> Vec<u64> { op.per_run.iter().map(|r| r.count).collect() };
    let (kb, ka) = (counts(b), counts(a));
    let consistent = if delta > 0.0 {
        ka.iter().min() > kb.iter().max()
    } else {
        ka.iter().max() < kb.iter().min()
    };
    let reason = |below_noise_floor: bool| CountReason {
        before_per_run: cb,
        after_per_run: ca,
        cost_per_run_us: cost,
        below_noise_floor,
        consistent,
    };
    if !beyond || delta == 0.0 {
        return CountChange {
            verdict: CountVerdict::Same,
            reason: None,
        };
    }
    if cost.abs() <= settings.noise_floor_us {
        return CountChange {
            verdict: CountVerdict::Same,
            reason: Some(reason(true)),
        };
    }
    let verdict = match (delta > 0.0, consistent) {
        (true, true) => CountVerdict::More,
        (true, false) => CountVerdict::MoreInconsistent,
        (false, true) => CountVerdict::Fewer,
        (false, false) => CountVerdict::Same,
    };
    CountChange {
        verdict,
        reason: Some(reason(false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::RunFigures;
    use crate::ops::stats::sorted;
    use crate::outcome::Evidence;

    /// An operation whose run `r` made the calls `runs[r]` (µs).
    fn op(runs: &[Vec<f64>]) -> OpProfile {
        let all: Vec<f64> = runs.iter().flatten().copied().collect();
        let per_run = runs
            .iter()
            .map(|r| {
                let d = sorted(r);
                let total: f64 = d.iter().sum();
                RunFigures {
                    count: d.len() as u64,
                    total_us: total,
                    mean_us: total / d.len() as f64,
                    p50_us: crate::ops::percentile(&d, 0.5),
                    p95_us: crate::ops::percentile(&d, 0.95),
                    max_us: d[d.len() - 1],
                    self_us: total,
                }
            })
            .collect();
        let d = sorted(&all);
        OpProfile {
            function: "f".into(),
            count: d.len() as u64,
            total_us: d.iter().sum(),
            self_us: d.iter().sum(),
            min_us: d[0],
            max_us: d[d.len() - 1],
            durations_us: d,
            per_run,
            ..OpProfile::default()
        }
    }

    fn profile(op: OpProfile) -> Profile {
        Profile {
            runs: op.per_run.len() as u32,
            operations: [("f".to_string(), op)].into_iter().collect(),
            ..Profile::default()
        }
    }

    fn change(before: &[Vec<f64>], after: &[Vec<f64>]) -> OpChange {
        let (b, a) = (profile(op(before)), profile(op(after)));
        let sides = Sides {
            before: &b,
            after: &a,
        };
        compare_op("f", &sides, &Settings::default()).unwrap()
    }

    /// `n` calls around `centre` µs, spread by ±2 %, distinct.
    fn calls(n: usize, centre: f64) -> Vec<f64> {
        (0..n)
            .map(|i| centre * (0.98 + 0.04 * i as f64 / n as f64))
            .collect()
    }

    fn time_of(c: &OpChange) -> TimeJudgement {
        match c.reason {
            ChangeReason::Compared { time, .. } => time,
            _ => panic!("not compared: {c:?}"),
        }
    }

    #[test]
    fn a_clear_slowdown_with_enough_calls_regresses() {
        let c = change(&[calls(20, 30_000.0)], &[calls(20, 60_000.0)]);
        assert_eq!(c.status, ChangeStatus::Regressed, "{:?}", c.reason);
        assert_eq!(c.severity, Some(Severity::Fail));
        assert_eq!(c.evidence, Evidence::Calls);
        assert_eq!(c.test.as_deref(), Some("fisher-tail"));
        assert!(c.p_value.unwrap() < 0.01);
        assert!(!c.count_regressed);
    }

    #[test]
    fn a_change_under_the_noise_floor_or_threshold_is_unchanged() {
        // +50 % but only +0.5 ms: under the 1 ms noise floor.
        let c = change(&[calls(20, 1_000.0)], &[calls(20, 1_500.0)]);
        assert_eq!((c.status, c.severity), (ChangeStatus::Unchanged, None));
        // +5 ms but only +5 %: under the 10 % threshold.
        let c = change(&[calls(20, 100_000.0)], &[calls(20, 105_000.0)]);
        assert_eq!((c.status, c.severity), (ChangeStatus::Unchanged, None));
        assert_eq!(time_of(&c), TimeJudgement::Within);
    }

    #[test]
    fn one_shot_operations_are_not_enough_data_and_never_warn() {
        let c = change(&[calls(3, 30_000.0)], &[calls(3, 60_000.0)]);
        assert_eq!(c.status, ChangeStatus::NotEnoughSamples);
        assert_eq!(c.severity, None);
        assert_eq!(c.evidence, Evidence::NotEnoughData);
        assert_eq!(time_of(&c), TimeJudgement::NotEnoughData);
        assert_eq!(c.p_value, None);
    }

    #[test]
    fn a_significant_slowdown_below_1_5x_in_one_run_only_warns() {
        // Every call 1.25× slower: significant, but one run per side varies this much on a
        // busy machine.
        let c = change(&[calls(60, 10_000.0)], &[calls(60, 12_500.0)]);
        assert_eq!(time_of(&c), TimeJudgement::BelowSingleRunBar, "{c:?}");
        assert_eq!(
            (c.status, c.severity),
            (ChangeStatus::Unchanged, Some(Severity::Warn))
        );
        // The same with runs as the samples fails.
        let before: Vec<Vec<f64>> = (0..5)
            .map(|r| calls(60, 10_000.0 + 50.0 * r as f64))
            .collect();
        let after: Vec<Vec<f64>> = (0..5)
            .map(|r| calls(60, 12_500.0 + 50.0 * r as f64))
            .collect();
        let c = change(&before, &after);
        assert_eq!(c.evidence, Evidence::Runs);
        assert_eq!(c.test.as_deref(), Some("welch-runs"));
        assert_eq!(c.status, ChangeStatus::Regressed, "{c:?}");
    }

    #[test]
    fn a_tail_regression_is_caught_by_the_runs_p95() {
        // 6 of 60 calls per run 3× slower: the typical call did not move, the p95 did.
        let slow_tail = |r: usize| {
            let mut v = calls(60, 10_000.0 + 30.0 * r as f64);
            for d in v.iter_mut().step_by(10) {
                *d *= 3.0;
            }
            v
        };
        let before: Vec<Vec<f64>> = (0..5)
            .map(|r| calls(60, 10_000.0 + 30.0 * r as f64))
            .collect();
        let after: Vec<Vec<f64>> = (0..5).map(slow_tail).collect();
        let c = change(&before, &after);
        assert_eq!(c.status, ChangeStatus::Regressed, "{c:?}");
        assert!(c.delta_pct.unwrap() > 100.0);
    }

    #[test]
    fn runs_that_disagree_are_not_significant() {
        // Per call, after is slower overall; but one after run is as fast as the before runs.
        let before = vec![
            calls(30, 30_000.0),
            calls(30, 32_000.0),
            calls(30, 31_000.0),
        ];
        let after = vec![
            calls(30, 60_000.0),
            calls(30, 29_000.0),
            calls(30, 61_000.0),
        ];
        let c = change(&before, &after);
        assert_eq!(c.evidence, Evidence::Runs);
        assert!(c.p_value.unwrap() > 0.01, "{c:?}");
        assert_eq!((c.status, c.severity), (ChangeStatus::Unchanged, None));
        assert_eq!(time_of(&c), TimeJudgement::NotSignificant);
    }

    #[test]
    fn alpha_is_shared_by_the_operations_tested() {
        let (b, a) = (
            profile(op(&[calls(20, 30_000.0)])),
            profile(op(&[calls(20, 60_000.0)])),
        );
        let sides = Sides {
            before: &b,
            after: &a,
        };
        let alone = compare_op_among("f", &sides, &Settings::default(), 1).unwrap();
        assert_eq!(alone.status, ChangeStatus::Regressed);
        let p = alone.p_value.unwrap();
        // Among enough tested operations the same p-value no longer clears α / m.
        let m = (Settings::default().alpha / p).ceil() as usize + 1;
        let crowd = compare_op_among("f", &sides, &Settings::default(), m).unwrap();
        assert_eq!(crowd.status, ChangeStatus::Unchanged, "{crowd:?}");
    }

    #[test]
    fn fewer_calls_that_got_slower_are_no_improvement() {
        // Half the calls, much slower: no improvement.
        let before = calls(24, 30_000.0);
        let after = calls(12, 90_000.0);
        let c = change(std::slice::from_ref(&before), &[after]);
        assert_ne!(c.status, ChangeStatus::Improved, "{:?}", c.reason);
        // Fewer calls of the same speed is an improvement.
        let c = change(&[before], &[calls(12, 30_000.0)]);
        assert_eq!(c.status, ChangeStatus::Improved, "{:?}", c.reason);
    }

    #[test]
    fn more_calls_regress_when_they_cost_more_than_the_noise_floor() {
        // 12 → 24 calls of 400 ms at unchanged speed.
        let c = change(&[calls(12, 400_000.0)], &[calls(24, 400_000.0)]);
        assert_eq!(c.status, ChangeStatus::Regressed);
        assert!(c.count_regressed);
        // 60 → 75 calls of 5 µs: +20 % calls, +75 µs per run, under the noise floor.
        let c = change(&[calls(60, 5.0)], &[calls(75, 5.0)]);
        assert_eq!((c.status, c.severity), (ChangeStatus::Unchanged, None));
        assert!(!c.count_regressed);
        // Costed by the median call: one 50 ms outlier does not make a cheap helper costly.
        let mut after = calls(75, 5.0);
        after[0] = 50_000.0;
        let c = change(&[calls(60, 5.0)], &[after]);
        assert_eq!(c.severity, None, "{c:?}");
        // Fewer calls is an improvement.
        let c = change(&[calls(24, 400_000.0)], &[calls(12, 400_000.0)]);
        assert_eq!(c.status, ChangeStatus::Improved);
    }

    #[test]
    fn more_calls_in_only_some_runs_warn() {
        let before = vec![
            calls(10, 400_000.0),
            calls(10, 400_000.0),
            calls(30, 400_000.0),
        ];
        let after = vec![
            calls(20, 400_000.0),
            calls(20, 400_000.0),
            calls(20, 400_000.0),
        ];
        let c = change(&before, &after);
        assert!(!c.count_regressed);
        assert_eq!(c.severity, Some(Severity::Warn), "{c:?}");
    }

    #[test]
    fn added_operations_warn_only_when_expensive() {
        let empty = Profile {
            runs: 1,
            ..Profile::default()
        };
        let settings = Settings::default();
        for (centre, severity) in [(50_000.0, Some(Severity::Warn)), (10.0, None)] {
            let after = profile(op(&[calls(8, centre)]));
            let sides = Sides {
                before: &empty,
                after: &after,
            };
            let c = compare_op("f", &sides, &settings).unwrap();
            assert_eq!((c.status, c.severity), (ChangeStatus::Added, severity));
            let reverse = Sides {
                before: &after,
                after: &empty,
            };
            let r = compare_op("f", &reverse, &settings).unwrap();
            assert_eq!((r.status, r.severity), (ChangeStatus::Removed, None));
        }
        let none = Sides {
            before: &empty,
            after: &empty,
        };
        assert!(compare_op("f", &none, &settings).is_none());
    }
}
