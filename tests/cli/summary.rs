//! `perfgate summary` on real traces, checked against statistics computed independently by
//! tests/fixtures/reference_stats.py (numpy).

use serde_json::Value;

use crate::common::{assert_close, fixture, fixture_arg, run, run_json};

const FIGURES: [&str; 10] = [
    "total_us", "self_us", "mean_us", "min_us", "p50_us", "p90_us", "p95_us", "p99_us", "max_us",
    "count",
];

/// Every operation of the trace, every figure, equals the reference's.
fn assert_matches_reference(trace: &str, expected: &str) {
    let report = run_json(&["summary", &fixture_arg(trace)], 0);
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(expected)).unwrap()).unwrap();
    let reference = reference["operations"].as_object().unwrap();
    let ops = report["operations"].as_array().unwrap();
    assert_eq!(
        ops.len(),
        reference.len(),
        "number of operations in {trace}"
    );
    for op in ops {
        let name = op["name"].as_str().unwrap();
        let want = reference.get(name).unwrap_or_else(|| {
            panic!("{trace}: perfgate has operation {name:?}, the reference has not")
        });
        for figure in FIGURES {
            assert_close(
                op[figure].as_f64().unwrap(),
                want[figure].as_f64().unwrap(),
                &format!("{trace}: {name}: {figure}"),
            );
        }
    }
}

#[test]
fn viztracer_statistics_match_the_numpy_reference() {
    assert_matches_reference("viztracer/baseline.json", "expected/baseline.stats.json");
    assert_matches_reference("viztracer/regressed.json", "expected/regressed.stats.json");
    assert_matches_reference(
        "viztracer/n_plus_one.json",
        "expected/n_plus_one.stats.json",
    );
}

#[test]
fn gzip_async_chrome_and_pyspy_traces_match_the_reference() {
    assert_matches_reference(
        "viztracer/async_clean.json.gz",
        "expected/async_clean.stats.json",
    );
    assert_matches_reference("chrome/startup.json.gz", "expected/startup.stats.json");
    assert_matches_reference("pyspy/record.json", "expected/record.stats.json");
}

#[test]
fn truncated_trace_keeps_complete_events_and_says_so() {
    let (stdout, stderr) = run(
        &[
            "summary",
            &fixture_arg("viztracer/truncated.json"),
            "--format",
            "json",
        ],
        0,
    );
    assert!(stderr.contains("truncated"), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        report["inputs"][0]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("truncated")
    );
    assert_matches_reference("viztracer/truncated.json", "expected/truncated.stats.json");
}

#[test]
fn json_schema_has_the_documented_fields() {
    let report = run_json(
        &[
            "summary",
            &fixture_arg("viztracer/baseline.json"),
            "--top",
            "3",
        ],
        0,
    );
    assert_eq!(report["schema_version"], 3);
    let ops = report["operations"].as_array().unwrap();
    assert_eq!(ops.len(), 3);
    for key in [
        "name", "function", "file", "count", "total_us", "self_us", "mean_us", "min_us", "p50_us",
        "p90_us", "p95_us", "p99_us", "max_us",
    ] {
        assert!(ops[0].get(key).is_some(), "missing {key}");
    }
}

/// The operation keys of the reference sorted as `--sort KEY` promises: the figure
/// descending, ties by name.
fn reference_order(expected: &str, figure: &str) -> Vec<String> {
    let mut ops: Vec<(f64, String)> = reference_figures(expected, figure)
        .into_iter()
        .map(|(k, v)| (v, k))
        .collect();
    ops.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ops.into_iter().map(|(_, k)| k).collect()
}

/// One figure of every operation of the reference, by key.
fn reference_figures(expected: &str, figure: &str) -> std::collections::BTreeMap<String, f64> {
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(expected)).unwrap()).unwrap();
    reference["operations"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v[figure].as_f64().unwrap()))
        .collect()
}

#[test]
fn every_sort_key_orders_the_rows_like_the_reference() {
    for (key, figure) in [
        ("total", "total_us"),
        ("self", "self_us"),
        ("count", "count"),
        ("mean", "mean_us"),
        ("p95", "p95_us"),
        ("max", "max_us"),
    ] {
        let report = run_json(
            &[
                "summary",
                &fixture_arg("viztracer/baseline.json"),
                "--sort",
                key,
            ],
            0,
        );
        let rows: Vec<(&str, f64)> = report["operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["name"].as_str().unwrap(), o[figure].as_f64().unwrap()))
            .collect();
        let reference = reference_figures("expected/baseline.stats.json", figure);
        assert_eq!(rows.len(), reference.len(), "--sort {key}");
        // Descending in the reference's figure (sums computed another way may differ in the
        // last bits, so near-equal neighbours may come either way); equal figures by name.
        for pair in rows.windows(2) {
            let ((a, fa), (b, fb)) = (pair[0], pair[1]);
            let (ra, rb) = (reference[a], reference[b]);
            let tolerance = 1e-9 * ra.abs().max(1.0);
            assert!(
                ra >= rb - tolerance,
                "--sort {key}: {a} ({ra}) before {b} ({rb})"
            );
            if fa == fb {
                assert!(a < b, "--sort {key}: equal {figure}, {a} before {b}");
            }
        }
        // The ends are unambiguous.
        let want = reference_order("expected/baseline.stats.json", figure);
        assert_eq!(rows[0].0, want[0], "--sort {key}");
        assert_eq!(rows[rows.len() - 1].0, want[want.len() - 1], "--sort {key}");
    }
}

#[test]
fn claude_calls_in_the_table_sorted_by_total() {
    // The table (not only the JSON) keeps the order: the five largest totals, in order, with
    // the call counts of the reference in the Calls column.
    let (stdout, _) = run(
        &[
            "summary",
            &fixture_arg("viztracer/baseline.json"),
            "--top",
            "8",
        ],
        0,
    );
    let want = reference_order("expected/baseline.stats.json", "total_us");
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("expected/baseline.stats.json")).unwrap(),
    )
    .unwrap();
    let rows: Vec<(String, String)> = stdout
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(['│', '┆']).map(str::trim).collect();
            (cells.len() > 3 && cells[2].parse::<u64>().is_ok())
                .then(|| (cells[1].to_string(), cells[2].to_string()))
        })
        .collect();
    assert_eq!(rows.len(), 8, "{stdout}");
    for ((name, calls), key) in rows.iter().zip(&want) {
        assert_eq!(name, key, "{stdout}");
        assert_eq!(
            calls,
            &reference["operations"][key]["count"].to_string(),
            "{key}"
        );
    }
    assert!(
        want[..8].contains(&"call_claude (diagnostic.py)".to_string()),
        "the table shows the costliest operations, call_claude among them"
    );
}

