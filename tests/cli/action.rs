//! The GitHub Action's scripts run locally with a fake `GITHUB_*` environment: the job
//! summary, step outputs and annotations perfgate writes, the sticky comment (created once,
//! then edited) through a stub `gh` on PATH that records its arguments, and the artifact left
//! for fork pull requests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Whether bash can be run; when it cannot, fails on CI and skips visibly elsewhere.
fn have_bash() -> bool {
    crate::common::have("bash")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fake runner: temp files for the GitHub environment and a `gh` stub that logs each call
/// (one line of arguments) and copies the comment body it was given.
struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let gh = bin.join("gh");
        std::fs::write(
            &gh,
            r#"#!/bin/sh
printf '%s\n' "$*" >>"$GH_LOG"
for a in "$@"; do
    case "$a" in body=@*) cp "${a#body=@}" "$GH_BODY" ;; esac
done
case "$*" in
    *--paginate*)
        if [ -n "$GH_PAGES" ]; then
            # Canned pages of comments, filtered by the real jq as gh --jq does per page.
            while [ "$1" != "--jq" ]; do shift; done
            for page in $GH_PAGES; do jq -r "$2" "$page" || exit 1; done
        elif [ -n "$GH_EXISTING" ]; then
            printf '%s\n' "$GH_EXISTING"
        fi ;;
    *"/pulls/"*) echo "$GH_HEAD_SHA" ;;
    *"--method PATCH"*)
        [ -z "$GH_FAIL" ] || { echo "HTTP 403: Resource not accessible by integration" >&2; exit 1; }
        echo "https://github.invalid/comment/patched" ;;
    *"--method POST"*)
        [ -z "$GH_FAIL" ] || { echo "HTTP 403: Resource not accessible by integration" >&2; exit 1; }
        echo "https://github.invalid/comment/new" ;;
