//! perfgate's JUnit read by the parsers of the GitHub actions that turn it into annotations:
//! dorny/test-reporter and mikepenz/action-junit-report, their own TypeScript (vendored under
//! tests/consumers/, with their licenses and upstream commits), bundled with esbuild and run
//! by node with their own XML libraries (xml2js, xml-js) from `.ci/node` (.ci/run installs
//! them); and EnricoMi/publish-unit-test-result-action, its own Python (vendored the same
//! way) run with junitparser by the Python of `PERFGATE_TEST_PYTHON`. Each annotation must
//! land on the repository-relative source file, at the `def` line of the function it is
//! about.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{perfgate, python_with, tool_available};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn node_modules() -> PathBuf {
    root().join(".ci/node/node_modules")
}

/// node, and the consumers' dependencies in `.ci/node`.
fn consumers_installed() -> bool {
    let node = Command::new("node").arg("--version").output().is_ok();
    let modules = ["esbuild", "xml2js", "xml-js", "glob", "@actions/core"]
        .iter()
        .all(|m| node_modules().join(m).is_dir());
    tool_available(
        "node and .ci/node (esbuild, xml2js, xml-js, glob, @actions/core; see .ci/run)",
        node && modules,
    )
}

/// The consumer's harness bundled with its vendored sources into one script in `dir`.
fn bundle(consumer: &str, dir: &Path) -> PathBuf {
    let out = dir.join(format!("{consumer}.cjs"));
    let status = Command::new(node_modules().join(".bin/esbuild"))
        .arg(
            root()
                .join("tests/consumers")
                .join(consumer)
                .join("harness.ts"),
        )
        .args([
            "--bundle",
            "--platform=node",
            "--format=cjs",
            "--log-level=warning",
        ])
        .arg(format!("--outfile={}", out.display()))
        .env("NODE_PATH", node_modules())
        .status()
        .unwrap();
    assert!(status.success(), "esbuild could not bundle {consumer}");
    out
}

/// The annotations a consumer makes of `junit`: (path, line, title), run from the repository
/// root as a workflow step runs in the checkout.
fn annotations(script: &Path, junit: &Path) -> Vec<(String, u64, String)> {
    let mut node = Command::new("node");
    node.arg(script).arg(junit);
    harness_annotations(node, &script.display().to_string())
}

/// Python with junitparser, the one library EnricoMi's JUnit reading needs.
fn enricomi_python() -> Option<PathBuf> {
    let python = python_with("junitparser");
    tool_available(
        "Python with junitparser (PERFGATE_TEST_PYTHON; .ci/requirements.txt)",
        python.is_some(),
    )
    .then_some(python)
    .flatten()
}

/// The annotations EnricoMi/publish-unit-test-result-action makes of `junit`.
fn enricomi_annotations(python: &Path, junit: &Path) -> Vec<(String, u64, String)> {
    let mut cmd = Command::new(python);
    cmd.arg(
        root()
            .join("tests/consumers")
            .join(ENRICOMI)
            .join("harness.py"),
    )
    .arg(junit)
    // No __pycache__ beside the vendored sources.
    .env("PYTHONDONTWRITEBYTECODE", "1");
    harness_annotations(cmd, ENRICOMI)
}

const ENRICOMI: &str = "enricomi-publish-unit-test-result-action";

