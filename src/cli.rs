//! Command-line definitions (clap derive) and nothing else: no I/O, no decisions. The
//! commands resolve these into their own settings; nothing below `commands` sees clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// A table for people.
    Table,
    /// The versioned JSON report (see docs/reports.md).
    Json,
    /// JUnit XML: one testsuite per gate, one testcase per budget, operation or finding.
    Junit,
    /// Markdown for a pull-request comment or job summary.
    Markdown,
}

/// Where the report goes: standard output in one format, and any number of files.
#[derive(Debug, Args)]
#[command(next_help_heading = "Report outputs")]
pub struct OutputArgs {
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Also write JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Also write the Markdown PR comment to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,

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

    #[command(flatten)]
    pub output: OutputArgs,
}
