//! The SARIF 2.1.0 renderer (`--sarif FILE`), for GitHub code scanning and other SARIF
//! viewers: every result that warned or failed (a regression, a budget outside its target, a
//! red flag, an incomplete trace, a coverage problem) as one `result` of one `run`.
//!
//! - Rules: one per regression kind (`perfgate/slower`, `perfgate/more-calls`, ...), per red
//!   flag kind (`perfgate/n_plus_one`, ...) and per budget (`perfgate/budget/NAME`), each with
//!   a short and a full description and help text; only the rules the results use are listed.
//! - Levels: `error` fails the gate, `warning` warns (a budget in its acceptable band, a
//!   diffuse slowdown); a regression that follows from a root cause is a `note` pointing at its
//!   cause, so code scanning shows the error where the code to fix is.
//! - Locations: the operation's source file relative to the repository (`uriBaseId`
//!   `%SRCROOT%`) and its line, when it is the project's own code ([`super::location`]); else
//!   the first input (the trace or baseline), line 1, as GitHub needs a location per result.
//!   The operation's name is the logical location.
//! - `partialFingerprints`: a hash of the rule and what the result is about (the operation and
//!   its parent, never a figure or a line), the same on every run, so code scanning tracks one
//!   alert across pushes.

use std::collections::HashMap;

use serde::Serialize;

use super::location::{repository_file, uri_path};
use super::text;
use crate::ops::Origin;
use crate::outcome::{
    BudgetResult, ChangeReason, Comparison, Finding, InputInfo, OpChange, Report, Severity,
    TimeJudgement,
};

/// The `$schema` of the log: the OASIS schema of SARIF 2.1.0 (errata 01).
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base the relative source paths are under: the repository's root.
const SRCROOT: &str = "%SRCROOT%";

/// Results of a run GitHub code scanning accepts (a log with more is rejected): errors are
/// kept first, then warnings, then notes; the count left out is in the invocation's
/// properties.
pub const MAX_RESULTS: usize = 25_000;

/// The key of perfgate's fingerprint in `partialFingerprints` (GitHub computes its own
/// `primaryLocationLineHash` from the source line; this one does not move with the line).
const FINGERPRINT_KEY: &str = "perfgate/v1";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    original_uri_base_ids: serde_json::Value,
    invocations: [Invocation; 1],
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    properties: InvocationProperties,
}

