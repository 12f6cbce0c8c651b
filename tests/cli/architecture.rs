//! The direction of data (docs/architecture.md), checked on the source: each stage may import
//! only the stages before it. A `use crate::report::…` in the comparison, or a sentence-writing
//! helper of a renderer pulled into a detector, fails here.

use std::path::{Path, PathBuf};

/// Which top-level modules (`crate::NAME`) a stage must not import.
const RULES: &[(&str, &[&str])] = &[
    // Readers know only the span model.
    (
        "trace",
        &[
            "ops", "outcome", "budget", "detect", "config", "compare", "baseline", "report",
            "commands", "cli", "hook",
        ],
    ),
    (
        "ops",
        &[
            "outcome", "budget", "detect", "config", "compare", "baseline", "report", "commands",
            "cli", "hook",
        ],
    ),
    // The outcome is a leaf written by analysis: it may name operations' figures, nothing else.
    (
        "outcome",
        &[
            "trace", "budget", "detect", "config", "compare", "baseline", "report", "commands",
            "cli", "hook",
        ],
    ),
    // Analysis never imports the renderers, the CLI or the commands.
    ("budget", &["report", "commands", "cli", "hook"]),
    ("detect", &["report", "commands", "cli", "hook"]),
    ("config", &["report", "commands", "cli", "hook"]),
    (
        "compare",
        &["report", "commands", "cli", "hook", "budget", "detect"],
    ),
    ("baseline", &["report", "commands", "cli"]),
    // Renderers format the outcome; they decide nothing and read no input.
    (
        "report",
        &[
            "trace", "budget", "detect", "config", "compare", "baseline", "commands", "cli", "hook",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files of stage `name`: `src/NAME.rs` or everything under `src/NAME/`.
fn stage_files(src: &Path, name: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&src.join(name), &mut files);
    let single = src.join(format!("{name}.rs"));
    if single.is_file() {
        files.push(single);
    }
    files
}

#[test]
fn no_stage_imports_a_later_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    let mut checked = 0;
    for (stage, forbidden) in RULES {
        for file in stage_files(&src, stage) {
            checked += 1;
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                // Documentation may point at a later stage; code may not use it.
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for module in *forbidden {
                    if line.contains(&format!("crate::{module}::"))
                        || line.contains(&format!("crate::{module};"))
                        || line.contains(&format!("crate::{module}}}"))
                        || line.contains(&format!("crate::{{{module}"))
                    {
                        broken.push(format!(
                            "{}:{}: {stage} imports crate::{module}: {}",
                            file.strip_prefix(&src).unwrap().display(),
                            n + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked > 30,
        "only {checked} files found under {}",
        src.display()
    );
    assert!(
        broken.is_empty(),
        "imports against the pipeline:\n{}",
        broken.join("\n")
    );
}
