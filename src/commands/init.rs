//! `perfgate init`: a starter budgets.toml from traces. The heaviest operations of the
//! project's own code get a budget with bands from their observed figures plus headroom
//! (`config::starter` writes the text); the text is then read back and evaluated on the same
//! traces, so what is written is accepted by `check` and passes it.

use std::path::Path;

use anyhow::{Context, bail};

use crate::budget::{self, Evaluation};
use crate::cli::InitArgs;
use crate::config::starter::{self, Observed, Starter};
use crate::config::{self, Config};
use crate::ops::table::build_table;
use crate::ops::{CallTree, Catalog, OpFilter, OpStats, Origin, SortKey};
use crate::outcome::{BudgetStatus, FindingKind};
use crate::units::parse_percent;

use super::{Outcome, load};

pub fn run(args: InitArgs) -> anyhow::Result<Outcome> {
    let to_stdout = args.output == "-";
    let path = Path::new(&args.output);
    // Before reading a large trace: the one thing that makes init refuse.
    if !to_stdout && path.exists() {
        bail!(
            "{}: the file exists already; perfgate init never replaces it (remove it, or write \
             elsewhere with -o FILE)",
            path.display()
        );
    }
    let headroom_pct =
        parse_percent(&args.headroom).map_err(|e| anyhow::anyhow!("--headroom: {e}"))?;
    if args.top == 0 {
        bail!("--top 0 writes no budget; give at least 1");
    }
    let scope = load::scope(&args.input.scope, None)?;
    let mut catalog = load::catalog(args.input.key, scope);
    let traces = load::expand_args(&args.input.traces)?;
    let (trees, _) = load::load_paths(&traces, &mut catalog, None)?;
    let mut budgets = heaviest_own_operations(&trees, &catalog, args.top)?;
    let (text, evaluation) = checked_text(&traces, headroom_pct, &mut budgets, &trees, &catalog)?;
    note_red_flags(&evaluation);
    if to_stdout {
        print!("{text}");
    } else {
        write_new(path, &text)?;
        eprintln!(
            "perfgate: wrote {} with {} budget(s) ({}) and the detectors' defaults; try it: \
             perfgate check --budgets {} {}",
            path.display(),
            budgets.len(),
            budgets
                .iter()
                .map(|b| b.function.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            path.display(),
            traces.join(" ")
        );
    }
    Ok(Outcome::Pass)
}

/// The `top` operations of the project's own code with the most total time; frames that are
/// not functions of the code (`<module>`, `<listcomp>`, `<lambda>`) are left out.
fn heaviest_own_operations(
    trees: &[CallTree],
    catalog: &Catalog,
    top: usize,
) -> anyhow::Result<Vec<Observed>> {
    let rows = build_table(trees, catalog, &OpFilter::default(), SortKey::Total);
    let own: Vec<Observed> = rows
        .iter()
        .filter(|r| r.origin == Origin::Own && !r.function.starts_with('<'))
        .take(top)
        .map(observed)
        .collect();
    if own.is_empty() {
        bail!(
            "the traces have no operation of your own code ({} operations, each a library's or \
             without a source file); perfgate init writes budgets for your code: trace it with \
             a tracer that records source files (viztracer), or write budgets.toml by hand \
             (docs/budgets.md)",
            rows.len()
        );
    }
    Ok(own)
}

fn observed(row: &OpStats) -> Observed {
    Observed {
        function: row.function.clone(),
        file: row.file.as_deref().map(str::to_string),
        p95_us: row.p95_us,
        max_us: row.max_us,
        calls: row.count,
        total_us: row.total_us,
    }
}

/// The starter text, read back as `check` reads it and evaluated on the same traces. A
/// budget's pattern may pool more calls than the one operation it was made from (the same
/// function and file name elsewhere): its figures are then taken from the evaluation and the
/// text written once more. Every budget must end on target, and no call above a flag.
fn checked_text(
    traces: &[String],
    headroom_pct: f64,
    budgets: &mut [Observed],
    trees: &[CallTree],
    catalog: &Catalog,
) -> anyhow::Result<(String, Evaluation)> {
    for _attempt in 0..2 {
        let text = starter::render(&Starter {
            traces,
            headroom_pct,
            budgets,
        });
        let config = config::parse(&text, "the starter budgets.toml")
            .context("perfgate init wrote a budgets file it cannot read (a bug)")?;
        let evaluation = budget::evaluate(&config, trees, catalog);
        if passes(&evaluation) {
            return Ok((text, evaluation));
        }
        widen_to_evaluation(budgets, &config, &evaluation);
    }
    bail!("perfgate init could not set bands that the traces pass (a bug); please report it")
}

/// Every budget on target and no slow call above a flag.
fn passes(evaluation: &Evaluation) -> bool {
    evaluation
        .budgets
        .iter()
        .all(|b| b.status == BudgetStatus::OnTarget)
        && !evaluation
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::SlowCall)
}

/// Takes each budget's p95 and slowest call from the evaluation of its pattern.
fn widen_to_evaluation(budgets: &mut [Observed], config: &Config, evaluation: &Evaluation) {
    for ((b, result), budget) in budgets
        .iter_mut()
        .zip(&evaluation.budgets)
        .zip(&config.budgets)
    {
        if let Some(v) = result.value {
            b.p95_us = b.p95_us.max(v);
        }
        for f in &evaluation.findings {
            if f.kind == FindingKind::SlowCall && f.budget.as_deref() == Some(&budget.name) {
                b.max_us = b.max_us.max(f.slowest_us);
            }
        }
    }
}

/// Red flags in the traces fail `check` with this file too: say so now, not in CI.
fn note_red_flags(evaluation: &Evaluation) {
    let flags = &evaluation.findings;
    if flags.is_empty() {
        return;
    }
    eprintln!(
        "perfgate: note: the traces already have {} red flag(s); `perfgate check` reports them \
         until they are fixed or their [detectors.NAME] table is changed:",
        flags.len()
    );
    for f in flags {
        eprintln!(
            "perfgate: note:   {}",
            crate::report::escape::terminal(&crate::report::text::finding_line(f))
        );
    }
}

fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    crate::atomic::write_new(path, text.as_bytes()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{}: the file exists already; perfgate init never replaces it",
                path.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("could not write {}", path.display()))
        }
    })
}
