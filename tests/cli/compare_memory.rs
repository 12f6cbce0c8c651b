//! Memory in `compare`, on real viztracer `--log_gc` traces of tests/fixtures/service/
//! allocating.py: the clean service and the one whose cache leaks 500 items a request
//! (tests/fixtures/generate.sh). Garbage collection and counters are shown before and after
//! in every report, and judged only by budgets.

use serde_json::Value;

use crate::common::{fixture_arg, perfgate, run, run_json};

fn leak_compare(extra: &[&str], code: i32) -> Value {
    let (clean, leak) = (
        fixture_arg("viztracer/gc_alloc.json.gz"),
        fixture_arg("viztracer/gc_leak.json.gz"),
    );
    let mut args = vec!["compare", clean.as_str(), leak.as_str()];
    args.extend(extra);
    run_json(&args, code)
}

#[test]
fn compare_reports_gc_and_counter_growth_before_and_after() {
    let report = leak_compare(&["--no-budgets"], 0);
    let memory = &report["comparison"]["memory"];
    // The same allocation per request on both sides: the collections are the same count.
    let gc = &memory["gc"];
    let (before, after) = (&gc["before"], &gc["after"]);
    assert!(
        before["collections_per_run"].as_f64().unwrap() > 50.0,
        "{gc}"
    );
    assert_eq!(before["collections_per_run"], after["collections_per_run"]);
    assert!(after["total_us_per_run"].as_f64().unwrap() > 0.0, "{gc}");
    // The counter the service logs: the cache grows 80 items in the clean run, 2500 with
    // the leak (500 a request from the first request to the sixth).
    let cache = memory["counters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "memory.cache_items")
        .unwrap_or_else(|| panic!("{memory}"));
    assert_eq!(
        (&cache["before"]["growth"], &cache["after"]["growth"]),
        (&Value::from(80.0), &Value::from(2500.0))
    );
    assert_eq!(cache["after"]["max"], 3000.0);
    // Informational: a growth 30 times larger and a different GC time fail nothing.
    assert_eq!(report["verdict"], "pass", "{report}");
    assert!(memory.get("severity").is_none());
}

#[test]
fn the_memory_change_reads_the_same_in_the_terminal_and_the_markdown() {
    let (clean, leak) = (
        fixture_arg("viztracer/gc_alloc.json.gz"),
        fixture_arg("viztracer/gc_leak.json.gz"),
    );
    let (table, _) = run(&["compare", &clean, &leak, "--no-budgets"], 0);
    let row = table
        .lines()
        .find(|l| l.contains("memory.cache_items growth"))
        .unwrap_or_else(|| panic!("{table}"));
    let cells: Vec<&str> = row.split('┆').map(str::trim).collect();
    assert_eq!(cells[1..], ["+80", "+2500", "+2420 │"], "{row}");
    assert!(table.contains("GC collections per run"), "{table}");
    assert!(table.contains("informational"), "{table}");
    // --brief leaves it out.
    let (brief, _) = run(&["compare", &clean, &leak, "--no-budgets", "--brief"], 0);
    assert!(!brief.contains("memory.cache_items"), "{brief}");

    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("c.md");
    let out = perfgate()
        .args(["compare", &clean, &leak, "--no-budgets", "--markdown"])
        .arg(&md)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let md = std::fs::read_to_string(&md).unwrap();
    // Markdown escapes the underscore of names.
    assert!(
        md.contains("| memory.cache\\_items growth | +80 | +2500 | +2420 |"),
        "{md}"
    );
    assert!(md.contains("<summary>Memory (informational"), "{md}");
}

/// A counter budget on the after side is what makes memory fail the gate in `compare`.
#[test]
fn a_counter_budget_gates_the_leak_in_compare() {
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    std::fs::write(
        &budgets,
        "[[budget]]\nname = \"Cache growth\"\ncounter = \"memory.cache_items\"\n\
         metric = \"growth\"\ntarget = 100\nflag = 1000\n",
    )
    .unwrap();
    let report = leak_compare(&["--budgets", budgets.to_str().unwrap()], 1);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["budgets"][0]["status"], "flagged");
    assert_eq!(report["budgets"][0]["value"], 2500.0);
}

/// Traces without GC or counters have no memory in the comparison.
#[test]
fn no_memory_recorded_no_memory_section() {
    let (a, b) = (
        fixture_arg("viztracer/baseline.json"),
        fixture_arg("viztracer/aa_shifted.json"),
    );
    let report = run_json(&["compare", &a, &b, "--no-budgets"], 0);
    assert!(report["comparison"].get("memory").is_none(), "{report}");
    let (table, _) = run(&["compare", &a, &b, "--no-budgets"], 0);
    assert!(!table.contains("Memory (informational)"), "{table}");
}
