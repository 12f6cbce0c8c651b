//! `perfgate baseline save | merge`: stable bytes, small files, exact counts and totals, and
//! merges of shard baselines that equal one save of all their traces; `compare` with a
//! baseline on either side, read from a file or from git (`REV:PATH`, `--base-ref`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{fixture_arg, perfgate, run, run_json};
use crate::hook::{git, have_git, repo_with_remote};

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("the baseline was written");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"))
}

fn save(traces: &[&str], out: &Path) -> Value {
    let mut args = vec!["baseline".to_string(), "save".to_string()];
    args.extend(traces.iter().map(|t| fixture_arg(t)));
    args.extend(["-o".to_string(), out.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args, 0);
    read_json(out)
}

#[test]
fn saving_the_same_trace_twice_gives_the_same_small_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    save(&["viztracer/baseline.json"], &a);
    save(&["viztracer/baseline.json"], &b);
    let bytes = std::fs::read(&a).unwrap();
    assert_eq!(bytes, std::fs::read(&b).unwrap(), "not deterministic");
    assert!(bytes.len() < 200_000, "{} bytes is not small", bytes.len());
    // Diff-friendly: one operation per line.
    let doc = read_json(&a);
    let ops = doc["operations"].as_object().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.lines().count(), ops.len() + 8);
    assert_eq!(doc["perfgate_baseline"], 1);
    assert_eq!(doc["key_mode"], "file");
    assert_eq!(doc["runs"], 1);
}

/// Checks a saved baseline against `perfgate summary` of the same trace; returns the document
/// and how many operations were sampled (more calls than the cap).
fn assert_exact_figures(trace: &str) -> (Value, usize) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.json");
    let doc = save(&[trace], &out);
    let summary = run_json(&["summary", &fixture_arg(trace)], 0);
    let ops = doc["operations"].as_object().unwrap();
    let rows = summary["operations"].as_array().unwrap();
    assert_eq!(ops.len(), rows.len());
    let mut sampled = 0;
    for row in rows {
        let name = row["name"].as_str().unwrap();
        let op = &ops[name];
        let count = row["count"].as_u64().unwrap();
        assert_eq!(op["count"].as_u64(), Some(count), "{name}");
        let close = |k: &str| {
            let (a, b) = (op[k].as_f64().unwrap(), row[k].as_f64().unwrap());
            assert!((a - b).abs() <= 5e-4, "{name} {k}: {a} vs {b}");
        };
        close("total_us");
        close("min_us");
        close("max_us");
        let sample: Vec<f64> = op["sample_us"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(sample.len() as u64, count.min(200), "{name}");
        assert_eq!(sample[0], op["min_us"].as_f64().unwrap(), "{name}");
        assert_eq!(sample[sample.len() - 1], op["max_us"].as_f64().unwrap());
        assert!(sample.windows(2).all(|w| w[0] <= w[1]), "{name} unsorted");
        sampled += usize::from(count > 200);
    }
    (doc, sampled)
}

#[test]
fn a_baseline_keeps_the_exact_figures_of_the_trace() {
    let (doc, _) = assert_exact_figures("viztracer/n_plus_one.json");
    let ops = doc["operations"].as_object().unwrap();
    // The N+1 pattern survives: 120 queries, 96 of them under get_prerequisite.
    let q = &ops["execute_query (diagnostic.py)"];
    assert_eq!(q["count"], 120);
    assert_eq!(
        ops["get_prerequisite (diagnostic.py)"]["children"]["execute_query (diagnostic.py)"]["calls"],
        96
    );
}

#[test]
fn busy_operations_keep_a_bounded_sample_and_exact_totals() {
    // Chromium's startup trace has operations with thousands of calls.
    let (doc, sampled) = assert_exact_figures("chrome/startup.json.gz");
    assert!(
        sampled > 5,
        "only {sampled} operations above the sample cap"
    );
    let bytes = serde_json::to_vec(&doc).unwrap().len();
    assert!(bytes < 1_000_000, "{bytes} bytes");
}

