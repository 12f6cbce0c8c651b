//! The budgets section of `check`: one row per budget with its value, thresholds and band.

use comfy_table::{Cell, Color};

use crate::report::escape::terminal;
use crate::report::units::human_us;
use crate::report::{BudgetResult, BudgetStatus, RenderOptions, Unit};

use super::{colored, new_table, num};

/// Operation keys listed under a budget's name before "+N more".
const OPS_SHOWN: usize = 2;

pub fn render(budgets: &[BudgetResult], options: &RenderOptions) -> String {
    let mut table = new_table(
        options,
        &[
            "Budget", "Metric", "Calls", "Value", "Target", "Flag", "Status",
        ],
    );
    for b in budgets {
        table.add_row(vec![
            Cell::new(describe(b)),
            Cell::new(terminal(&b.metric)),
            num(b.samples.to_string()),
            num(b.value.map_or("-".into(), |v| amount(v, b.unit))),
            num(amount(b.target, b.unit)),
            num(amount(b.flag, b.unit)),
            status(b.status, options),
        ]);
    }
    format!("Budgets\n{table}")
}

/// The name, then what it matched and its scope.
fn describe(b: &BudgetResult) -> String {
    let mut out = terminal(&b.name);
    if !b.operations.is_empty() {
        let mut ops = b.operations[..b.operations.len().min(OPS_SHOWN)].join(", ");
        if b.operations.len() > OPS_SHOWN {
            ops.push_str(&format!(" +{} more", b.operations.len() - OPS_SHOWN));
        }
        out.push_str(&format!("\n  {}", terminal(&ops)));
    }
    if b.operations.is_empty() {
        // Nothing matched: show what was looked for, so the typo is visible in the table.
        out.push_str(&format!("\n  no call matches {}", terminal(&b.pattern)));
    }
    if let Some(w) = &b.within {
        out.push_str(&format!("\n  within {}", terminal(w)));
    }
    out
}

fn amount(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Us => human_us(v),
        Unit::Count if v.fract() == 0.0 => format!("{v:.0}"),
        Unit::Count => format!("{v:.1}"),
    }
}

/// A mark that reads without colour: ✓ on target, ▲ acceptable, ✗ flagged, ? no match.
fn status(s: BudgetStatus, options: &RenderOptions) -> Cell {
    let (text, color) = match s {
        BudgetStatus::OnTarget => ("✓ on target", Color::Green),
        BudgetStatus::Acceptable => ("▲ acceptable", Color::Yellow),
        BudgetStatus::Flagged => ("✗ flagged", Color::Red),
        BudgetStatus::NoMatch => ("? no match", Color::Yellow),
    };
    colored(text, color, options)
}
