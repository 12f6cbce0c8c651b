//! The parallel reader of memory-mapped traces (issue 16) against the serial readers, through
//! the command line: a trace large enough to be split gives the same report read on every
//! core, on one thread (`RAYON_NUM_THREADS=1`), and streamed from standard input.

use std::io::Write;

use crate::common::{fixture, perfgate};

/// A trace of about 10 MB: the events of the real viztracer fixture `n_plus_one.json`
/// repeated 32 times, each copy shifted 10 s later, so that copies do not overlap.
fn large_real_trace(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixture("viztracer/n_plus_one.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let events = doc["traceEvents"].as_array().unwrap().clone();
    let mut all = Vec::new();
    for copy in 0..32 {
        for event in &events {
            let mut event = event.clone();
            if let Some(ts) = event.get("ts").and_then(|t| t.as_f64()) {
                event["ts"] = serde_json::json!(ts + f64::from(copy) * 10_000_000.0);
            }
            all.push(event);
        }
    }
    doc["traceEvents"] = serde_json::Value::Array(all);
    let path = dir.join("large.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    path
}

#[test]
fn a_split_read_reports_what_the_serial_readers_report() {
    let dir = tempfile::tempdir().unwrap();
    let trace = large_real_trace(dir.path());
    let size = std::fs::metadata(&trace).unwrap().len();
    assert!(size > 9_000_000, "{size} bytes: too small to be split");
    let summary = |threads: Option<&str>, stdin: bool| {
        let mut cmd = perfgate();
        cmd.args(["summary", "--format", "json"]);
        if let Some(n) = threads {
            cmd.env("RAYON_NUM_THREADS", n);
        }
        if stdin {
            cmd.arg("-").write_stdin(std::fs::read(&trace).unwrap());
        } else {
            cmd.arg(&trace);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // The input's name differs between a file and standard input; nothing else may.
        report["inputs"][0]["source"] = serde_json::Value::Null;
        report
    };
    let parallel = summary(Some("2"), false);
    let calls: u64 = parallel["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["count"].as_u64().unwrap())
        .sum();
    assert!(calls > 32 * 1_000, "{calls} calls");
    assert_eq!(parallel, summary(Some("1"), false), "one thread");
    assert_eq!(parallel, summary(None, true), "streamed");
}

#[test]
fn a_gzip_trace_decompressed_on_its_own_thread_reads_as_the_plain_one() {
    let dir = tempfile::tempdir().unwrap();
    let trace = large_real_trace(dir.path());
    let gz = dir.path().join("large.json.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(&trace).unwrap()).unwrap();
    enc.finish().unwrap();
    let report = |path: &std::path::Path| {
        let out = perfgate()
            .args(["summary", "--format", "json"])
            .arg(path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["inputs"][0]["source"] = serde_json::Value::Null;
        report
    };
    assert_eq!(report(&trace), report(&gz));
}
