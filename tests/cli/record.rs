//! `perfgate record`: a real git repository in a temporary directory holding a small Python
//! program, traced by the real viztracer in a temporary worktree of the base revision and in
//! the working tree, alternately; then compared as pairs.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{perfgate, python_with, tool_available};
use crate::hook::{git, have_git};

const APP: &str = "\
import time


def fast_work():
    time.sleep(0.010)


def slow_work():
    time.sleep(0.005)


def main():
    for _ in range(20):
        fast_work()
        slow_work()


if __name__ == \"__main__\":
    main()
";

/// A repository with the program on `main`, and a `feature` branch (checked out) whose one
/// commit makes `slow_work` six times as slow (so that a busy CI machine, whose sleeps
/// overshoot by milliseconds, still separates every run). `fast_work`, unchanged, sleeps
/// 10 ms: a 2 ms sleep's p95 moved by +50 % between the sides of half the sessions at load
/// 15 (a millisecond of wake-up latency), and one session in four failed it. `budgets` is committed as budgets.toml on main.
fn repo_with_slowdown(root: &Path, budgets: &str) -> PathBuf {
    let work = root.join("app");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["config", "user.email", "t@example.invalid"]);
    git(&work, &["config", "user.name", "t"]);
    std::fs::write(work.join("app.py"), APP).unwrap();
    std::fs::write(work.join("budgets.toml"), budgets).unwrap();
    std::fs::write(work.join(".gitignore"), ".perfgate/\n").unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "the app"]);
    git(&work, &["checkout", "-q", "-b", "feature"]);
    let slower = APP.replace("time.sleep(0.005)", "time.sleep(0.030)");
    std::fs::write(work.join("app.py"), slower).unwrap();
    git(&work, &["commit", "-q", "-am", "slow_work is slower"]);
    work
}

/// The tracer template with the test's Python, or `None` (skipped) without viztracer.
/// The timing tests run one at a time: two sessions side by side would slow each other. The
/// browser tests (pictures.rs) take it too: a headless Chromium is several busy processes.
pub(crate) static TIMING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn tracer() -> Option<String> {
    let python = python_with("viztracer");
    if !have_git() || !tool_available("a Python with viztracer", python.is_some()) {
        return None;
    }
    Some(format!(
        "'{}' -m viztracer --quiet -o {{trace}} -- {{command}}",
        python.unwrap().display()
    ))
}

/// The worktrees git knows of in `work` (the base checkout must be gone).
fn worktrees(work: &Path) -> usize {
    git(work, &["worktree", "list", "--porcelain"])
        .lines()
        .filter(|l| l.starts_with("worktree "))
        .count()
}

fn record(work: &Path, args: &[&str], code: i32) -> (String, String) {
    let out = perfgate()
        .current_dir(work)
        .env_remove("GITHUB_BASE_REF")
        .arg("record")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "record {args:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    (stdout, stderr)
}

