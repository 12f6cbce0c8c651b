//! Command-line definitions (clap derive) and nothing else: no I/O, no decisions. The
//! commands resolve these into their own settings; nothing below `commands` sees clap types.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Arg, ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::outcome::Metric;
use crate::report::Format;

const EXIT_CODES: &str = "\
Exit codes:
  0  pass (warnings included, unless --fail-on warn)
  1  the gate failed: a budget flagged, a red flag, or a significant regression
  2  usage, configuration or input error (nothing was judged)";

/// A performance gate for CI: per-operation statistics, budgets, red flags and before/after
/// comparison of Chrome Trace Event Format traces (viztracer, Chrome, py-spy, ...).
#[derive(Debug, Parser)]
#[command(name = "perfgate", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// When to colour the terminal output (NO_COLOR and CLICOLOR_FORCE are honoured with auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Where the time goes: per-operation statistics of one or more traces.
    #[command(after_help = EXIT_CODES)]
    Summary(SummaryArgs),
    /// Before/after: which operations regressed, significantly, and which children explain it.
    #[command(after_help = EXIT_CODES)]
    Compare(CompareArgs),
    /// Check traces against the budgets in budgets.toml and look for red flags (N+1 calls,
    /// repeated expensive calls, slow calls, blocking I/O in async code).
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Save traces as a compact baseline file to commit, or merge baselines of CI shards.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// The pre-push git hook: install, uninstall, and the gate it runs.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Trace COMMAND in the base revision and in the working tree, alternately on this
    /// machine, then compare them as pairs (see docs/record.md).
    #[command(after_help = EXIT_CODES)]
    Record(RecordArgs),
    /// Write a starter budgets.toml from traces: the heaviest operations of your own code with
    /// bands from the observed figures plus headroom, and every detector with its defaults.
    #[command(after_help = INIT_HELP)]
    Init(InitArgs),
    /// Print the shell completion script for SHELL (see docs/install.md for where it goes).
    Completions(CompletionsArgs),
    /// Print the man page (roff) of perfgate: `perfgate man > perfgate.1`.
    Man,
    /// Print the JSON Schema of the JSON report (--format json) this perfgate writes.
    Schema,
}

const CHECK_HELP: &str = "\
Each budget's value falls in a band: on target (value <= target), acceptable
(target < value <= flag: a warning) or flagged (value > flag: the gate fails).
A budget that matches no call is reported as a warning (a failure with
--require-match). The schema of budgets.toml is in docs/budgets.md.

Exit codes:
  0  pass: nothing flagged (warnings included, unless --fail-on warn)
  1  the gate failed: a budget flagged, a red flag of severity fail, a budget
     matching nothing with --require-match, or any warning with --fail-on warn
  2  usage, configuration or input error (a missing or invalid budgets file,
     an unreadable trace): nothing was judged";

const INIT_HELP: &str = "\
The file is checked before it is written: `perfgate check` of the same traces
passes its budgets. Red flags already in the traces are named on stderr: the
detectors report them until they are fixed or configured.

Exit codes:
  0  the file was written
  2  usage or input error, or the file exists already (nothing was written)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// How operations are identified across traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyArg {
    /// Qualified function name only (coarsest).
    Function,
    /// Function name and file base name: survives moved checkouts and shifted lines (default).
    File,
    /// The raw event name with full path and line (finest).
    Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    Total,
    #[value(name = "self")]
    SelfTime,
    Count,
    Mean,
    P95,
    Max,
}

/// `--format` takes any format of the registry ([`Format::ALL`]).
impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        Format::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.help()))
    }
}

/// `--NAME FILE` for every format of the registry that writes files, in its order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportFiles(pub Vec<(Format, PathBuf)>);

impl ReportFiles {
    fn formats() -> impl Iterator<Item = Format> {
        Format::ALL.iter().copied().filter(|f| f.writes_files())
    }
}

