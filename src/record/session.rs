//! Running the command under the tracer in both checkouts, alternately: warm-up runs first
//! (discarded), then pairs in a balanced order, `ABBA ABBA…` with `A` the base, so neither
//! side always runs first after the other (a cache warmed or a clock boosted by the previous
//! run favours each side equally).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::hook::shell_quote;
use crate::trace::schedstat::RunEnvironment;

/// The tracer template used when neither `--tracer` nor `[record] tracer` gives one.
pub const DEFAULT_TRACER: &str = "viztracer --quiet -o {trace} -- {command}";

/// How long a command may take to stop after Ctrl-C before it is killed.
const INTERRUPT_GRACE: Duration = Duration::from_secs(3);

/// The session was interrupted (SIGINT / SIGTERM); the caller exits 130.
#[derive(Debug, thiserror::Error)]
#[error("interrupted: the recording session was stopped (Ctrl-C)")]
pub struct Interrupted;

/// Which checkout a run is made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The base revision, in the temporary worktree (`A`, the before side).
    Base,
    /// The working tree record was started in (`B`, the after side).
    Head,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Base => "base",
            Side::Head => "head",
        }
    }

    fn checkout(self) -> &'static str {
        match self {
            Side::Base => "the base checkout",
            Side::Head => "the head checkout (the working tree)",
        }
    }
}

/// The order of `runs` pairs: pair `k` (from 1) is base then head when `k` is odd, head then
/// base when it is even: `ABBA ABBA…`.
pub fn schedule(runs: u32) -> Vec<(Side, u32)> {
    (1..=runs)
        .flat_map(|k| {
            if k % 2 == 1 {
                [(Side::Base, k), (Side::Head, k)]
            } else {
                [(Side::Head, k), (Side::Base, k)]
            }
        })
        .collect()
}

/// The order as the report names it (`ABBA` for 2 pairs or more, `AB` for one).
pub fn order_name(runs: u32) -> &'static str {
    if runs >= 2 { "ABBA" } else { "AB" }
}

/// The template with `{trace}` (quoted for the shell) and `{command}` (a shell command line,
/// as it is) filled in.
pub fn fill(template: &str, trace: &Path, command: &str) -> String {
    template
        .replace("{trace}", &shell_quote(&trace.display().to_string()))
        .replace("{command}", command)
}

/// A template that starts with the word `viztracer` gets the project's viztracer: the
/// project's virtual environment (`.venv/bin`, `venv/bin` under `project`), which holds the
/// project's own packages, else the first on `PATH`. Other templates are used as they are.
pub fn resolve_tracer(template: &str, project: &Path) -> anyhow::Result<String> {
    let trimmed = template.trim_start();
    let Some(rest) = trimmed.strip_prefix("viztracer") else {
        return Ok(template.to_string());
    };
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return Ok(template.to_string());
    }
    let in_venv = [".venv/bin/viztracer", "venv/bin/viztracer"]
        .iter()
        .map(|rel| project.join(rel))
        .find(|p| p.is_file());
    let on_path = || {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("viztracer"))
                .find(|p| p.is_file())
        })
    };
    match in_venv.or_else(on_path) {
        Some(exe) => Ok(format!("{}{rest}", shell_quote(&exe.display().to_string()))),
        None => bail!(
            "viztracer was not found in the project's virtual environment ({}/.venv/bin, \
             venv/bin) nor on PATH: install it (pip install viztracer), or give another tracer \
             with --tracer or [record] tracer (a template with {{trace}} and {{command}})",
            project.display()
        ),
    }
}

/// One recording session.
#[derive(Debug)]
pub struct Session<'a> {
    /// The tracer template, resolved ([`resolve_tracer`]).
    pub tracer: String,
    /// The command, a shell command line.
    pub command: String,
    /// Where head runs are made (the current directory in the working tree).
    pub head_dir: PathBuf,
    /// Where base runs are made (the same directory in the base checkout).
    pub base_dir: PathBuf,
    /// Where the traces go (absolute).
    pub out_dir: PathBuf,
    pub runs: u32,
    pub warmup: u32,
    /// Set by the Ctrl-C handler.
    pub interrupted: &'a AtomicBool,
}

