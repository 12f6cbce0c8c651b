//! Plain-text sentences about budgets, changes and findings, shared by the renderers that
//! explain results to people (JUnit bodies, Markdown cells, GitHub annotations).
//!
//! The text is NOT escaped: each renderer escapes it for its own sink (see [`super::escape`]).

use crate::outcome::memory_change::{GcFigures, MemoryChange};
use crate::outcome::paired::PairedReport;
use crate::outcome::units::{fmt_num, human_us, p_phrase, signed_pct, signed_us};
use crate::outcome::{
    AttributionBasis, BudgetResult, BudgetStatus, Cause, CauseKind, ChangeReason, ChangeStatus,
    Comparison, Contribution, CountReason, CounterSummary, Evidence, Finding, FindingKind,
    GcSummary, MeasuredEnvironment, Metric, OpChange, TimeJudgement, Unit,
};

/// A budget value in its unit: `412ms`, or `3.5 calls`.
pub fn budget_value(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Us => human_us(value),
        Unit::Count if value.fract() == 0.0 => format!("{value:.0}"),
        Unit::Count => format!("{value:.2}"),
    }
}

/// A budget's threshold in its unit, `-` when the budget has none (a `count` budget with only
/// `at_least`).
pub fn budget_threshold(unit: Unit, value: Option<f64>) -> String {
    value.map_or("-".into(), |v| budget_value(unit, v))
}

/// The target as a table cell shows it: `800ms`; with a lower bound (`at_least`) the range
/// on target, `1..5`, or `≥ 1` when there is no upper one.
pub fn budget_target_cell(b: &BudgetResult) -> String {
    match (b.at_least, b.target) {
        (Some(low), Some(t)) => format!("{low}..{}", budget_value(b.unit, t)),
        (Some(low), None) => format!("≥ {low}"),
        (None, t) => budget_threshold(b.unit, t),
    }
}

/// The band a budget result falls in, as people say it.
pub fn budget_status(status: BudgetStatus) -> &'static str {
    match status {
        BudgetStatus::OnTarget => "on target",
        BudgetStatus::Acceptable => "acceptable",
        BudgetStatus::Flagged => "flagged",
        BudgetStatus::TooFew => "too few calls",
        BudgetStatus::NoMatch => "no match",
    }
}

/// `1 call`, `3 calls`.
fn calls(n: f64) -> String {
    let n = budget_value(Unit::Count, n);
    if n == "1" {
        "1 call".into()
    } else {
        format!("{n} calls")
    }
}

/// One line: `p95 of call_claude is 812ms, above the flag 600ms (target 300ms)`.
pub fn budget_line(b: &BudgetResult) -> String {
    let target = budget_threshold(b.unit, b.target);
    let flag = budget_threshold(b.unit, b.flag);
    match (b.status, b.value) {
        (BudgetStatus::TooFew, v) => format!(
            "{}: expected at least {}, got {}{}",
            b.name,
            calls(b.at_least.unwrap_or(0) as f64),
            v.map_or("none".into(), |v| budget_value(b.unit, v)),
            did_you_mean(b)
        ),
        (BudgetStatus::NoMatch, _) | (_, None) => {
            format!(
                "{}: no call in the traces matches its operation pattern \"{}\"{}",
                b.name,
                b.pattern,
                did_you_mean(b)
            )
        }
        (status, Some(v)) => {
            let v = budget_value(b.unit, v);
            let band = match (status, b.at_least, b.flag) {
                (BudgetStatus::Flagged, _, _) => {
                    format!("above the flag {flag} (target {target})")
                }
                (BudgetStatus::Acceptable, _, _) => {
                    format!("above the target {target}, within the flag {flag}")
                }
                (_, Some(low), None) => format!("at least {} as required", calls(low as f64)),
                _ => format!("within the target {target} (flag {flag})"),
            };
            format!("{}: {} is {v}, {band}", b.name, b.metric)
        }
    }
}

/// The garbage collection of the traces in one line.
pub fn gc_line(gc: &GcSummary) -> String {
    format!(
        "Garbage collection: {} collection(s), {} in all (longest {}), {} object(s) freed",
        gc.collections,
        human_us(gc.total_us),
        human_us(gc.max_us),
        gc.collected
    )
}

/// What the memory rows of a comparison are: facts shown, never judged.
pub const MEMORY_NOTE: &str =
    "informational: memory fails the gate only through a `gc` or `counter` budget";

/// One row of a comparison's memory table: what, before, after, the change.
pub struct MemoryRow {
    pub what: String,
    pub before: String,
    pub after: String,
    pub change: String,
}

