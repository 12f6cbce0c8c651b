//! GitHub mode links the project's own source lines in every section of the PR comment and
//! the job summary: budget rows and red-flag rows as regression rows, at the pull request's
//! head commit; library operations (a module path such as `random.py`, no file of the
//! repository) are named but never linked, nor given to JUnit's `file` attribute.

use std::path::{Path, PathBuf};

use crate::common::perfgate;

const HEAD: &str = "0123456789abcdef0123456789abcdef01234567";
const MERGE: &str = "fedcba9876543210fedcba9876543210fedcba98";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped budgets plus one on a library operation of the trace (`random.py:520`).
fn budgets_with_a_library_one(dir: &Path) -> PathBuf {
    let shipped = std::fs::read_to_string(root().join("budgets.toml")).unwrap();
    let path = dir.join("budgets.toml");
    std::fs::write(
        &path,
        format!(
            "{shipped}\n[[budget]]\nname = \"Random draw\"\noperation = \"Random.uniform\"\n\
             target = \"1s\"\nflag = \"2s\"\n"
        ),
    )
    .unwrap();
    path
}

/// The PR comment and the job summary of the shipped regression example (the committed
/// baseline against the regressed trace) on a pull request whose head is `HEAD`.
fn comment_and_summary() -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        format!(r#"{{"pull_request": {{"number": 7, "head": {{"sha": "{HEAD}"}}}}}}"#),
    )
    .unwrap();
    let budgets = budgets_with_a_library_one(dir.path());
    let comment = dir.path().join("comment.md");
    let summary = dir.path().join("summary.md");
    let out = perfgate()
        .arg("compare")
        .arg(root().join("baselines/diagnostic.json"))
        .arg(root().join("tests/fixtures/viztracer/regressed.json"))
        .arg("--budgets")
        .arg(&budgets)
        .arg("--markdown")
        .arg(&comment)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/service")
        .env("GITHUB_SHA", MERGE)
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", dir.path().join("output.txt"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        std::fs::read_to_string(&comment).unwrap(),
        std::fs::read_to_string(&summary).unwrap(),
    )
}

/// The table row of `markdown` whose first cells contain `needle`.
fn row<'a>(markdown: &'a str, needle: &str) -> &'a str {
    markdown
        .lines()
        .find(|l| l.starts_with("| ") && l.contains(needle))
        .unwrap_or_else(|| panic!("no row with {needle}:\n{markdown}"))
}

/// The links of a row: (repository path, line), each checked to be at the PR head.
fn links(row: &str) -> Vec<(String, usize)> {
    let base = format!("https://github.com/acme/service/blob/{HEAD}/");
    row.split("<a href=\"")
        .skip(1)
        .map(|link| {
            let url = &link[..link.find('"').unwrap()];
            let rest = url
                .strip_prefix(&base)
                .unwrap_or_else(|| panic!("{url} is not at the PR head"));
            let (path, line) = rest.split_once("#L").unwrap();
            (path.to_string(), line.parse().unwrap())
        })
        .collect()
}

/// The function defined at line `n` of a repository file.
fn def_at(path: &str, n: usize) -> String {
    let source = std::fs::read_to_string(root().join(path)).unwrap();
    let line = source.lines().nth(n - 1).unwrap().trim_start();
    line.strip_prefix("def ")
        .and_then(|d| d.split('(').next())
        .unwrap_or_else(|| panic!("{path}:{n} is no def: {line:?}"))
        .to_string()
}

#[test]
fn budget_and_red_flag_rows_link_own_code_at_the_head_commit_and_not_libraries() {
    let (comment, summary) = comment_and_summary();
    let service = "tests/fixtures/service/diagnostic.py";
    for markdown in [&comment, &summary] {
        // The budget of traverse_graph links to its def.
        let budget = row(markdown, "Graph traversal");
        let budget_links = links(budget);
        assert_eq!(budget_links.len(), 1, "{budget}");
        let (path, line) = &budget_links[0];
        assert_eq!(path, service, "{budget}");
        assert_eq!(def_at(path, *line), "traverse_graph", "{budget}");
        assert!(
            budget.contains(&format!(">{service}:{line}</a>")),
            "{budget}"
        );

        // The repeated call_claude links to where the calls are made: decide_next.
        let finding = row(markdown, "repeated call");
        assert!(finding.contains("call\\_claude"), "{finding}");
        let finding_links = links(finding);
        assert!(!finding_links.is_empty(), "{finding}");
        let (path, line) = &finding_links[0];
        assert_eq!(path, service, "{finding}");
        assert_eq!(def_at(path, *line), "decide_next", "{finding}");

        // A library operation's budget names its module file, unlinked.
        let library = row(markdown, "Random draw");
        assert!(library.contains("random.py:"), "{library}");
        assert!(!library.contains("<a "), "{library}");

        assert!(!markdown.contains(MERGE));
    }
}

