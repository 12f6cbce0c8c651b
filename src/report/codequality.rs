//! The GitLab Code Quality renderer (`--codequality FILE`): every result that warned or failed
//! (a regression, a budget out of its target, a red flag, an incomplete trace) as one issue of
//! the JSON array GitLab shows on merge requests: `description`, `check_name`, `fingerprint`,
//! `severity` and `location.path` / `location.lines.begin`.
//!
//! The fingerprint identifies the issue, not its figures: the same regression of the same
//! operation on the next push has the same fingerprint, so GitLab tells new issues from old
//! ones. A result without a source file of the project's own code (a C function, library
//! code: its `json/decoder.py` is a module path) is placed at the first input (the trace)
//! line 1.

use serde::Serialize;

use super::text;
use crate::ops::Origin;
use crate::outcome::{BudgetResult, Comparison, Finding, InputInfo, OpChange, Report, Severity};

/// One Code Quality issue.
#[derive(Debug, Serialize)]
struct Issue {
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Debug, Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Debug, Serialize)]
struct Lines {
    begin: u32,
}

/// GitLab's scale is info, minor, major, critical, blocker: a failure of the gate is critical,
/// a warning minor.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Fail => "critical",
        Severity::Warn => "minor",
    }
}

/// What an issue is before it is placed and fingerprinted.
struct Draft {
    check: String,
    /// What identifies it across runs (operation, parent, budget name).
    identity: String,
    description: String,
    severity: Severity,
    file: Option<String>,
    line: Option<u32>,
}

pub fn render(report: &Report) -> String {
    let fallback = report
        .inputs
        .first()
        .map_or_else(|| "perfgate".to_string(), |i| i.source.clone());
    let mut drafts: Vec<Draft> = Vec::new();
    drafts.extend(report.inputs.iter().filter_map(input));
    if let Some(c) = &report.comparison {
        drafts.extend(coverage(c));
        drafts.extend(c.operations.iter().filter_map(|o| change(o, c)));
    }
    drafts.extend(report.budgets.iter().filter_map(budget));
    drafts.extend(report.findings.iter().map(finding));
    // How often each fingerprint came before: one lookup per issue (a report of 50,000
    // changed operations is not 50,000² comparisons).
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let issues: Vec<Issue> = drafts
        .into_iter()
        .map(|d| {
            let mut fingerprint = fingerprint(&d.check, &d.identity);
            // Unique within the report, as GitLab requires.
            let repeats = seen.entry(fingerprint.clone()).or_insert(0);
            *repeats += 1;
            if *repeats > 1 {
                fingerprint = format!("{fingerprint}-{repeats}");
            }
            Issue {
                description: d.description,
                check_name: d.check,
                fingerprint,
                severity: severity(d.severity),
                location: Location {
                    path: d.file.unwrap_or_else(|| fallback.clone()),
                    lines: Lines {
                        begin: d.line.unwrap_or(1).max(1),
                    },
                },
            }
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("issues always serialize");
    out.push('\n');
    out
}

fn input(i: &InputInfo) -> Option<Draft> {
    let severity = i.severity?;
    Some(Draft {
        check: "perfgate/incomplete-trace".into(),
        identity: i.source.clone(),
        description: format!(
            "perfgate: {} is incomplete: {}",
            i.source,
            i.warnings.join("; ")
        ),
        severity,
        file: Some(i.source.clone()),
        line: None,
    })
}

fn coverage(c: &Comparison) -> Option<Draft> {
    let severity = c.coverage.severity?;
    Some(Draft {
        check: "perfgate/coverage".into(),
        identity: String::new(),
        description: format!("perfgate: {}", text::coverage_problem(c)?),
        severity,
        file: None,
        line: None,
    })
}

fn change(o: &OpChange, c: &Comparison) -> Option<Draft> {
    let severity = o.severity?;
    let (file, line) = placed(&o.file, o.line, o.origin);
    Some(Draft {
        check: "perfgate/regression".into(),
        identity: o.name.clone(),
        description: format!(
            "perfgate: {}. {}",
            text::change_line(o, c.metric.as_str()),
            text::reason(o, c)
        ),
        severity,
        file,
        line,
    })
}

fn budget(b: &BudgetResult) -> Option<Draft> {
    let severity = b.severity?;
    let (file, line) = placed(&b.file, b.line, b.origin);
    Some(Draft {
        check: "perfgate/budget".into(),
        identity: b.name.clone(),
        description: format!("perfgate: {}", text::budget_line(b)),
        severity,
        file,
        line,
    })
}

fn finding(f: &Finding) -> Draft {
    let (file, line) = placed(&f.file, f.line, f.origin);
    Draft {
        check: format!("perfgate/{}", kind_name(f)),
        identity: format!(
            "{}\0{}\0{}",
            f.operation,
            f.parent.as_deref().unwrap_or(""),
            f.budget.as_deref().unwrap_or("")
        ),
        description: format!(
            "perfgate: {}. {}",
            text::finding_line(f),
            text::finding_sentence(f)
        ),
        severity: f.severity,
        file,
        line,
    }
}

/// A draft's file and line: the operation's, when it is the project's own code; else none
/// (the issue goes to the trace, line 1).
fn placed(
    file: &Option<String>,
    line: Option<u32>,
    origin: Origin,
) -> (Option<String>, Option<u32>) {
    match file {
        Some(f) if origin == Origin::Own => (Some(f.clone()), line),
        _ => (None, None),
    }
}

/// The finding's kind as the JSON report names it (`n_plus_one`, `repeated_call`).
pub(super) fn kind_name(f: &Finding) -> String {
    serde_json::to_value(f.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A stable 64-bit FNV-1a hash of the check and identity, in hex: the same issue has the same
/// fingerprint on every run and every machine.
pub(super) fn fingerprint(check: &str, identity: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in check.bytes().chain([0]).chain(identity.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("perfgate-{hash:016x}")
}

/// `--format codequality`, `--codequality FILE`.
pub struct CodeQuality;

impl super::Renderer for CodeQuality {
    fn name(&self) -> &'static str {
        "codequality"
    }

    fn help(&self) -> &'static str {
        "GitLab Code Quality JSON: every warning and failure as an issue (see docs/gitlab.md)"
    }

    fn file_help(&self) -> &'static str {
        "Also write a GitLab Code Quality report to FILE"
    }

    fn render(&self, report: &Report, _: &super::RenderSettings) -> String {
        render(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_tell_issues_apart() {
        // FNV-1a of the empty input is its offset basis; this pins the algorithm.
        assert_eq!(fingerprint("", ""), "perfgate-af63bd4c8601b7df");
        assert_eq!(fingerprint("a", "b"), fingerprint("a", "b"));
        assert_ne!(
            fingerprint("perfgate/budget", "x"),
            fingerprint("perfgate/budget", "y")
        );
        assert_ne!(fingerprint("ab", ""), fingerprint("a", "b"));
    }
}
