//! Red flags by structure, as in CI: the shop service (tests/fixtures/service/shop.py) with
//! real SQLite queries in memory and a mocked LLM answering in ~5 ms, traced by the real
//! viztracer, checked with the shipped budgets.toml and compared side by side.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{fixture_arg, run, run_json};

fn shipped_budgets() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("budgets.toml")
        .display()
        .to_string()
}

/// The findings of `check` on a shop trace with the shipped budgets.toml (its budgets are
/// the diagnostic service's and match nothing here: warnings, exit 0 unless a red flag fails).
fn check(variant: &str, code: i32) -> Vec<Value> {
    let trace = fixture_arg(&format!("viztracer/shop_{variant}.json.gz"));
    let report = run_json(&["check", &trace, "--budgets", &shipped_budgets()], code);
    report["findings"].as_array().cloned().unwrap_or_default()
}

fn compare(before: &str, after: &str, code: i32) -> (Value, String) {
    let b = fixture_arg(&format!("viztracer/shop_{before}.json.gz"));
    let a = fixture_arg(&format!("viztracer/shop_{after}.json.gz"));
    let report = run_json(&["compare", &b, &a], code);
    // The Markdown puts a finding's sentence on one line (the terminal table wraps it).
    let (text, _) = run(&["compare", &b, &a, "--format", "markdown"], code);
    (report, text.replace("\\_", "_"))
}

fn kinds(findings: &[Value]) -> Vec<&str> {
    findings
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect()
}

#[test]
fn the_clean_service_and_its_generator_heavy_loader_give_no_finding() {
    // load_prices resumes the generator fetch_rows 500 times under one call, and a
    // <genexpr> as often (`load_*` matches it): neither is a call of a query.
    let found = check("clean", 0);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn an_n_plus_one_on_in_process_sqlite_is_found_with_the_shipped_defaults() {
    let found = check("n_plus_one", 1);
    assert_eq!(kinds(&found), ["n_plus_one"], "{found:?}");
    let f = &found[0];
    assert_eq!(f["operation"], "get_order_items (shop.py)");
    assert_eq!(f["parent"], "list_orders (shop.py)");
    assert_eq!(
        (f["count"].as_u64(), f["occurrences"].as_u64()),
        (Some(12), Some(8))
    );
    // The whole loop costs well under a millisecond: found by structure, not by time.
    assert!(f["total_us"].as_f64().unwrap() < 50_000.0, "{f}");
}

#[test]
fn a_mocked_llm_called_twice_is_a_repeated_call_with_the_shipped_defaults() {
    let found = check("dup_claude", 1);
    assert_eq!(kinds(&found), ["repeated_call"], "{found:?}");
    assert_eq!(found[0]["operation"], "call_claude (shop.py)");
    assert_eq!(found[0]["parent"], "decide_next (shop.py)");
    assert_eq!(found[0]["count"], 2);
    assert!(found[0]["slowest_us"].as_f64().unwrap() < 100_000.0);
}

#[test]
fn four_single_row_fetches_in_a_row_are_consecutive_queries() {
    let found = check("consecutive", 0);
    assert_eq!(kinds(&found), ["consecutive_queries"], "{found:?}");
    let f = &found[0];
    assert_eq!(f["severity"], "warn");
    assert_eq!(f["parent"], "load_session_view (shop.py)");
    assert_eq!(f["operation"], "get_session (shop.py)");
    assert_eq!(
        (f["count"].as_u64(), f["occurrences"].as_u64()),
        (Some(4), Some(8))
    );
}

#[test]
fn compare_names_the_structure_change_at_its_parent_with_the_source_line() {
    let (report, text) = compare("clean", "n_plus_one", 1);
    let found = report["findings"].as_array().unwrap();
    assert_eq!(kinds(found), ["n_plus_one_introduced"], "{report}");
    let f = &found[0];
    assert_eq!(f["operation"], "get_order_items (shop.py)");
    assert_eq!(f["parent"], "list_orders (shop.py)");
    assert_eq!(f["per_parent"]["before"], 1.0);
    assert_eq!(f["per_parent"]["after"], 12.0);
    // The parent's file as shown (relative to the repository the trace was made in, or its
    // name) and line: where the loop is.
    let file = f["file"].as_str().unwrap();
    assert!(file.ends_with("shop.py"), "{f}");
    let line = f["line"].as_u64().unwrap();
    assert!(
        text.contains(&format!(
            "N+1 introduced: get_order_items (shop.py) 1 → 12 calls per list_orders (shop.py) \
             ({file}:{line})"
        )),
        "{text}"
    );

    let (report, text) = compare("clean", "dup_claude", 1);
    let found = report["findings"].as_array().unwrap();
    assert_eq!(kinds(found), ["repeated_call_introduced"], "{report}");
    assert_eq!(found[0]["parent"], "decide_next (shop.py)");
    assert!(
        text.contains("call_claude (shop.py) now called 2× per decide_next (shop.py), was 1×"),
        "{text}"
    );

    // The same service on both sides: nothing changed shape.
    let (report, _) = compare("clean", "clean", 0);
    assert!(
        report["findings"].as_array().is_none_or(|f| f.is_empty()),
        "{report}"
    );
    // The fix, compared the other way round, is no finding either.
    let (report, _) = compare("n_plus_one", "clean", 0);
    assert!(
        report["findings"].as_array().is_none_or(|f| f.is_empty()),
        "{report}"
    );
}

#[test]
fn count_based_detectors_do_not_run_on_sampled_profiles_and_say_so_once() {
    // py-spy's samples of the diagnostic service, regressed (a duplicated Claude call): a "call" of a
    // sampled profile is a run of samples, so twice-per-parent means nothing there.
    let trace = fixture_arg("speedscope/pyspy_regressed.json");
    let out = crate::common::perfgate()
        .args([
            "check",
            &trace,
            "--budgets",
            &shipped_budgets(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = report["findings"].as_array().cloned().unwrap_or_default();
    assert!(
        found
            .iter()
            .all(|f| !["n_plus_one", "repeated_call", "consecutive_queries"]
                .contains(&f["kind"].as_str().unwrap())),
        "{found:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("the traces are sampled").count(),
        1,
        "{stderr}"
    );
}

/// viztracer `--log_func_args`: queries through one generic helper, `db(conn, statement)`,
/// whose name says nothing about data access; the statements in its logged arguments tell the
/// queries apart (tests/fixtures/service/queries.py).
#[test]
fn statements_logged_as_function_arguments_find_the_n_plus_one_and_the_consecutive_queries() {
    let findings = |variant: &str, code: i32| -> Vec<Value> {
        let trace = fixture_arg(&format!("viztracer/queries_{variant}.json"));
        let report = run_json(&["check", &trace, "--budgets", &shipped_budgets()], code);
        report["findings"].as_array().cloned().unwrap_or_default()
    };
    assert!(findings("clean", 0).is_empty());
    let n_plus_one = findings("n_plus_one", 1);
    assert_eq!(n_plus_one.len(), 1, "{n_plus_one:?}");
    let f = &n_plus_one[0];
    assert_eq!(f["kind"], "n_plus_one");
    assert_eq!(f["operation"], "db (queries.py)");
    assert_eq!(f["parent"], "order_items (queries.py)");
    assert_eq!(f["count"], 12);
    let consecutive = findings("consecutive", 0);
    assert_eq!(consecutive.len(), 1, "{consecutive:?}");
    assert_eq!(consecutive[0]["kind"], "consecutive_queries");
    assert_eq!(consecutive[0]["parent"], "session_view (queries.py)");
    assert_eq!(consecutive[0]["count"], 4);
}
