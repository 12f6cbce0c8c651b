//! `perfgate record`: resolves the base revision and the settings, checks the base out into a
//! temporary worktree, runs the session ([`crate::record::session`]), removes the worktree
//! (also on error and Ctrl-C), then compares the base runs with the head runs through the
//! ordinary compare pipeline ([`super::compare::run_with`]) with the paired statistics added.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use anyhow::{Context, bail};

use crate::baseline::git::{BaseRef, Repo};
use crate::cli::{CompareArgs, RecordArgs};
use crate::hook::shell_quote;
use crate::record::config::{self as record_config, RecordConfig};
use crate::record::session::{self, Interrupted, Session};
use crate::record::worktree::BaseCheckout;

use super::{Outcome, compare};

/// Runs per side when neither the flag nor `[record]` says: on the harness under contention,
/// 5 pairs found a 2× slowdown in 1 of 10 sessions, 10 pairs in 4 of 4 (docs/compare.md).
const DEFAULT_RUNS: u32 = 10;
/// Warm-up runs per side when neither the flag nor `[record]` says.
const DEFAULT_WARMUP: u32 = 1;

pub fn run(args: RecordArgs, color: bool) -> anyhow::Result<Outcome> {
    let config = record_section(&args)?;
    let command = match (&args.command[..], &config.command) {
        ([], Some(c)) => c.clone(),
        ([], None) => bail!(
            "no command to record: give it after `--` (perfgate record -- python app.py), or \
             as `command` in the [record] section of budgets.toml"
        ),
        (words, _) => words
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let runs = args.runs.or(config.runs).unwrap_or(DEFAULT_RUNS);
    if runs < 2 {
        bail!("--runs must be 2 or more: pairs of runs are compared");
    }
    let warmup = args.warmup.or(config.warmup).unwrap_or(DEFAULT_WARMUP);
    let template = args
        .tracer
        .clone()
        .or(config.tracer.clone())
        .unwrap_or_else(|| session::DEFAULT_TRACER.to_string());
    record_config::check_template(&template).map_err(|e| anyhow::anyhow!("--tracer: {e}"))?;

    let cwd = std::env::current_dir().context("could not read the current directory")?;
    let repo = Repo::discover(&cwd, "the base revision to record")?;
    let root = repo
        .git2()
        .workdir()
        .context("the repository has no working tree (a bare repository)")?
        .canonicalize()?;
    let base_ref = BaseRef::parse(
        args.base.as_deref().unwrap_or("auto"),
        std::env::var("GITHUB_BASE_REF").ok(),
    );
    let (sha, how) = repo.resolve_base(&base_ref)?;
    let subdir = cwd
        .canonicalize()?
        .strip_prefix(&root)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let tracer = session::resolve_tracer(&template, &root)?;
    let out_dir = absolute(&cwd, &args.out_dir);

    let interrupted = interrupt_flag();
    crate::log::say!(
        "perfgate: record: base {} ({how}) against the working tree, {runs} pair(s) after \
         {warmup} warm-up pair(s), traces in {}",
        &sha[..sha.len().min(10)],
        out_dir.display()
    );
    let checkout = BaseCheckout::create(&root, &sha)?;
    let session = Session {
        tracer,
        command,
        head_dir: under(&root, &subdir),
        base_dir: under(&checkout.path, &subdir),
        out_dir: out_dir.clone(),
        runs,
        warmup,
        interrupted: &interrupted,
    };
    let recorded = session.run();
    // The worktree goes before anything else happens, whatever the session did.
    let removed = checkout.remove();
    let recorded = match recorded {
        Err(e) if e.is::<Interrupted>() => {
            crate::log::say!(
                "perfgate: {e}; the base checkout was removed, the traces made so far are in {}",
                out_dir.display()
            );
            std::process::exit(130);
        }
        other => other?,
    };
    if let Err(e) = removed {
        crate::log::say!("perfgate: warning: {e:#}");
    }
    if interrupted.load(Ordering::SeqCst) {
        std::process::exit(130);
    }

    let paths = |v: &[PathBuf]| v.iter().map(|p| p.display().to_string()).collect();
    let compare_args = CompareArgs {
        traces: Vec::new(),
        before: paths(&recorded.base),
        after: paths(&recorded.head),
        base_ref: None,
        verdict: args.verdict,
        paired: true,
        // Traces that record itself wrote and checked complete.
        allow_incomplete: false,
        budgets: args.budgets,
        no_budgets: args.no_budgets,
        output: args.output,
    };
    let order = session::order_name(runs);
    compare::run_with(compare_args, color, |report| {
        if let Some(p) = &mut report.paired {
            p.order = order.to_string();
        }
    })
}

/// `[record]` of `--budgets`, else of ./budgets.toml when it exists.
fn record_section(args: &RecordArgs) -> anyhow::Result<RecordConfig> {
    let path = match &args.budgets {
        Some(p) => p.clone(),
        None if Path::new(crate::config::DEFAULT_PATH).is_file() => {
            PathBuf::from(crate::config::DEFAULT_PATH)
        }
        None => return Ok(RecordConfig::default()),
    };
    Ok(record_config::load(&path)?)
}

/// `dir/subdir`, without a trailing separator when `subdir` is empty.
fn under(dir: &Path, subdir: &Path) -> PathBuf {
    if subdir.as_os_str().is_empty() {
        dir.to_path_buf()
    } else {
        dir.join(subdir)
    }
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    }
}

/// A flag set on SIGINT and SIGTERM, so the session stops between runs and the worktree is
/// removed by normal unwinding instead of being left behind by a killed process.
fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let set = Arc::clone(&flag);
        if let Err(e) = ctrlc::set_handler(move || set.store(true, Ordering::SeqCst)) {
            crate::log::say!("perfgate: warning: Ctrl-C cannot be handled ({e}): an interrupted session may leave its temporary worktree (git worktree prune removes it)");
        }
        flag
    })
    .clone()
}
