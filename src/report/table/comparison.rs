//! The comparison table of `compare`: one row per operation (regressions first, as the model
//! orders them) with both sides, the change, the p-value, and the children that explain it.

use comfy_table::Cell;

use crate::report::escape::terminal;
use crate::report::text::{attribution, change_status};
use crate::report::units::{human_us, signed_pct, signed_us};
use crate::report::{Comparison, OpChange, RenderOptions};

use super::marks::{severity_color, severity_text};
use super::{colored, keep_whole, new_table, num};

/// No separate mark column (the table must fit 80 columns): the status is coloured by severity.
const HEADER: [&str; 6] = ["Operation", "Before", "After", "Change", "p", "Status"];

pub fn render(c: &Comparison, options: &RenderOptions) -> String {
    let mut table = new_table(options, &HEADER);
    let shown = options
        .top
        .unwrap_or(c.operations.len())
        .min(c.operations.len());
    let ops = &c.operations[..shown];
    let side = |s: &Option<crate::report::SideFigures>| {
        s.as_ref().map_or("-".into(), |f| human_us(f.value_us))
    };
    let rows: Vec<Vec<String>> = ops
        .iter()
        .map(|o| {
            let mut name = terminal(&o.name);
            if o.severity.is_some() && !o.attribution.is_empty() {
                name.push_str(&format!("\n  ↳ {}", terminal(&attribution(o, 3))));
            }
            let change = match (o.delta_us, o.delta_pct) {
                (Some(d), Some(p)) => format!("{} {}", signed_us(d), signed_pct(p)),
                (Some(d), None) => signed_us(d),
                _ => "-".into(),
            };
            vec![
                name,
                side(&o.before),
                side(&o.after),
                change,
                o.p_value.map_or("-".into(), |p| {
                    if p < 0.001 {
                        "<0.001".into()
                    } else {
                        format!("{p:.3}")
                    }
                }),
                status_text(o),
            ]
        })
        .collect();
    for (o, row) in ops.iter().zip(&rows) {
        table.add_row(vec![
            Cell::new(&row[0]),
            num(&row[1]),
            num(&row[2]),
            num(&row[3]),
            num(&row[4]),
            colored(&row[5], severity_color(o.severity), options),
        ]);
    }
    keep_whole(&mut table, &HEADER, &rows, &[1, 2, 3, 4, 5]);
    let mut out = format!(
        "Comparison ({}, threshold {}%, α = {}, {} run(s) before, {} after)\n{table}",
        terminal(&c.metric),
        c.threshold_pct,
        c.alpha,
        c.before_runs,
        c.after_runs
    );
    if shown < c.operations.len() {
        out.push_str(&format!(
            "\n{} more operation(s) not shown (use --top to show more)",
            c.operations.len() - shown
        ));
    }
    out
}

/// `FAIL regressed`, `warn regressed`, `improved`: the mark only when it adds to the verdict.
fn status_text(o: &OpChange) -> String {
    match o.severity {
        Some(_) => format!("{} {}", severity_text(o.severity), change_status(o.status)),
        None => change_status(o.status).to_string(),
    }
}
