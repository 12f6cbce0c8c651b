//! `perfgate compare` on real viztracer traces of the example service (tests/fixtures/README.md):
//! an A/A pair must stay quiet, an A/B pair must report the injected slowdown and duplicated
//! call with the right attribution, and 5 + 5 runs must catch a 2× slowdown.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{fixture, fixture_arg, run, run_json};

const TRAVERSE: &str = "traverse_graph (diagnostic.py)";
const CLAUDE: &str = "call_claude (diagnostic.py)";
const DECIDE: &str = "decide_next (diagnostic.py)";
const POST: &str = "post_answer (diagnostic.py)";

fn compare_json(before: &str, after: &str, extra: &[&str], code: i32) -> Value {
    let (b, a) = (fixture_arg(before), fixture_arg(after));
    let mut args = vec!["compare", b.as_str(), a.as_str()];
    args.extend(extra);
    run_json(&args, code)
}

fn ops(report: &Value) -> &Vec<Value> {
    report["comparison"]["operations"].as_array().unwrap()
}

fn op<'a>(report: &'a Value, name: &str) -> &'a Value {
    ops(report)
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no operation {name} in the comparison"))
}

fn names_with_status(report: &Value, status: &str) -> BTreeSet<String> {
    ops(report)
        .iter()
        .filter(|o| o["status"] == status)
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect()
}

fn vector_case(name: &str) -> Value {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("vectors/mannwhitneyu.json")).unwrap(),
    )
    .unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
        .clone()
}

/// C(n, k) as a float (for exact p-values of complete separation).
fn choose(n: u64, k: u64) -> f64 {
    (1..=k).fold(1.0, |acc, i| acc * (n - k + i) as f64 / i as f64)
}

#[test]
fn same_code_traced_twice_in_another_checkout_is_not_a_regression() {
    let report = compare_json(
        "viztracer/baseline.json",
        "viztracer/aa_shifted.json",
        &[],
        0,
    );
    // Not even a warning: the p95 of a dozen CPU-bound calls follows one or two outliers.
    assert_eq!(report["verdict"], "pass");
    assert!(names_with_status(&report, "regressed").is_empty());
    // Another directory and lines shifted by 7: still the same operations.
    assert!(names_with_status(&report, "added").is_empty());
    assert!(names_with_status(&report, "removed").is_empty());
    for name in [TRAVERSE, CLAUDE, DECIDE, POST] {
        let o = op(&report, name);
        assert_eq!(o["status"], "unchanged", "{name}: {o}");
        assert_eq!(o["count_regressed"], false);
    }
}