esac
"#,
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        for f in ["summary.md", "output.txt", "gh.log"] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        std::fs::create_dir_all(dir.path().join("workspace")).unwrap();
        Runner { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// Runs a script of scripts/action (`"name arg..."`) with the fake environment plus `env`.
    fn run(&self, script: &str, env: &[(&str, &str)]) -> Output {
        let perfgate_dir = PathBuf::from(env!("CARGO_BIN_EXE_perfgate"))
            .parent()
            .unwrap()
            .to_path_buf();
        let path = format!(
            "{}:{}:{}",
            self.path("bin").display(),
            perfgate_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut words = script.split_whitespace();
        let name = words.next().expect("a script name");
        let mut cmd = Command::new("bash");
        cmd.arg(root().join("scripts/action").join(name))
            .args(words)
            .current_dir(root())
            .env_clear()
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_REPOSITORY", "acme/service")
            // The checkout is the current directory (root()); the workspace is where the
            // action writes its files, a directory of its own per test.
            .env("GITHUB_WORKSPACE", self.path("workspace"))
            .env("GITHUB_STEP_SUMMARY", self.path("summary.md"))
            .env("GITHUB_OUTPUT", self.path("output.txt"))
            .env("RUNNER_TEMP", self.dir.path())
            .env("GH_TOKEN", "fake-token")
            .env("GH_LOG", self.path("gh.log"))
            .env("GH_BODY", self.path("body.md"))
            .env("GH_EXISTING", "")
            .env("GH_PAGES", "")
            .env("GH_FAIL", "")
            .env("GH_HEAD_SHA", "");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// The `name=value` step outputs.
    fn outputs(&self) -> HashMap<String, String> {
        self.read("output.txt")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn the_comment_is_created_once_then_edited_in_place() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    std::fs::write(runner.path("c.md"), "## perfgate\nall good\n").unwrap();
    let body = runner.path("c.md").display().to_string();
    let env = [
        ("PR_NUMBER", "17"),
        ("COMMENT_ID", "perf"),
        ("BODY_FILE", body.as_str()),
    ];
    let out = runner.run("comment.sh", &env);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let log = runner.read("gh.log");
    let calls: Vec<&str> = log.lines().collect();
    assert_eq!(calls.len(), 2, "{log}");
    assert!(calls[0].contains("repos/acme/service/issues/17/comments"));
    assert!(
        calls[0].contains("<!-- perfgate:perf -->"),
        "found by its marker"
    );
    assert!(calls[1].starts_with("api --method POST repos/acme/service/issues/17/comments"));
    // The marker is added to a body that lacks it, so the next run finds the comment.
    assert!(
        runner
            .read("body.md")
            .starts_with("<!-- perfgate:perf -->\n## perfgate")
    );
    assert_eq!(
        runner.outputs()["comment-url"],
        "https://github.invalid/comment/new"
    );

    // A second run finds comment 4242 by its marker and edits it (the stub prints what
    // the --jq filter gives: the author's type and the id).
    std::fs::write(runner.path("gh.log"), "").unwrap();
    let mut env2 = env.to_vec();
    env2.push(("GH_EXISTING", "Bot 4242"));
    let out = runner.run("comment.sh", &env2);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let log = runner.read("gh.log");
    assert!(
        log.lines()
            .nth(1)
            .unwrap()
            .starts_with("api --method PATCH repos/acme/service/issues/comments/4242"),
        "{log}"
    );
    assert!(!log.contains("POST"));
}

#[test]
fn the_comment_script_refuses_bad_input() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    std::fs::write(runner.path("c.md"), "x\n").unwrap();
    let body = runner.path("c.md").display().to_string();
    for (pr, id) in [("17; rm -rf /", "perf"), ("17", "a b\"c")] {
        let out = runner.run(
            "comment.sh",
            &[("PR_NUMBER", pr), ("COMMENT_ID", id), ("BODY_FILE", &body)],
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stdout).starts_with("::error"),
            "{}",
            text(&out.stdout)
        );
    }
    assert_eq!(runner.read("gh.log"), "", "gh was never called");
}

/// perfgate fits the comment to GitHub's 65,536 characters; the script sends it as it is,
/// however many bytes its characters take (it used to cut again at 65,000 bytes, losing the
/// `<details>` and the note perfgate had fitted).
#[test]
fn a_comment_perfgate_fitted_is_sent_whole_and_a_longer_one_is_refused() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    let marker = "<!-- perfgate:p -->\n";
    let row = "| op (café.py) | 1.0ms → 2.0ms |\n";
    let rows = (65_536 - marker.chars().count()) / row.chars().count();
    let fitted = format!("{marker}{}", row.repeat(rows));
    assert!(fitted.len() > 65_536, "more bytes than characters");
    std::fs::write(runner.path("c.md"), &fitted).unwrap();
    let body = runner.path("c.md").display().to_string();
    let env = [
        ("PR_NUMBER", "3"),
        ("COMMENT_ID", "p"),
        ("BODY_FILE", body.as_str()),
    ];
    let out = runner.run("comment.sh", &env);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert_eq!(runner.read("body.md"), fitted, "sent as perfgate wrote it");

    let runner = Runner::new();
    std::fs::write(runner.path("c.md"), format!("{fitted}{row}")).unwrap();
    let body = runner.path("c.md").display().to_string();
    let env = [
        ("PR_NUMBER", "3"),
        ("COMMENT_ID", "p"),
        ("BODY_FILE", body.as_str()),
    ];
    let out = runner.run("comment.sh", &env);
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("::error") && stdout.contains("65,536"),
        "{stdout}"
    );
    assert_eq!(runner.read("gh.log"), "", "gh was never called");
}

