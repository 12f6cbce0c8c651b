//! Blocking I/O in async code: a blocking call (sleep, file or socket I/O, a synchronous HTTP
//! client, a subprocess) on an asyncio task, which stalls the event loop and every other task.
//! Flagged only while another task was alive on the loop (pending between its slices): a
//! blocking read in `async def main` before any other task exists stalls nobody.

use crate::config::{ConfigError, PatternSet, Section};
use crate::outcome::{Finding, FindingKind, Severity};

use super::{
    Detector, DetectorBase, GroupKey, Groups, Input, Occurrence, RawDetector, parent_op,
    pattern_set, refuse, select,
};

const NAME: &str = "blocking_io";

/// Default watch list: calls that block the event loop.
pub const DEFAULT_OPERATIONS: [&str; 14] = [
    "time.sleep",
    "io.open",
    "builtins.open",
    "_io.*.read*",
    "_io.*.write*",
    "os.read",
    "os.write",
    "requests.*",
    "urllib.request.*",
    "http.client.*",
    "socket.*recv*",
    "socket.*send*",
    "socket.*connect*",
    "subprocess.*",
];

/// `[detectors.blocking_io]`.
#[derive(Debug, Clone)]
pub struct BlockingIo {
    pub base: DetectorBase,
    /// Blocking calls shorter than this are not reported, µs.
    pub min_duration_us: f64,
    /// Blocking operations watched.
    pub operations: PatternSet,
}

impl Default for BlockingIo {
    fn default() -> Self {
        BlockingIo {
            base: DetectorBase::on(Severity::Fail),
            min_duration_us: 10_000.0,
            operations: pattern_set(&DEFAULT_OPERATIONS),
        }
    }
}

