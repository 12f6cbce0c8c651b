//! `perfgate check` on traces of the example service made by the real viztracer, against the
//! shipped budgets.toml (the seed's performance table), and every budgets.toml error case.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{assert_close, fixture, fixture_arg, perfgate, run, run_json};

/// The budgets.toml at the top of the repository.
fn shipped_budgets() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("budgets.toml")
        .display()
        .to_string()
}

/// `check TRACE --budgets <shipped>` as JSON, expecting `code`.
fn check(trace: &str, extra: &[&str], code: i32) -> Value {
    let budgets = shipped_budgets();
    let trace = fixture_arg(trace);
    let mut args = vec!["check", trace.as_str(), "--budgets", budgets.as_str()];
    args.extend(extra);
    run_json(&args, code)
}

fn budget<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["budgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == name)
        .unwrap_or_else(|| panic!("no budget {name:?} in {report}"))
}

fn findings(report: &Value) -> Vec<Value> {
    report
        .get("findings")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn findings_of(report: &Value, kind: &str) -> Vec<Value> {
    findings(report)
        .into_iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

/// Writes `text` as a budgets file in a fresh directory; returns the directory and the path.
fn budgets_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("budgets.toml");
    std::fs::write(&path, text).unwrap();
    let p = path.display().to_string();
    (dir, p)
}

/// The p95 of an operation according to the independent numpy reference.
fn reference_p95(expected: &str, op: &str) -> f64 {
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(expected)).unwrap()).unwrap();
    reference["operations"][op]["p95_us"].as_f64().unwrap()
}

#[test]
fn baseline_is_on_target_in_every_band_with_the_reference_values() {
    let report = check("viztracer/baseline.json", &[], 0);
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["command"], "check");
    let rows = report["budgets"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "the seed's table has five rows");
    for (name, op) in [
        ("Diagnostic answer", "post_answer (diagnostic.py)"),
        ("Claude API", "call_claude (diagnostic.py)"),
        ("DB query (single)", "execute_query (diagnostic.py)"),
        ("Graph traversal", "traverse_graph (diagnostic.py)"),
        (
            "Parent message gen",
            "generate_parent_message (diagnostic.py)",
        ),
    ] {
        let b = budget(&report, name);
        assert_eq!(b["status"], "on_target", "{name}: {b}");
        assert_eq!(b["metric"], "p95");
        assert_eq!(b["operations"], serde_json::json!([op]));
        assert_close(
            b["value"].as_f64().unwrap(),
            reference_p95("expected/baseline.stats.json", op),
            name,
        );
    }
    assert!(findings(&report).is_empty(), "{report}");
}

#[test]
fn claude_in_the_acceptable_band_warns_and_fails_only_with_fail_on_warn() {
    let report = check("viztracer/claude_acceptable.json", &[], 0);
    assert_eq!(report["verdict"], "warn");
    let claude = budget(&report, "Claude API");
    assert_eq!(claude["status"], "acceptable");
    assert_eq!(claude["severity"], "warn");
    let value = claude["value"].as_f64().unwrap();
    assert!(
        value > claude["target"].as_f64().unwrap() && value <= claude["flag"].as_f64().unwrap()
    );
    let report = check(
        "viztracer/claude_acceptable.json",
        &["--fail-on", "warn"],
        1,
    );
    assert_eq!(report["verdict"], "warn");
}

#[test]
fn slow_claude_is_flagged_with_a_slow_call_finding_and_its_call_path() {
    let report = check("viztracer/slow_claude.json", &[], 1);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(budget(&report, "Claude API")["status"], "flagged");
    let slow: Vec<Value> = findings_of(&report, "slow_call")
        .into_iter()
        .filter(|f| f["operation"] == "call_claude (diagnostic.py)")
        .collect();
    assert_eq!(slow.len(), 1, "one grouped finding: {report}");
    let f = &slow[0];
    assert_eq!(
        f["count"], 12,
        "every call_claude is above 1.2s in slow_claude"
    );
    let path: Vec<&str> = f["call_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        path[path.len() - 3..],
        [
            "post_answer (diagnostic.py)",
            "decide_next (diagnostic.py)",
            "call_claude (diagnostic.py)"
        ]
    );
    assert_eq!(
        f["budget"], "Claude API",
        "the budget whose flag they are above"
    );
}

