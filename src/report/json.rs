//! The JSON renderer: the report model serialized as it is (see [`crate::outcome`] for the
//! schema), pretty-printed, with a trailing newline.

use crate::outcome::Report;

pub fn render(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(report).expect("the report model always serializes");
    out.push('\n');
    // `##[` only occurs inside strings here; `\u0023` decodes back to `#`, and the runner
    // does not take the line for a workflow command if the JSON is printed into a log.
    if out.contains("##[") {
        out = out.replace("##[", "#\\u0023[");
    }
    out
}

/// `--format json`, `--json FILE`.
pub struct Json;

impl super::Renderer for Json {
    fn name(&self) -> &'static str {
        "json"
    }

    fn help(&self) -> &'static str {
        "The versioned JSON report (see docs/reports.md)"
    }

    fn file_help(&self) -> &'static str {
        "Also write the JSON report to FILE"
    }

    fn render(&self, report: &Report, _: &super::RenderSettings) -> String {
        render(report)
    }
}
