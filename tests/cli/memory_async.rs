//! viztracer `--log_async` coroutine slices merged into calls, and memory (`--log_gc`, counter
//! events): what summary, check and compare say about them, on real traces
//! (tests/fixtures/service/async_diagnostic.py and allocating.py).

use serde_json::Value;

use crate::common::{fixture_arg, run, run_json};

fn op<'a>(operations: &'a Value, name: &str) -> &'a Value {
    operations
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no operation {name}"))
}

#[test]
fn a_coroutine_call_counts_once_however_many_times_it_was_resumed() {
    let report = run_json(
        &["summary", &fixture_arg("viztracer/async_clean.json.gz")],
        0,
    );
    let ops = &report["operations"];
    // 6 requests: each handler awaits 4 things, so it ran in 5 slices (30 in the trace).
    for name in [
        "handle_request (async_diagnostic.py)",
        "fetch_session (async_diagnostic.py)",
        "call_claude_async (async_diagnostic.py)",
        "save_result_async (async_diagnostic.py)",
    ] {
        assert_eq!(op(ops, name)["count"], 6, "{name}");
    }
    assert_eq!(op(ops, "serve (async_diagnostic.py)")["count"], 1);
    // asyncio.sleep is a coroutine too: one call per await.
    assert_eq!(op(ops, "sleep (tasks.py)")["count"], 24);
    // A call lasts from its first slice to its last (it waits for Claude, 350-500 ms); its
    // self time is the time it ran, microseconds.
    let handler = op(ops, "handle_request (async_diagnostic.py)");
    assert!(
        handler["mean_us"].as_f64().unwrap() > 350_000.0,
        "{handler}"
    );
    assert!(handler["self_us"].as_f64().unwrap() < 10_000.0, "{handler}");
}

#[test]
fn compare_of_two_runs_of_the_async_service_sees_the_same_calls_per_run() {
    let report = run_json(
        &[
            "compare",
            &fixture_arg("viztracer/async_clean.json.gz"),
            &fixture_arg("viztracer/async_clean_2.json.gz"),
        ],
        0,
    );
    let ops = report["comparison"]["operations"].as_array().unwrap();
    let handler = ops
        .iter()
        .find(|o| o["name"] == "handle_request (async_diagnostic.py)")
        .unwrap();
    assert_eq!(handler["before"]["calls_per_run"], 6.0);
    assert_eq!(handler["after"]["calls_per_run"], 6.0);
    for o in ops.iter().filter(|o| {
        o["name"].as_str().unwrap().contains("async_diagnostic.py") && o["before"].is_object()
    }) {
        assert_eq!(
            o["before"]["calls_per_run"], o["after"]["calls_per_run"],
            "{o}"
        );
    }
}

#[test]
fn the_blocking_call_is_the_one_finding_of_the_async_service() {
    let budgets = format!("{}/budgets.toml", env!("CARGO_MANIFEST_DIR"));
    for (trace, code, want) in [
        ("viztracer/async_blocking.json.gz", 1, 1),
        ("viztracer/async_clean.json.gz", 0, 0),
        ("viztracer/async_clean_2.json.gz", 0, 0),
    ] {
        let report = run_json(&["check", &fixture_arg(trace), "--budgets", &budgets], code);
        let findings = report["findings"].as_array().cloned().unwrap_or_default();
        assert_eq!(findings.len(), want, "{trace}: {findings:?}");
        if want == 1 {
            assert_eq!(findings[0]["kind"], "blocking_io");
            assert_eq!(findings[0]["operation"], "time.sleep");
        }
    }
}

