//! Reading the traces a command was given into call trees, with warnings on stderr and the
//! input list the report carries.

use anyhow::{Context, bail};

use crate::cli::KeyArg;
use crate::ops::{CallTree, Catalog, KeyMode};
use crate::report::InputInfo;
use crate::trace::{TraceSource, read_trace};

/// The key mode chosen on the command line.
pub fn key_mode(arg: KeyArg) -> KeyMode {
    match arg {
        KeyArg::Function => KeyMode::Function,
        KeyArg::File => KeyMode::File,
        KeyArg::Name => KeyMode::Name,
    }
}

/// Reads every trace into a call tree, registering operations in `catalog`. `side` labels the
/// inputs of one side of a comparison.
pub fn load_trees(
    paths: &[String],
    catalog: &mut Catalog,
    side: Option<&str>,
) -> anyhow::Result<(Vec<CallTree>, Vec<InputInfo>)> {
    if paths.iter().filter(|p| p.as_str() == "-").count() > 1 {
        bail!("standard input ('-') can be read only once");
    }
    let mut trees = Vec::with_capacity(paths.len());
    let mut inputs = Vec::with_capacity(paths.len());
    for path in paths {
        let source = TraceSource::parse(path);
        let trace = read_trace(&source).with_context(|| "could not read the trace")?;
        let warnings = trace.notes.warnings();
        for w in &warnings {
            eprintln!("perfgate: warning: {}: {w}", trace.source);
        }
        inputs.push(InputInfo {
            source: trace.source.clone(),
            side: side.map(str::to_string),
            spans: trace.spans.len() as u64,
            warnings,
        });
        trees.push(CallTree::build(trace, catalog));
    }
    Ok((trees, inputs))
}
