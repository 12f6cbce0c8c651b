//! perfgate's JUnit read by the parsers of the GitHub actions that turn it into annotations:
//! dorny/test-reporter and mikepenz/action-junit-report, their own TypeScript (vendored under
//! tests/consumers/, with their licenses and upstream commits), bundled with esbuild and run
//! by node with their own XML libraries (xml2js, xml-js) from `.ci/node` (.ci/run installs
//! them). Each annotation must land on the repository-relative source file, at the `def` line
//! of the function it is about.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{perfgate, tool_available};

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
    let out = Command::new("node")
        .arg(script)
        .arg(junit)
        .current_dir(root())
        .env("GITHUB_WORKSPACE", root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}: {stdout}\n{}",
        script.display(),
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

#[test]
fn dorny_and_mikepenz_annotate_the_source_lines_of_the_regression_example() {
    if !consumers_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The README's example: the committed baseline against the regressed trace.
    let report = junit(
        dir.path(),
        "regression",
        &[
            "compare",
            "baselines/diagnostic.json",
            "tests/fixtures/viztracer/regressed.json",
            "--budgets",
            "budgets.toml",
        ],
    );
    for consumer in ["dorny-test-reporter", "mikepenz-action-junit-report"] {
        let got = annotations(&bundle(consumer, dir.path()), &report);
        let functions = check_annotations(consumer, &got, &report);
        for cause in ["traverse_graph", "call_claude", "decide_next"] {
            assert!(
                functions.iter().any(|f| f == cause),
                "{consumer}: no annotation on {cause}: {got:#?}"
            );
        }
    }
}

#[test]
fn dorny_and_mikepenz_annotate_a_flagged_budget_and_a_red_flag() {
    if !consumers_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    std::fs::write(
        &budgets,
        "[[budget]]\nname = \"Graph traversal\"\noperation = \"traverse_graph\"\n\
         target = \"5ms\"\nflag = \"10ms\"\n",
    )
    .unwrap();
    let report = junit(
        dir.path(),
        "check",
        &[
            "check",
            "tests/fixtures/viztracer/n_plus_one.json",
            "--budgets",
            budgets.to_str().unwrap(),
        ],
    );
    for consumer in ["dorny-test-reporter", "mikepenz-action-junit-report"] {
        let got = annotations(&bundle(consumer, dir.path()), &report);
        let mut functions = check_annotations(consumer, &got, &report);
        functions.sort();
        // The budget on traverse_graph's def; the N+1 on the function called in the loop.
        assert_eq!(
            functions,
            ["get_prerequisite", "traverse_graph"],
            "{consumer}: {got:#?}"
        );
    }
}