/// The memory of a comparison as rows: garbage collection per run (collections, time, the
/// longest), then each counter's growth and maximum. A side that did not record it shows `-`.
pub fn memory_rows(m: &MemoryChange) -> Vec<MemoryRow> {
    let mut rows = Vec::new();
    if let Some(gc) = &m.gc {
        let figure =
            |f: fn(&GcFigures) -> f64| (gc.before.as_ref().map(f), gc.after.as_ref().map(f));
        let (b, a) = figure(|g| g.collections_per_run);
        rows.push(memory_row(
            "GC collections per run".into(),
            b,
            a,
            fmt_num,
            signed_value,
        ));
        let (b, a) = figure(|g| g.total_us_per_run);
        rows.push(memory_row(
            "GC time per run".into(),
            b,
            a,
            human_us,
            signed_us,
        ));
        let (b, a) = figure(|g| g.max_us);
        rows.push(memory_row("longest GC".into(), b, a, human_us, signed_us));
    }
    for c in &m.counters {
        let growth = |s: &Option<CounterSummary>| s.as_ref().map(|s| s.growth);
        let max = |s: &Option<CounterSummary>| s.as_ref().map(|s| s.max);
        rows.push(memory_row(
            format!("{} growth", c.name),
            growth(&c.before),
            growth(&c.after),
            signed_value,
            signed_value,
        ));
        rows.push(memory_row(
            format!("{} max", c.name),
            max(&c.before),
            max(&c.after),
            fmt_num,
            signed_value,
        ));
    }
    rows
}

fn memory_row(
    what: String,
    before: Option<f64>,
    after: Option<f64>,
    show: fn(f64) -> String,
    signed: fn(f64) -> String,
) -> MemoryRow {
    let side = |v: Option<f64>| v.map_or("-".to_string(), show);
    MemoryRow {
        what,
        before: side(before),
        after: side(after),
        change: match (before, after) {
            (Some(b), Some(a)) => signed(a - b),
            _ => "-".into(),
        },
    }
}

/// A change of a counter with its sign: `+3`, `-0.50`, `0`.
pub fn signed_value(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", fmt_num(v))
    } else {
        fmt_num(v)
    }
}

/// `; did you mean call_claude (llm.py)?` when a pattern that matched nothing is close to
/// names in the traces.
pub fn did_you_mean(b: &BudgetResult) -> String {
    if b.did_you_mean.is_empty() {
        return String::new();
    }
    format!("; did you mean {}?", b.did_you_mean.join(" or "))
}

/// A change's status as people say it.
pub fn change_status(status: ChangeStatus) -> &'static str {
    match status {
        ChangeStatus::Regressed => "regressed",
        ChangeStatus::Improved => "improved",
        ChangeStatus::Unchanged => "unchanged",
        ChangeStatus::Added => "added",
        ChangeStatus::Removed => "removed",
        ChangeStatus::NotEnoughSamples => "not enough samples",
    }
}

/// `412ms → 812ms (+400ms, +97.1%)` for the compared metric.
pub fn change_figures(o: &OpChange) -> String {
    let side = |s: &Option<crate::outcome::SideFigures>| {
        s.as_ref().map_or("-".into(), |f| human_us(f.value_us))
    };
    let mut out = format!("{} → {}", side(&o.before), side(&o.after));
    if let (Some(d), Some(p)) = (o.delta_us, o.delta_pct) {
        out.push_str(&format!(" ({}, {})", signed_us(d), signed_pct(p)));
    } else if let Some(d) = o.delta_us {
        out.push_str(&format!(" ({})", signed_us(d)));
    }
    out
}

/// `p = 0.0012`, or `p < 1e-4`; `None` when no test ran.
pub fn p_value(o: &OpChange) -> Option<String> {
    o.p_value.map(p_phrase)
}

/// One line: `call_claude (x.py) regressed: p95 412ms → 812ms (+400ms, +97.1%), p = 0.0012`,
/// with `, calls per run 12 → 24` when the call count is (part of) the reason.
pub fn change_line(o: &OpChange, metric: &str) -> String {
    let mut out = format!(
        "{} {}: {metric} {}",
        o.name,
        line_status(o),
        change_figures(o)
    );
    if let Some(p) = p_value(o) {
        out.push_str(", ");
        out.push_str(&p);
    }
    if o.count_regressed {
        out.push_str(", calls per run ");
        out.push_str(&calls_per_run(o));
    }
    out
}

/// Why a change got its status, in one sentence: the rules that decided it and their figures
/// (`p95 +59.0% (+310ms): significant, p=7.4e-7 (exact) < α=0.01`).
pub fn reason(o: &OpChange, c: &Comparison) -> String {
    match &o.reason {
        ChangeReason::Added {
            calls_per_run,
            cost_per_run_us,
            above_noise_floor: true,
        } => format!(
            "new operation: {} call(s) per run costing {} per run (above the {} noise floor)",
            fmt_num(*calls_per_run),
            human_us(*cost_per_run_us),
            human_us(c.noise_floor_us)
        ),
        ChangeReason::Added {
            calls_per_run,
            cost_per_run_us,
            above_noise_floor: false,
        } => format!(
            "new operation: {} call(s) per run costing {} per run (below the noise floor)",
            fmt_num(*calls_per_run),
            human_us(*cost_per_run_us)
        ),
        ChangeReason::Removed {
            calls_per_run,
            cost_per_run_us,
        } => format!(
            "no longer called (was {} call(s) per run costing {} per run)",
            fmt_num(*calls_per_run),
            human_us(*cost_per_run_us)
        ),
        ChangeReason::Compared {
            time,
            evidence,
            count,
        } => {
            let time = time_reason(*time, *evidence, o, c);
            match count {
                // A regression by call count says so first: its time per call may not have
                // moved.
                Some(n) if o.count_regressed => format!("{}; {time}", count_reason(n)),
                Some(n) => format!("{time}; {}", count_reason(n)),
                None => time,
            }
        }
    }
}

