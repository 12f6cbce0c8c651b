//! `perfgate record`: base and head traced side by side on one machine, in one session.
//!
//! - [`config`]: the `[record]` section of budgets.toml;
//! - [`worktree`]: the base revision in a temporary git worktree, removed afterwards;
//! - [`session`]: the runs, warm-up first, then pairs in `ABBA…` order;
//! - [`schedstat`]: how much CPU each run got, written beside its trace.
//!
//! The traces are compared by the ordinary compare pipeline
//! (`commands::compare::run_with`), with the paired statistics of
//! [`crate::compare::paired`] added to the report.

pub mod config;
pub mod schedstat;
pub mod session;
pub mod worktree;
