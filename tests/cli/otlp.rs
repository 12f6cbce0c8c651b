//! OpenTelemetry traces (OTLP/JSON) made by the real Python SDK (tests/fixtures/otlp/
//! shop_otel.py): `summary` against the independent reference (tests/fixtures/otlp/
//! reference_otlp.py, parents from parentSpanId), `check` and `compare` on them, and broken
//! files.

use serde_json::Value;

use crate::common::{assert_close, fixture, fixture_arg, perfgate, run, run_json};

const FIGURES: [&str; 10] = [
    "total_us", "self_us", "mean_us", "min_us", "p50_us", "p90_us", "p95_us", "p99_us", "max_us",
    "count",
];

fn assert_matches_reference(trace: &str, expected: &str) {
    let report = run_json(&["summary", &fixture_arg(trace)], 0);
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(expected)).unwrap()).unwrap();
    assert_eq!(
        report["inputs"][0]["spans"], reference["spans"],
        "spans in {trace}"
    );
    let reference = reference["operations"].as_object().unwrap();
    let ops = report["operations"].as_array().unwrap();
    assert_eq!(ops.len(), reference.len(), "operations in {trace}");
    for op in ops {
        let name = op["name"].as_str().unwrap();
        let want = reference
            .get(name)
            .unwrap_or_else(|| panic!("{trace}: perfgate has {name:?}, the reference has not"));
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
fn otlp_document_and_json_lines_match_the_reference() {
    assert_matches_reference(
        "otlp/shop_document.json",
        "expected/shop_document.stats.json",
    );
    assert_matches_reference("otlp/shop_lines.jsonl", "expected/shop_lines.stats.json");
    assert_matches_reference(
        "otlp/shop_slow_quote.jsonl",
        "expected/shop_slow_quote.stats.json",
    );
}

#[test]
fn otlp_operations_are_span_names_with_code_locations() {
    let report = run_json(&["summary", &fixture_arg("otlp/shop_lines.jsonl")], 0);
    let names: Vec<&str> = report["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    for want in [
        "GET /orders/{id}",
        "SELECT shop",
        "POST /quote",
        "get_item (shop_otel.py)",
        "recommend (shop_otel.py)",
    ] {
        assert!(names.contains(&want), "{want} not in {names:?}");
    }
    // The three concurrent recommend calls of each request: only the first is subtracted
    // from fetch_recommendations' self time (the others run on their own tracks).
    let op = |n: &str| {
        report["operations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == n)
            .unwrap()
            .clone()
    };
    let fetch = op("fetch_recommendations (shop_otel.py)");
    let recommend = op("recommend (shop_otel.py)");
    assert_eq!(recommend["count"], 3 * fetch["count"].as_u64().unwrap());
    assert!(fetch["self_us"].as_f64().unwrap() > 0.0);
}

#[test]
fn gzip_otlp_from_stdin() {
    let mut gz = gzip(&std::fs::read(fixture("otlp/shop_lines.jsonl")).unwrap());
    let out = perfgate()
        .args(["summary", "-", "--format", "json"])
        .write_stdin(std::mem::take(&mut gz))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["inputs"][0]["spans"], 184);
}

/// gzip by the system's `gzip`, so the tests need no compression crate of their own.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gzip runs");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    child.wait_with_output().unwrap().stdout
}

const BUDGETS: &str = r#"
[[budget]]
name = "Quote"
operation = "compute_quote"
target = "10ms"
flag = "12ms"

[[budget]]
name = "Order page"
operation = "GET /orders/*"
target = "100ms"
flag = "200ms"

[[budget]]
name = "Items per order"
operation = "get_item"
within = "load_order"
metric = "count_per_parent"
target = 5
flag = 6
"#;

#[test]
fn check_judges_otlp_spans() {
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    std::fs::write(&budgets, BUDGETS).unwrap();
    let budgets = budgets.display().to_string();
    let status = |report: &Value, name: &str| {
        report["budgets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == name)
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let trace = fixture_arg("otlp/shop_lines.jsonl");
    // Every budget on target; the fixture's designed N+1 (2..5 `get_item` per `load_order`,
    // each one `SELECT shop` with another id) is found by structure although it takes
    // microseconds, and is the only thing that fails.
    let ok = run_json(&["check", &trace, "--budgets", &budgets], 1);
    for name in ["Quote", "Order page", "Items per order"] {
        assert_eq!(status(&ok, name), "on_target", "{name}: {ok}");
    }
    let found = ok["findings"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{ok}");
    assert_eq!(found[0]["kind"], "n_plus_one");
    assert_eq!(found[0]["operation"], "get_item (shop_otel.py)");
    assert_eq!(found[0]["parent"], "load_order (shop_otel.py)");
    let slow = fixture_arg("otlp/shop_slow_quote.jsonl");
    let bad = run_json(&["check", &slow, "--budgets", &budgets], 1);
    assert_eq!(bad["verdict"], "fail");
    assert_eq!(status(&bad, "Quote"), "flagged");
}

#[test]
fn compare_finds_the_slow_quote() {
    let before = fixture_arg("otlp/shop_lines.jsonl");
    let after = fixture_arg("otlp/shop_slow_quote.jsonl");
    let (stdout, _) = run(&["compare", &before, &after], 1);
    assert!(stdout.contains("compute_quote (shop_otel.py)"), "{stdout}");
    let report = run_json(&["compare", &before, &before], 0);
    assert_eq!(report["verdict"], "pass", "{report}");
}

#[test]
fn broken_otlp_is_exit_2_naming_the_file_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let lines = std::fs::read_to_string(fixture("otlp/shop_lines.jsonl")).unwrap();
    let first = lines.lines().next().unwrap();
    let cases = [
        (
            "bad_line.jsonl",
            format!("{first}\n{{\"resourceSpans\": [{{\"scopeSpans\": 7}}]}}\n{first}\n"),
            "line 2, column",
        ),
        (
            "bad_byte.json",
            "{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [oops]}]}]}".to_string(),
            "(byte 46)",
        ),
        (
            "cut.json",
            first[..first.len() / 2].to_string(),
            "EOF while parsing",
        ),
    ];
    for (name, text, place) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (_, stderr) = run(&["summary", path.to_str().unwrap()], 2);
        assert!(
            stderr.contains(name) && stderr.contains(place),
            "{name}: {stderr}"
        );
    }
    // Spans without ids or times are left out with a warning; none left is an input error.
    let path = dir.path().join("no_ids.json");
    std::fs::write(
        &path,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a","startTimeUnixNano":"1"}]}]}]}"#,
    )
    .unwrap();
    let (_, stderr) = run(&["summary", path.to_str().unwrap()], 2);
    assert!(
        stderr.contains("no_ids.json") && stderr.contains("1 span(s) without"),
        "{stderr}"
    );
}