#[test]
fn merging_shards_equals_saving_all_their_traces_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let runs: Vec<String> = (1..=5)
        .map(|i| format!("viztracer/runs/before_{i}.json"))
        .collect();
    let runs: Vec<&str> = runs.iter().map(String::as_str).collect();
    save(&runs[..2], &d.join("a.json"));
    save(&runs[2..], &d.join("b.json"));
    let all = save(&runs, &d.join("all.json"));
    let merged_path = d.join("merged.json");
    run(
        &[
            "baseline",
            "merge",
            &d.join("a.json").display().to_string(),
            &d.join("b.json").display().to_string(),
            "-o",
            &merged_path.display().to_string(),
        ],
        0,
    );
    let merged = read_json(&merged_path);
    assert_eq!(merged["runs"], 5);
    assert_eq!(merged["sources"], all["sources"]);
    let (m, a) = (
        merged["operations"].as_object().unwrap(),
        all["operations"].as_object().unwrap(),
    );
    assert_eq!(
        m.keys().collect::<Vec<_>>(),
        a.keys().collect::<Vec<_>>(),
        "same operations"
    );
    for (name, op) in a {
        let mo = &m[name];
        assert_eq!(mo["count"], op["count"], "{name}");
        for k in ["total_us", "self_us"] {
            let (x, y) = (mo[k].as_f64().unwrap(), op[k].as_f64().unwrap());
            assert!((x - y).abs() <= 2e-3, "{name} {k}: {x} vs {y}");
        }
        assert_eq!(mo["min_us"], op["min_us"], "{name}");
        assert_eq!(mo["max_us"], op["max_us"], "{name}");
        // Per-run figures are the same runs in the same order.
        assert_eq!(mo["per_run"], op["per_run"], "{name}");
        // Complete shards (every call kept) merge into exactly the sample of all calls.
        if op["count"].as_u64().unwrap() <= 200 {
            assert_eq!(mo["sample_us"], op["sample_us"], "{name}");
        }
        for (child, edge) in op["children"].as_object().into_iter().flatten() {
            assert_eq!(
                mo["children"][child]["calls"], edge["calls"],
                "{name} > {child}"
            );
        }
    }
}

#[test]
fn merging_baselines_keyed_differently_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.json"),
        dir.path().join("b.json"),
        dir.path().join("c.json"),
    );
    save(&["viztracer/runs/before_1.json"], &a);
    let trace = fixture_arg("viztracer/runs/before_2.json");
    let b_arg = b.display().to_string();
    run(
        &["baseline", "save", &trace, "--key", "name", "-o", &b_arg],
        0,
    );
    let (_, stderr) = run(
        &[
            "baseline",
            "merge",
            &a.display().to_string(),
            &b_arg,
            "-o",
            &c.display().to_string(),
        ],
        2,
    );
    assert!(
        stderr.contains("--key file") && stderr.contains("--key name"),
        "{stderr}"
    );
    assert!(!c.exists(), "nothing is written on error");
}

#[test]
fn a_broken_baseline_is_an_error_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let (a, out) = (dir.path().join("a.json"), dir.path().join("out.json"));
    save(&["viztracer/runs/before_1.json"], &a);
    let text = std::fs::read_to_string(&a).unwrap();
    let cut = text.find("\"runs\": 1").unwrap() + "\"runs\": ".len();
    std::fs::write(&a, format!("{}x{}", &text[..cut], &text[cut + 1..])).unwrap();
    let (_, stderr) = run(
        &[
            "baseline",
            "merge",
            &a.display().to_string(),
            "-o",
            &out.display().to_string(),
        ],
        2,
    );
    assert!(
        stderr.contains(&format!("a.json: byte {cut} (line 5, column 11)")),
        "{stderr}"
    );
    assert!(!out.exists());
    // A trace is not a baseline.
    let (_, stderr) = run(
        &[
            "baseline",
            "merge",
            &fixture_arg("viztracer/runs/before_1.json"),
            "-o",
            &out.display().to_string(),
        ],
        2,
    );
    assert!(stderr.contains("not a perfgate baseline"), "{stderr}");
}

