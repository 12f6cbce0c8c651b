//! Renderer tests: one report model with every section (budgets, findings, a comparison with
//! attribution) and hostile operation names, through every renderer (insta snapshots under
//! src/report/snapshots), plus the properties each sink must keep whatever the names are.

use std::path::Path;

use super::markdown::{self, MarkdownOptions};
use super::*;
use crate::outcome::*;

/// Names a pull request could put in a trace to break or hijack a sink.
pub const HOSTILE: [&str; 7] = [
    "a|b",
    "`rm -rf` **bold**",
    "</details><img src=x onerror=alert(1)>",
    "<script>alert(1)</script> @octocat",
    "::set-output name=x::y",
    "line\n::error::injected",
    "pct %0A%25 & 'q'",
];

fn side(count: u64, value_us: f64) -> SideFigures {
    SideFigures {
        count,
        calls_per_run: count as f64,
        value_us,
    }
}

fn change(name: &str, status: ChangeStatus, severity: Option<Severity>) -> OpChange {
    OpChange {
        name: name.into(),
        status,
        severity,
        before: Some(side(12, 410_000.0)),
        after: Some(side(12, 400_000.0)),
        delta_us: Some(-10_000.0),
        delta_pct: Some(-2.44),
        adjusted_pct: None,
        p_value: None,
        test: None,
        evidence: crate::outcome::Evidence::Calls,
        tail: None,
        alpha: None,
        calls_delta_pct: Some(0.0),
        shift_us: None,
        shift_ci_us: None,
        mean_ratio: None,
        min_ratio: None,
        count_regressed: false,
        reason: ChangeReason::Compared {
            time: TimeJudgement::Within,
            evidence: crate::outcome::Evidence::Calls,
            count: None,
        },
        attribution: None,
        origin: crate::ops::Origin::Own,
        self_delta_us: None,
        diffuse: false,
        explained_by: None,
        file: None,
        line: None,
    }
}

