//! `perfgate hook install | uninstall | run`: the pre-push hook (see [`crate::hook`]).

use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::{Command, Output};

use anyhow::{Context, bail};

use crate::cli::{HookCommand, HookInstallArgs, HookRunArgs};
use crate::config;
use crate::hook::{self, Gate, HookSettings, Removal};
use crate::outcome::Severity;

use super::Outcome;

pub fn run(cmd: HookCommand) -> anyhow::Result<Outcome> {
    match cmd {
        HookCommand::Install(args) => install(args),
        HookCommand::Uninstall => uninstall(),
        HookCommand::Run(args) => run_gate(args),
    }
}

fn install(args: HookInstallArgs) -> anyhow::Result<Outcome> {
    let repo = hook::open_repo(&std::env::current_dir()?)?;
    let exe = std::env::current_exe().context("could not find the perfgate executable")?;
    let installed = hook::install(&repo, &exe, args.force)?;
    println!(
        "perfgate: installed the pre-push hook at {}",
        installed.path.display()
    );
    if let Some(kept) = &installed.kept {
        println!(
            "The hook it replaced is kept as {} (to run both, chain it: see docs/hooks.md).",
            kept.display()
        );
    }
    println!("It runs the [hook] section of budgets.toml before every push.");
    Ok(Outcome::Pass)
}

fn uninstall() -> anyhow::Result<Outcome> {
    let repo = hook::open_repo(&std::env::current_dir()?)?;
    match hook::uninstall(&repo)? {
        Removal::Removed(p) => println!("perfgate: removed {}", p.display()),
        Removal::Restored { path, from } => println!(
            "perfgate: removed perfgate's hook and put back the one it had replaced ({} -> {})",
            from.display(),
            path.display()
        ),
        Removal::Absent(p) => println!("perfgate: no pre-push hook at {}", p.display()),
        Removal::NotOurs(p) => bail!(
            "{}: this pre-push hook was not written by perfgate; it was left as it is",
            p.display()
        ),
    }
    Ok(Outcome::Pass)
}

/// The hook itself: nothing to do for deletions; else produce the trace, run the gate, and
/// on failure show its output and how to reproduce it.
fn run_gate(args: HookRunArgs) -> anyhow::Result<Outcome> {
    if !pushes_something()? {
        return Ok(Outcome::Pass);
    }
    let config = enter_repo_root(&args.config)?;
    let settings = load_settings(&config)?;
    match &settings.gate {
        Gate::Trace {
            command: Some(command),
            trace,
            ..
        } => {
            if let Some(blocked) = make_trace(command, trace)? {
                return Ok(blocked);
            }
        }
        Gate::Trace { command: None, .. } => {}
        // Record runs the [record] command itself, base and head, which takes a while.
        Gate::Record => crate::log::say!(
            "perfgate: pre-push gate: recording the base revision and the working tree side by side ([record] of {config})"
        ),
    }
    let exe = std::env::current_exe().context("could not find the perfgate executable")?;
    let out = Command::new(exe)
        .args(settings.gate_args())
        // A blocked push shows what failed or warned, not every on-target row; the command
        // to reproduce (without it) shows everything.
        .arg("--brief")
        .env("NO_COLOR", "1")
        .output()
        .context("could not run the perfgate gate")?;
    match out.status.code() {
        Some(0) => {
            crate::log::say!(
                "perfgate: pre-push gate passed ({})",
                settings.gate_args().join(" ")
            );
            Ok(Outcome::Pass)
        }
        code => {
            show(&out);
            let why = if code == Some(1) {
                "the performance gate failed"
            } else {
                "the gate could not run"
            };
            crate::log::say!(
                "perfgate: push blocked: {why}.\nReproduce with:\n    {}\n\
                 (to push anyway: git push --no-verify)",
                settings.reproduce()
            );
            Ok(Outcome::GateFailed)
        }
    }
}

