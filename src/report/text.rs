//! Plain-text sentences about budgets, changes and findings, shared by the renderers that
//! explain results to people (JUnit bodies, Markdown cells, GitHub annotations).
//!
//! The text is NOT escaped: each renderer escapes it for its own sink (see [`super::escape`]).

use super::units::{human_us, signed_pct, signed_us};
use super::{BudgetResult, BudgetStatus, ChangeStatus, Finding, FindingKind, OpChange, Unit};

/// A budget value in its unit: `412ms`, or `3.5 calls`.
pub fn budget_value(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Us => human_us(value),
        Unit::Count if value.fract() == 0.0 => format!("{value:.0}"),
        Unit::Count => format!("{value:.2}"),
    }
}

/// The band a budget result falls in, as people say it.
pub fn budget_status(status: BudgetStatus) -> &'static str {
    match status {
        BudgetStatus::OnTarget => "on target",
        BudgetStatus::Acceptable => "acceptable",
        BudgetStatus::Flagged => "flagged",
        BudgetStatus::NoMatch => "no match",
    }
}

/// One line: `p95 of call_claude is 812ms, above the flag 600ms (target 300ms)`.
pub fn budget_line(b: &BudgetResult) -> String {
    let target = budget_value(b.unit, b.target);
    let flag = budget_value(b.unit, b.flag);
    match (b.status, b.value) {
        (BudgetStatus::NoMatch, _) | (_, None) => {
            format!(
                "{}: no call in the traces matches its operation pattern \"{}\"",
                b.name, b.pattern
            )
        }
        (status, Some(v)) => {
            let v = budget_value(b.unit, v);
            let band = match status {
                BudgetStatus::Flagged => format!("above the flag {flag} (target {target})"),
                BudgetStatus::Acceptable => {
                    format!("above the target {target}, within the flag {flag}")
                }
                _ => format!("within the target {target} (flag {flag})"),
            };
            format!("{}: {} is {v}, {band}", b.name, b.metric)
        }
    }
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
    let side =
        |s: &Option<super::SideFigures>| s.as_ref().map_or("-".into(), |f| human_us(f.value_us));
    let mut out = format!("{} → {}", side(&o.before), side(&o.after));
    if let (Some(d), Some(p)) = (o.delta_us, o.delta_pct) {
        out.push_str(&format!(" ({}, {})", signed_us(d), signed_pct(p)));
    } else if let Some(d) = o.delta_us {
        out.push_str(&format!(" ({})", signed_us(d)));
    }
    out
}

/// `p = 0.0012`, or `p < 0.0001`; `None` when no test ran.
pub fn p_value(o: &OpChange) -> Option<String> {
    o.p_value.map(|p| {
        if p < 0.0001 {
            "p < 0.0001".to_string()
        } else {
            format!("p = {p:.4}")
        }
    })
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
    let side = |s: &Option<super::SideFigures>| {
        s.as_ref()
            .map_or("0".into(), |f| trim_float(f.calls_per_run))
    };
    format!("{} → {}", side(&o.before), side(&o.after))
}

/// The children that explain a change: `traverse_graph +380ms (1 → 2 calls/parent)`.
pub fn attribution(o: &OpChange, limit: usize) -> String {
    o.attribution
        .iter()
        .take(limit)
        .map(|c| {
            let calls = if (c.calls_per_parent_before - c.calls_per_parent_after).abs() > 1e-9 {
                format!(
                    " ({} → {} calls/parent)",
                    trim_float(c.calls_per_parent_before),
                    trim_float(c.calls_per_parent_after)
                )
            } else {
                String::new()
            };
            format!("{} {}{calls}", c.operation, signed_us(c.delta_us))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A finding kind as people say it.
pub fn finding_kind(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::NPlusOne => "N+1 calls",
        FindingKind::RepeatedCall => "repeated call",
        FindingKind::SlowCall => "slow call",
        FindingKind::BlockingIo => "blocking I/O in async code",
    }
}

/// The calls of a finding: `8 × 12` for a pattern repeated under several parent calls (8 in
/// a row under each of 12 parent calls), else the number of offending calls.
pub fn finding_calls(f: &Finding) -> String {
    let per_parent = matches!(f.kind, FindingKind::NPlusOne | FindingKind::RepeatedCall);
    if per_parent && f.occurrences > 1 {
        format!("{} × {}", f.count, f.occurrences)
    } else {
        f.count.to_string()
    }
}

/// One line: `N+1 calls: execute_query ×12 under handle_request (38.0ms)`.
pub fn finding_line(f: &Finding) -> String {
    let mut out = format!("{}: {}", finding_kind(f.kind), f.operation);
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
}
