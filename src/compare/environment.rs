//! How much faster or slower the whole run was, estimated from the trace itself: the median,
//! over the operations with enough calls and self time on both sides, of the ratio of their
//! self time per call. A machine-wide slowdown (a slower runner, another job on it) moves
//! every operation's own time alike; a code change moves a few.
//!
//! The verdict harness (benches/verdict/RESULTS.md) found the estimate too noisy to adjust
//! the judgement by (it never sees time-slicing contention, and adjusting by it made
//! sleep-bound operations fail on idle A/A pairs), so it is reported only: beyond 2× either
//! way the report says the run as a whole was slower or faster. (At 1.25× it said so of 55 %
//! of the harness's idle same-code pairs: the own time of small functions, mostly the tracer's
//! per-call cost, doubled between idle runs. At 2× it says so of 2.5 %; at no bar does it tell
//! CPU contention from noise.)
//!
//! What the trace cannot tell, the kernel can: [`measured`] takes the share of the CPU each
//! run asked for that it got (the scheduler records `perfgate record` writes beside its
//! traces, `trace::schedstat`). When the after side got less, its durations are judged
//! divided by the CPU it lacked; never the other way (docs/compare.md, rule 7).

use crate::ops::Profile;
use crate::outcome::{Environment, MeasuredEnvironment};

/// The after side is judged relative to the measured environment only when it got at least
/// this much less CPU than the before side: below it the two are the same environment (the
/// records are sampled every 100 ms).
const MIN_SCALE: f64 = 1.05;

/// Fewest operations the estimate is taken over.
const MIN_OPERATIONS: usize = 3;
/// Self time per call below this measures the tracer, not the code (µs).
const MIN_SELF_US: f64 = 1.0;
/// From this ratio (either way) the drift is worth a sentence in the report.
const NOTABLE: f64 = 2.0;

/// The drift from `before` to `after`; `None` with fewer than [`MIN_OPERATIONS`] operations.
pub fn estimate(
    before: &Profile,
    after: &Profile,
    min_calls_per_run: usize,
) -> Option<Environment> {
    let per_call_self = |p: &Profile, key: &str| -> Option<f64> {
        let op = p.operations.get(key)?;
        let calls_per_run = op.count as f64 / f64::from(p.runs.max(1));
        let v = op.self_us / op.count.max(1) as f64;
        (calls_per_run >= min_calls_per_run as f64 && v >= MIN_SELF_US).then_some(v)
    };
    let mut logs: Vec<f64> = before
        .operations
        .keys()
        .filter_map(|k| Some((per_call_self(after, k)? / per_call_self(before, k)?).ln()))
        .collect();
    if logs.len() < MIN_OPERATIONS {
        return None;
    }
    logs.sort_unstable_by(f64::total_cmp);
    let ratio = crate::ops::percentile(&logs, 0.5).exp();
    Some(Environment {
        ratio,
        operations: logs.len(),
        notable: ratio >= NOTABLE || ratio <= 1.0 / NOTABLE,
    })
}

