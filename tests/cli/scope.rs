//! `--include`/`--exclude` and `[scope]`: an operation out of scope is absent from every
//! output of every command, and its time is its caller's own time.

use std::path::Path;

use serde_json::Value;

use crate::common::{fixture_arg, perfgate, run, run_json};

/// Every output of one command with GitHub Actions on: stdout (table), the JSON, JUnit and
/// Markdown files, the job summary, the step outputs; concatenated, with the exit code.
fn every_output(args: &[&str], dir: &Path) -> (i32, String) {
    let file = |name: &str| dir.join(name).display().to_string();
    let out = perfgate()
        .args(args)
        .args(["--json", &file("r.json"), "--junit", &file("r.xml")])
        .args(["--markdown", &file("r.md")])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", file("summary.md"))
        .env("GITHUB_OUTPUT", file("output.txt"))
        .output()
        .unwrap();
    let mut all = String::from_utf8_lossy(&out.stdout).into_owned();
    for name in ["r.json", "r.xml", "r.md", "summary.md", "output.txt"] {
        all.push_str(&std::fs::read_to_string(dir.join(name)).unwrap_or_default());
    }
    (out.status.code().unwrap_or(-1), all)
}

#[test]
fn an_excluded_operation_is_absent_from_every_output_of_compare() {
    let before = fixture_arg("viztracer/baseline.json");
    let after = fixture_arg("viztracer/regressed.json");
    let budgets = fixture_arg("../../budgets.toml");
    let args = ["compare", &before, &after, "--budgets", &budgets];
    let dir = tempfile::tempdir().unwrap();
    // Without a scope, sleep_until is in the report (a regression folded under
    // traverse_graph, and a child in its attribution).
    let (code, all) = every_output(&args, dir.path());
    assert_eq!(code, 1);
    assert!(all.contains("sleep_until"));

    let dir = tempfile::tempdir().unwrap();
    let mut scoped = args.to_vec();
    scoped.extend(["--exclude", "sleep_until"]);
    let (code, all) = every_output(&scoped, dir.path());
    assert_eq!(code, 1, "{all}");
    assert!(!all.contains("sleep_until"), "{all}");
    // Its caller still regressed, now in its own code.
    assert!(all.contains("traverse_graph"));

    // A baseline saved without the scope is pruned the same way when compared.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("base.json").display().to_string();
    run(&["baseline", "save", &before, "-o", &saved], 0);
    let args = ["compare", &saved, &after, "--budgets", &budgets];
    let mut scoped = args.to_vec();
    scoped.extend(["--exclude", "sleep_until"]);
    let (code, all) = every_output(&scoped, dir.path());
    assert_eq!(code, 1, "{all}");
    assert!(!all.contains("sleep_until"), "{all}");
    assert!(all.contains("traverse_graph"));
}

#[test]
fn the_time_of_an_excluded_call_becomes_its_callers_own_time() {
    let trace = fixture_arg("viztracer/regressed.json");
    let rows = |extra: &[&str]| {
        let mut args = vec!["summary", trace.as_str()];
        args.extend(extra);
        let report = run_json(&args, 0);
        report["operations"].as_array().unwrap().clone()
    };
    let find = |rows: &[Value], name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} not in the summary"))
    };
    let all = rows(&[]);
    let scoped = rows(&["--exclude", "sleep_until"]);
    let (before, after) = (
        find(&all, "traverse_graph (diagnostic.py)"),
        find(&scoped, "traverse_graph (diagnostic.py)"),
    );
    assert!(
        scoped
            .iter()
            .all(|r| r["name"] != "sleep_until (diagnostic.py)")
    );
    assert_eq!(all.len(), scoped.len() + 1);
    // Inclusive time is what was measured: unchanged. sleep_until's own time moved to its
    // callers (traverse_graph among them): no time is lost or counted twice.
    assert_eq!(before["total_us"], after["total_us"]);
    assert!(after["self_us"].as_f64().unwrap() > before["self_us"].as_f64().unwrap());
    let self_sum = |rows: &[Value]| {
        rows.iter()
            .map(|r| r["self_us"].as_f64().unwrap())
            .sum::<f64>()
    };
    let (a, b) = (self_sum(&all), self_sum(&scoped));
    assert!((a - b).abs() < 1e-6 * a, "{a} vs {b}");
}

#[test]
fn include_own_keeps_only_the_projects_code_in_check_summary_and_baselines() {
    let trace = fixture_arg("viztracer/regressed.json");
    let budgets = fixture_arg("../../budgets.toml");
    let report = run_json(&["summary", &trace, "--include", "own"], 0);
    let ops = report["operations"].as_array().unwrap();
    assert!(ops.len() > 10);
    for op in ops {
        assert_eq!(op["origin"], "own", "{op}");
    }
    // check: the builtins' budgets (time.sleep) match nothing once builtins are out; red flags
    // on them are gone.
    let (stdout, stderr) = run(
        &[
            "check",
            &trace,
            "--budgets",
            &budgets,
            "--include",
            "own",
            "--format",
            "json",
        ],
        1,
    );
    assert!(!stdout.contains("\"time.sleep\""), "{stdout}");
    assert!(
        stderr.contains("perfgate: note: scope (include own):"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("b.json");
    run(
        &[
            "baseline",
            "save",
            &trace,
            "-o",
            saved.to_str().unwrap(),
            "--exclude",
            "unknown",
        ],
        0,
    );
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(!text.contains("time.sleep"));
    assert!(text.contains("traverse_graph"));
}

#[test]
fn the_scope_section_applies_and_flags_replace_or_extend_it() {
    let trace = fixture_arg("viztracer/regressed.json");
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    std::fs::write(
        &budgets,
        "[scope]\ninclude = [\"own\"]\nexclude = [\"name:sleep_until\"]\n",
    )
    .unwrap();
    let budgets = budgets.to_str().unwrap();
    let names = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["summary", trace.as_str(), "--budgets", budgets];
        args.extend(extra);
        run_json(&args, 0)["operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_string())
            .collect()
    };
    let scoped = names(&[]);
    assert!(
        scoped
            .iter()
            .all(|n| n != "time.sleep" && !n.starts_with("sleep_until"))
    );
    assert!(scoped.iter().any(|n| n.starts_with("traverse_graph")));
    // --include replaces the file's include; its exclude still holds.
    let replaced = names(&["--include", "time.*"]);
    assert!(replaced.iter().any(|n| n == "time.sleep"));
    assert!(
        replaced.iter().all(|n| n.starts_with("time.")),
        "{replaced:?}"
    );
    // --exclude adds to it.
    let extended = names(&["--exclude", "traverse_graph"]);
    assert!(extended.iter().all(|n| !n.starts_with("traverse_graph")));
    assert_eq!(extended.len() + 1, scoped.len());
    // --no-scope ignores the section.
    assert!(names(&["--no-scope"]).iter().any(|n| n == "time.sleep"));
}

#[test]
fn a_bad_selector_is_a_usage_error_naming_it() {
    let trace = fixture_arg("viztracer/regressed.json");
    let (_, stderr) = run(&["summary", &trace, "--exclude", "origin:mine"], 2);
    assert!(stderr.contains("unknown origin `mine`"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    std::fs::write(&budgets, "[scope]\nexclude = [\"file:[\"]\n").unwrap();
    let (_, stderr) = run(
        &["summary", &trace, "--budgets", budgets.to_str().unwrap()],
        2,
    );
    assert!(
        stderr.contains("budgets.toml:2:12: invalid scope selector `file:[`"),
        "{stderr}"
    );
}
