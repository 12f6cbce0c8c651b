//! CLI tests: one test binary, one module per command, all on fixtures made by real tracers
//! (see tests/fixtures/README.md).

mod check;
mod common;
mod compare;
mod live;
mod reports;
mod summary;
