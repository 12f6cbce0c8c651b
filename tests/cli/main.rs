//! CLI tests: one test binary, one module per command, all on fixtures made by real tracers
//! (see tests/fixtures/README.md).

mod action;
mod architecture;
mod baseline;
mod check;
mod common;
mod compare;
mod fuzz_regressions;
mod hardening;
mod hook;
mod live;
mod otlp;
mod record;
mod redflags;
mod reports;
mod speedscope;
mod summary;
