//! The comparison section of the terminal report: regressions first (each with the children
//! that explain it), then warnings, improvements, added and removed operations, and one line
//! counting the unchanged ones.

use comfy_table::{Cell, Color, ColumnConstraint, Width};

use crate::outcome::units::{fmt_num, fmt_p};
use crate::outcome::units::{human_us, signed_pct, signed_us};
use crate::outcome::{ChangeStatus, Comparison, OpChange, Severity, SideFigures};
use crate::report::escape::terminal;
use crate::report::{RenderOptions, text};

use super::{colored, fit_names, new_table, num, wrap_text};

/// Renders the comparison (the verdict line is the caller's).
pub fn render(c: &Comparison, options: &RenderOptions) -> String {
    // Free text wraps to the terminal; the tables wrap their own cells.
    let text = |t: String| wrap_text(&t, options.width);
    let mut parts = vec![text(format!(
        "Compared {} of {} before run(s) with {} after run(s): threshold {}%, noise floor {}, α={}",
        c.metric.as_str(),
        c.before_runs,
        c.after_runs,
        fmt_num(c.threshold_pct),
        human_us(c.noise_floor_us),
        c.alpha
    ))];
    let pick = |f: &dyn Fn(&OpChange) -> bool| -> Vec<&OpChange> {
        c.operations.iter().filter(|o| f(o)).collect()
    };
    let regressed = pick(&|o| o.status == ChangeStatus::Regressed && o.explained_by.is_none());
    let followers = pick(&|o| o.status == ChangeStatus::Regressed && o.explained_by.is_some());
    if let Some(problem) = text::coverage_problem(c) {
        parts.push(text(format!("✗ {problem}")));
    }
    if let Some(note) = text::environment_note(c) {
        parts.push(text(format!("Note: {note}")));
    }
    if !c.causes.is_empty() {
        parts.push(text(causes(c)));
    }
    let warned = pick(&|o| o.status != ChangeStatus::Regressed && o.severity.is_some());
    let improved = pick(&|o| o.status == ChangeStatus::Improved);
    let added = pick(&|o| o.status == ChangeStatus::Added && o.severity.is_none());
    let removed = pick(&|o| o.status == ChangeStatus::Removed);
    if !regressed.is_empty() {
        parts.push(section("Regressions", &regressed, c, options));
        parts.push(text(explanations(&regressed, c)));
    }
    if !followers.is_empty() {
        let names: Vec<String> = followers.iter().map(|o| terminal(&o.name)).collect();
        parts.push(text(format!(
            "Also regressed, because of the causes above: {}",
            names.join(", ")
        )));
    }
    if !warned.is_empty() {
        parts.push(section("Warnings", &warned, c, options));
        parts.push(text(reasons(&warned, c)));
    }
    if options.brief {
        // A coverage failure is about what the after side lost: name it even in brief.
        if c.coverage.severity.is_some() && !removed.is_empty() {
            parts.push(text(names_line(&[], &removed)));
        }
        return parts.join("\n\n");
    }
    if !improved.is_empty() {
        parts.push(section("Improvements", &improved, c, options));
    }
    if !added.is_empty() || !removed.is_empty() {
        parts.push(text(names_line(&added, &removed)));
    }
    parts.push(text(quiet_line(c)));
    parts.join("\n\n")
}

fn section(title: &str, ops: &[&OpChange], c: &Comparison, options: &RenderOptions) -> String {
    let header = ["Operation", "Before", "After", "Change", "p", "Calls/run"];
    let mut table = new_table(options, &header);
    let rows: Vec<[String; 5]> = ops.iter().map(|o| number_cells(o)).collect();
    let fixed = keep_numbers_whole(&mut table, &header, &rows);
    let names: Vec<String> = ops.iter().map(|o| name_text(o)).collect();
    let names = fit_names(&mut table, &names, &fixed, options.width);
    for ((o, cells), name) in ops.iter().zip(&rows).zip(names) {
        let mut row = vec![name_cell(o, name, options)];
        row.extend(cells.iter().map(|t| num(t.clone())));
        table.add_row(row);
    }
    let per = if c.metric.is_per_run() {
        "per run"
    } else {
        "per call"
    };
    format!("{title} ({} {per})\n{table}", c.metric.as_str())
}

