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

/// A trace of three calls of an operation named `name`.
fn write_trace(dir: &Path, file: &str, name: &str) -> String {
    let path = dir.join(file);
    std::fs::write(&path, trace_of(&[name], 3, 100.0)).unwrap();
    path.display().to_string()
}

#[test]
fn a_megabyte_operation_name_is_shown_shortened_in_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write_trace(dir.path(), "t.json", &"n".repeat(1_000_000));
    let (code, stdout, stderr) = output_of(
        perfgate()
            .timeout(Duration::from_secs(60))
            .args(["summary", &trace]),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("(1000000 characters)"), "{stdout}");
    assert!(stdout.len() < 20_000, "{} bytes of table", stdout.len());
    // The JSON report keeps the name whole.
    let (_, json, _) = output_of(perfgate().args(["summary", &trace, "--format", "json"]));
    assert!(json.contains(&"n".repeat(1_000_000)));
}

fn budgets_file(dir: &Path, text: &[u8]) -> String {
    let path = dir.join("budgets.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_huge_operation_pattern_is_a_configuration_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let pattern = "a".repeat(500_000);
    let budgets = budgets_file(
        dir.path(),
        format!(
            "[[budget]]\nname = \"x\"\noperation = \"{pattern}\"\ntarget = \"1ms\"\nacceptable = \"1ms..2ms\"\n"
        )
        .as_bytes(),
    );
    let trace = fixture_arg("viztracer/baseline.json");
    let (code, _, stderr) = output_of(perfgate().args(["check", &trace, "--budgets", &budgets]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("budgets.toml:3:13"), "{stderr}");
    assert!(stderr.contains("at most 1000"), "{stderr}");
    assert!(stderr.len() < 2000, "the pattern is not echoed whole");
}

#[test]
fn a_trace_given_as_the_budgets_file_is_shown_as_a_short_excerpt() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write_trace(dir.path(), "t.json", &"n".repeat(2_000_000));
    let (code, _, stderr) = output_of(perfgate().args(["check", &trace, "--budgets", &trace]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("t.json:1:1"), "{stderr}");
    assert!(stderr.len() < 2000, "{} bytes on stderr", stderr.len());
}

#[test]
fn budgets_mistakes_are_reported_once_at_their_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let trace = fixture_arg("viztracer/baseline.json");
    let latin1 = budgets_file(dir.path(), b"[compare]\nmetric = \"p95\"\n# caf\xe9\n");
    let (code, _, stderr) = output_of(perfgate().args(["check", &trace, "--budgets", &latin1]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("budgets.toml:3:6: byte 0xe9 is not UTF-8"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("is not UTF-8").count(),
        1,
        "said once: {stderr}"
    );
    let one_sample = budgets_file(dir.path(), b"[compare]\nmin_samples = 1\n");
    let (code, _, stderr) =
        output_of(perfgate().args(["compare", &trace, &trace, "--budgets", &one_sample]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("budgets.toml:2:15"), "{stderr}");
}

#[test]
fn durations_that_overflow_are_left_out_or_shown_short() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    std::fs::write(
        &path,
        r#"[{"ph":"B","name":"endless","ts":-1.7e308,"pid":1,"tid":1},
            {"ph":"E","ts":1.7e308,"pid":1,"tid":1},
            {"ph":"X","name":"huge","ts":0,"dur":1e308,"pid":1,"tid":1}]"#,
    )
    .unwrap();
    let (code, stdout, stderr) = output_of(perfgate().args(["summary", path.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains("endless"),
        "an infinite call is not kept: {stdout}"
    );
    assert!(
        stderr.contains("1 begin/end pair(s) lasted longer"),
        "{stderr}"
    );
    assert!(stdout.contains("1.00e302s"), "{stdout}");
    let longest_number = stdout
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest_number < 20, "{stdout}");
}

#[test]
fn names_in_the_markdown_link_to_no_issue_or_site() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write_trace(
        dir.path(),
        "t.json",
        "see #123 org/repo#2 https://evil.example www.evil.example",
    );
    let (code, stdout, stderr) =
        output_of(perfgate().args(["summary", &trace, "--format", "markdown"]));
    assert_eq!(code, 0, "{stderr}");
    for autolinked in ["#123", "#2", "https://", "www."] {
        assert!(!stdout.contains(autolinked), "{autolinked} in {stdout}");
    }
    assert!(stdout.contains("#&#8203;123"), "{stdout}");
}

#[test]
fn the_hook_never_removes_a_file_outside_the_repository() {
    let root = tempfile::tempdir().unwrap();
    let work = root.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let victim = root.path().join("victim.json");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::write(
        work.join("budgets.toml"),
        "[hook]\ncommand = \"true\"\ntrace = \"../victim.json\"\n",
    )
    .unwrap();
    let out = crate::hook::hook_run(&work, &crate::hook::one_ref());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("budgets.toml:3:9"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    // Nor through a symbolic link to a directory outside.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.path(), work.join("out")).unwrap();
        std::fs::write(
            work.join("budgets.toml"),
            "[hook]\ncommand = \"true\"\ntrace = \"out/victim.json\"\n",
        )
        .unwrap();
        let out = crate::hook::hook_run(&work, &crate::hook::one_ref());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("outside the repository"), "{stderr}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }
}

/// A gzip file of one event whose name is `mib` MiB of one letter: a few KiB on disk.
fn gzip_bomb(dir: &Path, mib: usize) -> String {
    use std::io::Write;
    let path = dir.join("bomb.json.gz");
    let file = std::fs::File::create(&path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
    gz.write_all(br#"[{"ph":"X","ts":1,"dur":1,"pid":1,"tid":1,"name":""#)
        .unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..mib {
        gz.write_all(&chunk).unwrap();
    }
    gz.write_all(br#""}]"#).unwrap();
    gz.finish().unwrap();
    path.display().to_string()
}

#[test]
fn a_gzip_bomb_of_one_string_is_an_error_at_its_byte_not_all_the_memory() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = gzip_bomb(dir.path(), 3);
    assert!(std::fs::metadata(&bomb).unwrap().len() < 100_000);
    let (code, _, stderr) = output_of(
        perfgate()
            .env("PERFGATE_MAX_VALUE_BYTES", (1 << 20).to_string())
            .args(["summary", &bomb]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("bomb.json.gz: byte 1: one JSON value (an event) runs past 1 MiB"),
        "{stderr}"
    );
    // A limit that is not whole mebibytes is named in bytes (not "0 MiB").
    let (code, _, stderr) = output_of(
        perfgate()
            .env("PERFGATE_MAX_VALUE_BYTES", "5000")
            .args(["summary", &bomb]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("byte 1: one JSON value (an event) runs past 5000 bytes, the limit"),
        "{stderr}"
    );
    // Under the default limit of 64 MiB the event is read, and its name refused by the name
    // limit (1 MiB by default).
    let (code, _, stderr) = output_of(perfgate().args(["summary", &bomb]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("byte 1: a name of 3145728 bytes, over the limit of 1048576"),
        "{stderr}"
    );
}

#[test]
fn distinct_names_past_the_limit_are_an_error_at_the_event_that_adds_one() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..101).map(|i| format!("op{i:03}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let trace = dir.path().join("many.json");
    let text = trace_of(&names, 1, 10.0);
    std::fs::write(&trace, &text).unwrap();
    let trace = trace.display().to_string();
    let at = text.find(r#""name":"op100""#).unwrap();
    let event_start = text[..at].rfind('{').unwrap();
    let (code, _, stderr) = output_of(
        perfgate()
            .env("PERFGATE_MAX_NAMES", "100")
            .args(["summary", &trace]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "many.json: byte {event_start}: more than 100 distinct names"
        )),
        "{stderr}"
    );
    let (code, _, stderr) = output_of(
        perfgate()
            .env("PERFGATE_MAX_NAMES", "101")
            .args(["summary", &trace]),
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = output_of(
        perfgate()
            .env("PERFGATE_MAX_NAMES", "lots")
            .args(["summary", &trace]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("PERFGATE_MAX_NAMES"), "{stderr}");
}
