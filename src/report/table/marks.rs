//! Status marks and the verdict line of the terminal report, coloured when colours are on.

use comfy_table::{Cell, Color};

use crate::report::{RenderOptions, Severity, Verdict};

/// The mark of a result: `ok`, `warn`, `FAIL`.
pub fn severity_text(severity: Option<Severity>) -> &'static str {
    match severity {
        None => "ok",
        Some(Severity::Warn) => "warn",
        Some(Severity::Fail) => "FAIL",
    }
}

/// Green, yellow or red.
pub fn severity_color(severity: Option<Severity>) -> Color {
    match severity {
        None => Color::Green,
        Some(Severity::Warn) => Color::Yellow,
        Some(Severity::Fail) => Color::Red,
    }
}

/// [`severity_text`] in [`severity_color`] when colours are on.
pub fn severity_cell(severity: Option<Severity>, options: &RenderOptions) -> Cell {
    super::colored(severity_text(severity), severity_color(severity), options)
}

/// `perfgate: FAIL` / `perfgate: pass with warnings` / `perfgate: pass`, coloured.
pub fn verdict_line(verdict: Verdict, options: &RenderOptions) -> String {
    let (text, code) = match verdict {
        Verdict::Pass => ("pass", "32"),
        Verdict::Warn => ("pass with warnings", "33"),
        Verdict::Fail => ("FAIL", "31"),
    };
    if options.color {
        format!("perfgate: \x1b[1;{code}m{text}\x1b[0m")
    } else {
        format!("perfgate: {text}")
    }
}
