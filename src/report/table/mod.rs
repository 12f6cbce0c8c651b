//! The terminal renderer (comfy-table): one section per part of the report, each in its own
//! file, sharing the table style defined here.

mod budgets;
mod comparison;
mod findings;
mod marks;
mod operations;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, Width};

use super::{RenderOptions, Report};

/// Renders every section the report has, separated by blank lines.
pub fn render(report: &Report, options: &RenderOptions) -> String {
    let mut sections: Vec<String> = Vec::new();
    if let Some(c) = &report.comparison {
        sections.push(comparison::render(c, options));
    } else if !report.operations.is_empty() {
        sections.push(operations::render(&report.operations, options));
    }
    if !report.findings.is_empty() {
        sections.push(findings::render(&report.findings, options));
    }
    if !report.budgets.is_empty() {
        sections.push(budgets::render(&report.budgets, options));
    }
    if let Some(verdict) = report.verdict {
        sections.push(marks::verdict_line(verdict, options));
    }
    let mut out = sections.join("\n\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// A table with perfgate's style: condensed UTF-8 borders, wrapping to the terminal width.
pub(crate) fn new_table(options: &RenderOptions, header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(width) = options.width {
        table.set_width(width);
    }
    if !options.color {
        table.force_no_tty();
    } else {
        table.enforce_styling();
    }
    table.set_header(header.iter().map(Cell::new));
    table
}

/// A right-aligned cell (numbers).
pub(crate) fn num(text: impl Into<String>) -> Cell {
    Cell::new(text.into()).set_alignment(CellAlignment::Right)
}

/// A cell coloured when colours are on.
pub(crate) fn colored(text: impl Into<String>, color: Color, options: &RenderOptions) -> Cell {
    let cell = Cell::new(text.into());
    if options.color { cell.fg(color) } else { cell }
}

/// Gives each of `columns` (marks, numbers) a fixed width that fits its widest text, so they
/// never wrap; the text columns share what is left of the terminal width.
pub(crate) fn keep_whole(
    table: &mut Table,
    header: &[&str],
    rows: &[Vec<String>],
    columns: &[usize],
) {
    for &i in columns {
        let widest = rows
            .iter()
            .filter_map(|r| r.get(i))
            .flat_map(|text| text.lines().map(|l| l.chars().count()))
            .chain([header[i].chars().count()])
            .max()
            .unwrap_or(0);
        if let Some(column) = table.column_mut(i) {
            column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(widest as u16 + 2)));
        }
    }
}
