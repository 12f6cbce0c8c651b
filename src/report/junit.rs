//! The JUnit XML renderer, valid against the Jenkins `junit-10.xsd` (tests/schemas).
//!
//! Mapping (docs/reports.md explains it to users):
//! - one `<testsuite>` per gate the command ran: `budgets`, `comparison`, `detectors`;
//!   `summary` gates nothing and writes an empty, valid `<testsuites>`;
//! - one `<testcase>` per budget, compared operation and finding, with a stable `name` and a
//!   `classname` of `perfgate.<suite>`;
//! - severity `fail` → `<failure message="one line">` with a body that explains; severity
//!   `warn` (the acceptable band) → `<skipped message="...">`, which every consumer shows
//!   without failing the run (JUnit has no warning status); no severity → a passing case;
//! - `time` is the measured duration the case is about, in seconds with 3 decimals;
//! - `tests`, `failures`, `errors`, `skipped` count the testcases exactly;
//! - the traces' warnings (truncated file, unmatched events) in each suite's `<system-err>`.
//!
//! The XML is written by hand: the format is small, and owning it keeps the attribute set inside
//! the schema (no `file`/`line` on testcases, no `skipped` on `testsuites`) and the output
//! byte-for-byte deterministic.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::escape::{terminal, xml};
use super::text;
use crate::outcome::{
    BudgetResult, CommandKind, Comparison, Finding, InputInfo, OpChange, Report, Severity, Unit,
};

/// How one testcase ended.
enum Outcome {
    Passed,
    /// The acceptable band: shown as skipped.
    Warned {
        message: String,
        body: String,
    },
    Failed {
        message: String,
        body: String,
    },
}

struct Case {
    name: String,
    /// Seconds.
    time: f64,
    outcome: Outcome,
}

struct Suite {
    name: &'static str,
    cases: Vec<Case>,
}

impl Suite {
    fn count(&self, pred: fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| pred(&c.outcome)).count()
    }
    fn failures(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed { .. }))
    }
    fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Warned { .. }))
    }
    fn time(&self) -> f64 {
        self.cases.iter().map(|c| c.time).sum()
    }
}

/// Renders the report as a JUnit XML document.
/// `--format junit`, `--junit FILE`.
pub struct Junit;

impl super::Renderer for Junit {
    fn name(&self) -> &'static str {
        "junit"
    }

    fn help(&self) -> &'static str {
        "JUnit XML: one testsuite per gate, one testcase per budget, operation or finding"
    }

    fn file_help(&self) -> &'static str {
        "Also write JUnit XML to FILE"
    }

    fn render(&self, report: &Report, _: &super::RenderSettings) -> String {
        render(report)
    }
}

pub fn render(report: &Report) -> String {
    let suites = suites(report);
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    let time: f64 = suites.iter().map(Suite::time).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"perfgate\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{}\">",
        seconds(time)
    );
    let warnings = input_warnings(report);
    for suite in &suites {
        write_suite(&mut out, suite, &warnings);
    }
    out.push_str("</testsuites>\n");
    out
}

/// The gates this report holds, in a fixed order.
fn suites(report: &Report) -> Vec<Suite> {
    let mut suites = Vec::new();
    // A trace with calls missing is a result of its own, first: every other verdict rests
    // on it.
    let incomplete: Vec<Case> = report.incomplete_inputs().map(input_case).collect();
    if !incomplete.is_empty() {
        suites.push(Suite {
            name: "inputs",
            cases: unique(incomplete),
        });
    }
    let checked = report.command == CommandKind::Check;
    if checked || !report.budgets.is_empty() {
        suites.push(Suite {
            name: "budgets",
            cases: unique(report.budgets.iter().map(budget_case).collect()),
        });
    }
    if let Some(c) = &report.comparison {
        suites.push(Suite {
            name: "comparison",
            cases: unique(
                coverage_case(c)
                    .into_iter()
                    .chain(c.operations.iter().map(|o| change_case(o, c)))
                    .collect(),
            ),
        });
    }
    if checked || !report.findings.is_empty() {
        suites.push(Suite {
            name: "detectors",
            cases: unique(report.findings.iter().map(finding_case).collect()),
        });
    }
    suites
}

