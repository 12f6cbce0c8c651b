//! The Mermaid charts of the causes in the Markdown comment and the job summary, on the shipped
//! regression example (baselines/diagnostic.json against the viztracer trace regressed.json),
//! parsed by Mermaid itself (tests/tools/mermaid-parse.mjs, with the packages .ci/run installs
//! into .ci/node); none for an A/A comparison or with `--no-charts`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{fixture_arg, perfgate, tool_available};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The comment of the shipped example with `extra` arguments (exit 1: it regressed).
fn comment(dir: &Path, extra: &[&str]) -> (String, PathBuf) {
    let file = dir.join("comment.md");
    let out = perfgate()
        .current_dir(root())
        .args([
            "compare",
            "baselines/diagnostic.json",
            "tests/fixtures/viztracer/regressed.json",
            "--markdown",
        ])
        .arg(&file)
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (std::fs::read_to_string(&file).unwrap(), file)
}

/// Mermaid's verdict on every ```mermaid block of `files`: (all parsed, output); `None` when
/// node or the packages are missing (a visible skip, a failure under CI).
fn mermaid_parse(files: &[&Path]) -> Option<(bool, String)> {
    let modules = root().join(".ci/node/node_modules");
    let installed = ["mermaid", "jsdom"]
        .iter()
        .all(|m| modules.join(m).join("package.json").is_file());
    let node = Command::new("node").arg("--version").output().is_ok();
    if !tool_available("node with mermaid and jsdom in .ci/node", installed && node) {
        return None;
    }
    let out = Command::new("node")
        .arg(root().join("tests/tools/mermaid-parse.mjs"))
        .arg(&modules)
        .args(files)
        .output()
        .unwrap();
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    ))
}

#[test]
fn the_comment_charts_the_two_causes_and_mermaid_parses_them() {
    let dir = tempfile::tempdir().unwrap();
    let (md, file) = comment(dir.path(), &[]);
    assert_eq!(md.matches("```mermaid\n").count(), 2, "{md}");
    // traverse_graph got slower: its p95 per call in ms, 39.0 → 77.1 as the table says.
    assert!(
        md.contains("title \"p95 per call (ms): before grey, after red\""),
        "{md}"
    );
    assert!(
        md.contains("x-axis [\"traverse_graph (diagnostic.py)\"]"),
        "{md}"
    );
    assert!(md.contains("bar [77.07]\n    bar [38.96]"), "{md}");
    assert!(md.contains("39.0ms") && md.contains("77.1ms"));
    // call_claude is called twice as often: calls per run, 12 → 24.
    assert!(
        md.contains("x-axis [\"call_claude (diagnostic.py)\"]"),
        "{md}"
    );
    assert!(md.contains("bar [24]\n    bar [12]"), "{md}");
    // Right after the headline's causes, before the tables.
    assert!(md.find("```mermaid").unwrap() < md.find("### Regressions").unwrap());
    let Some((ok, output)) = mermaid_parse(&[&file]) else {
        return;
    };
    assert!(ok, "{output}");
    assert_eq!(output.matches(": ok xychart").count(), 2, "{output}");
}

#[test]
fn no_chart_with_no_charts_or_without_a_cause() {
    let dir = tempfile::tempdir().unwrap();
    let (md, _) = comment(dir.path(), &["--no-charts"]);
    assert!(!md.contains("mermaid"), "{md}");
    assert!(
        md.contains("traverse\\_graph"),
        "the rest of the comment is there"
    );

    // A/A: the same trace on both sides has no cause, so no chart.
    let trace = fixture_arg("viztracer/regressed.json");
    let file = dir.path().join("aa.md");
    let out = perfgate()
        .args(["compare", &trace, &trace, "--no-budgets", "--markdown"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let md = std::fs::read_to_string(&file).unwrap();
    assert!(md.contains("perfgate: pass"), "{md}");
    assert!(!md.contains("mermaid"), "{md}");
}

#[test]
fn the_job_summary_has_the_charts_too() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let out = perfgate()
        .current_dir(root())
        .args([
            "compare",
            "baselines/diagnostic.json",
            "tests/fixtures/viztracer/regressed.json",
            "--github",
        ])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", dir.path().join("output.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(md.matches("```mermaid\n").count(), 2, "{md}");
    let Some((ok, output)) = mermaid_parse(&[&summary]) else {
        return;
    };
    assert!(ok, "{output}");
}