/// A `compare`-and-`check`-like report with every section filled.
pub fn sample() -> Report {
    let mut report = Report::new(CommandKind::Compare);
    report.inputs = vec![
        InputInfo {
            source: "before.json".into(),
            side: Some("before".into()),
            spans: 1506,
            warnings: vec![],
            incomplete: false,
            severity: None,
        },
        InputInfo {
            source: "after.json".into(),
            side: Some("after".into()),
            spans: 1620,
            warnings: vec!["3 unmatched end events".into()],
            incomplete: false,
            severity: None,
        },
    ];
    report.budgets = vec![
        BudgetResult {
            name: "LLM call".into(),
            metric: "p95".into(),
            unit: Unit::Us,
            value: Some(812_000.0),
            target: Some(300_000.0),
            flag: Some(600_000.0),
            at_least: None,
            status: BudgetStatus::Flagged,
            severity: Some(Severity::Fail),
            operations: vec!["call_claude (diagnostic.py)".into()],
            pattern: "call_claude".into(),
            samples: 12,
            file: Some("/home/runner/work/svc/svc/diagnostic.py".into()),
            line: Some(41),
            origin: crate::ops::Origin::Own,
            within: None,
            counter: None,
            did_you_mean: Vec::new(),
        },
        BudgetResult {
            name: "Graph traversal".into(),
            metric: "p95".into(),
            unit: Unit::Us,
            value: Some(72_000.0),
            target: Some(50_000.0),
            flag: Some(100_000.0),
            at_least: None,
            status: BudgetStatus::Acceptable,
            severity: Some(Severity::Warn),
            operations: vec!["traverse_graph (diagnostic.py)".into()],
            pattern: "traverse_graph".into(),
            samples: 12,
            file: None,
            line: None,
            origin: crate::ops::Origin::Own,
            within: None,
            counter: None,
            did_you_mean: Vec::new(),
        },
        BudgetResult {
            name: "DB queries per request".into(),
            metric: "count_per_parent".into(),
            unit: Unit::Count,
            value: Some(3.0),
            target: Some(5.0),
            flag: Some(10.0),
            at_least: None,
            status: BudgetStatus::OnTarget,
            severity: None,
            operations: vec!["execute_query (diagnostic.py)".into()],
            pattern: "execute_query".into(),
            samples: 36,
            file: None,
            line: None,
            origin: crate::ops::Origin::Own,
            within: None,
            counter: None,
            did_you_mean: Vec::new(),
        },
        BudgetResult {
            name: HOSTILE[0].into(),
            metric: "max".into(),
            unit: Unit::Us,
            value: None,
            target: Some(1000.0),
            flag: Some(2000.0),
            at_least: None,
            status: BudgetStatus::NoMatch,
            severity: Some(Severity::Warn),
            operations: vec![],
            pattern: HOSTILE[1].into(),
            samples: 0,
            file: None,
            line: None,
            origin: crate::ops::Origin::Unknown,
            within: None,
            counter: None,
            did_you_mean: Vec::new(),
        },
    ];
    report.findings = vec![
        Finding {
            kind: FindingKind::NPlusOne,
            severity: Severity::Fail,
            operation: "execute_query (diagnostic.py)".into(),
            parent: Some("get_user_context (diagnostic.py)".into()),
            count: 12,
            occurrences: 1,
            total_us: 38_000.0,
            slowest_us: 4_100.0,
            traces: 1,
            threshold_us: None,
            budget: None,
            call_path: vec![
                "main (diagnostic.py)".into(),
                "post_answer (diagnostic.py)".into(),
                "get_user_context (diagnostic.py)".into(),
            ],
            source: "after.json".into(),
            file: Some("diagnostic.py".into()),
            line: Some(88),
            origin: crate::ops::Origin::Own,
            per_parent: None,
            share: None,
            max_share: None,
        },
        Finding {
            kind: FindingKind::BlockingIo,
            severity: Severity::Warn,
            operation: HOSTILE[5].into(),
            parent: Some(HOSTILE[4].into()),
            count: 1,
            occurrences: 1,
            total_us: 1_200.0,
            slowest_us: 1_200.0,
            traces: 2,
            threshold_us: Some(1_000.0),
            budget: None,
            call_path: vec![HOSTILE[2].into()],
            source: "after.json".into(),
            file: Some("a,b:c.py".into()),
            line: Some(7),
            origin: crate::ops::Origin::Own,
            per_parent: None,
            share: None,
            max_share: None,
        },
    ];
    let mut regressed = change(
        "post_answer (diagnostic.py)",
        ChangeStatus::Regressed,
        Some(Severity::Fail),
    );
    regressed.before = Some(side(12, 412_000.0));
    regressed.after = Some(side(12, 812_000.0));
    regressed.delta_us = Some(400_000.0);
    regressed.delta_pct = Some(97.09);
    regressed.p_value = Some(0.000_02);
    regressed.test = Some("fisher-tail".into());
    regressed.shift_us = Some(398_000.0);
    regressed.shift_ci_us = Some((380_000.0, 415_000.0));
    regressed.reason = ChangeReason::Compared {
        time: TimeJudgement::Significant,
        evidence: crate::outcome::Evidence::Calls,
        count: None,
    };
    regressed.attribution = Some(Attribution {
        basis: AttributionBasis::MeanPerCall,
        change_us: 395_000.0,
        children: vec![Contribution {
            operation: "traverse_graph (diagnostic.py)".into(),
            delta_us: 385_000.0,
            calls_per_parent_before: 1.0,
            calls_per_parent_after: 2.0,
            delta_per_call_us: 2_000.0,
            self_delta_us: 0.0,
        }],
        other_children_us: 1_000.0,
        own_code_us: 9_000.0,
    });
    regressed.file = Some("/home/runner/work/svc/svc/diagnostic.py".into());
    regressed.line = Some(120);
    // Twice as slow (200 ms → 400 ms), with a hostile name and a hostile child.
    let mut hostile = change(HOSTILE[1], ChangeStatus::Regressed, Some(Severity::Fail));
    hostile.before = Some(side(12, 200_000.0));
    hostile.after = Some(side(12, 400_000.0));
    hostile.delta_us = Some(200_000.0);
    hostile.delta_pct = Some(100.0);
    hostile.p_value = Some(0.000_1);
    hostile.test = Some("fisher-tail".into());
    hostile.reason = ChangeReason::Compared {
        time: TimeJudgement::Significant,
        evidence: crate::outcome::Evidence::Calls,
        count: None,
    };
    hostile.attribution = Some(Attribution {
        basis: AttributionBasis::MeanPerCall,
        change_us: 200_000.0,
        children: vec![Contribution {
            operation: HOSTILE[3].into(),
            delta_us: 195_000.0,
            calls_per_parent_before: 1.0,
            calls_per_parent_after: 1.0,
            delta_per_call_us: 195_000.0,
            self_delta_us: 0.0,
        }],
        other_children_us: 0.0,
        own_code_us: 5_000.0,
    });
    // Called twice as often (12 → 24 calls of 1 ms a run): the second cause below.
    let mut more_calls = change(HOSTILE[2], ChangeStatus::Regressed, Some(Severity::Fail));
    more_calls.before = Some(side(12, 1_000.0));
    more_calls.after = Some(side(24, 1_000.0));
    (more_calls.delta_us, more_calls.delta_pct) = (Some(0.0), Some(0.0));
    more_calls.calls_delta_pct = Some(100.0);
    more_calls.count_regressed = true;
    more_calls.reason = ChangeReason::Compared {
        time: TimeJudgement::Within,
        evidence: crate::outcome::Evidence::Calls,
        count: Some(CountReason {
            before_per_run: 12.0,
            after_per_run: 24.0,
            cost_per_run_us: 12_000.0,
            below_noise_floor: false,
            consistent: true,
        }),
    };
    // 120 ms → 90 ms, significant.
    let mut improved = change("build_prompt (diagnostic.py)", ChangeStatus::Improved, None);
    improved.before = Some(side(12, 120_000.0));
    improved.after = Some(side(12, 90_000.0));
    improved.delta_us = Some(-30_000.0);
    improved.delta_pct = Some(-25.0);
    improved.p_value = Some(0.001);
    improved.test = Some("fisher-tail".into());
    improved.reason = ChangeReason::Compared {
        time: TimeJudgement::Significant,
        evidence: crate::outcome::Evidence::Calls,
        count: None,
    };
    report.comparison = Some(Comparison {
        metric: Metric::P95,
        threshold_pct: 10.0,
        noise_floor_us: 1000.0,
        alpha: 0.05,
        min_samples: 5,
        tested: 3,
        environment: None,
        measured_environment: None,
        coverage: crate::outcome::Coverage {
            before_operations: 10,
            after_measured: 10,
            share: 1.0,
            min_share: 0.5,
            severity: None,
        },
        causes: vec![
            Cause {
                operation: "post_answer (diagnostic.py)".into(),
                kind: CauseKind::Slower {
                    ratio: 1.97,
                    delta_us: 400_000.0,
                    own_code_share: 0.1,
                },
                added_per_run_us: 4_800_000.0,
                symptoms: vec![HOSTILE[5].into()],
                file: Some("svc/diagnostic.py".into()),
                line: Some(120),
                origin: crate::ops::Origin::Own,
            },
            Cause {
                operation: HOSTILE[2].into(),
                kind: CauseKind::MoreCalls {
                    before_per_run: 12.0,
                    after_per_run: 24.0,
                    parent: Some(HOSTILE[4].into()),
                    before_per_parent: Some(1.0),
                    after_per_parent: Some(2.0),
                },
                added_per_run_us: 12_000.0,
                symptoms: Vec::new(),
                file: None,
                line: None,
                origin: crate::ops::Origin::Unknown,
            },
        ],
        before_runs: 1,
        after_runs: 1,
        operations: vec![
            regressed,
            hostile,
            more_calls,
            improved,
            change("time.sleep", ChangeStatus::Unchanged, None),
        ],
        memory: None,
    });
    report.verdict = Some(report.computed_verdict());
    report
}

