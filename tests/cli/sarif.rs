//! SARIF: `--sarif FILE` on the shipped regression example, a red-flag check and an A/A
//! comparison, validated against the official SARIF 2.1.0 schema (tests/schemas/) by an
//! independent validator (Python's `jsonschema`, Draft 4 as the schema declares, with its URI
//! format checks), and read the way GitHub code scanning reads it: one run, the tool's name,
//! rule ids that resolve, levels, locations relative to the repository with a line from 1.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{fixture_arg, perfgate, python_with, tool_available};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs perfgate in `cwd` with `args` and `--sarif FILE`, expecting `code`; returns the log
/// and its file (kept in `dir`).
fn sarif_in(cwd: &Path, dir: &Path, name: &str, args: &[&str], code: i32) -> (Value, PathBuf) {
    let file = dir.join(format!("{name}.sarif"));
    let out = perfgate()
        .current_dir(cwd)
        .args(args)
        .arg("--sarif")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "perfgate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    (log, file)
}

/// The shipped regression example, as a repository's workflow runs it: from the repository's
/// root, with its budgets.toml, on relative paths.
fn regression_example(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "compare",
        "baselines/diagnostic.json",
        "tests/fixtures/viztracer/regressed.json",
    ];
    args.extend(extra);
    sarif_in(&root(), dir, "regression", &args, 1).0
}

/// Validates each file against the SARIF 2.1.0 schema; returns (all valid, the output).
fn validate(python: &Path, files: &[PathBuf]) -> (bool, String) {
    const SCRIPT: &str = r#"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft4Validator.check_schema(schema)
# Every format jsonschema knows, uri and uri-reference included (rfc3986-validator).
validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
bad = 0
for path in sys.argv[2:]:
    errors = list(validator.iter_errors(json.load(open(path))))
    for e in errors[:5]:
        print(f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
    bad += bool(errors)
    print(f"{path}: {'invalid' if errors else 'valid'}")
sys.exit(1 if bad else 0)
"#;
    let out = Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(root().join("tests/schemas/sarif-schema-2.1.0.json"))
        .args(files)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn validator() -> Option<PathBuf> {
    let python = python_with("jsonschema, rfc3986_validator");
    tool_available(
        "Python with jsonschema and rfc3986-validator",
        python.is_some(),
    )
    .then(|| python.unwrap())
}

fn run_of(log: &Value) -> &Value {
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "GitHub code scanning takes one run per tool");
    &runs[0]
}

fn results(log: &Value) -> &Vec<Value> {
    run_of(log)["results"].as_array().expect("results")
}

/// The result of rule `rule` about operation `operation` (its logical location).
fn result<'a>(log: &'a Value, rule: &str, operation: &str) -> &'a Value {
    results(log)
        .iter()
        .find(|r| {
            r["ruleId"] == rule
                && r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(operation))
        })
        .unwrap_or_else(|| panic!("no {rule} result for {operation} in {log:#}"))
}

/// (file, line) of a result's physical location.
fn place(result: &Value) -> (String, u64) {
    let physical = &result["locations"][0]["physicalLocation"];
    (
        physical["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string(),
        physical["region"]["startLine"].as_u64().unwrap(),
    )
}

/// What GitHub code scanning needs of every result (github/codeql-action upload-sarif): a
/// rule id that resolves to a rule with descriptions and help, a level, a message, a location
/// relative to %SRCROOT% naming a file of the repository, a line from 1, a fingerprint.
fn assert_code_scanning_can_read(log: &Value) {
    let run = run_of(log);
    assert_eq!(run["tool"]["driver"]["name"], "perfgate");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(
                !rule[key]["text"].as_str().unwrap_or("").is_empty(),
                "{key} of {rule}"
            );
        }
    }
    for r in results(log) {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"], "{r}");
        assert!(
            ["error", "warning", "note"].contains(&r["level"].as_str().unwrap()),
            "{r}"
        );
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let physical = &r["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uriBaseId"], "%SRCROOT%",
            "{r}"
        );
        let (uri, line) = place(r);
        assert!(line >= 1, "{r}");
        assert!(
            !uri.starts_with('/') && !uri.contains(':') && root().join(&uri).is_file(),
            "{uri} is not a file of the repository"
        );
        assert!(r["partialFingerprints"]["perfgate/v1"].is_string(), "{r}");
    }
}

