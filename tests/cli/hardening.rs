//! Hostile and broken inputs (issue 14): each test is named after what it protects and
//! reproduces a fault that fuzzing found, on the real thing (a runner-style log check, a real
//! binary hook, a real git repository with a corrupted object, a real symbolic link).

use std::path::Path;
use std::time::Duration;

use crate::common::{fixture_arg, perfgate};
use crate::hook::{git, have_git};

/// The lines of a step's output that the GitHub Actions runner would take for a workflow
/// command: it splits output at `\n` and `\r`; a line whose text (after leading white space)
/// starts with `::` is a command, and so is `##[` anywhere in a line.
fn runner_commands(log: &str) -> Vec<&str> {
    log.split(['\n', '\r'])
        .filter(|line| line.trim_start().starts_with("::") || line.contains("##["))
        .collect()
}

/// A Chrome trace (hand-written: the names are the point) with `calls` calls of each name,
/// each about `dur` µs long (a few per cent of jitter, so that a change can be tested).
fn trace_of(names: &[&str], calls: usize, dur: f64) -> String {
    let mut events = Vec::new();
    let mut ts = 0.0;
    for i in 0..calls {
        for name in names {
            let dur = dur * (1.0 + 0.01 * ((i * 7) % 23) as f64);
            events.push(serde_json::json!({
                "ph": "X", "name": name, "ts": ts, "dur": dur, "pid": 1, "tid": 1
            }));
            ts += dur + 1.0;
        }
    }
    serde_json::json!({ "traceEvents": events }).to_string()
}

/// Before and after traces in `dir`: the hostile names 10× slower after, three others steady.
fn hostile_pair(dir: &Path) -> (String, String) {
    let steady = ["steady_a", "steady_b", "steady_c"];
    let both = |hostile_dur: f64| {
        let hostile = trace_of(HOSTILE_NAMES, 200, hostile_dur);
        let steady = trace_of(&steady, 200, 2000.0);
        let events = |t: &str| {
            let v: serde_json::Value = serde_json::from_str(t).unwrap();
            v["traceEvents"].as_array().unwrap().clone()
        };
        let mut all = events(&hostile);
        // The steady calls on a thread of their own.
        all.extend(events(&steady).into_iter().map(|mut e| {
            e["tid"] = 2.into();
            e
        }));
        serde_json::json!({ "traceEvents": all }).to_string()
    };
    let before = dir.join("before.json");
    let after = dir.join("after.json");
    std::fs::write(&before, both(2000.0)).unwrap();
    std::fs::write(&after, both(20000.0)).unwrap();
    (before.display().to_string(), after.display().to_string())
}

const HOSTILE_NAMES: &[&str] = &[
    "::error::injected",
    "::stop-commands::tok",
    "  ::add-mask::secret",
    "plain ##[error]injected",
    "x\n::warning::after a line break",
];

fn output_of(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = cmd.output().expect("perfgate runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn no_line_of_the_table_or_the_warnings_is_a_workflow_command() {
    let dir = tempfile::tempdir().unwrap();
    let (b, a) = hostile_pair(dir.path());
    let (b, a) = (b.as_str(), a.as_str());
    // A file name that a glob matched, with a line break and a command in it, named in a
    // warning (the trace is cut short).
    let hostile_dir = dir.path().join("traces");
    std::fs::create_dir(&hostile_dir).unwrap();
    let cut = trace_of(HOSTILE_NAMES, 3, 100.0);
    let cut = &cut[..cut.len() - 3];
    std::fs::write(hostile_dir.join("a\n::error::from a file name.json"), cut).unwrap();
    let glob = format!("{}/*.json", hostile_dir.display());
    let runs: Vec<Vec<&str>> = vec![
        vec!["summary", b],
        vec!["summary", b, "--brief"],
        vec!["summary", &glob],
        vec!["compare", b, a],
        vec!["compare", b, a, "--brief"],
        vec!["compare", b, a, "--format", "json"],
        vec!["compare", b, a, "--format", "junit"],
        vec!["compare", b, a, "--format", "markdown"],
        vec!["compare", &glob, a, "--allow-incomplete"],
    ];
    for args in runs {
        for width in ["40", "120"] {
            let (code, stdout, stderr) = output_of(perfgate().env("COLUMNS", width).args(&args));
            assert!(code == 0 || code == 1, "{args:?}: exit {code}\n{stderr}");
            for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                let commands = runner_commands(text);
                assert!(
                    commands.is_empty(),
                    "{args:?} (COLUMNS={width}) {stream}: {commands:?}\n{text}"
                );
            }
        }
    }
    // The names are still shown, recognisably, and the comparison still fails on them.
    let (code, stdout, _) = output_of(perfgate().args(["compare", b, a]));
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(r"\u{3a}:error::injected"), "{stdout}");
    assert!(stdout.contains(r"plain #\u{23}[error]injected"), "{stdout}");
    let (_, _, stderr) = output_of(perfgate().args(["summary", &glob]));
    assert!(
        stderr.contains(r"\u{3a}:error::from a file name.json: the trace is truncated"),
        "{stderr}"
    );
}

