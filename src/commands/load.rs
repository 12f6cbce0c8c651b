//! Reading the traces a command was given into call trees, with warnings on stderr and the
//! input list the report carries.

use anyhow::{Context, bail};

use crate::cli::{KeyArg, ScopeArgs};
use crate::config::{self, Config};
use crate::ops::{CallTree, Catalog, KeyMode, Scope, SourceRoots, memory, scope, source};
use crate::outcome::{InputInfo, Memory, Severity};
use crate::trace::{Limits, ReadError, Trace, TraceSource, read_trace_limited};

/// An empty catalog for the command's traces, keyed by `key`, that shows source files relative
/// to the repository being worked on and keeps the operations of `scope`.
pub fn catalog(key: KeyArg, scope: Scope) -> Catalog {
    Catalog::with_sources(key_mode(key), source_roots()).scoped(scope)
}

/// The scope of a command: budgets.toml `[scope]` (unless `--no-scope`), with `--include`
/// replacing its `include` and `--exclude` adding to its `exclude`.
pub fn scope(args: &ScopeArgs, config: Option<&Config>) -> anyhow::Result<Scope> {
    let file = config
        .filter(|_| !args.no_scope)
        .map(|c| c.scope.clone())
        .unwrap_or_default();
    let include = if args.include.is_empty() {
        file.include
    } else {
        args.include.clone()
    };
    let mut exclude = file.exclude;
    exclude.extend(args.exclude.iter().cloned());
    Scope::new(&include, &exclude).map_err(|e| anyhow::anyhow!("invalid scope selector {e}"))
}

/// The budgets file of a command that reads only its `[scope]` (`summary`, `baseline save`):
/// `budgets`, else ./budgets.toml when it exists.
pub fn scope_config(budgets: Option<&std::path::Path>) -> anyhow::Result<Option<Config>> {
    match budgets {
        Some(path) => Ok(Some(config::load(path)?)),
        None if std::path::Path::new(config::DEFAULT_PATH).is_file() => Ok(Some(config::load(
            std::path::Path::new(config::DEFAULT_PATH),
        )?)),
        None => Ok(None),
    }
}

/// Says on stderr how many operations the scope left out: a table without `list.append` reads
/// like a trace without it.
pub fn note_scope(catalog: &Catalog) {
    if catalog.scope().is_everything() {
        return;
    }
    let out = (0..catalog.len() as u32)
        .filter(|&op| !catalog.in_scope(op))
        .count();
    eprintln!(
        "perfgate: note: scope ({}): {out} of {} operations left out",
        catalog.scope().describe(),
        catalog.len()
    );
}

/// The directories whose files are the project's: `GITHUB_WORKSPACE`, the git work tree around
/// the current directory, and the current directory.
pub fn source_roots() -> SourceRoots {
    let cwd = std::env::current_dir().unwrap_or_default();
    let git_root = git2::Repository::discover(&cwd)
        .ok()
        .and_then(|repo| repo.workdir().map(|w| w.to_path_buf()));
    let workspace = std::env::var_os("GITHUB_WORKSPACE")
        .filter(|w| !w.is_empty())
        .map(std::path::PathBuf::from);
    source::roots_around(&cwd, git_root, workspace)
}

/// A trace without one timed call would pass every budget and compare as "nothing changed":
/// a tracer that crashed, a filter that left nothing, a wrong file. Nothing can be judged on
/// it, so it is an input error, not a green build.
fn refuse_empty(trace: &Trace) -> anyhow::Result<()> {
    if !trace.spans.is_empty() {
        return Ok(());
    }
    let n = &trace.notes;
    let mut what = format!("{} event(s)", n.events);
    if n.events > 0 {
        what.push_str(", none of them a complete call (X, or B/E pair)");
    }
    let mut notes = trace.notes.warnings();
    notes.retain(|w| !w.is_empty());
    let why = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    bail!(
        "{}: the trace has no timed calls to check: {what}{why}",
        trace.source
    )
}

