//! The call durations of each root cause on both sides, thinned to a bounded number of
//! quantiles: what the HTML report's before/after distribution plots draw.

use crate::ops::Profile;
use crate::outcome::Cause;
use crate::outcome::pictures::Distribution;

/// One [`Distribution`] per cause, in the causes' order; a cause whose operation one side
/// lacks gets an empty side.
pub fn of_causes(causes: &[Cause], before: &Profile, after: &Profile) -> Vec<Distribution> {
    causes
        .iter()
        .map(|cause| {
            let ((b, b_calls), (a, a_calls)) = (
                side(before, &cause.operation),
                side(after, &cause.operation),
            );
            // A baseline keeps a sample of the durations: the counts are the calls'.
            Distribution {
                before_calls: b_calls,
                after_calls: a_calls,
                ..Distribution::of(&cause.operation, b, a)
            }
        })
        .collect()
}

/// The sorted durations and the call count of `operation` on one side (none when absent).
fn side<'a>(profile: &'a Profile, operation: &str) -> (&'a [f64], u64) {
    profile
        .operations
        .get(operation)
        .map_or((&[][..], 0), |o| (o.durations_us.as_slice(), o.count))
}