#[derive(Serialize)]
struct InvocationProperties {
    command: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<&'static str>,
    /// Results left out beyond [`MAX_RESULTS`].
    #[serde(rename = "omittedResults", skip_serializing_if = "is_zero")]
    omitted_results: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A `reportingDescriptor`: what one rule checks.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Text,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: [&'static str; 1],
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    partial_fingerprints: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    fully_qualified_name: String,
    kind: &'static str,
}

/// What a rule says, before it is numbered.
struct RuleWords {
    id: String,
    /// PascalCase, as SARIF viewers show a rule's name.
    name: String,
    short: String,
    full: String,
    help: String,
}

/// A result before it is placed, numbered and fingerprinted.
struct Draft {
    rule: RuleWords,
    level: &'static str,
    message: String,
    /// What identifies it across runs (operation, parent, budget name).
    identity: String,
    /// The operation it is about, when there is one.
    operation: Option<String>,
    file: Option<String>,
    line: Option<u32>,
    origin: Origin,
}

/// Renders the report as a SARIF 2.1.0 log with one run.
pub fn render(report: &Report) -> String {
    let mut drafts = drafts(report);
    // Stable: within a level, the order of the report.
    drafts.sort_by_key(|d| level_rank(d.level));
    let omitted_results = drafts.len().saturating_sub(MAX_RESULTS);
    drafts.truncate(MAX_RESULTS);
    let fallback = fallback_location(report);
    let mut rules: Vec<Rule> = Vec::new();
    let mut fingerprints: HashMap<String, usize> = HashMap::new();
    let results = drafts
        .into_iter()
        .map(|d| {
            let rule_index = rule_index(&mut rules, d.rule);
            let rule_id = rules[rule_index].id.clone();
            let fingerprint = unique(
                super::codequality::fingerprint(&rule_id, &d.identity),
                &mut fingerprints,
            );
            let physical = match repository_file(d.file.as_deref(), d.origin) {
                Some(path) => physical(path, d.line),
                None => fallback.clone_location(),
            };
            SarifResult {
                rule_id,
                rule_index,
                level: d.level,
                message: Text { text: d.message },
                locations: [Location {
                    physical_location: physical,
                    logical_locations: d
                        .operation
                        .map(|name| LogicalLocation {
                            fully_qualified_name: name,
                            kind: "function",
                        })
                        .into_iter()
                        .collect(),
                }],
                partial_fingerprints: [(FINGERPRINT_KEY.to_string(), fingerprint.into())]
                    .into_iter()
                    .collect(),
            }
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "perfgate",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            original_uri_base_ids: serde_json::json!({
                SRCROOT: { "description": { "text": "The root of the repository." } }
            }),
            invocations: [Invocation {
                execution_successful: true,
                properties: InvocationProperties {
                    command: command_name(report),
                    verdict: report.verdict.map(|v| v.as_str()),
                    omitted_results,
                },
            }],
            results,
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).expect("the SARIF log always serializes");
    out.push('\n');
    out
}

/// Every result of the report, most important first: inputs and coverage, regressions,
/// budgets, red flags.
fn drafts(report: &Report) -> Vec<Draft> {
    let mut drafts: Vec<Draft> = Vec::new();
    drafts.extend(report.inputs.iter().filter_map(input));
    if let Some(c) = &report.comparison {
        drafts.extend(coverage(c));
        drafts.extend(c.operations.iter().filter_map(|o| change(o, c)));
    }
    drafts.extend(report.budgets.iter().filter_map(budget));
    drafts.extend(report.findings.iter().map(finding));
    drafts
}

/// The index of the rule in `rules`, added when new.
fn rule_index(rules: &mut Vec<Rule>, words: RuleWords) -> usize {
    if let Some(i) = rules.iter().position(|r| r.id == words.id) {
        return i;
    }
    rules.push(Rule {
        id: words.id,
        name: words.name,
        short_description: Text { text: words.short },
        full_description: Text { text: words.full },
        help: Text { text: words.help },
        default_configuration: Configuration { level: "error" },
        properties: RuleProperties {
            tags: ["performance"],
        },
    });
    rules.len() - 1
}

/// `fingerprint`, or with `-2`, `-3` when an earlier result of the run has it (two red flags
/// of one kind on one operation and parent, found in two traces).
fn unique(fingerprint: String, seen: &mut HashMap<String, usize>) -> String {
    let repeats = seen.entry(fingerprint.clone()).or_insert(0);
    *repeats += 1;
    if *repeats == 1 {
        fingerprint
    } else {
        format!("{fingerprint}-{repeats}")
    }
}

fn physical(path: &str, line: Option<u32>) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: uri_path(path),
            uri_base_id: Some(SRCROOT),
        },
        region: Region {
            start_line: line.unwrap_or(1).max(1),
        },
    }
}

/// Where a result without a file of the repository goes: the first input, line 1.
struct Fallback {
    uri: String,
    uri_base_id: Option<&'static str>,
}

impl Fallback {
    fn clone_location(&self) -> PhysicalLocation {
        PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: self.uri.clone(),
                uri_base_id: self.uri_base_id,
            },
            region: Region { start_line: 1 },
        }
    }
}

/// The first input as a location: relative to the repository when it was given as a relative
/// path (`after.json`), a `file://` URI when absolute, `perfgate` when there is none.
fn fallback_location(report: &Report) -> Fallback {
    let source = report
        .inputs
        .iter()
        .map(|i| i.source.as_str())
        .find(|s| *s != "<stdin>")
        .unwrap_or("perfgate");
    let normalized = source.replace('\\', "/");
    match repository_file(Some(&normalized), Origin::Own) {
        Some(path) => Fallback {
            uri: uri_path(path),
            uri_base_id: Some(SRCROOT),
        },
        None if normalized.starts_with('/') => Fallback {
            uri: format!("file://{}", uri_path(&normalized)),
            uri_base_id: None,
        },
        // A git baseline (`origin/main:baselines/x.json`) or a drive path: its characters
        // percent-encoded, so no `:` reads as a URI scheme.
        None => Fallback {
            uri: uri_path(&normalized),
            uri_base_id: Some(SRCROOT),
        },
    }
}

