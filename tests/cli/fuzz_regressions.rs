//! Replays the inputs the fuzz targets found (fuzz/regressions/TARGET/*, minimized) through
//! the same entry points, on stable, in `cargo test`: each must come back (as a trace read or
//! an error for the user) without a panic and quickly. Fuzzing itself is not part of the
//! tests (docs/fuzzing.md).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The regression inputs of one target.
fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no regression inputs", dir.display());
    files
}

/// Runs `entry` on every input of `target`; returns what each said, for the checks.
fn replay(
    target: &str,
    entry: fn(&[u8]) -> Result<(), String>,
) -> Vec<(String, Result<(), String>)> {
    inputs(target)
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            let start = Instant::now();
            let outcome = std::panic::catch_unwind(|| entry(&bytes))
                .unwrap_or_else(|_| panic!("{} panicked", path.display()));
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{} took {:?}",
                path.display(),
                start.elapsed()
            );
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, outcome)
        })
        .collect()
}

fn outcome_of<'a>(
    results: &'a [(String, Result<(), String>)],
    name: &str,
) -> &'a Result<(), String> {
    &results
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no input {name}"))
        .1
}

#[test]
fn trace_inputs_the_fuzzer_found_replay_without_a_panic() {
    let results = replay("trace_plain", perfgate::fuzzing::trace);
    let form_feed = outcome_of(&results, "form-feed-before-json");
    assert!(
        form_feed.as_ref().is_err_and(|e| e.contains("byte 0")),
        "{form_feed:?}"
    );
    assert_eq!(outcome_of(&results, "300-spaces-then-trace"), &Ok(()));
}

#[test]
fn gzip_trace_inputs_the_fuzzer_found_replay_without_a_panic() {
    let results = replay("trace_gzip", perfgate::fuzzing::trace);
    assert_eq!(
        outcome_of(&results, "trailer-missing"),
        &Ok(()),
        "read to the cut"
    );
}

#[test]
fn budgets_inputs_the_fuzzer_found_replay_without_a_panic() {
    let results = replay("budgets", perfgate::fuzzing::budgets);
    for (name, outcome) in &results {
        let message = outcome.as_ref().expect_err(name);
        assert!(
            message.contains("budgets.toml:"),
            "{name}: no line:column: {message}"
        );
        assert!(
            message.len() < 2000,
            "{name}: {} bytes of message",
            message.len()
        );
    }
}

#[test]
fn baseline_inputs_the_fuzzer_found_replay_without_a_panic() {
    for (name, outcome) in replay("baseline", perfgate::fuzzing::baseline) {
        assert!(outcome.is_err(), "{name} is no baseline");
    }
}
