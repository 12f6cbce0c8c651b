//! The real tracer, live: trace the example service with the viztracer installed for the
//! tests (CI pins it in .ci/requirements.txt) and read what it writes today, so a change in
//! viztracer's output shows up here and not in a user's pipeline.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{fixture_arg, python_with, run_json, tool_available};

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
    assert!(count_of(&report, "call_claude_async (async_diagnostic.py)") >= 3);
}
