//! The red-flags section of `check`: one row per finding (already grouped by parent and
//! operation), its severity, what it is, where (an example call path) and the time it costs.

use comfy_table::{Cell, Color};

use crate::outcome::units::human_us;
use crate::outcome::{Finding, Severity};
use crate::report::RenderOptions;
use crate::report::escape::terminal;
use crate::report::text;

use super::{colored, new_table, num};

/// Call-path elements shown before the path is shortened from the root side.
const PATH_SHOWN: usize = 5;

pub fn render(findings: &[Finding], options: &RenderOptions) -> String {
    let mut table = new_table(options, &["", "Red flag", "Details", "Time"]);
    for f in findings {
        table.add_row(vec![
            severity(f.severity, options),
            Cell::new(text::finding_words(f).label),
            Cell::new(format!(
                "{}\nat {}",
                terminal(&text::finding_sentence(f)),
                terminal(&path(&f.call_path))
            )),
            num(human_us(f.total_us)),
        ]);
    }
    format!("Red flags\n{table}")
}

/// The call path, innermost last, cut at the root side when long.
fn path(p: &[String]) -> String {
    if p.len() <= PATH_SHOWN {
        return p.join(" → ");
    }
    format!("… → {}", p[p.len() - PATH_SHOWN..].join(" → "))
}

fn severity(s: Severity, options: &RenderOptions) -> Cell {
    match s {
        Severity::Fail => colored("✗ FAIL", Color::Red, options),
        Severity::Warn => colored("▲ WARN", Color::Yellow, options),
    }
}
