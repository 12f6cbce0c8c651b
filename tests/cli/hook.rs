//! `perfgate hook`: install and uninstall in temporary repositories (core.hooksPath, no
//! clobbering), and the hook run by a real `git push` to a local bare remote.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::perfgate;

/// Whether git can be run; when it cannot, fails on CI and skips elsewhere.
pub fn have_git() -> bool {
    if Command::new("git").arg("--version").output().is_ok() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "git is required on CI");
    eprintln!("skipped: git is not installed");
    false
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
    assert!(hook_cmd(&work, &["install", "--force"]).status.success());
    assert!(std::fs::read_to_string(&hook).unwrap().contains("perfgate"));
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
fn hook_run(dir: &Path, stdin: &str) -> std::process::Output {
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
    let line = format!(
        "refs/heads/x {} refs/heads/x {}\n",
        "a".repeat(40),
        "0".repeat(40)
    );
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
    let line = format!(
        "refs/heads/x {} refs/heads/x {}\n",
        "a".repeat(40),
        "0".repeat(40)
    );
    let out = hook_run(dir.path(), &line);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("budgets.toml"),
        "{}",
        text(&out.stderr)
    );
}