#[test]
fn on_github_actions_only_perfgates_own_annotations_are_commands() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = hostile_pair(dir.path());
    let summary = dir.path().join("summary.md");
    let outputs = dir.path().join("outputs");
    let (code, stdout, stderr) = output_of(
        perfgate()
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_OUTPUT", &outputs)
            .args(["compare", &before, &after]),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(runner_commands(&stdout).is_empty(), "{stdout}");
    let commands = runner_commands(&stderr);
    assert!(
        !commands.is_empty(),
        "the regressions are annotated: {stderr}"
    );
    for line in commands {
        let name = line[2..].split([' ', ':']).next().unwrap();
        assert!(
            ["error", "warning", "notice"].contains(&name),
            "not an annotation: {line:?}"
        );
        assert!(!line.contains("##["), "{line:?}");
    }
}

/// `/bin/true` or any other compiled program: a hook that is not text.
fn a_real_binary() -> Vec<u8> {
    let bytes = std::fs::read("/bin/true").expect("/bin/true exists");
    assert!(String::from_utf8(bytes.clone()).is_err(), "not UTF-8");
    bytes
}

#[cfg(unix)]
#[test]
fn a_binary_or_non_utf8_pre_push_hook_is_never_overwritten_without_a_backup() {
    if !have_git() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = crate::hook::repo_with_remote(root.path());
    let hook = work.join(".git/hooks/pre-push");
    let latin1_script = b"#!/bin/sh\necho caf\xe9\n".to_vec();
    for foreign in [a_real_binary(), latin1_script] {
        std::fs::write(&hook, &foreign).unwrap();
        let (code, _, stderr) = output_of(perfgate().current_dir(&work).args(["hook", "install"]));
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("already exists"), "{stderr}");
        assert_eq!(std::fs::read(&hook).unwrap(), foreign, "left as it was");
        // uninstall leaves it alone too.
        let (code, _, _) = output_of(perfgate().current_dir(&work).args(["hook", "uninstall"]));
        assert_eq!(code, 2);
        assert_eq!(std::fs::read(&hook).unwrap(), foreign);
        // --force keeps it, byte for byte, and uninstall puts it back.
        let (code, stdout, stderr) = output_of(
            perfgate()
                .current_dir(&work)
                .args(["hook", "install", "--force"]),
        );
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("pre-push.before-perfgate"), "{stdout}");
        let kept = work.join(".git/hooks/pre-push.before-perfgate");
        assert_eq!(std::fs::read(&kept).unwrap(), foreign);
        let (code, _, _) = output_of(perfgate().current_dir(&work).args(["hook", "uninstall"]));
        assert_eq!(code, 0);
        assert_eq!(std::fs::read(&hook).unwrap(), foreign, "put back");
    }
}