#[test]
fn finds_and_names_a_slowdown_against_the_merge_base() {
    let _one_at_a_time = TIMING.lock().unwrap_or_else(|e| e.into_inner());
    let Some(tracer) = tracer() else {
        return;
    };
    // Everything from [record]: the command, the tracer, the runs; the base is `auto`.
    let budgets = format!(
        "[record]\ncommand = \"app.py\"\ntracer = \"\"\"{tracer}\"\"\"\nruns = 5\nwarmup = 1\n"
    );
    let root = tempfile::tempdir().unwrap();
    let work = repo_with_slowdown(root.path(), &budgets);
    let (stdout, stderr) = record(&work, &["--format", "json"], 1);
    assert!(stderr.contains("merge-base of HEAD and main"), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["verdict"], "fail");
    let ops = report["comparison"]["operations"].as_array().unwrap();
    let regressed: Vec<&str> = ops
        .iter()
        .filter(|o| o["status"] == "regressed")
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(regressed.contains(&"slow_work (app.py)"), "{regressed:?}");
    assert!(!regressed.contains(&"fast_work (app.py)"), "{regressed:?}");
    assert_eq!(report["comparison"]["before_runs"], 5);
    // Judged as pairs: the paired t test on the per-pair ratios decided.
    let slow_row = ops
        .iter()
        .find(|o| o["name"] == "slow_work (app.py)")
        .unwrap();
    assert_eq!(slow_row["evidence"], "pairs", "{slow_row}");
    assert!(
        slow_row["test"].as_str().unwrap().starts_with("paired-"),
        "{slow_row}"
    );
    // The paired statistics: 5 pairs, slow_work several times as slow (whether 5 pairs
    // make it significant depends on how busy the machine is: not asserted).
    let paired = &report["paired"];
    assert_eq!(paired["pairs"], 5);
    assert_eq!(paired["order"], "ABBA");
    let slow = paired["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "slow_work (app.py)")
        .expect("slow_work is in the paired statistics");
    let ratio = slow["ratio"].as_f64().unwrap();
    assert!((2.0..10.0).contains(&ratio), "{slow}");
    // The traces are kept; the temporary worktree is gone.
    for side in ["base", "head"] {
        for k in 1..=5 {
            let trace = work.join(format!(".perfgate/record/{side}_{k}.json"));
            assert!(trace.is_file(), "{}", trace.display());
            // Beside each, the CPU the run got, as the kernel's scheduler counted it.
            let record = work.join(format!(".perfgate/record/{side}_{k}.json.schedstat"));
            let record: Value =
                serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
            assert_eq!(record["perfgate_schedstat"], 1, "{record}");
            let (cpu, waiting) = (
                record["cpu_ms"].as_f64().unwrap(),
                record["waiting_ms"].as_f64().unwrap(),
            );
            // The Python interpreter and viztracer alone take tens of ms of CPU.
            assert!(cpu > 10.0 && waiting >= 0.0, "{record}");
            let share = record["run_share"].as_f64().unwrap();
            assert!((share - cpu / (cpu + waiting)).abs() < 1e-9, "{record}");
        }
    }
    assert!(stderr.contains("% of the CPU it asked for"), "{stderr}");
    assert_eq!(worktrees(&work), 1);
}

#[test]
fn the_same_code_on_both_sides_passes() {
    let _one_at_a_time = TIMING.lock().unwrap_or_else(|e| e.into_inner());
    let Some(tracer) = tracer() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let work = repo_with_slowdown(root.path(), "");
    let (stdout, _) = record(
        &work,
        &[
            "--base", "HEAD", "--runs", "3", "--warmup", "1", "-o", "out", "--tracer", &tracer,
            "--", "app.py",
        ],
        0,
    );
    assert!(
        stdout.contains("paired: 3 pairs, interleaved (ABBA)"),
        "{stdout}"
    );
    assert!(stdout.contains("Verdict: PASS"), "{stdout}");
    assert!(work.join("out/head_3.json").is_file());
    assert_eq!(worktrees(&work), 1);
}

#[test]
fn a_failing_command_stops_the_session_and_names_its_exit_code() {
    if !have_git() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = repo_with_slowdown(root.path(), "");
    std::fs::write(
        work.join("fail.sh"),
        "echo 'no database here' >&2\nexit 3\n",
    )
    .unwrap();
    git(&work, &["add", "fail.sh"]);
    git(&work, &["commit", "-q", "-m", "fail"]);
    let (_, stderr) = record(
        &work,
        &[
            "--base",
            "HEAD",
            "--runs",
            "2",
            "--tracer",
            "{command} > {trace}",
            "--",
            "sh",
            "fail.sh",
        ],
        2,
    );
    assert!(
        stderr.contains("the command failed in the base checkout (warm-up base 1/1), exit code 3"),
        "{stderr}"
    );
    assert!(stderr.contains("no database here"), "{stderr}");
    assert_eq!(worktrees(&work), 1);
    // No command at all is a usage error that says where to give one.
    let (_, stderr) = record(&work, &["--base", "HEAD"], 2);
    assert!(stderr.contains("no command to record"), "{stderr}");
}

/// `perfgate hook run` as git runs it for a push of the feature branch.
fn hook_run(work: &Path) -> std::process::Output {
    let sha = git(work, &["rev-parse", "HEAD"]);
    let line = format!(
        "refs/heads/feature {} refs/heads/feature {}\n",
        sha.trim(),
        "0".repeat(40)
    );
    perfgate()
        .current_dir(work)
        .env_remove("GITHUB_BASE_REF")
        .args(["hook", "run"])
        .write_stdin(line)
        .output()
        .unwrap()
}

#[test]
fn the_pre_push_hook_records_and_blocks_a_slowdown_without_a_baseline() {
    let _one_at_a_time = TIMING.lock().unwrap_or_else(|e| e.into_inner());
    let Some(tracer) = tracer() else {
        return;
    };
    let budgets = format!(
        "[hook]\nrecord = true\n\n[record]\ncommand = \"app.py\"\ntracer = \"\"\"{tracer}\"\"\"\nruns = 5\nwarmup = 0\n"
    );
    let root = tempfile::tempdir().unwrap();
    let work = repo_with_slowdown(root.path(), &budgets);
    let out = hook_run(&work);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("recording the base revision"), "{stderr}");
    assert!(stderr.contains("slow_work"), "{stderr}");
    assert!(
        stderr.contains("Reproduce with:\n    perfgate record --budgets budgets.toml"),
        "{stderr}"
    );
    assert_eq!(worktrees(&work), 1);

    // The same code on both sides (the slowdown reverted in the working tree): the push goes.
    git(&work, &["checkout", "-q", "main", "--", "app.py"]);
    let out = hook_run(&work);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("pre-push gate passed (record"), "{stderr}");
}

