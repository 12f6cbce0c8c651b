//! The per-operation statistics table of `summary`.

use comfy_table::{Cell, ColumnConstraint, Width};

use crate::ops::OpStats;
use crate::outcome::units::human_us;
use crate::report::{RenderOptions, escape};

use super::{fit_names, new_table, num};

/// Below this width the p50 and p99 columns are left out so the names keep room.
const WIDE_ENOUGH_FOR_ALL_COLUMNS: u16 = 110;

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

pub fn render(ops: &[OpStats], options: &RenderOptions) -> String {
    let wide = options
        .width
        .is_none_or(|w| w >= WIDE_ENOUGH_FOR_ALL_COLUMNS);
    let columns: Vec<&Column> = ALL_COLUMNS
        .iter()
        .filter(|(h, _)| wide || !matches!(*h, "p50" | "p99"))
        .collect();
    let mut header = vec!["Operation"];
    header.extend(columns.iter().map(|(h, _)| *h));
    let mut table = new_table(options, &header);
    let shown = options.top.unwrap_or(ops.len()).min(ops.len());
    let fixed = keep_numbers_whole(&mut table, &ops[..shown], &columns);
    let names: Vec<String> = ops[..shown]
        .iter()
        .map(|s| escape::terminal(&s.name))
        .collect();
    let names = fit_names(&mut table, &names, &fixed, options.width);
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
    out
}

/// Number columns never wrap; the operation name takes what is left.
fn keep_numbers_whole(
    table: &mut comfy_table::Table,
    ops: &[OpStats],
    columns: &[&Column],
) -> Vec<usize> {
    let mut widths = Vec::new();
    for (i, (header, value)) in columns.iter().enumerate() {
        let widest = ops
            .iter()
            .map(|s| value(s).chars().count())
            .chain([header.len()])
            .max()
            .unwrap_or(0);
        if let Some(column) = table.column_mut(i + 1) {
            column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(widest as u16 + 2)));
        }
        widths.push(widest + 2);
    }
    widths
}
