//! `perfgate check`: the traces against budgets.toml (bands per budget, red-flag detectors),
//! with a verdict and an exit code.

use crate::budget;
use crate::cli::{CheckArgs, FailOnArg};
use crate::ops::Catalog;
use crate::report::{BudgetStatus, CommandKind, RenderOptions, Report, Verdict};

use super::{Outcome, load, output};

pub fn run(args: CheckArgs, color: bool) -> anyhow::Result<Outcome> {
    // The budgets first: a configuration error should not wait for a large trace.
    let mut config = budget::load(&args.budgets)?;
    config.require_match |= args.require_match;
    let mut catalog = Catalog::new(load::key_mode(args.input.key));
    let (trees, inputs) = load::load_trees(&args.input.traces, &mut catalog, None)?;
    let evaluation = budget::evaluate(&config, &trees, &catalog);
    warn_unmatched(&evaluation.budgets, &config.path);
    let mut report = Report::new(CommandKind::Check);
    report.inputs = inputs;
    report.budgets = evaluation.budgets;
    report.findings = evaluation.findings;
    let verdict = report.computed_verdict();
    report.verdict = Some(verdict);
    let options = RenderOptions {
        color,
        width: Some(output::terminal_width()),
        top: None,
    };
    output::print(&report, output::format(args.format), &options)?;
    Ok(outcome(verdict, args.fail_on))
}

/// A budget that checks nothing is a bug users do not notice: say so on stderr too.
fn warn_unmatched(budgets: &[crate::report::BudgetResult], path: &str) {
    for b in budgets.iter().filter(|b| b.status == BudgetStatus::NoMatch) {
        eprintln!(
            "perfgate: warning: {path}: budget \"{}\" matched no call in the traces; check its operation pattern (see `perfgate summary`)",
            b.name
        );
    }
}

fn outcome(verdict: Verdict, fail_on: FailOnArg) -> Outcome {
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