/// A failing testcase when the after side lost what the before side measured.
fn coverage_case(c: &Comparison) -> Option<Case> {
    let problem = text::coverage_problem(c)?;
    Some(Case {
        name: "coverage of the after side".into(),
        time: 0.0,
        outcome: outcome(c.coverage.severity, problem.clone(), problem),
    })
}

fn input_case(i: &InputInfo) -> Case {
    let message = format!("{}: incomplete trace, calls are missing", i.source);
    let mut body = vec![format!("trace: {}", i.source)];
    body.extend(i.warnings.iter().map(|w| format!("why: {w}")));
    body.push("judged on it, counts fall and the slow tail may be gone; re-run the traced program (or pass --allow-incomplete)".into());
    Case {
        name: i.source.clone(),
        time: 0.0,
        outcome: outcome(i.severity, message, lines(&body)),
    }
}

/// Makes names one line and unique within a suite (GitLab keeps only the first of two equal
/// names) by numbering repeats: `name`, `name #2`, ...
fn unique(mut cases: Vec<Case>) -> Vec<Case> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for case in &mut cases {
        case.name = terminal(&case.name);
        let n = seen.entry(case.name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            case.name = format!("{} #{n}", case.name);
        }
    }
    cases
}

fn outcome(severity: Option<Severity>, message: String, body: String) -> Outcome {
    match severity {
        None => Outcome::Passed,
        Some(Severity::Warn) => Outcome::Warned { message, body },
        Some(Severity::Fail) => Outcome::Failed { message, body },
    }
}

fn budget_case(b: &BudgetResult) -> Case {
    let mut body = vec![
        format!("budget: {}", b.name),
        format!("metric: {}", b.metric),
        format!(
            "value: {}",
            b.value
                .map_or("-".into(), |v| text::budget_value(b.unit, v))
        ),
        format!("target: {}", text::budget_value(b.unit, b.target)),
        format!("flag: {}", text::budget_value(b.unit, b.flag)),
        format!("status: {}", text::budget_status(b.status)),
        format!("samples: {}", b.samples),
    ];
    if !b.operations.is_empty() {
        body.push(format!("operations: {}", b.operations.join(", ")));
    }
    if let Some(loc) = text::location(&b.file, b.line) {
        body.push(format!("location: {loc}"));
    }
    let time = match (b.unit, b.value) {
        (Unit::Us, Some(v)) => v / 1e6,
        _ => 0.0,
    };
    Case {
        name: format!("{} [{}]", b.name, b.metric),
        time,
        outcome: outcome(b.severity, text::budget_line(b), lines(&body)),
    }
}

fn change_case(o: &OpChange, c: &Comparison) -> Case {
    let metric = c.metric.as_str();
    let mut body = vec![
        format!("operation: {}", o.name),
        format!("status: {}", text::line_status(o)),
        format!("{metric}: {}", text::change_figures(o)),
    ];
    if let Some(p) = text::p_value(o) {
        body.push(p);
    }
    if let (Some(s), Some((lo, hi))) = (o.shift_us, o.shift_ci_us) {
        body.push(format!(
            "shift: {} (confidence interval {} to {})",
            crate::outcome::units::signed_us(s),
            crate::outcome::units::signed_us(lo),
            crate::outcome::units::signed_us(hi)
        ));
    }
    for (label, side) in [("before", &o.before), ("after", &o.after)] {
        if let Some(f) = side {
            body.push(format!(
                "{label}: {} calls, {:.2} per run",
                f.count, f.calls_per_run
            ));
        }
    }
    if o.count_regressed {
        body.push("the call count changed".into());
    }
    body.push(format!("why: {}", text::reason(o, c)));
    if !o.attribution.is_empty() {
        body.push(format!("attribution: {}", text::attribution(o, usize::MAX)));
    }
    if let Some(loc) = text::location(&o.file, o.line) {
        body.push(format!("location: {loc}"));
    }
    Case {
        name: o.name.clone(),
        time: o.after.as_ref().map_or(0.0, |f| f.value_us / 1e6),
        outcome: outcome(o.severity, text::change_line(o, metric), lines(&body)),
    }
}

