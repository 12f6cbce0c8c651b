//! The input limits (`PERFGATE_MAX_NAME_BYTES`, `PERFGATE_MAX_NAMES`,
//! `PERFGATE_MAX_VALUE_BYTES`) in the OTLP/JSON and speedscope readers: small hostile files
//! generated here go past each limit set low and are refused with exit 2, the file, the byte
//! and the variable that raises the limit; the real fixtures of both formats still read under
//! the defaults. (The Chrome JSON reader's limits are tested in hardening.rs.)

use std::io::Write;
use std::path::Path;

use crate::common::{fixture_arg, perfgate, run_json};

/// (exit code, stderr) of `perfgate summary FILE` with the environment variables `env`.
fn summary_with(file: &Path, env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = perfgate();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["summary", file.to_str().unwrap()])
        .output()
        .expect("perfgate runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts that `file` is refused with exit 2 and `message` at `byte` under `env`.
fn assert_refused(file: &Path, env: &[(&str, &str)], byte: usize, message: &str) {
    let (code, stderr) = summary_with(file, env);
    assert_eq!(code, 2, "{stderr}");
    let name = file.file_name().unwrap().to_str().unwrap();
    let want = format!("{name}: byte {byte}: {message}");
    assert!(stderr.contains(&want), "{want:?} not in {stderr:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Asserts that `file` reads (exit 0) under `env`.
fn assert_reads(file: &Path, env: &[(&str, &str)]) {
    let (code, stderr) = summary_with(file, env);
    assert_eq!(code, 0, "{stderr}");
}

// --- OTLP/JSON ------------------------------------------------------------------------------

/// One OTLP span named `name`, 1 µs long, its id made from `n`.
fn otlp_span(n: usize, name: &str) -> String {
    format!(
        r#"{{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"{:016x}","name":"{name}","startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}"#,
        n + 1,
        1_000_000 + n * 2000,
        1_001_000 + n * 2000
    )
}

/// An OTLP/JSON document (one line) of `spans`.
fn otlp_document(spans: &[String]) -> String {
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"shop"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

#[test]
fn an_otlp_span_name_past_the_name_limit_is_refused_at_the_span() {
    let dir = tempfile::tempdir().unwrap();
    let long = "n".repeat(200);
    let spans = [otlp_span(0, "short"), otlp_span(1, &long)];
    let text = otlp_document(&spans);
    let path = dir.path().join("long_name.json");
    std::fs::write(&path, &text).unwrap();
    let span_start = text.find(&spans[1]).unwrap();
    assert_refused(
        &path,
        &[("PERFGATE_MAX_NAME_BYTES", "199")],
        span_start,
        "a name of 200 bytes, over the limit of 199 (PERFGATE_MAX_NAME_BYTES raises it)",
    );
    assert_reads(&path, &[("PERFGATE_MAX_NAME_BYTES", "200")]);
}

#[test]
fn otlp_distinct_names_past_the_limit_are_refused_at_the_span_that_adds_one() {
    let dir = tempfile::tempdir().unwrap();
    // 11 distinct names, the first repeated: the 12th span brings the 11th name.
    let mut spans: Vec<String> = (0..11).map(|i| otlp_span(i, &format!("op{i}"))).collect();
    spans.insert(1, otlp_span(11, "op0"));
    let text = otlp_document(&spans);
    let path = dir.path().join("many_names.json");
    std::fs::write(&path, &text).unwrap();
    let span_start = text.find(&spans[11]).unwrap();
    assert_refused(
        &path,
        &[("PERFGATE_MAX_NAMES", "10")],
        span_start,
        "more than 10 distinct names (PERFGATE_MAX_NAMES raises the limit)",
    );
    assert_reads(&path, &[("PERFGATE_MAX_NAMES", "11")]);
}

/// A gzip file whose content is `head`, then `mib` MiB of the letter `a`, then `tail`: a few
/// KiB on disk.
fn gzip_bomb(path: &Path, head: &str, mib: usize, tail: &str) {
    let file = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
    gz.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..mib {
        gz.write_all(&chunk).unwrap();
    }
    gz.write_all(tail.as_bytes()).unwrap();
    gz.finish().unwrap();
    assert!(std::fs::metadata(path).unwrap().len() < 100_000);
}

#[test]
fn an_otlp_gzip_bomb_of_one_string_is_refused_at_its_line_not_all_the_memory() {
    let dir = tempfile::tempdir().unwrap();
    // A good first line, then a request whose span name is 3 MiB.
    let first = otlp_document(&[otlp_span(0, "ok")]);
    let second = otlp_document(&[otlp_span(1, "NAME")]);
    let (head, tail) = second.split_once("NAME").unwrap();
    let path = dir.path().join("bomb.jsonl.gz");
    gzip_bomb(&path, &format!("{first}\n{head}"), 3, &format!("{tail}\n"));
    assert_refused(
        &path,
        &[("PERFGATE_MAX_VALUE_BYTES", &(1 << 20).to_string())],
        first.len() + 1,
        "one JSON value (a line: an OTLP request of JSON Lines, or a document on one line) \
         runs past 1 MiB, the limit (PERFGATE_MAX_VALUE_BYTES raises it)",
    );
    // Under the default 64 MiB the line is read, and the name refused by the name limit.
    assert_refused(
        &path,
        &[],
        first.len() + 1 + head.rfind("{\"traceId\"").unwrap(),
        "a name of 3145728 bytes, over the limit of 1048576 (PERFGATE_MAX_NAME_BYTES raises it)",
    );
}

// --- speedscope -----------------------------------------------------------------------------

/// A speedscope document: frames named `frames`, one sampled profile with one sample of
/// weight 1 ms per entry of `samples` (a stack of frame indices).
fn speedscope(frames: &[String], samples: &[Vec<usize>]) -> String {
    let frames: Vec<String> = frames
        .iter()
        .map(|f| format!(r#"{{"name":"{f}","file":"app.py","line":1}}"#))
        .collect();
    let stacks: Vec<String> = samples.iter().map(|s| format!("{s:?}")).collect();
    let weights = vec!["0.001"; samples.len()].join(",");
    format!(
        r#"{{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{{"frames":[{}]}},"profiles":[{{"type":"sampled","name":"main","unit":"seconds","startValue":0,"samples":[{}],"weights":[{weights}]}}]}}"#,
        frames.join(","),
        stacks.join(",")
    )
}

/// The byte where frame `index` of a [`speedscope`] document starts.
fn frame_start(text: &str, index: usize) -> usize {
    let frames = text.find(r#""frames":["#).unwrap() + r#""frames":["#.len();
    text[frames..]
        .match_indices(r#"{"name":"#)
        .nth(index)
        .unwrap()
        .0
        + frames
}

#[test]
fn a_speedscope_frame_name_past_the_name_limit_is_refused_at_the_frame() {
    let dir = tempfile::tempdir().unwrap();
    let frames = ["main".to_string(), "f".repeat(200)];
    let text = speedscope(&frames, &[vec![0, 1]]);
    let path = dir.path().join("long_frame.speedscope.json");
    std::fs::write(&path, &text).unwrap();
    // The name is `f… (app.py:1)`: 200 + 11 bytes.
    assert_refused(
        &path,
        &[("PERFGATE_MAX_NAME_BYTES", "210")],
        frame_start(&text, 1),
        "a name of 211 bytes, over the limit of 210 (PERFGATE_MAX_NAME_BYTES raises it)",
    );
    assert_reads(&path, &[("PERFGATE_MAX_NAME_BYTES", "211")]);
}

#[test]
fn speedscope_distinct_names_past_the_limit_are_refused_at_the_frame_that_adds_one() {
    let dir = tempfile::tempdir().unwrap();
    // 13 frames; frame 12 has the name of frame 0, frame 1 is never sampled. The samples use
    // frames 12, 0, 2..=11 in this order: 11 distinct names, the 11th brought by frame 11.
    let mut frames: Vec<String> = (0..12).map(|i| format!("op{i}")).collect();
    frames.push("op0".into());
    let mut samples = vec![vec![12], vec![0]];
    samples.extend((2..12).map(|i| vec![i]));
    let text = speedscope(&frames, &samples);
    let path = dir.path().join("many_frames.speedscope.json");
    std::fs::write(&path, &text).unwrap();
    assert_refused(
        &path,
        &[("PERFGATE_MAX_NAMES", "10")],
        frame_start(&text, 11),
        "more than 10 distinct names (PERFGATE_MAX_NAMES raises the limit)",
    );
    assert_reads(&path, &[("PERFGATE_MAX_NAMES", "11")]);
}

#[test]
fn a_speedscope_gzip_bomb_is_refused_as_it_is_read_not_all_the_memory() {
    let dir = tempfile::tempdir().unwrap();
    let text = speedscope(&["NAME".to_string()], &[vec![0]]);
    let (head, tail) = text.split_once("NAME").unwrap();
    let path = dir.path().join("bomb.speedscope.json.gz");
    gzip_bomb(&path, head, 3, tail);
    assert_refused(
        &path,
        &[("PERFGATE_MAX_VALUE_BYTES", &(1 << 20).to_string())],
        0,
        "one JSON value (the speedscope document, read whole) runs past 1 MiB, the limit \
         (PERFGATE_MAX_VALUE_BYTES raises it)",
    );
    assert_refused(
        &path,
        &[],
        frame_start(&text, 0),
        "a name of 3145739 bytes, over the limit of 1048576 (PERFGATE_MAX_NAME_BYTES raises it)",
    );
}

// --- real files -----------------------------------------------------------------------------

#[test]
fn real_otlp_and_speedscope_files_read_under_the_default_limits() {
    for f in [
        "otlp/shop_document.json",
        "otlp/shop_lines.jsonl",
        "otlp/shop_slow_quote.jsonl",
        "speedscope/pyinstrument.json",
        "speedscope/pyspy_baseline.json",
        "speedscope/pyspy_regressed.json",
        "speedscope/pyspy_threads.json",
    ] {
        let report = run_json(&["summary", &fixture_arg(f)], 0);
        let ops = report["operations"].as_array().unwrap();
        assert!(ops.len() >= 5, "{f}: {} operations", ops.len());
        assert!(report["inputs"][0]["spans"].as_u64().unwrap() > 0, "{f}");
    }
}
