//! `--flamegraph FILE.svg`: the call paths of the report ([`CallPathTable`]) drawn as a flame
//! graph by `inferno` (the Rust port of FlameGraph), interactive in a browser (hover, click to
//! zoom, search).
//!
//! A summary draws the call tree of its traces merged by call path. A comparison draws the
//! after side's tree, each frame coloured by the change of its own time against the same path
//! before (red: grew, blue: shrank, the deepest colour for the largest change), and each frame
//! named with its inclusive time per run before and after and the change, so the hover text
//! carries both figures. Widths are time per run; frames narrower than 0.1 % of the width were
//! merged into their callers by the analysis (the SVG stays small for any trace).

use std::fmt::Write as _;

use inferno::flamegraph::{self, Options, Palette, TextTruncateDirection, color::BasicPalette};

use super::escape;
use super::{RenderSettings, Renderer};
use crate::outcome::Report;
use crate::outcome::pictures::{CallPathFrame, CallPathTable};
use crate::outcome::units::{human_us, signed_pct};

/// The flame graph format.
pub struct FlameGraph;

impl Renderer for FlameGraph {
    fn name(&self) -> &'static str {
        "flamegraph"
    }

    fn help(&self) -> &'static str {
        "Flame graph (SVG) of the call paths; differential on compare"
    }

    fn file_help(&self) -> &'static str {
        "Write a flame graph (SVG) of the call paths to FILE (compare: the after side, coloured \
         by the change against before)"
    }

    fn render(&self, report: &Report, _settings: &RenderSettings) -> String {
        match &report.pictures.call_paths {
            Some(table) if !table.frames.is_empty() => svg(table),
            _ => message_svg(
                report
                    .pictures
                    .call_paths_missing
                    .as_deref()
                    .unwrap_or("no call paths to draw"),
            ),
        }
    }
}

/// The flame graph of `table` as a standalone SVG document.
pub fn svg(table: &CallPathTable) -> String {
    let lines = folded_lines(table);
    let mut options = options(table);
    let mut out = Vec::new();
    match flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), &mut out) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        // Only when no line has any time (every call of 0 µs).
        Err(e) => message_svg(&format!("no flame graph: {e}")),
    }
}

fn options(table: &CallPathTable) -> Options<'static> {
    let mut o = Options::default();
    o.colors = Palette::Basic(BasicPalette::Hot);
    o.deterministic = true;
    o.count_name = "µs".into();
    // Lines carry nanoseconds (inferno counts whole samples); the hover shows µs.
    o.factor = 0.001;
    o.min_width = table.min_share * 100.0;
    o.name_type = "".into();
    // Names start with the function: cut their end, not their start, when a frame is narrow.
    o.text_truncate_direction = TextTruncateDirection::Right;
    let runs = |n: u32| format!("{n} run{}", if n == 1 { "" } else { "s" });
    let merged = if table.merged_paths > 0 {
        format!(
            " · {} narrow paths (< {}%) merged into callers",
            table.merged_paths,
            table.min_share * 100.0
        )
    } else {
        String::new()
    };
    match table.before_runs {
        Some(before) => {
            o.title = "perfgate compare: where the time moved".into();
            o.subtitle = Some(format!(
                "after ({}) vs before ({}), per run · red: own time grew, blue: shrank · \
                 [before → after, change]{merged}",
                runs(table.runs),
                runs(before),
            ));
        }
        None => {
            o.title = "perfgate: call paths".into();
            o.subtitle = Some(format!(
                "time per run over {}, calls merged by call path{merged}",
                runs(table.runs)
            ));
        }
    }
    o
}

/// Folded stacks, one line per frame with own time: `root;…;frame NS` (a summary) or
/// `root;…;frame BEFORE_NS AFTER_NS` (a comparison).
fn folded_lines(table: &CallPathTable) -> Vec<String> {
    let two_sided = table.before_runs.is_some();
    let mut paths: Vec<String> = Vec::with_capacity(table.frames.len());
    let mut lines = Vec::new();
    for frame in &table.frames {
        let label = frame_label(frame, two_sided);
        let path = match frame.parent {
            Some(p) => format!("{};{label}", paths[p as usize]),
            None => label,
        };
        let after = nanoseconds(frame.self_us);
        let before = frame.before_self_us.map(nanoseconds);
        match before {
            Some(b) if b > 0 || after > 0 => lines.push(format!("{path} {b} {after}")),
            None if after > 0 => lines.push(format!("{path} {after}")),
            _ => {}
        }
        paths.push(path);
    }
    lines
}

