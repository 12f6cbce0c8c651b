//! The workflows and the Actions' metadata against GitHub's JSON schemas (SchemaStore's
//! github-workflow.json and github-action.json, as vendored by check-jsonschema: its builtin
//! `vendor.github-workflows` and `vendor.github-actions`), and shown to reject a broken one.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{python_with, tool_available};

fn check(python: &Path, schema: &str, files: &[PathBuf]) -> (bool, String) {
    let out = Command::new(python)
        .args(["-m", "check_jsonschema", "--builtin-schema", schema])
        .args(files)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn workflows_and_actions_follow_the_github_schemas() {
    let python = python_with("check_jsonschema");
    if !tool_available(
        "Python with check-jsonschema (.ci/requirements.txt)",
        python.is_some(),
    ) {
        return;
    }
    let python = python.unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workflows = yaml_files(&root.join(".github/workflows"));
    assert!(workflows.len() >= 4, "{workflows:?}");
    let (ok, out) = check(&python, "vendor.github-workflows", &workflows);
    assert!(ok, "{out}");
    let mut actions = vec![root.join("action.yml")];
    for dir in std::fs::read_dir(root.join(".github/actions")).unwrap() {
        actions.push(dir.unwrap().path().join("action.yml"));
    }
    let (ok, out) = check(&python, "vendor.github-actions", &actions);
    assert!(ok, "{out}");
    // Not vacuous: a description holding `key: value` unquoted (what action.yml had) fails
    // to parse, and a step without `uses`/`run` breaks the schema.
    let dir = tempfile::tempdir().unwrap();
    let bad_action = dir.path().join("action.yml");
    std::fs::write(
        &bad_action,
        "name: x\ndescription: x\ninputs:\n  a:\n    description: with `record: true`\nruns:\n  using: composite\n  steps:\n    - shell: bash\n",
    )
    .unwrap();
    let (ok, out) = check(&python, "vendor.github-actions", &[bad_action]);
    assert!(
        !ok && out.contains("mapping values are not allowed"),
        "{out}"
    );
    let bad_workflow = dir.path().join("w.yml");
    std::fs::write(
        &bad_workflow,
        "on: push\njobs:\n  a:\n    steps:\n      - name: x\n",
    )
    .unwrap();
    let (ok, out) = check(&python, "vendor.github-workflows", &[bad_workflow]);
    assert!(!ok, "{out}");
}
