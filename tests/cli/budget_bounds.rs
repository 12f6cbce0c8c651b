//! `at_least` on count budgets ("must be called"), on real viztracer traces: the service's
//! trace calls `call_claude`; the misconfigured one (`--include_files` naming no file of the
//! service, tests/fixtures/generate.sh) measured none of its functions.

use crate::common::{fixture_arg, perfgate, run, run_json};

fn budgets_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("budgets.toml");
    std::fs::write(&path, text).unwrap();
    let p = path.display().to_string();
    (dir, p)
}

const MUST_CALL_CLAUDE: &str = r#"
[[budget]]
name = "Claude is asked"
operation = "call_claude"
metric = "count"
at_least = 1
"#;

#[test]
fn a_function_that_must_be_called_passes_when_called() {
    let (_dir, budgets) = budgets_file(MUST_CALL_CLAUDE);
    let trace = fixture_arg("viztracer/baseline.json");
    let report = run_json(&["check", &trace, "--budgets", &budgets], 0);
    let b = &report["budgets"][0];
    assert_eq!(b["status"], "on_target", "{b}");
    assert_eq!(b["at_least"], 1);
    // 12 requests, each asking Claude once (service/diagnostic.py --requests 12).
    assert_eq!(b["value"], 12.0, "{b}");
    // No upper bound was given: none is reported.
    assert!(b.get("target").is_none() && b.get("flag").is_none(), "{b}");
    let (table, _) = run(&["check", &trace, "--budgets", &budgets], 0);
    assert!(table.contains("≥ 1"), "{table}");
    assert!(table.contains("✓ on target"), "{table}");
}

#[test]
fn a_function_that_must_be_called_fails_when_never_called() {
    let (_dir, budgets) = budgets_file(MUST_CALL_CLAUDE);
    let trace = fixture_arg("viztracer/misconfigured.json");
    let report = run_json(&["check", &trace, "--budgets", &budgets], 1);
    assert_eq!(report["verdict"], "fail");
    let b = &report["budgets"][0];
    assert_eq!(
        (&b["status"], &b["severity"]),
        (&"too_few".into(), &"fail".into()),
        "{b}"
    );
    assert_eq!(b["value"], 0.0);
    let (table, _) = run(&["check", &trace, "--budgets", &budgets], 1);
    assert!(table.contains("✗ too few calls"), "{table}");
    // Every format says it in the same words.
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("r.xml");
    let markdown = dir.path().join("r.md");
    let out = perfgate()
        .args(["check", &trace, "--budgets", &budgets, "--github"])
        .arg("--junit")
        .arg(&junit)
        .arg("--markdown")
        .arg(&markdown)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = "Claude is asked: expected at least 1 call, got 0";
    // Annotations go to standard error (standard output stays the report).
    let annotations = String::from_utf8_lossy(&out.stderr);
    assert!(
        annotations
            .lines()
            .any(|l| l.starts_with("::error ") && l.contains(said)),
        "{annotations}"
    );
    let junit = std::fs::read_to_string(&junit).unwrap();
    assert!(junit.contains(said), "{junit}");
    let markdown = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        markdown.contains("| ≥ 1 |") && markdown.contains("too few calls"),
        "{markdown}"
    );
}

#[test]
fn too_few_calls_can_only_warn_and_combine_with_an_upper_bound() {
    let (_dir, budgets) = budgets_file(
        r#"
[[budget]]
name = "Claude is asked, at most 24 times"
operation = "call_claude"
metric = "count"
at_least = 13
at_least_severity = "warn"
target = 20
flag = 24
"#,
    );
    let trace = fixture_arg("viztracer/baseline.json");
    let report = run_json(&["check", &trace, "--budgets", &budgets], 0);
    assert_eq!(report["verdict"], "warn");
    let b = &report["budgets"][0];
    assert_eq!(
        (&b["status"], &b["severity"]),
        (&"too_few".into(), &"warn".into()),
        "{b}"
    );
    assert_eq!(
        (&b["target"], &b["flag"]),
        (&20.0.into(), &24.0.into()),
        "{b}"
    );
    let (table, _) = run(&["check", &trace, "--budgets", &budgets], 0);
    assert!(table.contains("13..20"), "{table}");
    // The same budget on the doubled-Claude trace (24 calls) is within the flag; the gate
    // fails there on the repeated-call red flag, not on the budget.
    let dup = fixture_arg("viztracer/dup_claude.json");
    let report = run_json(&["check", &dup, "--budgets", &budgets], 1);
    let b = &report["budgets"][0];
    assert_eq!(
        (&b["status"], &b["value"]),
        (&"acceptable".into(), &24.0.into()),
        "{b}"
    );
    assert_eq!(report["findings"][0]["kind"], "repeated_call", "{report}");
}

/// A lower bound where it means nothing is refused with the place named (exit 2).
#[test]
fn at_least_outside_a_count_budget_is_refused() {
    let trace = fixture_arg("viztracer/baseline.json");
    for (text, expected) in [
        (
            "[[budget]]\nname = \"x\"\noperation = \"call_claude\"\nat_least = 1\ntarget = \"1s\"\nflag = \"2s\"\n",
            ":4:12: at_least is the fewest calls of a count budget; this budget's metric is \"p95\"",
        ),
        (
            "[[budget]]\nname = \"x\"\noperation = \"call_claude\"\nmetric = \"count\"\nat_least = 0\n",
            ":5:12: at_least must be 1 or more",
        ),
        (
            "[[budget]]\nname = \"x\"\noperation = \"call_claude\"\nmetric = \"count\"\nat_least = 5\nflag = 3\ntarget = 1\n",
            ":5:12: at_least (5 calls) is above flag (3 calls)",
        ),
        (
            "[[budget]]\nname = \"x\"\noperation = \"call_claude\"\nmetric = \"count\"\nat_least_severity = \"warn\"\ntarget = 1\nflag = 3\n",
            ":5:21: at_least_severity says what too few calls add to the verdict; add at_least",
        ),
        (
            "[[budget]]\nname = \"x\"\noperation = \"call_claude\"\nmetric = \"count\"\nat_least = 1\nat_least_severity = \"loud\"\n",
            ":6:21: unknown severity \"loud\"",
        ),
    ] {
        let (_dir, budgets) = budgets_file(text);
        let (stdout, stderr) = run(&["check", &trace, "--budgets", &budgets], 2);
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains(&format!("budgets.toml{expected}")),
            "{text}\n---\n{stderr}"
        );
    }
}