#[test]
fn the_regression_example_is_a_valid_log_code_scanning_can_read() {
    let Some(python) = validator() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (log, file) = sarif_in(
        &root(),
        dir.path(),
        "regression",
        &[
            "compare",
            "baselines/diagnostic.json",
            "tests/fixtures/viztracer/regressed.json",
        ],
        1,
    );
    let (ok, output) = validate(&python, std::slice::from_ref(&file));
    assert!(ok && output.contains(": valid"), "{output}");
    assert_code_scanning_can_read(&log);
    let source =
        std::fs::read_to_string(root().join("tests/fixtures/service/diagnostic.py")).unwrap();
    let line_of = |n: u64| source.lines().nth(n as usize - 1).unwrap().to_string();

    // The two root causes are errors at the functions to fix.
    let traverse = result(&log, "perfgate/slower", "traverse_graph");
    assert_eq!(traverse["level"], "error");
    let (uri, line) = place(traverse);
    assert_eq!(uri, "tests/fixtures/service/diagnostic.py");
    assert!(line_of(line).contains("def traverse_graph"), "{traverse}");
    assert!(
        traverse["message"]["text"]
            .as_str()
            .unwrap()
            .contains("39.0ms → 77.1ms"),
        "{traverse}"
    );
    let claude = result(&log, "perfgate/more-calls", "call_claude");
    assert_eq!(claude["level"], "error");
    assert!(line_of(place(claude).1).contains("def call_claude"));
    // What follows from them is a note pointing at its cause.
    let decide = result(&log, "perfgate/slower", "decide_next");
    assert_eq!(decide["level"], "note");
    assert!(
        decide["message"]["text"]
            .as_str()
            .unwrap()
            .contains("follows from call_claude"),
        "{decide}"
    );
    // A budget in its acceptable band warns, under its own rule.
    let graph = result(&log, "perfgate/budget/Graph traversal", "traverse_graph");
    assert_eq!(graph["level"], "warning");
    // The red flag of the change, at the parent that now calls twice.
    let repeated = result(&log, "perfgate/repeated_call_introduced", "call_claude");
    assert_eq!(repeated["level"], "error");
    assert!(line_of(place(repeated).1).contains("def decide_next"));
    // Every error of the gate is a result: the two causes and the red flag (the repeated
    // call is told once, by the structure change).
    let errors = results(&log)
        .iter()
        .filter(|r| r["level"] == "error")
        .count();
    assert_eq!(errors, 3, "{log:#}");
    assert_eq!(
        run_of(&log)["invocations"][0]["properties"]["verdict"],
        "fail"
    );
}

#[test]
fn fingerprints_follow_the_operation_not_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let p95 = regression_example(dir.path(), &[]);
    let again = regression_example(dir.path(), &[]);
    let max = regression_example(dir.path(), &["--metric", "max"]);
    let fingerprint = |log: &Value| -> (String, String) {
        let r = result(log, "perfgate/slower", "traverse_graph");
        (
            r["partialFingerprints"]["perfgate/v1"]
                .as_str()
                .unwrap()
                .to_string(),
            r["message"]["text"].as_str().unwrap().to_string(),
        )
    };
    let all = |log: &Value| -> Vec<Value> {
        results(log)
            .iter()
            .map(|r| r["partialFingerprints"].clone())
            .collect()
    };
    assert_eq!(all(&p95), all(&again));
    let (a, text_a) = fingerprint(&p95);
    let (b, text_b) = fingerprint(&max);
    assert_ne!(text_a, text_b, "the figures differ between the metrics");
    assert_eq!(a, b, "the same regression keeps its fingerprint");
    // Unique within the run.
    let mut prints = all(&p95);
    prints.sort_by_key(Value::to_string);
    prints.dedup();
    assert_eq!(prints.len(), results(&p95).len());
}

#[test]
fn red_flags_of_a_check_are_results_at_their_parent_function() {
    let Some(python) = validator() else { return };
    let dir = tempfile::tempdir().unwrap();
    let budgets = root().join("budgets.toml").display().to_string();
    let (log, file) = sarif_in(
        &root(),
        dir.path(),
        "check",
        &[
            "check",
            "tests/fixtures/viztracer/n_plus_one.json",
            "--budgets",
            &budgets,
        ],
        1,
    );
    let (ok, output) = validate(&python, &[file]);
    assert!(ok, "{output}");
    assert_code_scanning_can_read(&log);
    let n1 = result(&log, "perfgate/n_plus_one", "get_prerequisite");
    assert_eq!(n1["level"], "error");
    let rule = &run_of(&log)["tool"]["driver"]["rules"][n1["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["name"], "NPlusOne");
    assert!(
        rule["help"]["text"].as_str().unwrap().contains("Batch"),
        "{rule}"
    );
    assert_eq!(place(n1).0, "tests/fixtures/service/diagnostic.py");
    assert_eq!(
        run_of(&log)["invocations"][0]["properties"]["command"],
        "check"
    );
}

#[test]
fn an_a_a_comparison_is_an_empty_valid_log_and_a_broken_one_is_rejected() {
    let Some(python) = validator() else { return };
    let dir = tempfile::tempdir().unwrap();
    let trace = fixture_arg("viztracer/regressed.json");
    let (log, file) = sarif_in(
        &root(),
        dir.path(),
        "aa",
        &["compare", &trace, &trace, "--no-budgets"],
        0,
    );
    assert!(results(&log).is_empty(), "{log:#}");
    assert_eq!(
        run_of(&log)["invocations"][0]["properties"]["verdict"],
        "pass"
    );
    let (ok, output) = validate(&python, &[file]);
    assert!(ok, "{output}");

    // The validation is not vacuous: a level, a line and a URI that break the schema.
    let mut broken = regression_example(dir.path(), &[]);
    let first = &mut broken["runs"][0]["results"][0];
    first["level"] = "fatal".into();
    first["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
    first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b\\c".into();
    let broken_file = dir.path().join("broken.sarif");
    std::fs::write(&broken_file, broken.to_string()).unwrap();
    let (ok, output) = validate(&python, &[broken_file]);
    assert!(!ok, "{output}");
    for what in ["fatal", "minimum of 1", "uri-reference"] {
        assert!(output.contains(what), "{what}: {output}");
    }
}

#[test]
fn sarif_is_a_format_for_standard_output_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.sarif");
    let trace = fixture_arg("viztracer/n_plus_one.json");
    let budgets = root().join("budgets.toml").display().to_string();
    let out = perfgate()
        .args(["check", &trace, "--budgets", &budgets, "--format", "sarif"])
        .arg("--sarif")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(!results(&log).is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        std::fs::read_to_string(&file).unwrap()
    );
}