/// The environment measured beside both sides' traces; `None` unless every run of both sides
/// has a record, and with `paired` (pairs cancel what the machine did between them; the
/// paired report says how much it drifted).
pub fn measured(before: &Profile, after: &Profile, paired: bool) -> Option<MeasuredEnvironment> {
    if paired {
        return None;
    }
    let geometric_mean = |p: &Profile| -> Option<f64> {
        let shares = &p.run_shares;
        let complete = !shares.is_empty() && shares.len() == p.runs as usize;
        complete.then(|| (shares.iter().map(|s| s.ln()).sum::<f64>() / shares.len() as f64).exp())
    };
    let (b, a) = (geometric_mean(before)?, geometric_mean(after)?);
    let scale = b / a;
    Some(MeasuredEnvironment {
        before_run_share: b,
        after_run_share: a,
        after_scale: if scale >= MIN_SCALE { scale } else { 1.0 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::OpProfile;

    /// A side of one run whose operations `(name, calls, self time µs)`.
    fn side(ops: &[(&str, u64, f64)]) -> Profile {
        Profile {
            runs: 1,
            operations: ops
                .iter()
                .map(|&(name, count, self_us)| {
                    let op = OpProfile {
                        count,
                        self_us,
                        ..OpProfile::default()
                    };
                    (name.to_string(), op)
                })
                .collect(),
            ..Profile::default()
        }
    }

    #[test]
    fn the_drift_is_the_median_ratio_of_own_time_per_call() {
        // Own time per call: a 10 → 20 (2×), b 20 → 20, c 40 → 100 (2.5×): median 2.
        let before = side(&[("a", 5, 50.0), ("b", 5, 100.0), ("c", 5, 200.0)]);
        let after = side(&[("a", 5, 100.0), ("b", 5, 200.0), ("c", 5, 500.0)]);
        let e = estimate(&before, &after, 5).unwrap();
        assert!((e.ratio - 2.0).abs() < 1e-12, "{e:?}");
        assert_eq!(e.operations, 3);
        assert!(e.notable, "2× is the least notable drift");
        // The other way: 1 / 2 = 0.5 is notable too.
        let e = estimate(&after, &before, 5).unwrap();
        assert!((e.ratio - 0.5).abs() < 1e-12 && e.notable, "{e:?}");
        // 1.9× is not.
        let e = estimate(
            &before,
            &side(&[("a", 5, 95.0), ("b", 5, 190.0), ("c", 5, 380.0)]),
            5,
        );
        assert!(!e.unwrap().notable);
        // Fewer than 5 calls per run, or under 1 µs of own time per call: left out, and
        // with two operations left there is no estimate.
        let few = side(&[("a", 4, 50.0), ("b", 5, 100.0), ("c", 5, 200.0)]);
        assert!(estimate(&few, &after, 5).is_none());
        let tiny = side(&[("a", 5, 4.9), ("b", 5, 100.0), ("c", 5, 200.0)]);
        assert!(estimate(&tiny, &after, 5).is_none());
        // Exactly 1 µs a call is enough.
        let one = side(&[("a", 5, 5.0), ("b", 5, 100.0), ("c", 5, 200.0)]);
        assert_eq!(estimate(&one, &after, 5).unwrap().operations, 3);
        // A small drift is not notable.
        let e = estimate(
            &before,
            &side(&[("a", 5, 55.0), ("b", 5, 110.0), ("c", 5, 220.0)]),
            5,
        );
        assert!(!e.unwrap().notable);
    }

    #[test]
    fn calls_per_run_divide_by_the_runs_and_a_small_speedup_is_not_notable() {
        // Two runs a side: 8 calls are 4 a run, fewer than 5, so `a` is left out and two
        // operations are not enough for an estimate.
        let two_runs = |ops: &[(&str, u64, f64)]| Profile {
            runs: 2,
            ..side(ops)
        };
        let before = two_runs(&[("a", 8, 80.0), ("b", 10, 100.0), ("c", 10, 200.0)]);
        let after = two_runs(&[("a", 8, 80.0), ("b", 10, 90.0), ("c", 10, 180.0)]);
        assert!(estimate(&before, &after, 5).is_none());
        // With 10 calls (5 a run) it counts: every operation 10 % faster, 0.9×, within
        // what the report leaves unsaid.
        let before = two_runs(&[("a", 10, 100.0), ("b", 10, 100.0), ("c", 10, 200.0)]);
        let after = two_runs(&[("a", 10, 90.0), ("b", 10, 90.0), ("c", 10, 180.0)]);
        let e = estimate(&before, &after, 5).unwrap();
        assert_eq!(e.operations, 3);
        assert!((e.ratio - 0.9).abs() < 1e-12, "{e:?}");
        assert!(!e.notable, "{e:?}");
    }

    /// A side of `shares.len()` runs with these scheduler records (no operations).
    fn measured_side(runs: u32, shares: &[f64]) -> Profile {
        Profile {
            runs,
            run_shares: shares.to_vec(),
            ..Profile::default()
        }
    }

    #[test]
    fn the_after_side_is_judged_relative_to_the_cpu_it_lacked_never_the_other_way() {
        // Before got the whole CPU, after half of it in both runs: its durations are judged
        // divided by 2. Geometric means: before √(1 × 0.81) = 0.9, after √(0.5 × 0.32) = 0.4.
        let quiet = measured_side(2, &[1.0, 0.81]);
        let contended = measured_side(2, &[0.5, 0.32]);
        let m = measured(&quiet, &contended, false).unwrap();
        assert!((m.before_run_share - 0.9).abs() < 1e-12, "{m:?}");
        assert!((m.after_run_share - 0.4).abs() < 1e-12, "{m:?}");
        assert!((m.after_scale - 2.25).abs() < 1e-12, "{m:?}");
        // The before side busier: the after side is judged as traced (a slowdown is never
        // made out of the before side's contention).
        let m = measured(&contended, &quiet, false).unwrap();
        assert_eq!(m.after_scale, 1.0, "{m:?}");
        // Less than 5 % apart: the same environment.
        let m = measured(
            &measured_side(1, &[1.0]),
            &measured_side(1, &[0.953]),
            false,
        );
        assert_eq!(m.unwrap().after_scale, 1.0);
        let m = measured(&measured_side(1, &[1.0]), &measured_side(1, &[0.95]), false);
        assert!((m.unwrap().after_scale - 1.0 / 0.95).abs() < 1e-12);
        // Paired sides cancel the machine's drift by themselves; a run without a record
        // leaves the environment unmeasured.
        assert_eq!(measured(&quiet, &contended, true), None);
        assert_eq!(measured(&quiet, &measured_side(2, &[0.5]), false), None);
        assert_eq!(measured(&measured_side(1, &[]), &contended, false), None);
    }
}
