//! How much faster or slower the whole run was, estimated from the trace itself: the median,
//! over the operations with enough calls and self time on both sides, of the ratio of their
//! self time per call. A machine-wide slowdown (a slower runner, another job on it) moves
//! every operation's own time alike; a code change moves a few.
//!
//! The verdict harness (benches/verdict/RESULTS.md) found the estimate too noisy to adjust
//! the judgement by (it never sees time-slicing contention, and adjusting by it made
//! sleep-bound operations fail on idle A/A pairs), so it is reported only: beyond 1.25× either
//! way the report says the run as a whole was slower or faster.

use crate::ops::Profile;
use crate::outcome::Environment;

/// Fewest operations the estimate is taken over.
const MIN_OPERATIONS: usize = 3;
/// Self time per call below this measures the tracer, not the code (µs).
const MIN_SELF_US: f64 = 1.0;
/// From this ratio (either way) the drift is worth a sentence in the report.
const NOTABLE: f64 = 1.25;

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
