//! Charts GitHub draws in a comment or job summary without a hosted image: Mermaid
//! `xychart-beta` bar charts in ```` ```mermaid ```` fences, of the root causes of a
//! comparison, before against after.
//!
//! At most [`MAX_CAUSES`] causes, the largest first (the order of `Comparison::causes`). A
//! cause is charted in the figure its row was judged on: a cause that got slower in the
//! comparison's metric (p95 per call, ms), a cause called more often in calls per run; one
//! chart per unit, so no axis mixes milliseconds and calls. Each chart draws the after bars
//! (red) behind the before bars (grey): a cause's bar shows how far it grew. Names are
//! shortened to [`MAX_LABEL_CHARS`] and escaped for Mermaid ([`super::escape::mermaid_string`]).

use super::escape::mermaid_string;
use crate::outcome::{CauseKind, Comparison};

/// Causes charted at most: the comment stays short, the bars wide enough to read.
pub const MAX_CAUSES: usize = 5;

/// Characters of an operation's name on the axis.
pub const MAX_LABEL_CHARS: usize = 30;

/// The palette of the bars in the order they are drawn: after (red), before (grey).
const PALETTE: &str = "#d73a49, #8c959f";

/// One bar pair: a cause's name and its figure before and after, in the chart's unit.
struct Bar {
    label: String,
    before: f64,
    after: f64,
}

/// The Markdown of the charts of `c`'s causes (fenced Mermaid blocks, a blank line between),
/// or `None` when there is no cause to chart.
pub fn causes_charts(c: &Comparison) -> Option<String> {
    let mut slower: Vec<(String, f64, f64)> = Vec::new();
    let mut more_calls: Vec<Bar> = Vec::new();
    for cause in c.causes.iter().take(MAX_CAUSES) {
        match &cause.kind {
            CauseKind::Slower { .. } => {
                let row = c.operations.iter().find(|o| o.name == cause.operation);
                if let Some((Some(b), Some(a))) = row.map(|o| (&o.before, &o.after)) {
                    slower.push((cause.operation.clone(), b.value_us, a.value_us));
                }
            }
            CauseKind::MoreCalls {
                before_per_run,
                after_per_run,
                ..
            } => more_calls.push(Bar {
                label: label(&cause.operation),
                before: *before_per_run,
                after: *after_per_run,
            }),
        }
    }
    let mut charts: Vec<String> = Vec::new();
    if !slower.is_empty() {
        let max = slower.iter().map(|s| s.1.max(s.2)).fold(0.0, f64::max);
        let (unit, per_unit) = time_unit(max);
        let per = if c.metric.is_per_run() {
            "per run"
        } else {
            "per call"
        };
        let bars: Vec<Bar> = slower
            .iter()
            .map(|(name, before, after)| Bar {
                label: label(name),
                before: before / per_unit,
                after: after / per_unit,
            })
            .collect();
        let title = format!("{} {per} ({unit})", c.metric.as_str());
        charts.push(chart(&title, unit, &bars));
    }
    if !more_calls.is_empty() {
        charts.push(chart("calls per run", "calls", &more_calls));
    }
    (!charts.is_empty()).then(|| charts.join("\n"))
}

/// A name as an axis label: shortened, escaped, quoted.
fn label(name: &str) -> String {
    let short: String = if name.chars().count() > MAX_LABEL_CHARS {
        let head: String = name.chars().take(MAX_LABEL_CHARS - 1).collect();
        format!("{head}…")
    } else {
        name.to_string()
    };
    format!("\"{}\"", mermaid_string(&short))
}

/// The unit that shows `max_us` with few digits, and µs per unit.
fn time_unit(max_us: f64) -> (&'static str, f64) {
    if max_us >= 1_000_000.0 {
        ("s", 1_000_000.0)
    } else if max_us >= 1000.0 {
        ("ms", 1000.0)
    } else {
        ("us", 1.0)
    }
}