/// Runs a consumer's harness from the repository root, as a workflow step runs in the
/// checkout, and reads the annotations it prints, one JSON object a line.
fn harness_annotations(mut harness: Command, name: &str) -> Vec<(String, u64, String)> {
    let out = harness
        .current_dir(root())
        .env("GITHUB_WORKSPACE", root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{name}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // mikepenz's parser logs to standard output too (`::debug::`, one line per annotation).
    stdout
        .lines()
        .filter(|l| l.starts_with("{\"path\""))
        .map(|l| {
            let a: Value = serde_json::from_str(l).unwrap();
            (
                a["path"].as_str().unwrap().to_string(),
                a["line"].as_u64().unwrap(),
                a["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The JUnit of perfgate `args`, run from the repository root.
fn junit(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let file = dir.join(format!("{name}.xml"));
    let out = perfgate()
        .current_dir(root())
        .args(args)
        .arg("--junit")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    file
}

/// Line `n` (1-based) of a repository file.
fn source_line(path: &str, n: u64) -> String {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    text.lines().nth(n as usize - 1).unwrap_or("").to_string()
}

/// Every annotation is on a repository file, at the line where a function its title names is
/// defined, one per failing testcase; returns the functions annotated.
fn check_annotations(consumer: &str, got: &[(String, u64, String)], junit: &Path) -> Vec<String> {
    let failures = std::fs::read_to_string(junit)
        .unwrap()
        .matches("<failure")
        .count();
    assert_eq!(got.len(), failures, "{consumer}: {got:#?}");
    got.iter()
        .map(|(path, line, title)| {
            assert!(
                !path.starts_with('/') && root().join(path).is_file(),
                "{consumer}: {path} is no file of the repository ({title})"
            );
            let def = source_line(path, *line);
            let function = def
                .trim_start()
                .strip_prefix("def ")
                .and_then(|d| d.split('(').next())
                .unwrap_or_else(|| panic!("{consumer}: {path}:{line} is no def: {def:?} ({title})"))
                .to_string();
            // A library operation (`time.sleep`, no file of ours in its title) is annotated
            // at the line of the own code that caused it.
            assert!(
                title.contains(&function) || !title.contains(".py)"),
                "{consumer}: {title} annotated at {path}:{line}, the def of {function}"
            );
            function
        })
        .collect()
}

/// The JUnit of the README's example: the committed baseline against the regressed trace.
fn regression_junit(dir: &Path) -> PathBuf {
    junit(
        dir,
        "regression",
        &[
            "compare",
            "baselines/diagnostic.json",
            "tests/fixtures/viztracer/regressed.json",
            "--budgets",
            "budgets.toml",
        ],
    )
}

/// Annotations on the regression example: on each of the causes' and their caller's lines.
fn check_regression_annotations(consumer: &str, got: &[(String, u64, String)], report: &Path) {
    let functions = check_annotations(consumer, got, report);
    for cause in ["traverse_graph", "call_claude", "decide_next"] {
        assert!(
            functions.iter().any(|f| f == cause),
            "{consumer}: no annotation on {cause}: {got:#?}"
        );
    }
}

/// The JUnit of a `check` with a flagged budget on traverse_graph and an N+1.
fn check_junit(dir: &Path) -> PathBuf {
    let budgets = dir.join("budgets.toml");
    std::fs::write(
        &budgets,
        "[[budget]]\nname = \"Graph traversal\"\noperation = \"traverse_graph\"\n\
         target = \"5ms\"\nflag = \"10ms\"\n",
    )
    .unwrap();
    junit(
        dir,
        "check",
        &[
            "check",
            "tests/fixtures/viztracer/n_plus_one.json",
            "--budgets",
            budgets.to_str().unwrap(),
        ],
    )
}

/// The budget on traverse_graph's def; the N+1 on the function called in the loop.
fn check_budget_and_red_flag_annotations(
    consumer: &str,
    got: &[(String, u64, String)],
    report: &Path,
) {
    let mut functions = check_annotations(consumer, got, report);
    functions.sort();
    assert_eq!(
        functions,
        ["get_prerequisite", "traverse_graph"],
        "{consumer}: {got:#?}"
    );
}

#[test]
fn dorny_and_mikepenz_annotate_the_source_lines_of_the_regression_example() {
    if !consumers_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = regression_junit(dir.path());
    for consumer in ["dorny-test-reporter", "mikepenz-action-junit-report"] {
        let got = annotations(&bundle(consumer, dir.path()), &report);
        check_regression_annotations(consumer, &got, &report);
    }
}

#[test]
fn dorny_and_mikepenz_annotate_a_flagged_budget_and_a_red_flag() {
    if !consumers_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = check_junit(dir.path());
    for consumer in ["dorny-test-reporter", "mikepenz-action-junit-report"] {
        let got = annotations(&bundle(consumer, dir.path()), &report);
        check_budget_and_red_flag_annotations(consumer, &got, &report);
    }
}

#[test]
fn enricomi_annotates_the_source_lines_of_the_regression_example() {
    let Some(python) = enricomi_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = regression_junit(dir.path());
    let got = enricomi_annotations(&python, &report);
    check_regression_annotations(ENRICOMI, &got, &report);
}

#[test]
fn enricomi_annotates_a_flagged_budget_and_a_red_flag() {
    let Some(python) = enricomi_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = check_junit(dir.path());
    let got = enricomi_annotations(&python, &report);
    check_budget_and_red_flag_annotations(ENRICOMI, &got, &report);
}
