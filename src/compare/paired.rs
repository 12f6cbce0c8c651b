//! Paired statistics for interleaved runs (`perfgate record`).
//!
//! When base and head run alternately on one machine in one session (`ABBA…`), run `k` of the
//! base and run `k` of the head are a **pair**: they ran next to each other, so whatever slowed
//! the machine at that moment (another job, thermal throttling, a cold cache) slowed both. A
//! test on the per-pair ratios cancels that drift, where a two-sample test on all runs counts
//! it as noise (or, worse, as a change).
//!
//! This module is self-contained: plain slices in, plain figures out.
//!
//! - [`paired_ratio`]: for one operation, given its metric in each pair (`base[k]`, `head[k]`),
//!   the estimated ratio head / base, its confidence interval and the p-value of a two-sided
//!   **one-sample t test on the per-pair log ratios** `ln(head[k] / base[k])`, plus how much the
//!   operation's base timing moved across the session.
//! - [`session_drift`]: how much the timing of unchanged code (the base side, the same code in
//!   every pair) moved across the session, over many operations.
//! - [`PairedReport::from_profiles`]: both, for every operation of two [`Profile`]s whose runs
//!   are pairs (run `k` of one side was made next to run `k` of the other), as the report
//!   carries them.
//!
//! Why a t test on log ratios rather than Wilcoxon's signed-rank test: sessions have few pairs
//! (3 to 10), and the exact signed-rank test cannot go below p = 2 / 2ⁿ (0.25 with 3 pairs,
//! 0.0625 with 5), so it could never reach α = 0.01. Ratios of run timings are close to
//! log-normal, so the t test on their logarithms is the usual choice (it is the test behind
//! the geometric-mean ratio of bioequivalence studies). Every figure here is checked against
//! scipy (`scipy.stats.ttest_1samp`, `scipy.stats.t.ppf`) with the vectors of
//! `tests/fixtures/vectors/paired.json` (`tests/fixtures/vectors/generate_paired.py`).

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::{Metric, Settings};
use crate::ops::Profile;
pub use crate::outcome::paired::{PairedEstimate, PairedOp, PairedReport, SessionDrift};

/// The paired test of one operation. `base[k]` and `head[k]` are the operation's metric in
/// pair `k` (µs or any positive unit: only ratios matter); the slices have one value per pair
/// and the same length. Pairs with a value that is not positive and finite (an operation not
/// called in that run) are left out. `alpha` sets the confidence level (`1 − alpha`).
///
/// `None` with fewer than 2 usable pairs (no spread, so no test).
pub fn paired_ratio(base: &[f64], head: &[f64], alpha: f64) -> Option<PairedEstimate> {
    let usable = |v: f64| v.is_finite() && v > 0.0;
    let (bases, logs): (Vec<f64>, Vec<f64>) = base
        .iter()
        .zip(head)
        .filter(|&(&b, &h)| usable(b) && usable(h))
        .map(|(&b, &h)| (b, (h / b).ln()))
        .unzip();
    let n = logs.len();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mean = logs.iter().sum::<f64>() / nf;
    let var = logs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (nf - 1.0);
    let se = (var / nf).sqrt();
    let (t, p_value, half_width) = if se > 0.0 && se.is_finite() {
        let dist = StudentsT::new(0.0, 1.0, nf - 1.0).ok()?;
        let t = mean / se;
        let p = (2.0 * dist.sf(t.abs())).min(1.0);
        let q = dist.inverse_cdf(1.0 - alpha / 2.0);
        (t, p, q * se)
    } else if mean == 0.0 {
        (0.0, 1.0, 0.0)
    } else {
        (mean.signum() * f64::INFINITY, 0.0, 0.0)
    };
    Some(PairedEstimate {
        pairs: n,
        ratio: mean.exp(),
        ratio_ci: ((mean - half_width).exp(), (mean + half_width).exp()),
        p_value,
        t,
        drift_pct: relative_range_pct(&bases),
    })
}