#[test]
fn slower_traversal_and_duplicated_claude_call_are_exactly_the_regressions() {
    let report = compare_json(
        "viztracer/baseline.json",
        "viztracer/regressed.json",
        &[],
        1,
    );
    assert_eq!(report["verdict"], "fail");
    // The two injected changes, their callers, and time.sleep: call_claude sleeps, so twice
    // the calls to call_claude are 12 more time.sleep calls per run, costing 1.4 s.
    let expected: BTreeSet<String> = [TRAVERSE, CLAUDE, DECIDE, POST, "time.sleep"]
        .map(String::from)
        .into();
    assert_eq!(names_with_status(&report, "regressed"), expected);
    // Of these, exactly the two injected changes are causes; the rest is folded under them.
    let causes: BTreeSet<&str> = report["comparison"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["operation"].as_str().unwrap())
        .collect();
    assert_eq!(causes, [CLAUDE, TRAVERSE].into());
    for o in ops(&report) {
        if o["severity"] == "fail" {
            assert_eq!(o["status"], "regressed", "{o}");
        }
    }

    // sleep_until, which traverse_graph now asks to sleep twice as long, is called from
    // other places too: its fastest call did not move, so with one run per side it only
    // warns (a busy moment during one run does the same), and traverse_graph, whose every
    // call slowed, is the cause, its growth in sleep_until.
    let sleep_until = op(&report, "sleep_until (diagnostic.py)");
    assert_eq!(sleep_until["severity"], "warn", "{sleep_until}");
    assert!(
        sleep_until["min_ratio"].as_f64().unwrap() < 1.2,
        "{sleep_until}"
    );
    let traverse = op(&report, TRAVERSE);
    assert!(traverse["min_ratio"].as_f64().unwrap() >= 1.5, "{traverse}");
    assert_eq!(
        traverse["attribution"]["children"][0]["operation"],
        "sleep_until (diagnostic.py)"
    );
    assert_eq!(traverse["count_regressed"], false);
    assert!(traverse["delta_pct"].as_f64().unwrap() > 50.0, "{traverse}");
    // Every after call is slower than every before call: U = 0, and with 12 + 12 calls (too
    // few for a tail test) and no ties the exact one-sided Mann–Whitney p-value is
    // 1 / C(24, 12).
    assert_eq!(traverse["test"], "mann-whitney");
    let p = traverse["p_value"].as_f64().unwrap();
    let want = 1.0 / choose(24, 12);
    assert!((p - want).abs() <= 1e-12 * want, "{p} vs {want}");
    // The shift estimate is the Hodges–Lehmann estimate scipy/numpy give for these calls.
    for (name, case) in [
        (TRAVERSE, "durations_traverse_graph_baseline_vs_regressed"),
        (CLAUDE, "durations_call_claude_baseline_vs_regressed"),
    ] {
        let shift = op(&report, name)["shift_us"].as_f64().unwrap();
        let hl = vector_case(case)["hodges_lehmann"].as_f64().unwrap();
        assert!(
            (shift - hl).abs() <= 1e-9 * hl.abs(),
            "{name}: {shift} vs {hl}"
        );
        let ci = op(&report, name)["shift_ci_us"].as_array().unwrap();
        assert!(ci[0].as_f64().unwrap() <= shift && shift <= ci[1].as_f64().unwrap());
    }

    // call_claude is no slower per call, but called twice per request.
    let claude = op(&report, CLAUDE);
    assert_eq!(claude["count_regressed"], true);
    assert_eq!(claude["before"]["calls_per_run"], 12.0);
    assert_eq!(claude["after"]["calls_per_run"], 24.0);
    assert!(
        claude["delta_pct"].as_f64().unwrap().abs() < 10.0,
        "{claude}"
    );
}

#[test]
fn attribution_points_at_the_children_that_changed() {
    let report = compare_json(
        "viztracer/baseline.json",
        "viztracer/regressed.json",
        &[],
        1,
    );
    let decide = op(&report, DECIDE);
    let split = &decide["attribution"];
    // The row is judged on p95, which does not split into children: the split is the mean.
    assert_eq!(split["basis"], "mean_per_call", "{decide}");
    let why = split["children"].as_array().unwrap();
    assert_eq!(why[0]["operation"], CLAUDE, "{decide}");
    assert_eq!(why[0]["calls_per_parent_before"], 1.0);
    assert_eq!(why[0]["calls_per_parent_after"], 2.0);
    assert_eq!(why[1]["operation"], TRAVERSE, "{decide}");
    assert_eq!(why[1]["calls_per_parent_after"], 1.0);
    assert!(why[1]["delta_per_call_us"].as_f64().unwrap() > 10_000.0);
    assert_parts_add_up(split);
    // The children's growth accounts for most of the parent's typical (Hodges–Lehmann) shift.
    let explained: f64 = why.iter().map(|c| c["delta_us"].as_f64().unwrap()).sum();
    let shift = decide["shift_us"].as_f64().unwrap();
    assert!(
        (explained - shift).abs() < 0.2 * shift,
        "{explained} vs {shift}"
    );

    let post = op(&report, POST);
    assert_eq!(
        post["attribution"]["children"][0]["operation"], DECIDE,
        "{post}"
    );
}

