//! perfgate: a performance gate for CI over Chrome Trace Event Format traces.
//!
//! The pipeline flows one way (see DESIGN in the docs):
//! [`trace`] (bytes → spans) → [`ops`] (call trees, operations, statistics) →
//! budgets, detectors, comparison → [`report`] (one model, one renderer per format).
//! [`commands`] wires the stages for each subcommand; [`cli`] only defines the arguments.

pub mod baseline;
pub mod budget;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod hook;
pub mod ops;
pub mod record;
pub mod report;
pub mod trace;
pub mod units;
