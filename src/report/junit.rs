//! The JUnit XML renderer, valid against the Jenkins `junit-10.xsd` (tests/schemas) with the
//! `file`/`line` testcase attributes pytest's xunit1 family adds.
//!
//! Mapping (docs/reports.md explains it to users):
//! - one `<testsuite>` per gate the command ran: `inputs` (incomplete traces), `budgets`,
//!   `comparison`, `detectors`; `summary` gates nothing and writes an empty, valid
//!   `<testsuites>`;
//! - one `<testcase>` per budget, per finding, and per compared operation that matters: every
//!   one with a severity (any origin) and every own-code one that regressed or improved; the
//!   other operations (unchanged, library code) are listed up to [`JunitOptions::max_cases`],
//!   then one passing testcase counts those left out;
//! - `classname` is `perfgate.<suite>`; `file` and `line` are the source location when the
//!   trace knows it (relative to the repository): mikepenz/action-junit-report and
//!   EnricoMi/publish-unit-test-result-action read these attributes, dorny/test-reporter reads
//!   a Java-style frame line `at src.app.Perfgate.decide_next(service.py:55)` at the end of
//!   the failure body ([`frame`]);
//! - severity `fail` → `<failure message="one line">` with a body that explains; severity
//!   `warn` (the acceptable band) → `<skipped message="...">` whose message carries the reason
//!   (consumers show only the message of a skipped test), which every consumer shows without
//!   failing the run (JUnit has no warning status); no severity → a passing case;
//! - `time` is the measured duration the case is about, in seconds with 3 decimals;
//! - `tests`, `failures`, `errors`, `skipped` count the testcases exactly;
//! - the traces' warnings (truncated file, unmatched events) in each suite's `<system-err>`.
//!
//! The XML is written by hand: the format is small, and owning it keeps the attribute set inside
//! the schema (no `skipped` on `testsuites`) and the output byte-for-byte deterministic.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::escape::{terminal, xml};
use super::text;
use crate::ops::Origin;
use crate::outcome::{
    BudgetResult, ChangeStatus, CommandKind, Comparison, Finding, InputInfo, OpChange, Report,
    Severity, Unit,
};

/// Operations listed by default beyond those that matter (`--junit-max-cases`).
pub const DEFAULT_MAX_CASES: usize = 10;

/// Settings of the JUnit renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JunitOptions {
    /// Compared operations listed beyond the ones that matter (a severity, or own code that
    /// regressed or improved): unchanged ones and library code, own code first. The rest is
    /// counted in one passing testcase.
    pub max_cases: usize,
}

impl Default for JunitOptions {
    fn default() -> Self {
        JunitOptions {
            max_cases: DEFAULT_MAX_CASES,
        }
    }
}

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
    /// Source location, relative to the repository.
    file: Option<String>,
    line: Option<u32>,
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

    fn render(&self, report: &Report, settings: &super::RenderSettings) -> String {
        render_with(report, &settings.junit)
    }
}

/// The JUnit document with the default settings.
#[cfg(test)]
pub fn render(report: &Report) -> String {
    render_with(report, &JunitOptions::default())
}

