//! The per-operation statistics table of `summary`, written a block of rows at a time.
//!
//! Every column has a fixed width (the numbers' widest figure, the names' widest wrapped
//! line, both measured over all shown rows first), so comfy-table lays out each block of
//! rows exactly as it would lay out the whole table: the blocks are rendered one by one and
//! joined, the first keeping the top border and the header, the last the bottom border.
//! Millions of rows are then never held as text at once.

use std::io::{self, Write};

use comfy_table::{Cell, ColumnConstraint, Table, Width};

use crate::ops::OpStats;
use crate::outcome::units::human_us;
use crate::report::{RenderOptions, escape};

use super::{
    name_column_width, name_room, new_table, num, set_name_column, widest_line, wrap_words,
};

/// Below this width the p50 and p99 columns are left out so the names keep room.
const WIDE_ENOUGH_FOR_ALL_COLUMNS: u16 = 110;

/// Rows rendered per comfy-table call.
pub const BLOCK_ROWS: usize = 4096;

type Column = (&'static str, fn(&OpStats) -> String);

const ALL_COLUMNS: [Column; 8] = [
    ("Calls", |s| s.count.to_string()),
    ("Total", |s| human_us(s.total_us)),
    ("Self", |s| human_us(s.self_us)),
    ("Mean", |s| human_us(s.mean_us)),
    ("p50", |s| human_us(s.p50_us)),
    ("p95", |s| human_us(s.p95_us)),
    ("p99", |s| human_us(s.p99_us)),
    ("Max", |s| human_us(s.max_us)),
];

/// Writes the table of the first `options.top` operations (all without it), then a note of
/// how many are not shown, in blocks of `block_rows` rows. Without a terminal width (tests)
/// the name column's width depends on the names, and the table is rendered in one block.
pub fn write(
    ops: &[OpStats],
    options: &RenderOptions,
    block_rows: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let shown = options.top.unwrap_or(ops.len()).min(ops.len());
    let layout = Layout::new(&ops[..shown], options);
    let block_rows = match options.width {
        Some(_) => block_rows.max(1),
        None => shown.max(1),
    };
    let blocks = shown.div_ceil(block_rows).max(1);
    for b in 0..blocks {
        let rows = &ops[(b * block_rows).min(shown)..((b + 1) * block_rows).min(shown)];
        if b > 0 {
            out.write_all(b"\n")?;
        }
        let text = layout.table(rows, options).to_string();
        let kept = block_lines(&text, b == 0, b + 1 == blocks)?;
        out.write_all(crate::log::neutral(kept).as_bytes())?;
    }
    if shown < ops.len() {
        write!(
            out,
            "\n{} more operation(s) not shown (use --top to show more)",
            ops.len() - shown
        )?;
    }
    Ok(())
}

/// The columns of the table and their widths, the same for every block.
struct Layout {
    columns: Vec<&'static Column>,
    header: Vec<&'static str>,
    /// The number columns' widths, padding included.
    fixed: Vec<usize>,
    /// With a terminal width: the room names wrap in, and the name column's width.
    names: Option<(usize, usize)>,
}

/// The number columns shown at the terminal's width (p50 and p99 only when wide enough),
/// and the header: "Operation" then theirs.
fn columns_and_header(options: &RenderOptions) -> (Vec<&'static Column>, Vec<&'static str>) {
    let wide = options
        .width
        .is_none_or(|w| w >= WIDE_ENOUGH_FOR_ALL_COLUMNS);
    let columns: Vec<&Column> = ALL_COLUMNS
        .iter()
        .filter(|(h, _)| wide || !matches!(*h, "p50" | "p99"))
        .collect();
    let mut header = vec!["Operation"];
    header.extend(columns.iter().map(|(h, _)| *h));
    (columns, header)
}

impl Layout {
    /// Measures the `shown` rows: one pass over the figures, one over the wrapped names.
    fn new(shown: &[OpStats], options: &RenderOptions) -> Layout {
        let (columns, header) = columns_and_header(options);
        let fixed = number_widths(shown, &columns);
        let names = options.width.map(|width| {
            let room = name_room(&fixed, width);
            let lines = shown
                .iter()
                .map(|s| widest_line(&wrapped_name(s, Some(room))));
            (room, name_column_width(lines, room))
        });
        Layout {
            columns,
            header,
            fixed,
            names,
        }
    }

    /// A table of `rows` with every width of the layout.
    fn table(&self, rows: &[OpStats], options: &RenderOptions) -> Table {
        let mut table = new_table(options, &self.header);
        for (i, width) in self.fixed.iter().enumerate() {
            if let Some(column) = table.column_mut(i + 1) {
                column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(*width as u16)));
            }
        }
        if let Some((_, widest)) = self.names {
            set_name_column(&mut table, widest);
        }
        let room = self.names.map(|(room, _)| room);
        for s in rows {
            let mut row = vec![Cell::new(wrapped_name(s, room))];
            row.extend(self.columns.iter().map(|(_, value)| num(value(s))));
            table.add_row(row);
        }
        table
    }
}

