//! The status of one operation between two sides: regressed, improved, unchanged, added,
//! removed or not enough samples, with the severity it adds to the verdict and the rules that
//! decided it as a [`ChangeReason`] (docs/compare.md states the rules; renderers word them).
//!
//! A time change counts only when it clears both the relative threshold and the noise floor,
//! the calls differ significantly (Mann–Whitney, p < α) in the same direction, and, with 3 or
//! more runs per side, the per-run values agree (`runs_test`). A call-count change counts on
//! its own when calls per run move beyond the threshold and the calls gained or lost cost more
//! than the noise floor per run.

use crate::ops::{OpProfile, Profile};
use crate::outcome::{
    ChangeReason, ChangeStatus, CountReason, OpChange, RunAgreement, Severity, SideFigures,
    TimeJudgement,
};

use super::stats::{self, MannWhitney};
use super::{Metric, Settings};

/// Runs per side from which per-run values are compared as well.
pub const MIN_RUNS_FOR_RUN_TEST: usize = 3;

/// The two sides of a comparison.
#[derive(Debug, Clone, Copy)]
pub struct Sides<'a> {
    pub before: &'a Profile,
    pub after: &'a Profile,
}

/// The change of operation `name`; `None` when neither side has it.
pub fn compare_op(name: &str, sides: &Sides, settings: &Settings) -> Option<OpChange> {
    let before = sides.before.operations.get(name);
    let after = sides.after.operations.get(name);
    Some(match (before, after) {
        (Some(b), Some(a)) => both_sides(name, b, a, sides, settings),
        (None, Some(a)) => added(name, a, sides.after.runs, settings),
        (Some(b), None) => removed(name, b, sides.before.runs, settings),
        (None, None) => return None,
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
        p_value_runs: None,
        calls_delta_pct: None,
        shift_us: None,
        shift_ci_us: None,
        count_regressed: false,
        reason,
        attribution: Vec::new(),
        origin: op.origin,
        self_delta_us: None,
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

/// The per-run comparison of some figure.
type RunTest = RunAgreement;

fn both_sides(
    name: &str,
    b: &OpProfile,
    a: &OpProfile,
    sides: &Sides,
    settings: &Settings,
) -> OpChange {
    let metric = settings.metric;
    let (runs_b, runs_a) = (sides.before.runs, sides.after.runs);
    let before = figures(b, runs_b, metric);
    let after = figures(a, runs_a, metric);
    let delta = after.value_us - before.value_us;
    let pct = relative_pct(before.value_us, after.value_us);
    let placeholder = ChangeReason::Removed {
        calls_per_run: 0.0,
        cost_per_run_us: 0.0,
    };
    let mut c = empty_change(name, a, ChangeStatus::Unchanged, placeholder);
    c.delta_us = Some(delta);
    c.delta_pct = pct;
    let self_per_call = |op: &OpProfile| op.self_us / op.count.max(1) as f64;
    c.self_delta_us = Some(self_per_call(a) - self_per_call(b));

    let enough = b.durations_us.len() >= settings.min_samples
        && a.durations_us.len() >= settings.min_samples;
    let test = enough
        .then(|| stats::mann_whitney(&b.durations_us, &a.durations_us))
        .flatten();
    if let Some(t) = test {
        c.p_value = Some(t.p_value);
        c.test = Some(t.method.as_str().to_string());
        if let Some(s) =
            stats::hodges_lehmann(&b.durations_us, &a.durations_us, 1.0 - settings.alpha)
        {
            c.shift_us = Some(s.estimate);
            c.shift_ci_us = Some(s.ci);
        }
    }
    let run_values = |op: &OpProfile| -> Vec<f64> {
        op.per_run.iter().filter_map(|r| metric.of_run(r)).collect()
    };
    let run_test = runs_test(&run_values(b), &run_values(a), delta, settings);
    c.p_value_runs = run_test.map(|r| r.p_value);

    let over = beyond_thresholds(before.value_us, after.value_us, settings);
    let time = if !over {
        TimeJudgement::Within
    } else if test.is_none() {
        TimeJudgement::FewSamples
    } else if significant_in_direction(test, c.shift_us, delta, settings)
        && run_test.is_none_or(|r| r.agrees)
    {
        TimeJudgement::Significant
    } else if typical_call_moved(b, c.shift_us, settings) {
        TimeJudgement::NotSignificant
    } else {
        TimeJudgement::TailNoise
    };

    let count = count_change(b, a, runs_b, runs_a, settings);
    c.calls_delta_pct = relative_pct(before.calls_per_run, after.calls_per_run);
    let slower = delta > 0.0;
    (c.status, c.severity) = match (time, count.verdict) {
        (TimeJudgement::Significant, _) if slower => {
            (ChangeStatus::Regressed, Some(Severity::Fail))
        }
        (_, CountVerdict::More) => (ChangeStatus::Regressed, Some(Severity::Fail)),
        (TimeJudgement::Significant, _) => (ChangeStatus::Improved, None),
        (TimeJudgement::NotSignificant, _) if slower => {
            (ChangeStatus::Unchanged, Some(Severity::Warn))
        }
        (TimeJudgement::FewSamples, _) if slower => {
            (ChangeStatus::NotEnoughSamples, Some(Severity::Warn))
        }
        (_, CountVerdict::MoreInconsistent) => (status_if_quiet(enough), Some(Severity::Warn)),
        // Fewer calls is an improvement only when the calls did not get slower beyond the
        // thresholds (12 requests traced against 6 halves every count).
        (TimeJudgement::Within, CountVerdict::Fewer) => (ChangeStatus::Improved, None),
        (_, CountVerdict::Fewer) if !slower => (ChangeStatus::Improved, None),
        _ => (status_if_quiet(enough), None),
    };
    c.count_regressed = count.verdict == CountVerdict::More;
    c.before = Some(before);
    c.after = Some(after);
    c.reason = ChangeReason::Compared {
        time,
        runs: run_test,
        count: count.reason,
    };
    c
}

fn status_if_quiet(enough: bool) -> ChangeStatus {
    if enough {
        ChangeStatus::Unchanged
    } else {
        ChangeStatus::NotEnoughSamples
    }
}

/// `(after - before) / before` in %, `None` when before is zero.
fn relative_pct(before: f64, after: f64) -> Option<f64> {
    (before > 0.0 && before.is_finite() && after.is_finite())
        .then(|| (after - before) / before * 100.0)
}

/// The change clears the noise floor and the relative threshold (a change from zero clears
/// any threshold).
/// Whether the Hodges–Lehmann shift of the calls (how far the typical call moved) is itself
/// beyond the noise floor and the threshold, relative to the median call before. A metric
/// such as p95 on a dozen calls follows one or two outliers; without a significant test, only
/// a moved typical call makes that worth a warning (an A/A pair must not warn).
fn typical_call_moved(b: &OpProfile, shift: Option<f64>, settings: &Settings) -> bool {
    let Some(shift) = shift else { return true };
    let median = b.percentile_us(0.5);
    beyond_thresholds(median, median + shift, settings)
}

fn beyond_thresholds(before: f64, after: f64, settings: &Settings) -> bool {
    let delta = (after - before).abs();
    delta > settings.noise_floor_us && (before <= 0.0 || delta / before > settings.threshold)
}

/// The calls differ significantly and the shift of the calls points the way the metric moved
/// (a p95 that rose while most calls got faster is not backed by the test).
fn significant_in_direction(
    test: Option<MannWhitney>,
    shift: Option<f64>,
    delta: f64,
    settings: &Settings,
) -> bool {
    let Some(t) = test else { return false };
    let same_way = shift.is_none_or(|s| s == 0.0 || (s > 0.0) == (delta > 0.0));
    t.p_value < settings.alpha && same_way
}

/// Mann–Whitney on per-run values, when both sides have [`MIN_RUNS_FOR_RUN_TEST`] runs.
///
/// The runs agree when they moved the same way as `delta` and their p-value is at most
/// `max(α, p_min)`, where `p_min` is the p-value of complete separation for these run counts:
/// with 3 + 3 runs no test can reach α = 0.01 (p_min = 0.1), so there every after run must be
/// beyond every before run.
fn runs_test(before: &[f64], after: &[f64], delta: f64, settings: &Settings) -> Option<RunTest> {
    if before.len() < MIN_RUNS_FOR_RUN_TEST || after.len() < MIN_RUNS_FOR_RUN_TEST {
        return None;
    }
    let t = stats::mann_whitney(before, after)?;
    let p_min = separation_p(before.len(), after.len());
    let median = |v: &[f64]| crate::ops::percentile(&crate::ops::stats::sorted(v), 0.5);
    let moved = median(after) - median(before);
    let same_way = moved != 0.0 && (moved > 0.0) == (delta > 0.0);
    Some(RunTest {
        p_value: t.p_value,
        agrees: same_way && t.p_value <= settings.alpha.max(p_min),
    })
}

/// The smallest p-value Mann–Whitney can give for samples of these sizes.
fn separation_p(n1: usize, n2: usize) -> f64 {
    let x: Vec<f64> = (0..n1).map(|i| i as f64).collect();
    let y: Vec<f64> = (n1..n1 + n2).map(|i| i as f64).collect();
    stats::mann_whitney(&x, &y).map_or(1.0, |t| t.p_value)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CountVerdict {
    Same,
    More,
    /// More calls beyond thresholds, but the runs disagree.
    MoreInconsistent,
    Fewer,
}

struct CountChange {
    verdict: CountVerdict,
    reason: Option<CountReason>,
}

/// Calls per run moved beyond the threshold and the calls gained (or lost) cost more than the
/// noise floor per run; with 3 or more runs per side the per-run counts must agree.
fn count_change(
    b: &OpProfile,
    a: &OpProfile,
    runs_b: u32,
    runs_a: u32,
    settings: &Settings,
) -> CountChange {
    let (cb, ca) = (calls_per_run(b, runs_b), calls_per_run(a, runs_a));
    let delta = ca - cb;
    let mean = if delta > 0.0 {
        a.mean_us()
    } else {
        b.mean_us()
    };
    let cost = delta.abs() * mean;
    let beyond = cb > 0.0 && delta.abs() / cb > settings.threshold;
    let reason = |runs: Option<RunTest>, below_noise_floor: bool| CountReason {
        before_per_run: cb,
        after_per_run: ca,
        cost_per_run_us: delta * mean,
        below_noise_floor,
        runs,
    };
    if !beyond || cost <= settings.noise_floor_us {
        return CountChange {
            verdict: CountVerdict::Same,
            reason: (beyond && delta != 0.0).then(|| reason(None, true)),
        };
    }
    let counts =
        |op: &OpProfile| -> Vec<f64> { op.per_run.iter().map(|r| r.count as f64).collect() };
    let runs = runs_test(&counts(b), &counts(a), delta, settings);
    let consistent = runs.is_none_or(|r| r.agrees);
    let verdict = match (delta > 0.0, consistent) {
        (true, true) => CountVerdict::More,
        (true, false) => CountVerdict::MoreInconsistent,
        (false, true) => CountVerdict::Fewer,
        (false, false) => CountVerdict::Same,
    };
    CountChange {
        verdict,
        reason: Some(reason(runs, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::RunFigures;
    use crate::ops::stats::sorted;

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

    #[test]
    fn a_clear_slowdown_with_enough_calls_regresses() {
        let c = change(&[calls(20, 30_000.0)], &[calls(20, 60_000.0)]);
        assert_eq!(c.status, ChangeStatus::Regressed);
        assert_eq!(c.severity, Some(Severity::Fail));
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
    }

    #[test]
    fn few_calls_warn_without_a_p_value() {
        let c = change(&[calls(3, 30_000.0)], &[calls(3, 60_000.0)]);
        assert_eq!(c.status, ChangeStatus::NotEnoughSamples);
        assert_eq!(c.severity, Some(Severity::Warn));
        assert_eq!(c.p_value, None);
    }

    #[test]
    fn fewer_calls_that_got_slower_are_no_improvement() {
        // Half the calls, two of them far slower: p95 up, no shift of the typical call.
        let before = calls(24, 30_000.0);
        let mut after = calls(12, 30_000.0);
        after[10] = 90_000.0;
        after[11] = 90_000.0;
        let c = change(std::slice::from_ref(&before), &[after]);
        assert_ne!(c.status, ChangeStatus::Improved, "{:?}", c.reason);
        // Fewer calls of the same speed is an improvement.
        let c = change(&[before], &[calls(12, 30_000.0)]);
        assert_eq!(c.status, ChangeStatus::Improved, "{:?}", c.reason);
    }

    #[test]
    fn a_moved_typical_call_without_significance_is_a_warning() {
        let ms = |v: &[f64]| v.iter().map(|x| x * 1000.0).collect::<Vec<_>>();
        let before = ms(&[10.0, 11.0, 12.0, 13.0, 14.0, 15.0]);
        let after = ms(&[9.0, 11.0, 13.0, 15.0, 17.0, 19.0]);
        let c = change(&[before], &[after]);
        assert_eq!(c.status, ChangeStatus::Unchanged);
        assert_eq!(c.severity, Some(Severity::Warn));
        assert!(
            matches!(
                c.reason,
                ChangeReason::Compared {
                    time: TimeJudgement::NotSignificant,
                    ..
                }
            ),
            "{:?}",
            c.reason
        );
    }

    #[test]
    fn a_slower_tail_alone_is_noise_not_a_warning() {
        // Same calls but two outliers: p95 triples, the test sees no shift, the typical call
        // did not move.
        let before = calls(20, 30_000.0);
        let mut after = before.clone();
        after[0] = 90_000.0;
        after[1] = 90_000.0;
        let c = change(&[before], &[after]);
        assert_eq!(c.status, ChangeStatus::Unchanged);
        assert_eq!(c.severity, None);
        assert!(
            matches!(
                c.reason,
                ChangeReason::Compared {
                    time: TimeJudgement::TailNoise,
                    ..
                }
            ),
            "{:?}",
            c.reason
        );
    }

    #[test]
    fn runs_that_disagree_veto_a_significant_call_level_change() {
        // Per call, after is slower overall; but one after run is faster than every before run.
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
        assert!(c.p_value.unwrap() < 0.01, "{c:?}");
        assert!(c.p_value_runs.is_some());
        assert_eq!(c.status, ChangeStatus::Unchanged, "{:?}", c.reason);
        assert_eq!(c.severity, Some(Severity::Warn));
        assert!(
            matches!(
                c.reason,
                ChangeReason::Compared {
                    runs: Some(RunAgreement { agrees: false, .. }),
                    ..
                }
            ),
            "{:?}",
            c.reason
        );
    }

    #[test]
    fn three_runs_each_fully_separated_regress() {
        let before: Vec<Vec<f64>> = (0..3)
            .map(|r| calls(10, 30_000.0 + 100.0 * r as f64))
            .collect();
        let after: Vec<Vec<f64>> = (0..3)
            .map(|r| calls(10, 60_000.0 + 100.0 * r as f64))
            .collect();
        let c = change(&before, &after);
        assert_eq!(c.status, ChangeStatus::Regressed, "{:?}", c.reason);
        assert!((c.p_value_runs.unwrap() - 0.1).abs() < 1e-12);
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
        // Fewer calls is an improvement.
        let c = change(&[calls(24, 400_000.0)], &[calls(12, 400_000.0)]);
        assert_eq!(c.status, ChangeStatus::Improved);
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
