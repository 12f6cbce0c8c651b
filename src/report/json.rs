//! The JSON renderer: the report model serialized as it is (see [`crate::outcome`] for the
//! schema), pretty-printed, with a trailing newline.

use crate::outcome::Report;

pub fn render(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(report).expect("the report model always serializes");
    out.push('\n');
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
