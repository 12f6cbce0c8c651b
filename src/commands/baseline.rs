//! `perfgate baseline save` and `perfgate baseline merge`: writing the baseline files teams
//! commit instead of traces (see [`crate::baseline`]); and the baselines of a comparison
//! side ([`find_baselines`], [`side_profile`]), used by `compare`.

use std::path::Path;

use anyhow::{Context, bail};

use crate::baseline::git::BaseRef;
use crate::baseline::{Baseline, open_side};
use crate::cli::{BaselineCommand, BaselineMergeArgs, BaselineSaveArgs};
use crate::ops::{CallTree, Catalog, OpInfo, Profile, scope};
use crate::outcome::InputInfo;

use super::{Outcome, load};

pub fn run(cmd: BaselineCommand) -> anyhow::Result<Outcome> {
    match cmd {
        BaselineCommand::Save(args) => save(args),
        BaselineCommand::Merge(args) => merge(args),
    }
}

fn save(args: BaselineSaveArgs) -> anyhow::Result<Outcome> {
    let config = load::scope_config(args.budgets.as_deref())?;
    let scope = load::scope(&args.input.scope, config.as_ref())?;
    let mut catalog = load::catalog(args.input.key, scope);
    let (trees, inputs) = load::load_trees(&args.input.traces, &mut catalog, None)?;
    load::note_scope(&catalog);
    let profile = Profile::from_trees(&trees, &catalog);
    // A baseline saved from a cut or odd trace keeps saying so wherever it is compared.
    let warnings = inputs
        .iter()
        .flat_map(|i| i.warnings.iter().map(move |w| format!("{}: {w}", i.source)))
        .collect();
    let baseline = Baseline::from_profile(&profile, catalog.mode()).with_warnings(warnings);
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
    crate::log::say!(
        "perfgate: wrote {output}: {} operations from {} run{}, {:.1} KiB",
        baseline.profile.operations.len(),
        baseline.profile.runs,
        if baseline.profile.runs == 1 { "" } else { "s" },
        bytes as f64 / 1024.0
    );
    Ok(Outcome::Pass)
}

/// A baseline and the name it was given as (file, `REV:PATH`, or the base revision's label).
pub type NamedBaseline = (Baseline, String);

/// The baselines among one comparison side's arguments (files detected by content,
/// `REV:PATH`, or with `base_ref` every argument read at the base revision), and the other
/// arguments (traces), in order.
pub fn find_baselines(
    args: &[String],
    base_ref: Option<&BaseRef>,
) -> anyhow::Result<(Vec<NamedBaseline>, Vec<String>)> {
    let cwd = std::env::current_dir().context("could not read the current directory")?;
    let mut baselines = Vec::new();
    let mut traces = Vec::new();
    for arg in args {
        if arg == "-" && base_ref.is_none() {
            traces.push(arg.clone());
            continue;
        }
        match open_side(arg, base_ref, &cwd)? {
            Some(found) => baselines.push(found),
            None => traces.push(arg.clone()),
        }
    }
    Ok((baselines, traces))
}

/// The profile of a side that holds baselines: one baseline as it is; several, or baselines
/// and traces, merged as if one run had seen them all. Adds the baselines to `inputs`.
pub fn side_profile(
    baselines: Vec<NamedBaseline>,
    trees: &[CallTree],
    catalog: &mut Catalog,
    label: &str,
    inputs: &mut Vec<InputInfo>,
) -> anyhow::Result<Profile> {
    for (b, name) in &baselines {
        if b.key_mode != catalog.mode() {
            bail!(
                "{name}: this baseline was saved with --key {}; compare with --key {} (or save it again)",
                b.key_mode,
                b.key_mode
            );
        }
    }
    for (b, name) in &baselines {
        for w in &b.warnings {
            crate::log::say!(
                "perfgate: warning: {name}: saved from a trace that was not clean: {w}"
            );
        }
    }
    let baseline_inputs = baselines.iter().map(|(b, name)| InputInfo {
        source: name.clone(),
        side: Some(label.to_string()),
        spans: b.profile.operations.values().map(|o| o.count).sum(),
        warnings: b.warnings.clone(),
        // A baseline is saved on purpose; its warnings travel with it.
        incomplete: false,
        severity: None,
    });
    inputs.splice(0..0, baseline_inputs);
    let mut parts = baselines;
    if !trees.is_empty() {
        let traces = Profile::from_trees(trees, catalog);
        parts.push((
            Baseline::from_profile(&traces, catalog.mode()),
            "traces".into(),
        ));
    }
    let mut profile = if parts.len() == 1 {
        parts.pop().map(|(b, _)| b.profile).unwrap_or_default()
    } else {
        Baseline::merge(&parts)?.profile
    };
    for (key, op) in &mut profile.operations {
        let id = catalog.intern(OpInfo {
            key: key.clone(),
            function: op.function.clone(),
            file: op.file.as_deref().map(Into::into),
            line: op.line,
            // A saved library module path stays library; anything else is located.
            origin: op.origin,
        });
        // A baseline saved by an older perfgate may hold absolute paths.
        op.file = catalog.info(id).file.as_deref().map(str::to_string);
        op.origin = catalog.info(id).origin;
    }
    // The one place the scope applies to baselines (traces are pruned as they are read).
    if !catalog.scope().is_everything() {
        scope::prune_profile(&mut profile, |key| {
            catalog.lookup(key).is_some_and(|id| catalog.in_scope(id))
        });
    }
    Ok(profile)
}