/// The children, the others and the own code add up to the attribution's change.
fn assert_parts_add_up(split: &Value) {
    let f = |v: &Value| v.as_f64().unwrap();
    let children: f64 = split["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| f(&c["delta_us"]))
        .sum();
    let sum = children + f(&split["other_children_us"]) + f(&split["own_code_us"]);
    let change = f(&split["change_us"]);
    assert!(
        (sum - change).abs() <= 1e-6 * change.abs().max(1.0),
        "{sum} vs {change}: {split}"
    );
}

#[test]
fn attribution_adds_up_to_the_row_when_the_metric_is_a_sum_or_a_mean() {
    for (metric, basis) in [("total", "total_per_run"), ("mean", "mean_per_call")] {
        let report = compare_json(
            "viztracer/baseline.json",
            "viztracer/regressed.json",
            &["--metric", metric],
            1,
        );
        let decide = op(&report, DECIDE);
        let split = &decide["attribution"];
        assert_eq!(split["basis"], basis, "{decide}");
        assert_parts_add_up(split);
        // One run a side: the row's figure is the split's (its change, to the µs).
        let row = decide["delta_us"].as_f64().unwrap();
        let change = split["change_us"].as_f64().unwrap();
        assert!(
            (row - change).abs() < 1e-6 * row.abs(),
            "{metric}: {row} vs {change}"
        );
        // The own code is a part of it: decide_next's self time per run or per call.
        let own = split["own_code_us"].as_f64().unwrap();
        assert!(
            own.abs() < 0.1 * row.abs(),
            "{metric}: own code {own} of {row}"
        );
    }
    // With the self metric the row is the own code: nothing to split.
    let report = compare_json(
        "viztracer/baseline.json",
        "viztracer/regressed.json",
        &["--metric", "self"],
        1,
    );
    assert!(
        report["comparison"]["operations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o.get("attribution").is_none())
    );
}

#[test]
fn terminal_leads_with_the_causes_then_regressions_then_a_count_of_unchanged() {
    let (b, a) = (
        fixture_arg("viztracer/baseline.json"),
        fixture_arg("viztracer/regressed.json"),
    );
    let (stdout, _) = run(&["compare", &b, &a], 1);
    let at = |text: &str| {
        stdout
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} missing:\n{stdout}"))
    };
    assert!(at("Cause(s):") < at("Regressions"));
    assert!(at("Regressions") < at("unchanged"));
    assert!(at("unchanged") < at("Verdict: FAIL"));
    // Long lines wrap to the terminal width with a hanging indent: join them back.
    let unwrapped = stdout.replace("\n      ", " ").replace("\n    ", " ");
    let causes: Vec<&str> = unwrapped
        .lines()
        .skip_while(|l| !l.starts_with("Cause(s):"))
        .skip(1)
        .take_while(|l| l.starts_with("  ✗"))
        .collect();
    // The two injected changes, the count change (a fact) first, each at its source line.
    assert_eq!(causes.len(), 2, "{stdout}");
    assert!(
        causes[0].contains(
            "call_claude (diagnostic.py) called 2× per decide_next (diagnostic.py), was 1×"
        ),
        "{}",
        causes[0]
    );
    assert!(causes[0].contains("diagnostic.py:126"), "{}", causes[0]);
    assert!(
        causes[1].contains("traverse_graph (diagnostic.py) 2× slower"),
        "{}",
        causes[1]
    );
    // Their parents and the builtins they call are folded, not listed as regressions.
    let also = unwrapped
        .lines()
        .find(|l| l.starts_with("Also regressed"))
        .unwrap_or_else(|| panic!("no folded regressions:\n{stdout}"));
    for name in ["decide_next", "post_answer", "time.sleep"] {
        assert!(also.contains(name), "{name} not folded: {also}");
    }
    let table = &stdout[at("Regressions")..at("Also regressed")];
    assert!(!table.contains("│ post_answer"), "{table}");
}

#[test]
fn five_runs_per_side_detect_the_doubled_traversal() {
    let before = fixture_arg("viztracer/runs/before_*.json");
    let after = fixture_arg("viztracer/runs/after_*.json");
    let report = run_json(&["compare", "--before", &before, "--after", &after], 1);
    assert_eq!(report["inputs"].as_array().unwrap().len(), 10);
    assert_eq!(report["comparison"]["before_runs"], 5);
    assert_eq!(report["comparison"]["after_runs"], 5);
    // The runs are the samples: one cause, traverse_graph; sleep_until (which pads it to its
    // target) regressed only under it and is folded.
    let causes: Vec<&str> = report["comparison"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["operation"].as_str().unwrap())
        .collect();
    assert_eq!(causes, [TRAVERSE], "{report:#}");
    for name in names_with_status(&report, "regressed") {
        if name != TRAVERSE {
            assert_eq!(op(&report, &name)["explained_by"], TRAVERSE, "{name}");
        }
    }
    let traverse = op(&report, TRAVERSE);
    assert_eq!(traverse["evidence"], "runs");
    assert_eq!(traverse["test"], "welch-runs");
    assert!(traverse["delta_pct"].as_f64().unwrap() > 50.0);
    assert!(traverse["p_value"].as_f64().unwrap() < 1e-4);
    // Nothing with one call per run (<module>, main) warns: too little evidence per run.
    assert!(
        ops(&report)
            .iter()
            .all(|o| o["severity"].is_null() || o["status"] == "regressed"),
        "{report:#}"
    );
}

#[test]
fn the_reverse_comparison_is_an_improvement_and_passes() {
    let report = compare_json(
        "viztracer/regressed.json",
        "viztracer/baseline.json",
        &[],
        0,
    );
    assert_eq!(report["verdict"], "pass");
    assert!(names_with_status(&report, "regressed").is_empty());
    let improved = names_with_status(&report, "improved");
    for name in [TRAVERSE, CLAUDE, DECIDE, POST] {
        assert!(improved.contains(name), "{name} not improved: {improved:?}");
    }
}

#[test]
fn too_few_calls_are_not_enough_data_and_never_warn() {
    // One run of 4 requests: 4 traverse_graph calls per side, fewer than --min-samples 5, and
    // one run per side: not enough data to judge, reported, no warning.
    let report = compare_json(
        "viztracer/runs/before_1.json",
        "viztracer/runs/after_1.json",
        &[],
        0,
    );
    let traverse = op(&report, TRAVERSE);
    assert_eq!(traverse["status"], "not_enough_samples");
    assert_eq!(traverse["evidence"], "not_enough_data");
    assert!(traverse["severity"].is_null());
    assert!(traverse["p_value"].is_null());
    assert_eq!(report["verdict"], "pass");
    // A lower --min-samples runs the test.
    let (b, a) = (
        fixture_arg("viztracer/runs/before_1.json"),
        fixture_arg("viztracer/runs/after_1.json"),
    );
    run(&["compare", &b, &a, "--fail-on", "warn"], 0);
    let tested = compare_json(
        "viztracer/runs/before_1.json",
        "viztracer/runs/after_1.json",
        &["--min-samples", "4"],
        0,
    );
    assert!(op(&tested, TRAVERSE)["p_value"].as_f64().is_some());
}

#[test]
fn settings_are_reported_and_change_the_outcome() {
    let report = compare_json(
        "viztracer/baseline.json",
        "viztracer/regressed.json",
        &[
            "--metric",
            "total",
            "--threshold",
            "150%",
            "--noise-floor",
            "2ms",
        ],
        1,
    );
    // What fails is the structure: call_claude is now called twice per decide_next,
    // whatever the thresholds on durations.
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["repeated_call_introduced"], "{report}");
    let c = &report["comparison"];
    assert_eq!(c["metric"], "total");
    assert_eq!(c["threshold_pct"], 150.0);
    assert_eq!(c["noise_floor_us"], 2000.0);
    // traverse_graph's total grew by ~78%, under a 150% threshold; call_claude's calls
    // doubled (+100%), under it too.
    assert!(names_with_status(&report, "regressed").is_empty());
    let claude = op(&report, CLAUDE);
    let (before, after) = (
        claude["before"]["value_us"].as_f64().unwrap(),
        claude["after"]["value_us"].as_f64().unwrap(),
    );
    assert!(
        after > 1.8 * before,
        "total per run doubles with the calls: {claude}"
    );
}