#[test]
fn a_marker_in_someone_elses_comment_does_not_divert_the_report() {
    if !have_bash() {
        return;
    }
    if !crate::common::have("jq") {
        return;
    }
    let runner = Runner::new();
    // Two pages, as gh --paginate reads them: a user's comment quoting the marker comes
    // first, the bot's own comment is on the second page.
    std::fs::write(
        runner.path("page1.json"),
        r#"[{"id": 11, "user": {"login": "alice", "type": "User"}, "body": "hm"},
            {"id": 12, "user": {"login": "mallory", "type": "User"}, "body": "<!-- perfgate:perf -->\nmine"}]"#,
    )
    .unwrap();
    std::fs::write(
        runner.path("page2.json"),
        r#"[{"id": 13, "user": {"login": "github-actions[bot]", "type": "Bot"}, "body": "<!-- perfgate:perf -->\nreport"}]"#,
    )
    .unwrap();
    std::fs::write(runner.path("c.md"), "report\n").unwrap();
    let pages = format!(
        "{} {}",
        runner.path("page1.json").display(),
        runner.path("page2.json").display()
    );
    let body = runner.path("c.md").display().to_string();
    let mut env = vec![
        ("PR_NUMBER", "17"),
        ("COMMENT_ID", "perf"),
        ("BODY_FILE", body.as_str()),
        ("GH_PAGES", pages.as_str()),
    ];
    let out = runner.run("comment.sh", &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = runner.read("gh.log");
    assert!(
        log.contains("--method PATCH repos/acme/service/issues/comments/13"),
        "{log}"
    );
    // With a personal token nobody is a bot: the first comment with the marker is ours.
    std::fs::write(runner.path("gh.log"), "").unwrap();
    let first_page = runner.path("page1.json").display().to_string();
    env.retain(|(k, _)| *k != "GH_PAGES");
    env.push(("GH_PAGES", first_page.as_str()));
    assert!(runner.run("comment.sh", &env).status.success());
    assert!(
        runner
            .read("gh.log")
            .contains("--method PATCH repos/acme/service/issues/comments/12")
    );
}

#[test]
fn a_comment_the_token_cannot_write_is_left_as_an_artifact() {
    if !have_bash() {
        return;
    }
    // A same-repository PR with a read-only token (Dependabot's): the POST is refused.
    let runner = Runner::new();
    let mut inputs = pr_inputs("viztracer/regressed.json");
    inputs.push(("GH_FAIL", "1".to_string()));
    let out = run_action(&runner, &inputs);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "perfgate's verdict, not the comment's: {stdout}"
    );
    assert!(
        stdout.contains("::warning title=perfgate::could not write the PR comment"),
        "{stdout}"
    );
    let dir = PathBuf::from(&runner.outputs()["comment-artifact"]);
    let body = std::fs::read_to_string(dir.join("comment.md")).unwrap();
    assert!(body.contains(r"traverse\_graph"));
    assert_eq!(
        std::fs::read_to_string(dir.join("pr-number")).unwrap(),
        "17\n"
    );
}

/// The inputs of a same-repository pull request comparing the committed example baseline
/// with `after`.
fn pr_inputs(after: &str) -> Vec<(&'static str, String)> {
    vec![
        ("INPUT_BEFORE", "baselines/diagnostic.json".to_string()),
        ("INPUT_AFTER", format!("tests/fixtures/{after}")),
        ("INPUT_COMMENT", "true".to_string()),
        ("INPUT_COMMENT_ID", "perf".to_string()),
        ("PR_NUMBER", "17".to_string()),
        ("PR_HEAD_REPO", "acme/service".to_string()),
    ]
}

