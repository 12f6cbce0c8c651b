//! Where reports go: standard output in the chosen format, report files (`--json FILE` and
//! the other `--FORMAT FILE` flags of the format registry) written whole, and GitHub Actions
//! (annotations, job summary, step outputs).
//!
//! The CLI is resolved once into [`OutputSettings`] (colour from `--color`, `NO_COLOR` and
//! `CLICOLOR_FORCE`; GitHub from `--github` or `GITHUB_ACTIONS=true`); [`emit`] is the one
//! function every command calls with its report.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::atomic;
use crate::cli::{ColorChoice, OutputArgs};
use crate::outcome::Report;
use crate::report::junit::JunitOptions;
use crate::report::markdown::{self, MarkdownOptions};
use crate::report::{Format, RenderOptions, RenderSettings, github};

/// Whether to colour standard output.
pub fn resolve_color(choice: ColorChoice) -> bool {
    let env_set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if env_set("NO_COLOR") => false,
        ColorChoice::Auto if env_set("CLICOLOR_FORCE") => true,
        ColorChoice::Auto => std::io::stdout().is_terminal(),
    }
}

/// Terminal width: the terminal's when standard output is one, else `COLUMNS`, else 80.
pub fn terminal_width() -> u16 {
    if std::io::stdout().is_terminal()
        && let Some((w, _)) = terminal_size()
    {
        return w;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w: &u16| w >= 40)
        .unwrap_or(80)
}

/// comfy-table asks the terminal (crossterm) for its size when standard output is one.
fn terminal_size() -> Option<(u16, u16)> {
    comfy_table::Table::new().width().map(|w| (w, 0))
}

/// The GitHub Actions environment the report goes to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GithubSettings {
    /// `$GITHUB_STEP_SUMMARY`: the Markdown is appended to it.
    pub step_summary: Option<PathBuf>,
    /// `$GITHUB_OUTPUT`: `name=value` lines are appended to it.
    pub output: Option<PathBuf>,
    /// `$GITHUB_WORKSPACE`: annotation paths are made relative to it.
    pub workspace: Option<PathBuf>,
}

impl GithubSettings {
    /// Reads the runner's variables.
    pub fn from_env() -> Self {
        let path = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        GithubSettings {
            step_summary: path("GITHUB_STEP_SUMMARY"),
            output: path("GITHUB_OUTPUT"),
            workspace: path("GITHUB_WORKSPACE"),
        }
    }
}

/// Every output of one run, resolved from the command line and the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSettings {
    /// Format on standard output.
    pub format: Format,
    /// Layout of the terminal table and the Markdown comment.
    pub render: RenderSettings,
    /// Report files: each format to write, and where.
    pub files: Vec<(Format, PathBuf)>,
    /// `Some` when GitHub Actions output is on.
    pub github: Option<GithubSettings>,
}

impl OutputSettings {
    /// Resolves the output flags. `top` limits the table's operation rows.
    pub fn resolve(args: &OutputArgs, color: bool, top: Option<usize>) -> anyhow::Result<Self> {
        if let Some(id) = &args.comment_id
            && !markdown::valid_comment_id(id)
        {
            bail!(
                "invalid --comment-id {id:?}: use letters, digits, '.', '_' and '-' (it goes into an HTML comment)"
            );
        }
        for (format, path) in &args.files.0 {
            refuse_dash(path, *format)?;
        }
        let on_actions = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
        let github: Option<GithubSettings> =
            (args.github || (on_actions && !args.no_github)).then(GithubSettings::from_env);
        Ok(OutputSettings {
            format: args.format,
            render: RenderSettings {
                terminal: RenderOptions {
                    color,
                    width: Some(terminal_width()),
                    top,
                    brief: args.brief,
                },
                markdown: MarkdownOptions {
                    comment_id: args.comment_id.clone(),
                    max_chars: None,
                    max_bytes: None,
                    source_links: github.as_ref().and_then(|_| source_link_base()),
                    no_charts: args.no_charts,
                },
                junit: JunitOptions {
                    max_cases: args.junit_max_cases,
                },
            },
            files: args.files.0.clone(),
            github,
        })
    }
}

