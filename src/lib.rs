//! perfgate: a performance gate for CI over Chrome Trace Event Format traces.
//!
//! The pipeline flows one way (docs/architecture.md): [`trace`] (bytes → spans) → [`ops`]
//! (call trees, operations, statistics) → budgets, detectors, comparison → [`outcome`] (the
//! report model) → [`report`] (one renderer per format).
//! [`commands`] wires the stages for each subcommand; [`cli`] only defines the arguments.

mod atomic;
pub mod baseline;
pub mod budget;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod detect;
pub mod hook;
pub mod ops;
pub mod outcome;
pub mod record;
pub mod report;
pub mod trace;
pub mod units;