fn run_action(runner: &Runner, inputs: &[(&'static str, String)]) -> Output {
    let env: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    runner.run("run.sh", &env)
}

#[test]
fn a_regression_fails_the_step_with_summary_annotations_outputs_and_one_comment() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    let out = run_action(&runner, &pr_inputs("viztracer/regressed.json"));
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    // Annotations (the runner reads workflow commands on stdout and stderr) name the
    // regressed operation.
    let stderr = text(&out.stderr);
    let errors: Vec<&str> = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert!(
        errors.iter().any(|l| l.contains("traverse_graph")),
        "{stdout}"
    );
    // The job summary is the Markdown report (which escapes `_`).
    let summary = runner.read("summary.md");
    assert!(summary.contains(r"traverse\_graph"), "{summary}");
    // Outputs: perfgate's verdict, and the script's exit code and file paths.
    let outputs = runner.outputs();
    assert_eq!(outputs["verdict"], "fail");
    assert_eq!(outputs["exit-code"], "1");
    // The JUnit file is inside the workspace (a Docker test-report action cannot read
    // $RUNNER_TEMP), with the comment id in its name.
    let workspace_junit = runner.path("workspace/.perfgate/junit-perf.xml");
    assert_eq!(Path::new(&outputs["junit"]), workspace_junit);
    let junit = std::fs::read_to_string(&outputs["junit"]).unwrap();
    assert!(junit.contains("<testsuite") && junit.contains("traverse_graph"));
    // One comment, created, carrying the marker and the report.
    let log = runner.read("gh.log");
    assert!(
        log.contains("--method POST repos/acme/service/issues/17/comments"),
        "{log}"
    );
    let body = runner.read("body.md");
    assert!(body.starts_with("<!-- perfgate:perf -->"), "{body}");
    assert!(body.contains(r"traverse\_graph"));
}

#[test]
fn the_pictures_are_written_for_upload_and_linked_from_comment_and_summary() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    let mut inputs = pr_inputs("viztracer/regressed.json");
    inputs.push(("GITHUB_SERVER_URL", "https://forge.invalid".to_string()));
    inputs.push(("GITHUB_RUN_ID", "4242".to_string()));
    let out = run_action(&runner, &inputs);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // The directory action.yml uploads as an artifact holds the page and the graph.
    let pictures = PathBuf::from(&runner.outputs()["pictures"]);
    let html = std::fs::read_to_string(pictures.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("traverse_graph"));
    let svg = std::fs::read_to_string(pictures.join("flamegraph.svg")).unwrap();
    assert!(svg.contains("<svg"), "{svg}");
    // Both the comment and the job summary link to the run's artifacts.
    let link =
        "[perfgate-pictures-perf](https://forge.invalid/acme/service/actions/runs/4242#artifacts)";
    assert!(
        runner.read("body.md").contains(link),
        "{}",
        runner.read("body.md")
    );
    assert!(runner.read("summary.md").contains(link));
    // action.yml uploads that directory under that name.
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    assert!(action.contains("name: perfgate-pictures-${{ inputs.comment-id }}"));
    assert!(action.contains("path: ${{ steps.run.outputs.pictures }}"));
}

#[test]
fn the_pictures_link_is_left_out_of_a_comment_already_at_the_limit() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    // A stand-in perfgate (first on PATH) that fills the comment to GitHub's 65,536
    // characters, as perfgate does with a long report, and writes the pictures.
    let stub = runner.path("bin/perfgate");
    std::fs::write(
        &stub,
        r#"#!/bin/sh
while [ $# -gt 0 ]; do
    case "$1" in
        --markdown) md=$2 ;;
        --html) html=$2 ;;
        --flamegraph) svg=$2 ;;
    esac
    shift
done
{ printf '<!-- perfgate:perf -->\n'; head -c 65512 /dev/zero | tr '\0' x; printf '\n'; } >"$md"
echo '<!DOCTYPE html>' >"$html"
echo '<svg/>' >"$svg"
exit 1
"#,
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut inputs = pr_inputs("viztracer/regressed.json");
    inputs.push(("GITHUB_SERVER_URL", "https://forge.invalid".to_string()));
    inputs.push(("GITHUB_RUN_ID", "4242".to_string()));
    let out = run_action(&runner, &inputs);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // The comment is posted whole, without the link that would not fit; the summary has it.
    let body = runner.read("body.md");
    assert_eq!(body.chars().count(), 65_536, "sent as perfgate wrote it");
    assert!(!body.contains("perfgate-pictures-perf"));
    assert!(runner.read("summary.md").contains("perfgate-pictures-perf"));
}

