//! GitHub Actions renderers: workflow-command annotations and step outputs.
//!
//! Only text is produced here; `commands::output` writes it to the runner's files and streams.
//! - [`annotations`]: `::error` / `::warning` lines, at most [`MAX_PER_LEVEL`] of each (the
//!   runner shows no more per step), most important first: comparison regressions by added time,
//!   then budgets by how far over their threshold, then findings by time; a `::notice` says how
//!   many were left out. `file=` and `line=` come from the report, made relative to
//!   `GITHUB_WORKSPACE` when under it, for the project's own code only (a library's module
//!   path such as `json/decoder.py` is no file of the repository). Every message and property is escaped
//!   ([`super::escape::workflow_data`], [`super::escape::workflow_property`]).
//! - [`outputs`]: `name=value` lines for `$GITHUB_OUTPUT` (values are numbers and fixed words).

use std::path::Path;

use super::escape::{workflow_data, workflow_property};
use super::text;
use crate::ops::Origin;
use crate::outcome::{
    BudgetResult, ChangeStatus, CommandKind, Comparison, Finding, Metric, OpChange, Report,
    Severity,
};

/// The runner shows at most this many annotations of each level per step.
pub const MAX_PER_LEVEL: usize = 10;

/// One annotation before formatting.
struct Annotation {
    severity: Severity,
    title: String,
    message: String,
    file: Option<String>,
    line: Option<u32>,
    /// Higher is shown first within its severity.
    weight: (u8, f64),
}

/// The annotation lines for `report`, errors first. `workspace` is `GITHUB_WORKSPACE`.
pub fn annotations(report: &Report, workspace: Option<&Path>) -> Vec<String> {
    let mut all: Vec<Annotation> = Vec::new();
    if let Some(c) = &report.comparison {
        all.extend(c.operations.iter().filter_map(|o| change(o, c)));
    }
    all.extend(report.budgets.iter().filter_map(budget));
    all.extend(report.findings.iter().map(finding));
    let mut lines = Vec::new();
    for (severity, command) in [(Severity::Fail, "error"), (Severity::Warn, "warning")] {
        let mut level: Vec<&Annotation> = all.iter().filter(|a| a.severity == severity).collect();
        level.sort_by(|a, b| {
            b.weight
                .0
                .cmp(&a.weight.0)
                .then(b.weight.1.total_cmp(&a.weight.1))
        });
        for a in level.iter().take(MAX_PER_LEVEL) {
            lines.push(format_annotation(command, a, workspace));
        }
        if level.len() > MAX_PER_LEVEL {
            lines.push(format!(
                "::notice title=perfgate::{} more {command}(s) not annotated; see the job summary or the JSON report",
                level.len() - MAX_PER_LEVEL
            ));
        }
    }
    lines
}

fn format_annotation(command: &str, a: &Annotation, workspace: Option<&Path>) -> String {
    let mut props = Vec::new();
    if let Some(file) = &a.file {
        props.push(format!(
            "file={}",
            workflow_property(&relative_to(file, workspace))
        ));
        if let Some(line) = a.line {
            props.push(format!("line={line}"));
        }
    }
    props.push(format!("title={}", workflow_property(&a.title)));
    format!(
        "::{command} {}::{}",
        props.join(","),
        workflow_data(&a.message)
    )
}

/// `file` relative to the workspace when it lies under it, else unchanged.
fn relative_to(file: &str, workspace: Option<&Path>) -> String {
    workspace
        .and_then(|w| Path::new(file).strip_prefix(w).ok())
        .map_or(file.to_string(), |rel| rel.display().to_string())
}

fn change(o: &OpChange, c: &Comparison) -> Option<Annotation> {
    let severity = o.severity?;
    let mut message = text::change_line(o, c.metric.as_str());
    if let Some(split) = text::attribution(o, 3) {
        message.push_str(&format!("\nAttribution: {split}"));
    }
    message.push_str(&format!("\n{}", text::reason(o, c)));
    let title = match o.status {
        ChangeStatus::Regressed => "perfgate: regression",
        _ => "perfgate: change",
    };
    Some(Annotation {
        severity,
        title: format!("{title}: {}", o.name),
        message,
        file: own_file(&o.file, o.origin),
        line: o.line,
        weight: (3, added_time_per_run(o, c.metric)),
    })
}

/// How much time per run a change adds, the order annotations are cut in: an N+1 loop
/// (`execute_query` 24 → 120 calls per run, each call as fast as before) adds more than a
/// per-call change of 190us in a helper, though its per-call delta is negative. The metric's
/// value stands for a call's time; `total` and `self` are per run already.
fn added_time_per_run(o: &OpChange, metric: Metric) -> f64 {
    if metric.is_per_run() {
        return o.delta_us.unwrap_or(0.0);
    }
    let per_run = |s: &Option<crate::outcome::SideFigures>| {
        s.as_ref().map_or(0.0, |f| f.calls_per_run * f.value_us)
    };
    per_run(&o.after) - per_run(&o.before)
}

fn budget(b: &BudgetResult) -> Option<Annotation> {
    let severity = b.severity?;
    let threshold = if severity == Severity::Fail {
        b.flag
    } else {
        b.target
    };
    let over = match (b.value, threshold) {
        (Some(v), Some(t)) if t > 0.0 => v / t,
        _ => 0.0,
    };
    Some(Annotation {
        severity,
        title: format!("perfgate: budget {}", b.name),
        message: text::budget_line(b),
        file: own_file(&b.file, b.origin),
        line: b.line,
        weight: (2, over),
    })
}

fn finding(f: &Finding) -> Annotation {
    Annotation {
        severity: f.severity,
        title: format!("perfgate: {}", text::finding_kind(f)),
        message: format!("{}\n{}", text::finding_line(f), text::finding_sentence(f)),
        file: own_file(&f.file, f.origin),
        line: f.line,
        weight: (1, f.total_us),
    }
}

/// The file to annotate: the location's, when it is the project's own code.
fn own_file(file: &Option<String>, origin: Origin) -> Option<String> {
    file.clone().filter(|_| origin == Origin::Own)
}

/// `name=value` lines for `$GITHUB_OUTPUT`. `verdict` only when the command gates something.
pub fn outputs(report: &Report) -> String {
    let count = |s: Severity| report.count_severity(s);
    let changes = |s: ChangeStatus| {
        report
            .comparison
            .as_ref()
            .map_or(0, |c| c.operations.iter().filter(|o| o.status == s).count())
    };
    let flagged = report
        .budgets
        .iter()
        .filter(|b| b.severity == Some(Severity::Fail))
        .count();
    let mut out = String::new();
    if let Some(v) = report.verdict {
        out.push_str(&format!("verdict={}\n", v.as_str()));
    }
    for (name, value) in [
        ("failures", count(Severity::Fail)),
        ("warnings", count(Severity::Warn)),
        ("regressions", changes(ChangeStatus::Regressed)),
        ("improvements", changes(ChangeStatus::Improved)),
        ("flagged", flagged),
        ("findings", report.findings.len()),
    ] {
        out.push_str(&format!("{name}={value}\n"));
    }
    // The operations summarized or compared; `check` has no such list, and a 0 there would
    // read as "the trace was empty".
    let operations = match &report.comparison {
        Some(c) => Some(c.operations.len()),
        None if report.command == CommandKind::Summary => Some(report.operations.len()),
        None => None,
    };
    if let Some(n) = operations {
        out.push_str(&format!("operations={n}\n"));
    }
    out
}