#[test]
fn several_traces_aggregate_together() {
    let report = run_json(
        &[
            "summary",
            &fixture_arg("viztracer/runs/before_1.json"),
            &fixture_arg("viztracer/runs/before_2.json"),
            "--name",
            "post_answer*",
        ],
        0,
    );
    assert_eq!(report["operations"][0]["count"], 8);
    assert_eq!(report["inputs"].as_array().unwrap().len(), 2);
}

#[test]
fn unreadable_input_is_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty.json", b"", "empty"),
        ("page.json", b"<!DOCTYPE html><html></html>", "HTML"),
        (
            "config.json",
            br#"{"name": "x", "version": 2}"#,
            "traceEvents",
        ),
        (
            "proto.json",
            b"\x0a\x8d\x01\x12\x00\x1a\x00\x00",
            "protobuf",
        ),
    ];
    for (name, bytes, what) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (_, stderr) = run(&["summary", path.to_str().unwrap()], 2);
        assert!(
            stderr.contains(name) && stderr.contains(what),
            "{name}: {stderr}"
        );
    }
    let (_, stderr) = run(&["summary", "does/not/exist.json"], 2);
    assert!(stderr.contains("does/not/exist.json"), "{stderr}");
}

#[test]
fn malformed_event_names_file_and_byte_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(
        &path,
        br#"[{"ph":"X","ts":1,"dur":2,"name":"a"},
{"ph":"X","ts":1,"dur":oops}]"#,
    )
    .unwrap();
    let (_, stderr) = run(&["summary", path.to_str().unwrap()], 2);
    // `oops` starts at byte 62 (0-based) of the file.
    assert!(stderr.contains("bad.json: byte 62: "), "{stderr}");
}

#[test]
fn stdin_is_read_with_dash() {
    let bytes = std::fs::read(fixture("pyspy/record.json")).unwrap();
    let out = crate::common::perfgate()
        .args(["summary", "-", "--format", "json"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["inputs"][0]["source"], "<stdin>");
    assert!(!report["operations"].as_array().unwrap().is_empty());
}

#[test]
fn every_help_text_fits_an_80_column_terminal() {
    // Help lines of 120+ characters wrapped by the terminal at random places before clap's
    // wrap_help was on.
    for command in [vec![], vec!["summary"], vec!["check"], vec!["compare"]] {
        let mut args = command.clone();
        args.push("--help");
        let out = crate::common::perfgate()
            .args(&args)
            .env("COLUMNS", "80")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("Exit codes:"), "{help}");
        for line in help.lines() {
            assert!(
                line.chars().count() <= 80,
                "perfgate {args:?}: {} columns: {line}",
                line.chars().count()
            );
        }
    }
}

#[test]
fn a_filter_that_matches_nothing_says_so_instead_of_printing_nothing() {
    let trace = fixture_arg("viztracer/baseline.json");
    let (stdout, stderr) = run(&["summary", &trace, "--name", "cal_claude"], 0);
    assert!(!stdout.contains("call_claude"), "{stdout}");
    assert!(
        stderr.contains("no operation matches --name 'cal_claude'"),
        "{stderr}"
    );
    let (_, stderr) = run(&["summary", &trace, "--name", "call_claude"], 0);
    assert!(!stderr.contains("no operation matches"), "{stderr}");
}

#[test]
fn quoted_glob_patterns_expand_like_compare_sides() {
    // CI inputs and some shells pass the pattern through unexpanded.
    let pattern = fixture_arg("viztracer/runs/before_*.json");
    let report = run_json(&["summary", &pattern, "--name", "post_answer*"], 0);
    assert_eq!(report["inputs"].as_array().unwrap().len(), 5);
    assert_eq!(report["operations"][0]["count"], 20);
    let (_, stderr) = run(&["summary", &fixture_arg("viztracer/runs/none_*.json")], 2);
    assert!(stderr.contains("matched no file"), "{stderr}");
}