/// Before, after, change, p, calls per run.
fn number_cells(o: &OpChange) -> [String; 5] {
    let value = |s: &Option<SideFigures>| s.as_ref().map_or("-".into(), |f| human_us(f.value_us));
    let calls =
        |s: &Option<SideFigures>| s.as_ref().map_or("0".into(), |f| fmt_num(f.calls_per_run));
    let change = match (o.delta_us, o.delta_pct) {
        (Some(d), Some(p)) => format!("{} {}", signed_us(d), signed_pct(p)),
        (Some(d), None) => signed_us(d),
        _ => "-".into(),
    };
    [
        value(&o.before),
        value(&o.after),
        change,
        o.p_value.map_or("-".into(), fmt_p),
        format!("{}→{}", calls(&o.before), calls(&o.after)),
    ]
}

/// Number columns never wrap; the operation name takes what is left. Returns their widths.
fn keep_numbers_whole(
    table: &mut comfy_table::Table,
    header: &[&str],
    rows: &[[String; 5]],
) -> Vec<usize> {
    let mut widths = Vec::new();
    for i in 0..5 {
        let widest = rows
            .iter()
            .map(|r| r[i].chars().count())
            .chain([header[i + 1].len()])
            .max()
            .unwrap_or(0);
        if let Some(column) = table.column_mut(i + 1) {
            column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(widest as u16 + 2)));
        }
        widths.push(widest + 2);
    }
    widths
}

/// The operation's name; a regression of the call count is marked, since its time per call
/// may not have moved.
fn name_text(o: &OpChange) -> String {
    let mut text = terminal(&o.name);
    if o.count_regressed {
        text.push_str(" [more calls]");
    } else if o.status == ChangeStatus::NotEnoughSamples {
        text.push_str(" [few samples]");
    }
    text
}

/// The (wrapped) name, coloured by the severity it adds.
fn name_cell(o: &OpChange, text: String, options: &RenderOptions) -> Cell {
    match o.severity {
        Some(Severity::Fail) => colored(text, Color::Red, options),
        Some(Severity::Warn) => colored(text, Color::Yellow, options),
        None => Cell::new(text),
    }
}

/// For each regression: why, and which children account for it.
fn explanations(ops: &[&OpChange], c: &Comparison) -> String {
    let mut lines = Vec::new();
    for o in ops {
        lines.push(format!("{}: {}", terminal(&o.name), text::reason(o, c)));
        if let Some(split) = text::attribution(o, usize::MAX) {
            lines.push(format!(
                "  why: {}",
                terminal(&format!("{} {split}", o.name))
            ));
        }
    }
    lines.join("\n")
}

/// `Cause(s):` and one line per root cause, largest first.
fn causes(c: &Comparison) -> String {
    let mut lines = vec!["Cause(s):".to_string()];
    for cause in &c.causes {
        let mut line = format!("  ✗ {}", terminal(&text::cause_sentence(cause, c.metric)));
        if let Some(loc) = text::location(&cause.file, cause.line) {
            line.push_str(&format!(" at {}", terminal(&loc)));
        }
        lines.push(line);
    }
    lines.join("\n")
}