fn command_name(report: &Report) -> &'static str {
    match report.command {
        crate::outcome::CommandKind::Summary => "summary",
        crate::outcome::CommandKind::Check => "check",
        crate::outcome::CommandKind::Compare => "compare",
    }
}

/// Errors first, then warnings, then notes.
fn level_rank(level: &str) -> u8 {
    match level {
        "error" => 0,
        "warning" => 1,
        _ => 2,
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Fail => "error",
        Severity::Warn => "warning",
    }
}

fn input(i: &InputInfo) -> Option<Draft> {
    let severity = i.severity?;
    Some(Draft {
        rule: RuleWords {
            id: "perfgate/incomplete-trace".into(),
            name: "IncompleteTrace".into(),
            short: "A trace is missing calls".into(),
            full: "The trace file was cut short or the tracer's buffer overflowed: calls are missing, so counts fall and the slow tail may be gone. Nothing judged on it is trustworthy.".into(),
            help: "Trace again with a larger buffer (viztracer --tracer_entries) or let the traced program exit normally; --allow-incomplete turns this failure into a warning.".into(),
        },
        level: level(severity),
        message: format!("{} is incomplete: {}", i.source, i.warnings.join("; ")),
        identity: i.source.clone(),
        operation: None,
        file: None,
        line: None,
        origin: Origin::Unknown,
    })
}

fn coverage(c: &Comparison) -> Option<Draft> {
    let severity = c.coverage.severity?;
    Some(Draft {
        rule: RuleWords {
            id: "perfgate/coverage".into(),
            name: "Coverage".into(),
            short: "The after side measured less than the before side".into(),
            full: "Fewer of the operations traced before were traced after: the tracer is probably misconfigured (a filter, a different entry point), and a comparison of what is left would pass by omission.".into(),
            help: "Trace the after side the way the before side was traced (same command, same tracer options), or lower [compare] min_coverage in budgets.toml if operations were removed on purpose.".into(),
        },
        level: level(severity),
        message: text::coverage_problem(c)?,
        identity: String::new(),
        operation: None,
        file: None,
        line: None,
        origin: Origin::Unknown,
    })
}

/// The kinds of comparison result, one rule each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChangeKind {
    Slower,
    MoreCalls,
    Diffuse,
    Added,
    Removed,
}

fn change_kind(o: &OpChange) -> ChangeKind {
    match &o.reason {
        ChangeReason::Added { .. } => ChangeKind::Added,
        ChangeReason::Removed { .. } => ChangeKind::Removed,
        ChangeReason::Compared { .. } if o.diffuse => ChangeKind::Diffuse,
        ChangeReason::Compared { time, .. } => {
            let slower = o.delta_us.is_some_and(|d| d > 0.0)
                && matches!(
                    time,
                    TimeJudgement::Significant
                        | TimeJudgement::BelowSingleRunBar
                        | TimeJudgement::FastestCallUnmovedUnderContention
                );
            if slower || !o.count_regressed {
                ChangeKind::Slower
            } else {
                ChangeKind::MoreCalls
            }
        }
    }
}

