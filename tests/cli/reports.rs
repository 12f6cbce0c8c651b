//! Report outputs from the command line: several formats from one run, files written whole,
//! GitHub Actions output, and hostile operation names through every sink.
//! (The renderers' own tests, with budgets, findings and a comparison, are in
//! src/report/tests.rs.)

use std::path::Path;

use serde_json::Value;

use crate::common::{fixture_arg, perfgate, run};

/// Operation names a pull request could put into a trace.
const HOSTILE: [&str; 7] = [
    "a|b",
    "`rm -rf` **bold**",
    "</details><img src=x onerror=alert(1)>",
    "<script>alert(1)</script> @octocat",
    "::set-output name=x::y",
    "line\n::error::injected",
    "pct %0A%25 & 'q'",
];

/// A Chrome trace with one complete event per hostile name.
fn hostile_trace(dir: &Path) -> String {
    let events: Vec<Value> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, name)| {
            serde_json::json!({"name": name, "ph": "X", "ts": i * 1000, "dur": 500 + i,
                               "pid": 1, "tid": 1})
        })
        .collect();
    let path = dir.join("hostile.json");
    std::fs::write(
        &path,
        serde_json::json!({ "traceEvents": events }).to_string(),
    )
    .unwrap();
    path.display().to_string()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// xmllint against the committed Jenkins schema; skipped (or failed in CI) without xmllint.
fn assert_valid_junit(path: &Path) {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/junit-10.xsd");
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(path)
        .output();
    let Ok(out) = out else {
        crate::common::tool_available("xmllint", false);
        return;
    };
    assert!(
        out.status.success(),
        "xmllint rejects {}:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn one_run_writes_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let (json, junit, md) = (
        dir.path().join("a.json"),
        dir.path().join("b.xml"),
        dir.path().join("c.md"),
    );
    let trace = fixture_arg("viztracer/baseline.json");
    let (stdout, _) = run(
        &[
            "summary",
            &trace,
            "--json",
            json.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--markdown",
            md.to_str().unwrap(),
            "--comment-id",
            "perf-1",
        ],
        0,
    );
    // The terminal table still goes to standard output.
    assert!(stdout.contains("post_answer (diagnostic.py)"));
    // The JSON file is the report `--format json` prints.
    let (json_stdout, _) = run(&["summary", &trace, "--format", "json"], 0);
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let printed: Value = serde_json::from_str(&json_stdout).unwrap();
    assert_eq!(written, printed);
    assert_eq!(written["schema_version"], 3);
    // summary gates nothing: an empty, valid JUnit document.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"<testsuites name="perfgate" tests="0" failures="0" errors="0""#));
    assert_valid_junit(&junit);
    // The Markdown: the sticky marker first, then one row per operation of the JSON.
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.starts_with("<!-- perfgate:perf-1 -->\n"));
    let rows = markdown
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Operation") && !l.starts_with("| ---"))
        .count();
    assert_eq!(rows, printed["operations"].as_array().unwrap().len());
    assert!(markdown.contains(r"| post\_answer (diagnostic.py) | 12 |"));
    // Nothing else was left in the directory (no temporary files).
    assert_eq!(files_in(dir.path()), ["a.json", "b.xml", "c.md"]);
}

#[test]
fn stdout_formats_junit_and_markdown() {
    let trace = fixture_arg("viztracer/baseline.json");
    let (md, _) = run(
        &["summary", &trace, "--format", "markdown", "--top", "3"],
        0,
    );
    assert!(md.starts_with("<!-- perfgate -->\n## perfgate summary"));
    assert_eq!(md.lines().filter(|l| l.starts_with("| ")).count(), 2 + 3);
    let (xml, _) = run(&["summary", &trace, "--format", "junit"], 0);
    assert!(xml.starts_with("<?xml"));
}

