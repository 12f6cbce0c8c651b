//! The committed JSON Schema of the report (docs/schema/report.schema.json) checked against
//! real outputs of every command by an independent validator, Python's `jsonschema`
//! (Draft 2020-12), and shown to reject a report that breaks it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{fixture_arg, perfgate, python_with, tool_available};

fn schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema/report.schema.json")
}

/// Validates each file against the schema; returns (all valid, the validator's output).
fn validate(python: &Path, files: &[PathBuf]) -> (bool, String) {
    const SCRIPT: &str = r#"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
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
        .arg(schema_path())
        .args(files)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Runs perfgate with `args` plus `--json FILE` (any exit code but 2) and returns FILE.
fn json_report(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let file = dir.join(format!("{name}.json"));
    let out = perfgate()
        .args(args)
        .arg("--json")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "perfgate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    file
}

#[test]
fn real_reports_of_every_command_follow_the_committed_schema() {
    let python = python_with("jsonschema");
    if !tool_available("Python with jsonschema", python.is_some()) {
        return;
    }
    let python = python.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (baseline, regressed, n_plus_one) = (
        fixture_arg("viztracer/baseline.json"),
        fixture_arg("viztracer/regressed.json"),
        fixture_arg("viztracer/n_plus_one.json"),
    );
    let budgets = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("budgets.toml")
        .display()
        .to_string();
    let (before_runs, after_runs) = (
        fixture_arg("viztracer/runs/before_*.json"),
        fixture_arg("viztracer/runs/after_*.json"),
    );
    let d = dir.path();
    let files = vec![
        json_report(d, "summary", &["summary", &baseline]),
        json_report(d, "check", &["check", &n_plus_one, "--budgets", &budgets]),
        json_report(
            d,
            "compare",
            &["compare", &baseline, &regressed, "--budgets", &budgets],
        ),
        json_report(
            d,
            "compare_runs",
            &[
                "compare",
                "--no-budgets",
                "--before",
                &before_runs,
                "--after",
                &after_runs,
            ],
        ),
        // What `perfgate record` reports: runs made side by side, judged as pairs.
        json_report(
            d,
            "paired",
            &[
                "compare",
                "--paired",
                "--no-budgets",
                "--before",
                &before_runs,
                "--after",
                &after_runs,
            ],
        ),
        // Memory before and after (viztracer --log_gc, a counter).
        json_report(
            d,
            "compare_memory",
            &[
                "compare",
                "--no-budgets",
                &fixture_arg("viztracer/gc_alloc.json.gz"),
                &fixture_arg("viztracer/gc_leak.json.gz"),
            ],
        ),
    ];
    let (ok, output) = validate(&python, &files);
    assert!(ok, "{output}");
    assert_eq!(output.matches(": valid").count(), files.len(), "{output}");
    // The reports hold what the schema describes (not empty objects that pass anything).
    let paired: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files[4]).unwrap()).unwrap();
    assert!(paired["paired"].is_object() && paired["comparison"].is_object());

    // A report that breaks the schema is rejected: the validation is not vacuous.
    let mut broken: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files[1]).unwrap()).unwrap();
    broken["verdict"] = "maybe".into();
    broken["budgets"][0]["status"] = serde_json::Value::from(3);
    let broken_file = d.join("broken.json");
    std::fs::write(&broken_file, broken.to_string()).unwrap();
    let (ok, output) = validate(&python, &[broken_file]);
    assert!(!ok, "{output}");
    assert!(
        output.contains("verdict") && output.contains("budgets/0/status"),
        "{output}"
    );
}