#[test]
fn n_plus_one_names_the_loop_its_parent_and_the_count() {
    let report = check("viztracer/n_plus_one.json", &[], 1);
    let found = findings_of(&report, "n_plus_one");
    assert_eq!(found.len(), 1, "one finding for 12 requests: {report}");
    let f = &found[0];
    assert_eq!(f["operation"], "get_prerequisite (diagnostic.py)");
    assert_eq!(f["parent"], "load_prerequisites (diagnostic.py)");
    assert_eq!(f["count"], 8);
    assert_eq!(f["occurrences"], 12);
    assert_eq!(f["severity"], "fail");
    // The time spent is the 96 get_prerequisite calls, per the summary of the same trace.
    let summary = run_json(&["summary", &fixture_arg("viztracer/n_plus_one.json")], 0);
    let prereq = summary["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "get_prerequisite (diagnostic.py)")
        .unwrap();
    assert_close(
        f["total_us"].as_f64().unwrap(),
        prereq["total_us"].as_f64().unwrap(),
        "time",
    );
}

#[test]
fn a_duplicated_claude_call_under_decide_next_is_a_repeated_call() {
    let report = check("viztracer/dup_claude.json", &[], 1);
    let found = findings_of(&report, "repeated_call");
    assert_eq!(found.len(), 1, "{report}");
    assert_eq!(found[0]["operation"], "call_claude (diagnostic.py)");
    assert_eq!(found[0]["parent"], "decide_next (diagnostic.py)");
    assert_eq!(found[0]["count"], 2);
    assert_eq!(found[0]["occurrences"], 12);
    // The baseline calls Claude once per decide_next: no such finding there.
    assert!(findings_of(&check("viztracer/baseline.json", &[], 0), "repeated_call").is_empty());
}

#[test]
fn time_sleep_in_a_coroutine_is_blocking_io_and_the_clean_async_trace_has_none() {
    let report = check("viztracer/async_blocking.json.gz", &[], 1);
    let found = findings_of(&report, "blocking_io");
    assert_eq!(found.len(), 1, "{report}");
    let f = &found[0];
    assert_eq!(f["operation"], "time.sleep");
    assert_eq!(f["parent"], "load_template (async_diagnostic.py)");
    assert_eq!(f["count"], 6, "one per request task");
    let clean = check("viztracer/async_clean.json.gz", &[], 0);
    assert!(findings(&clean).is_empty(), "{clean}");
}

#[test]
fn the_table_shows_bands_findings_and_the_verdict() {
    let budgets = shipped_budgets();
    let (out, _) = run(
        &[
            "check",
            &fixture_arg("viztracer/slow_claude.json"),
            "--budgets",
            &budgets,
        ],
        1,
    );
    assert!(out.contains("✗ flagged"), "{out}");
    assert!(out.contains("✓ on target"), "{out}");
    assert!(out.contains("Slow call"), "{out}");
    assert!(
        out.trim_end()
            .ends_with("Verdict: FAIL (2 failure(s), 2 warning(s))"),
        "{out}"
    );
}

#[test]
fn a_budget_matching_nothing_is_reported_and_fails_with_require_match() {
    let (_dir, path) = budgets_file(
        "[[budget]]\nname = \"Typo\"\noperation = \"cal_claude\"\ntarget = \"800ms\"\nflag = \"1200ms\"\n",
    );
    let trace = fixture_arg("viztracer/baseline.json");
    let out = perfgate()
        .args(["check", &trace, "--budgets", &path, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("budget \"Typo\" matched no call"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["budgets"][0]["status"], "no_match");
    assert_eq!(report["verdict"], "warn");
    let report = run_json(&["check", &trace, "--budgets", &path, "--require-match"], 1);
    assert_eq!(report["verdict"], "fail");
    let (_dir2, strict) = budgets_file(&format!(
        "[defaults]\nrequire_match = true\n{}",
        std::fs::read_to_string(&path).unwrap()
    ));
    run_json(&["check", &trace, "--budgets", &strict], 1);
}

#[test]
fn count_per_parent_counts_queries_per_answer_request() {
    let (_dir, path) = budgets_file(
        "[[budget]]\nname = \"DB queries per answer\"\noperation = \"execute_query\"\n\
         within = \"post_answer\"\nmetric = \"count_per_parent\"\ntarget = 2\nflag = 3\n",
    );
    // The largest count under one post_answer call, per the numpy reference
    // (tests/fixtures/vectors/metrics.json; docs/budgets.md: the maximum, not the mean).
    let per_request = |trace: &str| {
        let doc: Value = serde_json::from_str(
            &std::fs::read_to_string(fixture("vectors/metrics.json")).unwrap(),
        )
        .unwrap();
        doc["count_per_parent"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["trace"] == format!("tests/fixtures/{trace}")
                    && c["operation"] == "execute_query (diagnostic.py)"
            })
            .unwrap()["max"]
            .as_f64()
            .unwrap()
    };
    let report = run_json(
        &[
            "check",
            &fixture_arg("viztracer/baseline.json"),
            "--budgets",
            &path,
        ],
        0,
    );
    let b = &report["budgets"][0];
    assert_eq!(
        b["value"].as_f64().unwrap(),
        per_request("viztracer/baseline.json")
    );
    assert_eq!(b["status"], "on_target");
    assert_eq!(b["samples"], 12, "one instance per answer request");
    let report = run_json(
        &[
            "check",
            &fixture_arg("viztracer/n_plus_one.json"),
            "--budgets",
            &path,
        ],
        1,
    );
    let b = &report["budgets"][0];
    assert_eq!(
        b["value"].as_f64().unwrap(),
        per_request("viztracer/n_plus_one.json")
    );
    assert_eq!(b["status"], "flagged");
}

#[test]
fn several_traces_are_evaluated_on_their_combined_calls() {
    let budgets = shipped_budgets();
    let mut args = vec!["check".to_string()];
    args.extend((1..=5).map(|i| fixture_arg(&format!("viztracer/runs/before_{i}.json"))));
    args.extend(["--budgets".into(), budgets]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = run_json(&args, 0);
    assert_eq!(report["inputs"].as_array().unwrap().len(), 5);
    // 4 requests per run.
    assert_eq!(budget(&report, "Graph traversal")["samples"], 20);
}

#[test]
fn a_missing_budgets_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfgate()
        .current_dir(dir.path())
        .args(["check", &fixture_arg("viztracer/baseline.json")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("budgets.toml: no budgets file here"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// Each invalid budgets file: exit 2, the file name with line:column, and the explanation.
#[test]
fn every_config_error_names_the_file_line_and_column() {
    let claude = "[[budget]]\nname = \"Claude API\"\noperation = \"call_claude\"\n";
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("{claude}tagret = \"800ms\"\nflag = \"1s\"\n"),
            "4:1",
            "unknown key `tagret`",
        ),
        (
            format!("{claude}target = \"800 msec\"\nflag = \"1s\"\n"),
            "4:10",
            "is not a duration",
        ),
        (
            format!("{claude}target = 800\nflag = \"1s\"\n"),
            "4:10",
            "write a number with a unit",
        ),
        (
            format!("{claude}target = \"2s\"\nflag = \"1s\"\n"),
            "4:10",
            "target (2.00s) is above flag (1.00s)",
        ),
        (
            format!("{claude}target = \"900ms\"\nacceptable = \"800-1200ms\"\nflag = \"1200ms\"\n"),
            "5:14",
            "acceptable disagrees with target",
        ),
        (
            "[[budget]]\nname = \"x\"\noperation = \"get_[\"\nacceptable = \"1ms..2ms\"\n".into(),
            "3:13",
            "invalid glob `get_[`",
        ),
        (
            "[[budget]]\nname = \"x\"\noperation = \"regex:get_(\"\nacceptable = \"1ms..2ms\"\n"
                .into(),
            "3:13",
            "invalid regular expression",
        ),
        (
            "[[budget]]\nname = 42\noperation = \"x\"\nacceptable = \"1ms..2ms\"\n".into(),
            "2:8",
            "invalid type: integer `42`, expected a string",
        ),
        (
            format!("{claude}metric = \"p96\"\nacceptable = \"1ms..2ms\"\n"),
            "4:10",
            "unknown metric \"p96\"",
        ),
        (
            format!("{claude}target = \"800ms\"\n"),
            "2:8",
            "has no flag",
        ),
        (
            "[detectors.n_plus_one]\nmin_count = \"five\"\n".into(),
            "2:13",
            "invalid type",
        ),
        (
            "[detectors.blocking_io]\nthreshold = \"1ms\"\n".into(),
            "2:1",
            "unknown key `threshold`",
        ),
        (
            "[compare]\nnoise_floor = \"1 parsec\"\n".into(),
            "2:15",
            "is not a duration",
        ),
        (
            "[hook]\nfail_on = \"sometimes\"\n".into(),
            "2:11",
            "unknown severity",
        ),
        ("[budget\n".into(), "1:8", "unclosed table"),
    ];
    let trace = fixture_arg("viztracer/baseline.json");
    for (text, place, message) in cases {
        let (_dir, path) = budgets_file(&text);
        let (stdout, stderr) = run(&["check", &trace, "--budgets", &path], 2);
        let place = format!("perfgate: error: {path}:{place}: ");
        assert!(
            stderr.contains(&place),
            "for\n{text}\nwanted {place:?} in:\n{stderr}"
        );
        assert!(
            stderr.contains(message),
            "for\n{text}\nwanted {message:?} in:\n{stderr}"
        );
        assert!(
            stdout.is_empty(),
            "nothing judged, nothing printed: {stdout}"
        );
    }
}

#[test]
fn within_and_file_narrow_the_calls_a_budget_sees() {
    let trace = fixture_arg("viztracer/baseline.json");
    let (_dir, path) = budgets_file(
        "[[budget]]\nname = \"All queries\"\noperation = \"execute_query\"\nmetric = \"count\"\n\
         target = 1000\nflag = 1000\n\
         [[budget]]\nname = \"Saving queries\"\noperation = \"execute_query\"\nmetric = \"count\"\n\
         within = \"save_result\"\ntarget = 1000\nflag = 1000\n\
         [[budget]]\nname = \"Other file\"\noperation = \"execute_query\"\nfile = \"db.py\"\n\
         acceptable = \"1s..2s\"\n\
         [[budget]]\nname = \"This file\"\noperation = \"regex:^execute_q\"\nfile = \"diagnostic.py\"\n\
         metric = \"count\"\ntarget = 1000\nflag = 1000\n",
    );
    let report = run_json(&["check", &trace, "--budgets", &path], 0);
    let summary = run_json(&["summary", &trace], 0);
    let count = |name: &str| {
        summary["operations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .unwrap()["count"]
            .as_f64()
            .unwrap()
    };
    let value = |name: &str| budget(&report, name)["value"].as_f64().unwrap();
    assert_eq!(value("All queries"), count("execute_query (diagnostic.py)"));
    // save_result makes one query per request; get_session makes the other.
    assert_eq!(
        value("Saving queries"),
        count("save_result (diagnostic.py)")
    );
    assert_eq!(budget(&report, "Saving queries")["within"], "save_result");
    assert_eq!(budget(&report, "Other file")["status"], "no_match");
    assert_eq!(value("This file"), count("execute_query (diagnostic.py)"));
}

#[test]
fn a_budget_matching_nothing_shows_the_pattern_it_looked_for_in_every_format() {
    // The table row of a budget with a typo said only "? no match": the typo was invisible.
    let (dir, path) = budgets_file(
        "[[budget]]\nname = \"Claude API\"\noperation = \"cal_claude\"\ntarget = \"800ms\"\nflag = \"1200ms\"\n",
    );
    let trace = fixture_arg("viztracer/baseline.json");
    let (md, xml) = (dir.path().join("c.md"), dir.path().join("c.xml"));
    let (table, _) = run(
        &[
            "check",
            &trace,
            "--budgets",
            &path,
            "--markdown",
            md.to_str().unwrap(),
            "--junit",
            xml.to_str().unwrap(),
        ],
        0,
    );
    assert!(table.contains("no call matches cal_claude"), "{table}");
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.contains("| Claude API<br><sub>no call matches cal\\_claude</sub> |"),
        "{md}"
    );
    let xml = std::fs::read_to_string(&xml).unwrap();
    assert!(
        xml.contains(
            "Claude API: no call in the traces matches its operation pattern &quot;cal_claude&quot;"
        ),
        "{xml}"
    );
    let report = run_json(&["check", &trace, "--budgets", &path], 0);
    assert_eq!(budget(&report, "Claude API")["pattern"], "cal_claude");
    // A matching budget names its pattern too.
    let report = check("viztracer/baseline.json", &[], 0);
    assert_eq!(budget(&report, "Claude API")["pattern"], "call_claude");
}

#[test]
fn a_budgets_file_that_checks_nothing_is_an_error_not_a_pass() {
    let trace = fixture_arg("viztracer/dup_claude.json");
    // An empty file: the detectors still run (defaults), and stderr says budgets are missing.
    let (_dir, empty) = budgets_file("");
    let out = perfgate()
        .args(["check", &trace, "--budgets", &empty, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the duplicated Claude call is still found"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no [[budget]] defined"), "{stderr}");

    // Every detector off and no budget: it would pass anything.
    let (_dir, off) = budgets_file(
        "[detectors.n_plus_one]\nenabled = false\n[detectors.repeated_call]\nenabled = false\n\
         [detectors.slow_call]\nenabled = false\n[detectors.blocking_io]\nenabled = false\n\
         [detectors.consecutive_queries]\nenabled = false\n[detectors.gc_pressure]\nenabled = false\n",
    );
    let (stdout, stderr) = run(&["check", &trace, "--budgets", &off], 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains(&off) && stderr.contains("nothing to check"),
        "{stderr}"
    );
}

#[test]
fn the_shipped_budgets_file_explains_every_key_of_the_schema() {
    // Issue #3: "comments in the shipped file explain each key"; `file`, a budget's own
    // `metric` and the [compare] table were missing.
    let text = std::fs::read_to_string(shipped_budgets()).unwrap();
    let budget_keys = [
        "name",
        "operation",
        "file",
        "within",
        "metric",
        "target",
        "acceptable",
        "flag",
    ];
    let budgets_part = &text[text.find("[[budget]]").unwrap()..];
    for key in budget_keys {
        assert!(
            budgets_part.contains(&format!("\n{key} = "))
                || budgets_part.contains(&format!("`{key} = ")),
            "budget key {key:?} is neither set nor explained in budgets.toml"
        );
    }
    let compare = &text[text.find("\n[compare]").expect("a [compare] table")..];
    for key in ["metric", "threshold", "noise_floor", "alpha", "min_samples"] {
        assert!(compare.contains(&format!("\n{key} = ")), "[compare] {key}");
    }
    // Written out, the defaults change nothing: an A/A comparison stays quiet.
    let report = run_json(
        &[
            "compare",
            &fixture_arg("viztracer/baseline.json"),
            &fixture_arg("viztracer/aa_shifted.json"),
            "--budgets",
            &shipped_budgets(),
        ],
        0,
    );
    assert_eq!(report["comparison"]["threshold_pct"], 10.0);
    assert_eq!(report["comparison"]["alpha"], 0.01);
}

#[test]
fn a_trace_without_a_timed_call_is_an_input_error_not_a_pass() {
    // An empty event list (a tracer that wrote nothing) passed check with "warn" and
    // compared as "nothing changed".
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("empty.json", r#"{"traceEvents": []}"#, "0 event(s)"),
        ("array.json", "[]", "0 event(s)"),
        (
            "meta.json",
            r#"{"traceEvents": [{"ph": "M", "name": "thread_name", "pid": 1, "tid": 1}]}"#,
            "none of them a complete call",
        ),
    ];
    let budgets = shipped_budgets();
    let baseline = fixture_arg("viztracer/baseline.json");
    for (file, text, says) in cases {
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        let path = path.to_str().unwrap();
        for args in [
            vec!["check", path, "--budgets", budgets.as_str()],
            vec!["compare", baseline.as_str(), path, "--no-budgets"],
            vec!["summary", path],
        ] {
            let (stdout, stderr) = run(&args, 2);
            assert!(stdout.is_empty(), "{args:?}: {stdout}");
            assert!(
                stderr.contains(&format!("{file}: the trace has no timed calls"))
                    && stderr.contains(says),
                "{args:?}: {stderr}"
            );
        }
    }
}

#[test]
fn the_table_says_when_the_detectors_found_nothing() {
    let budgets = shipped_budgets();
    let (clean, _) = run(
        &[
            "check",
            &fixture_arg("viztracer/baseline.json"),
            "--budgets",
            &budgets,
        ],
        0,
    );
    assert!(clean.contains("\nRed flags: none found\n"), "{clean}");
    let (flagged, _) = run(
        &[
            "check",
            &fixture_arg("viztracer/n_plus_one.json"),
            "--budgets",
            &budgets,
        ],
        1,
    );
    assert!(!flagged.contains("none found"), "{flagged}");
    assert!(flagged.contains("N+1"), "{flagged}");
}

#[test]
fn brief_shows_only_what_failed_or_warned() {
    let budgets = shipped_budgets();
    let trace = fixture_arg("viztracer/claude_acceptable.json");
    let (full, _) = run(&["check", &trace, "--budgets", &budgets], 0);
    let (brief, _) = run(&["check", &trace, "--budgets", &budgets, "--brief"], 0);
    assert!(
        full.contains("DB query (single)") && full.contains("✓ on target"),
        "{full}"
    );
    assert!(
        brief.contains("Claude API") && brief.contains("▲ acceptable"),
        "{brief}"
    );
    assert!(!brief.contains("DB query (single)"), "{brief}");
    assert!(brief.contains("(3 on target not shown)"), "{brief}");
    let (clean, _) = run(
        &[
            "check",
            &fixture_arg("viztracer/baseline.json"),
            "--budgets",
            &budgets,
            "--brief",
        ],
        0,
    );
    assert!(clean.contains("Budgets: all 5 on target"), "{clean}");
}

/// A typo in a budget's operation is named with the closest operation of the traces; a count
/// budget of a function never called (a dead-code gate, target 0) reads 0 calls and passes.
#[test]
fn a_typo_suggests_the_name_and_a_dead_code_gate_counts_zero() {
    let (_dir, budgets) = budgets_file(
        r#"
[[budget]]
name = "Claude API"
operation = "call_cluade"
metric = "p95"
target = "800ms"
flag = "1.2s"

[[budget]]
name = "Legacy sync path"
operation = "legacy_sync_*"
metric = "count"
target = 0
flag = 0
"#,
    );
    let trace = fixture_arg("viztracer/baseline.json");
    let out = perfgate()
        .args(["check", &trace, "--budgets", &budgets, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("did you mean call_claude (diagnostic.py)?"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let typo = &report["budgets"][0];
    assert_eq!(typo["status"], "no_match");
    assert_eq!(typo["did_you_mean"][0], "call_claude (diagnostic.py)");
    let dead = &report["budgets"][1];
    assert_eq!(dead["status"], "on_target", "{dead}");
    assert_eq!(dead["value"], 0.0);
    assert!(dead.get("did_you_mean").is_none(), "{dead}");
}