#[test]
fn markdown_folds_a_long_summary() {
    let trace = fixture_arg("chrome/startup.json.gz");
    let (md, _) = run(&["summary", &trace, "--format", "markdown"], 0);
    let report = crate::common::run_json(&["summary", &trace], 0);
    let ops = report["operations"].as_array().unwrap().len();
    assert!(ops > 20, "the fixture has many operations");
    let (open, folded) = md.split_once("<details>").expect("a folded part");
    let rows = |text: &str| {
        text.lines()
            .filter(|l| {
                l.starts_with("| ") && !l.starts_with("| Operation") && !l.starts_with("| ---")
            })
            .count()
    };
    assert_eq!(rows(open), 20);
    assert!(folded.contains(&format!(
        "<summary>{} more operations</summary>\n\n",
        ops - 20
    )));
    assert_eq!(rows(folded), ops - 20);
    assert!(md.len() <= 65_536);
    // The reader's warnings about the trace are in the comment too.
    assert!(md.contains("never ended"));
}

#[test]
fn a_failed_write_exits_2_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/a.json");
    let trace = fixture_arg("viztracer/baseline.json");
    let (stdout, stderr) = run(&["summary", &trace, "--json", missing.to_str().unwrap()], 2);
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
    assert!(stdout.is_empty(), "nothing is printed after a failed write");
    assert!(files_in(dir.path()).is_empty());

    // The target is a directory: the rename fails, and the temporary file is removed.
    let taken = dir.path().join("out.xml");
    std::fs::create_dir(&taken).unwrap();
    let (_, stderr) = run(&["summary", &trace, "--junit", taken.to_str().unwrap()], 2);
    assert!(stderr.contains("out.xml"), "{stderr}");
    assert_eq!(files_in(dir.path()), ["out.xml"]);
}

#[test]
fn a_bad_comment_id_is_a_usage_error() {
    let trace = fixture_arg("viztracer/baseline.json");
    let (_, stderr) = run(
        &[
            "summary",
            &trace,
            "--format",
            "markdown",
            "--comment-id",
            "x --><script>",
        ],
        2,
    );
    assert!(stderr.contains("--comment-id"), "{stderr}");
}

#[test]
fn github_actions_get_summary_outputs_and_no_injected_commands() {
    let dir = tempfile::tempdir().unwrap();
    let trace = hostile_trace(dir.path());
    let summary = dir.path().join("step_summary.md");
    let outputs = dir.path().join("output.txt");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = perfgate()
        .args(["summary", &trace])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // The job summary is appended to, with the escaped Markdown.
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("earlier step\n<!-- perfgate -->\n"));
    assert!(md.contains(r"| a\|b |"));
    assert!(!md.contains("<script") && !md.contains("<img") && !md.contains("@octocat"));
    assert_eq!(md.matches("</details>").count(), 0);
    // Outputs: counts only (summary has no verdict).
    let outputs = std::fs::read_to_string(&outputs).unwrap();
    assert!(outputs.contains("operations=7\n"), "{outputs}");
    assert!(!outputs.contains("verdict="));
    // No line on either stream is a workflow command the trace put there.
    for stream in [&out.stdout, &out.stderr] {
        for line in String::from_utf8_lossy(stream).lines() {
            assert!(!line.trim_start().starts_with("::"), "injected: {line:?}");
        }
    }
}

#[test]
fn hostile_names_are_escaped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let trace = hostile_trace(dir.path());
    let junit = dir.path().join("r.xml");
    let (table, _) = run(&["summary", &trace, "--junit", junit.to_str().unwrap()], 0);
    // The terminal shows the line break instead of breaking the line.
    assert!(table.contains(r"line\n::error::injected"));
    assert!(table.lines().all(|l| !l.trim_start().starts_with("::")));
    assert_valid_junit(&junit);
    let (md, _) = run(&["summary", &trace, "--format", "markdown"], 0);
    for raw in ["<script", "</details>", "<img", "@octocat", "a|b"] {
        assert!(!md.contains(raw), "{raw:?} survived in\n{md}");
    }
    // Every hostile name is one table row of exactly 7 cells.
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 2 + HOSTILE.len());
    for row in rows {
        assert_eq!(row.replace(r"\|", "").matches('|').count(), 8, "{row}");
    }
    // JSON keeps the names exactly (it is for programs).
    let (json, _) = run(&["summary", &trace, "--format", "json"], 0);
    let report: Value = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> = report["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    for name in HOSTILE {
        assert!(names.contains(&name), "{name:?} in {names:?}");
    }
}