impl OutputSettings {
    /// Whether any output (standard output or a file) is in one of `formats`: the commands
    /// compute the pictures' data only then.
    pub fn wants_any(&self, formats: &[Format]) -> bool {
        formats
            .iter()
            .any(|f| self.format == *f || self.files.iter().any(|(g, _)| g == f))
    }

    /// Whether an output draws call paths (a flame graph).
    pub fn draws_call_paths(&self) -> bool {
        self.wants_any(crate::report::CALL_PATH_FORMATS)
    }
}

/// In GitHub mode, where the project's source files are on the server at the commit being
/// judged: `{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/blob/{sha}/`, the sha being the pull
/// request's head (`pull_request.head.sha` of the event at `GITHUB_EVENT_PATH`; `GITHUB_SHA` is
/// the merge commit there), else `GITHUB_SHA`. `None` when one is missing or malformed.
fn source_link_base() -> Option<String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let server = var("GITHUB_SERVER_URL")?;
    let repository = var("GITHUB_REPOSITORY")?;
    let sha = var("GITHUB_EVENT_PATH")
        .and_then(|path| pull_request_head_sha(Path::new(&path)))
        .or_else(|| var("GITHUB_SHA"))?;
    let server_ok = server.starts_with("https://") || server.starts_with("http://");
    let repository_ok = repository.split('/').count() == 2
        && repository
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    let sha_ok = !sha.is_empty() && sha.chars().all(|c| c.is_ascii_hexdigit());
    (server_ok && repository_ok && sha_ok)
        .then(|| format!("{}/{repository}/blob/{sha}/", server.trim_end_matches('/')))
}

/// `pull_request.head.sha` of a GitHub event payload, when it is a pull request's.
fn pull_request_head_sha(event: &Path) -> Option<String> {
    let text = std::fs::read_to_string(event).ok()?;
    let payload: serde_json::Value = serde_json::from_str(&text).ok()?;
    payload["pull_request"]["head"]["sha"]
        .as_str()
        .map(str::to_string)
}

/// `--json -` would write a file named `-` (traces take `-` for standard input, so a user
/// expects standard output): refused, pointing at `--format`.
fn refuse_dash(path: &Path, format: Format) -> anyhow::Result<()> {
    if path == Path::new("-") {
        let name = format.name();
        bail!("--{name} -: report files need a file name; for standard output use --format {name}");
    }
    Ok(())
}

/// Sends the report everywhere `settings` asks. Everything that can fail for a bad path or a
/// full disk comes before anything the user sees: the report files are staged complete, and
/// the runner's summary and output files (appended to, so they cannot be staged) are written;
/// only then are the report files put in place and standard output printed. A failure (exit
/// 2) thus leaves no report file and prints no report.
pub fn emit(report: &Report, settings: &OutputSettings) -> anyhow::Result<()> {
    let staged = stage_all(report, settings)?;
    if let Some(gh) = &settings.github {
        let runner_files = RunnerFiles::open(gh)?;
        // The job summary has its own budget (1 MiB a step, in bytes; the line break
        // appended after it counts too), not the comment's 65,536 characters.
        let mut summary_settings = settings.render.clone();
        summary_settings.markdown.max_chars = None;
        summary_settings.markdown.max_bytes = Some(markdown::SUMMARY_MAX_BYTES - 1);
        let summary = Format::MARKDOWN.render(report, &summary_settings);
        write_runner_files(report, runner_files, &summary)?;
    }
    persist_all(staged)?;
    write_stdout(report, settings)?;
    if let Some(gh) = &settings.github {
        write_annotations(report, gh);
    }
    Ok(())
}