/// The operation's name as the terminal shows it, wrapped at spaces to `room` when given.
fn wrapped_name(s: &OpStats, room: Option<usize>) -> String {
    let name = escape::terminal(&s.name);
    match room {
        Some(room) => wrap_words(&name, room),
        None => name,
    }
}

/// Number columns never wrap: each is as wide as its widest figure (or header), plus padding;
/// the operation name takes what is left.
fn number_widths(ops: &[OpStats], columns: &[&Column]) -> Vec<usize> {
    columns
        .iter()
        .map(|(header, value)| {
            let widest = ops
                .iter()
                .map(|s| value(s).chars().count())
                .chain([header.len()])
                .max()
                .unwrap_or(0);
            widest + 2
        })
        .collect()
}

/// The lines of one block's table that belong to the whole table: the top border and the
/// header only in the `first` block, the bottom border only in the `last`.
fn block_lines(text: &str, first: bool, last: bool) -> io::Result<&str> {
    let mut start = 0;
    if !first {
        start = line_starts(text)
            .find(|&at| visible_start(&text[at..]) == Some('╞'))
            .and_then(|at| text[at..].find('\n').map(|end| at + end + 1))
            .ok_or_else(|| layout_error("no header separator"))?;
    }
    let mut end = text.len();
    if !last {
        let bottom = text.rfind('\n').map_or(0, |i| i + 1);
        if visible_start(&text[bottom..]) != Some('└') || bottom <= start {
            return Err(layout_error("no bottom border after the rows"));
        }
        end = bottom - 1;
    }
    Ok(&text[start..end])
}

/// Where each line of `text` starts.
fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1))
}

/// The first character of `line` that is not part of an ANSI colour code.
fn visible_start(line: &str) -> Option<char> {
    let mut rest = line;
    while let Some(code) = rest.strip_prefix("\u{1b}[") {
        let end = code.find(|c: char| c.is_ascii_alphabetic())?;
        rest = &code[end + 1..];
    }
    rest.chars().next()
}