/// Runs the `[hook]` command that writes `trace`; `Some(GateFailed)` when the push must be
/// blocked (the command failed or wrote no trace), with the reason on stderr.
fn make_trace(command: &str, trace: &str) -> anyhow::Result<Option<Outcome>> {
    prepare_trace(trace)?;
    // Its output is held back until it fails; say what the push is waiting for.
    crate::log::say!("perfgate: pre-push gate: running `{command}`");
    let out = Command::new("sh")
        .args(["-c", command])
        .output()
        .with_context(|| format!("could not run the [hook] command `{command}`"))?;
    if !out.status.success() {
        show(&out);
        crate::log::say!(
            "perfgate: the [hook] command `{command}` failed ({}); push blocked.",
            out.status
        );
        return Ok(Some(Outcome::GateFailed));
    }
    if !has_glob(trace) && !Path::new(trace).exists() {
        show(&out);
        crate::log::say!(
            "perfgate: the [hook] command `{command}` succeeded but did not write {trace}; push blocked.\n\
             Check that it writes the file [hook] trace names (viztracer exits 0 even when it cannot save its output)."
        );
        return Ok(Some(Outcome::GateFailed));
    }
    Ok(None)
}

/// Git runs hooks at the top of the working tree, where `[hook]` paths are meant from; run
/// by hand from a subdirectory, go there too. Returns the budgets file to read: `config` as
/// given when it exists from the current directory, else from the top.
fn enter_repo_root(config: &str) -> anyhow::Result<String> {
    let cwd = std::env::current_dir().context("could not read the current directory")?;
    let Some(root) = git2::Repository::discover(&cwd)
        .ok()
        .and_then(|r| r.workdir().map(Path::to_path_buf))
    else {
        return Ok(config.to_string());
    };
    let (root, cwd) = (root.canonicalize()?, cwd.canonicalize()?);
    if root == cwd {
        return Ok(config.to_string());
    }
    let here = cwd.join(config);
    let config = if here.exists() {
        here.strip_prefix(&root)
            .unwrap_or(&here)
            .display()
            .to_string()
    } else {
        config.to_string()
    };
    std::env::set_current_dir(&root)
        .with_context(|| format!("could not enter the repository at {}", root.display()))?;
    Ok(config)
}

/// Before the command runs: its trace's directory exists (viztracer does not create it and
/// still exits 0), and no trace of an earlier run is left to be judged in its place.
fn prepare_trace(trace: &str) -> anyhow::Result<()> {
    if has_glob(trace) {
        return Ok(());
    }
    let path = Path::new(trace);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "could not create {}, the directory of [hook] trace",
                dir.display()
            )
        })?;
    }
    refuse_outside_repository(path)?;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("could not remove the previous trace {trace}"))
        }
        _ => Ok(()),
    }
}

/// The trace is removed before the command runs: never outside the repository (the working
/// directory is its root here), even through a symbolic link to another directory.
fn refuse_outside_repository(trace: &Path) -> anyhow::Result<()> {
    let root = std::env::current_dir()?.canonicalize()?;
    let dir = crate::atomic::parent_dir(trace).canonicalize()?;
    if !dir.starts_with(&root) {
        bail!(
            "[hook] trace {} is outside the repository ({}); the hook removes the trace before \
             running its command, so it must be inside",
            trace.display(),
            dir.display()
        );
    }
    Ok(())
}

/// A trace given as a glob pattern (compare expands it): not one file to create or check.
fn has_glob(trace: &str) -> bool {
    trace.contains(['*', '?', '['])
}

/// Whether git is pushing anything but deletions. Run by hand (standard input a terminal),
/// the gate always runs; so it does under the pre-commit framework (`PRE_COMMIT=1`), which
/// keeps the pre-push input to itself and runs no hook when only deletions are pushed. Its
/// `PRE_COMMIT_TO_REF` is not enough: it is unset when the push holds the root commit (the
/// first push to an empty remote), where an empty standard input would skip the gate.
fn pushes_something() -> anyhow::Result<bool> {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("PRE_COMMIT") || set("PRE_COMMIT_TO_REF") {
        return Ok(true);
    }
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(true);
    }
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .context("could not read the refs being pushed from standard input")?;
    Ok(hook::parse_pushed(&text).iter().any(|r| !r.is_deletion()))
}

