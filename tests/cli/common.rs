//! Shared helpers of the CLI tests.

#![allow(dead_code)]

use std::path::PathBuf;

use assert_cmd::Command;

/// Absolute path of a file under tests/fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The string form of [`fixture`], for arguments.
pub fn fixture_arg(rel: &str) -> String {
    fixture(rel).display().to_string()
}

/// `perfgate` with a clean environment: no colour, no GitHub Actions detection, and a working
/// directory without a `budgets.toml` (tests name the budgets file they use).
pub fn perfgate() -> Command {
    let mut cmd = Command::cargo_bin("perfgate").expect("the perfgate binary is built");
    cmd.current_dir(fixture(""));
    cmd.env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120");
    cmd
}

/// Runs perfgate with `args`, expecting exit code `code`; returns (stdout, stderr).
pub fn run(args: &[&str], code: i32) -> (String, String) {
    let out = perfgate().args(args).output().expect("perfgate runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "perfgate {args:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    (stdout, stderr)
}

/// Runs perfgate with `--format json` appended, expecting `code`; returns the parsed JSON.
pub fn run_json(args: &[&str], code: i32) -> serde_json::Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--format", "json"]);
    let (stdout, _) = run(&all, code);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{stdout}"))
}

/// Relative closeness for figures computed two ways.
pub fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = 1e-9 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: perfgate says {actual}, the reference says {expected}"
    );
}

/// Whether a test may use an external tool: `available` when it is there. When it is
/// missing, a CI run (env `CI` set) fails: .ci/run installs every tool, so nothing is
/// skipped there. A developer's run goes on without the test, and says so in the test
/// output: the note goes straight to the terminal (libtest captures `eprintln!` of a passing
/// test, which would make the skip silent).
pub fn tool_available(what: &str, available: bool) -> bool {
    if available {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if std::env::var_os("CI").is_some() {
        panic!("{test} needs {what}, which CI must install (.ci/run) but was not found");
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: needs {what} (CI installs it; see .ci/run)"
    );
    false
}

/// Whether `program` runs (`program --version`); see [`tool_available`].
pub fn have(program: &str) -> bool {
    let runs = std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok();
    tool_available(program, runs)
}

/// A Python interpreter that can import `module`: `PERFGATE_TEST_PYTHON`, else the repo's
/// `.venv` (made by tests/fixtures/generate.sh), else `python3`.
pub fn python_with(module: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("PERFGATE_TEST_PYTHON").map(PathBuf::from),
        Some(root.join(".venv/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|python| {
        std::process::Command::new(python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}
