//! One function per command, dispatched by a match. Each resolves its clap arguments into
//! settings, runs the pipeline (read → operations → evaluate → report), and hands the report
//! to [`output`].

pub mod baseline;
mod check;
pub mod compare;
mod hook;
pub mod load;
pub mod output;
mod summary;

use crate::cli::{Cli, Command};

/// What a command decided, mapped to the process exit code by `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Pass,
    /// Exit 1: the gate failed.
    GateFailed,
}

/// Runs the command line. Errors are usage, configuration or input errors (exit 2).
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let color = output::resolve_color(cli.color);
    match cli.command {
        Command::Summary(args) => summary::run(args, color),
        Command::Compare(args) => compare::run(args, color),
        Command::Check(args) => check::run(args, color),
        Command::Baseline(cmd) => baseline::run(cmd),
        Command::Hook(cmd) => hook::run(cmd),
    }
}