#[test]
fn the_committed_example_baseline_is_what_save_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("diagnostic.json");
    let status = perfgate()
        .current_dir(root)
        .args([
            "baseline",
            "save",
            "tests/fixtures/viztracer/baseline.json",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success());
    let committed = std::fs::read(root.join("baselines/diagnostic.json")).unwrap();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        committed,
        "baselines/diagnostic.json is stale: re-save it with the command in docs/baselines.md"
    );
}

/// `perfgate compare` in `dir` with `env`, returning (code, stdout, stderr).
fn compare_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = perfgate();
    cmd.current_dir(dir).arg("compare").args(args);
    cmd.env_remove("GITHUB_BASE_REF");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The status of every operation of a compare JSON report, by name.
fn statuses(report: &Value) -> Vec<(String, String)> {
    report["comparison"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let name = o["name"].as_str().unwrap().to_string();
            (name, o["status"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn compare_judges_a_baseline_as_it_judges_its_trace() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let regressed = fixture_arg("viztracer/regressed.json");
    let committed = root.join("baselines/diagnostic.json").display().to_string();
    let from_trace = run_json(
        &[
            "compare",
            &fixture_arg("viztracer/baseline.json"),
            &regressed,
        ],
        1,
    );
    let from_baseline = run_json(&["compare", &committed, &regressed], 1);
    assert_eq!(statuses(&from_baseline), statuses(&from_trace));
    let p = |r: &Value| -> Vec<Option<f64>> {
        r["comparison"]["operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["p_value"].as_f64())
            .collect()
    };
    assert_eq!(
        p(&from_baseline),
        p(&from_trace),
        "same samples, same tests"
    );
    // The baseline is named as the before input.
    let input = &from_baseline["inputs"][0];
    assert_eq!(input["source"], committed.as_str());
    assert_eq!(input["side"], "before");
    // A baseline can stand on the after side too.
    let dir = tempfile::tempdir().unwrap();
    let after = dir.path().join("regressed.json");
    save(&["viztracer/regressed.json"], &after);
    let swapped = run_json(
        &[
            "compare",
            &fixture_arg("viztracer/baseline.json"),
            &after.display().to_string(),
        ],
        1,
    );
    let after_side = statuses(&swapped);
    assert!(
        after_side
            .iter()
            .any(|(n, s)| n == "traverse_graph (diagnostic.py)" && s == "regressed"),
        "{after_side:?}"
    );
}

#[test]
fn compare_refuses_a_baseline_keyed_differently() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b.json");
    save(&["viztracer/baseline.json"], &b);
    let (_, stderr) = run(
        &[
            "compare",
            "--key",
            "name",
            &b.display().to_string(),
            &fixture_arg("viztracer/regressed.json"),
        ],
        2,
    );
    assert!(stderr.contains("saved with --key file"), "{stderr}");
}

/// A repository where `main` holds the baseline of the clean trace and the checked-out
/// branch `feature` has re-saved it from the regressed trace (committed).
fn two_branches(root: &Path) -> PathBuf {
    let work = repo_with_remote(root);
    let save_to = |trace: &str| {
        let out = perfgate()
            .current_dir(&work)
            .args([
                "baseline",
                "save",
                &fixture_arg(trace),
                "-o",
                "baselines/d.json",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
    };
    save_to("viztracer/baseline.json");
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "baseline"]);
    git(&work, &["push", "-q", "origin", "main"]);
    git(&work, &["checkout", "-q", "-b", "feature"]);
    save_to("viztracer/regressed.json");
    git(&work, &["commit", "-q", "-am", "accept the regression"]);
    work
}

#[test]
fn compare_reads_baselines_from_git_without_a_checkout() {
    if !have_git() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = two_branches(root.path());
    let regressed = fixture_arg("viztracer/regressed.json");
    // The working tree's baseline is the regressed one: nothing regresses against it.
    let (code, _, stderr) = compare_in(&work, &["baselines/d.json", &regressed], &[]);
    assert_eq!(code, 0, "{stderr}");
    // main's baseline, read from the object database, shows the regression.
    let (code, stdout, stderr) = compare_in(&work, &["main:baselines/d.json", &regressed], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("traverse_graph"), "{stdout}");
    // --base-ref auto: the merge-base of HEAD with the default branch (origin/main here).
    for env in [vec![], vec![("GITHUB_BASE_REF", "main")]] {
        let (code, stdout, stderr) = compare_in(
            &work,
            &[
                "--base-ref",
                "auto",
                "baselines/d.json",
                &regressed,
                "--format",
                "json",
            ],
            &env,
        );
        assert_eq!(code, 1, "{env:?}: {stderr}");
        let report: Value = serde_json::from_str(&stdout).unwrap();
        let source = report["inputs"][0]["source"].as_str().unwrap();
        assert!(
            source.ends_with(":baselines/d.json (merge-base of HEAD and origin/main)"),
            "{source}"
        );
    }
    // From a subdirectory, the path is relative to it, as for any file.
    let sub = work.join("baselines");
    let (code, _, stderr) = compare_in(&sub, &["--base-ref", "main", "d.json", &regressed], &[]);
    assert_eq!(code, 1, "{stderr}");
    // The working tree was not touched.
    assert_eq!(git(&work, &["status", "--porcelain"]), "");
}

#[test]
fn git_baseline_errors_say_what_is_wrong() {
    if !have_git() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = two_branches(root.path());
    let trace = fixture_arg("viztracer/aa_shifted.json");
    let cases: [(&[&str], &str); 3] = [
        (&["nope:baselines/d.json"], "unknown revision 'nope'"),
        (
            &["main:baselines/missing.json"],
            "'baselines/missing.json' does not exist at revision 'main'",
        ),
        (
            &["--base-ref", "auto", "baselines/missing.json"],
            "does not exist at revision 'merge-base of HEAD and origin/main'",
        ),
    ];
    for (args, expected) in cases {
        let mut all = args.to_vec();
        all.push(&trace);
        let (code, _, stderr) = compare_in(&work, &all, &[]);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let outside = tempfile::tempdir().unwrap();
    let (code, _, stderr) = compare_in(outside.path(), &["main:baselines/d.json", &trace], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a git repository"), "{stderr}");
}

#[test]
fn a_shallow_clone_without_the_base_points_at_fetch_depth() {
    if !have_git() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = two_branches(root.path());
    git(&work, &["push", "-q", "origin", "feature"]);
    // What actions/checkout does by default: one commit of the PR's branch.
    let url = format!("file://{}", root.path().join("remote.git").display());
    git(
        root.path(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "feature", &url, "shallow",
        ],
    );
    let shallow = root.path().join("shallow");
    let trace = fixture_arg("viztracer/aa_shifted.json");
    let (code, _, stderr) = compare_in(
        &shallow,
        &["--base-ref", "auto", "baselines/d.json", &trace],
        &[("GITHUB_BASE_REF", "main")],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("shallow") && stderr.contains("fetch-depth: 0"),
        "{stderr}"
    );
}

#[test]
fn a_baseline_from_a_truncated_trace_says_so_wherever_it_is_compared() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cut.json");
    let doc = save(&["viztracer/truncated.json"], &out);
    let warnings = doc["warnings"]
        .as_array()
        .expect("the file keeps the warning");
    assert!(
        warnings[0].as_str().unwrap().contains("truncated"),
        "{warnings:?}"
    );
    let report = run_json(
        &[
            "compare",
            out.to_str().unwrap(),
            &fixture_arg("viztracer/baseline.json"),
            "--no-budgets",
        ],
        1,
    );
    let before = &report["inputs"][0];
    assert_eq!(before["side"], "before");
    assert!(
        before["warnings"][0]
            .as_str()
            .unwrap()
            .contains("truncated"),
        "{before}"
    );
    // A clean trace writes no warnings key at all: committed baselines keep their bytes.
    let clean = save(&["viztracer/baseline.json"], &dir.path().join("clean.json"));
    assert!(clean.get("warnings").is_none());
}
