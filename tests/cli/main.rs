//! CLI tests: one test binary, one module per command, all on fixtures made by real tracers
//! (see tests/fixtures/README.md).

mod action;
mod baseline;
mod common;
mod hook;
mod live;
mod summary;
