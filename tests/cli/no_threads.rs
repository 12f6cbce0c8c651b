//! A machine where perfgate cannot start a thread (a process limit in a container or on a
//! shared CI runner): it reads on its own thread instead of panicking. Run for real, under
//! `prlimit --nproc=1` (util-linux), as an unprivileged user (the limit does not bind root:
//! as root the test drops to `nobody` with `setpriv`, on copies of the binary and the traces
//! in a directory `nobody` can read).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{fixture, tool_available};

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn runs(program: &str, arg: &str) -> bool {
    Command::new(program).arg(arg).output().is_ok()
}

/// Copies `from` into `dir` (readable and, for the binary, executable by everyone).
fn copy_into(dir: &Path, from: &Path) -> PathBuf {
    let to = dir.join(from.file_name().unwrap());
    std::fs::copy(from, &to).unwrap();
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
    to
}

/// `perfgate ARGS` with at most one process of its user: no thread can start.
fn without_threads(perfgate: &Path, args: &[&Path]) -> std::process::Output {
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "prlimit",
        ]);
        c
    } else {
        Command::new("prlimit")
    };
    cmd.arg("--nproc=1").arg(perfgate).args(args);
    cmd.env("NO_COLOR", "1").env_remove("GITHUB_ACTIONS");
    cmd.output().expect("prlimit runs")
}

/// A directory everyone can read, with a copy of the perfgate binary in it; `None` (the test
/// skipped, or failed in CI) without prlimit (and setpriv as root).
fn a_place_without_threads() -> Option<(tempfile::TempDir, PathBuf)> {
    let tools = runs("prlimit", "--version") && (!is_root() || runs("setpriv", "--version"));
    if !tool_available("prlimit and setpriv (util-linux)", tools) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let perfgate = copy_into(dir.path(), Path::new(env!("CARGO_BIN_EXE_perfgate")));
    Some((dir, perfgate))
}

/// The real viztracer trace of the example, its calls repeated later to pass 1 MiB, written
/// into `dir` (readable by everyone) as `big.json`.
fn a_large_trace(dir: &Path) -> PathBuf {
    let events = std::fs::read_to_string(fixture("viztracer/baseline.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&events).unwrap();
    let mut all = doc["traceEvents"].as_array().unwrap().clone();
    let calls: Vec<serde_json::Value> = all.iter().filter(|e| e["ph"] == "X").cloned().collect();
    for later in 1..=8 {
        for e in &calls {
            let mut e = e.clone();
            e["ts"] = serde_json::json!(e["ts"].as_f64().unwrap() + 1e8 * f64::from(later));
            all.push(e);
        }
    }
    let big = dir.join("big.json");
    std::fs::write(&big, serde_json::json!({ "traceEvents": all }).to_string()).unwrap();
    std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o644)).unwrap();
    let size = std::fs::metadata(&big).unwrap().len();
    assert!(size > 1 << 20, "{size} bytes");
    big
}

/// `trace` gzip-compressed beside it (`.gz`).
fn gzipped(trace: &Path) -> PathBuf {
    use std::io::Write;
    let gz = trace.with_extension("json.gz");
    let mut encoder =
        flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), Default::default());
    encoder.write_all(&std::fs::read(trace).unwrap()).unwrap();
    encoder.finish().unwrap();
    std::fs::set_permissions(&gz, std::fs::Permissions::from_mode(0o644)).unwrap();
    gz
}

#[test]
fn without_threads_a_gzip_trace_and_a_comparison_are_still_read() {
    let Some((dir, perfgate)) = a_place_without_threads() else {
        return;
    };
    // Past its first MiB a gzip trace is decompressed on a thread of its own.
    let gz = gzipped(&a_large_trace(dir.path()));
    let before = copy_into(dir.path(), &fixture("viztracer/baseline.json"));
    let after = copy_into(dir.path(), &fixture("viztracer/regressed.json"));

    // gzip is decompressed on a thread of its own when one can start.
    let out = without_threads(&perfgate, &[Path::new("summary"), &gz]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("traverse_graph"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // compare reads the after trace ahead on a thread of its own when one can start.
    let out = without_threads(&perfgate, &[Path::new("compare"), &before, &after]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2× slower"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn without_threads_a_large_plain_trace_is_parsed_on_one_thread() {
    // A plain trace of 1 MiB or more is memory-mapped and parsed on every core (rayon);
    // rayon's pool cannot start here.
    let Some((dir, perfgate)) = a_place_without_threads() else {
        return;
    };
    let big = a_large_trace(dir.path());
    let out = without_threads(&perfgate, &[Path::new("summary"), &big]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("traverse_graph"));
}
