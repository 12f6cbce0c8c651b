//! Blocking I/O in async code: a blocking call (sleep, file or socket I/O, a synchronous HTTP
//! client, a subprocess) on an asyncio task, which stalls the event loop and every other task.

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
            let mut i = 0;
            while i < tree.len() {
                let span = &tree.spans[i];
                let op = tree.ops[i];
                if watched[op as usize]
                    && span.dur >= self.min_duration_us
                    && tree.track(span.track).is_async_task()
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
        let coroutine = |track, sleep_ms| {
            vec![
                ("handler (a.py:1)", track, 0.0, 100.0),
                ("time.sleep", track, 1.0, sleep_ms),
            ]
        };
        let found = findings(&coroutine(1, 20.0), "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, FindingKind::BlockingIo);
        assert_eq!(found[0].parent.as_deref(), Some("handler (a.py)"));
        assert!(findings(&coroutine(0, 20.0), "").is_empty(), "not a task");
        assert!(findings(&coroutine(1, 5.0), "").is_empty(), "below 10ms");
    }
}