#[test]
fn one_unwritable_report_file_means_no_report_file_at_all() {
    // A CI step that uploads out.json whenever it exists must not find one from a run that
    // ended in an error.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let md = dir.path().join("comment.md");
    let trace = fixture_arg("viztracer/baseline.json");
    let missing = dir.path().join("no/such/dir/out.xml");
    let (stdout, stderr) = run(
        &[
            "summary",
            &trace,
            "--json",
            json.to_str().unwrap(),
            "--markdown",
            md.to_str().unwrap(),
            "--junit",
            missing.to_str().unwrap(),
        ],
        2,
    );
    assert!(stderr.contains("out.xml"), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );

    // The last target is an existing directory: refused before any file is renamed.
    let taken = dir.path().join("taken.xml");
    std::fs::create_dir(&taken).unwrap();
    let (_, stderr) = run(
        &[
            "summary",
            &trace,
            "--json",
            json.to_str().unwrap(),
            "--junit",
            taken.to_str().unwrap(),
        ],
        2,
    );
    assert!(stderr.contains("taken.xml: it is a directory"), "{stderr}");
    assert_eq!(files_in(dir.path()), ["taken.xml"]);
}

/// The testcase of `name` in a JUnit document: its opening tag up to the end of the case.
fn junit_case<'a>(xml: &'a str, name: &str) -> &'a str {
    let start = xml
        .find(&format!("<testcase name=\"{name}\""))
        .unwrap_or_else(|| panic!("no testcase {name}"));
    let end = start + xml[start..].find("</testcase>").unwrap_or(0);
    &xml[start..end]
}

#[test]
fn a_call_count_regression_says_the_counts_in_every_one_line_message() {
    // regressed.json calls call_claude twice per request: its p95 per call barely moves, so
    // the counts are the reason, and a reviewer must see them next to the failure.
    let dir = tempfile::tempdir().unwrap();
    let (junit, md) = (dir.path().join("r.xml"), dir.path().join("r.md"));
    let before = fixture_arg("viztracer/baseline.json");
    let after = fixture_arg("viztracer/regressed.json");
    let out = perfgate()
        .args(["compare", &before, &after, "--github", "--junit"])
        .arg(&junit)
        .arg("--markdown")
        .arg(&md)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let claude = junit_case(&xml, "call_claude (diagnostic.py)");
    assert!(claude.contains("<failure"), "{claude}");
    assert!(claude.contains("calls per run 12 → 24\">"), "{claude}");

    // Above the thresholds but not significant: no warning (the verdict rules of
    // docs/compare.md), a passing case.
    let select = xml
        .lines()
        .find(|l| l.contains("<testcase name=\"select_question (diagnostic.py)\""))
        .expect("a select_question case");
    assert!(select.trim_end().ends_with("/>"), "{select}");

    let stderr = String::from_utf8_lossy(&out.stderr);
    let annotation = stderr
        .lines()
        .find(|l| {
            l.starts_with("::error") && l.contains("title=perfgate%3A regression%3A call_claude")
        })
        .unwrap_or_else(|| panic!("no call_claude annotation:\n{stderr}"));
    assert!(annotation.contains("calls per run 12 → 24"), "{annotation}");

    let md = std::fs::read_to_string(&md).unwrap();
    let row = md
        .lines()
        .find(|l| l.starts_with("| ❌ | call\\_claude"))
        .unwrap_or_else(|| panic!("no call_claude row:\n{md}"));
    assert!(row.contains("<br>calls/run 12 → 24 |"), "{row}");
}

