//! `perfgate baseline save` and `perfgate baseline merge`: writing the baseline files teams
//! commit instead of traces (see [`crate::baseline`]).

use std::path::Path;

use anyhow::Context;

use crate::baseline::Baseline;
use crate::cli::{BaselineCommand, BaselineMergeArgs, BaselineSaveArgs};
use crate::ops::{Catalog, Profile};

use super::{Outcome, load};

pub fn run(cmd: BaselineCommand) -> anyhow::Result<Outcome> {
    match cmd {
        BaselineCommand::Save(args) => save(args),
        BaselineCommand::Merge(args) => merge(args),
    }
}

fn save(args: BaselineSaveArgs) -> anyhow::Result<Outcome> {
    let mode = load::key_mode(args.input.key);
    let mut catalog = Catalog::new(mode);
    let (trees, _) = load::load_trees(&args.input.traces, &mut catalog, None)?;
    let profile = Profile::from_trees(&trees, &catalog);
    let baseline = Baseline::from_profile(&profile, mode);
    write(&baseline, &args.output)
}

fn merge(args: BaselineMergeArgs) -> anyhow::Result<Outcome> {
    let parts = args
        .baselines
        .iter()
        .map(|p| Baseline::read(Path::new(p)).map(|b| (b, p.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = Baseline::merge(&parts)?;
    write(&merged, &args.output)
}

/// Writes the file and says what it holds on stderr (stdout stays for results).
fn write(baseline: &Baseline, output: &str) -> anyhow::Result<Outcome> {
    let path = Path::new(output);
    baseline
        .write(path)
        .with_context(|| "could not write the baseline")?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "perfgate: wrote {output}: {} operations from {} run{}, {:.1} KiB",
        baseline.profile.operations.len(),
        baseline.profile.runs,
        if baseline.profile.runs == 1 { "" } else { "s" },
        bytes as f64 / 1024.0
    );
    Ok(Outcome::Pass)
}