/// The test that decided, with its effect: `p < 1e-4, Welch t on 5+5 runs`, `9 of 60 calls
/// above the pooled p93 (was 1 of 60), Fisher p = 0.008`.
fn test_phrase(o: &OpChange, c: &Comparison) -> String {
    let Some(p) = o.p_value else {
        return "no test".into();
    };
    let alpha = o.alpha.unwrap_or(c.alpha / c.tested.max(1) as f64);
    let at = format!("α={}", trim_alpha(alpha));
    match (o.test.as_deref(), &o.tail) {
        (Some("fisher-tail"), Some(t)) => format!(
            "{} of {} calls above the pooled p{} ({}) vs {} of {} before, Fisher {}, {at}",
            t.after_above,
            t.after_calls,
            trim_float(t.level * 100.0),
            human_us(t.threshold_us),
            t.before_above,
            t.before_calls,
            p_phrase(p)
        ),
        (Some("paired-t"), _) => format!(
            "paired t on the log ratios of {} interleaved pairs (the smaller of it and Welch's, \
             doubled), {}, {at}",
            c.before_runs.min(c.after_runs),
            p_phrase(p)
        ),
        (Some("paired-welch"), _) => format!(
            "Welch t on the runs of {} interleaved pairs (the smaller of it and the paired t, \
             doubled), {}, {at}",
            c.before_runs.min(c.after_runs),
            p_phrase(p)
        ),
        (
            Some(
                test
                @ ("paired-t-mean" | "paired-welch-mean" | "paired-t-min" | "paired-welch-min"),
            ),
            _,
        ) => {
            let (how, figure) = test
                .strip_prefix("paired-")
                .and_then(|t| t.split_once('-'))
                .unwrap_or(("t", "mean"));
            format!(
                "{} on each run's {} over {} interleaved pairs (the smallest p of the tests on \
                 the runs' {}, mean call and fastest call, times their number), {}, {at}",
                if how == "t" { "paired t" } else { "Welch t" },
                if figure == "min" {
                    "fastest call"
                } else {
                    "mean call"
                },
                c.before_runs.min(c.after_runs),
                c.metric.as_str(),
                p_phrase(p)
            )
        }
        (Some("welch-runs-min"), _) => format!(
            "Welch t on each run's fastest call over {}+{} runs (steadier here than the runs' \
             {}; the smaller p of the two tests, doubled), {}, {at}",
            c.before_runs,
            c.after_runs,
            c.metric.as_str(),
            p_phrase(p)
        ),
        (Some("welch-runs"), _) => format!(
            "Welch t on {}+{} runs, {}, {at}",
            c.before_runs,
            c.after_runs,
            p_phrase(p)
        ),
        (Some(test), _) => format!("{test}, {}, {at}", p_phrase(p)),
        (None, _) => format!("{}, {at}", p_phrase(p)),
    }
}

/// α divided among the tests, in few characters.
fn trim_alpha(a: f64) -> String {
    if a >= 0.01 {
        trim_float(a)
    } else {
        format!("{a:.1e}")
    }
}

/// What held a significant one-run slowdown below the 1.5× bar: the mean call, which a few
/// slow calls of one run move less than the metric; the fastest call, which slower code moves
/// and contention during part of a run does not; or the metric and the fastest call both.
fn below_bar_phrase(o: &OpChange) -> String {
    let metric_ratio = o.delta_pct.map(|p| 1.0 + p / 100.0);
    match (o.mean_ratio, metric_ratio, o.min_ratio) {
        (Some(mean), _, _) if mean < 1.5 && metric_ratio.is_some_and(|m| m >= 1.5) => format!(
            "its mean call moved only {mean:.2}× (below 1.5×: a few slow calls moved the tail)"
        ),
        (Some(mean), _, Some(min)) if mean >= 1.5 && min < 1.2 => format!(
            "its fastest call moved only {min:.2}× (below 1.2×: slower code slows every call; a \
             busy moment during one run slows some)"
        ),
        _ => "below 1.5×".to_string(),
    }
}

