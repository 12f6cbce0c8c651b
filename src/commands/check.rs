//! `perfgate check`: the traces against budgets.toml (bands per budget, red-flag detectors),
//! with a verdict and an exit code.

use crate::budget;
use crate::cli::CheckArgs;
use crate::config::{self, Config};
use crate::ops::callpaths::{CallPaths, PathSide, TableLimits};
use crate::outcome::{BudgetStatus, CommandKind, Report};

use super::output::{self, OutputSettings};
use super::{Outcome, load};

pub fn run(args: CheckArgs, color: bool) -> anyhow::Result<Outcome> {
    // The budgets and output settings first: a configuration error should not wait for a
    // large trace.
    let settings = OutputSettings::resolve(&args.output, color, None)?;
    let mut config = config::load(&args.budgets)?;
    config.require_match |= args.require_match;
    refuse_an_empty_gate(&config)?;
    let scope = load::scope(&args.input.scope, Some(&config))?;
    let mut catalog = load::catalog(args.input.key, scope);
    let (trees, inputs) = load::load_trees(&args.input.traces, &mut catalog, None)?;
    load::note_scope(&catalog);
    let evaluation = budget::evaluate(&config, &trees, &catalog);
    if let Some(note) = config.detectors.sampled_note(&trees) {
        crate::log::say!("perfgate: note: {note}");
    }
    warn_unmatched(&evaluation.budgets, &config.path);
    let mut report = Report::new(CommandKind::Check);
    report.inputs = inputs;
    if args.allow_incomplete {
        load::allow_incomplete(&mut report.inputs);
    }
    report.budgets = evaluation.budgets;
    report.findings = evaluation.findings;
    report.memory = load::memory(&trees, &catalog);
    if settings.draws_call_paths() {
        let paths = CallPaths::of(&trees, PathSide::After);
        report.pictures.call_paths = Some(paths.table(&catalog, TableLimits::DEFAULT));
    }
    let verdict = report.computed_verdict();
    report.verdict = Some(verdict);
    output::emit(&report, &settings)?;
    Ok(Outcome::from_verdict(verdict, args.fail_on))
}

/// A budgets file that checks nothing would pass every trace: an error, not a green build.
/// One with detectors but no budget is allowed (red flags only), with a note.
fn refuse_an_empty_gate(config: &Config) -> anyhow::Result<()> {
    if !config.budgets.is_empty() {
        return Ok(());
    }
    if !config.detectors.any_enabled() {
        anyhow::bail!(
            "{}: nothing to check: no [[budget]] and every detector is disabled; add a budget \
             (see docs/budgets.md) or enable a detector",
            config.path
        );
    }
    crate::log::say!(
        "perfgate: note: {}: no [[budget]] defined; only the red-flag detectors ran",
        config.path
    );
    Ok(())
}

/// A budget that checks nothing is a bug users do not notice: say so on stderr too.
fn warn_unmatched(budgets: &[crate::outcome::BudgetResult], path: &str) {
    for b in budgets.iter() {
        let suggestion = crate::report::text::did_you_mean(b);
        if b.status == BudgetStatus::NoMatch {
            crate::log::say!(
                "perfgate: warning: {path}: budget \"{}\" matched no call in the traces{suggestion}; check its operation pattern (see `perfgate summary`)",
                b.name
            );
        } else if !suggestion.is_empty() {
            // A count budget of a name never called reads 0 calls: right for dead code, wrong
            // for a typo.
            crate::log::say!(
                "perfgate: note: {path}: budget \"{}\" counts 0 calls of \"{}\"{suggestion}",
                b.name,
                b.pattern
            );
        }
    }
}
