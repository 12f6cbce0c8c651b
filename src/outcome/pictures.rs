//! What the pictures draw: the call paths of a flame graph, the call durations of each cause
//! of a comparison (the HTML report's distribution plots), and the call paths under the slowest
//! calls of one operation (`summary --tree`).
//!
//! Written by the analysis stages only when an output asks for them, bounded in size (a few
//! thousand frames, a few hundred durations), and left out of the JSON report.

pub use crate::ops::callpaths::{CallPathFrame, CallPathTable};
pub use crate::ops::slowest::SlowestCalls;

/// The data of the pictures of one report; empty unless an output draws them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pictures {
    /// The call paths of the traces (summary, check), or of both sides of a comparison (the
    /// after side's paths, with the before side's figures on the same paths).
    pub call_paths: Option<CallPathTable>,
    /// Why there are no call paths when an output wanted them (a side read from a baseline,
    /// which keeps no call trees).
    pub call_paths_missing: Option<String>,
    /// The call durations of each cause of a comparison, before and after, in the order of
    /// the causes.
    pub distributions: Vec<Distribution>,
    /// `summary --tree NAME`: the call paths under the slowest calls of the operation.
    pub slowest: Option<SlowestCalls>,
}

/// The call durations of one operation on both sides, as evenly spaced quantiles (every call
/// when there are few): enough for a histogram or a box plot, bounded in size.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    pub operation: String,
    /// Calls on each side.
    pub before_calls: u64,
    pub after_calls: u64,
    /// Durations, µs, ascending.
    pub before_us: Vec<f64>,
    pub after_us: Vec<f64>,
}

/// The most durations a [`Distribution`] keeps per side.
pub const DISTRIBUTION_POINTS: usize = 256;

impl Distribution {
    /// The distribution of sorted durations, thinned to at most [`DISTRIBUTION_POINTS`]
    /// evenly spaced quantiles per side (the first and last kept).
    pub fn of(operation: &str, before_sorted: &[f64], after_sorted: &[f64]) -> Distribution {
        Distribution {
            operation: operation.to_string(),
            before_calls: before_sorted.len() as u64,
            after_calls: after_sorted.len() as u64,
            before_us: thin(before_sorted),
            after_us: thin(after_sorted),
        }
    }
}

/// At most [`DISTRIBUTION_POINTS`] values of a sorted slice, evenly spaced by rank.
fn thin(sorted: &[f64]) -> Vec<f64> {
    if sorted.len() <= DISTRIBUTION_POINTS {
        return sorted.to_vec();
    }
    let last = (sorted.len() - 1) as f64;
    (0..DISTRIBUTION_POINTS)
        .map(|k| {
            let rank = k as f64 * last / (DISTRIBUTION_POINTS - 1) as f64;
            sorted[rank.round() as usize]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_distribution_keeps_few_calls_whole_and_thins_many_keeping_the_extremes() {
        let few: Vec<f64> = (0..10).map(f64::from).collect();
        let d = Distribution::of("op", &few, &few);
        assert_eq!(d.before_us, few);
        let many: Vec<f64> = (0..100_000).map(f64::from).collect();
        let d = Distribution::of("op", &few, &many);
        assert_eq!(d.after_calls, 100_000);
        assert_eq!(d.after_us.len(), DISTRIBUTION_POINTS);
        assert_eq!(d.after_us[0], 0.0);
        assert_eq!(*d.after_us.last().unwrap(), 99_999.0);
        assert!(
            (d.after_us[128] - 50_195.0).abs() < 200.0,
            "{}",
            d.after_us[128]
        );
    }
}