impl Detector for BlockingIo {
    fn name(&self) -> &'static str {
        NAME
    }

    fn enabled(&self) -> bool {
        self.base.enabled
    }

    fn configure(&mut self, section: Section<'_>) -> Result<(), ConfigError> {
        let src = section.src;
        let r: RawDetector = section.read()?;
        refuse(src, &r.min_total, "min_total", NAME)?;
        refuse(src, &r.min_count, "min_count", NAME)?;
        refuse(src, &r.ignore, "ignore", NAME)?;
        self.base = self.base.read(src, r.enabled, r.severity.as_ref())?;
        if let Some(t) = &r.min_duration {
            self.min_duration_us = src.duration_value(t)?;
        }
        if let Some(list) = &r.operations {
            self.operations = src.patterns(list.get_ref())?;
        }
        Ok(())
    }

    fn detect(&self, input: &Input<'_>) -> Vec<Finding> {
        let watched = select(input.catalog, |i| self.operations.matches_op(i));
        let mut groups = Groups::default();
        for (t, tree) in input.trees.iter().enumerate() {
            // The lifetime of every asyncio task (its first slice's start to its last slice's
            // end): between its slices a task is pending on the loop, waiting to resume.
            let mut alive: Vec<Option<(f64, f64)>> = vec![None; tree.tracks.len()];
            for span in &tree.spans {
                if tree.track(span.track).is_async_task() {
                    let r = alive[span.track as usize].get_or_insert((span.ts, span.end()));
                    r.0 = r.0.min(span.ts);
                    r.1 = r.1.max(span.end());
                }
            }
            // Whether another task was alive while the call on `track` ran from `ts` to `end`:
            // a blocking call with no other task on the loop (startup code in `async def main`
            // before any task exists) stalls nobody.
            let others_pending = |track: u32, ts: f64, end: f64| {
                alive
                    .iter()
                    .enumerate()
                    .any(|(k, r)| k != track as usize && r.is_some_and(|(a, b)| a < end && b > ts))
            };
            let mut i = 0;
            while i < tree.len() {
                let span = &tree.spans[i];
                let op = tree.ops[i];
                if watched[op as usize]
                    && span.dur >= self.min_duration_us
                    && tree.track(span.track).is_async_task()
                    && others_pending(span.track, span.ts, span.end())
                {
                    groups.add(
                        GroupKey::new(FindingKind::BlockingIo, parent_op(tree, i), op, None),
                        Occurrence {
                            at: (t, i),
                            count: 1,
                            total_us: span.dur,
                            slowest_us: span.dur,
                            score: span.dur,
                        },
                    );
                    // What a blocking call does inside is the same stall: report it once.
                    i = tree.subtree_end(i);
                } else {
                    i += 1;
                }
            }
        }
        groups.findings(|g| Finding {
            threshold_us: Some(self.min_duration_us),
            ..g.finding(input, self.base.severity, g.calls)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::tests::findings;
    use crate::outcome::FindingKind;

    #[test]
    fn blocking_calls_count_only_in_asyncio_tasks_and_above_the_threshold() {
        // `handler` on `track`, while another task (track 1 or 2... here the other one of 1)
        // is alive.
        let coroutine = |track, sleep_ms| {
            vec![
                ("handler (a.py:1)", track, 0.0, 100.0),
                ("time.sleep", track, 1.0, sleep_ms),
                ("other (a.py:9)", 2, 0.5, 2.0),
                ("other (a.py:9)", 2, 90.0, 2.0),
            ]
        };
        let found = findings(&coroutine(1, 20.0), "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, FindingKind::BlockingIo);
        assert_eq!(found[0].parent.as_deref(), Some("handler (a.py)"));
        assert!(findings(&coroutine(0, 20.0), "").is_empty(), "not a task");
        assert!(findings(&coroutine(1, 5.0), "").is_empty(), "below 10ms");
        // The only task on the loop: nobody waits.
        let alone = vec![("main (a.py:1)", 1, 0.0, 100.0), ("io.open", 1, 1.0, 20.0)];
        assert!(findings(&alone, "").is_empty(), "no other task pending");
    }

    #[test]
    fn a_blocking_call_inside_another_is_reported_once_and_the_threshold_is_inclusive() {
        // `requests.get` blocks for 30 ms and inside it `socket.recv` for 25 ms: one stall.
        let spans = vec![
            ("handler (a.py:1)", 1, 0.0, 100.0),
            ("requests.get", 1, 1.0, 30.0),
            ("socket.socket.recv", 1, 2.0, 25.0),
            ("other (a.py:9)", 2, 0.5, 2.0),
            ("other (a.py:9)", 2, 90.0, 2.0),
        ];
        let found = findings(&spans, "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].count, found[0].total_us), (1, 30_000.0));
        assert_eq!(found[0].operation, "requests.get");
        // Exactly the 10 ms threshold blocks.
        let at_threshold = vec![
            ("handler (a.py:1)", 1, 0.0, 100.0),
            ("time.sleep", 1, 1.0, 10.0),
            ("other (a.py:9)", 2, 0.5, 2.0),
            ("other (a.py:9)", 2, 90.0, 2.0),
        ];
        assert_eq!(findings(&at_threshold, "").len(), 1);
    }

    #[test]
    fn another_task_counts_only_while_it_overlaps_the_call() {
        // `time.sleep` on task 1 from 10 to 30 ms; task 2 lives over `other`.
        let with_other = |other: &[(f64, f64)]| {
            let mut spans = vec![
                ("handler (a.py:1)", 1, 0.0, 100.0),
                ("time.sleep", 1, 10.0, 20.0),
            ];
            spans.extend(
                other
                    .iter()
                    .map(|&(ts, dur)| ("other (a.py:9)", 2, ts, dur)),
            );
            findings(&spans, "").len()
        };
        // Task 2 pending from 5 to 40 ms (between two slices): the loop stalls it.
        assert_eq!(with_other(&[(5.0, 1.0), (39.0, 1.0)]), 1);
        // Task 2 ended exactly when the sleep began, or began exactly when it ended.
        assert_eq!(with_other(&[(2.0, 8.0)]), 0);
        assert_eq!(with_other(&[(30.0, 5.0)]), 0);
        // Slices that only start before and end after the sleep still make one lifetime.
        assert_eq!(with_other(&[(2.0, 1.0), (35.0, 1.0)]), 1);
    }
}
