//! The verdict line of the terminal report, coloured when colours are on.

use crate::outcome::{Report, Severity, Verdict};
use crate::report::RenderOptions;
use crate::report::escape::terminal;

/// `Verdict: FAIL (2 failure(s), 1 warning(s))`, the verdict coloured: what the gate decided
/// and how many results it rests on (budgets, red flags, comparison).
pub fn verdict_line(report: &Report, verdict: Verdict, options: &RenderOptions) -> String {
    let count = |s: Severity| report.count_severity(s);
    let (text, code) = match verdict {
        Verdict::Pass => ("PASS", "32"),
        Verdict::Warn => ("WARN", "33"),
        Verdict::Fail => ("FAIL", "31"),
    };
    let text = if options.color {
        format!("\x1b[1;{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    };
    let mut line = format!(
        "Verdict: {text} ({} failure(s), {} warning(s))",
        count(Severity::Fail),
        count(Severity::Warn)
    );
    let incomplete: Vec<String> = report
        .incomplete_inputs()
        .map(|i| terminal(&i.source))
        .collect();
    if !incomplete.is_empty() {
        line.push_str(&format!(
            "; incomplete input (calls missing): {}",
            incomplete.join(", ")
        ));
    }
    line
}