#[test]
fn output_is_byte_for_byte_reproducible() {
    let (b, a) = (
        fixture_arg("viztracer/baseline.json"),
        fixture_arg("viztracer/regressed.json"),
    );
    let first = run(&["compare", &b, &a, "--format", "json"], 1).0;
    let second = run(&["compare", &b, &a, "--format", "json"], 1).0;
    assert_eq!(first, second);
}

#[test]
fn bad_arguments_are_exit_2_with_a_message() {
    let b = fixture_arg("viztracer/baseline.json");
    let cases: [(&[&str], &str); 5] = [
        (&["compare", &b], "two traces"),
        (&["compare", "--before", &b], "--after"),
        (&["compare", &b, &b, "--threshold", "ten"], "--threshold"),
        (&["compare", &b, &b, "--noise-floor", "5"], "--noise-floor"),
        (&["compare", &b, &b, "--alpha", "1.5"], "alpha"),
    ];
    for (args, what) in cases {
        let (_, stderr) = run(args, 2);
        assert!(stderr.contains(what), "{args:?}: {stderr}");
    }
    let missing = fixture_arg("viztracer/runs/nothing_*.json");
    let (_, stderr) = run(&["compare", "--before", &missing, "--after", &b], 2);
    assert!(stderr.contains("matched no file"), "{stderr}");
}

