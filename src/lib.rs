//! perfgate: a performance gate for CI over Chrome Trace Event Format traces.
//!
//! The pipeline flows one way (docs/architecture.md): `trace` (bytes → spans) → `ops`
//! (call trees, operations, statistics) → budgets, detectors, comparison → `outcome` (the
//! report model) → `report` (one renderer per format).
//! [`commands`] wires the stages for each subcommand; [`cli`] only defines the arguments.

mod atomic;
pub(crate) mod baseline;
pub(crate) mod budget;
pub mod cli;
pub mod commands;
pub(crate) mod compare;
pub(crate) mod config;
pub(crate) mod detect;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod hook;
pub mod log;
pub(crate) mod ops;
pub(crate) mod outcome;
pub(crate) mod record;
pub(crate) mod report;
pub(crate) mod threads;
pub(crate) mod trace;
pub(crate) mod units;