/// A child's output, on stderr (git shows the hook's stderr to the user).
fn show(out: &Output) {
    eprint!(
        "{}",
        crate::log::neutral(&String::from_utf8_lossy(&out.stdout))
    );
    eprint!(
        "{}",
        crate::log::neutral(&String::from_utf8_lossy(&out.stderr))
    );
}

/// The `[hook]` section of the budgets file.
fn load_settings(config: &str) -> anyhow::Result<HookSettings> {
    if !Path::new(config).exists() {
        bail!(
            "{config}: not found: the hook reads the [hook] section of budgets.toml at the top of \
             the repository, or of --config FILE (see docs/hooks.md)"
        );
    }
    let hook = config::load(Path::new(config))?.hook;
    let fail_on = hook.fail_on.map(|s| match s {
        Severity::Warn => "warn".to_string(),
        Severity::Fail => "fail".to_string(),
    });
    if hook.record {
        return record_settings(config, hook, fail_on);
    }
    if hook.command.is_none() && hook.trace.is_none() && hook.baseline.is_none() {
        bail!(
            "{config}: no [hook] section: add one saying which trace to judge (`trace = \"FILE\"`, \
             usually with the `command` that writes it), or `record = true` to trace the base \
             and the working tree side by side (see docs/hooks.md)"
        );
    }
    let Some(trace) = hook.trace else {
        bail!(
            "{config}: the [hook] section needs `trace = \"FILE\"`, the trace its `command` writes (see docs/hooks.md)"
        );
    };
    Ok(HookSettings {
        gate: Gate::Trace {
            command: hook.command,
            trace,
            baseline: hook.baseline,
        },
        fail_on,
        config: config.to_string(),
    })
}

/// `[hook] record = true`: the `[record]` section says what to run; `command`, `trace` and
/// `baseline` of `[hook]` would be ignored, so they are refused.
fn record_settings(
    config: &str,
    hook: config::HookConfig,
    fail_on: Option<String>,
) -> anyhow::Result<HookSettings> {
    let ignored: Vec<&str> = [
        ("command", hook.command.is_some()),
        ("trace", hook.trace.is_some()),
        ("baseline", hook.baseline.is_some()),
    ]
    .into_iter()
    .filter_map(|(key, set)| set.then_some(key))
    .collect();
    if !ignored.is_empty() {
        bail!(
            "{config}: [hook] has `record = true` and {}: with record, the hook traces the \
             [record] command in the base revision and in the working tree and needs no trace \
             or baseline; remove {} (see docs/hooks.md)",
            ignored
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if ignored.len() == 1 { "it" } else { "them" }
        );
    }
    if crate::record::config::load(Path::new(config))?
        .command
        .is_none()
    {
        bail!(
            "{config}: [hook] has `record = true` but there is no [record] section with the \
             `command` to trace (e.g. `command = \"app.py --requests 20\"`; see docs/record.md)"
        );
    }
    Ok(HookSettings {
        gate: Gate::Record,
        fail_on,
        config: config.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gate arguments of a `[hook]` section with `fail_on` (or without one).
    fn gate_args(fail_on: Option<&str>) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budgets.toml");
        let line = fail_on.map_or(String::new(), |f| format!("fail_on = \"{f}\"\n"));
        std::fs::write(&path, format!("[hook]\ntrace = \"t.json\"\n{line}")).unwrap();
        load_settings(path.to_str().unwrap()).unwrap().gate_args()
    }

    #[test]
    fn fail_on_is_passed_on_as_written() {
        let tail = |args: Vec<String>| args[args.len() - 2..].join(" ");
        assert_eq!(tail(gate_args(Some("warn"))), "--fail-on warn");
        assert_eq!(tail(gate_args(Some("fail"))), "--fail-on fail");
        assert!(!gate_args(None).contains(&"--fail-on".to_string()));
    }
}