#[test]
fn a_log_gc_trace_shows_its_collections_and_the_calls_they_interrupted() {
    let report = run_json(&["summary", &fixture_arg("viztracer/gc_alloc.json.gz")], 0);
    let gc = &report["memory"]["gc"];
    assert!(gc["collections"].as_u64().unwrap() > 50, "{gc}");
    let total = gc["total_us"].as_f64().unwrap();
    assert!(total > 1_000.0, "{gc}");
    // The collections run while build_report allocates (its list comprehension is charged
    // to it): nearly all the GC time is there.
    let first = &gc["operations"][0];
    assert_eq!(first["operation"], "build_report (allocating.py)");
    assert!(first["gc_us"].as_f64().unwrap() > 0.9 * total, "{gc}");
    let share = first["share"].as_f64().unwrap();
    assert!(share > 0.0 && share <= 1.0, "{first}");
    let counters = report["memory"]["counters"].as_array().unwrap();
    let cache = counters
        .iter()
        .find(|c| c["name"] == "memory.cache_items")
        .unwrap();
    assert_eq!(
        (
            &cache["first"],
            &cache["max"],
            &cache["last"],
            &cache["growth"]
        ),
        (
            &Value::from(20.0),
            &Value::from(100.0),
            &Value::from(100.0),
            &Value::from(80.0)
        )
    );
    let (table, _) = run(&["summary", &fixture_arg("viztracer/gc_alloc.json.gz")], 0);
    assert!(table.contains("Garbage collection: "), "{table}");
    assert!(table.contains("memory.cache_items"), "{table}");
    // A trace without --log_gc has no memory section.
    let plain = run_json(
        &["summary", &fixture_arg("viztracer/async_clean.json.gz")],
        0,
    );
    assert!(plain.get("memory").is_none());
}

const MEMORY_BUDGETS: &str = r#"
[[budget]]
name = "Report GC"
operation = "build_report"
metric = "gc"
target = "20s"
flag = "30s"

[[budget]]
name = "Cache growth"
counter = "memory.cache_items"
metric = "growth"
target = 100
flag = 1000

[detectors.gc_pressure]
max_share = 0.05
"#;

#[test]
fn gc_and_counter_budgets_and_the_gc_pressure_finding() {
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    std::fs::write(&budgets, MEMORY_BUDGETS).unwrap();
    let budgets = budgets.to_str().unwrap();
    let check = |trace: &str, code: i32| {
        run_json(&["check", &fixture_arg(trace), "--budgets", budgets], code)
    };
    let clean = check("viztracer/gc_alloc.json.gz", 0);
    let gc_budget = &clean["budgets"][0];
    assert_eq!(gc_budget["metric"], "gc");
    assert_eq!(gc_budget["status"], "on_target");
    // The gc metric is the GC time inside build_report's calls: the summary's figure.
    let summary = run_json(&["summary", &fixture_arg("viztracer/gc_alloc.json.gz")], 0);
    let charged = summary["memory"]["gc"]["operations"][0]["gc_us"]
        .as_f64()
        .unwrap();
    crate::common::assert_close(gc_budget["value"].as_f64().unwrap(), charged, "gc");
    let cache = &clean["budgets"][1];
    assert_eq!(
        (&cache["counter"], &cache["value"], &cache["status"]),
        (
            &Value::from("memory.cache_items"),
            &Value::from(80.0),
            &Value::from("on_target")
        )
    );
    let pressure: Vec<&Value> = clean["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "gc_pressure")
        .collect();
    assert_eq!(pressure.len(), 1, "{clean}");
    assert_eq!(pressure[0]["operation"], "build_report (allocating.py)");
    assert_eq!(pressure[0]["severity"], "warn");
    // The leak: the cache grows by 500 a request, 2500 from the first request to the sixth.
    let leak = check("viztracer/gc_leak.json.gz", 1);
    assert_eq!(leak["budgets"][1]["value"], 2500.0);
    assert_eq!(leak["budgets"][1]["status"], "flagged");
}

#[test]
fn counter_budgets_are_checked_in_budgets_toml() {
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    let trace = fixture_arg("viztracer/gc_alloc.json.gz");
    for (text, message) in [
        (
            "[[budget]]\nname = \"x\"\ncounter = \"memory.cache_items\"\nmetric = \"p95\"\ntarget = 1\nflag = 2\n",
            "metric \"p95\" measures calls; a counter budget takes one of max, min, last, growth",
        ),
        (
            "[[budget]]\nname = \"x\"\noperation = \"f\"\ncounter = \"m\"\ntarget = 1\nflag = 2\n",
            "either calls (operation = ...) or a counter (counter = ...), not both",
        ),
        (
            "[[budget]]\nname = \"x\"\ncounter = \"m\"\ntarget = \"1ms\"\nflag = 2\n",
            "a counter budget's thresholds are plain numbers",
        ),
        (
            "[[budget]]\nname = \"x\"\noperation = \"f\"\nmetric = \"growth\"\ntarget = 1\nflag = 2\n",
            "metric \"growth\" is for counter budgets",
        ),
    ] {
        std::fs::write(&budgets, text).unwrap();
        let (_, err) = run(
            &["check", &trace, "--budgets", budgets.to_str().unwrap()],
            2,
        );
        assert!(err.contains(message), "{text}\n{err}");
    }
}
