//! The terminal renderer (comfy-table): one section per part of the report, each in its own
//! file, sharing the table style defined here.

mod budgets;
mod compare;
mod findings;
mod memory;
mod operations;
mod tree;
mod verdict;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Color, ContentArrangement, Table};

use std::io::{self, Write};

use super::RenderOptions;
use super::escape::terminal;
use crate::ops::OpStats;
use crate::outcome::{CommandKind, Report};

/// Renders every section the report has, separated by blank lines.
/// `--format table`: for people at a terminal (standard output only).
pub struct TableFormat;

impl super::Renderer for TableFormat {
    fn name(&self) -> &'static str {
        "table"
    }

    fn help(&self) -> &'static str {
        "A table for people"
    }

    fn writes_files(&self) -> bool {
        false
    }

    fn render(&self, report: &Report, settings: &super::RenderSettings) -> String {
        render(report, &settings.terminal)
    }

    fn write(
        &self,
        report: &Report,
        settings: &super::RenderSettings,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        write(report, &settings.terminal, out)
    }
}

/// The whole table text: exactly what [`write`] writes.
pub fn render(report: &Report, options: &RenderOptions) -> String {
    let mut out = Vec::new();
    write(report, options, &mut out).expect("writing into memory does not fail");
    String::from_utf8(out).expect("the table is UTF-8")
}

/// Writes every section the report has, separated by blank lines and ended by a line break.
/// The operations of a summary are laid out [`operations::BLOCK_ROWS`] rows at a time, so
/// the text of millions of rows is never held whole. The table is printed into CI logs: no
/// line of it is a workflow command ([`crate::log::neutral`], applied section by section and
/// block by block: it works line by line).
pub fn write(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    write_sections(report, options, operations::BLOCK_ROWS, out)
}

/// [`write`] with `block_rows` operation rows per comfy-table call.
fn write_sections(
    report: &Report,
    options: &RenderOptions,
    block_rows: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let sections = sections(report, options);
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            out.write_all(b"\n\n")?;
        }
        match section {
            Section::Text(text) => out.write_all(crate::log::neutral(text).as_bytes())?,
            Section::Operations(ops) => operations::write(ops, options, block_rows, out)?,
        }
    }
    if sections.iter().any(|s| !s.is_empty()) {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// One part of the report: text rendered whole, or the operations of a summary (written a
/// block of rows at a time).
enum Section<'a> {
    Text(String),
    Operations(&'a [OpStats]),
}

impl Section<'_> {
    fn is_empty(&self) -> bool {
        matches!(self, Section::Text(text) if text.is_empty())
    }
}

/// The report's sections in the order they are printed.
fn sections<'a>(report: &'a Report, options: &RenderOptions) -> Vec<Section<'a>> {
    let mut sections: Vec<Section> = Vec::new();
    if let Some(c) = &report.comparison {
        sections.push(Section::Text(compare::render(c, options)));
        if let Some(m) = c.memory.as_ref().filter(|_| !options.brief) {
            sections.push(Section::Text(memory::render_change(m, options)));
        }
        if let Some(p) = &report.paired {
            let line = terminal(&crate::report::text::paired_line(p));
            sections.push(Section::Text(wrap_text(&line, options.width)));
        }
    } else if !report.operations.is_empty() {
        sections.push(Section::Operations(&report.operations));
    }
    let mut text = |t: String| sections.push(Section::Text(t));
    if let Some(slowest) = &report.pictures.slowest {
        text(tree::render(slowest).trim_end().to_string());
    }
    if !report.memory.is_empty() {
        text(memory::render(&report.memory, options));
    }
    if !report.budgets.is_empty() {
        text(budgets::render(&report.budgets, options));
    }
    if !report.findings.is_empty() {
        text(findings::render(&report.findings, options));
    } else if report.command == CommandKind::Check || !report.budgets.is_empty() {
        // The detectors ran and found nothing: say so, or a reader cannot tell that from
        // detectors that never ran.
        text("Red flags: none found".into());
    }
    if let Some(verdict) = report.verdict {
        text(verdict::verdict_line(report, verdict, options));
    }
    sections
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

/// Wraps each line of free text to `width` columns at spaces; continuation lines keep the
/// line's indentation plus four spaces. A word longer than a line stays whole.
pub(crate) fn wrap_text(text: &str, width: Option<u16>) -> String {
    let Some(width) = width.map(usize::from) else {
        return text.to_string();
    };
    text.lines()
        .map(|line| wrap_line(line, width))
        .collect::<Vec<_>>()
        .join("\n")
}