#[test]
fn a_truncated_trace_fails_the_gate_in_the_verdict_the_headline_and_the_junit() {
    // truncated.json keeps 6 of 12 requests: every budget is on target, but the pass would
    // rest on half a trace. It fails, and every output says why before any table.
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("comment.md");
    let junit = dir.path().join("report.xml");
    let budgets = fixture_arg("../../budgets.toml");
    let trace = fixture_arg("viztracer/truncated.json");
    let (stdout, _) = run(
        &[
            "check",
            &trace,
            "--budgets",
            &budgets,
            "--markdown",
            md.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
        1,
    );
    let verdict = stdout.lines().last().unwrap();
    assert!(verdict.starts_with("Verdict: FAIL"), "{verdict}");
    assert!(
        verdict.contains("incomplete input (calls missing): ")
            && verdict.contains("truncated.json"),
        "{verdict}"
    );
    let md = std::fs::read_to_string(&md).unwrap();
    let headline = md.lines().nth(1).unwrap();
    assert!(
        headline.starts_with("## ❌ perfgate: fail — incomplete input"),
        "{headline}"
    );
    let warning = md
        .find("the trace is truncated")
        .expect("the truncation is explained");
    let first_table = md.find("### ").expect("a section");
    assert!(warning < first_table, "{md}");
    assert!(md.contains("\n> ⚠️ "), "a quoted warning line:\n{md}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_valid_junit(&junit);
    assert!(
        xml.contains("<testsuite name=\"inputs\""),
        "an inputs suite first:\n{xml}"
    );
    assert!(
        xml.contains("truncated.json: incomplete trace, calls are missing"),
        "{xml}"
    );
    // --allow-incomplete: the same run passes with a warning that still names the cut.
    let (stdout, _) = run(
        &["check", &trace, "--budgets", &budgets, "--allow-incomplete"],
        0,
    );
    let verdict = stdout.lines().last().unwrap();
    assert!(
        verdict.starts_with("Verdict: WARN") && verdict.contains("truncated.json"),
        "{verdict}"
    );
}

/// Runs perfgate with GitHub Actions on; returns the step outputs it appended.
fn github_outputs(args: &[&str], code: i32) -> String {
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("output.txt");
    let out = perfgate()
        .args(args)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", dir.path().join("summary.md"))
        .env("GITHUB_OUTPUT", &outputs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(code));
    std::fs::read_to_string(&outputs).unwrap()
}

#[test]
fn the_operations_output_counts_what_was_compared_and_is_absent_for_check() {
    // compare wrote operations=0 next to 166 compared operations.
    let before = fixture_arg("viztracer/baseline.json");
    let after = fixture_arg("viztracer/regressed.json");
    let outputs = github_outputs(&["compare", &before, &after], 1);
    let report = crate::common::run_json(&["compare", &before, &after], 1);
    let compared = report["comparison"]["operations"].as_array().unwrap().len();
    assert!(compared > 100);
    assert!(
        outputs.contains(&format!("\noperations={compared}\n")),
        "{outputs}"
    );
    let ops = report["comparison"]["operations"].as_array().unwrap();
    let regressed = ops.iter().filter(|o| o["status"] == "regressed").count();
    assert!(
        outputs.contains(&format!("\nregressions={regressed}\n")),
        "{outputs}"
    );

    let budgets = fixture_arg("../../budgets.toml");
    let outputs = github_outputs(&["check", &after, "--budgets", &budgets], 1);
    assert!(outputs.starts_with("verdict=fail\n"), "{outputs}");
    assert!(!outputs.contains("operations="), "{outputs}");
}

#[test]
fn a_bidi_override_in_a_name_is_shown_not_obeyed() {
    // "bidi\u{202E}gnp.exe" displays as "bidiexe.png" wherever the override is obeyed.
    let dir = tempfile::tempdir().unwrap();
    let name = "bidi\u{202E}gnp.exe";
    let events: Vec<Value> = (0..6)
        .map(|i| {
            serde_json::json!({"name": name, "ph": "X", "ts": i * 1000, "dur": 500,
                                    "pid": 1, "tid": 1})
        })
        .collect();
    let trace = dir.path().join("bidi.json");
    std::fs::write(
        &trace,
        serde_json::json!({ "traceEvents": events }).to_string(),
    )
    .unwrap();
    let trace = trace.to_str().unwrap();
    let shown = r"bidi\u{202e}gnp.exe";
    let (table, _) = run(&["summary", trace], 0);
    let (md, _) = run(&["summary", trace, "--format", "markdown"], 0);
    for (sink, text) in [("table", &table), ("markdown", &md)] {
        assert!(!text.contains('\u{202E}'), "{sink}: {text}");
        assert!(text.contains(shown), "{sink}: {text}");
    }
    // JSON keeps the name exactly (it is for programs).
    let (json, _) = run(&["summary", trace, "--format", "json"], 0);
    assert!(
        json.contains(r"bidi\u202egnp.exe") || json.contains(name),
        "{json}"
    );
}

#[test]
fn annotations_keep_the_change_that_adds_the_most_time_per_run() {
    // Loose thresholds make more than 10 errors, so the cut decides what the PR shows. The
    // N+1 loop (execute_query 24 → 120 calls per run, each as fast as before) adds the most
    // time per run; ranked by the per-call change it was cut behind argparse helpers.
    let before = fixture_arg("viztracer/baseline.json");
    let after = fixture_arg("viztracer/n_plus_one.json");
    let args = [
        "compare",
        &before,
        &after,
        "--github",
        "--threshold",
        "1%",
        "--noise-floor",
        "1us",
        "--alpha",
        "0.5",
    ];
    let out = perfgate().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 10, "{stderr}");
    assert!(stderr.contains("more error(s) not annotated"), "{stderr}");
    let position = |op: &str| {
        errors
            .iter()
            .position(|l| l.contains(&format!("regression%3A {op}")))
    };
    let query = position("execute_query (diagnostic.py)")
        .unwrap_or_else(|| panic!("the N+1 query is not annotated:\n{stderr}"));
    if let Some(busy) = position("busy (diagnostic.py)") {
        assert!(query < busy, "{stderr}");
    }
}

#[test]
fn a_dash_as_report_file_is_refused_not_written_as_a_file_named_dash() {
    let dir = tempfile::tempdir().unwrap();
    let trace = fixture_arg("viztracer/baseline.json");
    for (flag, format) in [
        ("--json", "json"),
        ("--junit", "junit"),
        ("--markdown", "markdown"),
    ] {
        let out = perfgate()
            .current_dir(dir.path())
            .args(["summary", &trace, flag, "-"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("--format {format}")), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(
            files_in(dir.path()).is_empty(),
            "{:?}",
            files_in(dir.path())
        );
    }
}

#[test]
fn a_bad_github_step_summary_path_fails_before_anything_is_written() {
    // It used to fail last: the report files written and the table printed, then exit 2.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let out = perfgate()
        .args([
            "check",
            &fixture_arg("viztracer/baseline.json"),
            "--budgets",
            &fixture_arg("../../budgets.toml"),
            "--json",
            json.to_str().unwrap(),
        ])
        .env("GITHUB_ACTIONS", "true")
        .env(
            "GITHUB_STEP_SUMMARY",
            dir.path().join("no/such/dir/summary.md"),
        )
        .env("GITHUB_OUTPUT", dir.path().join("output.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("summary.md ($GITHUB_STEP_SUMMARY)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("::"),
        "no annotations after an error: {stderr}"
    );
    assert!(out.stdout.is_empty());
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
}

/// A reviewer reads the comment for ten seconds: the example regression names its two causes
/// before any table, in under 4 000 characters above the first folded block; an A/A pair's
/// comment stays under 1 500 characters.
#[test]
fn the_comment_leads_with_the_causes_and_stays_short() {
    let (md, _) = run(
        &[
            "compare",
            &fixture_arg("viztracer/baseline.json"),
            &fixture_arg("viztracer/regressed.json"),
            "--format",
            "markdown",
        ],
        1,
    );
    let fold = md.find("<details>").unwrap_or(md.len());
    assert!(fold < 4000, "{fold} characters above the fold:\n{md}");
    let causes = md.find("**Cause(s):**").expect("a causes list");
    let table = md.find("| --- |").expect("a table");
    assert!(causes < table, "{md}");
    let lines: Vec<&str> = md[causes..table]
        .lines()
        .filter(|l| l.starts_with("- ❌"))
        .collect();
    assert_eq!(lines.len(), 2, "{md}");
    assert!(lines[0].contains("call\\_claude (diagnostic.py) called 2× per decide\\_next"));
    assert!(lines[1].contains("traverse\\_graph (diagnostic.py) 2× slower"));
    let (aa, _) = run(
        &[
            "compare",
            &fixture_arg("viztracer/baseline.json"),
            &fixture_arg("viztracer/aa_shifted.json"),
            "--format",
            "markdown",
        ],
        0,
    );
    assert!(
        aa.chars().count() < 1500,
        "{} characters:\n{aa}",
        aa.chars().count()
    );
}

/// The Markdown of a compare run in GitHub mode, with a pull request's event payload: the
/// PR comment file and the job summary.
fn markdown_on_a_pull_request(event: &str, sha: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let event_path = dir.path().join("event.json");
    std::fs::write(&event_path, event).unwrap();
    let comment = dir.path().join("comment.md");
    let summary = dir.path().join("summary.md");
    let out = perfgate()
        .args([
            "compare",
            &fixture_arg("viztracer/baseline.json"),
            &fixture_arg("viztracer/regressed.json"),
            "--markdown",
            comment.to_str().unwrap(),
        ])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/service")
        .env("GITHUB_SHA", sha)
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", dir.path().join("output.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    (
        std::fs::read_to_string(&comment).unwrap(),
        std::fs::read_to_string(&summary).unwrap(),
    )
}

#[test]
fn on_a_pull_request_own_code_links_to_its_line_at_the_head_commit() {
    let head = "0123456789abcdef0123456789abcdef01234567";
    let merge = "fedcba9876543210fedcba9876543210fedcba98";
    let event = format!(r#"{{"pull_request": {{"number": 7, "head": {{"sha": "{head}"}}}}}}"#);
    let (comment, summary) = markdown_on_a_pull_request(&event, merge);
    let base = format!("https://github.com/acme/service/blob/{head}/");
    for markdown in [&comment, &summary] {
        // Every link points at a line of a file of this repository that defines the
        // operation named in front of it.
        let links: Vec<&str> = markdown.split("<a href=\"").skip(1).collect();
        assert!(links.len() >= 2, "{markdown}");
        for link in &links {
            let url = &link[..link.find('"').unwrap()];
            let rest = url
                .strip_prefix(&base)
                .unwrap_or_else(|| panic!("{url} is not at the PR head"));
            let (path, line) = rest.split_once("#L").unwrap();
            let line: usize = line.parse().unwrap();
            let source = std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path),
            )
            .unwrap_or_else(|e| panic!("{path}: {e}"));
            let text = source.lines().nth(line - 1).unwrap();
            assert!(text.trim_start().starts_with("def "), "{url}: {text}");
        }
        let traverse = format!(
            "<a href=\"{base}tests/fixtures/service/diagnostic.py#L104\">tests/fixtures/service/diagnostic.py:104</a>"
        );
        assert!(markdown.contains(&traverse), "{markdown}");
        assert!(!markdown.contains(merge));
    }
    // Outside a pull request the commit is GITHUB_SHA's.
    let (comment, _) = markdown_on_a_pull_request("{}", merge);
    assert!(comment.contains(&format!(
        "https://github.com/acme/service/blob/{merge}/tests/"
    )));
}
