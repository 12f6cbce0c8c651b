//! Reports: the report model ([`model`]) and one renderer per output format.
//!
//! Every command builds one [`Report`]; a renderer turns it into bytes and nothing else (no
//! decisions, no I/O beyond the writer it is given).

use crate::outcome::Report;

pub mod escape;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod table;
pub mod text;

/// How a renderer should lay out text for a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// Terminal width in columns, when known.
    pub width: Option<u16>,
    /// Rows of operations to show at most (`None`: all).
    pub top: Option<usize>,
    /// Only what failed or warned.
    pub brief: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            width: Some(80),
            top: None,
            brief: false,
        }
    }
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Junit,
    Markdown,
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format, options: &RenderOptions) -> String {
    match format {
        Format::Table => table::render(report, options),
        Format::Json => json::render(report),
        Format::Junit => junit::render(report),
        Format::Markdown => markdown::render(report, &markdown::MarkdownOptions::default()),
    }
}

#[cfg(test)]
mod tests;