fn time_reason(time: TimeJudgement, evidence: Evidence, o: &OpChange, c: &Comparison) -> String {
    let on = match evidence {
        Evidence::Runs => " (per-run geometric mean)",
        Evidence::Pairs => " (geometric mean over the pairs)",
        _ => "",
    };
    let adjusted = o.adjusted_pct.map_or(String::new(), |p| {
        format!(", {} relative to the CPU it got", signed_pct(p))
    });
    let change = format!(
        "{}{on} {} ({}){adjusted}",
        c.metric.as_str(),
        o.delta_pct.map_or("-".into(), signed_pct),
        signed_us(o.delta_us.unwrap_or(0.0))
    );
    match time {
        TimeJudgement::Within => format!(
            "{change} within the {}% threshold or the {} noise floor",
            fmt_num(c.threshold_pct),
            human_us(c.noise_floor_us)
        ),
        TimeJudgement::NotEnoughData => format!(
            "{change}: not enough data to judge (fewer than {} calls per run and fewer than 3 \
             runs per side); run it 3+ times per side to judge it",
            c.min_samples
        ),
        TimeJudgement::NotSignificant => {
            format!("{change}: not significant ({})", test_phrase(o, c))
        }
        TimeJudgement::BelowSingleRunBar => format!(
            "{change}: significant ({}) but {} with one run per side, which a busy \
             machine alone can cause; compare 3+ runs per side",
            test_phrase(o, c),
            below_bar_phrase(o)
        ),
        TimeJudgement::FastestCallUnmovedUnderContention => format!(
            "{change}: significant ({}) but its runs' fastest calls moved only {:.2}×: the \
             after runs got less CPU, which stretches slow calls and leaves the fastest \
             alone, while slower code slows every call; compare on a quieter runner (or use \
             perfgate record)",
            test_phrase(o, c),
            o.min_ratio.unwrap_or(1.0)
        ),
        TimeJudgement::WithinSingleRunNoise => format!(
            "{change}: significant ({}) but its mean call moved only {:.2}×, within what two \
             runs of the same code differ by (1.3×); compare 3+ runs per side to judge it",
            test_phrase(o, c),
            o.mean_ratio.unwrap_or(1.0)
        ),
        TimeJudgement::Significant if o.diffuse => format!(
            "{change}: significant ({}), but spread over what it calls, none of which \
             regressed on its own: a slower machine does this; compare 3+ runs per side",
            test_phrase(o, c)
        ),
        TimeJudgement::Significant => {
            format!("{change}: significant ({})", test_phrase(o, c))
        }
    }
}

fn count_reason(n: &CountReason) -> String {
    if n.below_noise_floor {
        return format!(
            "calls per run {} → {}, costing {} per run at the median call (below the noise floor)",
            fmt_num(n.before_per_run),
            fmt_num(n.after_per_run),
            signed_us(n.cost_per_run_us)
        );
    }
    let mut out = format!(
        "calls per run {} → {} ({}), {} per run at the median call",
        fmt_num(n.before_per_run),
        fmt_num(n.after_per_run),
        signed_pct((n.after_per_run - n.before_per_run) / n.before_per_run * 100.0),
        signed_us(n.cost_per_run_us)
    );
    if !n.consistent {
        out.push_str(", not in every run");
    }
    out
}

/// `the whole run is 2.31× slower than before (the median of 23 operations' own time per
/// call): environment, not code? …` when the environment moved 2× or more either way.
pub fn environment_note(c: &Comparison) -> Option<String> {
    // Measured, the CPU each side got supersedes the estimate from the traces (noisy: its
    // median of own times per call moved 1.25× or more in 55 % of the harness's idle A/A
    // pairs, docs/compare.md rule 7).
    if let Some(m) = &c.measured_environment {
        return measured_note(m);
    }
    let e = c.environment.filter(|e| e.notable)?;
    let (factor, way) = if e.ratio >= 1.0 {
        (e.ratio, "slower")
    } else {
        (1.0 / e.ratio, "faster")
    };
    Some(format!(
        "the whole run is {factor:.2}× {way} than before (the median of {} operations' own \
         time per call): environment, not code? The verdict does not adjust for it; compare \
         3+ runs per side (or use perfgate record) to be sure",
        e.operations
    ))
}

/// What the scheduler records beside the traces say, when the two sides' environments
/// differ: `the after runs got 52% of the CPU time they asked for, the before runs 99% …`.
fn measured_note(m: &MeasuredEnvironment) -> Option<String> {
    let pct = |share: f64| format!("{:.0}%", share * 100.0);
    let shares = format!(
        "the after runs got {} of the CPU time they asked for, the before runs {} (the \
         kernel's scheduler statistics, recorded beside the traces)",
        pct(m.after_run_share),
        pct(m.before_run_share)
    );
    if m.after_scale > 1.0 {
        return Some(format!(
            "{shares}: the after side's durations are judged divided by {:.2}, the CPU it \
             lacked. A slowdown of code that waits (sleep, I/O) by up to that factor is not \
             seen; compare on a quieter runner (or use perfgate record) to judge it",
            m.after_scale
        ));
    }
    (m.before_run_share < m.after_run_share / 1.05).then(|| {
        format!(
            "{shares}: a busier before side makes the after side look faster; slowdowns \
             are judged on the durations as traced"
        )
    })
}