fn finding_case(f: &Finding) -> Case {
    let mut body = vec![
        text::finding_sentence(f),
        format!("kind: {}", text::finding_kind(f)),
        format!("operation: {}", f.operation),
    ];
    if let Some(p) = &f.parent {
        body.push(format!("parent: {p}"));
    }
    body.push(format!("calls: {}", f.count));
    body.push(format!(
        "time: {}",
        crate::outcome::units::human_us(f.total_us)
    ));
    body.push(format!("trace: {}", f.source));
    if !f.call_path.is_empty() {
        body.push(format!("call path: {}", f.call_path.join(" → ")));
    }
    if let Some(loc) = text::location(&f.file, f.line) {
        body.push(format!("location: {loc}"));
    }
    let mut name = format!("{}: {}", text::finding_kind(f), f.operation);
    if let Some(p) = &f.parent {
        name.push_str(&format!(" under {p}"));
    }
    Case {
        name,
        time: f.total_us / 1e6,
        outcome: outcome(Some(f.severity), text::finding_line(f), lines(&body)),
    }
}

/// What was odd about the traces (truncated, unmatched events), one line each: the results
/// rest on them, so every suite carries them in `<system-err>`, which consumers show with the
/// suite (a pass computed from half a trace must say so).
fn input_warnings(report: &Report) -> String {
    let all: Vec<String> = report
        .inputs
        .iter()
        .flat_map(|i| {
            let side = i.side.as_ref().map_or(String::new(), |s| format!(" ({s})"));
            i.warnings
                .iter()
                .map(move |w| format!("warning: {}{side}: {w}", i.source))
        })
        .collect();
    lines(&all)
}

fn write_suite(out: &mut String, suite: &Suite, warnings: &str) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">",
        suite.name,
        suite.cases.len(),
        suite.failures(),
        suite.skipped(),
        seconds(suite.time())
    );
    let classname = format!("perfgate.{}", suite.name);
    for case in &suite.cases {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"{classname}\" time=\"{}\"",
            xml(&case.name),
            seconds(case.time)
        );
        match &case.outcome {
            Outcome::Passed => out.push_str("/>\n"),
            Outcome::Warned { message, body } => write_result(out, "skipped", None, message, body),
            Outcome::Failed { message, body } => {
                write_result(out, "failure", Some("perfgate"), message, body)
            }
        }
    }
    if !warnings.is_empty() {
        let _ = writeln!(out, "    <system-err>{}</system-err>", xml_body(warnings));
    }
    out.push_str("  </testsuite>\n");
}

/// A `<failure>` or `<skipped>` child with a one-line message and an explaining body.
fn write_result(out: &mut String, tag: &str, kind: Option<&str>, message: &str, body: &str) {
    let one_line = terminal(message);
    let kind = kind.map_or(String::new(), |k| format!(" type=\"{k}\""));
    let _ = writeln!(
        out,
        ">\n      <{tag}{kind} message=\"{}\">{}</{tag}>\n    </testcase>",
        xml(&one_line),
        xml_body(body)
    );
}

/// A body of one line per fact; a line break inside a value (from a trace) is shown as `\n`
/// so it cannot fake a fact of its own.
fn lines(body: &[String]) -> String {
    body.iter()
        .map(|l| terminal(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Element content: the line breaks between facts stay literal (readable), the rest escaped.
fn xml_body(body: &str) -> String {
    body.split('\n').map(xml).collect::<Vec<_>>().join("\n")
}

/// Seconds with 3 decimals, never negative or non-finite (the schema's `SUREFIRE_TIME`).
fn seconds(s: f64) -> String {
    let s = if s.is_finite() && s > 0.0 { s } else { 0.0 };
    format!("{s:.3}")
}