impl FromArgMatches for ReportFiles {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(ReportFiles(
            ReportFiles::formats()
                .filter_map(|f| matches.get_one::<PathBuf>(f.name()).map(|p| (f, p.clone())))
                .collect(),
        ))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = ReportFiles::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for ReportFiles {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        ReportFiles::formats().fold(cmd, |cmd, f| {
            cmd.arg(
                Arg::new(f.name())
                    .long(f.name())
                    .value_name("FILE")
                    .value_parser(clap::value_parser!(PathBuf))
                    .help(f.file_help()),
            )
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        ReportFiles::augment_args(cmd)
    }
}

/// Where the report goes: standard output in one format, and any number of files.
#[derive(Debug, Args)]
#[command(next_help_heading = "Report outputs")]
pub struct OutputArgs {
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::TABLE)]
    pub format: Format,

    #[command(flatten)]
    pub files: ReportFiles,

    /// GitHub Actions: annotations, job summary ($GITHUB_STEP_SUMMARY) and step outputs
    /// ($GITHUB_OUTPUT). On by default when GITHUB_ACTIONS=true.
    #[arg(long, overrides_with = "no_github")]
    pub github: bool,

    /// Turn off the GitHub Actions output even when GITHUB_ACTIONS=true.
    #[arg(long, overrides_with = "github")]
    pub no_github: bool,

    /// Id of the sticky PR comment: the Markdown starts with `<!-- perfgate:ID -->`
    /// (default `<!-- perfgate -->`). Letters, digits, '.', '_' and '-'.
    #[arg(long, value_name = "ID")]
    pub comment_id: Option<String>,

    /// JUnit: compared operations listed beyond those that matter (a severity, or own code
    /// that regressed or improved); the rest is counted in one testcase.
    #[arg(long, value_name = "N", default_value_t = crate::report::junit::DEFAULT_MAX_CASES)]
    pub junit_max_cases: usize,

    /// Markdown comment and job summary: no Mermaid chart of the causes (before and after).
    #[arg(long)]
    pub no_charts: bool,

    /// Terminal table: only what failed or warned (no on-target budgets, improvements or
    /// counts of unchanged operations). The pre-push hook uses it.
    #[arg(long)]
    pub brief: bool,
}

/// Trace inputs and how their operations are keyed.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Trace files (Chrome Trace Event JSON, plain or gzip); `-` reads standard input.
    #[arg(required = true, value_name = "TRACE")]
    pub traces: Vec<String>,

    /// How spans are grouped into operations.
    #[arg(long, value_enum, default_value_t = KeyArg::File)]
    pub key: KeyArg,

    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// Which operations the command looks at (docs/scope.md); with budgets.toml `[scope]`.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Scope")]
pub struct ScopeArgs {
    /// Look only at operations this selector picks (repeatable; replaces `[scope] include`):
    /// `own`, `library`, `unknown`, `file:GLOB`, `name:GLOB` or a name GLOB.
    #[arg(long, value_name = "SELECTOR")]
    pub include: Vec<String>,

    /// Leave out operations this selector picks, as if they had not been traced (repeatable;
    /// added to `[scope] exclude`).
    #[arg(long, value_name = "SELECTOR")]
    pub exclude: Vec<String>,

    /// Ignore the `[scope]` section of budgets.toml.
    #[arg(long)]
    pub no_scope: bool,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub input: TraceArgs,

    /// Column to sort by (descending).
    #[arg(long, value_enum, default_value_t = SortArg::Total)]
    pub sort: SortArg,

    /// Show only the first N operations.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// Keep operations whose name matches this glob (e.g. 'get_*').
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,

    /// Keep operations whose source file matches this glob (e.g. '*/db/*.py').
    #[arg(long, value_name = "GLOB")]
    pub file: Option<String>,

    /// budgets.toml whose `[scope]` applies [default: ./budgets.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub budgets: Option<PathBuf>,

    /// Show where the time of the slowest calls of this operation goes: the call paths
    /// beneath them, with their time and share (a name, glob or regex: as in budgets.toml).
    /// The table then lists only the operations it matches.
    #[arg(long, value_name = "NAME")]
    pub tree: Option<String>,