/// The sentence for a comparison whose after side lost what the before side measured, or
/// `None` when coverage is fine: `the after side measured 1 of 17 operations of the before
/// side (6%, below 50%): is the tracer misconfigured?`.
pub fn coverage_problem(c: &Comparison) -> Option<String> {
    let cov = &c.coverage;
    cov.severity?;
    Some(format!(
        "the after side measured {} of {} operations of the before side ({:.0}%, below {:.0}%): \
         is the tracer misconfigured (an include filter, a test that no longer runs the code)?",
        cov.after_measured,
        cov.before_operations,
        cov.share * 100.0,
        cov.min_share * 100.0
    ))
}

/// One sentence naming a root cause: `traverse_graph (graph.py) 2.0× slower (+38.1ms p95,
/// own code)`, `call_claude (llm.py) called 2× per decide_next (svc.py), was 1×`.
pub fn cause_sentence(cause: &Cause, metric: Metric) -> String {
    match &cause.kind {
        CauseKind::Slower {
            ratio,
            delta_us,
            own_code_share,
        } => {
            let factor = if ratio.is_finite() && *ratio >= 1.5 {
                format!("{}× slower", trim_ratio(*ratio))
            } else if ratio.is_finite() {
                format!("{} slower", signed_pct((ratio - 1.0) * 100.0))
            } else {
                "slower".into()
            };
            let where_ = if *own_code_share >= 0.5 {
                ", own code"
            } else {
                ", in what it calls"
            };
            format!(
                "{} {factor} ({} {}{where_})",
                cause.operation,
                signed_us(*delta_us),
                metric.as_str()
            )
        }
        CauseKind::MoreCalls {
            before_per_run,
            after_per_run,
            parent,
            before_per_parent,
            after_per_parent,
        } => match (parent, before_per_parent, after_per_parent) {
            (Some(parent), Some(b), Some(a)) if *b > 0.0 => format!(
                "{} called {}× per {parent}, was {}×",
                cause.operation,
                trim_float(*a),
                trim_float(*b)
            ),
            (Some(parent), Some(_), Some(a)) => format!(
                "{} newly called {}× per {parent}",
                cause.operation,
                trim_float(*a)
            ),
            _ => format!(
                "{} called {} times per run, was {}",
                cause.operation,
                trim_float(*after_per_run),
                trim_float(*before_per_run)
            ),
        },
    }
}

/// `2×`, `2.4×`: a ratio with one decimal at most.
fn trim_ratio(r: f64) -> String {
    let rounded = (r * 10.0).round() / 10.0;
    trim_float(rounded)
}

