//! The terminal renderer (comfy-table): one section per part of the report, each in its own
//! file, sharing the table style defined here.

mod compare;
mod operations;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Color, ContentArrangement, Table};

use super::{RenderOptions, Report};

/// Renders every section the report has, separated by blank lines.
pub fn render(report: &Report, options: &RenderOptions) -> String {
    let mut sections: Vec<String> = Vec::new();
    if !report.operations.is_empty() {
        sections.push(operations::render(&report.operations, options));
    }
    if let Some(comparison) = &report.comparison {
        sections.push(compare::render(comparison, report.verdict, options));
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