/// Checks that a comparison model says nothing a comparison could not: the figures of each
/// row agree with each other and with its status, so a renderer that swapped before and
/// after, or printed the wrong column, cannot pass its snapshot by accident.
pub fn assert_consistent(c: &Comparison) {
    let close = |a: f64, b: f64, tolerance: f64| (a - b).abs() <= tolerance;
    for o in &c.operations {
        let name = &o.name;
        match (o.status, &o.before, &o.after) {
            (ChangeStatus::Added, None, Some(_)) | (ChangeStatus::Removed, Some(_), None) => {
                assert_eq!(o.delta_us, None, "{name}: one side has no delta");
                assert!(o.attribution.is_none(), "{name}");
            }
            (ChangeStatus::Added | ChangeStatus::Removed, ..) => {
                panic!("{name}: an added or removed operation has exactly one side")
            }
            (_, Some(b), Some(a)) => {
                let delta = a.value_us - b.value_us;
                assert!(
                    close(o.delta_us.unwrap(), delta, 1e-6),
                    "{name}: delta {:?} but {} → {}",
                    o.delta_us,
                    b.value_us,
                    a.value_us
                );
                let pct = delta / b.value_us * 100.0;
                assert!(close(o.delta_pct.unwrap(), pct, 0.05), "{name}: {pct}%");
                for (s, runs) in [(b, c.before_runs), (a, c.after_runs)] {
                    assert_eq!(s.calls_per_run, s.count as f64 / f64::from(runs), "{name}");
                }
                let calls_pct = (a.calls_per_run - b.calls_per_run) / b.calls_per_run * 100.0;
                assert!(close(o.calls_delta_pct.unwrap(), calls_pct, 0.05), "{name}");
                let more_calls = a.calls_per_run > b.calls_per_run;
                assert_eq!(o.count_regressed, o.count_regressed && more_calls, "{name}");
                match o.status {
                    ChangeStatus::Regressed => {
                        assert_eq!(o.severity, Some(Severity::Fail), "{name}");
                        assert!(
                            delta > 0.0 || o.count_regressed,
                            "{name}: a regression got slower or is called more"
                        );
                    }
                    ChangeStatus::Improved => {
                        assert_eq!(o.severity, None, "{name}");
                        assert!(delta < 0.0 || a.calls_per_run < b.calls_per_run, "{name}");
                    }
                    _ => assert!(!o.count_regressed, "{name}"),
                }
                if let ChangeReason::Compared { time, count, .. } = &o.reason {
                    let alpha = c.alpha / c.tested.max(1) as f64;
                    match time {
                        TimeJudgement::Significant
                        | TimeJudgement::BelowSingleRunBar
                        | TimeJudgement::FastestCallUnmovedUnderContention
                        | TimeJudgement::WithinSingleRunNoise => {
                            assert!(o.p_value.unwrap() < alpha, "{name}: p ≥ α / tested");
                        }
                        TimeJudgement::NotSignificant => {
                            assert!(o.p_value.unwrap() >= alpha, "{name}")
                        }
                        TimeJudgement::Within => {
                            assert!(o.p_value.is_none(), "{name}: nothing tested within")
                        }
                        TimeJudgement::NotEnoughData => {}
                    }
                    if matches!(
                        time,
                        TimeJudgement::BelowSingleRunBar
                            | TimeJudgement::FastestCallUnmovedUnderContention
                    ) {
                        assert!(delta > 0.0 && o.severity == Some(Severity::Warn), "{name}");
                    }
                    if *time == TimeJudgement::WithinSingleRunNoise {
                        assert!(o.mean_ratio.unwrap() < 1.3, "{name}");
                    }
                    if let Some(count) = count {
                        assert_eq!(count.before_per_run, b.calls_per_run, "{name}");
                        assert_eq!(count.after_per_run, a.calls_per_run, "{name}");
                    }
                    assert!(!o.count_regressed || count.is_some(), "{name}");
                } else {
                    panic!("{name}: an operation on both sides is compared");
                }
            }
            _ => panic!("{name}: no side at all"),
        }
        if let Some(x) = &o.attribution {
            assert_eq!(
                o.status,
                ChangeStatus::Regressed,
                "{name}: attribution of a regression"
            );
            // The parts of the split add up to its change, and each named child grew.
            let listed: f64 = x.children.iter().map(|c| c.delta_us).sum();
            let sum = listed + x.other_children_us + x.own_code_us;
            assert!((sum - x.change_us).abs() < 1e-6, "{name}: {sum} vs {x:?}");
            for child in &x.children {
                assert!(
                    child.delta_us > 0.0 && child.delta_us <= x.change_us + 1e-6,
                    "{name}"
                );
            }
        }
    }
    for cause in &c.causes {
        let op = c.operations.iter().find(|o| o.name == cause.operation);
        let op = op.unwrap_or_else(|| panic!("cause {} is an operation", cause.operation));
        let (b, a) = (op.before.as_ref().unwrap(), op.after.as_ref().unwrap());
        match &cause.kind {
            CauseKind::Slower {
                ratio, delta_us, ..
            } => {
                assert!(close(*ratio, a.value_us / b.value_us, 0.005), "{}", op.name);
                assert_eq!(*delta_us, op.delta_us.unwrap(), "{}", op.name);
                assert_eq!(cause.added_per_run_us, delta_us * a.calls_per_run);
            }
            CauseKind::MoreCalls {
                before_per_run,
                after_per_run,
                ..
            } => {
                assert_eq!(
                    (*before_per_run, *after_per_run),
                    (b.calls_per_run, a.calls_per_run)
                );
                assert_eq!(
                    cause.added_per_run_us,
                    (after_per_run - before_per_run) * a.value_us
                );
            }
        }
    }
}

#[test]
fn the_sample_model_is_self_consistent() {
    assert_consistent(sample().comparison.as_ref().unwrap());
}

#[test]
fn the_consistency_check_catches_swapped_sides() {
    let mut c = sample().comparison.unwrap();
    let o = &mut c.operations[0];
    std::mem::swap(&mut o.before, &mut o.after);
    let swapped = std::panic::catch_unwind(|| assert_consistent(&c));
    assert!(swapped.is_err(), "a regression that got faster passed");
}

#[test]
fn table_snapshot() {
    let options = RenderOptions {
        color: false,
        width: Some(100),
        top: None,
        brief: false,
    };
    insta::assert_snapshot!("table", render(&sample(), Format::TABLE, &options));
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!("json", json::render(&sample()));
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!("junit", junit::render(&sample()));
}

