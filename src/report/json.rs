//! The JSON renderer: the report model serialized as it is (see [`super::model`] for the
//! schema), pretty-printed, with a trailing newline.

use crate::outcome::Report;

pub fn render(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(report).expect("the report model always serializes");
    out.push('\n');
    out
}
