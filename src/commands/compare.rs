//! `perfgate compare`: reads the two sides ([`load_side`]), resolves the settings once, runs
//! [`crate::compare::compare`] and maps the verdict to the exit code.

use std::path::Path;

use anyhow::{Context, anyhow, bail};

use crate::baseline::git::BaseRef;
use crate::budget;
use crate::cli::CompareArgs;
use crate::compare::memory::SideMemory;
use crate::compare::paired::PairedReport;
use crate::compare::{self, Settings, SettingsOverrides};
use crate::config;
use crate::detect::Detectors;
use crate::detect::structure_change::{self, StructureChange};
use crate::ops::callpaths::{CallPaths, PathSide, TableLimits};
use crate::ops::{CallTree, Catalog, Profile};
use crate::outcome::{CommandKind, InputInfo, Report};
use crate::units;

use super::output::{self, OutputSettings};
use super::{Outcome, load};

/// One side of a comparison as loaded.
#[derive(Debug)]
pub struct Side {
    /// What the comparison uses.
    pub profile: Profile,
    /// The call trees, one per trace (empty for a side read from a baseline).
    pub trees: Vec<CallTree>,
    /// The inputs, labelled with the side, for the report.
    pub inputs: Vec<InputInfo>,
}

/// Loads one side from its arguments (trace files, `-`, glob patterns expanded here, baseline
/// files, `REV:PATH` baselines in git; with `base_ref`, baselines read at that revision),
/// registering operations in `catalog` (shared by both sides), taking the traces `ahead` has
/// read already. `label` is `before`/`after`.
pub fn load_side(
    args: &[String],
    catalog: &mut Catalog,
    label: &str,
    base_ref: Option<&BaseRef>,
    ahead: &mut load::ReadAhead,
) -> anyhow::Result<Side> {
    let mut expanded = Vec::new();
    for arg in args {
        expanded.extend(load::expand_arg(arg).with_context(|| format!("{label} side"))?);
    }
    let (baselines, paths) = super::baseline::find_baselines(&expanded, base_ref)
        .with_context(|| format!("{label} side"))?;
    // Already expanded above: the baselines among them were picked out first.
    let (trees, mut inputs) = load::load_paths_with(&paths, catalog, Some(label), ahead)?;
    let profile = if baselines.is_empty() {
        Profile {
            run_shares: load::run_shares(&paths, label)?,
            ..Profile::from_trees(&trees, catalog)
        }
    } else {
        super::baseline::side_profile(baselines, &trees, catalog, label, &mut inputs)?
    };
    Ok(Side {
        profile,
        trees,
        inputs,
    })
}

pub fn run(args: CompareArgs, color: bool) -> anyhow::Result<Outcome> {
    run_with(args, color, |_| {})
}