    /// With --tree: how many of the slowest calls to take.
    #[arg(long, value_name = "N", default_value_t = 10, requires = "tree",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub tree_calls: u32,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `--metric` takes the comparison's metric by its one definition ([`Metric`]).
impl ValueEnum for Metric {
    fn value_variants<'a>() -> &'a [Self] {
        &Metric::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let value = PossibleValue::new(self.as_str());
        Some(match self {
            Metric::Total => value.help("Inclusive time per run"),
            Metric::SelfTime => value.help("Self time per run"),
            _ => value,
        })
    }
}

/// How a comparison judges, shared by `compare` and `record` (docs/compare.md, "The rules").
#[derive(Debug, Clone, Args)]
pub struct VerdictArgs {
    /// The figure compared [default: p95].
    #[arg(long, value_enum)]
    pub metric: Option<Metric>,

    /// Smallest relative change that counts, e.g. '10%' [default: 10%].
    #[arg(long, value_name = "PCT")]
    pub threshold: Option<String>,

    /// Smallest absolute change that counts, e.g. '1ms', '500us' [default: 1ms].
    #[arg(long, value_name = "DURATION")]
    pub noise_floor: Option<String>,

    /// Significance level of the comparison, shared by the operations tested [default: 0.01].
    #[arg(long, value_name = "P")]
    pub alpha: Option<f64>,

    /// Fewest calls per run for a test on the calls [default: 5].
    #[arg(long, value_name = "N")]
    pub min_samples: Option<usize>,

    /// Share of the before side's operations (its own code's, when known) the after side
    /// must measure; below it the tracer is taken as misconfigured and the gate fails
    /// [default: 50%].
    #[arg(long, value_name = "PCT")]
    pub min_coverage: Option<String>,

    /// How spans are grouped into operations.
    #[arg(long, value_enum, default_value_t = KeyArg::File)]
    pub key: KeyArg,

    #[command(flatten)]
    pub scope: ScopeArgs,

    /// Fail the gate (exit 1) on warnings too, or only on failures.
    #[arg(long, value_enum, default_value_t = FailOnArg::Fail)]
    pub fail_on: FailOnArg,
}

/// The least severe result that fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    /// Warnings fail too (acceptable budgets, warn findings, budgets matching nothing, and in
    /// compare changes above the thresholds that are not significant).
    Warn,
    /// Only flagged budgets and fail findings fail (default).
    Fail,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// BEFORE and AFTER: traces, baseline files, or baselines in git as REV:PATH (or use
    /// --before/--after for several runs per side).
    #[arg(value_name = "TRACE", num_args = 0..=2)]
    pub traces: Vec<String>,

    /// Traces of the before side: files or glob patterns ('runs/before_*.json').
    #[arg(long, value_name = "TRACE", num_args = 1..)]
    pub before: Vec<String>,

    /// Traces of the after side: files or glob patterns.
    #[arg(long, value_name = "TRACE", num_args = 1..)]
    pub after: Vec<String>,

    /// Read the BEFORE baseline at a git revision, without a checkout: `auto` (the merge-base
    /// of HEAD with the default branch, or with GITHUB_BASE_REF on GitHub Actions) or a
    /// revision. BEFORE is then the baseline's path in the working tree.
    #[arg(long, value_name = "REV")]
    pub base_ref: Option<String>,

    #[command(flatten)]
    pub verdict: VerdictArgs,

    /// Run K of --before and run K of --after were made side by side (alternately, on one
    /// machine, as `perfgate record` makes them; globs are sorted by name): with 3+ pairs each
    /// operation is judged by a paired t test on the per-pair ratios, so drift of the machine
    /// between pairs cancels. Both sides need the same number of runs.
    #[arg(long)]
    pub paired: bool,

    /// A trace cut short or whose tracer dropped calls (buffer overflow) only warns; by
    /// default it fails the gate, since counts and tails judged on it are wrong.
    #[arg(long)]
    pub allow_incomplete: bool,

    /// Budgets to check the after side against, and `[compare]` defaults
    /// [default: ./budgets.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub budgets: Option<PathBuf>,

    /// Compare only, even when ./budgets.toml exists.
    #[arg(long, conflicts_with = "budgets")]
    pub no_budgets: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: TraceArgs,

    /// The budgets file.
    #[arg(long, value_name = "FILE", default_value = "budgets.toml")]
    pub budgets: std::path::PathBuf,

