//! `perfgate summary`: where the time goes, per operation, in one or more traces.

use anyhow::{Context, anyhow, bail};

use crate::cli::{SortArg, SummaryArgs};
use crate::ops::callpaths::{CallPaths, PathSide, TableLimits};
use crate::ops::pattern::Pattern;
use crate::ops::slowest::{TreeLimits, slowest_calls};
use crate::ops::table::build_table;
use crate::ops::{OpFilter, SortKey};
use crate::outcome::{CommandKind, Report};
use crate::report::Format;
use crate::report::escape::terminal;

use super::output::{self, OutputSettings};
use super::{Outcome, load};

pub fn run(args: SummaryArgs, color: bool) -> anyhow::Result<Outcome> {
    let settings = OutputSettings::resolve(&args.output, color, args.top)?;
    let filter = OpFilter::new(args.name.as_deref(), args.file.as_deref())
        .context("invalid --name or --file glob")?;
    let config = load::scope_config(args.budgets.as_deref())?;
    let scope = load::scope(&args.input.scope, config.as_ref())?;
    let mut catalog = load::catalog(args.input.key, scope);
    let (trees, inputs) = load::load_trees(&args.input.traces, &mut catalog, None)?;
    load::note_scope(&catalog);
    let mut report = Report::new(CommandKind::Summary);
    report.inputs = inputs;
    report.operations = build_table(&trees, &catalog, &filter, sort_key(args.sort));
    if settings.draws_call_paths() {
        let paths = CallPaths::of(&trees, PathSide::After);
        report.pictures.call_paths = Some(paths.table(&catalog, TableLimits::DEFAULT));
    }
    if let Some(name) = &args.tree {
        let pattern = Pattern::new(name).map_err(|e| anyhow!("--tree: {e}"))?;
        let limits = TreeLimits {
            calls: args.tree_calls as usize,
            ..TreeLimits::DEFAULT
        };
        let Some(slowest) = slowest_calls(&trees, &catalog, &pattern, limits) else {
            bail!(
                "--tree '{}': no operation of the traces matches it (see `perfgate summary` for \
                 their names)",
                terminal(name)
            );
        };
        report
            .operations
            .retain(|o| slowest.operations.contains(&o.name));
        report.pictures.slowest = Some(slowest);
    }
    report.memory = load::memory(&trees, &catalog);
    // The report holds what it shows; the call trees (a node per call) go before it is
    // written.
    drop(trees);
    if report.operations.is_empty() {
        // An empty table and exit 0 read like "the trace is empty"; say which filter did it.
        let filters: Vec<String> = [("--name", &args.name), ("--file", &args.file)]
            .iter()
            .filter_map(|(flag, v)| v.as_ref().map(|v| format!("{flag} '{v}'")))
            .collect();
        let example = if catalog.is_empty() {
            String::new()
        } else {
            format!(", e.g. '{}'", terminal(&catalog.info(0).key))
        };
        crate::log::say!(
            "perfgate: note: no operation matches {} (the traces have {} operations{example})",
            terminal(&filters.join(" and ")),
            catalog.len()
        );
    }
    // The table shows the first N rows itself (and says how many it left out); every other
    // format holds exactly the operations asked for.
    let other_than_table =
        settings.format != Format::TABLE || !settings.files.is_empty() || settings.github.is_some();
    if other_than_table && let Some(top) = args.top {
        report.operations.truncate(top);
    }
    output::emit(&report, &settings)?;
    Ok(Outcome::Pass)
}

fn sort_key(arg: SortArg) -> SortKey {
    match arg {
        SortArg::Total => SortKey::Total,
        SortArg::SelfTime => SortKey::SelfTime,
        SortArg::Count => SortKey::Count,
        SortArg::Mean => SortKey::Mean,
        SortArg::P95 => SortKey::P95,
        SortArg::Max => SortKey::Max,
    }
}
