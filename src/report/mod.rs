//! Reports: one renderer per output format behind [`Renderer`], listed in [`Format::ALL`],
//! each turning the [`crate::outcome`] model into text.
//!
//! Every command builds one [`Report`]; a renderer turns it into bytes and nothing else (no
//! decisions, no I/O beyond the writer it is given).

use crate::outcome::Report;

pub mod chart;
pub mod codequality;
pub mod escape;
pub mod flamegraph;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod location;
pub mod markdown;
pub mod sarif;
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

/// Everything a renderer may be told about layout, resolved once from the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderSettings {
    /// The terminal table's layout.
    pub terminal: RenderOptions,
    /// The Markdown comment's marker and length limit.
    pub markdown: markdown::MarkdownOptions,
    /// Which compared operations the JUnit lists.
    pub junit: junit::JunitOptions,
}

/// One output format: a name and a function from the report to text. A new format is one
/// file implementing this trait and one line in [`Format::ALL`].
pub trait Renderer: Sync {
    /// The format's name: the value of `--format`, and the long flag `--NAME FILE` that writes
    /// it to a file.
    fn name(&self) -> &'static str;
    /// One line for `--help`.
    fn help(&self) -> &'static str;
    /// Whether `--NAME FILE` exists (the terminal table is for standard output only).
    fn writes_files(&self) -> bool {
        true
    }
    /// The `--help` line of `--NAME FILE`.
    fn file_help(&self) -> &'static str {
        ""
    }
    fn render(&self, report: &Report, settings: &RenderSettings) -> String;
    /// Writes the rendered report into `out`. A format whose text grows with the number of
    /// operations writes it as it goes instead of building it whole first (JSON).
    fn write(
        &self,
        report: &Report,
        settings: &RenderSettings,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        out.write_all(self.render(report, settings).as_bytes())
    }
}

/// The formats that draw the report's call paths ([`crate::outcome::pictures`]): the commands
/// compute them only when one of these is asked for.
pub const CALL_PATH_FORMATS: &[Format] = &[Format::FLAMEGRAPH, Format::HTML];

/// The formats that draw the causes' call durations (the HTML report's distribution plots).
pub const DISTRIBUTION_FORMATS: &[Format] = &[Format::HTML];

/// An output format, from the registry [`Format::ALL`].
#[derive(Clone, Copy)]
pub struct Format(&'static dyn Renderer);

impl Format {
    pub const TABLE: Format = Format(&table::TableFormat);
    pub const JSON: Format = Format(&json::Json);
    pub const JUNIT: Format = Format(&junit::Junit);
    pub const MARKDOWN: Format = Format(&markdown::Markdown);
    pub const CODEQUALITY: Format = Format(&codequality::CodeQuality);
    pub const SARIF: Format = Format(&sarif::Sarif);
    pub const FLAMEGRAPH: Format = Format(&flamegraph::FlameGraph);
    pub const HTML: Format = Format(&html::Html);

    /// Every format perfgate writes, in the order `--help` lists them.
    pub const ALL: &'static [Format] = &[
        Format::TABLE,
        Format::JSON,
        Format::JUNIT,
        Format::MARKDOWN,
        Format::CODEQUALITY,
        Format::SARIF,
        Format::FLAMEGRAPH,
        Format::HTML,
    ];

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    pub fn help(self) -> &'static str {
        self.0.help()
    }

    pub fn writes_files(self) -> bool {
        self.0.writes_files()
    }

    pub fn file_help(self) -> &'static str {
        self.0.file_help()
    }

    /// The format of that name.
    pub fn by_name(name: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// Renders `report` in this format.
    pub fn render(self, report: &Report, settings: &RenderSettings) -> String {
        self.0.render(report, settings)
    }

    /// Writes `report` in this format into `out`.
    pub fn write(
        self,
        report: &Report,
        settings: &RenderSettings,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        self.0.write(report, settings, out)
    }
}

impl PartialEq for Format {
    fn eq(&self, other: &Format) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Format {}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Format({})", self.name())
    }
}

/// Renders `report` in `format` with the terminal layout `options` (tests and callers that
/// have no Markdown options).
#[cfg(test)]
pub fn render(report: &Report, format: Format, options: &RenderOptions) -> String {
    let settings = RenderSettings {
        terminal: *options,
        ..RenderSettings::default()
    };
    format.render(report, &settings)
}

#[cfg(test)]
pub(crate) mod tests;