/// [`run`], with `extend` adding to the report before the verdict is taken and the report
/// emitted (`record` names the order its runs were made in this way).
pub fn run_with(
    args: CompareArgs,
    color: bool,
    extend: impl FnOnce(&mut Report),
) -> anyhow::Result<Outcome> {
    // Everything that can be wrong with the configuration is found before any trace is read.
    let output_settings = OutputSettings::resolve(&args.output, color, None)?;
    let budgets = budgets_config(&args)?;
    let from_file = budgets
        .as_ref()
        .map(|c| file_overrides(&c.compare))
        .unwrap_or_default();
    let settings = Settings {
        paired: args.paired,
        ..Settings::default()
    }
    .with(&from_file)
    .with(&overrides(&args)?);
    settings
        .validate()
        .map_err(|e| anyhow!("invalid comparison settings: {e}"))?;
    let (before_args, after_args) = sides(&args)?;
    if before_args
        .iter()
        .chain(&after_args)
        .filter(|a| *a == "-")
        .count()
        > 1
    {
        bail!("standard input ('-') can be read only once, by one side");
    }
    let scope = load::scope(&args.verdict.scope, budgets.as_ref())?;
    let mut catalog = load::catalog(args.verdict.key, scope);
    let base_ref = args
        .base_ref
        .as_deref()
        .map(|r| BaseRef::parse(r, std::env::var("GITHUB_BASE_REF").ok()));
    // The two sides' traces are read one ahead on their own thread, so that the after side's
    // first trace is read while the before side's last is built into its call tree.
    let mut ahead = load::ReadAhead::start(
        &load::expand_args(&before_args)
            .unwrap_or_default()
            .into_iter()
            .chain(load::expand_args(&after_args).unwrap_or_default())
            .collect::<Vec<_>>(),
        load::limits()?,
    );
    let mut before = load_side(
        &before_args,
        &mut catalog,
        "before",
        base_ref.as_ref(),
        &mut ahead,
    )?;
    let before_sampled = crate::detect::any_sampled(&before.trees);
    let before_memory = load::memory(&before.trees, &catalog);
    let draws_call_paths = output_settings.draws_call_paths();
    // The before side's call paths are taken before its trees are freed.
    let mut call_paths = (draws_call_paths && !before.trees.is_empty())
        .then(|| CallPaths::of(&before.trees, PathSide::Before));
    // Only the after side's call trees are used (budgets): free the before side's before the
    // after side is read; on large traces they are most of the memory.
    before.trees = Vec::new();
    let after = load_side(&after_args, &mut catalog, "after", None, &mut ahead)?;
    load::note_scope(&catalog);

    if settings.paired {
        check_pairs(&before.profile, &after.profile)?;
    }
    let mut report = Report::new(CommandKind::Compare);
    report.inputs = before.inputs;
    report.inputs.extend(after.inputs);
    if args.allow_incomplete {
        load::allow_incomplete(&mut report.inputs);
    }
    let mut comparison = compare::compare(&before.profile, &after.profile, &settings);
    comparison.memory = compare::memory::change(
        SideMemory {
            memory: &before_memory,
            runs: before.profile.runs,
        },
        SideMemory {
            memory: &load::memory(&after.trees, &catalog),
            runs: after.profile.runs,
        },
    );
    report.comparison = Some(comparison);
    if draws_call_paths {
        draw_call_paths(&mut report, call_paths.take(), &after.trees, &catalog);
    }
    if output_settings.wants_any(crate::report::DISTRIBUTION_FORMATS)
        && let Some(c) = &report.comparison
    {
        report.pictures.distributions =
            compare::distributions::of_causes(&c.causes, &before.profile, &after.profile);
    }
    if settings.paired {
        report.paired =
            PairedReport::from_profiles(&before.profile, &after.profile, &settings, "as given");
    }
    if let Some(config) = &budgets {
        check_after_side(&mut report, config, &after.trees, &catalog);
    }
    extend(&mut report);
    // A "call" of a sampled profile is a run of samples: no structure to compare.
    if before_sampled || crate::detect::any_sampled(&after.trees) {
        crate::log::say!("perfgate: note: {}", crate::detect::SAMPLED_NOTE);
    } else {
        structure_changes(
            &mut report,
            budgets.as_ref(),
            &before.profile,
            &after.profile,
            &catalog,
        );
    }
    let verdict = report.computed_verdict();
    report.verdict = Some(verdict);
    output::emit(&report, &output_settings)?;
    Ok(Outcome::from_verdict(verdict, args.verdict.fail_on))
}

/// The call paths of both sides for the flame graph, or why there are none (a side read from
/// a baseline keeps no call trees).
fn draw_call_paths(
    report: &mut Report,
    before: Option<CallPaths>,
    after: &[CallTree],
    catalog: &Catalog,
) {
    match before {
        Some(mut paths) if !after.is_empty() => {
            paths.add(after, PathSide::After);
            report.pictures.call_paths = Some(paths.table(catalog, TableLimits::DEFAULT));
        }
        _ => {
            let why = "no flame graph: a side is a baseline file, which keeps no call paths; \
                       compare traces to draw one";
            crate::log::say!("perfgate: note: {why}");
            report.pictures.call_paths_missing = Some(why.to_string());
        }
    }
}

/// The budgets file: `--budgets`, else `./budgets.toml` when it exists, unless `--no-budgets`.
fn budgets_config(args: &CompareArgs) -> anyhow::Result<Option<config::Config>> {
    if args.no_budgets {
        return Ok(None);
    }
    match &args.budgets {
        Some(path) => Ok(Some(config::load(path)?)),
        None if Path::new(config::DEFAULT_PATH).is_file() => {
            Ok(Some(config::load(Path::new(config::DEFAULT_PATH))?))
        }
        None => Ok(None),
    }
}