/// The drift of a session from the base values of its operations: `series[j][k]` is
/// operation `j`'s metric in pair `k` on the base side (the same code in every pair, so any
/// movement is the machine's). Operations with a value that is not positive and finite in
/// some pair are left out. `None` when no operation is left or there are fewer than 2 pairs.
pub fn session_drift(series: &[Vec<f64>]) -> Option<SessionDrift> {
    let pairs = series.first()?.len();
    if pairs < 2 {
        return None;
    }
    let normalised: Vec<Vec<f64>> = series
        .iter()
        .filter(|s| s.len() == pairs && s.iter().all(|v| v.is_finite() && *v > 0.0))
        .map(|s| {
            let geo = (s.iter().map(|v| v.ln()).sum::<f64>() / pairs as f64).exp();
            s.iter().map(|v| v / geo).collect()
        })
        .collect();
    if normalised.is_empty() {
        return None;
    }
    let per_pair: Vec<f64> = (0..pairs)
        .map(|k| median(normalised.iter().map(|s| s[k]).collect()))
        .collect();
    Some(SessionDrift {
        range_pct: relative_range_pct(&per_pair),
        per_pair,
        operations: normalised.len(),
    })
}

/// `(max / min − 1) · 100` of positive values; 0 for fewer than 2.
fn relative_range_pct(values: &[f64]) -> f64 {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.len() < 2 || min <= 0.0 {
        return 0.0;
    }
    (max / min - 1.0) * 100.0
}

/// The median (mean of the middle two for an even count); `values` is not empty.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

impl PairedReport {
    /// The paired statistics of two sides whose runs are pairs: run `k` of `before` (base)
    /// was made next to run `k` of `after` (head), in the order `order` says. Operations are
    /// judged on `settings.metric` per run. `None` unless both sides have the same number of
    /// runs, 2 or more.
    pub fn from_profiles(
        before: &Profile,
        after: &Profile,
        settings: &Settings,
        order: &str,
    ) -> Option<PairedReport> {
        let runs = before.runs;
        if runs < 2 || after.runs != runs {
            return None;
        }
        let metric = settings.metric;
        let values = |p: &Profile, name: &str| -> Option<Vec<f64>> {
            let op = p.operations.get(name)?;
            (op.per_run.len() == runs as usize).then(|| {
                op.per_run
                    .iter()
                    .map(|r| run_value(metric, r).unwrap_or(f64::NAN))
                    .collect()
            })
        };
        let mut base_series = Vec::new();
        let mut operations = Vec::new();
        for name in before.operations.keys() {
            let Some(base) = values(before, name) else {
                continue;
            };
            if let Some(head) = values(after, name)
                && let Some(estimate) = paired_ratio(&base, &head, settings.alpha)
            {
                let (base_us, head_us) = geo_means(&base, &head);
                operations.push(PairedOp {
                    name: name.clone(),
                    base_us,
                    head_us,
                    estimate,
                });
            }
            base_series.push(base);
        }
        operations.sort_by(|a, b| {
            b.estimate
                .ratio
                .total_cmp(&a.estimate.ratio)
                .then(a.name.cmp(&b.name))
        });
        Some(PairedReport {
            pairs: runs,
            order: order.to_string(),
            metric: metric.as_str().to_string(),
            alpha: settings.alpha,
            threshold_pct: settings.threshold * 100.0,
            noise_floor_us: settings.noise_floor_us,
            drift: session_drift(&base_series),
            operations,
        })
    }
}

/// The metric in one run, as the comparison takes it.
fn run_value(metric: Metric, run: &crate::ops::RunFigures) -> Option<f64> {
    metric.of_run(run)
}