    /// Fail the gate on warnings too, or only on failures.
    #[arg(long, value_enum, default_value_t = FailOnArg::Fail)]
    pub fail_on: FailOnArg,

    /// A trace cut short or whose tracer dropped calls (buffer overflow) only warns; by
    /// default it fails the gate, since counts and tails judged on it are wrong.
    #[arg(long)]
    pub allow_incomplete: bool,

    /// A budget that matches no call in the traces fails the gate (exit 1).
    #[arg(long)]
    pub require_match: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Summarise traces into a baseline file (deterministic, diff-friendly, small).
    Save(BaselineSaveArgs),
    /// Merge baselines (e.g. saved on CI shards) as if one run had seen all their traces.
    Merge(BaselineMergeArgs),
}

#[derive(Debug, Args)]
pub struct BaselineSaveArgs {
    #[command(flatten)]
    pub input: TraceArgs,

    /// The baseline file to write (e.g. baselines/NAME.json); written whole or not at all.
    #[arg(short, long, value_name = "FILE")]
    pub output: String,

    /// budgets.toml whose `[scope]` applies [default: ./budgets.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub budgets: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BaselineMergeArgs {
    /// Baseline files to merge, in order.
    #[arg(required = true, value_name = "BASELINE")]
    pub baselines: Vec<String>,

    /// The merged baseline file to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: String,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Write the pre-push hook (honours core.hooksPath; never replaces another hook unless --force).
    Install(HookInstallArgs),
    /// Remove the pre-push hook, if perfgate wrote it.
    Uninstall,
    /// What the hook runs: the `[hook]` gate of budgets.toml for the refs git is pushing.
    #[command(after_help = EXIT_CODES)]
    Run(HookRunArgs),
}

#[derive(Debug, Args)]
pub struct HookInstallArgs {
    /// Replace an existing pre-push hook that perfgate did not write.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct HookRunArgs {
    /// The budgets file whose `[hook]` section says what to run.
    #[arg(long, value_name = "FILE", default_value = "budgets.toml")]
    pub config: String,

    /// The remote name and URL git passes to pre-push hooks (unused, accepted).
    #[arg(value_name = "REMOTE", num_args = 0..=2)]
    pub remote: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The base revision, checked out into a temporary git worktree: `auto` (the merge-base
    /// of HEAD with the default branch, or with GITHUB_BASE_REF on GitHub Actions) or a
    /// revision [default: auto].
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,

    /// Runs per side, in pairs [default: `[record]` runs, else 5].
    #[arg(long, value_name = "N")]
    pub runs: Option<u32>,

    /// Warm-up runs per side, discarded [default: `[record]` warmup, else 1].
    #[arg(long, value_name = "N")]
    pub warmup: Option<u32>,

    /// Where the traces are written (base_K.json, head_K.json).
    #[arg(
        short = 'o',
        long = "out-dir",
        value_name = "DIR",
        default_value = ".perfgate/record"
    )]
    pub out_dir: PathBuf,

    /// The tracer command template, with {trace} and {command}
    /// [default: `[record]` tracer, else `viztracer --quiet -o {trace} -- {command}`].
    #[arg(long, value_name = "TEMPLATE")]
    pub tracer: Option<String>,

    #[command(flatten)]
    pub verdict: VerdictArgs,

    /// The budgets file: its `[record]` section, its `[compare]` defaults, and the budgets the
    /// head traces are checked against [default: ./budgets.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub budgets: Option<PathBuf>,

    /// Compare only, even when ./budgets.toml exists (its `[record]` section is still read).
    #[arg(long, conflicts_with = "budgets")]
    pub no_budgets: bool,

    #[command(flatten)]
    pub output: OutputArgs,

    /// The command to trace (after `--`) [default: `[record]` command].
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub input: TraceArgs,

    /// The file to write; an existing file is never replaced. `-` writes to standard output.
    #[arg(short, long, value_name = "FILE", default_value = "budgets.toml")]
    pub output: String,

    /// How many operations get a budget (the heaviest by total time).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub top: usize,

    /// Room above the observed p95: target = p95 + PCT, flag = p95 + 2 x PCT.
    #[arg(long, value_name = "PCT", default_value = "25%")]
    pub headroom: String,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
