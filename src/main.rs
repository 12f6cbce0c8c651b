//! The `perfgate` binary: parse arguments, run, map the outcome to an exit code
//! (0 pass, 1 gate failed, 2 usage/configuration/input error).

use std::process::ExitCode;

use clap::Parser;
use perfgate::cli::Cli;
use perfgate::commands::{Outcome, run};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(Outcome::Pass) => ExitCode::SUCCESS,
        Ok(Outcome::GateFailed) => ExitCode::from(1),
        Err(e) => {
            perfgate::log::eprint_line(&format!("perfgate: error: {e:#}"));
            ExitCode::from(2)
        }
    }
}
