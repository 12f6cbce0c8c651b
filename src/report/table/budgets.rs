//! The budgets table of `check`: one row per budget with its value, thresholds and band.

use comfy_table::Cell;

use crate::report::escape::terminal;
use crate::report::text::{budget_status, budget_value};
use crate::report::{BudgetResult, RenderOptions};

use super::marks::{severity_cell, severity_text};
use super::{keep_whole, new_table, num};

const HEADER: [&str; 7] = ["", "Budget", "Metric", "Value", "Target", "Flag", "Status"];

pub fn render(budgets: &[BudgetResult], options: &RenderOptions) -> String {
    let mut table = new_table(options, &HEADER);
    let rows: Vec<Vec<String>> = budgets
        .iter()
        .map(|b| {
            vec![
                severity_text(b.severity).to_string(),
                terminal(&b.name),
                terminal(&b.metric),
                b.value.map_or("-".into(), |v| budget_value(b.unit, v)),
                budget_value(b.unit, b.target),
                budget_value(b.unit, b.flag),
                budget_status(b.status).to_string(),
            ]
        })
        .collect();
    for (b, row) in budgets.iter().zip(&rows) {
        table.add_row(vec![
            severity_cell(b.severity, options),
            Cell::new(&row[1]),
            Cell::new(&row[2]),
            num(&row[3]),
            num(&row[4]),
            num(&row[5]),
            Cell::new(&row[6]),
        ]);
    }
    keep_whole(&mut table, &HEADER, &rows, &[0, 3, 4, 5, 6]);
    format!("Budgets\n{table}")
}