#[test]
fn markdown_snapshot() {
    let options = MarkdownOptions {
        comment_id: Some("api-latency".into()),
        max_chars: None,
        max_bytes: None,
        source_links: None,
        no_charts: false,
    };
    insta::assert_snapshot!("markdown", markdown::render(&sample(), &options));
}

#[test]
fn github_snapshot() {
    let report = sample();
    let annotations = github::annotations(&report, Some(Path::new("/home/runner/work/svc/svc")));
    insta::assert_snapshot!(
        "github",
        format!(
            "{}\n--- GITHUB_OUTPUT\n{}",
            annotations.join("\n"),
            github::outputs(&report)
        )
    );
}

#[test]
fn codequality_snapshot() {
    insta::assert_snapshot!("codequality", crate::report::codequality::render(&sample()));
}

/// What GitLab requires of each issue: the five keys, a severity of its scale, a fingerprint
/// unique in the report, a path and a line from 1.
#[test]
fn codequality_issues_have_what_gitlab_requires() {
    let report = sample();
    let text = crate::report::codequality::render(&report);
    let issues: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let failures_and_warnings = report.count_severity(crate::outcome::Severity::Fail)
        + report.count_severity(crate::outcome::Severity::Warn);
    assert_eq!(issues.len(), failures_and_warnings, "{text}");
    let mut fingerprints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), issues.len(), "{text}");
    for issue in &issues {
        assert!(issue["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(
            issue["check_name"]
                .as_str()
                .unwrap()
                .starts_with("perfgate/")
        );
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap()),
            "{issue}"
        );
        assert!(!issue["location"]["path"].as_str().unwrap().is_empty());
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
    // The same report gives the same fingerprints (GitLab compares them across pipelines).
    assert_eq!(text, crate::report::codequality::render(&report));
    // Three issues of one identity (the same finding thrice): the first keeps the plain
    // fingerprint, the others are numbered in order.
    let mut thrice = sample();
    let first = thrice.findings[0].clone();
    thrice.findings = vec![first.clone(), first.clone(), first];
    thrice.budgets.clear();
    thrice.comparison = None;
    thrice.inputs.clear();
    let issues: Vec<serde_json::Value> =
        serde_json::from_str(&crate::report::codequality::render(&thrice)).unwrap();
    let prints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(prints.len(), 3, "{prints:?}");
    assert_eq!(prints[1], format!("{}-2", prints[0]));
    assert_eq!(prints[2], format!("{}-3", prints[0]));
}

#[test]
fn table_colours_marks_only_when_asked() {
    let report = sample();
    let mut options = RenderOptions::default();
    let plain = render(&report, Format::TABLE, &options);
    assert!(!plain.contains('\x1b'), "no escape codes without colour");
    options.color = true;
    let coloured = render(&report, Format::TABLE, &options);
    // crossterm's 256-colour codes: red 9, yellow 11, green 10.
    assert!(coloured.contains("\x1b[38;5;9m ✗ FAIL "), "{coloured}");
    assert!(coloured.contains("\x1b[38;5;11m ▲ WARN "), "{coloured}");
    assert!(
        coloured.contains("\x1b[38;5;10m ✓ on target "),
        "{coloured}"
    );
    assert!(
        coloured.contains("\x1b[1;31mFAIL\x1b[0m"),
        "the verdict line is red"
    );
}

#[test]
fn table_fits_the_terminal_width() {
    for width in [80u16, 100, 160] {
        let options = RenderOptions {
            color: false,
            width: Some(width),
            top: None,
            brief: false,
        };
        let text = render(&sample(), Format::TABLE, &options);
        for line in text.lines() {
            assert!(
                line.chars().count() <= width as usize,
                "line wider than {width}: {line:?}"
            );
        }
    }
}

#[test]
fn markdown_escapes_every_hostile_name() {
    let md = markdown::render(&sample(), &MarkdownOptions::default());
    assert!(md.starts_with("<!-- perfgate -->\n"));
    // Only the renderer's own tags: <details> opened and closed as often, and no script, img
    // or stray close.
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    assert!(!md.contains("<script"));
    assert!(!md.contains("<img"));
    assert!(!md.contains("@octocat"), "no mention survives");
    assert!(md.contains(r"a\|b"));
    // Every table row keeps its column count: no name adds or removes a cell.
    for block in md.split("\n\n") {
        let rows: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
        if let Some(first) = rows.first() {
            let cells = |l: &str| l.replace(r"\|", "").matches('|').count();
            for row in &rows {
                assert_eq!(cells(row), cells(first), "row {row:?} in\n{block}");
            }
        }
    }
    // No name starts a line of its own (so none can become a heading or a workflow command).
    for line in md.lines() {
        assert!(!line.trim_start().starts_with("::"), "line {line:?}");
    }
}

#[test]
fn markdown_is_cut_by_whole_rows_under_the_limit() {
    let mut report = sample();
    let comparison = report.comparison.as_mut().unwrap();
    for i in 0..3000 {
        comparison.operations.push(change(
            &format!("warned_operation_number_{i} (module_{i}.py)"),
            ChangeStatus::Unchanged,
            Some(Severity::Warn),
        ));
    }
    let full = markdown::render(
        &report,
        &MarkdownOptions {
            comment_id: None,
            max_chars: Some(usize::MAX),
            max_bytes: None,
            source_links: None,
            no_charts: false,
        },
    );
    assert!(
        full.chars().count() > markdown::MAX_CHARS,
        "the test needs a long report"
    );
    let md = markdown::render(&report, &MarkdownOptions::default());
    assert!(md.chars().count() <= markdown::MAX_CHARS);
    assert!(md.contains("more row(s) left out"));
    // The regressions survive the cut; every details block is still closed.
    assert!(md.contains("post\\_answer (diagnostic.py)"));
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    for line in md.lines().filter(|l| l.starts_with("| ")) {
        assert!(
            line.ends_with(" |"),
            "a row was cut in the middle: {line:?}"
        );
    }
    // Every full row that was kept is one of the full report's rows.
    let full_rows: std::collections::HashSet<&str> = full.lines().collect();
    for line in md.lines().filter(|l| l.starts_with("| ")) {
        assert!(full_rows.contains(line));
    }
}