#[test]
fn junit_locates_own_budgets_and_not_library_ones_without_a_comparison() {
    // `check` has no comparison to learn the origin from: the budget result carries it.
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    std::fs::write(
        &budgets,
        "[[budget]]\nname = \"Random draw\"\noperation = \"Random.uniform\"\n\
         target = \"1us\"\nflag = \"2us\"\n\
         [[budget]]\nname = \"Graph traversal\"\noperation = \"traverse_graph\"\n\
         target = \"5ms\"\nflag = \"10ms\"\n",
    )
    .unwrap();
    let junit = dir.path().join("check.xml");
    let out = perfgate()
        .current_dir(root())
        .arg("check")
        .arg("tests/fixtures/viztracer/regressed.json")
        .arg("--budgets")
        .arg(&budgets)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let testcase = |name: &str| {
        xml.lines()
            .find(|l| l.contains(&format!("<testcase name=\"{name} [p95]\"")))
            .unwrap_or_else(|| panic!("no testcase {name}:\n{xml}"))
            .to_string()
    };
    let library = testcase("Random draw");
    assert!(!library.contains("file="), "{library}");
    let own = testcase("Graph traversal");
    let line = own
        .split("line=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("no line: {own}"));
    assert!(
        own.contains("file=\"tests/fixtures/service/diagnostic.py\""),
        "{own}"
    );
    assert_eq!(
        def_at("tests/fixtures/service/diagnostic.py", line),
        "traverse_graph"
    );
}

#[test]
fn github_annotations_point_at_own_code_and_not_at_library_module_paths() {
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    std::fs::write(
        &budgets,
        "[[budget]]\nname = \"Random draw\"\noperation = \"Random.uniform\"\n\
         target = \"1us\"\nflag = \"2us\"\n\
         [[budget]]\nname = \"Graph traversal\"\noperation = \"traverse_graph\"\n\
         target = \"5ms\"\nflag = \"10ms\"\n",
    )
    .unwrap();
    let out = perfgate()
        .current_dir(root())
        .args([
            "compare",
            "baselines/diagnostic.json",
            "tests/fixtures/viztracer/regressed.json",
            "--github",
            "--budgets",
        ])
        .arg(&budgets)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Workflow commands go to standard error, beside the diagnostics.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let annotation = |title: &str| {
        stderr
            .lines()
            .find(|l| l.starts_with("::") && l.contains(title))
            .unwrap_or_else(|| panic!("no annotation {title}:\n{stderr}"))
            .to_string()
    };
    let library = annotation("budget Random draw");
    assert!(!library.contains("file="), "{library}");
    let own = annotation("budget Graph traversal");
    let line: usize = own
        .split("line=")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line: {own}"));
    assert!(
        own.contains("file=tests/fixtures/service/diagnostic.py,"),
        "{own}"
    );
    assert_eq!(
        def_at("tests/fixtures/service/diagnostic.py", line),
        "traverse_graph"
    );
}

#[test]
fn sarif_and_codequality_locate_own_budgets_and_not_library_ones_without_a_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    std::fs::write(
        &budgets,
        "[[budget]]\nname = \"Random draw\"\noperation = \"Random.uniform\"\n\
         target = \"1us\"\nflag = \"2us\"\n\
         [[budget]]\nname = \"Graph traversal\"\noperation = \"traverse_graph\"\n\
         target = \"5ms\"\nflag = \"10ms\"\n",
    )
    .unwrap();
    let sarif = dir.path().join("check.sarif");
    let codequality = dir.path().join("check.codequality.json");
    let out = perfgate()
        .current_dir(root())
        .args([
            "check",
            "tests/fixtures/viztracer/regressed.json",
            "--budgets",
        ])
        .arg(&budgets)
        .arg("--sarif")
        .arg(&sarif)
        .arg("--codequality")
        .arg(&codequality)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // GitLab Code Quality, the same way.
    let issues: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&codequality).unwrap()).unwrap();
    let issue = |budget: &str| {
        let issue = issues
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["description"].as_str().unwrap().contains(budget))
            .unwrap_or_else(|| panic!("no issue {budget}: {issues:#}"));
        (
            issue["location"]["path"].as_str().unwrap().to_string(),
            issue["location"]["lines"]["begin"].as_u64().unwrap() as usize,
        )
    };
    assert_eq!(
        issue("Random draw"),
        ("tests/fixtures/viztracer/regressed.json".to_string(), 1)
    );
    let (path, line) = issue("Graph traversal");
    assert_eq!(path, "tests/fixtures/service/diagnostic.py");
    assert_eq!(def_at(&path, line), "traverse_graph");
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let location = |rule: &str| {
        let result = log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ruleId"] == rule)
            .unwrap_or_else(|| panic!("no result {rule}: {log:#}"));
        let physical = &result["locations"][0]["physicalLocation"];
        (
            physical["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string(),
            physical["region"]["startLine"].as_u64().unwrap() as usize,
        )
    };
    // A library operation: the trace stands in for the location (SARIF needs one).
    assert_eq!(
        location("perfgate/budget/Random draw"),
        ("tests/fixtures/viztracer/regressed.json".to_string(), 1)
    );
    let (path, line) = location("perfgate/budget/Graph traversal");
    assert_eq!(path, "tests/fixtures/service/diagnostic.py");
    assert_eq!(def_at(&path, line), "traverse_graph");
}
