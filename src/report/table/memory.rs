//! The memory section: garbage collections with the operations they interrupted, and the
//! counter series (first, min, max, last, growth); in a comparison, both sides' figures.

use super::{new_table, num};
use crate::outcome::Memory;
use crate::outcome::memory_change::MemoryChange;
use crate::outcome::units::{fmt_num, human_us};
use crate::report::RenderOptions;
use crate::report::escape::terminal;
use crate::report::text;

/// Operations listed under the GC line.
const OPS_SHOWN: usize = 5;

pub fn render(memory: &Memory, options: &RenderOptions) -> String {
    let mut parts = Vec::new();
    if let Some(gc) = &memory.gc {
        let mut lines = vec![text::gc_line(gc)];
        if !gc.operations.is_empty() {
            let mut table = new_table(options, &["Interrupted", "Collections", "GC time", "Share"]);
            for o in gc.operations.iter().take(OPS_SHOWN) {
                table.add_row(vec![
                    comfy_table::Cell::new(terminal(&o.operation)),
                    num(o.collections.to_string()),
                    num(human_us(o.gc_us)),
                    num(format!("{:.1}%", o.share * 100.0)),
                ]);
            }
            lines.push(table.to_string());
            if gc.operations.len() > OPS_SHOWN {
                lines.push(format!(
                    "... {} more operation(s)",
                    gc.operations.len() - OPS_SHOWN
                ));
            }
        }
        parts.push(lines.join("\n"));
    }
    if !memory.counters.is_empty() {
        let mut table = new_table(
            options,
            &[
                "Counter", "Samples", "First", "Min", "Max", "Last", "Growth",
            ],
        );
        for c in &memory.counters {
            table.add_row(vec![
                comfy_table::Cell::new(terminal(&c.name)),
                num(c.samples.to_string()),
                num(fmt_num(c.first)),
                num(fmt_num(c.min)),
                num(fmt_num(c.max)),
                num(fmt_num(c.last)),
                num(text::signed_value(c.growth)),
            ]);
        }
        parts.push(table.to_string());
    }
    parts.join("\n\n")
}

/// A comparison's memory: garbage collection per run and counters, before and after.
pub fn render_change(memory: &MemoryChange, options: &RenderOptions) -> String {
    let mut table = new_table(
        options,
        &["Memory (informational)", "Before", "After", "Change"],
    );
    for row in text::memory_rows(memory) {
        table.add_row(vec![
            comfy_table::Cell::new(terminal(&row.what)),
            num(row.before),
            num(row.after),
            num(row.change),
        ]);
    }
    format!("{table}\n({})", text::MEMORY_NOTE)
}
