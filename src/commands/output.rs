//! Where reports go: standard output in the chosen format, with colour decided once from
//! `--color`, `NO_COLOR` and `CLICOLOR_FORCE`.

use std::io::{IsTerminal, Write};

use crate::cli::{ColorChoice, FormatArg};
use crate::report::{self, Format, RenderOptions, Report};

/// Whether to colour standard output.
pub fn resolve_color(choice: ColorChoice) -> bool {
    let env_set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if env_set("NO_COLOR") => false,
        ColorChoice::Auto if env_set("CLICOLOR_FORCE") => true,
        ColorChoice::Auto => std::io::stdout().is_terminal(),
    }
}

/// Terminal width: the terminal's when standard output is one, else `COLUMNS`, else 80.
pub fn terminal_width() -> u16 {
    if std::io::stdout().is_terminal()
        && let Some((w, _)) = terminal_size()
    {
        return w;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w: &u16| w >= 40)
        .unwrap_or(80)
}

/// comfy-table asks the terminal (crossterm) for its size when standard output is one.
fn terminal_size() -> Option<(u16, u16)> {
    comfy_table::Table::new().width().map(|w| (w, 0))
}

pub fn format(arg: FormatArg) -> Format {
    match arg {
        FormatArg::Table => Format::Table,
        FormatArg::Json => Format::Json,
    }
}

/// Writes the report to standard output.
pub fn print(report: &Report, format: Format, options: &RenderOptions) -> anyhow::Result<()> {
    let text = report::render(report, format, options);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