fn change_rule(kind: ChangeKind, metric: &str) -> RuleWords {
    let (id, name, short, full, help) = match kind {
        ChangeKind::Slower => (
            "slower",
            "SlowerOperation",
            "An operation got slower".to_string(),
            format!(
                "The operation's {metric} grew beyond the threshold and the noise floor, and the significance test backs the change."
            ),
            "Look at what changed in the operation and in the children the attribution names; the JSON report (--json) has the figures.",
        ),
        ChangeKind::MoreCalls => (
            "more-calls",
            "MoreCalls",
            "An operation is called more often".to_string(),
            "The operation's calls per run grew beyond the threshold, consistently in every run: a loop, a retry or a cache miss was added.".to_string(),
            "Find the caller whose calls of it grew and batch, join or cache the calls.",
        ),
        ChangeKind::Diffuse => (
            "diffuse-slowdown",
            "DiffuseSlowdown",
            "A slowdown spread over what the operation calls".to_string(),
            format!(
                "The operation's {metric} grew significantly, but in what it calls, none of which regressed on its own: usually a busier machine, warned about rather than failed."
            ),
            "Compare more runs (perfgate record makes pairs of runs side by side), or look at the environment note of the report.",
        ),
        ChangeKind::Added => (
            "new-operation",
            "NewOperation",
            "A new operation costs time".to_string(),
            "An operation only the after side has costs more per run than the noise floor.".to_string(),
            "Check that the new work is intended; if it is, nothing to do.",
        ),
        ChangeKind::Removed => (
            "removed-operation",
            "RemovedOperation",
            "An operation is no longer traced".to_string(),
            "An operation the before side had is missing after.".to_string(),
            "Check the tracer's configuration if the operation still runs.",
        ),
    };
    RuleWords {
        id: format!("perfgate/{id}"),
        name: name.into(),
        short,
        full,
        help: help.into(),
    }
}

fn change(o: &OpChange, c: &Comparison) -> Option<Draft> {
    let severity = o.severity?;
    let mut message = format!(
        "{}. {}",
        text::change_line(o, c.metric.as_str()),
        text::reason(o, c)
    );
    if let Some(split) = text::attribution(o, 3) {
        message.push_str(&format!(" Attribution: {split}."));
    }
    // A symptom: the error is at its cause.
    let level = match &o.explained_by {
        Some(cause) => {
            message.push_str(&format!(
                " It follows from {cause}, reported as its own result."
            ));
            "note"
        }
        None => level(severity),
    };
    Some(Draft {
        rule: change_rule(change_kind(o), c.metric.as_str()),
        level,
        message,
        identity: o.name.clone(),
        operation: Some(o.name.clone()),
        file: o.file.clone(),
        line: o.line,
        origin: o.origin,
    })
}

fn budget(b: &BudgetResult) -> Option<Draft> {
    let severity = b.severity?;
    let metric = &b.metric;
    let target = text::budget_threshold(b.unit, b.target);
    let flag = text::budget_threshold(b.unit, b.flag);
    let (short, full) = match (b.at_least, b.target) {
        (Some(low), None) => (
            format!("Budget \"{}\": at least {low} calls", b.name),
            format!(
                "The operations matching \"{}\" must be called at least {low} times; fewer fails the gate (or warns, with at_least_severity = \"warn\").",
                b.pattern
            ),
        ),
        _ => (
            format!("Budget \"{}\": {metric} within {target}", b.name),
            format!(
                "The {metric} of the operations matching \"{}\" should be at most {target} (target); above {flag} (flag) the gate fails, between the two it warns.",
                b.pattern
            ),
        ),
    };
    Some(Draft {
        rule: RuleWords {
            id: format!("perfgate/budget/{}", b.name),
            name: "Budget".into(),
            short,
            full,
            help: "Make the operation faster, or change the budget in budgets.toml if the new figure is intended.".into(),
        },
        level: level(severity),
        message: text::budget_line(b),
        identity: String::new(),
        operation: b.operations.first().cloned(),
        file: b.file.clone(),
        line: b.line,
        origin: b.origin,
    })
}

fn finding(f: &Finding) -> Draft {
    let words = text::finding_rule(f.kind);
    Draft {
        rule: RuleWords {
            id: format!("perfgate/{}", super::codequality::kind_name(f)),
            name: words.name.into(),
            short: words.short.into(),
            full: words.full.into(),
            help: words.help.into(),
        },
        level: level(f.severity),
        message: format!("{}. {}", text::finding_line(f), text::finding_sentence(f)),
        identity: format!(
            "{}\0{}\0{}",
            f.operation,
            f.parent.as_deref().unwrap_or(""),
            f.budget.as_deref().unwrap_or("")
        ),
        operation: Some(f.operation.clone()),
        file: f.file.clone(),
        line: f.line,
        origin: f.origin,
    }
}

