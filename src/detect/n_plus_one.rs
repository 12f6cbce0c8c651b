//! N+1 calls: the same data-access operation called many times in a row under one parent call
//! (a query per item of a loop), where one batched call or a join would do.

use crate::config::{ConfigError, PatternSet, Section};
use crate::outcome::{Finding, FindingKind, Severity};

use super::{
    Detector, DetectorBase, GroupKey, Groups, Input, Occurrence, RawDetector, pattern_set, refuse,
    select,
};

const NAME: &str = "n_plus_one";

/// Default watch list: operations named like data access (database queries, fetches, loads,
/// HTTP requests). A driver loop (`main` calling `post_answer` per request) or an event loop is
/// a loop by design, not an N+1.
pub const DEFAULT_OPERATIONS: [&str; 12] = [
    "*query*",
    "*execute*",
    "*fetch*",
    "get_*",
    "*.get_*",
    "load_*",
    "*.load_*",
    "*sql*",
    "*cursor*",
    "requests.*",
    "http.client.*",
    "urllib.request.*",
];

/// `[detectors.n_plus_one]`.
#[derive(Debug, Clone)]
pub struct NPlusOne {
    pub base: DetectorBase,
    /// Calls in a row that make a finding.
    pub min_count: u64,
    /// Time the run must take in all, µs.
    pub min_total_us: f64,
    /// Child operations watched; calls of other operations in between do not break a run.
    pub operations: PatternSet,
    /// Child operations never reported, although `operations` matches them.
    pub ignore: PatternSet,
}

impl Default for NPlusOne {
    fn default() -> Self {
        NPlusOne {
            base: DetectorBase::on(Severity::Fail),
            min_count: 5,
            min_total_us: 50_000.0,
            operations: pattern_set(&DEFAULT_OPERATIONS),
            ignore: PatternSet::default(),
        }
    }
}

impl Detector for NPlusOne {
    fn name(&self) -> &'static str {
        NAME
    }

    fn enabled(&self) -> bool {
        self.base.enabled
    }

    fn configure(&mut self, section: Section<'_>) -> Result<(), ConfigError> {
        let src = section.src;
        let r: RawDetector = section.read()?;
        refuse(src, &r.min_duration, "min_duration", NAME)?;
        self.base = self.base.read(src, r.enabled, r.severity.as_ref())?;
        if let Some(n) = &r.min_count {
            self.min_count = src.count(n, 2)?;
        }
        if let Some(t) = &r.min_total {
            self.min_total_us = src.duration_value(t)?;
        }
        if let Some(list) = &r.operations {
            self.operations = src.patterns(list.get_ref())?;
        }
        if let Some(list) = &r.ignore {
            self.ignore = src.patterns(list.get_ref())?;
        }
        Ok(())
    }

    fn detect(&self, input: &Input<'_>) -> Vec<Finding> {
        let watched = select(input.catalog, |i| {
            self.operations.matches_op(i) && !self.ignore.matches_op(i)
        });
        let mut groups = Groups::default();
        for (t, (tree, family)) in input.trees.iter().zip(input.links).enumerate() {
            for p in 0..tree.len() {
                let mut run: Vec<usize> = Vec::new();
                let mut close = |run: &mut Vec<usize>| {
                    let total: f64 = run.iter().map(|&i| tree.spans[i].dur).sum();
                    if run.len() as u64 >= self.min_count && total >= self.min_total_us {
                        let key = GroupKey::new(
                            FindingKind::NPlusOne,
                            Some(tree.ops[p]),
                            tree.ops[run[0]],
                            None,
                        );
                        let slowest = run.iter().map(|&i| tree.spans[i].dur).fold(0.0, f64::max);
                        groups.add(
                            key,
                            Occurrence {
                                at: (t, run[0]),
                                count: run.len() as u64,
                                total_us: total,
                                slowest_us: slowest,
                                score: run.len() as f64,
                            },
                        );
                    }
                    run.clear();
                };
                // Calls of unwatched operations in between (the `list.append` of the loop) do
                // not break a run; a call of another watched operation does.
                for child in family
                    .children(p)
                    .filter(|&c| watched[tree.ops[c] as usize])
                {
                    if run.first().is_some_and(|&r| tree.ops[r] != tree.ops[child]) {
                        close(&mut run);
                    }
                    run.push(child);
                }
                close(&mut run);
            }
        }
        groups.findings(|g| g.finding(input, self.base.severity, g.max_count))
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::tests::findings;
    use crate::outcome::FindingKind;

    /// A loop under `load_all` calling `get_item` `n` times (20 ms each) with an
    /// `list.append` after each call, and `other` (a watched name) after call `break_at`.
    fn query_loop(n: usize, break_at: Option<usize>) -> Vec<(&'static str, u32, f64, f64)> {
        let mut spans = vec![("load_all (a.py:1)", 0, 0.0, 1000.0)];
        for i in 0..n {
            let t = 1.0 + 40.0 * i as f64;
            spans.push(("get_item (a.py:9)", 0, t, 20.0));
            spans.push(("list.append", 0, t + 21.0, 0.01));
            if break_at == Some(i) {
                spans.push(("fetch_other (a.py:20)", 0, t + 22.0, 1.0));
            }
        }
        spans
    }

    #[test]
    fn n_plus_one_counts_a_run_across_unwatched_calls() {
        let found = findings(&query_loop(6, None), "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, FindingKind::NPlusOne);
        assert_eq!(found[0].operation, "get_item (a.py)");
        assert_eq!(found[0].parent.as_deref(), Some("load_all (a.py)"));
        assert_eq!((found[0].count, found[0].occurrences), (6, 1));
        assert_eq!(found[0].total_us, 120_000.0);
        assert_eq!(found[0].call_path, ["load_all (a.py)", "get_item (a.py)"]);
    }

    #[test]
    fn n_plus_one_needs_the_count_the_time_and_an_unbroken_run() {
        assert!(findings(&query_loop(4, None), "").is_empty());
        // 3 + 3 calls: another watched operation breaks the run.
        assert!(findings(&query_loop(6, Some(2)), "").is_empty());
        let cheap = "[detectors.n_plus_one]\nmin_total = \"200ms\"\n";
        assert!(findings(&query_loop(6, None), cheap).is_empty());
        let off = "[detectors.n_plus_one]\nenabled = false\n";
        assert!(findings(&query_loop(6, None), off).is_empty());
    }
}