fn wrap_line(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_string();
    }
    let indent = line.len() - line.trim_start().len();
    let continuation = " ".repeat(indent + 4);
    let mut out = String::new();
    let mut current = line[..indent].to_string();
    let mut current_len = indent;
    for word in line.split_whitespace() {
        let len = word.chars().count();
        let at_start = current_len == indent || current.trim().is_empty();
        if !at_start && current_len + 1 + len > width {
            out.push_str(&current);
            out.push('\n');
            current = continuation.clone();
            current_len = continuation.len();
        } else if !at_start {
            current.push(' ');
            current_len += 1;
        }
        current.push_str(word);
        current_len += len;
    }
    out.push_str(&current);
    out
}

/// Fits the name column (the first) into what the fixed columns leave at `width`: each name
/// wrapped at spaces so comfy-table never cuts a word (`decide_nex│t (service│.py)`), and
/// the column set to the widest line. `fixed` are the other columns' widths with padding.
/// A word longer than the column breaks after a `.`, `_` or `/` where it can.
pub(crate) fn fit_names(
    table: &mut Table,
    names: &[String],
    fixed: &[usize],
    width: Option<u16>,
) -> Vec<String> {
    let Some(width) = width else {
        return names.to_vec();
    };
    let room = name_room(fixed, width);
    let wrapped: Vec<String> = names.iter().map(|n| wrap_words(n, room)).collect();
    let widest = name_column_width(wrapped.iter().map(|n| widest_line(n)), room);
    set_name_column(table, widest);
    wrapped
}

/// The columns a name may take at `width` beside the `fixed` columns (see [`fit_names`]).
fn name_room(fixed: &[usize], width: u16) -> usize {
    // Borders: one left of each column and one at the right end; padding: one each side.
    let borders = fixed.len() + 2;
    usize::from(width)
        .saturating_sub(fixed.iter().sum::<usize>() + borders + 2)
        .max(8)
}

/// The name column's width without padding: its widest wrapped line (or the header), at
/// most `room`.
fn name_column_width(widest_lines: impl Iterator<Item = usize>, room: usize) -> usize {
    widest_lines
        .chain(std::iter::once(9)) // "Operation"
        .max()
        .unwrap_or(0)
        .min(room)
}

/// The number of characters of the longest line of `text`.
fn widest_line(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// Fixes the name column at `widest` characters plus padding.
fn set_name_column(table: &mut Table, widest: usize) {
    if let Some(column) = table.column_mut(0) {
        column.set_constraint(comfy_table::ColumnConstraint::Absolute(
            comfy_table::Width::Fixed((widest + 2) as u16),
        ));
    }
}

/// Greedy word wrap at spaces; a word longer than `width` is broken after punctuation.
fn wrap_words(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let fits = current.chars().count() + 1 + word.chars().count() <= width;
        if !current.is_empty() && fits {
            current.push(' ');
            current.push_str(word);
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        let mut rest: Vec<char> = word.chars().collect();
        while rest.len() > width {
            let at = rest[..width]
                .iter()
                .rposition(|c| matches!(c, '.' | '_' | '/'))
                .map_or(width, |i| i + 1);
            lines.push(rest.drain(..at).collect());
        }
        current = rest.into_iter().collect();
    }
    lines.push(current);
    lines.join("\n")
}

#[cfg(test)]
mod wrap_tests {
    use super::{wrap_text, wrap_words};

    #[test]
    fn names_wrap_at_spaces_and_long_words_after_punctuation() {
        assert_eq!(
            wrap_words("decide_next (service.py)", 22),
            "decide_next\n(service.py)"
        );
        assert_eq!(
            wrap_words("traverse_graph_of_questions (g.py)", 12),
            "traverse_\ngraph_of_\nquestions\n(g.py)"
        );
        assert_eq!(wrap_words("abcdefghij", 4), "abcd\nefgh\nij");
    }

    #[test]
    fn wraps_at_spaces_with_a_hanging_indent() {
        let text = "  why: decide_next p95 +480ms: call_claude +427ms, traverse_graph +25ms";
        let wrapped = wrap_text(text, Some(40));
        for line in wrapped.lines() {
            assert!(line.chars().count() <= 40, "{line:?}");
        }
        assert_eq!(wrapped.lines().nth(1).unwrap().find(|c| c != ' '), Some(6));
        assert_eq!(
            wrapped.split_whitespace().collect::<Vec<_>>().join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
}