#[test]
fn a_form_feed_or_long_whitespace_before_the_json_is_an_error_or_read_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let trace = trace_of(&["op"], 2, 10.0);
    let form_feed = dir.path().join("ff.json");
    std::fs::write(&form_feed, format!("\x0c{trace}")).unwrap();
    let (code, _, stderr) = output_of(perfgate().args(["summary", form_feed.to_str().unwrap()]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("ff.json") && stderr.contains("byte 0"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // JSON allows any amount of white space before the document.
    let spaces = dir.path().join("spaces.json");
    std::fs::write(&spaces, format!("{}{trace}", " \n".repeat(3000))).unwrap();
    let (code, stdout, stderr) = output_of(perfgate().args(["summary", spaces.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("op"), "{stdout}");
    let blank = dir.path().join("blank.json");
    std::fs::write(&blank, " ".repeat(300)).unwrap();
    let (code, _, stderr) = output_of(perfgate().args(["summary", blank.to_str().unwrap()]));
    assert_eq!(code, 2);
    assert!(stderr.contains("only whitespace"), "{stderr}");
}

/// The real viztracer fixture, gzip-compressed, cut at `keep` bytes.
fn cut_gzip(dir: &Path, name: &str, keep: impl Fn(usize) -> usize) -> String {
    let gz = std::fs::read(crate::common::fixture("viztracer/baseline.json.gz")).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, &gz[..keep(gz.len())]).unwrap();
    path.display().to_string()
}

#[test]
fn a_truncated_gzip_trace_is_read_to_the_cut_like_a_truncated_plain_one() {
    let dir = tempfile::tempdir().unwrap();
    let whole = perfgate()
        .args([
            "summary",
            &fixture_arg("viztracer/baseline.json.gz"),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let whole: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    let no_trailer = cut_gzip(dir.path(), "no-trailer.json.gz", |n| n - 8);
    let (code, stdout, stderr) =
        output_of(perfgate().args(["summary", &no_trailer, "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("gzip file is cut short"), "{stderr}");
    assert!(
        stderr.contains("after byte "),
        "the place is named: {stderr}"
    );
    let read: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        read["operations"], whole["operations"],
        "every event was read"
    );
    let half = cut_gzip(dir.path(), "half.json.gz", |n| n / 2);
    let (code, stdout, stderr) = output_of(perfgate().args(["summary", &half, "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("truncated"), "{stderr}");
    let read: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(!read["operations"].as_array().unwrap().is_empty());
    // A gate on a cut input fails unless --allow-incomplete, as for a plain file.
    let budgets = crate::common::fixture_arg("../../budgets.toml");
    let (code, _, _) = output_of(perfgate().args(["check", &no_trailer, "--budgets", &budgets]));
    assert_eq!(code, 1);
}

#[test]
fn a_truncated_loose_git_object_is_an_error_not_a_hang() {
    if !have_git() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = crate::hook::repo_with_remote(root.path());
    let trace = fixture_arg("viztracer/baseline.json");
    std::fs::create_dir(work.join("baselines")).unwrap();
    let (code, _, stderr) = output_of(perfgate().current_dir(&work).args([
        "baseline",
        "save",
        &trace,
        "-o",
        "baselines/b.json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    git(&work, &["add", "baselines/b.json"]);
    git(&work, &["commit", "-q", "-m", "baseline"]);
    let blob = git(&work, &["rev-parse", "HEAD:baselines/b.json"]);
    let blob = blob.trim();
    let object = work.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    let bytes = std::fs::read(&object).unwrap();
    let mut perms = std::fs::metadata(&object).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&object, perms).unwrap();
    std::fs::write(&object, &bytes[..bytes.len() / 2]).unwrap();
    for rev in ["HEAD", "main", "HEAD~0"] {
        let spec = format!("{rev}:baselines/b.json");
        let (code, _, stderr) = output_of(
            perfgate()
                .current_dir(&work)
                .timeout(Duration::from_secs(30))
                .args(["compare", &spec, &trace]),
        );
        assert_eq!(code, 2, "{spec}: {stderr}");
        assert!(
            stderr.contains("is corrupt") && stderr.contains(blob),
            "{spec}: {stderr}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_planted_by_another_user_is_never_written_through() {
    // The temporary files are created exclusively under random names; a link planted at
    // every name perfgate used to use, and at the target's own temporary names, is left
    // alone, and so is the file it points to.
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    for planted in [".b.json.tmp", ".perfgate-", ".pre-push.tmp"] {
        std::os::unix::fs::symlink(&victim, dir.path().join(planted)).unwrap();
    }
    let out = dir.path().join("b.json");
    let (code, _, stderr) = output_of(perfgate().args([
        "baseline",
        "save",
        &fixture_arg("viztracer/baseline.json"),
        "-o",
        out.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::read_to_string(&out).unwrap().contains("perfgate"));
}

#[cfg(unix)]
#[test]
fn a_report_file_that_is_a_symlink_or_a_device_is_written_into_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    std::fs::write(&real, "old").unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let trace = fixture_arg("viztracer/baseline.json");
    let (code, _, stderr) =
        output_of(perfgate().args(["summary", &trace, "--json", link.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert!(report["operations"].is_array());
    // /dev/stdout: the JSON reaches standard output, and /dev/null stays a device.
    let (code, stdout, stderr) = output_of(perfgate().args([
        "summary",
        &trace,
        "--json",
        "/dev/stdout",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.matches("\"operations\"").count(), 2, "{stdout}");
    let (code, _, stderr) = output_of(perfgate().args(["summary", &trace, "--json", "/dev/null"]));
    assert_eq!(code, 0, "{stderr}");
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(
        &meta.file_type()
    ));
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_step_summary_fails_before_any_report_is_written_or_printed() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let (code, stdout, stderr) =
        output_of(perfgate().env("GITHUB_STEP_SUMMARY", "/dev/full").args([
            "summary",
            &fixture_arg("viztracer/baseline.json"),
            "--github",
            "--json",
            json.to_str().unwrap(),
        ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("GITHUB_STEP_SUMMARY"), "{stderr}");
    assert!(!json.exists(), "no report file");
    assert!(stdout.is_empty(), "nothing printed: {stdout}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "no temporary file left: {left:?}");
}
