//! The real tracer, live: trace the example service with the viztracer installed for the
//! tests (CI pins it in .ci/requirements.txt) and read what it writes today, so a change in
//! viztracer's output shows up here and not in a user's pipeline.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{fixture_arg, perfgate, python_with, run_json, tool_available};

/// Runs `python -m viztracer [options] -o out -- service args`.
fn trace_service(python: &Path, options: &[&str], out: &Path, service: &str, args: &[&str]) {
    let status = Command::new(python)
        .args(["-m", "viztracer", "--quiet"])
        .args(options)
        .arg("-o")
        .arg(out)
        .arg("--")
        .arg(fixture_arg(service))
        .args(args)
        .status()
        .expect("viztracer runs");
    assert!(status.success(), "viztracer failed on {service}");
}

fn count_of(report: &Value, name: &str) -> u64 {
    report["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| op["name"] == name)
        .unwrap_or_else(|| panic!("no operation {name}"))["count"]
        .as_u64()
        .unwrap()
}

#[test]
fn reads_what_viztracer_writes_today_plain_and_gzip() {
    let python = python_with("viztracer");
    if !tool_available("a Python with viztracer", python.is_some()) {
        return;
    }
    let python = python.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in ["live.json", "live.json.gz"] {
        let out = dir.path().join(name);
        let args = ["--requests", "2", "--seed", "7", "--inject", "dup_claude"];
        trace_service(&python, &[], &out, "service/diagnostic.py", &args);
        let report = run_json(&["summary", out.to_str().unwrap()], 0);
        assert_eq!(
            count_of(&report, "post_answer (diagnostic.py)"),
            2,
            "{name}"
        );
        assert_eq!(
            count_of(&report, "call_claude (diagnostic.py)"),
            4,
            "{name}"
        );
        assert_eq!(
            count_of(&report, "execute_query (diagnostic.py)"),
            4,
            "{name}"
        );
        assert!(
            report["inputs"][0]["warnings"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
}

#[test]
fn reads_viztracer_log_async_task_tracks() {
    let python = python_with("viztracer");
    if !tool_available("a Python with viztracer", python.is_some()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("async.json");
    let args = ["--requests", "3", "--seed", "7"];
    trace_service(
        &python.unwrap(),
        &["--log_async"],
        &out,
        "service/async_diagnostic.py",
        &args,
    );
    let report = run_json(&["summary", out.to_str().unwrap()], 0);
    // One call per coroutine call, not one per resumption slice: 3 requests, 3 calls.
    assert_eq!(count_of(&report, "handle_request (async_diagnostic.py)"), 3);
    assert_eq!(
        count_of(&report, "call_claude_async (async_diagnostic.py)"),
        3
    );
}

/// Every output perfgate writes (terminal, JSON, JUnit, Markdown, the GitHub job summary and
/// annotations, a saved baseline) for a service traced in a temporary directory, with
/// perfgate run from another directory: no absolute path of the machine in any of them. Own
/// files show by name, the interpreter's files by module path.
#[test]
fn no_machine_path_in_any_output() {
    let python = python_with("viztracer");
    if !tool_available("a Python with viztracer", python.is_some()) {
        return;
    }
    let python = python.unwrap();
    let traced = tempfile::tempdir().unwrap();
    let service = traced.path().join("svc.py");
    std::fs::copy(crate::common::fixture("service/diagnostic.py"), &service).unwrap();
    let trace = |name: &str, inject: &[&str]| {
        let out = traced.path().join(name);
        let status = Command::new(&python)
            .args(["-m", "viztracer", "--quiet", "-o"])
            .arg(&out)
            .arg("--")
            .arg(&service)
            .args(["--requests", "3", "--seed", "3"])
            .args(inject)
            .status()
            .expect("viztracer runs");
        assert!(status.success());
        out
    };
    let before = trace("before.json", &[]);
    let after = trace("after.json", &["--inject", "dup_claude"]);
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let summary = w.join("summary.md");
    let output = perfgate()
        .current_dir(w)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", w.join("out.txt"))
        .env_remove("GITHUB_WORKSPACE")
        .arg("compare")
        .arg(&before)
        .arg(&after)
        .args([
            "--github",
            "--json",
            "r.json",
            "--junit",
            "r.xml",
            "--markdown",
            "r.md",
        ])
        .output()
        .unwrap();
    assert!(output.status.code().is_some_and(|c| c <= 1), "{output:?}");
    let saved = perfgate()
        .current_dir(w)
        .args(["baseline", "save"])
        .arg(&before)
        .args(["-o", "base.json"])
        .output()
        .unwrap();
    assert!(saved.status.success(), "{saved:?}");
    let mut texts = vec![
        (
            "stdout",
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ),
        (
            "stderr",
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ),
    ];
    for file in ["r.json", "r.xml", "r.md", "summary.md", "base.json"] {
        texts.push((file, std::fs::read_to_string(w.join(file)).unwrap()));
    }
    let machine = [
        traced.path().to_string_lossy().into_owned(),
        "/lib/python".to_string(),
        "site-packages".to_string(),
        std::env::var("HOME").unwrap_or_else(|_| "/root".into()),
    ];
    for (what, text) in &texts {
        for path in &machine {
            // Inputs are named as the user gave them (the trace arguments themselves).
            let shown: String = text
                .lines()
                .filter(|l| !l.contains("before.json") && !l.contains("after.json"))
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                !shown.contains(path.as_str()),
                "{what} shows {path}:\n{shown}"
            );
        }
    }
    let report: Value = serde_json::from_str(&texts[2].1).unwrap();
    let claude = report["comparison"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "call_claude (svc.py)")
        .expect("call_claude in the comparison");
    assert_eq!(claude["file"], "svc.py");
    assert_eq!(claude["origin"], "own");
}