#[test]
fn budgets_check_the_after_side_and_set_the_comparison_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    std::fs::write(
        &budgets,
        r#"
[compare]
threshold = "150%"
noise_floor = "2ms"

[[budget]]
name = "Claude API"
operation = "call_claude"
target = "800ms"
flag = "1200ms"
"#,
    )
    .unwrap();
    let (b, a) = (
        fixture_arg("viztracer/baseline.json"),
        fixture_arg("viztracer/regressed.json"),
    );
    let report = run_json(
        &["compare", &b, &a, "--budgets", budgets.to_str().unwrap()],
        1,
    );
    // [compare] set the threshold; a flag still overrides it.
    assert_eq!(report["comparison"]["threshold_pct"], 150.0);
    assert_eq!(report["comparison"]["noise_floor_us"], 2000.0);
    // The after side went through the check logic: the budget and the duplicated Claude call.
    assert_eq!(report["budgets"][0]["name"], "Claude API");
    assert_eq!(report["budgets"][0]["status"], "on_target");
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    // Told once: the structure change says it, with what it was before.
    assert_eq!(kinds, ["repeated_call_introduced"], "{kinds:?}");
    let flagged = run_json(
        &[
            "compare",
            &b,
            &a,
            "--budgets",
            budgets.to_str().unwrap(),
            "--threshold",
            "20%",
        ],
        1,
    );
    assert_eq!(flagged["comparison"]["threshold_pct"], 20.0);
}

#[test]
fn no_budgets_compares_only() {
    let (b, a) = (
        fixture_arg("viztracer/baseline.json"),
        fixture_arg("viztracer/aa_shifted.json"),
    );
    let report = run_json(&["compare", &b, &a, "--no-budgets"], 0);
    assert!(report.get("budgets").is_none());
    assert!(report.get("findings").is_none());
}

/// viztracer with `--include_files` pointing at nothing of the service writes a trace of one
/// `builtins.exec`: comparing against it must fail on coverage, not pass as "no regression".
#[test]
fn an_after_trace_that_measured_nothing_of_the_code_fails_on_coverage() {
    let (stdout, _) = run(
        &[
            "compare",
            &fixture_arg("viztracer/baseline.json"),
            &fixture_arg("viztracer/misconfigured.json"),
        ],
        1,
    );
    let unwrapped = stdout.replace("\n    ", " ");
    assert!(
        unwrapped.contains("✗ the after side measured 0 of 17 operations of the before side"),
        "{stdout}"
    );
    assert!(
        unwrapped.contains("is the tracer misconfigured"),
        "{stdout}"
    );
    let report = run_json(
        &[
            "compare",
            &fixture_arg("viztracer/baseline.json"),
            &fixture_arg("viztracer/misconfigured.json"),
            "--min-coverage",
            "0%",
        ],
        0,
    );
    assert_eq!(report["comparison"]["coverage"]["before_operations"], 17);
    assert_eq!(report["comparison"]["coverage"]["after_measured"], 0);
}

