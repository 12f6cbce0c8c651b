//! Memory before and after, as `compare` reports it: garbage collection per run and each
//! counter series on both sides. Informational: no severity comes from here (collection
//! counts move with allocation, their durations with the machine); a `gc` or `counter`
//! budget on the after side is what gates memory.

use serde::Serialize;

use super::CounterSummary;

/// Garbage collection and counter series of both sides; in a comparison when either side
/// recorded one.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MemoryChange {
    /// Garbage collection (viztracer `--log_gc`) per run; absent when neither side recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gc: Option<GcChange>,
    /// Every counter series of either side but garbage collection's, in order of first sight.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub counters: Vec<CounterChange>,
}

/// Garbage collection per run on each side; a side is `null` when it was not traced with
/// `--log_gc` (or is a baseline, which keeps no collections).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct GcChange {
    pub before: Option<GcFigures>,
    pub after: Option<GcFigures>,
}

/// One side's garbage collection, per run (a side of several traces is averaged).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct GcFigures {
    pub collections_per_run: f64,
    /// Time spent collecting per run, µs.
    pub total_us_per_run: f64,
    /// The longest collection of the side, µs.
    pub max_us: f64,
    /// Objects freed per run.
    pub collected_per_run: f64,
}

/// One counter series on each side (`null` where the side has no sample of it).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CounterChange {
    pub name: String,
    pub before: Option<CounterSummary>,
    pub after: Option<CounterSummary>,
}
