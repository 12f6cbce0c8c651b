//! The budgets section of `check`: one row per budget with its value, thresholds and band.

use comfy_table::{Cell, Color, ColumnConstraint, Width};

use crate::outcome::units::human_us;
use crate::outcome::{BudgetResult, BudgetStatus, Severity, Unit};
use crate::report::RenderOptions;
use crate::report::escape::terminal;
use crate::report::text;

use super::{colored, new_table, num};

/// Operation keys listed under a budget's name before "+N more".
const OPS_SHOWN: usize = 2;

pub fn render(budgets: &[BudgetResult], options: &RenderOptions) -> String {
    if options.brief {
        let shown: Vec<BudgetResult> = budgets
            .iter()
            .filter(|b| b.severity.is_some())
            .cloned()
            .collect();
        if shown.is_empty() {
            return format!("Budgets: all {} on target", budgets.len());
        }
        let full = RenderOptions {
            brief: false,
            ..*options
        };
        let hidden = budgets.len() - shown.len();
        return format!("{}\n({hidden} on target not shown)", render(&shown, &full));
    }
    const HEADER: [&str; 6] = [
        "Budget [metric]",
        "Calls",
        "Value",
        "Target",
        "Flag",
        "Status",
    ];
    let mut table = new_table(options, &HEADER);
    let rows: Vec<[String; 4]> = budgets
        .iter()
        .map(|b| {
            [
                b.samples.to_string(),
                b.value.map_or("-".into(), |v| amount(v, b.unit)),
                text::budget_target_cell(b),
                b.flag.map_or("-".into(), |f| amount(f, b.unit)),
            ]
        })
        .collect();
    for (b, numbers) in budgets.iter().zip(&rows) {
        let mut row = vec![Cell::new(describe(b))];
        row.extend(numbers.iter().map(|n| num(n.as_str())));
        row.push(status(b, options));
        table.add_row(row);
    }
    // Numbers and marks never wrap: at 80 columns the names take what is left.
    let status_width = budgets
        .iter()
        .map(|b| status_text(b.status).chars().count())
        .chain([HEADER[5].len()])
        .max()
        .unwrap_or(0);
    for (i, header) in HEADER.iter().enumerate().skip(1) {
        let widest = match i {
            5 => status_width,
            _ => rows
                .iter()
                .map(|r| r[i - 1].chars().count())
                .chain([header.len()])
                .max()
                .unwrap_or(0),
        };
        if let Some(column) = table.column_mut(i) {
            column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(widest as u16 + 2)));
        }
    }
    format!("Budgets\n{table}")
}

/// The name, then what it matched and its scope.
fn describe(b: &BudgetResult) -> String {
    let mut out = format!("{} [{}]", terminal(&b.name), terminal(&b.metric));
    if !b.operations.is_empty() {
        let mut ops = b.operations[..b.operations.len().min(OPS_SHOWN)].join(", ");
        if b.operations.len() > OPS_SHOWN {
            ops.push_str(&format!(" +{} more", b.operations.len() - OPS_SHOWN));
        }
        out.push_str(&format!("\n  {}", terminal(&ops)));
    }
    if let Some(counter) = &b.counter {
        let found = if b.value.is_some() {
            ""
        } else {
            " (not in the traces)"
        };
        out.push_str(&format!("\n  counter {}{found}", terminal(counter)));
    } else if b.operations.is_empty() {
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

/// A mark that reads without colour: ✓ on target, ▲ acceptable, ✗ flagged, ✗ too few calls,
/// ? no match.
fn status_text(s: BudgetStatus) -> &'static str {
    match s {
        BudgetStatus::OnTarget => "✓ on target",
        BudgetStatus::Acceptable => "▲ acceptable",
        BudgetStatus::Flagged => "✗ flagged",
        BudgetStatus::TooFew => "✗ too few calls",
        BudgetStatus::NoMatch => "? no match",
    }
}

/// The status cell, coloured by what it adds to the verdict.
fn status(b: &BudgetResult, options: &RenderOptions) -> Cell {
    let color = match b.severity {
        None => Color::Green,
        Some(Severity::Warn) => Color::Yellow,
        Some(Severity::Fail) => Color::Red,
    };
    colored(status_text(b.status), color, options)
}