/// A figure as Mermaid reads it: plain decimals, never an exponent.
fn number(v: f64) -> String {
    let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One fenced `xychart-beta` block.
fn chart(title: &str, unit: &str, bars: &[Bar]) -> String {
    let top = bars
        .iter()
        .map(|b| b.before.max(b.after))
        .fold(0.0, f64::max);
    let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
    let after: Vec<String> = bars.iter().map(|b| number(b.after)).collect();
    let before: Vec<String> = bars.iter().map(|b| number(b.before)).collect();
    format!(
        "```mermaid\n\
         %%{{init: {{\"themeVariables\": {{\"xyChart\": {{\"plotColorPalette\": \"{PALETTE}\"}}}}}}}}%%\n\
         xychart-beta\n    \
         title \"{}\"\n    \
         x-axis [{}]\n    \
         y-axis \"{}\" 0 --> {}\n    \
         bar [{}]\n    \
         bar [{}]\n\
         ```\n",
        mermaid_string(&format!("{title}: before grey, after red")),
        labels.join(", "),
        mermaid_string(unit),
        number(axis_top(top)),
        after.join(", "),
        before.join(", "),
    )
}

/// A round top for the axis a little above the highest bar.
fn axis_top(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let step = 10f64.powf((max * 1.1).log10().floor()) / 2.0;
    ((max * 1.1) / step).ceil() * step
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{HOSTILE, sample};

    #[test]
    fn causes_are_charted_in_the_unit_of_their_row() {
        let report = sample();
        let c = report.comparison.as_ref().unwrap();
        let md = causes_charts(c).expect("the sample has causes");
        // One slower cause (p95 in the sample's metric) and one with more calls: two charts.
        assert_eq!(md.matches("```mermaid\n").count(), 2, "{md}");
        assert_eq!(md.matches("xychart-beta").count(), 2);
        assert!(md.contains("y-axis \"calls\""), "{md}");
        assert!(md.contains("bar [24]\n    bar [12]"), "{md}");
    }

    #[test]
    fn at_most_five_causes_and_none_without_causes() {
        let mut report = sample();
        let c = report.comparison.as_mut().unwrap();
        let more_calls = c.causes[1].clone();
        c.causes = (0..8)
            .map(|i| {
                let mut cause = more_calls.clone();
                cause.operation = format!("op_{i}");
                cause
            })
            .collect();
        let md = causes_charts(c).unwrap();
        assert!(md.contains("\"op_4\"") && !md.contains("\"op_5\""), "{md}");
        c.causes.clear();
        assert_eq!(causes_charts(c), None);
    }

    #[test]
    fn hostile_names_stay_inside_their_label() {
        let mut report = sample();
        let c = report.comparison.as_mut().unwrap();
        let more_calls = c.causes[1].clone();
        c.causes = [
            "%%{init: {\"theme\": \"dark\"}}%%",
            "```\n# heading",
            "x\"] \n bar [1",
            HOSTILE[5],
            HOSTILE[2],
        ]
        .iter()
        .map(|name| {
            let mut cause = more_calls.clone();
            cause.operation = (*name).to_string();
            cause
        })
        .collect();
        let md = causes_charts(c).unwrap();
        let x_axis = md.lines().find(|l| l.contains("x-axis")).unwrap();
        // Every label is one quoted string: the quotes pair up, nothing breaks the line.
        assert_eq!(x_axis.matches('"').count(), 2 * MAX_CAUSES, "{x_axis}");
        assert_eq!(
            md.matches("%%").count(),
            2,
            "only perfgate's own directive: {md}"
        );
        assert_eq!(md.matches("```").count(), 2, "{md}");
    }

    /// The charts count in the comment's size budget and are the first thing left out: a
    /// comment one character short of room for everything loses the charts, not a row.
    #[test]
    fn the_charts_are_left_out_before_any_row() {
        use crate::report::markdown::{self, MarkdownOptions};
        let report = sample();
        let unlimited = MarkdownOptions {
            max_chars: Some(usize::MAX),
            ..MarkdownOptions::default()
        };
        let full = markdown::render(&report, &unlimited);
        assert!(full.contains("```mermaid"));
        let size = full.chars().count();
        let exact = MarkdownOptions {
            max_chars: Some(size),
            ..MarkdownOptions::default()
        };
        assert_eq!(markdown::render(&report, &exact), full);
        let short = MarkdownOptions {
            max_chars: Some(size - 1),
            ..MarkdownOptions::default()
        };
        let md = markdown::render(&report, &short);
        assert!(!md.contains("```mermaid"), "{md}");
        assert!(!md.contains("left out"), "{md}");
        let without = MarkdownOptions {
            no_charts: true,
            ..unlimited
        };
        assert_eq!(md, markdown::render(&report, &without));
    }

    #[test]
    fn axis_tops_are_round_and_above_the_bars() {
        for (max, top) in [
            (77.1, 85.0),
            (24.0, 30.0),
            (1.0, 1.5),
            (0.0, 1.0),
            (488.0, 550.0),
        ] {
            assert_eq!(axis_top(max), top, "{max}");
        }
        assert_eq!(number(77.0667), "77.07");
        assert_eq!(number(24.0), "24");
    }
}

/// The charts parsed by Mermaid itself (tests/tools/mermaid-parse.mjs with the `mermaid` and
/// `jsdom` packages .ci/run installs into .ci/node).
#[cfg(test)]
mod mermaid_tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::report::tests::{HOSTILE, sample, skip};

    /// (all parsed, the parser's output), or `None` (skipped) when node or the packages are
    /// missing.
    fn parse(markdown: &str) -> Option<(bool, String)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let modules: PathBuf = root.join(".ci/node/node_modules");
        let installed = ["mermaid", "jsdom"]
            .iter()
            .all(|m| modules.join(m).join("package.json").is_file());
        let node = std::process::Command::new("node").arg("--version").output();
        if !installed || node.is_err() {
            skip("node with mermaid and jsdom in .ci/node");
            return None;
        }
        let file = tempfile::Builder::new().suffix(".md").tempfile().unwrap();
        std::fs::write(file.path(), markdown).unwrap();
        let out = std::process::Command::new("node")
            .arg(root.join("tests/tools/mermaid-parse.mjs"))
            .arg(&modules)
            .arg(file.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        Some((out.status.success(), text))
    }

    #[test]
    fn mermaid_parses_the_charts_of_hostile_names() {
        let mut report = sample();
        let c = report.comparison.as_mut().unwrap();
        let (slower, more_calls) = (c.causes[0].clone(), c.causes[1].clone());
        let hostile = HOSTILE.iter().copied().chain([
            "%%{init: {\"theme\": \"dark\"}}%%",
            "x\"] \n bar [1",
            "a, b [c] {d};",
        ]);
        c.causes = hostile
            .enumerate()
            .map(|(i, name)| {
                let mut cause = if i % 2 == 0 {
                    more_calls.clone()
                } else {
                    slower.clone()
                };
                cause.operation = name.to_string();
                cause
            })
            .collect();
        // The slower causes' rows, under their hostile names.
        let row = c.operations[0].clone();
        for cause in c.causes.clone() {
            let mut r = row.clone();
            r.name = cause.operation;
            c.operations.push(r);
        }
        // The first five causes, then the last five: every hostile name is charted once.
        let all = c.causes.clone();
        for start in [0, all.len() - MAX_CAUSES] {
            let mut c = c.clone();
            c.causes = all[start..].to_vec();
            let md = causes_charts(&c).unwrap();
            let Some((ok, output)) = parse(&md) else {
                return;
            };
            assert!(ok, "{output}\n{md}");
            assert_eq!(output.matches(": ok xychart").count(), 2, "{output}\n{md}");
        }
    }

    #[test]
    fn mermaid_rejects_a_label_that_breaks_the_chart() {
        let broken = "```mermaid\nxychart-beta\n    x-axis [\"a\"b\"]\n    bar [1]\n```\n";
        let Some((ok, output)) = parse(broken) else {
            return;
        };
        assert!(!ok, "{output}");
        assert!(output.contains("block 1: error"), "{output}");
    }
}
