//! Every budget metric and every `compare --metric`, on real traces, against the figures of
//! tests/fixtures/vectors/generate_metric_vectors.py (numpy, from the independent
//! reference_stats.py): one trace for the budgets; 5 runs against 5, 5 against 1, 1 against 5
//! and 2 against 3 for the comparison (runs as the samples, and the calls pooled).

use serde_json::Value;

use crate::common::{assert_close, fixture, fixture_arg};

fn vectors() -> Value {
    let text = std::fs::read_to_string(fixture("vectors/metrics.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The path of a vector's trace (given from the repository root) for the command line.
fn trace_arg(repo_path: &Value) -> String {
    let rel = repo_path.as_str().unwrap();
    fixture_arg(rel.strip_prefix("tests/fixtures/").unwrap())
}

/// Writes `text` as a budgets file in a fresh directory; returns the directory and the path.
fn budgets_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("budgets.toml");
    std::fs::write(&path, text).unwrap();
    let p = path.display().to_string();
    (dir, p)
}

/// The function name of an operation key: `call_claude (diagnostic.py)` → `call_claude`.
fn function(key: &str) -> &str {
    key.split(" (").next().unwrap()
}

/// `perfgate ARGS --format json`, passing or failing (the red flags of a trace may fail the
/// gate; the figures are what these tests check).
fn json_of(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = crate::common::perfgate().args(&all).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn check(trace: &str, budgets: &str) -> Value {
    json_of(&["check", trace, "--budgets", budgets])
}

#[test]
fn every_budget_metric_equals_the_numpy_reference() {
    let doc = vectors();
    for case in doc["budgets"].as_array().unwrap() {
        let mut toml = String::new();
        let mut expected = Vec::new();
        for (op, figures) in case["operations"].as_object().unwrap() {
            for (metric, value) in figures.as_object().unwrap() {
                let name = format!("{metric} of {op}");
                // Bounds that never matter here: the figure is what is checked.
                toml.push_str(&format!(
                    "[[budget]]\nname = \"{name}\"\noperation = \"{}\"\nmetric = \"{metric}\"\n\
                     target = {}\nflag = {}\n\n",
                    function(op),
                    if metric == "count" {
                        "1000000"
                    } else {
                        "\"1000s\""
                    },
                    if metric == "count" {
                        "1000000"
                    } else {
                        "\"1000s\""
                    },
                ));
                expected.push((name, value.as_f64().unwrap()));
            }
        }
        let (_dir, path) = budgets_file(&toml);
        let report = check(&trace_arg(&case["trace"]), &path);
        let rows = report["budgets"].as_array().unwrap();
        assert_eq!(rows.len(), expected.len());
        for (name, want) in expected {
            let row = rows.iter().find(|r| r["name"] == name.as_str()).unwrap();
            assert_close(row["value"].as_f64().unwrap(), want, &name);
        }
    }
}

#[test]
fn count_per_parent_is_the_largest_count_under_one_parent_call() {
    let doc = vectors();
    let cases = doc["count_per_parent"].as_array().unwrap();
    // The vectors include an uneven case, where the mean would pass and the max does not.
    assert!(
        cases
            .iter()
            .any(|c| c["max"].as_f64() != c["mean"].as_f64()),
        "the vectors need a case with uneven parents"
    );
    for case in cases {
        let (max, mean) = (
            case["max"].as_f64().unwrap(),
            case["mean"].as_f64().unwrap(),
        );
        let op = function(case["operation"].as_str().unwrap());
        let within = function(case["within"].as_str().unwrap());
        // Target just below the largest count: the largest is acceptable, the mean (when it
        // differs) would have been on target.
        let target = max - 1.0;
        let (_dir, path) = budgets_file(&format!(
            "[[budget]]\nname = \"per parent\"\noperation = \"{op}\"\nwithin = \"{within}\"\n\
             metric = \"count_per_parent\"\ntarget = {target}\nflag = {max}\n"
        ));
        let report = check(&trace_arg(&case["trace"]), &path);
        let row = &report["budgets"][0];
        let what = format!("{op} within {within}");
        assert_eq!(row["value"].as_f64().unwrap(), max, "{what}: {row}");
        assert_eq!(
            row["samples"], case["parents"],
            "{what}: one sample per parent"
        );
        assert_eq!(
            row["status"], "acceptable",
            "{what}: max {max}, mean {mean}"
        );
        // One below the largest count as the flag: the same trace fails.
        let (_dir, path) = budgets_file(&format!(
            "[[budget]]\nname = \"per parent\"\noperation = \"{op}\"\nwithin = \"{within}\"\n\
             metric = \"count_per_parent\"\ntarget = {}\nflag = {target}\n",
            target - 1.0
        ));
        let report = check(&trace_arg(&case["trace"]), &path);
        assert_eq!(report["budgets"][0]["status"], "flagged", "{what}");
    }
}

/// `compare --metric METRIC --before B… --after A…` as JSON (any exit code).
fn compare(before: &[String], after: &[String], metric: &str) -> Value {
    let mut args: Vec<&str> = vec!["compare", "--metric", metric, "--before"];
    args.extend(before.iter().map(String::as_str));
    args.push("--after");
    args.extend(after.iter().map(String::as_str));
    json_of(&args)
}

#[test]
fn every_compare_metric_on_several_runs_equals_the_numpy_reference() {
    let doc = vectors();
    for case in doc["compare"].as_array().unwrap() {
        let side = |k: &str| -> Vec<String> {
            case[k].as_array().unwrap().iter().map(trace_arg).collect()
        };
        let (before, after) = (side("before"), side("after"));
        let cname = case["name"].as_str().unwrap();
        let ops = case["operations"].as_object().unwrap();
        for metric in ["p50", "p95", "mean", "max", "total", "self"] {
            let report = compare(&before, &after, metric);
            let c = &report["comparison"];
            assert_eq!(c["metric"], metric);
            assert_eq!(c["before_runs"], before.len());
            assert_eq!(c["after_runs"], after.len());
            for (name, want) in ops {
                let got = c["operations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|o| o["name"] == name.as_str())
                    .unwrap_or_else(|| panic!("{cname}: no {name}"));
                let what = format!("{cname}: --metric {metric}: {name}");
                assert_eq!(got["evidence"], want["evidence"], "{what}");
                for k in ["before", "after"] {
                    assert_close(
                        got[k]["value_us"].as_f64().unwrap(),
                        want["metrics"][metric][k].as_f64().unwrap(),
                        &format!("{what}: {k}"),
                    );
                    assert_close(
                        got[k]["calls_per_run"].as_f64().unwrap(),
                        want["calls_per_run"][k].as_f64().unwrap(),
                        &format!("{what}: {k} calls per run"),
                    );
                }
            }
        }
    }
}
