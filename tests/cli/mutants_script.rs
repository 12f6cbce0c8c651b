//! `scripts/mutants-in-diff.sh` (the pull-request mutation step, docs/testing.md): what it
//! mutates and how it turns cargo-mutants' outcome into a CI status. A stand-in `cargo` on
//! PATH plays cargo-mutants (the real one takes minutes a mutant), writing the files the real
//! one writes (`mutants.out/caught.txt`, `missed.txt`) and exiting as it does.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::have;

const SCRIPT: &str = include_str!("../../scripts/mutants-in-diff.sh");

/// Plays `cargo mutants … --output DIR`: records its arguments, then acts as `$FAKE_MUTANTS`
/// says: `missed` (one caught, one missed, exit 2), `slow` (one caught, then hangs), `clean`.
const FAKE_CARGO: &str = r#"#!/usr/bin/env bash
echo "$*" >"$FAKE_ARGS"
while [ $# -gt 0 ]; do
    if [ "$1" = --output ]; then out="$2"; fi
    shift
done
mkdir -p "$out/mutants.out"
echo "Found 3 mutants to test"
echo "src/compare/verdict.rs:2:5: replace < with <= in worse" >"$out/mutants.out/caught.txt"
case "$FAKE_MUTANTS" in
    missed)
        echo "src/compare/verdict.rs:2:5: replace worse -> bool with true" >"$out/mutants.out/missed.txt"
        exit 2 ;;
    slow) exec sleep 60 ;;
esac
"#;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// A repository with the script, one commit of `src/compare/verdict.rs` and `docs/a.md`,
/// then a second commit changing the files named in `changed`.
fn repository(changed: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["scripts", "src/compare", "docs", "bin"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(root.join("scripts/mutants-in-diff.sh"), SCRIPT).unwrap();
    std::fs::write(root.join("bin/cargo"), FAKE_CARGO).unwrap();
    std::fs::set_permissions(
        root.join("bin/cargo"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let verdict = "pub fn worse(a: f64, b: f64) -> bool {\n    a < b\n}\n";
    std::fs::write(root.join("src/compare/verdict.rs"), verdict).unwrap();
    std::fs::write(root.join("docs/a.md"), "a\n").unwrap();
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "base"]);
    for path in changed {
        let text = std::fs::read_to_string(root.join(path)).unwrap();
        std::fs::write(root.join(path), text.replace('a', "c")).unwrap();
    }
    git(root, &["commit", "-qam", "change"]);
    dir
}

/// Runs the script in `dir` against HEAD~1 with `minutes` as its bound.
fn run(dir: &Path, fake: &str, minutes: &str) -> (Output, String) {
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg(dir.join("scripts/mutants-in-diff.sh"))
        .args(["HEAD~1", minutes])
        .env("PATH", path)
        .env("FAKE_MUTANTS", fake)
        .env("FAKE_ARGS", dir.join("args.txt"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out, text)
}

fn tools() -> bool {
    have("bash") && have("git")
}

#[test]
fn a_missed_mutant_fails_the_step_and_is_listed() {
    if !tools() {
        return;
    }
    let dir = repository(&["src/compare/verdict.rs"]);
    let (out, text) = run(dir.path(), "missed", "5");
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("caught 1, missed 1")
            && text.contains("src/compare/verdict.rs:2:5: replace worse -> bool with true"),
        "{text}"
    );
    // cargo-mutants saw the change of the core only, tested by the unit tests.
    let args = std::fs::read_to_string(dir.path().join("args.txt")).unwrap();
    assert!(
        args.contains("--in-diff target/mutants-in-diff/change.diff")
            && args.contains("--cargo-arg=--lib"),
        "{args}"
    );
    let diff =
        std::fs::read_to_string(dir.path().join("target/mutants-in-diff/change.diff")).unwrap();
    assert!(diff.contains("+    c < b"), "{diff}");
}

#[test]
fn a_run_cut_short_by_its_bound_passes_and_says_how_far_it_got() {
    if !tools() {
        return;
    }
    let dir = repository(&["src/compare/verdict.rs"]);
    // 0.05 minutes: three seconds, then `timeout` stops the stand-in.
    let (out, text) = run(dir.path(), "slow", "0.05");
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("stopped after 0.05 minutes, 1 of 3 mutants tested, none missed"),
        "{text}"
    );
}

#[test]
fn all_caught_passes_and_a_change_outside_the_core_mutates_nothing() {
    if !tools() {
        return;
    }
    let dir = repository(&["src/compare/verdict.rs"]);
    let (out, text) = run(dir.path(), "clean", "5");
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("caught 1, missed 0"), "{text}");
    let docs_only = repository(&["docs/a.md"]);
    let (out, text) = run(docs_only.path(), "missed", "5");
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("nothing to mutate"), "{text}");
    assert!(
        !docs_only.path().join("args.txt").exists(),
        "cargo ran: {text}"
    );
}
