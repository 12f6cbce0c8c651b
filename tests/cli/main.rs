//! CLI tests: one test binary, one module per command, all on fixtures made by real tracers
//! (see tests/fixtures/README.md).

mod action;
mod architecture;
mod baseline;
mod budget_bounds;
mod charts;
mod check;
mod common;
mod compare;
mod compare_memory;
mod consumers;
mod fuzz_regressions;
mod github_links;
mod github_schemas;
mod gitlab;
mod hardening;
mod hook;
mod init;
mod install;
mod live;
mod many_names;
mod measured_environment;
mod memory_async;
mod metrics;
#[cfg(unix)]
mod mutants_script;
#[cfg(unix)]
mod no_threads;
mod otlp;
mod parallel_read;
mod pictures;
mod reader_limits;
mod record;
mod redflags;
mod reports;
mod sarif;
mod schema;
mod scope;
mod speedscope;
mod summary;
mod workflows;
