//! The measured environment of one traced run: a small JSON file beside the trace,
//! `TRACE.schedstat` (`base_1.json` → `base_1.json.schedstat`), written by `perfgate record`
//! from the kernel's scheduler statistics of the traced process tree
//! (`/proc/PID/task/TID/schedstat`): how long its threads ran on a CPU and how long they
//! were runnable but waited for one.
//!
//! `run_share = cpu / (cpu + waiting)` is the share of the CPU time the program asked for
//! that it got: 1.0 on an idle machine, 0.5 when another job took every other time slice.
//! A trace cannot tell "this run got half the CPU" from "this code is twice as slow"; this
//! record can, and `compare` judges the after side relative to it (docs/compare.md, rule 7).
//!
//! The file name does not end in `.json`, so a glob such as `'runs/base_*.json'` does not
//! pick it up as a trace.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// The suffix added to a trace's file name.
pub const SUFFIX: &str = ".schedstat";

/// What the kernel said of one traced run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunEnvironment {
    /// The format's version (1).
    pub perfgate_schedstat: u32,
    /// Time the traced process tree's threads ran on a CPU, ms.
    pub cpu_ms: f64,
    /// Time they were runnable but waited for a CPU, ms.
    pub waiting_ms: f64,
    /// `cpu_ms / (cpu_ms + waiting_ms)`: the share of the CPU it asked for that it got.
    pub run_share: f64,
}

impl RunEnvironment {
    /// The record of a run that ran `cpu_ns` and waited `waiting_ns`; `None` when it never
    /// ran (nothing to say).
    pub fn from_ns(cpu_ns: u64, waiting_ns: u64) -> Option<RunEnvironment> {
        (cpu_ns > 0).then(|| RunEnvironment {
            perfgate_schedstat: 1,
            cpu_ms: cpu_ns as f64 / 1e6,
            waiting_ms: waiting_ns as f64 / 1e6,
            run_share: cpu_ns as f64 / (cpu_ns as f64 + waiting_ns as f64),
        })
    }
}

/// Where the record of `trace` is (or goes).
pub fn path_for(trace: &Path) -> PathBuf {
    let mut name = trace.as_os_str().to_owned();
    name.push(SUFFIX);
    PathBuf::from(name)
}

/// The record beside `trace`, `None` when there is none. A record that is there but cannot
/// be read or makes no sense is an error naming it: the gate does not judge a run by a
/// figure it could not read.
pub fn read_beside(trace: &Path) -> anyhow::Result<Option<RunEnvironment>> {
    let path = path_for(trace);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("could not read {}", path.display())));
        }
    };
    let env: RunEnvironment = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not a perfgate scheduler record: {e} (written by `perfgate record` beside \
             each trace; delete it to compare the trace without it)",
            path.display()
        )
    })?;
    let valid = env.perfgate_schedstat == 1
        && env.cpu_ms.is_finite()
        && env.cpu_ms > 0.0
        && env.waiting_ms.is_finite()
        && env.waiting_ms >= 0.0
        && env.run_share > 0.0
        && env.run_share <= 1.0;
    if !valid {
        anyhow::bail!(
            "{}: a scheduler record needs perfgate_schedstat = 1, cpu_ms > 0, waiting_ms ≥ 0 \
             and run_share in (0, 1]",
            path.display()
        );
    }
    Ok(Some(env))
}

/// Writes the record of `trace` beside it (atomically: a reader never sees half of it).
pub fn write_beside(trace: &Path, env: &RunEnvironment) -> anyhow::Result<()> {
    let path = path_for(trace);
    let text = serde_json::to_string_pretty(env)? + "\n";
    crate::atomic::write_whole(&path, text.as_bytes())
        .with_context(|| format!("could not write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_written_beside_the_trace_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("base_1.json");
        assert_eq!(read_beside(&trace).unwrap(), None, "no record: none");
        let env = RunEnvironment::from_ns(600_000_000, 400_000_000).unwrap();
        assert!((env.run_share - 0.6).abs() < 1e-12, "{env:?}");
        write_beside(&trace, &env).unwrap();
        assert!(dir.path().join("base_1.json.schedstat").is_file());
        assert_eq!(read_beside(&trace).unwrap(), Some(env));
        assert_eq!(
            RunEnvironment::from_ns(0, 5),
            None,
            "a run that never ran says nothing"
        );
    }

    #[test]
    fn a_record_that_makes_no_sense_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("t.json");
        let cases = [
            ("{", "not a perfgate scheduler record"),
            (
                r#"{"perfgate_schedstat":1,"cpu_ms":10,"waiting_ms":0,"run_share":1.5}"#,
                "run_share in (0, 1]",
            ),
            (
                r#"{"perfgate_schedstat":2,"cpu_ms":10,"waiting_ms":0,"run_share":1}"#,
                "perfgate_schedstat = 1",
            ),
            (
                r#"{"perfgate_schedstat":1,"cpu_ms":10,"waiting_ms":0,"run_share":1,"x":1}"#,
                "unknown field",
            ),
        ];
        for (text, expected) in cases {
            std::fs::write(path_for(&trace), text).unwrap();
            let e = format!("{:#}", read_beside(&trace).unwrap_err());
            assert!(
                e.contains("t.json.schedstat") && e.contains(expected),
                "{text}: {e}"
            );
        }
    }
}
