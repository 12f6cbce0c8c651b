//! speedscope input: profiles recorded by the real py-spy (sampled, one profile per thread) and
//! pyinstrument (evented), checked against tests/fixtures/reference_speedscope.py, an
//! independent Python reading of the same files.

use serde_json::Value;

use crate::common::{assert_close, fixture, fixture_arg, run, run_json};

const FIGURES: [&str; 10] = [
    "count", "total_us", "self_us", "mean_us", "min_us", "p50_us", "p90_us", "p95_us", "p99_us",
    "max_us",
];

/// `perfgate summary` of `speedscope/<stem>.json` equals `expected/<stem>.stats.json` for every
/// operation and figure; returns the report.
fn assert_matches_reference(stem: &str) -> Value {
    let report = run_json(
        &["summary", &fixture_arg(&format!("speedscope/{stem}.json"))],
        0,
    );
    let path = fixture(&format!("expected/{stem}.stats.json"));
    let reference: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let reference = reference["operations"].as_object().unwrap();
    let ops = report["operations"].as_array().unwrap();
    assert_eq!(ops.len(), reference.len(), "number of operations in {stem}");
    for op in ops {
        let name = op["name"].as_str().unwrap();
        let want = reference
            .get(name)
            .unwrap_or_else(|| panic!("{stem}: perfgate has {name:?}, the reference has not"));
        for figure in FIGURES {
            assert_close(
                op[figure].as_f64().unwrap(),
                want[figure].as_f64().unwrap(),
                &format!("{stem}: {name}: {figure}"),
            );
        }
    }
    report
}

fn op<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no operation {name:?}"))
}

#[test]
fn pyspy_sampled_profiles_match_the_reference_and_say_they_are_sampled() {
    for stem in ["pyspy_baseline", "pyspy_regressed", "pyspy_threads"] {
        let report = assert_matches_reference(stem);
        let warnings = report["inputs"][0]["warnings"].as_array().unwrap();
        assert!(
            warnings.iter().any(|w| {
                let w = w.as_str().unwrap();
                w.starts_with("speedscope sampled profile") && w.contains("not real calls")
            }),
            "{stem}: {warnings:?}"
        );
    }
    // Function, file and line are found in the frame names, as for viztracer's names
    // (py-spy --function gives the function's first line).
    let report = run_json(
        &["summary", &fixture_arg("speedscope/pyspy_baseline.json")],
        0,
    );
    let claude = op(&report, "call_claude (diagnostic.py)");
    assert_eq!(claude["function"], "call_claude");
    // Recorded in another checkout: the file shows by its name, never the machine's path.
    assert!(
        claude["file"].as_str().unwrap().ends_with("diagnostic.py"),
        "{claude}"
    );
    assert!(
        !claude["file"].as_str().unwrap().starts_with('/'),
        "{claude}"
    );
    // Sleeping is sampled (--idle) and py-spy shows no C frames: call_claude's time is its own.
    assert_close(
        claude["self_us"].as_f64().unwrap(),
        claude["total_us"].as_f64().unwrap(),
        "call_claude self = total",
    );
}

#[test]
fn one_profile_per_thread_nests_separately() {
    let report = assert_matches_reference("pyspy_threads");
    // Two worker threads, each its own profile: worker runs once per thread.
    assert_eq!(op(&report, "worker (threads.py)")["count"], 2);
    assert_eq!(op(&report, "main (threads.py)")["count"], 1);
}

#[test]
fn pyinstrument_evented_profile_matches_the_reference() {
    let report = assert_matches_reference("pyinstrument");
    let warnings = report["inputs"][0]["warnings"].as_array().unwrap();
    assert!(
        warnings[0].as_str().unwrap().contains("merged call tree"),
        "{warnings:?}"
    );
}

