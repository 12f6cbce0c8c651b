//! The terminal renderer (comfy-table): one section per part of the report, each in its own
//! file, sharing the table style defined here.

mod budgets;
mod compare;
mod findings;
mod operations;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Color, ContentArrangement, Table};

use super::{RenderOptions, Report, Severity, Verdict};

/// Renders every section the report has, separated by blank lines.
pub fn render(report: &Report, options: &RenderOptions) -> String {
    let mut sections: Vec<String> = Vec::new();
    if !report.operations.is_empty() {
        sections.push(operations::render(&report.operations, options));
    }
    if !report.budgets.is_empty() {
        sections.push(budgets::render(&report.budgets, options));
    }
    if !report.findings.is_empty() {
        sections.push(findings::render(&report.findings, options));
    }
    if let Some(comparison) = &report.comparison {
        sections.push(compare::render(comparison, report.verdict, options));
    }
    if let Some(verdict) = report.verdict {
        sections.push(verdict_line(report, verdict, options));
    }
    let mut out = sections.join("\n\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The last line: the verdict, and what it rests on.
fn verdict_line(report: &Report, verdict: Verdict, options: &RenderOptions) -> String {
    let count = |s: Severity| {
        report
            .budgets
            .iter()
            .filter(|b| b.severity == Some(s))
            .count()
            + report.findings.iter().filter(|f| f.severity == s).count()
    };
    let (fails, warns) = (count(Severity::Fail), count(Severity::Warn));
    let text = format!(
        "Verdict: {} ({fails} failure(s), {warns} warning(s))",
        verdict.as_str().to_uppercase()
    );
    let color = match verdict {
        Verdict::Pass => Color::Green,
        Verdict::Warn => Color::Yellow,
        Verdict::Fail => Color::Red,
    };
    if options.color {
        format!("{}{text}\x1b[0m", ansi(color))
    } else {
        text
    }
}

fn ansi(color: Color) -> &'static str {
    match color {
        Color::Green => "\x1b[32m",
        Color::Yellow => "\x1b[33m",
        _ => "\x1b[31m",
    }
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