/// The traces of a session, in pair order.
#[derive(Debug, Default)]
pub struct Recorded {
    pub base: Vec<PathBuf>,
    pub head: Vec<PathBuf>,
}

impl Session<'_> {
    /// Warm-up runs (traced into a temporary directory and discarded), then the pairs, each
    /// trace written to `out_dir/{base,head}_K.json`. Stops at the first failing run.
    pub fn run(&self) -> anyhow::Result<Recorded> {
        std::fs::create_dir_all(&self.out_dir)
            .with_context(|| format!("could not create {}", self.out_dir.display()))?;
        remove_old_traces(&self.out_dir)?;
        let scratch = tempfile::Builder::new()
            .prefix("perfgate-record-logs-")
            .tempdir()
            .context("could not create a temporary directory")?;
        for (side, k) in schedule(self.warmup) {
            let trace = scratch
                .path()
                .join(format!("warmup_{}_{k}.json", side.as_str()));
            let what = format!("warm-up {} {k}/{}", side.as_str(), self.warmup);
            self.run_one(side, k, &trace, &what, scratch.path())?;
            let _ = std::fs::remove_file(&trace);
        }
        let mut recorded = Recorded::default();
        for (side, k) in schedule(self.runs) {
            let trace = self.out_dir.join(format!("{}_{k}.json", side.as_str()));
            let what = format!("{} {k}/{}", side.as_str(), self.runs);
            // The CPU the run got, beside its trace, for an unpaired `compare` to judge by.
            if let Some(env) = self.run_one(side, k, &trace, &what, scratch.path())? {
                crate::trace::schedstat::write_beside(&trace, &env)?;
            }
            match side {
                Side::Base => recorded.base.push(trace),
                Side::Head => recorded.head.push(trace),
            }
        }
        Ok(recorded)
    }

    /// Runs the tracer once on `side` into `trace`; what the scheduler measured of the run
    /// (`None` without `/proc`).
    fn run_one(
        &self,
        side: Side,
        k: u32,
        trace: &Path,
        what: &str,
        logs: &Path,
    ) -> anyhow::Result<Option<RunEnvironment>> {
        if self.interrupted.load(Ordering::SeqCst) {
            return Err(Interrupted.into());
        }
        let line = fill(&self.tracer, trace, &self.command);
        let dir = match side {
            Side::Base => &self.base_dir,
            Side::Head => &self.head_dir,
        };
        let _ = std::fs::remove_file(trace);
        let stem = format!("{}_{k}", side.as_str());
        let out_path = logs.join(format!("{stem}.stdout"));
        let err_path = logs.join(format!("{stem}.stderr"));
        let started = Instant::now();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &line]);
        // Its own process group, so that an interrupt reaches everything it started (the
        // tracer, the program, their children) and a kill leaves no orphan behind.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .current_dir(dir)
            .env("PERFGATE_RECORD_SIDE", side.as_str())
            .env("PERFGATE_RECORD_RUN", k.to_string())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path)?)
            .stderr(std::fs::File::create(&err_path)?)
            .spawn()
            .with_context(|| format!("could not run `{line}` in {}", dir.display()))?;
        let mut sampler = super::schedstat::GroupSampler::new(child.id());
        let status = wait(child, self.interrupted, &mut sampler)?;
        if self.interrupted.load(Ordering::SeqCst) {
            return Err(Interrupted.into());
        }
        if !status.success() {
            let code = status
                .code()
                .map_or_else(|| format!("{status}"), |c| format!("exit code {c}"));
            bail!(
                "the command failed in {} ({what}), {code}: `{line}` in {}\n{}",
                side.checkout(),
                dir.display(),
                output_tail(&err_path, &out_path)
            );
        }
        if !trace.is_file() {
            bail!(
                "the command succeeded in {} ({what}) but wrote no trace {}: `{line}`\n{}\
                 (the tracer template must write {{trace}}; viztracer exits 0 even when it cannot save)",
                side.checkout(),
                trace.display(),
                output_tail(&err_path, &out_path)
            );
        }
        let env = sampler.record();
        let share = env.map_or(String::new(), |e| {
            format!(", {:.0}% of the CPU it asked for", e.run_share * 100.0)
        });
        crate::log::say!(
            "perfgate: record: {what}: {} ({:.2} s{share})",
            trace.display(),
            started.elapsed().as_secs_f64()
        );
        Ok(env)
    }
}