fn reasons(ops: &[&OpChange], c: &Comparison) -> String {
    ops.iter()
        .map(|o| format!("{}: {}", terminal(&o.name), text::reason(o, c)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn names_line(added: &[&OpChange], removed: &[&OpChange]) -> String {
    let list = |ops: &[&OpChange]| {
        ops.iter()
            .map(|o| terminal(&o.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines = Vec::new();
    if !added.is_empty() {
        lines.push(format!("Added (cheap): {}", list(added)));
    }
    if !removed.is_empty() {
        lines.push(format!("Removed: {}", list(removed)));
    }
    lines.join("\n")
}

fn quiet_line(c: &Comparison) -> String {
    let count = |s: ChangeStatus| {
        c.operations
            .iter()
            .filter(|o| o.status == s && o.severity.is_none())
            .count()
    };
    format!(
        "{} operation(s) unchanged, {} within thresholds but with too few calls to test",
        count(ChangeStatus::Unchanged),
        count(ChangeStatus::NotEnoughSamples)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{
        Attribution, AttributionBasis, ChangeReason, Contribution, Metric, TimeJudgement,
    };

    fn change(name: &str, status: ChangeStatus, severity: Option<Severity>) -> OpChange {
        OpChange {
            name: name.into(),
            status,
            severity,
            before: Some(SideFigures {
                count: 12,
                calls_per_run: 12.0,
                value_us: 525_000.0,
            }),
            after: Some(SideFigures {
                count: 12,
                calls_per_run: 12.0,
                value_us: 835_000.0,
            }),
            delta_us: Some(310_000.0),
            delta_pct: Some(59.05),
            adjusted_pct: None,
            p_value: Some(7.4e-7),
            test: Some("exact".into()),
            evidence: crate::outcome::Evidence::Calls,
            tail: None,
            alpha: None,
            calls_delta_pct: Some(0.0),
            shift_us: Some(300_000.0),
            shift_ci_us: Some((250_000.0, 350_000.0)),
            mean_ratio: None,
            min_ratio: None,
            count_regressed: false,
            reason: ChangeReason::Compared {
                time: TimeJudgement::Significant,
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

    fn model() -> Comparison {
        let mut decide = change("decide_next", ChangeStatus::Regressed, Some(Severity::Fail));
        decide.attribution = Some(Attribution {
            basis: AttributionBasis::MeanPerCall,
            change_us: 310_000.0,
            other_children_us: 0.0,
            own_code_us: 2_000.0,
            children: vec![
                Contribution {
                    operation: "call_claude".into(),
                    delta_us: 290_000.0,
                    calls_per_parent_before: 1.0,
                    calls_per_parent_after: 2.0,
                    delta_per_call_us: 1_000.0,
                    self_delta_us: 10.0,
                },
                Contribution {
                    operation: "traverse_graph".into(),
                    delta_us: 18_000.0,
                    calls_per_parent_before: 1.0,
                    calls_per_parent_after: 1.0,
                    delta_per_call_us: 18_000.0,
                    self_delta_us: 100.0,
                },
            ],
        });
        // Twice the calls per run (12 → 24), each call as slow as decide_next's.
        let mut claude = change("call_claude", ChangeStatus::Regressed, Some(Severity::Fail));
        claude.count_regressed = true;
        let after = claude.after.as_mut().unwrap();
        (after.count, after.calls_per_run) = (24, 24.0);
        claude.calls_delta_pct = Some(100.0);
        claude.reason = ChangeReason::Compared {
            time: TimeJudgement::Significant,
            evidence: crate::outcome::Evidence::Calls,
            count: Some(crate::outcome::CountReason {
                before_per_run: 12.0,
                after_per_run: 24.0,
                cost_per_run_us: 12.0 * 835_000.0,
                below_noise_floor: false,
                consistent: true,
            }),
        };
        // Significantly slower, but below the single-run bar (1.22× < 1.5×): a warning.
        let mut tail = change("evaluate", ChangeStatus::Unchanged, Some(Severity::Warn));
        tail.after.as_mut().unwrap().value_us = 640_000.0;
        (tail.delta_us, tail.delta_pct) = (Some(115_000.0), Some(21.9));
        tail.p_value = Some(0.001);
        (tail.shift_us, tail.shift_ci_us) = (Some(110_000.0), Some((90_000.0, 130_000.0)));
        tail.reason = ChangeReason::Compared {
            time: TimeJudgement::BelowSingleRunBar,
            evidence: crate::outcome::Evidence::Calls,
            count: None,
        };
        // The same figures the other way round: 835 ms → 525 ms.
        let mut faster = change("format_response", ChangeStatus::Improved, None);
        faster.before.as_mut().unwrap().value_us = 835_000.0;
        faster.after.as_mut().unwrap().value_us = 525_000.0;
        (faster.delta_us, faster.delta_pct) = (Some(-310_000.0), Some(-37.1));
        (faster.shift_us, faster.shift_ci_us) = (Some(-300_000.0), Some((-350_000.0, -250_000.0)));
        // New, 12 calls of 50 µs: 0.6 ms a run, under the noise floor.
        let mut added = change("get_prerequisite", ChangeStatus::Added, None);
        added.before = None;
        added.after.as_mut().unwrap().value_us = 50.0;
        added.reason = ChangeReason::Added {
            calls_per_run: 12.0,
            cost_per_run_us: 600.0,
            above_noise_floor: false,
        };
        (added.delta_us, added.delta_pct, added.p_value, added.test) = (None, None, None, None);
        (added.calls_delta_pct, added.shift_us, added.shift_ci_us) = (None, None, None);
        // +1 %: within the thresholds, not tested.
        let mut quiet = change("validate_answer", ChangeStatus::Unchanged, None);
        quiet.after.as_mut().unwrap().value_us = 530_250.0;
        (quiet.delta_us, quiet.delta_pct) = (Some(5_250.0), Some(1.0));
        (quiet.p_value, quiet.test, quiet.shift_us, quiet.shift_ci_us) = (None, None, None, None);
        quiet.reason = ChangeReason::Compared {
            time: TimeJudgement::Within,
            evidence: crate::outcome::Evidence::Calls,
            count: None,
        };
        Comparison {
            metric: Metric::P95,
            threshold_pct: 10.0,
            noise_floor_us: 1000.0,
            alpha: 0.01,
            min_samples: 5,
            tested: 4,
            environment: None,
            measured_environment: None,
            coverage: crate::outcome::Coverage {
                before_operations: 10,
                after_measured: 10,
                share: 1.0,
                min_share: 0.5,
                severity: None,
            },
            causes: Vec::new(),
            before_runs: 1,
            after_runs: 1,
            operations: vec![decide, claude, tail, faster, added, quiet],
            memory: None,
        }
    }

    #[test]
    fn the_model_is_self_consistent() {
        crate::report::tests::assert_consistent(&model());
    }

    #[test]
    fn at_80_columns_names_wrap_between_words() {
        let mut c = model();
        for o in &mut c.operations {
            o.name = format!("{} (service.py)", o.name);
        }
        let options = RenderOptions {
            color: false,
            width: Some(80),
            top: None,
            brief: false,
        };
        let out = render(&c, &options);
        let words: Vec<String> = c
            .operations
            .iter()
            .flat_map(|o| {
                name_text(o)
                    .split(' ')
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut cells = 0;
        for line in out.lines().filter(|l| l.starts_with('│')) {
            assert!(line.chars().count() <= 80, "{line}");
            let cell = line
                .trim_start_matches('│')
                .split('┆')
                .next()
                .unwrap()
                .trim();
            if cell.is_empty() || cell == "Operation" {
                continue;
            }
            cells += 1;
            for w in cell.split(' ') {
                assert!(
                    words.iter().any(|x| x == w),
                    "{w:?} cut from a name:\n{out}"
                );
            }
        }
        assert!(cells > 0, "{out}");
    }

    #[test]
    fn brief_names_what_the_after_side_lost_when_coverage_fell() {
        let mut c = model();
        let mut gone = change("load_questions", ChangeStatus::Removed, None);
        gone.after = None;
        c.operations.push(gone);
        let options = RenderOptions {
            color: false,
            width: Some(80),
            top: None,
            brief: true,
        };
        assert!(!render(&c, &options).contains("load_questions"));
        c.coverage.after_measured = 2;
        c.coverage.share = 0.2;
        c.coverage.severity = Some(Severity::Fail);
        let out = render(&c, &options);
        assert!(out.contains("Removed: load_questions"), "{out}");
    }

    #[test]
    fn sections_in_order_with_attribution() {
        let options = RenderOptions {
            color: false,
            width: Some(100),
            top: None,
            brief: false,
        };
        insta::assert_snapshot!(render(&model(), &options));
    }
}
