//! `perfgate hook`: install and uninstall in temporary repositories (core.hooksPath, no
//! clobbering), and the hook run by a real `git push` to a local bare remote.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{fixture_arg, perfgate};

/// Whether git can be run; when it cannot, fails on CI and skips visibly elsewhere.
pub fn have_git() -> bool {
    crate::common::have("git")
}

/// Runs git in `dir`, expecting success; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository with one commit on `main` and a bare remote `origin`.
pub fn repo_with_remote(root: &Path) -> PathBuf {
    let work = root.join("work");
    let remote = root.join("remote.git");
    std::fs::create_dir_all(&work).unwrap();
    git(
        root,
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            remote.to_str().unwrap(),
        ],
    );
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["config", "user.email", "t@example.invalid"]);
    git(&work, &["config", "user.name", "t"]);
    git(
        &work,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    std::fs::write(work.join("README"), "x\n").unwrap();
    git(&work, &["add", "README"]);
    git(&work, &["commit", "-q", "-m", "first"]);
    work
}

fn hook_cmd(dir: &Path, args: &[&str]) -> std::process::Output {
    perfgate()
        .current_dir(dir)
        .args(["hook"])
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn install_writes_an_executable_hook_and_uninstall_removes_it() {
    if !have_git() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = repo_with_remote(root.path());
    let out = hook_cmd(&work, &["install"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let hook = work.join(".git/hooks/pre-push");
    let script = std::fs::read_to_string(&hook).unwrap();
    assert!(script.starts_with("#!/bin/sh\n") && script.contains("hook run"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&hook).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "not executable");
    }
    // Installing again replaces perfgate's own hook.
    assert!(hook_cmd(&work, &["install"]).status.success());
    let out = hook_cmd(&work, &["uninstall"]);
    assert!(out.status.success());
    assert!(!hook.exists());
}

#[test]
fn install_never_clobbers_a_foreign_hook_unless_forced() {
    if !have_git() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = repo_with_remote(root.path());
    let hook = work.join(".git/hooks/pre-push");
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    let out = hook_cmd(&work, &["install"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(
        stderr.contains("perfgate hook run"),
        "no chaining advice: {stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    // uninstall leaves it alone too.
    assert_eq!(hook_cmd(&work, &["uninstall"]).status.code(), Some(2));
    assert!(hook.exists());
    let out = hook_cmd(&work, &["install", "--force"]);
    assert!(out.status.success());
    assert!(std::fs::read_to_string(&hook).unwrap().contains("perfgate"));
    // The replaced hook is kept, not lost, and the output says where.
    let kept = work.join(".git/hooks/pre-push.before-perfgate");
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    assert!(
        text(&out.stdout).contains("pre-push.before-perfgate"),
        "{}",
        text(&out.stdout)
    );
    // A second forced install over another foreign hook does not overwrite that backup.
    std::fs::write(&hook, "#!/bin/sh\necho second\n").unwrap();
    assert!(hook_cmd(&work, &["install", "--force"]).status.success());
    assert_eq!(
        std::fs::read_to_string(kept.with_extension("before-perfgate.1")).unwrap(),
        "#!/bin/sh\necho second\n"
    );
    assert!(std::fs::read_to_string(&kept).unwrap().contains("mine"));
    // Uninstalling puts back the hook the last forced install replaced, then the one before.
    let out = hook_cmd(&work, &["uninstall"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("put back"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho second\n"
    );
    assert!(!kept.with_extension("before-perfgate.1").exists());
    assert!(hook_cmd(&work, &["install", "--force"]).status.success());
    assert!(hook_cmd(&work, &["uninstall"]).status.success());
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho second\n"
    );
    assert!(kept.exists(), "the older backup stays until its turn");
}

#[test]
fn install_respects_core_hooks_path() {
    if !have_git() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = repo_with_remote(root.path());
    git(&work, &["config", "core.hooksPath", ".githooks"]);
    let out = hook_cmd(&work, &["install"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(work.join(".githooks/pre-push").is_file());
    assert!(!work.join(".git/hooks/pre-push").exists());
    assert!(text(&out.stdout).contains(".githooks/pre-push"));
}

#[test]
fn outside_a_repository_install_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = hook_cmd(dir.path(), &["install"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a git repository"));
}

/// Runs `perfgate hook run` with `stdin` as git would give it.
pub fn hook_run(dir: &Path, stdin: &str) -> std::process::Output {
    perfgate()
        .current_dir(dir)
        .args(["hook", "run", "origin", "/dev/null"])
        .write_stdin(stdin.to_string())
        .output()
        .unwrap()
}

#[test]
fn deletions_and_empty_pushes_run_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // No budgets.toml at all: the gate is not even configured, yet nothing fails.
    let zeros = "0".repeat(40);
    let out = hook_run(
        dir.path(),
        &format!("(delete) {zeros} refs/heads/old {}\n", "a".repeat(40)),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    assert!(hook_run(dir.path(), "").status.success());
}

#[test]
fn a_failing_hook_command_blocks_the_push_with_its_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("budgets.toml"),
        "[hook]\ncommand = \"echo tracing failed >&2; exit 3\"\ntrace = \"trace.json\"\n",
    )
    .unwrap();
    let line = one_ref();
    let out = hook_run(dir.path(), &line);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("tracing failed"), "{stderr}");
    assert!(stderr.contains("push blocked"), "{stderr}");
}

#[test]
fn a_hook_section_without_a_trace_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("budgets.toml"),
        "[hook]\ncommand = \"true\"\n",
    )
    .unwrap();
    let line = one_ref();
    let out = hook_run(dir.path(), &line);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("budgets.toml"),
        "{}",
        text(&out.stderr)
    );
}

/// `git push` in `dir` (hooks run), returning the output whatever the status.
fn push(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .current_dir(dir)
        .arg("push")
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("git runs")
}

/// A repository whose budgets.toml makes the hook copy `trace` (a fixture) and compare it
/// with the baseline of the example service, with the hook installed.
fn gated_repo(root: &Path, trace: &str) -> PathBuf {
    let work = repo_with_remote(root);
    let out = perfgate()
        .current_dir(&work)
        .args(["baseline", "save", &fixture_arg("viztracer/baseline.json")])
        .args(["-o", "baselines/diagnostic.json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    set_hook_trace(&work, trace);
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "baseline and gate"]);
    let out = hook_cmd(&work, &["install"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    work
}

fn set_hook_trace(work: &Path, trace: &str) {
    let config = format!(
        "[hook]\ncommand = \"cp '{}' trace.json\"\ntrace = \"trace.json\"\nbaseline = \"baselines/diagnostic.json\"\n",
        fixture_arg(trace)
    );
    std::fs::write(work.join("budgets.toml"), config).unwrap();
}

fn remote_head(root: &Path, branch: &str) -> Option<String> {
    let out = Command::new("git")
        .current_dir(root.join("remote.git"))
        .args(["rev-parse", "--verify", "-q", branch])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| text(&out.stdout).trim().to_string())
}

#[test]
fn a_real_push_goes_through_when_the_gate_passes() {
    if !have_git() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = gated_repo(root.path(), "viztracer/aa_shifted.json");
    let out = push(&work, &["-q", "origin", "main"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("pre-push gate passed"), "{stderr}");
    // Two lines: what the push waits for, and the verdict.
    assert!(
        stderr.starts_with("perfgate: pre-push gate: running `cp "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    let head = git(&work, &["rev-parse", "HEAD"]);
    assert_eq!(
        remote_head(root.path(), "main").as_deref(),
        Some(head.trim())
    );
}

#[test]
fn a_real_push_of_a_regression_is_refused_with_the_command_to_reproduce() {
    if !have_git() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = gated_repo(root.path(), "viztracer/aa_shifted.json");
    assert!(push(&work, &["-q", "origin", "main"]).status.success());
    let pushed = remote_head(root.path(), "main");

    set_hook_trace(&work, "viztracer/regressed.json");
    git(&work, &["commit", "-q", "-am", "slower"]);
    let out = push(&work, &["-q", "origin", "main"]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "the push went through:\n{stderr}");
    assert!(stderr.contains("push blocked"), "{stderr}");
    assert!(
        stderr.contains("traverse_graph"),
        "the regression is named: {stderr}"
    );
    // Only what matters: no on-target budget rows, no count of unchanged operations.
    assert!(!stderr.contains("✓ on target"), "{stderr}");
    assert!(!stderr.contains("operation(s) unchanged"), "{stderr}");
    assert!(
        stderr.contains(
            "&& perfgate compare baselines/diagnostic.json trace.json --budgets budgets.toml"
        ),
        "{stderr}"
    );
    assert_eq!(remote_head(root.path(), "main"), pushed, "the remote moved");

    // Deleting a branch pushes no code: the gate does not run, the deletion goes through.
    git(&work, &["branch", "old"]);
    let out = push(&work, &["-q", "--no-verify", "origin", "old"]);
    assert!(out.status.success());
    let out = push(&work, &["-q", "origin", ":old"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(remote_head(root.path(), "old"), None);
}

#[test]
fn without_a_baseline_the_hook_checks_the_budgets() {
    let dir = tempfile::tempdir().unwrap();
    let budgets =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("budgets.toml"))
            .unwrap();
    let config = |trace: &str| {
        format!(
            "{budgets}\n[hook]\ncommand = \"cp '{}' trace.json\"\ntrace = \"trace.json\"\n",
            fixture_arg(trace)
        )
    };
    let line = one_ref();
    std::fs::write(
        dir.path().join("budgets.toml"),
        config("viztracer/baseline.json"),
    )
    .unwrap();
    let out = hook_run(dir.path(), &line);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("gate passed (check trace.json --budgets budgets.toml)"));
    // Two Claude calls per request: a red flag, and the push is refused.
    std::fs::write(
        dir.path().join("budgets.toml"),
        config("viztracer/dup_claude.json"),
    )
    .unwrap();
    let out = hook_run(dir.path(), &line);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("call_claude"), "{stderr}");
    assert!(
        stderr.contains("&& perfgate check trace.json --budgets budgets.toml"),
        "{stderr}"
    );
}

/// One pushed branch, as git gives it to the hook.
pub fn one_ref() -> String {
    format!(
        "refs/heads/x {} refs/heads/x {}\n",
        "a".repeat(40),
        "0".repeat(40)
    )
}

#[test]
fn a_command_that_writes_no_trace_blocks_instead_of_judging_the_last_one() {
    let dir = tempfile::tempdir().unwrap();
    // A passing trace from an earlier run is still there; the command "succeeds" without
    // writing a new one (as viztracer does when it cannot save): judging the old trace
    // would let a regression through.
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    std::fs::copy(
        fixture_arg("viztracer/baseline.json"),
        dir.path().join("out/trace.json"),
    )
    .unwrap();
    let budgets =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("budgets.toml"))
            .unwrap();
    std::fs::write(
        dir.path().join("budgets.toml"),
        format!("{budgets}\n[hook]\ncommand = \"true\"\ntrace = \"out/trace.json\"\n"),
    )
    .unwrap();
    let out = hook_run(dir.path(), &one_ref());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("did not write out/trace.json") && stderr.contains("push blocked"),
        "{stderr}"
    );
    assert!(!stderr.contains("gate passed"), "{stderr}");
}

#[test]
fn run_from_a_subdirectory_the_hook_works_from_the_top_with_the_trace_directory_made() {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::init(dir.path()).unwrap();
    let sub = dir.path().join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    // viztracer does not create the directory of its output file: the hook does.
    std::fs::write(
        dir.path().join("budgets.toml"),
        format!(
            "[hook]\ncommand = \"test -d .perfgate && cp '{}' .perfgate/trace.json\"\n\
             trace = \".perfgate/trace.json\"\nbaseline = \"b.json\"\n",
            fixture_arg("viztracer/aa_shifted.json")
        ),
    )
    .unwrap();
    let out = perfgate()
        .current_dir(dir.path())
        .args(["baseline", "save", &fixture_arg("viztracer/baseline.json")])
        .args(["-o", "b.json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = hook_run(&sub, &one_ref());
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("gate passed"), "{stderr}");
    assert!(dir.path().join(".perfgate/trace.json").is_file());
}

#[test]
fn a_budgets_file_without_a_hook_section_says_to_add_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("budgets.toml"),
        dir.path().join("budgets.toml"),
    )
    .unwrap();
    let out = hook_run(dir.path(), &one_ref());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("budgets.toml: no [hook] section") && stderr.contains("docs/hooks.md"),
        "{stderr}"
    );
    let empty = tempfile::tempdir().unwrap();
    let out = hook_run(empty.path(), &one_ref());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("budgets.toml: not found"), "{stderr}");
    assert!(
        !stderr.contains("--budgets"),
        "hook run has no --budgets: {stderr}"
    );
}

#[test]
fn under_pre_commit_the_gate_runs_even_without_refs_on_standard_input() {
    // pre-commit reads git's input itself; on the first push to an empty remote it sets
    // PRE_COMMIT=1 but no PRE_COMMIT_TO_REF, and the hook's standard input is empty.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("budgets.toml"),
        "[hook]\ncommand = \"echo gate ran >&2; exit 3\"\ntrace = \"trace.json\"\n",
    )
    .unwrap();
    let out = perfgate()
        .current_dir(dir.path())
        .args(["hook", "run"])
        .env("PRE_COMMIT", "1")
        .env_remove("PRE_COMMIT_TO_REF")
        .write_stdin("")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the gate was skipped: {stderr}");
    assert!(
        stderr.contains("gate ran") && stderr.contains("push blocked"),
        "{stderr}"
    );
}