/// The paired session in one line for the terminal and Markdown renderers: pairs, order,
/// metric and how much the machine drifted (the operations' paired judgements are in the
/// comparison's rows, evidence `pairs`).
pub fn paired_line(p: &PairedReport) -> String {
    let drift = match &p.drift {
        Some(d) => format!(
            "; the machine drifted {:.1}% across the session (base timing per pair: {}), which \
             the pairs cancel",
            d.range_pct,
            d.per_pair
                .iter()
                .map(|v| format!("{v:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => String::new(),
    };
    format!(
        "paired: {} pairs, interleaved ({}), {} per run{drift}",
        p.pairs, p.order, p.metric
    )
}

/// The status word of a one-line message. A change that carries a warning but was not judged
/// a regression (above the thresholds, not significant) is not "unchanged" to a reader.
pub fn line_status(o: &OpChange) -> &'static str {
    match (o.status, o.severity) {
        (ChangeStatus::Unchanged, Some(_)) => "changed (not significant)",
        (status, _) => change_status(status),
    }
}

/// `12 → 24`: calls per run before and after.
pub fn calls_per_run(o: &OpChange) -> String {
    let side = |s: &Option<crate::outcome::SideFigures>| {
        s.as_ref()
            .map_or("0".into(), |f| trim_float(f.calls_per_run))
    };
    format!("{} → {}", side(&o.before), side(&o.after))
}

/// Where a regression's change went, in one figure, the lines adding up to it:
/// `mean per call +30.2ms: sleep_until +25.7ms (now called 2× per call, was 1×), 3 other
/// children +0.1ms, +4.4ms in its own code`. At most `limit` children are named; the rest
/// are summed. `None` without an attribution.
pub fn attribution(o: &OpChange, limit: usize) -> Option<String> {
    let a = o.attribution.as_ref()?;
    let basis = match a.basis {
        AttributionBasis::TotalPerRun => "per run",
        AttributionBasis::MeanPerCall => "mean per call",
    };
    let mut parts: Vec<String> = a.children.iter().take(limit).map(contribution).collect();
    let rest: f64 = a
        .children
        .iter()
        .skip(limit)
        .map(|c| c.delta_us)
        .sum::<f64>()
        + a.other_children_us;
    // Left out when it is a rounding of the change (the sum still holds to what is shown).
    if rest.abs() > 0.005 * a.change_us.abs() {
        parts.push(format!("other children {}", signed_us(rest)));
    }
    parts.push(format!("{} in its own code", signed_us(a.own_code_us)));
    Some(format!(
        "{basis} {}: {}",
        signed_us(a.change_us),
        parts.join(", ")
    ))
}

/// One child's share: `call_claude +290ms (now called 2× per call, was 1×)`.
fn contribution(c: &Contribution) -> String {
    let (before, after) = (c.calls_per_parent_before, c.calls_per_parent_after);
    let calls = if before == 0.0 {
        format!(" (newly called, {}× per call)", fmt_num(after))
    } else if (after - before).abs() > 1e-9 {
        format!(
            " (now called {}× per call, was {}×)",
            fmt_num(after),
            fmt_num(before)
        )
    } else {
        String::new()
    };
    format!("{} {}{calls}", c.operation, signed_us(c.delta_us))
}

/// How a finding is said. One arm per kind: a new detector's finding is worded here.
pub struct FindingWords {
    /// Its kind as people say it: `N+1 calls`, `blocking I/O in async code`.
    pub kind: &'static str,
    /// Its kind as a table's label: `N+1 calls`, `Blocking I/O`.
    pub label: &'static str,
    /// Its `count` is the calls under one parent call (shown `count × occurrences`), not the
    /// number of offending calls.
    pub per_parent: bool,
    /// The sentence that explains it, with its figures and what to do.
    pub sentence: String,
}

/// The words of finding `f`.
pub fn finding_words(f: &Finding) -> FindingWords {
    let operation = &f.operation;
    let parent = f.parent.as_deref().unwrap_or("<root>");
    let in_traces = match f.traces {
        0 | 1 => String::new(),
        n => format!(" across {n} traces"),
    };
    let threshold = human_us(f.threshold_us.unwrap_or(0.0));
    match f.kind {
        FindingKind::NPlusOne => FindingWords {
            kind: "N+1 calls",
            label: "N+1 calls",
            per_parent: true,
            sentence: format!(
                "N+1: {operation} called {} times in a row under one {parent} call, in {} of its calls{in_traces} ({} in all); batch or join these calls",
                f.count,
                f.occurrences,
                human_us(f.total_us),
            ),
        },
        FindingKind::RepeatedCall => FindingWords {
            kind: "repeated call",
            label: "Repeated call",
            per_parent: true,
            sentence: format!(
                "repeated expensive call: {operation} called {} times under one {parent} call{}, in {} of its calls{in_traces} ({} in all); reuse the first result",
                f.count,
                match f.threshold_us {
                    Some(t) if t > 0.0 => format!(" (each ≥ {threshold})"),
                    _ => String::new(),
                },
                f.occurrences,
                human_us(f.total_us),
            ),
        },
        FindingKind::ConsecutiveQueries => FindingWords {
            kind: "consecutive queries",
            label: "Consecutive queries",
            per_parent: true,
            sentence: format!(
                "consecutive queries: {} single queries one after another under one {parent} call, starting with {operation}, in {} of its calls{in_traces} ({} in all); join them into one query",
                f.count,
                f.occurrences,
                human_us(f.total_us),
            ),
        },
        FindingKind::RedundantCall => FindingWords {
            kind: "redundant call",
            label: "Redundant call",
            per_parent: true,
            sentence: format!(
                "redundant call: {operation} ran the same query {} times in a row under one {parent} call, in {} of its calls{in_traces} ({} in all); run it once and reuse the result",
                f.count,
                f.occurrences,
                human_us(f.total_us),
            ),
        },
        FindingKind::NPlusOneIntroduced | FindingKind::RepeatedCallIntroduced => {
            let (before, after) = f
                .per_parent
                .map_or((0.0, f.count as f64), |c| (c.before, c.after));
            let at = match (&f.file, f.line) {
                (Some(file), Some(line)) => format!(" ({file}:{line})"),
                (Some(file), None) => format!(" ({file})"),
                _ => String::new(),
            };
            if f.kind == FindingKind::NPlusOneIntroduced {
                FindingWords {
                    kind: "N+1 introduced",
                    label: "N+1 introduced",
                    per_parent: false,
                    sentence: format!(
                        "N+1 introduced: {operation} {} → {} calls per {parent}{at}; batch or join these calls",
                        per_call(before),
                        per_call(after),
                    ),
                }
            } else {
                FindingWords {
                    kind: "repeated call introduced",
                    label: "Repeated call introduced",
                    per_parent: false,
                    sentence: format!(
                        "{operation} now called {}× per {parent}, was {}×{at}; reuse the first result",
                        per_call(after),
                        per_call(before),
                    ),
                }
            }
        }
        FindingKind::SlowCall => FindingWords {
            kind: "slow call",
            label: "Slow call",
            per_parent: false,
            sentence: format!(
                "slow call: {} call(s) of {operation} above the flag {threshold} of budget \"{}\"{in_traces} (slowest {})",
                f.count,
                f.budget.as_deref().unwrap_or("?"),
                human_us(f.slowest_us),
            ),
        },
        FindingKind::BlockingIo => FindingWords {
            kind: "blocking I/O in async code",
            label: "Blocking I/O",
            per_parent: false,
            sentence: format!(
                "blocking I/O in async code: {operation} blocked the event loop inside {parent} on an asyncio task, {} call(s){in_traces} ({} in all, slowest {}); use an async equivalent or run it in an executor",
                f.count,
                human_us(f.total_us),
                human_us(f.slowest_us),
            ),
        },
        FindingKind::GcPressure => FindingWords {
            kind: "GC pressure",
            label: "GC pressure",
            per_parent: false,
            sentence: format!(
                "GC pressure: {} garbage collection(s) interrupted {operation}{in_traces}, {} in all ({:.0}% of its time, above {:.0}%; longest {}); allocate fewer short-lived objects (or gc.freeze() long-lived ones)",
                f.count,
                human_us(f.total_us),
                f.share.unwrap_or(0.0) * 100.0,
                f.max_share.unwrap_or(0.0) * 100.0,
                human_us(f.slowest_us),
            ),
        },
    }
}

/// What a kind of red flag is, independent of any one finding: the rule SARIF viewers show
/// (GitHub code scanning's alert page). One arm per kind, next to [`finding_words`].
pub struct FindingRule {
    /// PascalCase: `NPlusOne`.
    pub name: &'static str,
    pub short: &'static str,
    pub full: &'static str,
    /// What to do about it.
    pub help: &'static str,
}

/// The rule of a kind of red flag.
pub fn finding_rule(kind: FindingKind) -> FindingRule {
    let (name, short, full, help) = match kind {
        FindingKind::NPlusOne => (
            "NPlusOne",
            "N+1 calls: the same operation called many times in a row under one parent call",
            "A data-access operation is called once per item of a loop under one parent call (the N+1 pattern), where one batched call or a join would do.",
            "Batch the calls (one query for all items) or join the data in the query that fetched the items.",
        ),
        FindingKind::RepeatedCall => (
            "RepeatedCall",
            "An expensive call repeated under one parent call",
            "An expensive operation (an LLM or API call above its minimum duration) is called more than once under one parent call.",
            "Call it once and reuse the first result, or cache it for the parent call.",
        ),
        FindingKind::SlowCall => (
            "SlowCall",
            "A call above its budget's flag",
            "Single calls of a budgeted operation took longer than the budget's flag threshold.",
            "Look at the slowest calls (perfgate summary) and what they wait for.",
        ),
        FindingKind::BlockingIo => (
            "BlockingIoInAsync",
            "Blocking I/O inside a coroutine",
            "A blocking call (file, socket, sleep, synchronous client) ran inside an asyncio task and blocked the event loop for every other task.",
            "Use the async equivalent, or run the call in an executor (loop.run_in_executor, asyncio.to_thread).",
        ),
        FindingKind::ConsecutiveQueries => (
            "ConsecutiveQueries",
            "Single queries one after another where one join would do",
            "Several single queries of different tables or statements run one after another under one parent call.",
            "Join them into one query.",
        ),
        FindingKind::RedundantCall => (
            "RedundantCall",
            "The same query run several times under one parent call",
            "The same query text (not only the same template) runs several times under one parent call.",
            "Run it once and reuse the result.",
        ),
        FindingKind::NPlusOneIntroduced => (
            "NPlusOneIntroduced",
            "An N+1 loop introduced or grown by the change",
            "A watched data-access operation is now called at least the detector's minimum times per call of its parent, more than twice as often as before the change.",
            "Batch or join these calls where the parent makes them.",
        ),
        FindingKind::RepeatedCallIntroduced => (
            "RepeatedCallIntroduced",
            "An expensive call repeated more often than before the change",
            "An expensive operation (an LLM or API call) is called more often per call of its parent than before the change, at least twice.",
            "Reuse the first result instead of calling again.",
        ),
        FindingKind::GcPressure => (
            "GcPressure",
            "Garbage collection takes a large share of an operation's time",
            "Garbage collections interrupted an operation for more than the allowed share of its time (viztracer --log_gc).",
            "Allocate fewer short-lived objects, or gc.freeze() long-lived ones after start-up.",
        ),
    };
    FindingRule {
        name,
        short,
        full,
        help,
    }
}

/// Calls per parent call: `12`, `1.5`.
fn per_call(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{}", v.round())
    } else {
        format!("{v:.1}")
    }
}

/// A finding's kind as people say it.
pub fn finding_kind(f: &Finding) -> &'static str {
    finding_words(f).kind
}