/// `--format sarif`, `--sarif FILE`.
pub struct Sarif;

impl super::Renderer for Sarif {
    fn name(&self) -> &'static str {
        "sarif"
    }

    fn help(&self) -> &'static str {
        "SARIF 2.1.0 for GitHub code scanning: every warning and failure as a result"
    }

    fn file_help(&self) -> &'static str {
        "Also write a SARIF 2.1.0 log to FILE (GitHub code scanning, see docs/reports.md)"
    }

    fn render(&self, report: &Report, _: &super::RenderSettings) -> String {
        render(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{HOSTILE, sample};

    fn log(report: &Report) -> serde_json::Value {
        serde_json::from_str(&render(report)).unwrap()
    }

    #[test]
    fn sarif_snapshot() {
        insta::assert_snapshot!("sarif", render(&sample()));
    }

    /// Every warning and failure of the report is one result, under a rule that resolves, and
    /// hostile names come back exactly (JSON is for programs; viewers escape for themselves).
    #[test]
    fn every_warning_and_failure_is_a_result_with_its_rule() {
        let report = sample();
        let log = log(&report);
        let run = &log["runs"][0];
        let results = run["results"].as_array().unwrap();
        let expected =
            report.count_severity(Severity::Fail) + report.count_severity(Severity::Warn);
        assert_eq!(results.len(), expected, "{log:#}");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for r in results {
            let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
            assert_eq!(rule["id"], r["ruleId"]);
        }
        let names: Vec<&str> = results
            .iter()
            .filter_map(|r| r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].as_str())
            .collect();
        assert!(
            HOSTILE.iter().any(|h| names.contains(h)),
            "no hostile name kept exactly in {names:?}"
        );
    }

    #[test]
    fn a_regression_that_follows_from_a_cause_is_a_note() {
        let mut report = sample();
        let c = report.comparison.as_mut().unwrap();
        let follower = c
            .operations
            .iter_mut()
            .find(|o| o.severity == Some(Severity::Fail))
            .unwrap();
        follower.explained_by = Some("the_cause".into());
        let name = follower.name.clone();
        let log = log(&report);
        let result = log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == name.as_str()
            })
            .unwrap();
        assert_eq!(result["level"], "note");
        assert!(
            result["message"]["text"]
                .as_str()
                .unwrap()
                .contains("follows from the_cause")
        );
    }

    #[test]
    fn results_beyond_what_code_scanning_accepts_are_counted_errors_kept_first() {
        let mut report = sample();
        let c = report.comparison.as_mut().unwrap();
        let mut warned = c
            .operations
            .iter()
            .find(|o| o.severity.is_some() && o.explained_by.is_none())
            .unwrap()
            .clone();
        warned.severity = Some(Severity::Warn);
        for i in 0..MAX_RESULTS {
            let mut o = warned.clone();
            o.name = format!("warned_{i}");
            c.operations.push(o);
        }
        let total = report.count_severity(Severity::Fail) + report.count_severity(Severity::Warn);
        let log = log(&report);
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), MAX_RESULTS);
        assert_eq!(
            log["runs"][0]["invocations"][0]["properties"]["omittedResults"],
            total - MAX_RESULTS
        );
        let errors = report.count_severity(Severity::Fail);
        assert!(results[..errors].iter().all(|r| r["level"] == "error"));
    }

    #[test]
    fn the_fallback_location_is_the_first_input() {
        let mut report = Report::new(crate::outcome::CommandKind::Check);
        for (source, uri, base) in [
            ("traces/after.json", "traces/after.json", Some(SRCROOT)),
            ("/tmp/x y.json", "file:///tmp/x%20y.json", None),
            ("origin/main:b.json", "origin/main%3Ab.json", Some(SRCROOT)),
        ] {
            report.inputs = vec![InputInfo {
                source: source.into(),
                side: None,
                spans: 1,
                warnings: Vec::new(),
                incomplete: false,
                severity: None,
            }];
            let f = fallback_location(&report);
            assert_eq!((f.uri.as_str(), f.uri_base_id), (uri, base), "{source}");
        }
    }
}