#[test]
fn min_coverage_is_read_from_budgets_toml() {
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    std::fs::write(&budgets, "[compare]\nmin_coverage = \"0%\"\n").unwrap();
    let report = run_json(
        &[
            "compare",
            &fixture_arg("viztracer/baseline.json"),
            &fixture_arg("viztracer/misconfigured.json"),
            "--budgets",
            budgets.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(report["comparison"]["coverage"]["min_share"], 0.0);
}

/// The README's quick start, as written there: the committed baseline against the regressed
/// trace names the two causes the README quotes and exits 1.
#[test]
fn the_readme_quick_start_says_what_the_readme_quotes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = crate::common::perfgate()
        .current_dir(root)
        .args([
            "compare",
            "baselines/diagnostic.json",
            "tests/fixtures/viztracer/regressed.json",
        ])
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for quoted in [
        "call_claude (diagnostic.py) called 2× per decide_next (diagnostic.py), was 1×",
        "traverse_graph (diagnostic.py) 2× slower",
    ] {
        assert!(
            readme.contains(quoted),
            "README no longer quotes {quoted:?}"
        );
        assert!(stdout.contains(quoted), "{quoted:?} not in:\n{stdout}");
    }
}

#[test]
fn paired_sides_are_judged_pair_by_pair_and_must_have_as_many_runs() {
    let (b, a) = (
        fixture_arg("viztracer/baseline.json"),
        fixture_arg("viztracer/regressed.json"),
    );
    let (_, stderr) = run(
        &["compare", "--paired", "--before", &b, &b, "--after", &a],
        2,
    );
    assert!(
        stderr.contains("--paired needs the same number of runs on each side")
            && stderr.contains("before has 2, after has 1"),
        "{stderr}"
    );
    let report = run_json(
        &[
            "compare",
            "--paired",
            "--no-budgets",
            "--before",
            &b,
            &b,
            &b,
            "--after",
            &a,
            &a,
            &a,
        ],
        1,
    );
    let traverse = op(&report, TRAVERSE);
    assert_eq!(traverse["status"], "regressed", "{traverse}");
    assert_eq!(traverse["evidence"], "pairs", "{traverse}");
    assert!(traverse["alpha"].as_f64().unwrap() <= 0.01, "{traverse}");
    assert_eq!(report["paired"]["pairs"], 3);
    assert_eq!(report["paired"]["order"], "as given");
    // Pairs cancel the machine's drift: no whole-run environment estimate.
    assert!(report["comparison"]["environment"].is_null(), "{report}");
}

#[test]
fn a_repeated_call_introduced_is_told_once_with_the_higher_severity() {
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    let (b, a) = (
        fixture_arg("viztracer/baseline.json"),
        fixture_arg("viztracer/regressed.json"),
    );
    let findings = |toml: &str| {
        std::fs::write(&budgets, toml).unwrap();
        let report = run_json(
            &["compare", &b, &a, "--budgets", budgets.to_str().unwrap()],
            1,
        );
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["kind"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                    f["parent"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    // The after side's repeated call of call_claude under decide_next is the structure
    // change's finding; the stricter of the two severities stands.
    let found = findings("[detectors.structure_change]\nseverity = \"warn\"\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "repeated_call_introduced");
    assert_eq!(found[0].1, "fail");
    assert!(found[0].2.starts_with("decide_next"), "{found:?}");
    // Without the structure change, the after side's detector still finds it.
    let found = findings("[detectors.structure_change]\nenabled = false\n");
    let kinds: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(kinds, ["repeated_call"], "{found:?}");
}
