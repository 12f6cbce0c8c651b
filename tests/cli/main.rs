//! CLI tests: one test binary, one module per command, all on fixtures made by real tracers
//! (see tests/fixtures/README.md).

mod common;
mod reports;
mod summary;
