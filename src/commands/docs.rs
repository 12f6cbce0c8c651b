//! What perfgate says about itself, generated from its own definitions so it never drifts:
//! shell completions and the man page from the clap definitions (`clap_complete`,
//! `clap_mangen`), and the JSON Schema of the report from the report model.

use std::io::Write;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::Cli;

use super::Outcome;

/// `perfgate completions SHELL`: the completion script on standard output.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "perfgate", &mut out);
    emit(&out)
}

/// `perfgate man`: the man page (roff) on standard output.
pub fn man() -> anyhow::Result<Outcome> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .context("could not render the man page")?;
    emit(&out)
}

/// `perfgate schema`: the JSON Schema of `--format json` on standard output.
pub fn schema() -> anyhow::Result<Outcome> {
    emit(crate::report::json::schema().as_bytes())
}

fn emit(bytes: &[u8]) -> anyhow::Result<Outcome> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .context("could not write to standard output")?;
    Ok(Outcome::Pass)
}