fn nanoseconds(us: f64) -> u64 {
    (us.max(0.0) * 1000.0).round() as u64
}

/// A frame's name in the graph: the operation key, and on a comparison its inclusive time
/// per run before and after with the change.
fn frame_label(frame: &CallPathFrame, two_sided: bool) -> String {
    let mut label = folded_name(&frame.operation);
    if two_sided {
        let before = frame.before_total_us.unwrap_or(0.0);
        let after = frame.total_us;
        let change = if before > 0.0 {
            signed_pct((after - before) / before * 100.0)
        } else {
            "new".to_string()
        };
        let _ = write!(
            label,
            " [{} → {}, {change}]",
            human_us(before),
            human_us(after)
        );
    }
    label
}

/// An operation key made safe for a folded-stacks line: `;` separates frames and a trailing
/// number would be read as a count, so `;` becomes `,`, control characters a space, and a
/// name ending in a number gets no-break spaces instead of spaces. The SVG writer escapes
/// `<`, `&` and quotes.
fn folded_name(key: &str) -> String {
    let mut name: String = key
        .chars()
        .map(|c| match c {
            ';' => ',',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    name = name.trim().to_string();
    if name.is_empty() {
        return "(no name)".into();
    }
    let last_word = name.rsplit(' ').next().unwrap_or("");
    if name.contains(' ') && last_word.chars().all(|c| c.is_ascii_digit() || c == '.') {
        name = name.replace(' ', "\u{a0}");
    }
    name
}

/// A small SVG that says why there is no graph.
fn message_svg(message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" standalone=\"no\"?>\n<svg version=\"1.1\" width=\"1200\" \
         height=\"60\" xmlns=\"http://www.w3.org/2000/svg\"><text x=\"600\" y=\"34\" \
         text-anchor=\"middle\" font-family=\"Verdana\" font-size=\"14\">perfgate: {}</text></svg>\n",
        escape::xml(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Origin;

    fn frame(parent: Option<u32>, name: &str, total: f64, own: f64) -> CallPathFrame {
        CallPathFrame {
            parent,
            operation: name.into(),
            origin: Origin::Own,
            total_us: total,
            self_us: own,
            before_total_us: None,
            before_self_us: None,
        }
    }

    fn table(frames: Vec<CallPathFrame>, before_runs: Option<u32>) -> CallPathTable {
        CallPathTable {
            runs: 1,
            before_runs,
            frames,
            merged_paths: 0,
            min_share: 0.001,
        }
    }

    #[test]
    fn a_summary_is_folded_by_path_with_own_time_in_nanoseconds() {
        let t = table(
            vec![
                frame(None, "main", 100.0, 40.0),
                frame(Some(0), "load", 60.0, 60.0),
            ],
            None,
        );
        assert_eq!(folded_lines(&t), ["main 40000", "main;load 60000"]);
    }

    #[test]
    fn a_comparison_carries_both_sides_and_the_figures_in_the_name() {
        let mut main = frame(None, "main", 300.0, 100.0);
        main.before_total_us = Some(200.0);
        main.before_self_us = Some(100.0);
        let mut query = frame(Some(0), "query", 200.0, 200.0);
        query.before_total_us = Some(100.0);
        query.before_self_us = Some(100.0);
        let t = table(vec![main, query], Some(2));
        let lines = folded_lines(&t);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with("] 100000 200000"), "{}", lines[1]);
        assert!(lines[1].contains("query [100"), "{}", lines[1]);
        assert!(lines[1].contains("+100"), "{}", lines[1]);
    }

    #[test]
    fn names_cannot_break_the_folded_format() {
        assert_eq!(folded_name("a;b\nc"), "a,b c");
        assert_eq!(folded_name("step 12"), "step\u{a0}12");
        assert_eq!(folded_name("  "), "(no name)");
        assert_eq!(folded_name("f (x.py:3)"), "f (x.py:3)");
    }

    #[test]
    fn hostile_names_are_escaped_in_the_svg() {
        let t = table(
            vec![
                frame(None, "<script>alert(1)</script>", 100.0, 50.0),
                frame(
                    Some(0),
                    "</svg><img src=x onerror=alert(2)> \"q\" 'a'",
                    50.0,
                    50.0,
                ),
            ],
            None,
        );
        let svg = svg(&t);
        assert!(!svg.contains("<script>alert"), "{svg}");
        assert!(!svg.contains("</svg><img"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)"), "{svg}");
    }
}