#[test]
fn annotations_cannot_inject_workflow_commands() {
    let mut report = sample();
    // A warned budget named with percent signs and the escape of a newline.
    report.budgets[1].name = HOSTILE[6].into();
    let lines = github::annotations(&report, None);
    for line in &lines {
        // One line each: a newline would start a command of the name's choosing.
        assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
        // `::COMMAND key=value,key=value::MESSAGE`, as GitHub parses it: the properties end
        // at the first `::`, so a property value must not hold `:` or `,` (escaped %3A, %2C).
        let rest = line.strip_prefix("::").unwrap();
        let (head, message) = rest.split_once("::").unwrap();
        let (command, properties) = head.split_once(' ').unwrap_or((head, ""));
        assert!(
            ["error", "warning", "notice"].contains(&command),
            "command {command:?} in {line:?}"
        );
        for property in properties.split(',').filter(|p| !p.is_empty()) {
            let (key, value) = property.split_once('=').unwrap();
            assert!(
                ["file", "line", "endLine", "col", "title"].contains(&key),
                "property {key:?} in {line:?}"
            );
            assert!(!value.contains([':', ',']), "{key}={value:?} in {line:?}");
        }
        // Every `%` of the message is one of the escapes, so `%0A` written in a name stays
        // text (%250A) instead of becoming a newline when GitHub unescapes the message.
        for (i, _) in message.match_indices('%') {
            let escape = &message[i..(i + 3).min(message.len())];
            assert!(
                ["%25", "%0A", "%0D"].contains(&escape),
                "{escape:?} in {message:?}"
            );
        }
    }
    assert!(
        lines.iter().any(|l| l.contains("pct %250A%2525")),
        "the name with percent signs is annotated, escaped: {lines:#?}"
    );
    let injected = lines
        .iter()
        .find(|l| l.contains("injected"))
        .expect("the hostile finding is annotated");
    assert!(injected.contains("line%0A::error::injected"));
    assert!(injected.contains("file=a%2Cb%3Ac.py,line=7"));
}

#[test]
fn annotations_are_capped_and_errors_come_first() {
    let mut report = sample();
    let comparison = report.comparison.as_mut().unwrap();
    for i in 0..15 {
        let mut c = change(
            &format!("op{i}"),
            ChangeStatus::Regressed,
            Some(Severity::Fail),
        );
        c.delta_us = Some(i as f64 * 1000.0);
        c.after = Some(side(12, 410_000.0 + i as f64 * 1000.0));
        comparison.operations.push(c);
    }
    // A call-count regression whose calls got a little faster adds the most time per run
    // (12 → 120 calls of 400ms): it must be among the annotations, and first.
    let mut loop_ = change(
        "n_plus_one_query",
        ChangeStatus::Regressed,
        Some(Severity::Fail),
    );
    loop_.after = Some(side(120, 400_000.0));
    loop_.count_regressed = true;
    comparison.operations.push(loop_);
    let lines = github::annotations(&report, None);
    let errors: Vec<&String> = lines.iter().filter(|l| l.starts_with("::error")).collect();
    let warnings = lines.iter().filter(|l| l.starts_with("::warning")).count();
    assert_eq!(errors.len(), github::MAX_PER_LEVEL);
    assert!(warnings <= github::MAX_PER_LEVEL && warnings > 0);
    assert!(
        errors[0].contains("n_plus_one_query"),
        "the most added time first: {errors:?}"
    );
    assert!(errors[1].contains("post_answer"), "{errors:?}");
    assert!(errors[2].contains("rm -rf"), "{errors:?}");
    assert!(errors[3].contains("op14"), "{errors:?}");
    let first_warning = lines
        .iter()
        .position(|l| l.starts_with("::warning"))
        .unwrap();
    assert!(
        lines[..first_warning]
            .iter()
            .any(|l| l.contains("11 more error(s)")),
        "a flagged budget, a failing red flag, 3 + 16 regressions: 21 errors, 10 shown"
    );
}

