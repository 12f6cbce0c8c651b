//! `perfgate init` on traces of the example service made by the real viztracer: the starter
//! budgets.toml it writes is accepted by `check`, the same traces pass it, a slower trace fails
//! it, and an existing file is never replaced.

use std::path::Path;

use serde_json::Value;

use crate::common::{fixture_arg, perfgate};

/// Runs perfgate in `dir` with `args`, expecting `code`; returns (stdout, stderr).
fn run_in(dir: &Path, args: &[&str], code: i32) -> (String, String) {
    let out = perfgate().current_dir(dir).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "perfgate {args:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    (stdout, stderr)
}

fn check_json(dir: &Path, trace: &str, code: i32) -> Value {
    let (stdout, _) = run_in(
        dir,
        &[
            "check",
            trace,
            "--budgets",
            "budgets.toml",
            "--format",
            "json",
        ],
        code,
    );
    serde_json::from_str(&stdout).unwrap()
}

fn budgets(report: &Value) -> &Vec<Value> {
    report["budgets"].as_array().unwrap()
}

#[test]
fn the_starter_file_passes_check_on_the_traces_it_was_made_from() {
    let dir = tempfile::tempdir().unwrap();
    let trace = fixture_arg("viztracer/baseline.json");
    let (stdout, stderr) = run_in(dir.path(), &["init", &trace], 0);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("wrote budgets.toml with 5 budget(s)"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(dir.path().join("budgets.toml")).unwrap();
    assert!(text.contains("with 25% headroom"), "{text}");
    for detector in ["n_plus_one", "repeated_call", "slow_call", "blocking_io"] {
        assert!(text.contains(&format!("[detectors.{detector}]")), "{text}");
    }

    let report = check_json(dir.path(), &trace, 0);
    assert_eq!(report["verdict"], "pass", "{report}");
    assert!(report.get("findings").is_none(), "{report}");
    let rows = budgets(&report);
    assert_eq!(rows.len(), 5);
    let names: Vec<&str> = rows.iter().map(|b| b["name"].as_str().unwrap()).collect();
    // The service's own functions, heaviest first; no library, no C function, no <module>.
    for expected in ["post_answer", "call_claude", "decide_next"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with('<') && !n.contains('.')),
        "{names:?}"
    );
    for b in rows {
        let (value, target, flag) = (
            b["value"].as_f64().unwrap(),
            b["target"].as_f64().unwrap(),
            b["flag"].as_f64().unwrap(),
        );
        assert_eq!(b["status"], "on_target", "{b}");
        assert_eq!(b["metric"], "p95");
        // target: p95 + 25%, rounded up to two significant digits (at most +10% more).
        assert!(
            target >= value * 1.25 && target <= value * 1.25 * 1.1,
            "{b}"
        );
        assert!(flag >= value * 1.5 && flag >= target, "{b}");
        assert_eq!(b["operations"].as_array().unwrap().len(), 1, "{b}");
    }
}

#[test]
fn a_slower_trace_fails_the_starter_budgets() {
    let dir = tempfile::tempdir().unwrap();
    run_in(
        dir.path(),
        &["init", &fixture_arg("viztracer/baseline.json")],
        0,
    );
    // call_claude takes 0.9-1.1 s in this trace, against ~0.5 s in the baseline.
    let report = check_json(
        dir.path(),
        &fixture_arg("viztracer/claude_acceptable.json"),
        1,
    );
    let claude = budgets(&report)
        .iter()
        .find(|b| b["name"] == "call_claude")
        .unwrap();
    assert_eq!(claude["status"], "flagged", "{claude}");
}

#[test]
fn several_traces_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let runs = fixture_arg("viztracer/runs/before_*.json");
    let (stdout, _) = run_in(
        dir.path(),
        &["init", &runs, "-o", "-", "--top", "3", "--headroom", "50%"],
        0,
    );
    assert!(stdout.contains("with 50% headroom"), "{stdout}");
    assert_eq!(stdout.matches("\n[[budget]]\n").count(), 3, "{stdout}");
    assert!(!dir.path().join("budgets.toml").exists());
    std::fs::write(dir.path().join("budgets.toml"), &stdout).unwrap();
    let report = check_json(dir.path(), &runs, 0);
    assert_eq!(report["verdict"], "pass", "{report}");
    assert_eq!(report["inputs"].as_array().unwrap().len(), 5);
}

#[test]
fn an_existing_file_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let mine = "# my budgets\n";
    std::fs::write(dir.path().join("budgets.toml"), mine).unwrap();
    let trace = fixture_arg("viztracer/baseline.json");
    let (stdout, stderr) = run_in(dir.path(), &["init", &trace], 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("budgets.toml: the file exists already; perfgate init never replaces it"),
        "{stderr}"
    );
    let kept = std::fs::read_to_string(dir.path().join("budgets.toml")).unwrap();
    assert_eq!(kept, mine);
    // -o elsewhere works.
    run_in(dir.path(), &["init", &trace, "-o", "perf/budgets.toml"], 2);
    std::fs::create_dir(dir.path().join("perf")).unwrap();
    run_in(dir.path(), &["init", &trace, "-o", "perf/budgets.toml"], 0);
    assert!(dir.path().join("perf/budgets.toml").is_file());
}

#[test]
fn red_flags_already_in_the_traces_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let trace = fixture_arg("viztracer/n_plus_one.json");
    let (_, stderr) = run_in(dir.path(), &["init", &trace], 0);
    assert!(stderr.contains("the traces already have"), "{stderr}");
    assert!(stderr.contains("get_prerequisite"), "{stderr}");
    // The budgets pass; the N+1 loop still fails the gate, as it should.
    let report = check_json(dir.path(), &trace, 1);
    assert!(budgets(&report).iter().all(|b| b["status"] == "on_target"));
    assert_eq!(report["findings"][0]["kind"], "n_plus_one");
}

#[test]
fn bad_input_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    // A browser trace: no function has a source file, so there is no own code to budget.
    let (_, stderr) = run_in(
        dir.path(),
        &["init", &fixture_arg("chrome/startup.json.gz")],
        2,
    );
    assert!(stderr.contains("no operation of your own code"), "{stderr}");
    let trace = fixture_arg("viztracer/baseline.json");
    let (_, stderr) = run_in(dir.path(), &["init", &trace, "--headroom", "x"], 2);
    assert!(stderr.contains("--headroom"), "{stderr}");
    let (_, stderr) = run_in(dir.path(), &["init", "missing.json"], 2);
    assert!(stderr.contains("missing.json"), "{stderr}");
    assert!(!dir.path().join("budgets.toml").exists());
}
