//! One function per command, dispatched by a match. Each resolves its clap arguments into
//! settings, runs the pipeline (read → operations → evaluate → report), and hands the report
//! to `output`.

pub(crate) mod baseline;
mod check;
pub(crate) mod compare;
mod docs;
mod hook;
mod init;
pub(crate) mod load;
pub(crate) mod output;
mod record;
mod summary;

use crate::cli::{Cli, Command, FailOnArg};
use crate::outcome::Verdict;

/// What a command decided, mapped to the process exit code by `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Pass,
    /// Exit 1: the gate failed.
    GateFailed,
}

impl Outcome {
    /// The outcome of a gate: failed when the verdict reaches the `--fail-on` level.
    pub fn from_verdict(verdict: Verdict, fail_on: FailOnArg) -> Outcome {
        let threshold = match fail_on {
            FailOnArg::Warn => Verdict::Warn,
            FailOnArg::Fail => Verdict::Fail,
        };
        if verdict >= threshold {
            Outcome::GateFailed
        } else {
            Outcome::Pass
        }
    }
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
        Command::Record(args) => record::run(args, color),
        Command::Init(args) => init::run(args),
        Command::Completions(args) => docs::completions(args.shell),
        Command::Man => docs::man(),
        Command::Schema => docs::schema(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_fails_from_the_fail_on_level_up() {
        use Outcome::{GateFailed, Pass};
        let cases = [
            (Verdict::Pass, FailOnArg::Fail, Pass),
            (Verdict::Warn, FailOnArg::Fail, Pass),
            (Verdict::Fail, FailOnArg::Fail, GateFailed),
            (Verdict::Pass, FailOnArg::Warn, Pass),
            (Verdict::Warn, FailOnArg::Warn, GateFailed),
            (Verdict::Fail, FailOnArg::Warn, GateFailed),
        ];
        for (verdict, fail_on, want) in cases {
            assert_eq!(
                Outcome::from_verdict(verdict, fail_on),
                want,
                "{verdict:?} with --fail-on {fail_on:?}"
            );
        }
    }
}