#[test]
fn record_in_the_hook_refuses_a_trace_or_baseline_it_would_ignore() {
    if !have_git() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let budgets = "[hook]\nrecord = true\ntrace = \"t.json\"\n\n[record]\ncommand = \"app.py\"\n";
    let work = repo_with_slowdown(root.path(), budgets);
    let out = hook_run(&work);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("[hook] has `record = true` and `trace`"),
        "{stderr}"
    );
    // record = true without a [record] command: said so, not a confusing record error.
    std::fs::write(work.join("budgets.toml"), "[hook]\nrecord = true\n").unwrap();
    let out = hook_run(&work);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no [record] section"), "{stderr}");
}

#[test]
fn the_action_records_base_and_head_without_a_baseline() {
    let _one_at_a_time = TIMING.lock().unwrap_or_else(|e| e.into_inner());
    let Some(tracer) = tracer() else {
        return;
    };
    // The tracer in [record]; the command and the runs from the action's inputs. 5 pairs,
    // not 3: with 20 calls a run, a run's p95 is its second-slowest call, and on a busy
    // machine a few 5 ms sleeps overshoot to 8 ms in one base run; 3 pairs (t with 2
    // degrees of freedom) then left even a 6× slowdown at p ≈ 0.01 in some runs of this test.
    let budgets = format!("[record]\ntracer = \"\"\"{tracer}\"\"\"\nwarmup = 0\n");
    let root = tempfile::tempdir().unwrap();
    let work = repo_with_slowdown(root.path(), &budgets);
    let runner = tempfile::tempdir().unwrap();
    let perfgate_dir = std::path::PathBuf::from(env!("CARGO_BIN_EXE_perfgate"))
        .parent()
        .unwrap()
        .to_path_buf();
    let out = std::process::Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action/run.sh"))
        .current_dir(&work)
        .env_clear()
        .env(
            "PATH",
            format!(
                "{}:{}",
                perfgate_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("NO_COLOR", "1")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_BASE_REF", "main")
        .env("GITHUB_WORKSPACE", &work)
        .env("GITHUB_STEP_SUMMARY", runner.path().join("summary.md"))
        .env("GITHUB_OUTPUT", runner.path().join("output.txt"))
        .env("RUNNER_TEMP", runner.path())
        .env("INPUT_RECORD", "true")
        .env("INPUT_RECORD_COMMAND", "app.py")
        .env("INPUT_RECORD_RUNS", "5")
        .env("INPUT_COMMENT", "false")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("perfgate record --base auto"), "{stdout}");
    let summary = std::fs::read_to_string(runner.path().join("summary.md")).unwrap();
    assert!(summary.contains("slow\\_work"), "{summary}");
    assert!(
        summary.contains("paired: 5 pairs, interleaved (ABBA)"),
        "{summary}"
    );
    let outputs = std::fs::read_to_string(runner.path().join("output.txt")).unwrap();
    assert!(outputs.contains("verdict=fail"), "{outputs}");
    assert!(outputs.contains("exit-code=1"), "{outputs}");
    for side in ["base", "head"] {
        assert!(
            work.join(format!(".perfgate/record/{side}_5.json"))
                .is_file()
        );
    }
    assert_eq!(worktrees(&work), 1);
}