/// Waits for `child`, sampling its process group's scheduler figures; after Ctrl-C, passes
/// SIGINT on to its process group (it is not in the terminal's foreground group), gives it
/// [`INTERRUPT_GRACE`] to stop (viztracer saves its trace) and kills the group after that.
fn wait(
    mut child: Child,
    interrupted: &AtomicBool,
    sampler: &mut super::schedstat::GroupSampler,
) -> anyhow::Result<ExitStatus> {
    let mut since: Option<Instant> = None;
    loop {
        sampler.sample_when_due();
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if interrupted.load(Ordering::SeqCst) {
            let t = *since.get_or_insert_with(|| {
                signal_group(&child, "INT");
                Instant::now()
            });
            if t.elapsed() > INTERRUPT_GRACE {
                signal_group(&child, "KILL");
                let _ = child.kill();
                let _ = child.wait();
                return Err(Interrupted.into());
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends a signal to the child's process group with the `kill` utility (this crate has no
/// unsafe code, and the standard library signals single processes only).
fn signal_group(child: &Child, signal: &str) {
    if cfg!(unix) {
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), "--", &format!("-{}", child.id())])
            .stderr(Stdio::null())
            .status();
    }
}

/// The last lines of a failed run's stderr (or stdout when stderr is empty), labelled.
fn output_tail(stderr: &Path, stdout: &Path) -> String {
    const LINES: usize = 40;
    let read = |p: &Path| std::fs::read(p).map(|b| String::from_utf8_lossy(&b).into_owned());
    let (label, text) = match read(stderr) {
        Ok(t) if !t.trim().is_empty() => ("stderr", t),
        _ => ("stdout", read(stdout).unwrap_or_default()),
    };
    if text.trim().is_empty() {
        return "(it printed nothing)".to_string();
    }
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let skip = lines.len().saturating_sub(LINES);
    let cut = if skip > 0 {
        format!(" (last {LINES} lines)")
    } else {
        String::new()
    };
    format!("--- its {label}{cut}:\n{}\n---", lines[skip..].join("\n"))
}

/// Traces of an earlier session in the output directory (`base_K.json`, `head_K.json`, and
/// their scheduler records) are removed first, so the directory holds one session.
fn remove_old_traces(dir: &Path) -> anyhow::Result<()> {
    let re = regex::Regex::new(r"^(base|head)_[0-9]+\.json(\.schedstat)?$").expect("valid regex");
    for entry in
        std::fs::read_dir(dir).with_context(|| format!("could not read {}", dir.display()))?
    {
        let entry = entry?;
        if entry.file_name().to_str().is_some_and(|n| re.is_match(n)) {
            std::fs::remove_file(entry.path()).with_context(|| {
                format!("could not remove the old trace {}", entry.path().display())
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_is_balanced() {
        let order: String = schedule(4)
            .iter()
            .map(|(s, _)| if *s == Side::Base { 'A' } else { 'B' })
            .collect();
        assert_eq!(order, "ABBAABBA");
        assert_eq!(schedule(1).len(), 2);
        assert!(schedule(0).is_empty());
        let ks: Vec<u32> = schedule(2).iter().map(|(_, k)| *k).collect();
        assert_eq!(ks, [1, 1, 2, 2]);
    }

    #[test]
    fn templates_are_filled_and_viztracer_is_found_in_the_venv() {
        let line = fill(
            DEFAULT_TRACER,
            Path::new("/o d/base_1.json"),
            "python app.py",
        );
        assert_eq!(
            line,
            "viztracer --quiet -o '/o d/base_1.json' -- python app.py"
        );
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join(".venv/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("viztracer"), "").unwrap();
        let t = resolve_tracer(DEFAULT_TRACER, dir.path()).unwrap();
        assert!(
            t.starts_with(&bin.join("viztracer").display().to_string())
                && t.ends_with(" --quiet -o {trace} -- {command}"),
            "{t}"
        );
        // Other tracers are left alone.
        let other = "python -m viztracer -o {trace} -- {command}";
        assert_eq!(resolve_tracer(other, dir.path()).unwrap(), other);
    }
}