#[test]
fn junit_counts_equal_the_testcases() {
    let xml = junit::render(&sample());
    // budgets: 1 failure, 2 skipped (warnings), 1 pass; comparison: 3 failures, 2 passes;
    // detectors: 1 failure, 1 skipped.
    assert!(xml.contains(r#"<testsuites name="perfgate" tests="11" failures="5" errors="0""#));
    assert!(xml.contains(r#"name="budgets" tests="4" failures="1" errors="0" skipped="2""#));
    assert!(xml.contains(r#"name="comparison" tests="5" failures="3" errors="0" skipped="0""#));
    assert!(xml.contains(r#"name="detectors" tests="2" failures="1" errors="0" skipped="1""#));
    assert_eq!(xml.matches("<testcase ").count(), 11);
    assert_eq!(xml.matches("<failure ").count(), 5);
    assert_eq!(xml.matches("<skipped ").count(), 3);
    assert!(!xml.contains("<script"));
    assert!(!xml.contains("</details>"));
}

/// A test that needs `what` goes on without it: a failure when env `CI` is set (.ci/run
/// installs every tool), elsewhere a note straight to the terminal (libtest captures the
/// `eprintln!` of a passing test, which would make the skip silent).
pub(crate) fn skip(what: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if std::env::var_os("CI").is_some() {
        panic!("{test} needs {what}, which CI must install (.ci/run) but was not found");
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: needs {what} (CI installs it; see .ci/run)"
    );
}

/// Runs an external checker; `None` (see [`skip`]) when the tool is missing.
fn external(program: &std::path::Path, args: &[&str]) -> Option<std::process::Output> {
    match std::process::Command::new(program).args(args).output() {
        Ok(out) => Some(out),
        Err(e) => {
            skip(&format!("{} ({e})", program.display()));
            None
        }
    }
}

/// A python with junitparser: env `PERFGATE_TEST_PYTHON`, else `.venv/bin/python`.
fn python_with_junitparser() -> Option<std::path::PathBuf> {
    let python = std::env::var_os("PERFGATE_TEST_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    let found = std::process::Command::new(&python)
        .args(["-c", "import junitparser"])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        Some(python)
    } else {
        skip("a Python with junitparser (set PERFGATE_TEST_PYTHON)");
        None
    }
}

fn sample_junit_file() -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, junit::render(&sample()).as_bytes()).unwrap();
    file
}

#[test]
fn junit_is_valid_against_the_jenkins_schema() {
    let file = sample_junit_file();
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/junit-10.xsd");
    let Some(out) = external(
        Path::new("xmllint"),
        &[
            "--noout",
            "--schema",
            xsd.to_str().unwrap(),
            file.path().to_str().unwrap(),
        ],
    ) else {
        return;
    };
    assert!(
        out.status.success(),
        "xmllint rejects the JUnit:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn junitparser_reads_what_the_model_says() {
    let Some(python) = python_with_junitparser() else {
        return;
    };
    let file = sample_junit_file();
    let script = r#"
import json, sys
from junitparser import JUnitXml, Failure, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
out = {}
for suite in xml:
    cases = []
    for case in suite:
        kinds = [type(r).__name__ for r in case.result]
        messages = [r.message for r in case.result]
        cases.append({"name": case.name, "results": kinds, "messages": messages})
    out[suite.name] = {"tests": suite.tests, "failures": suite.failures,
                       "skipped": suite.skipped, "errors": suite.errors, "cases": cases}
print(json.dumps(out))
"#;
    let out = std::process::Command::new(&python)
        .args(["-c", script, file.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = sample();
    let expect = |suite: &str, severities: Vec<Option<Severity>>, names: Vec<String>| {
        let s = &parsed[suite];
        let fails = severities
            .iter()
            .filter(|&&x| x == Some(Severity::Fail))
            .count();
        let warns = severities
            .iter()
            .filter(|&&x| x == Some(Severity::Warn))
            .count();
        assert_eq!(s["tests"], severities.len(), "{suite}");
        assert_eq!(s["failures"], fails, "{suite}");
        assert_eq!(s["skipped"], warns, "{suite}");
        assert_eq!(s["errors"], 0, "{suite}");
        let cases = s["cases"].as_array().unwrap();
        assert_eq!(
            cases.len(),
            names.len(),
            "{suite}: every testcase read back"
        );
        for ((case, severity), name) in cases.iter().zip(&severities).zip(&names) {
            let want = match severity {
                None => vec![],
                Some(Severity::Warn) => vec!["Skipped"],
                Some(Severity::Fail) => vec!["Failure"],
            };
            assert_eq!(case["results"], serde_json::json!(want), "{suite}: {case}");
            assert_eq!(case["name"].as_str().unwrap(), escape::terminal(name));
            if let Some(m) = case["messages"][0].as_str() {
                assert!(!m.contains('\n'), "one-line message: {m:?}");
            }
        }
    };
    let c = report.comparison.as_ref().unwrap();
    expect(
        "comparison",
        c.operations.iter().map(|o| o.severity).collect(),
        c.operations.iter().map(|o| o.name.clone()).collect(),
    );
    expect(
        "budgets",
        report.budgets.iter().map(|b| b.severity).collect(),
        report
            .budgets
            .iter()
            .map(|b| format!("{} [{}]", b.name, b.metric))
            .collect(),
    );
    expect(
        "detectors",
        report.findings.iter().map(|f| Some(f.severity)).collect(),
        report
            .findings
            .iter()
            .map(|f| {
                let parent = f
                    .parent
                    .as_ref()
                    .map_or(String::new(), |p| format!(" under {p}"));
                format!("{}: {}{parent}", text::finding_kind(f), f.operation)
            })
            .collect(),
    );
}

/// A comparison as a real project gives it: one own-code regression with a location inside
/// the repository, one own-code improvement, a warned library call, and many unchanged
/// operations, most of them builtins such as `list.append`.
fn many_operations() -> Report {
    let mut report = sample();
    let c = report.comparison.as_mut().unwrap();
    let mut cause = change(
        "decide_next (service.py)",
        ChangeStatus::Regressed,
        Some(Severity::Fail),
    );
    cause.file = Some("src/app/service.py".into());
    cause.line = Some(55);
    let mut faster = change("format_response (service.py)", ChangeStatus::Improved, None);
    faster.file = Some("src/app/service.py".into());
    faster.line = Some(90);
    let mut library = change("json.loads", ChangeStatus::Regressed, Some(Severity::Warn));
    library.origin = crate::ops::Origin::Library;
    library.file = Some("json/__init__.py".into());
    library.line = Some(299);
    let mut ops = vec![cause, faster, library];
    for i in 0..280 {
        let (name, origin) = if i % 4 == 0 {
            (format!("helper_{i} (util.py)"), crate::ops::Origin::Own)
        } else {
            (format!("list.append #{i}"), crate::ops::Origin::Unknown)
        };
        let mut o = change(&name, ChangeStatus::Unchanged, None);
        o.origin = origin;
        ops.push(o);
    }
    c.operations = ops;
    report
}

fn testcase_names(xml: &str, suite: &str) -> Vec<String> {
    let start = xml.find(&format!("<testsuite name=\"{suite}\"")).unwrap();
    let end = start + xml[start..].find("</testsuite>").unwrap();
    regex::Regex::new(r#"<testcase name="([^"]*)""#)
        .unwrap()
        .captures_iter(&xml[start..end])
        .map(|c| c[1].to_string())
        .collect()
}

#[test]
fn junit_lists_what_matters_and_counts_the_rest_in_one_case() {
    let report = many_operations();
    let xml = junit::render(&report);
    let names = testcase_names(&xml, "comparison");
    assert_eq!(
        &names[..3],
        [
            "decide_next (service.py)",
            "format_response (service.py)",
            "json.loads"
        ]
    );
    // Own code first among the rest, up to the default cap, then one summary case.
    assert_eq!(names.len(), 3 + junit::DEFAULT_MAX_CASES + 1, "{names:?}");
    assert!(names[3].starts_with("helper_0 "), "{names:?}");
    assert!(!names[3..13].iter().any(|n| n.starts_with("list.append")));
    let last = names.last().unwrap();
    assert!(
        last.starts_with("270 more operation(s) not listed") && last.contains("--junit-max-cases"),
        "{last}"
    );
    // The counts still equal the testcases.
    assert!(xml.contains(r#"name="comparison" tests="14" failures="1" errors="0" skipped="1""#));

    let none = junit::render_with(&report, &junit::JunitOptions { max_cases: 0 });
    assert_eq!(testcase_names(&none, "comparison").len(), 4);
    let all = junit::render_with(
        &report,
        &junit::JunitOptions {
            max_cases: usize::MAX,
        },
    );
    assert_eq!(testcase_names(&all, "comparison").len(), 283);
}

/// The location as each consumer reads it, transcribed from their parsers:
/// - mikepenz/action-junit-report `src/testParser.ts` (`createTestCaseAnnotation`:
///   `testcase._attributes.file`, `testcase._attributes.line`, used as they are when both are
///   set, `resolveFileAndLine`);
/// - EnricoMi/publish-unit-test-result-action `python/publish/junit.py` (`case._elem.get('file')`,
///   `int(case._elem.get('line'))`; the junitparser test below runs that code path);
/// - dorny/test-reporter `src/parsers/java-junit/java-junit-parser.ts` (`exceptionThrowSource`,
///   `getFilePath`) with `java-stack-trace-element-parser.ts`: a failure body line
///   `at PACKAGE.Class.method(FILE:LINE)`, FILE a tracked file's name, PACKAGE (the dotted
///   parts before the first one starting at or below 'Z') its directories.
fn dorny_location(body: &str, tracked: &[&str]) -> Option<(String, u32)> {
    let re = regex::Regex::new(r"^\s*at (\S+/\S*/)?(.*)\((.*):(\d+)\)$").unwrap();
    for line in body.split('\n') {
        let Some(m) = re.captures(line) else { continue };
        let (trace_path, file_name, line_no) = (&m[2], &m[3], &m[4]);
        let mut package: Vec<&str> = trace_path.split('.').collect();
        if let Some(i) = package
            .iter()
            .position(|p| p.chars().next().is_some_and(|c| c <= 'Z'))
        {
            package.truncate(i);
        }
        if package.is_empty() {
            continue;
        }
        for path in tracked {
            let (dir, base) = path.rsplit_once('/').unwrap_or((".", path));
            if base != file_name {
                continue;
            }
            let dirs: Vec<&str> = dir.split('/').collect();
            if package.len() > dirs.len() {
                continue;
            }
            if dirs[dirs.len() - package.len()..] == package[..] {
                return Some((path.to_string(), line_no.parse().unwrap()));
            }
        }
    }
    None
}

/// The attributes of one testcase and what it holds (its `<failure>` or `<skipped>`).
fn testcase<'a>(xml: &'a str, name: &str) -> (&'a str, &'a str) {
    let start = xml.find(&format!("<testcase name=\"{name}\"")).unwrap();
    let rest = &xml[start..];
    let tag_end = rest.find('>').unwrap();
    let end = rest.find("</testcase>").unwrap_or(tag_end);
    (&rest[..tag_end], &rest[tag_end..end])
}

/// The text of the `<failure>` element in what a testcase holds, as an XML parser gives it.
fn failure_text(inner: &str) -> String {
    let start = inner.find("<failure").unwrap();
    let open_end = start + inner[start..].find('>').unwrap() + 1;
    let end = inner.find("</failure>").unwrap();
    inner[open_end..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[at..at + tag[at..].find('"')?])
}

#[test]
fn every_consumer_finds_the_source_line_of_an_own_code_regression() {
    let xml = junit::render(&many_operations());
    let (tag, body) = testcase(&xml, "decide_next (service.py)");
    // mikepenz and EnricoMi: the attributes.
    assert_eq!(attribute(tag, "file"), Some("src/app/service.py"));
    assert_eq!(attribute(tag, "line"), Some("55"));
    // dorny: the frame line in the failure body.
    let body = failure_text(body);
    assert!(
        body.ends_with("\nat src.app.Perfgate.decide_next(service.py:55)"),
        "{body}"
    );
    assert_eq!(
        dorny_location(
            &body,
            &["README.md", "src/app/service.py", "tests/service.py"]
        ),
        Some(("src/app/service.py".into(), 55))
    );
    // A library operation has no file of the repository to annotate.
    let (tag, body) = testcase(&xml, "json.loads");
    assert_eq!(attribute(tag, "file"), None);
    assert_eq!(dorny_location(body, &["json/__init__.py"]), None);
    // A warning's reason is in the message of its <skipped>, which is all consumers show.
    assert!(
        body.contains("<skipped message=\"") && body.contains("(warning: "),
        "{body}"
    );
}

#[test]
fn junit_with_locations_is_valid_against_the_schema_copy() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, junit::render(&many_operations()).as_bytes()).unwrap();
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/junit-10.xsd");
    let Some(out) = external(
        Path::new("xmllint"),
        &[
            "--noout",
            "--schema",
            xsd.to_str().unwrap(),
            file.path().to_str().unwrap(),
        ],
    ) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// EnricoMi/publish-unit-test-result-action reads JUnit with junitparser and takes the source
/// location as `python/publish/junit.py` does (`test_file=case._elem.get('file')`,
/// `line=int_opt(case._elem.get('line'))`), annotating failures (`get_case_annotations`).
#[test]
fn junitparser_reads_file_and_line_as_enricomi_does() {
    let Some(python) = python_with_junitparser() else {
        return;
    };
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, junit::render(&many_operations()).as_bytes()).unwrap();
    let script = r#"
import json, sys
from junitparser import JUnitXml, TestCase, TestSuite
xml = JUnitXml.fromfile(sys.argv[1])
out = []
for suite in xml:
    for case in suite.iterchildren(TestCase):
        line = case._elem.get('line')
        results = [r._tag for r in case.result]
        out.append([case.name, case._elem.get('file'), int(line) if line else None, results])
print(json.dumps(out))
"#;
    let out = std::process::Command::new(&python)
        .args(["-c", script, file.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let find = |name: &str| {
        cases
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c[0] == name)
            .unwrap_or_else(|| panic!("{name} in {cases}"))
            .clone()
    };
    assert_eq!(
        find("decide_next (service.py)"),
        serde_json::json!([
            "decide_next (service.py)",
            "src/app/service.py",
            55,
            ["failure"]
        ])
    );
    assert_eq!(find("json.loads")[1], serde_json::Value::Null);
}

#[test]
fn one_oversized_name_is_shortened_and_costs_no_section() {
    let mut report = sample();
    let huge = format!("{} (huge.py)", "x".repeat(1_000_000));
    let c = report.comparison.as_mut().unwrap();
    c.operations[0].name = huge.clone();
    let md = markdown::render(&report, &MarkdownOptions::default());
    assert!(md.chars().count() <= markdown::MAX_CHARS);
    assert!(!md.contains("left out"), "nothing needs dropping:\n{md}");
    // Every budget and red-flag row is still there, and the row of the long name too.
    for b in &report.budgets {
        assert!(md.contains(&escape::markdown(&b.name)), "{}", b.name);
    }
    assert!(md.contains("### Red flags") && md.contains("N+1 calls"));
    assert!(md.contains("(1000010 characters)") && md.contains(" (huge.py)"));
}

/// A comparison with thousands of warned operations, budgets and red flags.
fn long_report() -> Report {
    let mut report = sample();
    let comparison = report.comparison.as_mut().unwrap();
    for i in 0..3000 {
        comparison.operations.push(change(
            &format!("warned_operation_number_{i} (module_{i}.py)"),
            ChangeStatus::Unchanged,
            Some(Severity::Warn),
        ));
    }
    report
}

#[test]
fn the_comment_fits_once_and_keeps_budgets_and_red_flags_before_regressions() {
    let report = long_report();
    let md = markdown::render(&report, &MarkdownOptions::default());
    let n = md.chars().count();
    // Filled up to the limit (no second cut needed anywhere), and not over it.
    assert!(
        n <= markdown::MAX_CHARS && n > markdown::MAX_CHARS - 1_000,
        "{n}"
    );
    for b in &report.budgets {
        assert!(md.contains(&escape::markdown(&b.name)), "{}", b.name);
    }
    for f in &report.findings {
        assert!(
            md.contains(&escape::markdown(&f.operation)),
            "{}",
            f.operation
        );
    }
    assert!(md.contains("more row(s) left out"));
    assert!(md.ends_with("</sub>\n"), "the traces line closes it");
}

#[test]
fn the_job_summary_has_its_own_budget_in_bytes() {
    let report = long_report();
    let options = MarkdownOptions {
        max_bytes: Some(markdown::SUMMARY_MAX_BYTES),
        ..MarkdownOptions::default()
    };
    let summary = markdown::render(&report, &options);
    assert!(summary.len() <= markdown::SUMMARY_MAX_BYTES);
    // 3 000 rows fit in a MiB: none is left out, unlike the comment.
    assert!(!summary.contains("left out"));
    assert!(summary.contains("warned\\_operation\\_number\\_2999"));
    // Multibyte text is counted in bytes.
    let small = MarkdownOptions {
        max_bytes: Some(30_000),
        ..MarkdownOptions::default()
    };
    assert!(markdown::render(&report, &small).len() <= 30_000);
}

#[test]
fn html_and_flame_graph_escape_every_hostile_name() {
    use crate::outcome::pictures::{CallPathFrame, CallPathTable};
    let mut report = sample();
    let names: Vec<String> = HOSTILE.iter().map(|s| s.to_string()).collect();
    let frames = names
        .iter()
        .enumerate()
        .map(|(i, name)| CallPathFrame {
            parent: (i > 0).then_some(0),
            operation: name.clone(),
            origin: crate::ops::Origin::Own,
            total_us: if i == 0 { 1000.0 } else { 10.0 },
            self_us: 10.0,
            before_total_us: Some(5.0),
            before_self_us: Some(5.0),
        })
        .collect();
    report.pictures.call_paths = Some(CallPathTable {
        runs: 1,
        before_runs: Some(1),
        frames,
        merged_paths: 0,
        min_share: 0.001,
    });
    let html = super::Format::HTML.render(&report, &super::RenderSettings::default());
    assert!(
        names.iter().any(|n| n.contains("<script>")),
        "the sample is hostile"
    );
    // The page's one script; the graph's is inside the escaped srcdoc attribute.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(!html.contains("<img"));
    // Escaped once in the page's text, twice in the graph (SVG text inside an attribute).
    assert!(html.contains("&lt;/details&gt;&lt;img src=x onerror=alert(1)&gt;</td>"));
    assert!(html.contains("&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;"));
    assert!(html.contains("srcdoc=\"&lt;?xml"));
    let svg = super::Format::FLAMEGRAPH.render(&report, &super::RenderSettings::default());
    assert_eq!(svg.matches("<script").count(), 1, "inferno's own");
    assert!(!svg.contains("<img") && !svg.contains("<script>alert"));
}

#[test]
fn the_measured_environment_says_what_was_done_and_supersedes_the_estimate() {
    use crate::outcome::{Environment, MeasuredEnvironment};
    let mut c = sample().comparison.unwrap();
    c.environment = Some(Environment {
        ratio: 1.4,
        operations: 21,
        notable: true,
    });
    let estimated = super::text::environment_note(&c).unwrap();
    assert!(estimated.contains("1.40× slower"), "{estimated}");
    let measured = |before: f64, after: f64, after_scale: f64| MeasuredEnvironment {
        before_run_share: before,
        after_run_share: after,
        after_scale,
    };
    // Both sides got the CPU they asked for: no note, whatever the estimate says.
    c.measured_environment = Some(measured(0.99, 0.98, 1.0));
    assert_eq!(super::text::environment_note(&c), None);
    // The after side got less: the divisor and its price are told.
    c.measured_environment = Some(measured(0.99, 0.55, 0.99 / 0.55));
    let note = super::text::environment_note(&c).unwrap();
    assert!(
        note.starts_with(
            "the after runs got 55% of the CPU time they asked for, the before runs 99%"
        ),
        "{note}"
    );
    assert!(note.contains("judged divided by 1.80"), "{note}");
    assert!(note.contains("code that waits (sleep, I/O)"), "{note}");
    // The before side got less: judged as traced, and said so.
    c.measured_environment = Some(measured(0.55, 0.99, 1.0));
    let note = super::text::environment_note(&c).unwrap();
    assert!(
        note.contains("a busier before side makes the after side look faster"),
        "{note}"
    );
    assert!(!note.contains("divided"), "{note}");
}