fn layout_error(what: &str) -> io::Error {
    io::Error::other(format!(
        "the operations table has an unexpected layout ({what})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{CommandKind, Report};

    /// The table as it was rendered before blocks: every row through comfy-table at once.
    fn render_whole(ops: &[OpStats], options: &RenderOptions) -> String {
        let (columns, header) = columns_and_header(options);
        let mut table = new_table(options, &header);
        let shown = options.top.unwrap_or(ops.len()).min(ops.len());
        let fixed = number_widths(&ops[..shown], &columns);
        for (i, width) in fixed.iter().enumerate() {
            let column = table.column_mut(i + 1).unwrap();
            column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(*width as u16)));
        }
        let names: Vec<String> = ops[..shown]
            .iter()
            .map(|s| escape::terminal(&s.name))
            .collect();
        let names = super::super::fit_names(&mut table, &names, &fixed, options.width);
        for (s, name) in ops[..shown].iter().zip(names) {
            let mut row = vec![Cell::new(name)];
            row.extend(columns.iter().map(|(_, value)| num(value(s))));
            table.add_row(row);
        }
        let mut out = table.to_string();
        if shown < ops.len() {
            out.push_str(&format!(
                "\n{} more operation(s) not shown (use --top to show more)",
                ops.len() - shown
            ));
        }
        crate::log::neutral(&out).into_owned()
    }

    fn op(i: usize, name: String) -> OpStats {
        let us = 3.0 * 7f64.powi(i as i32 % 9) + i as f64;
        OpStats {
            op: i as u32,
            name,
            function: String::new(),
            file: None,
            line: None,
            origin: crate::ops::Origin::default(),
            count: 1 + (i as u64 * 37) % 1000,
            total_us: us * 10.0,
            self_us: us * 4.0,
            mean_us: us,
            min_us: us / 3.0,
            p50_us: us / 2.0,
            p90_us: us * 0.9,
            p95_us: us * 0.95,
            p99_us: us * 0.99,
            max_us: us * 1.5,
        }
    }

    /// Twenty operations: long names that wrap, names with spaces, names that would be
    /// workflow commands.
    fn ops() -> Vec<OpStats> {
        let names = [
            "::error::title=x::pwned".to_string(),
            "ok ##[error]boom".to_string(),
            "traverse_graph_of_questions_and_answers_in_the_knowledge_base (/srv/app/graph/traversal.py:1234)".into(),
            "decide next (service.py)".into(),
            "::add-mask::secret".into(),
            "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j".into(),
            "x".into(),
        ];
        (0..20)
            .map(|i| op(i, format!("{}{i}", names[i % names.len()])))
            .collect()
    }

    fn written(ops: &[OpStats], options: &RenderOptions, block_rows: usize) -> String {
        let mut out = Vec::new();
        write(ops, options, block_rows, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn all_options() -> Vec<RenderOptions> {
        let mut all = Vec::new();
        for width in [Some(40), Some(80), Some(120), Some(200), None] {
            for color in [false, true] {
                for top in [None, Some(13), Some(0)] {
                    for brief in [false, true] {
                        all.push(RenderOptions {
                            color,
                            width,
                            top,
                            brief,
                        });
                    }
                }
            }
        }
        all
    }

    #[test]
    fn blocks_of_rows_join_into_the_whole_table() {
        let ops = ops();
        for options in all_options() {
            let whole = render_whole(&ops, &options);
            for block_rows in [1, 2, 3, 7, BLOCK_ROWS] {
                assert_eq!(
                    written(&ops, &options, block_rows),
                    whole,
                    "{options:?}, blocks of {block_rows}"
                );
            }
        }
    }

    #[test]
    fn the_blocks_wrap_names_and_no_line_is_a_workflow_command() {
        let options = RenderOptions {
            width: Some(80),
            ..RenderOptions::default()
        };
        let text = written(&ops(), &options, 3);
        assert!(text.lines().count() > 20 + 4, "{text}");
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{line:?}");
            assert!(!line.trim_start().starts_with("::") && !line.contains("##["));
        }
        assert!(text.contains("\\u{3a}:error::") && text.contains("#\\u{23}[error]"));
    }

    #[test]
    fn a_summary_is_written_block_by_block_as_it_is_rendered() {
        let mut report = Report::new(CommandKind::Summary);
        report.operations = ops();
        for options in all_options() {
            let rendered = super::super::render(&report, &options);
            assert_eq!(
                rendered,
                format!("{}\n", render_whole(&report.operations, &options))
            );
            for block_rows in [1, 2, 3, 7] {
                let mut out = Vec::new();
                super::super::write_sections(&report, &options, block_rows, &mut out).unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), rendered, "{options:?}");
            }
        }
    }
}