pub fn render_with(report: &Report, options: &JunitOptions) -> String {
    let suites = suites(report, options);
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
fn suites(report: &Report, options: &JunitOptions) -> Vec<Suite> {
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
            cases: unique(comparison_cases(c, options)),
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

/// The comparison's testcases: coverage, then every operation that matters (a severity of
/// any origin; own code that regressed or improved), then the others up to the cap, own code
/// first, and one passing case counting what was left out (a JUnit of 283 testcases, most of
/// them `list.append`, buries the two that matter in every consumer's list).
fn comparison_cases(c: &Comparison, options: &JunitOptions) -> Vec<Case> {
    let matters = |o: &OpChange| {
        o.severity.is_some()
            || (o.origin == Origin::Own
                && matches!(o.status, ChangeStatus::Regressed | ChangeStatus::Improved))
    };
    let mut cases: Vec<Case> = coverage_case(c).into_iter().collect();
    cases.extend(
        c.operations
            .iter()
            .filter(|o| matters(o))
            .map(|o| change_case(o, c)),
    );
    let mut rest: Vec<&OpChange> = c.operations.iter().filter(|o| !matters(o)).collect();
    rest.sort_by_key(|o| o.origin != Origin::Own);
    let listed = rest.len().min(options.max_cases);
    cases.extend(rest[..listed].iter().map(|o| change_case(o, c)));
    let left_out = &rest[listed..];
    if !left_out.is_empty() {
        let own = left_out.iter().filter(|o| o.origin == Origin::Own).count();
        cases.push(Case {
            name: format!(
                "{} more operation(s) not listed: unchanged or not tested ({own} own code, {} library or unknown); the JSON report has them, --junit-max-cases lists more",
                left_out.len(),
                left_out.len() - own
            ),
            file: None,
            line: None,
            time: 0.0,
            outcome: Outcome::Passed,
        });
    }
    cases
}

/// A failing testcase when the after side lost what the before side measured.
fn coverage_case(c: &Comparison) -> Option<Case> {
    let problem = text::coverage_problem(c)?;
    Some(Case {
        name: "coverage of the after side".into(),
        file: None,
        line: None,
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
        file: None,
        line: None,
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
        format!("target: {}", text::budget_target_cell(b)),
        format!("flag: {}", text::budget_threshold(b.unit, b.flag)),
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
    let (file, line) = own_location(&b.file, b.line, b.origin);
    let function = b.operations.first().unwrap_or(&b.pattern);
    push_frame(&mut body, &file, line, function);
    Case {
        name: format!("{} [{}]", b.name, b.metric),
        file,
        line,
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
    if let Some(split) = text::attribution(o, usize::MAX) {
        body.push(format!("attribution: {split}"));
    }
    if let Some(loc) = text::location(&o.file, o.line) {
        body.push(format!("location: {loc}"));
    }
    let (file, line) = change_location(o, c);
    push_frame(&mut body, &file, line, &o.name);
    let mut message = text::change_line(o, metric);
    if o.severity == Some(Severity::Warn) {
        // A skipped test shows its message only: the reason must be in it.
        message.push_str(&format!(" (warning: {})", text::reason(o, c)));
    }
    Case {
        name: o.name.clone(),
        file,
        line,
        time: o.after.as_ref().map_or(0.0, |f| f.value_us / 1e6),
        outcome: outcome(o.severity, message, lines(&body)),
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
    let (file, line) = own_location(&f.file, f.line, f.origin);
    push_frame(&mut body, &file, line, &f.operation);
    Case {
        name,
        file,
        line,
        time: f.total_us / 1e6,
        outcome: outcome(Some(f.severity), text::finding_line(f), lines(&body)),
    }
}

/// Where a compared operation is annotated: its own line when it is the project's code; a
/// library or builtin call that only follows a cause (`time.sleep` under `traverse_graph`) at
/// the cause's line, so the annotation lands in the reader's code; else nowhere.
fn change_location(o: &OpChange, c: &Comparison) -> (Option<String>, Option<u32>) {
    if o.origin == Origin::Own {
        return (o.file.clone(), o.file.as_ref().and(o.line));
    }
    let Some(cause) = &o.explained_by else {
        return (None, None);
    };
    c.operations
        .iter()
        .find(|x| &x.name == cause && x.origin == Origin::Own && x.file.is_some())
        .map(|x| (x.file.clone(), x.line))
        .or_else(|| {
            c.causes
                .iter()
                .find(|x| &x.operation == cause && x.origin == Origin::Own && x.file.is_some())
                .map(|x| (x.file.clone(), x.line))
        })
        .unwrap_or((None, None))
}

/// The location of a budget's or finding's operation for the `file`/`line` attributes, when
/// it is the project's own code: a library's module path such as `json/decoder.py` is no
/// file of the repository to annotate.
fn own_location(
    file: &Option<String>,
    line: Option<u32>,
    origin: Origin,
) -> (Option<String>, Option<u32>) {
    match file {
        Some(f) if origin == Origin::Own && !f.starts_with('<') => (Some(f.clone()), line),
        _ => (None, None),
    }
}

/// Adds dorny/test-reporter's frame line to a body, when the location makes one.
fn push_frame(body: &mut Vec<String>, file: &Option<String>, line: Option<u32>, operation: &str) {
    if let Some(f) = file.as_deref().and_then(|f| frame(f, line, operation)) {
        body.push(f);
    }
}

/// A Java-style stack frame, `at src.app.Perfgate.decide_next(service.py:55)`: the only place
/// dorny/test-reporter's `java-junit` (and `python-xunit`) parser takes a source location from
/// (`src/parsers/java-junit/java-junit-parser.ts`, `exceptionThrowSource`/`getFilePath`). It
/// matches the file name against the repository's tracked files and the dotted prefix, up to
/// the first part that starts with a capital, against the file's directories; `Perfgate` is
/// that part. `None` where dorny could not resolve the file anyway: a file at the repository's
/// root (its directory `.` is no dotted prefix), an absolute path, or a directory whose name
/// starts with a capital or a digit or holds a dot.
fn frame(file: &str, line: Option<u32>, operation: &str) -> Option<String> {
    let (dir, base) = file.rsplit_once('/')?;
    let parts: Vec<&str> = dir.split('/').collect();
    let usable_dir = |p: &&str| {
        p.chars().next().is_some_and(|c| c > 'Z')
            && !p.contains(['.', '(', ')'])
            && !p.contains(char::is_whitespace)
    };
    if !parts.iter().all(usable_dir) || base.is_empty() || base.contains(['(', ')', ':']) {
        return None;
    }
    // The function: the name before ` (file)`, as an identifier.
    let function: String = operation
        .split(" (")
        .next()
        .unwrap_or(operation)
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(format!(
        "at {}.Perfgate.{function}({base}:{})",
        parts.join("."),
        line.unwrap_or(1)
    ))
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
            "    <testcase name=\"{}\" classname=\"{classname}\"",
            xml(&case.name)
        );
        if let Some(file) = &case.file {
            let _ = write!(out, " file=\"{}\"", xml(&terminal(file)));
            if let Some(line) = case.line {
                let _ = write!(out, " line=\"{line}\"");
            }
        }
        let _ = write!(out, " time=\"{}\"", seconds(case.time));
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
