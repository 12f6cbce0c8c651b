//! The red-flag findings table: one row per finding, with the call path under the message.

use comfy_table::Cell;

use crate::report::escape::terminal;
use crate::report::text::finding_kind;
use crate::report::units::human_us;
use crate::report::{Finding, RenderOptions};

use super::marks::{severity_cell, severity_text};
use super::{keep_whole, new_table, num};

const HEADER: [&str; 6] = ["", "Red flag", "Operation", "Calls", "Time", "Details"];

pub fn render(findings: &[Finding], options: &RenderOptions) -> String {
    let mut table = new_table(options, &HEADER);
    let rows: Vec<Vec<String>> = findings
        .iter()
        .map(|f| {
            let mut details = terminal(&f.message);
            if !f.call_path.is_empty() {
                let path: Vec<String> = f.call_path.iter().map(|p| terminal(p)).collect();
                details.push_str(&format!("\nvia {}", path.join(" → ")));
            }
            vec![
                severity_text(Some(f.severity)).to_string(),
                finding_kind(f.kind).to_string(),
                terminal(&f.operation),
                f.count.to_string(),
                human_us(f.total_us),
                details,
            ]
        })
        .collect();
    for (f, row) in findings.iter().zip(&rows) {
        table.add_row(vec![
            severity_cell(Some(f.severity), options),
            Cell::new(&row[1]),
            Cell::new(&row[2]),
            num(&row[3]),
            num(&row[4]),
            Cell::new(&row[5]),
        ]);
    }
    keep_whole(&mut table, &HEADER, &rows, &[0, 3, 4]);
    format!("Red flags\n{table}")
}
