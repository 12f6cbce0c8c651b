//! Measuring how much CPU a traced run got: while the run's process group lives, its threads'
//! scheduler statistics (`/proc/PID/task/TID/schedstat`: ns on a CPU, ns runnable but
//! waiting for one) are sampled; the last figures seen of every thread, summed, make the
//! record written beside the trace (`trace::schedstat`).
//!
//! Linux only: elsewhere (no `/proc`) nothing is sampled and no record is written, and
//! `compare` judges the traces as they are.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::trace::schedstat::RunEnvironment;

/// How often the process group is sampled. A thread's figures after its last sample are
/// lost (at most this much of its run), and each sample reads a few files per process on
/// the machine, so not more often.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// The scheduler figures of one process group, sampled now and then.
#[derive(Debug)]
pub struct GroupSampler {
    pgid: u32,
    /// The last (ns on a CPU, ns waiting) of each thread seen, by (pid, tid).
    threads: HashMap<(u32, u32), (u64, u64)>,
    last: Option<Instant>,
}

impl GroupSampler {
    pub fn new(pgid: u32) -> GroupSampler {
        GroupSampler {
            pgid,
            threads: HashMap::new(),
            last: None,
        }
    }

    /// Samples when [`INTERVAL`] has passed since the last sample.
    pub fn sample_when_due(&mut self) {
        if self.last.is_none_or(|t| t.elapsed() >= INTERVAL) {
            self.sample();
        }
    }

    /// Reads the figures of every thread of every process in the group now.
    pub fn sample(&mut self) {
        self.last = Some(Instant::now());
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in procs.flatten() {
            let Some(pid) = numeric_name(&entry) else {
                continue;
            };
            if process_group(pid) != Some(self.pgid) {
                continue;
            }
            let Ok(tasks) = std::fs::read_dir(entry.path().join("task")) else {
                continue;
            };
            for task in tasks.flatten() {
                let Some(tid) = numeric_name(&task) else {
                    continue;
                };
                if let Some(figures) = thread_figures(&task.path().join("schedstat")) {
                    self.threads.insert((pid, tid), figures);
                }
            }
        }
    }

    /// What was measured, summed over the threads seen; `None` when nothing was (not
    /// Linux, or the run ended before the first sample).
    pub fn record(&self) -> Option<RunEnvironment> {
        let (cpu, waiting) = self
            .threads
            .values()
            .fold((0u64, 0u64), |(c, w), (tc, tw)| (c + tc, w + tw));
        RunEnvironment::from_ns(cpu, waiting)
    }
}

/// The number a `/proc` entry is named by (a pid, a tid); `None` for the other entries.
fn numeric_name(entry: &std::fs::DirEntry) -> Option<u32> {
    entry.file_name().to_str()?.parse().ok()
}

/// The process group of `pid` (field 5 of `/proc/PID/stat`, read after the command name,
/// which may hold spaces and parentheses).
fn process_group(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(2)?.parse().ok()
}

/// (ns on a CPU, ns waiting for one) of one thread.
fn thread_figures(path: &Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut fields = text.split_whitespace();
    let cpu = fields.next()?.parse().ok()?;
    let waiting = fields.next()?.parse().ok()?;
    Some((cpu, waiting))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn a_busy_process_group_is_measured_while_it_runs() {
        let mut cmd = Command::new("sh");
        // Two processes of the group: the shell and a busy child of it.
        cmd.args([
            "-c",
            "sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'",
        ]);
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().unwrap();
        let mut sampler = GroupSampler::new(child.id());
        while child.try_wait().unwrap().is_none() {
            sampler.sample();
            std::thread::sleep(Duration::from_millis(10));
        }
        let record = sampler.record().expect("a busy loop ran");
        assert!(record.cpu_ms > 10.0, "{record:?}");
        assert!(
            record.run_share > 0.0 && record.run_share <= 1.0,
            "{record:?}"
        );
        assert!(
            sampler.threads.len() >= 2,
            "the shell and its child: {:?}",
            sampler.threads
        );
        // Another group is not ours.
        let mut other = GroupSampler::new(u32::MAX);
        other.sample();
        assert_eq!(other.record(), None);
    }
}