/// `[compare]` of budgets.toml as overrides of the defaults (flags override them in turn).
fn file_overrides(c: &config::CompareConfig) -> SettingsOverrides {
    SettingsOverrides {
        metric: c.metric,
        threshold: c.threshold_pct.map(|pct| pct / 100.0),
        noise_floor_us: c.noise_floor_us,
        alpha: c.alpha,
        min_samples: c.min_samples.map(|n| n as usize),
        min_coverage: c.min_coverage_pct.map(|pct| pct / 100.0),
    }
}

/// The after side against the budgets and detectors: the `check` evaluation, reused.
fn check_after_side(
    report: &mut Report,
    config: &config::Config,
    after: &[CallTree],
    catalog: &Catalog,
) {
    if after.is_empty() {
        crate::log::say!(
            "perfgate: note: the after side is a baseline (no call trees): budgets and red flags \
             are checked on traces only"
        );
        return;
    }
    let evaluation = budget::evaluate(config, after, catalog);
    report.budgets = evaluation.budgets;
    report.findings = evaluation.findings;
}

/// Watched operations called more often per call of their parent than before (an N+1 or a
/// repeated LLM call introduced), first among the findings.
fn structure_changes(
    report: &mut Report,
    config: Option<&config::Config>,
    before: &Profile,
    after: &Profile,
    catalog: &Catalog,
) {
    let default = Detectors::default();
    let detectors = config.map_or(&default, |c| &c.detectors);
    let mut found = detectors
        .get::<StructureChange>()
        .compare(detectors, before, after, catalog);
    let after_side = std::mem::take(&mut report.findings);
    let mut rest = structure_change::drop_restated(&mut found, after_side);
    found.append(&mut rest);
    report.findings = found;
}

/// The settings the flags set (the rest keep their defaults, or budgets.toml's later).
fn overrides(args: &CompareArgs) -> anyhow::Result<SettingsOverrides> {
    let args = &args.verdict;
    Ok(SettingsOverrides {
        metric: args.metric,
        threshold: args
            .threshold
            .as_deref()
            .map(|t| units::parse_percent(t).map(|pct| pct / 100.0))
            .transpose()
            .map_err(|e| anyhow!("--threshold: {e}"))?,
        noise_floor_us: args
            .noise_floor
            .as_deref()
            .map(units::parse_duration)
            .transpose()
            .map_err(|e| anyhow!("--noise-floor: {e}"))?,
        alpha: args.alpha,
        min_samples: args.min_samples,
        min_coverage: args
            .min_coverage
            .as_deref()
            .map(|t| units::parse_percent(t).map(|pct| pct / 100.0))
            .transpose()
            .map_err(|e| anyhow!("--min-coverage: {e}"))?,
    })
}

/// Paired sides have the same number of runs, 2 or more (run K of one side pairs with run K
/// of the other).
fn check_pairs(before: &Profile, after: &Profile) -> anyhow::Result<()> {
    if before.runs != after.runs || before.runs < 2 {
        bail!(
            "--paired needs the same number of runs on each side, 2 or more (run K of before \
             pairs with run K of after): before has {}, after has {}",
            before.runs,
            after.runs
        );
    }
    Ok(())
}

/// The before and after arguments: two positionals, or `--before ... --after ...`.
fn sides(args: &CompareArgs) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let flags = !args.before.is_empty() || !args.after.is_empty();
    match (args.traces.as_slice(), flags) {
        ([before, after], false) => Ok((vec![before.clone()], vec![after.clone()])),
        ([], true) if !args.before.is_empty() && !args.after.is_empty() => {
            Ok((args.before.clone(), args.after.clone()))
        }
        ([], true) => bail!("give both --before and --after"),
        (_, true) => bail!("give either BEFORE AFTER or --before/--after, not both"),
        _ => bail!("give two traces (BEFORE AFTER), or --before TRACE... --after TRACE..."),
    }
}