#[test]
fn the_junit_input_chooses_where_the_file_goes() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    let mut inputs = pr_inputs("viztracer/regressed.json");
    let chosen = runner.path("workspace/reports/perf/junit.xml");
    inputs.push(("INPUT_JUNIT", chosen.display().to_string()));
    let out = run_action(&runner, &inputs);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(Path::new(&runner.outputs()["junit"]), chosen);
    let junit = std::fs::read_to_string(&chosen).unwrap();
    assert!(junit.contains("traverse_graph"));
    assert!(!runner.path("workspace/.perfgate").exists());
}

#[test]
fn a_clean_run_passes_and_edits_the_existing_comment() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    let mut inputs = pr_inputs("viztracer/aa_shifted.json");
    inputs.push(("GH_EXISTING", "Bot 99".to_string()));
    let out = run_action(&runner, &inputs);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(!text(&out.stdout).contains("::error") && !text(&out.stderr).contains("::error"));
    assert_eq!(runner.outputs()["exit-code"], "0");
    let log = runner.read("gh.log");
    assert!(
        log.contains("--method PATCH repos/acme/service/issues/comments/99"),
        "{log}"
    );
    assert!(!log.contains("POST"));
}

#[test]
fn a_fork_pull_request_leaves_the_comment_as_an_artifact() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    let mut inputs = pr_inputs("viztracer/regressed.json");
    inputs.retain(|(k, _)| *k != "PR_HEAD_REPO");
    inputs.push(("PR_HEAD_REPO", "stranger/service".to_string()));
    let out = run_action(&runner, &inputs);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("::notice title=perfgate::fork pull request"));
    assert_eq!(
        runner.read("gh.log"),
        "",
        "no API call with a read-only token"
    );
    let dir = PathBuf::from(&runner.outputs()["comment-artifact"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("pr-number")).unwrap(),
        "17\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("comment-id")).unwrap(),
        "perf\n"
    );
    let body = std::fs::read_to_string(dir.join("comment.md")).unwrap();
    assert!(body.contains("<!-- perfgate:perf -->") && body.contains(r"traverse\_graph"));
}

#[test]
fn missing_inputs_are_an_error_before_anything_runs() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    let out = runner.run("run.sh", &[("INPUT_AFTER", "x.json")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).starts_with("::error"));
    // record: true traces both sides itself; a before or after given with it is a mistake.
    let out = runner.run(
        "run.sh",
        &[("INPUT_RECORD", "true"), ("INPUT_BEFORE", "b.json")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stdout).contains("leave 'before' and 'after' empty"),
        "{}",
        text(&out.stdout)
    );
}

/// The `run:` scripts of a workflow or action file: the line after `run:` and the lines
/// indented deeper than the key.
fn run_blocks(yaml: &str) -> Vec<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut blocks = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start().trim_start_matches("- ");
        let Some(rest) = trimmed.strip_prefix("run:") else {
            continue;
        };
        let mut block = vec![rest.to_string()];
        block.extend(
            lines[i + 1..]
                .iter()
                .take_while(|l| l.trim().is_empty() || indent(l) > indent(line))
                .map(|l| l.to_string()),
        );
        blocks.push(block.join("\n"));
    }
    blocks
}

#[test]
fn inputs_reach_scripts_only_through_the_environment() {
    for file in ["action.yml", ".github/actions/post-comment/action.yml"] {
        let yaml = std::fs::read_to_string(root().join(file)).unwrap();
        let blocks = run_blocks(&yaml);
        assert!(
            blocks.len() >= 2 || file.contains("post-comment"),
            "{file}: {blocks:?}"
        );
        for block in &blocks {
            assert!(
                !block.contains("${{"),
                "{file}: expression inside a script:\n{block}"
            );
        }
        // Every run step names its shell, as composite actions require.
        assert_eq!(
            yaml.matches("run:").count(),
            yaml.matches("shell: bash").count(),
            "{file}"
        );
    }
    for workflow in ["ci.yml", "perf-gate-example.yml", "perf-gate-comment.yml"] {
        let yaml =
            std::fs::read_to_string(root().join(".github/workflows").join(workflow)).unwrap();
        for block in run_blocks(&yaml) {
            assert!(
                !block.contains("${{"),
                "{workflow}: expression inside a script:\n{block}"
            );
        }
    }
    for script in ["run.sh", "comment.sh", "install.sh"] {
        let text = std::fs::read_to_string(root().join("scripts/action").join(script)).unwrap();
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect();
        assert!(!code.contains("${{"), "{script}");
    }
}

