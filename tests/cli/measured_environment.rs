//! The measured environment (docs/compare.md, rule 7): real viztracer traces of the verdict
//! harness's service, the same code traced on an idle machine and while two busy loops held
//! both cores, each with the scheduler record `perfgate record` writes beside its traces
//! (tests/fixtures/contended.py made them). The contended run is judged relative to the CPU
//! it got; without the records the same pair is held against the code.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{fixture_arg, run, run_json};

const TRAVERSE: &str = "traverse_graph (service.py)";

fn contended(name: &str) -> String {
    fixture_arg(&format!("viztracer/contended/{name}.json.gz"))
}

fn op<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["comparison"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("{name} is in the report"))
}

/// Copies of the fixture traces `names` without their records, in a temporary directory.
fn without_records(names: &[&str]) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let copies = names
        .iter()
        .map(|name| {
            let to: PathBuf = dir.path().join(format!("{name}.json.gz"));
            std::fs::copy(contended(name), &to).unwrap();
            to.display().to_string()
        })
        .collect();
    (dir, copies)
}

fn share(report: &Value, side: &str) -> f64 {
    report["comparison"]["measured_environment"][format!("{side}_run_share")]
        .as_f64()
        .unwrap()
}

#[test]
fn the_same_code_on_a_contended_machine_passes_when_its_cpu_was_measured() {
    let (quiet, busy) = (contended("quiet"), contended("contended"));
    let report = run_json(&["compare", "--no-budgets", &quiet, &busy], 0);
    assert_eq!(report["verdict"], "pass", "{report}");
    let (before, after) = (share(&report, "before"), share(&report, "after"));
    assert!(before > 0.9 && after < 0.7, "{before} {after}");
    let scale = report["comparison"]["measured_environment"]["after_scale"]
        .as_f64()
        .unwrap();
    assert!((scale - before / after).abs() < 1e-9, "{scale}");
    // The row keeps the figures as traced, and says what it was judged at.
    let row = op(&report, TRAVERSE);
    let (b, a) = (
        row["before"]["value_us"].as_f64().unwrap(),
        row["after"]["value_us"].as_f64().unwrap(),
    );
    let traced = (a / b - 1.0) * 100.0;
    assert!((row["delta_pct"].as_f64().unwrap() - traced).abs() < 1e-6);
    let adjusted = row["adjusted_pct"].as_f64().unwrap();
    assert!(
        ((adjusted / 100.0 + 1.0) - (a / scale) / b).abs() < 1e-9,
        "{row}"
    );
    // The terminal report says what it did.
    let (stdout, _) = run(&["compare", "--no-budgets", &quiet, &busy], 0);
    assert!(
        stdout.contains("the kernel's scheduler statistics"),
        "{stdout}"
    );
    assert!(stdout.contains("judged divided by"), "{stdout}");

    // The same traces without their records: the machine's slowdown is held against the
    // code (the single-run guard makes it a warning, not a pass).
    let (_dir, copies) = without_records(&["quiet", "contended"]);
    let report = run_json(&["compare", "--no-budgets", &copies[0], &copies[1]], 0);
    assert_ne!(report["verdict"], "pass", "{report}");
    assert!(report["comparison"]["measured_environment"].is_null());
    assert!(op(&report, TRAVERSE)["severity"].is_string(), "{report}");
}

#[test]
fn a_real_slowdown_on_the_contended_machine_is_still_reported() {
    let (quiet, slower) = (contended("quiet"), contended("contended_slow2"));
    let report = run_json(&["compare", "--no-budgets", &quiet, &slower], 0);
    let row = op(&report, TRAVERSE);
    assert!(row["severity"].is_string(), "{row}");
    // traverse_graph does twice the work: relative to the CPU it got, +50 % or more.
    let adjusted = row["adjusted_pct"].as_f64().unwrap();
    assert!(adjusted > 50.0, "{row}");
    // No operation improves because the after side's durations were divided: a sleep is
    // not shortened by the CPU a run lacked.
    let improved: Vec<&Value> = report["comparison"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] == "improved")
        .collect();
    assert!(improved.is_empty(), "{improved:?}");
}

#[test]
fn a_busier_before_side_is_not_held_against_the_after_side() {
    let (quiet, busy) = (contended("quiet"), contended("contended"));
    let report = run_json(&["compare", "--no-budgets", &busy, &quiet], 0);
    assert_eq!(
        report["comparison"]["measured_environment"]["after_scale"],
        1.0
    );
    assert!(op(&report, TRAVERSE)["adjusted_pct"].is_null());
}

#[test]
fn a_record_beside_only_some_traces_is_not_used_and_said_so() {
    let (_dir, copies) = without_records(&["contended"]);
    let args = [
        "compare",
        "--no-budgets",
        "--format",
        "json",
        "--before",
        &contended("quiet"),
        &copies[0],
        "--after",
        &contended("contended"),
    ];
    let (stdout, stderr) = run(&args, 0);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert!(report["comparison"]["measured_environment"].is_null());
    assert!(
        stderr.contains("1 of the 2 before traces have a scheduler record"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_record_is_exit_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("after.json.gz");
    std::fs::copy(contended("contended"), &trace).unwrap();
    let record: &Path = &dir.path().join("after.json.gz.schedstat");
    for text in [
        "{\"perfgate_schedstat\": 1",
        "{\"perfgate_schedstat\":1,\"cpu_ms\":5,\"waiting_ms\":1,\"run_share\":2}",
    ] {
        std::fs::write(record, text).unwrap();
        let (stdout, stderr) = run(
            &[
                "compare",
                "--no-budgets",
                &contended("quiet"),
                &trace.display().to_string(),
            ],
            2,
        );
        assert!(stdout.is_empty(), "{stdout}");
        assert!(stderr.contains("after.json.gz.schedstat"), "{stderr}");
    }
}