#[test]
fn the_commented_hook_example_of_budgets_toml_works_once_uncommented() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let budgets = std::fs::read_to_string(manifest.join("budgets.toml")).unwrap();
    let start = budgets
        .find("\n# [hook]\n")
        .expect("a commented [hook] example");
    // Uncomment the example's lines ("# key = ..."), leaving its own comments ("# # ...").
    let example: String = budgets[start + 1..]
        .lines()
        .filter(|l| !l.starts_with("# #"))
        .map(|l| format!("{}\n", l.trim_start_matches("# ")))
        .collect();
    assert!(
        example.contains("command = \"viztracer -o .perfgate/trace.json"),
        "{example}"
    );
    // The tracer is stood in for by a copy of a trace it wrote, into the same path.
    let command = format!(
        "cp '{}' .perfgate/trace.json",
        fixture_arg("viztracer/aa_shifted.json")
    );
    let example: String = example
        .lines()
        .map(|l| match l.starts_with("command = ") {
            true => format!("command = \"{command}\"\n"),
            false => format!("{l}\n"),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("budgets.toml"),
        format!("{}\n{example}", &budgets[..start]),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("baselines")).unwrap();
    std::fs::copy(
        manifest.join("baselines/diagnostic.json"),
        dir.path().join("baselines/diagnostic.json"),
    )
    .unwrap();
    let out = hook_run(dir.path(), &one_ref());
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("gate passed (compare baselines/diagnostic.json .perfgate/trace.json"),
        "{stderr}"
    );
}