/// The input limits: the defaults, each raised or lowered by its environment variable
/// (`PERFGATE_MAX_NAME_BYTES`, `PERFGATE_MAX_NAMES`, `PERFGATE_MAX_VALUE_BYTES`).
pub fn limits() -> anyhow::Result<Limits> {
    let var = |name: &str, default: usize| -> anyhow::Result<usize> {
        match std::env::var(name) {
            Err(_) => Ok(default),
            Ok(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .with_context(|| format!("{name}={v:?}: expected a whole number above 0")),
        }
    };
    let d = Limits::DEFAULT;
    Ok(Limits {
        max_name_bytes: var("PERFGATE_MAX_NAME_BYTES", d.max_name_bytes)?,
        max_names: var("PERFGATE_MAX_NAMES", d.max_names)?,
        max_value_bytes: var("PERFGATE_MAX_VALUE_BYTES", d.max_value_bytes)?,
    })
}

/// `--allow-incomplete`: a cut or overflowed input only warns.
pub fn allow_incomplete(inputs: &mut [InputInfo]) {
    for input in inputs.iter_mut().filter(|i| i.incomplete) {
        input.severity = Some(Severity::Warn);
    }
}

/// The key mode chosen on the command line.
pub fn key_mode(arg: KeyArg) -> KeyMode {
    match arg {
        KeyArg::Function => KeyMode::Function,
        KeyArg::File => KeyMode::File,
        KeyArg::Name => KeyMode::Name,
    }
}

/// The files an argument names: itself, or the sorted matches of a glob pattern (for shells
/// that pass a quoted pattern through, and for CI inputs). A path that exists is taken as it
/// is, even with wildcard characters in its name; a pattern that matches nothing is an error.
pub fn expand_arg(arg: &str) -> anyhow::Result<Vec<String>> {
    let is_pattern = arg.contains(['*', '?', '[']);
    if !is_pattern || arg == "-" || std::path::Path::new(arg).exists() {
        return Ok(vec![arg.to_string()]);
    }
    let mut found = Vec::new();
    for entry in glob::glob(arg).with_context(|| format!("invalid glob pattern '{arg}'"))? {
        let path = entry.with_context(|| format!("while expanding '{arg}'"))?;
        if path.is_file() {
            found.push(path.display().to_string());
        }
    }
    if found.is_empty() {
        bail!("the pattern '{arg}' matched no file");
    }
    found.sort();
    Ok(found)
}

/// [`expand_arg`] of every argument, in order.
pub fn expand_args(args: &[String]) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::with_capacity(args.len());
    for arg in args {
        out.extend(expand_arg(arg)?);
    }
    Ok(out)
}

/// Reads every trace (glob patterns expanded) into a call tree, registering operations in
/// `catalog`. `side` labels the inputs of one side of a comparison.
pub fn load_trees(
    args: &[String],
    catalog: &mut Catalog,
    side: Option<&str>,
) -> anyhow::Result<(Vec<CallTree>, Vec<InputInfo>)> {
    load_paths(&expand_args(args)?, catalog, side)
}

/// [`load_trees`] of paths already expanded; each trace is read while the one before it is
/// built into its call tree ([`ReadAhead`]).
pub fn load_paths(
    paths: &[String],
    catalog: &mut Catalog,
    side: Option<&str>,
) -> anyhow::Result<(Vec<CallTree>, Vec<InputInfo>)> {
    let mut ahead = ReadAhead::start(paths, limits()?);
    load_paths_with(paths, catalog, side, &mut ahead)
}

