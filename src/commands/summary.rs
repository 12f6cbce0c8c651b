//! `perfgate summary`: where the time goes, per operation, in one or more traces.

use anyhow::{Context, anyhow};

use crate::cli::{SortArg, SummaryArgs};
use crate::ops::callpaths::{CallPaths, PathSide, TableLimits};
use crate::ops::pattern::Pattern;
use crate::ops::slowest::{SlowestCalls, TreeLimits, slowest_calls};
use crate::ops::table::build_table_owned;
use crate::ops::{CallTree, Catalog, OpFilter, SortKey};
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
    // Everything that needs the call trees or the catalog comes first: the table takes both
    // (the trees freed once their durations are gathered, the names moved into the rows).
    if settings.draws_call_paths() {
        let paths = CallPaths::of(&trees, PathSide::After);
        report.pictures.call_paths = Some(paths.table(&catalog, TableLimits::DEFAULT));
    }
    if let Some(name) = &args.tree {
        report.pictures.slowest = Some(slowest(&trees, &catalog, name, args.tree_calls)?);
    }
    report.memory = load::memory(&trees, &catalog);
    let no_match_note = no_match_note(&args, &catalog);
    report.operations = build_table_owned(trees, catalog, &filter, sort_key(args.sort));
    if let Some(slowest) = &report.pictures.slowest {
        report
            .operations
            .retain(|o| slowest.operations.contains(&o.name));
    }
    if report.operations.is_empty() {
        // An empty table and exit 0 read like "the trace is empty"; say which filter did it.
        crate::log::say!("{no_match_note}");
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

/// The slowest calls of the operations `name` matches (`--tree`), or why there are none.
fn slowest(
    trees: &[CallTree],
    catalog: &Catalog,
    name: &str,
    calls: u32,
) -> anyhow::Result<SlowestCalls> {
    let pattern = Pattern::new(name).map_err(|e| anyhow!("--tree: {e}"))?;
    let limits = TreeLimits {
        calls: calls as usize,
        ..TreeLimits::DEFAULT
    };
    slowest_calls(trees, catalog, &pattern, limits).ok_or_else(|| {
        anyhow!(
            "--tree '{}': no operation of the traces matches it (see `perfgate summary` for \
             their names)",
            terminal(name)
        )
    })
}

/// The note for a table that the filters left empty: which filter did it, and an example of
/// the operations there are.
fn no_match_note(args: &SummaryArgs, catalog: &Catalog) -> String {
    let filters: Vec<String> = [("--name", &args.name), ("--file", &args.file)]
        .iter()
        .filter_map(|(flag, v)| v.as_ref().map(|v| format!("{flag} '{v}'")))
        .collect();
    let example = if catalog.is_empty() {
        String::new()
    } else {
        format!(", e.g. '{}'", terminal(&catalog.info(0).key))
    };
    format!(
        "perfgate: note: no operation matches {} (the traces have {} operations{example})",
        terminal(&filters.join(" and ")),
        catalog.len()
    )
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
