//! `perfgate summary`: where the time goes, per operation, in one or more traces.

use anyhow::Context;

use crate::cli::{SortArg, SummaryArgs};
use crate::ops::table::build_table;
use crate::ops::{Catalog, OpFilter, SortKey};
use crate::report::{CommandKind, RenderOptions, Report};

use super::{Outcome, load, output};

pub fn run(args: SummaryArgs, color: bool) -> anyhow::Result<Outcome> {
    let filter = OpFilter::new(args.name.as_deref(), args.file.as_deref())
        .context("invalid --name or --file glob")?;
    let mut catalog = Catalog::new(load::key_mode(args.input.key));
    let (trees, inputs) = load::load_trees(&args.input.traces, &mut catalog, None)?;
    let mut report = Report::new(CommandKind::Summary);
    report.inputs = inputs;
    report.operations = build_table(&trees, &catalog, &filter, sort_key(args.sort));
    let format = output::format(args.format);
    if format == crate::report::Format::Json
        && let Some(top) = args.top
    {
        report.operations.truncate(top);
    }
    let options = RenderOptions {
        color,
        width: Some(output::terminal_width()),
        top: args.top,
    };
    output::print(&report, format, &options)?;
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