/// Every report file complete in a temporary file next to its target.
fn stage_all<'a>(
    report: &Report,
    settings: &'a OutputSettings,
) -> anyhow::Result<Vec<(atomic::Staged, &'a Path)>> {
    settings
        .files
        .iter()
        .map(|(format, path)| {
            let write = |out: &mut dyn Write| format.write(report, &settings.render, out);
            stage(path, write).map(|tmp| (tmp, path.as_path()))
        })
        .collect()
}

/// Renames staged files over their targets.
fn persist_all(staged: Vec<(atomic::Staged, &Path)>) -> anyhow::Result<()> {
    for (tmp, path) in staged {
        persist(tmp, path)?;
    }
    Ok(())
}

/// What `write` writes, complete in a temporary file next to `path` (removed again when
/// dropped).
fn stage(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<atomic::Staged> {
    let dir = atomic::parent_dir(path);
    let name = path.display();
    if !dir.is_dir() {
        bail!(
            "could not write {name}: the directory {} does not exist",
            dir.display()
        );
    }
    // Caught here, not at the rename, so that no other file of the run is written either.
    if path.is_dir() {
        bail!("could not write {name}: it is a directory; give a file name");
    }
    // The temporary file's own name means nothing to the user; the kind ("permission
    // denied") is what matters.
    atomic::stage_with(path, write).map_err(|e| {
        anyhow::anyhow!(
            "could not write {name}: cannot create a file in {}: {}",
            dir.display(),
            e.kind()
        )
    })
}

/// Renames a staged file over its target.
fn persist(staged: atomic::Staged, path: &Path) -> anyhow::Result<()> {
    atomic::persist(staged).with_context(|| format!("could not write {}", path.display()))
}

/// Annotations on standard error (the runner reads workflow commands from both streams, and
/// standard output stays the report alone).
fn write_annotations(report: &Report, gh: &GithubSettings) {
    let mut err = std::io::stderr().lock();
    for line in github::annotations(report, gh.workspace.as_deref()) {
        let _ = writeln!(err, "{line}");
    }
}

/// The Markdown appended to the job summary, and the step outputs.
fn write_runner_files(report: &Report, files: RunnerFiles, markdown: &str) -> anyhow::Result<()> {
    match files.step_summary {
        Some(file) => append(file, &format!("{markdown}\n"), "GITHUB_STEP_SUMMARY")?,
        None => crate::log::say!(
            "perfgate: note: GITHUB_STEP_SUMMARY is not set; no job summary written"
        ),
    }
    match files.output {
        Some(file) => append(file, &github::outputs(report), "GITHUB_OUTPUT")?,
        None => {
            crate::log::say!("perfgate: note: GITHUB_OUTPUT is not set; no step outputs written")
        }
    }
    Ok(())
}

/// The runner's files, opened for appending before anything is written, so a bad
/// `$GITHUB_STEP_SUMMARY` is an error before the report files and standard output.
struct RunnerFiles {
    step_summary: Option<(std::fs::File, PathBuf)>,
    output: Option<(std::fs::File, PathBuf)>,
}

impl RunnerFiles {
    fn open(gh: &GithubSettings) -> anyhow::Result<Self> {
        let open = |path: &Option<PathBuf>, var: &str| -> anyhow::Result<_> {
            path.as_ref()
                .map(|p| {
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(p)
                        .map(|f| (f, p.clone()))
                        .with_context(|| format!("could not append to {} (${var})", p.display()))
                })
                .transpose()
        };
        Ok(RunnerFiles {
            step_summary: open(&gh.step_summary, "GITHUB_STEP_SUMMARY")?,
            output: open(&gh.output, "GITHUB_OUTPUT")?,
        })
    }
}

/// Appends to a runner file (the runner's protocol is append, several steps may share it).
fn append((mut file, path): (std::fs::File, PathBuf), text: &str, var: &str) -> anyhow::Result<()> {
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .with_context(|| format!("could not append to {} (${var})", path.display()))
}

/// Writes the report to standard output in its format, as it is rendered; a closed pipe
/// (`| head`) is not an error.
fn write_stdout(report: &Report, settings: &OutputSettings) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = settings
        .format
        .write(report, &settings.render, &mut out)
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