/// Geometric means of the pairs where both values are usable.
pub fn geo_means(base: &[f64], head: &[f64]) -> (f64, f64) {
    let usable = |v: f64| v.is_finite() && v > 0.0;
    let (mut lb, mut lh, mut n) = (0.0, 0.0, 0.0);
    for (&b, &h) in base.iter().zip(head) {
        if usable(b) && usable(h) {
            lb += b.ln();
            lh += h.ln();
            n += 1.0;
        }
    }
    ((lb / n).exp(), (lh / n).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors() -> Vec<Value> {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/vectors/paired.json"
        ))
        .expect("tests/fixtures/vectors/paired.json (generate_paired.py)");
        let v: Value = serde_json::from_str(&text).unwrap();
        v["cases"].as_array().unwrap().clone()
    }

    fn floats(v: &Value) -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    }

    fn close(a: f64, b: f64, what: &str) {
        let tol = 1e-9 * b.abs().max(1e-300) + 1e-12;
        assert!((a - b).abs() <= tol, "{what}: ours {a}, scipy {b}");
    }

    #[test]
    fn matches_scipy_t_test_on_log_ratios() {
        let cases = vectors();
        assert!(cases.len() >= 8, "the vectors file has its cases");
        for c in &cases {
            let name = c["name"].as_str().unwrap();
            let alpha = c["alpha"].as_f64().unwrap();
            let e = paired_ratio(&floats(&c["base"]), &floats(&c["head"]), alpha)
                .unwrap_or_else(|| panic!("{name}: no estimate"));
            assert_eq!(e.pairs as u64, c["pairs"].as_u64().unwrap(), "{name}");
            close(
                e.ratio,
                c["ratio"].as_f64().unwrap(),
                &format!("{name} ratio"),
            );
            close(e.t, c["t"].as_f64().unwrap(), &format!("{name} t"));
            close(e.p_value, c["p"].as_f64().unwrap(), &format!("{name} p"));
            let ci = floats(&c["ratio_ci"]);
            close(e.ratio_ci.0, ci[0], &format!("{name} ci low"));
            close(e.ratio_ci.1, ci[1], &format!("{name} ci high"));
            close(
                e.drift_pct,
                c["drift_pct"].as_f64().unwrap(),
                &format!("{name} drift"),
            );
        }
    }

    #[test]
    fn session_drift_matches_numpy() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/vectors/paired.json"
        ))
        .unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let d = &v["session_drift"];
        let series: Vec<Vec<f64>> = d["series"].as_array().unwrap().iter().map(floats).collect();
        let ours = session_drift(&series).unwrap();
        let per_pair = floats(&d["per_pair"]);
        assert_eq!(ours.per_pair.len(), per_pair.len());
        for (a, b) in ours.per_pair.iter().zip(&per_pair) {
            close(*a, *b, "per-pair level");
        }
        close(ours.range_pct, d["range_pct"].as_f64().unwrap(), "range");
        assert_eq!(ours.operations as u64, d["operations"].as_u64().unwrap());
    }

    #[test]
    fn degenerate_inputs() {
        // Fewer than 2 usable pairs: no test.
        assert!(paired_ratio(&[1.0], &[2.0], 0.01).is_none());
        assert!(paired_ratio(&[1.0, 0.0], &[2.0, 3.0], 0.01).is_none());
        // No spread: p is 1 for a ratio of 1, 0 otherwise; the interval is the point.
        let same = paired_ratio(&[2.0, 4.0], &[2.0, 4.0], 0.01).unwrap();
        assert_eq!((same.ratio, same.p_value), (1.0, 1.0));
        let double = paired_ratio(&[2.0, 4.0], &[4.0, 8.0], 0.01).unwrap();
        assert_eq!(double.p_value, 0.0);
        assert!((double.ratio - 2.0).abs() < 1e-12);
        assert_eq!(double.ratio_ci.0, double.ratio_ci.1);
        assert!((double.drift_pct - 100.0).abs() < 1e-9);
        // A session drift needs 2 pairs and an operation with positive values.
        assert!(session_drift(&[vec![1.0]]).is_none());
        assert!(session_drift(&[vec![1.0, 0.0]]).is_none());
    }

    /// A side of `runs.len()` runs where operation `name` has the p95 `runs[k]` in run `k`
    /// (0 for a run that did not call it).
    fn side(ops: &[(&str, &[f64])]) -> Profile {
        use crate::ops::{OpProfile, RunFigures};
        let runs = ops[0].1.len() as u32;
        let operations = ops
            .iter()
            .map(|(name, p95s)| {
                let per_run = p95s
                    .iter()
                    .map(|&p95_us| RunFigures {
                        count: u64::from(p95_us > 0.0),
                        p95_us,
                        ..RunFigures::default()
                    })
                    .collect();
                let op = OpProfile {
                    per_run,
                    ..OpProfile::default()
                };
                (name.to_string(), op)
            })
            .collect();
        Profile {
            runs,
            operations,
            ..Profile::default()
        }
    }

    #[test]
    fn every_operation_of_both_sides_is_tested_on_its_pairs() {
        let base = side(&[
            ("fast", &[100.0, 200.0, 400.0]),
            ("same", &[50.0, 60.0, 70.0]),
            ("gone", &[10.0, 10.0, 10.0]),
        ]);
        let head = side(&[
            ("fast", &[110.0, 220.0, 440.0]),
            // Not called in the second run: 2 pairs left.
            ("same", &[50.0, 0.0, 70.0]),
        ]);
        let settings = Settings::default();
        let r = PairedReport::from_profiles(&base, &head, &settings, "ABBA").unwrap();
        assert_eq!(
            (r.pairs, r.order.as_str(), r.metric.as_str()),
            (3, "ABBA", "p95")
        );
        let names: Vec<&str> = r.operations.iter().map(|o| o.name.as_str()).collect();
        // Largest ratio first; `gone` has no head side.
        assert_eq!(names, ["fast", "same"]);
        let fast = &r.operations[0];
        assert!((fast.estimate.ratio - 1.1).abs() < 1e-12);
        assert_eq!(fast.estimate.pairs, 3);
        // Geometric means of 100, 200, 400 and of 110, 220, 440.
        assert!((fast.base_us - 200.0).abs() < 1e-9);
        assert!((fast.head_us - 220.0).abs() < 1e-9);
        let same = &r.operations[1];
        assert_eq!((same.estimate.pairs, same.estimate.ratio), (2, 1.0));
        assert!((same.base_us - (50.0_f64 * 70.0).sqrt()).abs() < 1e-9);
        // The drift is taken over the base side of every operation, `gone` included.
        assert_eq!(r.drift.unwrap().operations, 3);
        // Pairs need the same number of runs on both sides, 2 or more.
        let short = side(&[("fast", &[110.0, 220.0])]);
        assert!(PairedReport::from_profiles(&base, &short, &settings, "AB").is_none());
        let one = side(&[("fast", &[110.0])]);
        assert!(PairedReport::from_profiles(&one, &one, &settings, "AB").is_none());
    }

    #[test]
    fn without_spread_the_t_statistic_is_zero_or_infinite_in_the_direction_of_the_change() {
        // Every pair has the same ratio: the t statistic a user reads in the JSON is 0 for no
        // change and ±∞ for a change (never NaN), in the direction the head moved.
        let same = paired_ratio(&[2.0, 4.0], &[2.0, 4.0], 0.01).unwrap();
        assert_eq!(same.t, 0.0);
        let slower = paired_ratio(&[2.0, 4.0], &[4.0, 8.0], 0.01).unwrap();
        assert_eq!((slower.t, slower.p_value), (f64::INFINITY, 0.0));
        let faster = paired_ratio(&[2.0, 4.0], &[1.0, 2.0], 0.01).unwrap();
        assert_eq!((faster.t, faster.p_value), (f64::NEG_INFINITY, 0.0));
        assert!((faster.ratio - 0.5).abs() < 1e-12);
    }

    #[test]
    fn the_session_drift_of_two_pairs_is_the_median_over_an_odd_number_of_operations() {
        // Each series over its geometric mean: a 1, 4 → 0.5, 2; b → 1, 1; c 1, 9 → 1/3, 3;
        // d → 1, 1; e 1, 16 → 0.25, 4. Medians of five: pair 1 is 0.5, pair 2 is 2; the base
        // side moved 4×, a range of 300 %.
        let series = [
            vec![1.0, 4.0],
            vec![1.0, 1.0],
            vec![1.0, 9.0],
            vec![3.0, 3.0],
            vec![1.0, 16.0],
        ];
        let d = session_drift(&series).unwrap();
        assert_eq!(d.operations, 5);
        assert_eq!(d.per_pair.len(), 2);
        assert!((d.per_pair[0] - 0.5).abs() < 1e-12, "{d:?}");
        assert!((d.per_pair[1] - 2.0).abs() < 1e-12, "{d:?}");
        assert!((d.range_pct - 300.0).abs() < 1e-9, "{d:?}");
    }

    #[test]
    fn two_pairs_are_enough_and_the_report_carries_the_settings() {
        let base = side(&[("fast", &[100.0, 200.0])]);
        let head = side(&[("fast", &[150.0, 300.0])]);
        let settings = Settings {
            threshold: 0.25,
            alpha: 0.05,
            noise_floor_us: 250.0,
            ..Settings::default()
        };
        let r = PairedReport::from_profiles(&base, &head, &settings, "AB").unwrap();
        assert_eq!(r.pairs, 2);
        assert_eq!(r.operations.len(), 1);
        assert!((r.operations[0].estimate.ratio - 1.5).abs() < 1e-12);
        assert_eq!((r.alpha, r.noise_floor_us), (0.05, 250.0));
        assert!(
            (r.threshold_pct - 25.0).abs() < 1e-12,
            "{}",
            r.threshold_pct
        );
    }

    #[test]
    fn drift_between_pairs_cancels() {
        // The machine doubles its speed halfway; head is 10 % slower in every pair. A
        // two-sample view would see overlapping runs; the pairs see 1.1 exactly.
        let base = [100.0, 101.0, 50.0, 51.0, 100.5];
        let head: Vec<f64> = base.iter().map(|b| b * 1.1).collect();
        let e = paired_ratio(&base, &head, 0.01).unwrap();
        assert!((e.ratio - 1.1).abs() < 1e-9);
        assert!(e.p_value < 1e-6 || e.p_value == 0.0);
        assert!(e.drift_pct > 100.0);
    }
}