/// [`load_paths`], taking the traces that `ahead` has read already.
pub fn load_paths_with(
    paths: &[String],
    catalog: &mut Catalog,
    side: Option<&str>,
    ahead: &mut ReadAhead,
) -> anyhow::Result<(Vec<CallTree>, Vec<InputInfo>)> {
    if paths.iter().filter(|p| p.as_str() == "-").count() > 1 {
        bail!("standard input ('-') can be read only once");
    }
    let limits = limits()?;
    let mut trees = Vec::with_capacity(paths.len());
    let mut inputs = Vec::with_capacity(paths.len());
    for path in paths {
        let read = ahead
            .take(path)
            .unwrap_or_else(|| read_trace_limited(&TraceSource::parse(path), limits));
        let trace = read.with_context(|| "could not read the trace")?;
        refuse_empty(&trace)?;
        let warnings = trace.notes.warnings();
        for w in &warnings {
            crate::log::say!("perfgate: warning: {}: {w}", trace.source);
        }
        let incomplete = trace.notes.truncated
            || trace.notes.gzip_cut.is_some()
            || trace.notes.viztracer_overflow;
        inputs.push(InputInfo {
            source: trace.source.clone(),
            side: side.map(str::to_string),
            spans: trace.spans.len() as u64,
            warnings,
            incomplete,
            severity: incomplete.then_some(Severity::Fail),
        });
        // The one place the scope applies to traces: every stage after sees only its operations.
        trees.push(scope::prune_tree(CallTree::build(trace, catalog), catalog));
    }
    Ok((trees, inputs))
}

/// Trace files read on a thread of their own, one ahead of the command: while one trace is
/// built into its call tree (one core), the next is read (the reader of a large file uses
/// every core). At most one trace waits, so memory grows by one trace, not by all of them.
/// Standard input is never read ahead.
pub struct ReadAhead {
    /// The paths still to come, in the order the thread reads them.
    queue: std::collections::VecDeque<String>,
    reads: Option<std::sync::mpsc::Receiver<Result<Trace, ReadError>>>,
}

impl ReadAhead {
    /// Starts reading `paths` (in order, standard input left out) within `limits`.
    pub fn start(paths: &[String], limits: Limits) -> ReadAhead {
        let queue: std::collections::VecDeque<String> = paths
            .iter()
            .filter(|p| p.as_str() != "-")
            .cloned()
            .collect();
        // A rendezvous channel: the thread hands over a trace only when it is asked for,
        // and then reads the next one.
        let (sender, reads) = std::sync::mpsc::sync_channel(0);
        let todo: Vec<String> = queue.iter().cloned().collect();
        let started = std::thread::Builder::new()
            .name("perfgate-traces-ahead".into())
            .spawn(move || {
                for path in todo {
                    let read = read_trace_limited(&TraceSource::parse(&path), limits);
                    if sender.send(read).is_err() {
                        return;
                    }
                }
            });
        // Without a thread (a process or memory limit), every trace is read when asked for.
        ReadAhead {
            queue,
            reads: started.is_ok().then_some(reads),
        }
    }

    /// The trace of `path` if it was read ahead (skipping the paths before it, which were not
    /// asked for as traces: baselines); `None` when it must be read now.
    fn take(&mut self, path: &str) -> Option<Result<Trace, ReadError>> {
        let at = self.queue.iter().position(|p| p == path)?;
        let reads = self.reads.as_ref()?;
        for _ in 0..at {
            self.queue.pop_front();
            // A path not asked for as a trace (a baseline): its read is dropped.
            drop(reads.recv().ok()?);
        }
        self.queue.pop_front();
        reads.recv().ok()
    }
}

/// The share of the CPU each run asked for that it got, from the scheduler records beside
/// the traces `paths` (`trace::schedstat`), in order; empty unless every trace has one (a
/// note says so when only some have). A record that cannot be read is an error.
pub fn run_shares(paths: &[String], label: &str) -> anyhow::Result<Vec<f64>> {
    let mut shares = Vec::with_capacity(paths.len());
    for path in paths.iter().filter(|p| *p != "-") {
        if let Some(env) = crate::trace::schedstat::read_beside(std::path::Path::new(path))? {
            shares.push(env.run_share);
        }
    }
    if shares.is_empty() || shares.len() == paths.len() {
        return Ok(shares);
    }
    crate::log::say!(
        "perfgate: note: {} of the {} {label} traces have a scheduler record ({}) beside them: \
         the environment is judged only when every run has one",
        shares.len(),
        paths.len(),
        crate::trace::schedstat::SUFFIX
    );
    Ok(Vec::new())
}

/// Garbage collection and counter series of the traces' call trees (none for a baseline).
pub fn memory(trees: &[CallTree], catalog: &Catalog) -> Memory {
    Memory {
        gc: memory::gc_summary(trees, catalog),
        counters: memory::counter_summaries(trees),
    }
}
