//! GitLab: `--codequality FILE` on a real check and comparison of viztracer traces, read as
//! GitLab reads it (a JSON array of issues with description, check_name, fingerprint,
//! severity and location.path / location.lines.begin).

use std::path::Path;

use serde_json::Value;

use crate::common::{fixture_arg, perfgate};

fn codequality(args: &[&str], code: i32) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gl-code-quality-report.json");
    let out = perfgate()
        .args(args)
        .arg("--codequality")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
}

fn budgets_file() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("budgets.toml")
        .display()
        .to_string()
}

#[test]
fn an_n_plus_one_is_a_critical_issue_at_its_parent_function() {
    let budgets = budgets_file();
    let issues = codequality(
        &[
            "check",
            &fixture_arg("viztracer/n_plus_one.json"),
            "--budgets",
            &budgets,
        ],
        1,
    );
    let n1 = issues
        .iter()
        .find(|i| i["check_name"] == "perfgate/n_plus_one")
        .unwrap_or_else(|| panic!("no N+1 issue in {issues:?}"));
    assert_eq!(n1["severity"], "critical");
    assert!(
        n1["description"]
            .as_str()
            .unwrap()
            .contains("get_prerequisite"),
        "{n1}"
    );
    // Relative to the repository, as GitLab links it in the merge request.
    assert_eq!(
        n1["location"]["path"],
        "tests/fixtures/service/diagnostic.py"
    );
    assert!(n1["location"]["lines"]["begin"].as_u64().unwrap() > 1);
    for issue in &issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(issue[key].is_string(), "{key} missing in {issue}");
        }
    }
}

#[test]
fn a_clean_check_is_an_empty_report_and_fingerprints_survive_a_rerun() {
    let budgets = budgets_file();
    let baseline = fixture_arg("viztracer/baseline.json");
    let issues = codequality(&["check", &baseline, "--budgets", &budgets], 0);
    assert!(issues.is_empty(), "{issues:?}");

    // The same regression found in two pipelines has the same fingerprint, so GitLab shows it
    // as unchanged rather than fixed and new again.
    let regressed = fixture_arg("viztracer/regressed.json");
    let args = [
        "compare",
        baseline.as_str(),
        regressed.as_str(),
        "--no-budgets",
    ];
    let first = codequality(&args, 1);
    let second = codequality(&args, 1);
    let fingerprints = |issues: &[Value]| -> Vec<String> {
        issues
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!first.is_empty());
    assert_eq!(fingerprints(&first), fingerprints(&second));
    let traverse = first
        .iter()
        .find(|i| {
            i["description"]
                .as_str()
                .unwrap()
                .contains("traverse_graph")
        })
        .unwrap_or_else(|| panic!("{first:?}"));
    assert_eq!(traverse["check_name"], "perfgate/regression");
    assert_eq!(traverse["severity"], "critical");
}

#[test]
fn completions_and_the_man_page_come_from_the_clap_definitions() {
    for (shell, marker) in [
        ("bash", "_perfgate()"),
        ("zsh", "#compdef perfgate"),
        ("fish", "complete -c perfgate"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = perfgate().args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {text}");
        // Every subcommand and a flag of one are completed.
        for word in ["init", "compare", "codequality"] {
            assert!(text.contains(word), "{shell} lacks {word}");
        }
    }
    let out = perfgate().arg("man").output().unwrap();
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        page.starts_with(".ie") && page.contains(".TH perfgate 1"),
        "{page}"
    );
    assert!(page.contains("perfgate\\-init"), "{page}");
    let out = perfgate().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