#[test]
fn the_install_cache_key_is_deterministic() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    let root_arg = root().display().to_string();
    let env = [
        ("GITHUB_ACTION_PATH", root_arg.as_str()),
        ("RUNNER_OS", "Linux"),
    ];
    for _ in 0..2 {
        let out = runner.run("install.sh key", &env);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let outputs = runner.read("output.txt");
    let keys: Vec<&str> = outputs.lines().filter(|l| l.starts_with("key=")).collect();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1], "the key is deterministic");
    assert!(keys[0].starts_with("key=perfgate-Linux-"), "{}", keys[0]);
}

#[test]
fn the_workflow_run_half_posts_the_artifact_only_for_the_commit_it_is_about() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    let yaml =
        std::fs::read_to_string(root().join(".github/actions/post-comment/action.yml")).unwrap();
    let block = run_blocks(&yaml).pop().expect("the post step");
    let script = runner.path("post.sh");
    std::fs::write(&script, block.trim_start_matches(" |")).unwrap();
    let artifact = runner.path("artifact");
    std::fs::create_dir_all(&artifact).unwrap();
    std::fs::write(artifact.join("pr-number"), "17\n").unwrap();
    std::fs::write(artifact.join("comment-id"), "perfgate\n").unwrap();
    std::fs::write(artifact.join("comment.md"), "report\n").unwrap();
    let action_path = root()
        .join(".github/actions/post-comment")
        .display()
        .to_string();
    let artifact_dir = artifact.display().to_string();
    let env = |head: &'static str| {
        vec![
            ("GITHUB_ACTION_PATH", action_path.clone()),
            ("ARTIFACT_DIR", artifact_dir.clone()),
            ("HEAD_SHA", "abc123".to_string()),
            ("GH_HEAD_SHA", head.to_string()),
        ]
    };
    let run = |env: Vec<(&'static str, String)>| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        runner.run(&script.display().to_string(), &env)
    };
    // The PR moved on since the run that made the artifact: a notice, no comment, no failure.
    let out = run(env("fff999"));
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("::notice::perfgate: PR #17 is at fff999"));
    assert!(!runner.read("gh.log").contains("--method"));
    // At the commit: the comment is created, found by its marker.
    let out = run(env("abc123"));
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let log = runner.read("gh.log");
    assert!(
        log.contains("--method POST repos/acme/service/issues/17/comments"),
        "{log}"
    );
    assert!(
        runner
            .read("body.md")
            .starts_with("<!-- perfgate:perfgate -->\nreport")
    );
}

#[test]
fn the_sarif_input_writes_a_log_for_upload_sarif_and_names_it_in_the_outputs() {
    if !have_bash() {
        return;
    }
    let runner = Runner::new();
    let mut inputs = pr_inputs("viztracer/regressed.json");
    let chosen = runner.path("workspace/.perfgate/perfgate.sarif");
    inputs.push(("INPUT_SARIF", chosen.display().to_string()));
    let out = run_action(&runner, &inputs);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(Path::new(&runner.outputs()["sarif"]), chosen);
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&chosen).unwrap()).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["level"] == "error"
            && r["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("traverse_graph")),
        "{log:#}"
    );

    // Without the input, no SARIF log and no output.
    let runner = Runner::new();
    let out = run_action(&runner, &pr_inputs("viztracer/regressed.json"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!runner.outputs().contains_key("sarif"));
}