#[test]
fn check_applies_budgets_to_speedscope_profiles() {
    let budget = "[[budget]]\nname = \"Claude API\"\noperation = \"call_claude\"\n\
                  target = \"800ms\"\nflag = \"900ms\"\n";
    let detectors_off = "[detectors.n_plus_one]\nenabled = false\n\
                         [detectors.repeated_call]\nenabled = false\n";
    let dir = tempfile::tempdir().unwrap();
    let with = dir.path().join("with_detectors.toml");
    let without = dir.path().join("budgets_only.toml");
    std::fs::write(&with, budget).unwrap();
    std::fs::write(&without, format!("{budget}{detectors_off}")).unwrap();
    let (with, without) = (with.to_str().unwrap(), without.to_str().unwrap());
    let trace = fixture_arg("speedscope/pyspy_baseline.json");
    let report = run_json(&["check", &trace, "--budgets", without], 0);
    assert_eq!(report["budgets"][0]["status"], "on_target");
    // dup_claude calls call_claude twice in a row: in samples the two calls are one run of
    // twice the time (counts are runs, not calls), which the budget flags.
    let regressed = fixture_arg("speedscope/pyspy_regressed.json");
    let report = run_json(&["check", &regressed, "--budgets", without], 1);
    assert_eq!(report["budgets"][0]["status"], "flagged");
    // In samples back-to-back post_answer calls merge into one run, so the get_session calls
    // of several requests would look like N+1 calls under one parent: the detectors that
    // count calls do not run on sampled input (a note says so), and no false N+1 is reported.
    let report = run_json(&["check", &trace, "--budgets", with], 0);
    assert_eq!(report["budgets"][0]["status"], "on_target");
    assert!(
        report["findings"].as_array().is_none_or(|f| f.is_empty()),
        "{report}"
    );
}

#[test]
fn compare_finds_the_injected_regressions_in_sampled_profiles() {
    let before = fixture_arg("speedscope/pyspy_baseline.json");
    let after = fixture_arg("speedscope/pyspy_regressed.json");
    // Six sampled "calls" per side: complete separation gives an exact p of 0.0011, which the
    // default α = 0.01 shared by the 14 operations tested does not reach; α = 0.05 does.
    let report = run_json(
        &[
            "compare",
            &before,
            &after,
            "--no-budgets",
            "--alpha",
            "0.05",
        ],
        1,
    );
    let regressed: Vec<&str> = report["comparison"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] == "regressed")
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(
        regressed.contains(&"call_claude (diagnostic.py)"),
        "call_claude not in {regressed:?}"
    );
    // traverse_graph: 6 sampled runs per side, 1.9× slower; the one-sided test sees it
    // (p ≈ 0.004) but not at α / 14. Sampled profiles of a few requests are thin evidence.
    let traverse = report["comparison"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "traverse_graph (diagnostic.py)")
        .unwrap();
    assert!(traverse["delta_pct"].as_f64().unwrap() > 50.0, "{traverse}");
    assert!(traverse["p_value"].as_f64().unwrap() < 0.01, "{traverse}");
    // A profile compared with itself has no regression.
    run_json(&["compare", &before, &before, "--no-budgets"], 0);
}

#[test]
fn broken_speedscope_files_exit_2_naming_the_file() {
    let good = std::fs::read_to_string(fixture("speedscope/pyspy_threads.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let half = good.len() / 2;
    // Cut in the middle: the reader runs out at the last byte there is.
    let at_the_cut = format!("cut.json: byte {}: ", half - 1);
    let cases = [
        ("cut.json", good[..half].to_string(), at_the_cut.as_str()),
        (
            "bad_frame.json",
            good.replacen("[[", "[[999999,", 1),
            "samples[0][0]: frame 999999 does not exist",
        ),
        (
            "memory.json",
            good.replace("\"seconds\"", "\"bytes\""),
            "memory profile",
        ),
    ];
    for (name, text, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (_, stderr) = run(&["summary", path.to_str().unwrap()], 2);
        assert!(
            stderr.contains(name) && stderr.contains(want),
            "{name}: {stderr}"
        );
    }
}