/// The sentence that explains a finding.
pub fn finding_sentence(f: &Finding) -> String {
    finding_words(f).sentence
}

/// The calls of a finding: `8 × 12` for a pattern repeated under several parent calls (8 in
/// a row under each of 12 parent calls), else the number of offending calls.
pub fn finding_calls(f: &Finding) -> String {
    if finding_words(f).per_parent && f.occurrences > 1 {
        format!("{} × {}", f.count, f.occurrences)
    } else {
        f.count.to_string()
    }
}

/// One line: `N+1 calls: execute_query ×12 under handle_request (38.0ms)`.
pub fn finding_line(f: &Finding) -> String {
    let mut out = format!("{}: {}", finding_kind(f), f.operation);
    if f.count > 1 {
        out.push_str(&format!(" ×{}", f.count));
    }
    if let Some(parent) = &f.parent {
        out.push_str(&format!(" under {parent}"));
    }
    out.push_str(&format!(" ({})", human_us(f.total_us)));
    out
}

/// `file.py:42`, `file.py`, or `None`.
pub fn location(file: &Option<String>, line: Option<u32>) -> Option<String> {
    let file = file.as_ref()?;
    Some(match line {
        Some(l) => format!("{file}:{l}"),
        None => file.clone(),
    })
}

/// `2`, `1.5`, `0.33`: a per-parent figure without trailing zeros.
fn trim_float(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_calls_show_the_pattern_and_how_often_it_happened() {
        let mut f = crate::report::tests::sample().findings[0].clone();
        f.kind = FindingKind::NPlusOne;
        f.count = 8;
        f.occurrences = 12;
        assert_eq!(finding_calls(&f), "8 × 12");
        f.occurrences = 1;
        assert_eq!(finding_calls(&f), "8");
        f.kind = FindingKind::SlowCall;
        f.count = 7;
        f.occurrences = 7;
        assert_eq!(finding_calls(&f), "7");
    }

    #[test]
    fn finding_sentences_are_worded_from_the_findings_figures() {
        let base = crate::report::tests::sample().findings[0].clone();
        let f = |kind, count, occurrences, total_us, slowest_us, traces, threshold_us| Finding {
            kind,
            operation: "call_claude (diagnostic.py)".into(),
            parent: Some("decide_next (diagnostic.py)".into()),
            count,
            occurrences,
            total_us,
            slowest_us,
            traces,
            threshold_us,
            ..base.clone()
        };
        let n_plus_one = f(FindingKind::NPlusOne, 8, 24, 2_760_000.0, 0.0, 2, None);
        assert_eq!(
            finding_sentence(&n_plus_one),
            "N+1: call_claude (diagnostic.py) called 8 times in a row under one decide_next \
             (diagnostic.py) call, in 24 of its calls across 2 traces (2.76s in all); batch or \
             join these calls"
        );
        let repeated = f(
            FindingKind::RepeatedCall,
            2,
            12,
            10_070_000.0,
            0.0,
            1,
            Some(1e5),
        );
        assert_eq!(
            finding_sentence(&repeated),
            "repeated expensive call: call_claude (diagnostic.py) called 2 times under one \
             decide_next (diagnostic.py) call (each ≥ 100ms), in 12 of its calls (10.07s in all); \
             reuse the first result"
        );
        let slow = Finding {
            parent: None,
            budget: Some("Claude API".into()),
            ..f(
                FindingKind::SlowCall,
                12,
                12,
                3e7,
                1_484_633.0,
                1,
                Some(1.2e6),
            )
        };
        assert_eq!(
            finding_sentence(&slow),
            "slow call: 12 call(s) of call_claude (diagnostic.py) above the flag 1.20s of budget \
             \"Claude API\" (slowest 1.48s)"
        );
        let blocking = Finding {
            parent: None,
            ..f(
                FindingKind::BlockingIo,
                6,
                6,
                303_000.0,
                52_826.0,
                3,
                Some(1e4),
            )
        };
        assert_eq!(
            finding_sentence(&blocking),
            "blocking I/O in async code: call_claude (diagnostic.py) blocked the event loop inside \
             <root> on an asyncio task, 6 call(s) across 3 traces (303ms in all, slowest 52.8ms); \
             use an async equivalent or run it in an executor"
        );
        assert_eq!(finding_words(&blocking).label, "Blocking I/O");
        assert_eq!(finding_kind(&repeated), "repeated call");
    }

    #[test]
    fn a_held_back_one_run_slowdown_names_the_figure_that_held_it_with_two_decimals() {
        let c = crate::report::tests::sample().comparison.unwrap();
        let mut o = c.operations[0].clone();
        // The p95 doubled and the mean call moved 1.42×: the tail alone.
        o.delta_pct = Some(100.0);
        o.mean_ratio = Some(1.42);
        o.min_ratio = Some(1.25);
        assert_eq!(
            below_bar_phrase(&o),
            "its mean call moved only 1.42× (below 1.5×: a few slow calls moved the tail)"
        );
        // Every figure but the fastest call moved: 1.03× was shown as "1×" before.
        o.mean_ratio = Some(1.8);
        o.min_ratio = Some(1.03);
        assert_eq!(
            below_bar_phrase(&o),
            "its fastest call moved only 1.03× (below 1.2×: slower code slows every call; a \
             busy moment during one run slows some)"
        );
        o.min_ratio = Some(1.3);
        o.delta_pct = Some(40.0);
        assert_eq!(below_bar_phrase(&o), "below 1.5×");
    }
}
