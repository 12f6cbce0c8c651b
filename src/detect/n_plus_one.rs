//! N+1 calls: the same data-access operation called many times in a row under one parent call
//! (a query per item of a loop), where one batched call or a join would do.
//!
//! Judged by structure, not by duration: in CI the database is in-process and each query
//! takes microseconds, so the count of calls under one parent call is the signal. Frames of
//! expressions (generator expressions, comprehensions, lambdas) and calls of own code that
//! call nothing (a generator's resumptions) are never counted. Where spans carry their query
//! text (OpenTelemetry `db.statement`), queries are grouped by template: the same template
//! with different literals is the N+1, the same text every time a redundant call.

use crate::config::{ConfigError, Section};
use crate::outcome::{Finding, FindingKind, Severity};

use super::{
    Detector, DetectorBase, GroupKey, Groups, Input, Occurrence, QueryRuns, RawDetector,
    is_own_leaf, pattern_set, statement,
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

/// Default `ignore`: batch calls, the cure of an N+1 and never one (a schema made by seven
/// `executemany` calls in a row).
pub const DEFAULT_IGNORE: [&str; 3] = ["*executemany*", "*executescript*", "*bulk*"];

/// `[detectors.n_plus_one]`.
#[derive(Debug, Clone)]
pub struct NPlusOne {
    pub base: DetectorBase,
    /// What a data-access call is, and how long a run makes a finding.
    pub runs: QueryRuns,
}

impl Default for NPlusOne {
    fn default() -> Self {
        NPlusOne {
            base: DetectorBase::on(Severity::Fail),
            runs: QueryRuns {
                min_count: 5,
                min_total_us: 0.0,
                operations: pattern_set(&DEFAULT_OPERATIONS),
                ignore: pattern_set(&DEFAULT_IGNORE),
            },
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

    fn counts_calls(&self) -> bool {
        true
    }

    fn configure(&mut self, section: Section<'_>) -> Result<(), ConfigError> {
        let src = section.src;
        let r: RawDetector = section.read()?;
        self.base = self.base.read(src, r.enabled, r.severity.as_ref())?;
        self.runs.read(src, &r, NAME)
    }

    fn detect(&self, input: &Input<'_>) -> Vec<Finding> {
        let watched = self.runs.watched(input.catalog);
        let mut groups = Groups::default();
        for (t, (tree, family)) in input.trees.iter().zip(input.links).enumerate() {
            // A span with a query text (OpenTelemetry db.statement) is data access whatever
            // its name; its template tells queries apart when every span has the same name.
            let template = |i: usize| tree.statement(i).map(statement::template);
            let is_watched = |i: usize| {
                (watched[tree.ops[i] as usize] && !is_own_leaf(tree, input.catalog, i))
                    || tree.statement(i).is_some()
            };
            for p in 0..tree.len() {
                let mut run: Vec<usize> = Vec::new();
                let mut run_template: Option<String> = None;
                let mut close = |run: &mut Vec<usize>| {
                    let total: f64 = run.iter().map(|&i| tree.spans[i].dur).sum();
                    if self.runs.is_finding(run.len() as u64, total) {
                        // The same text every time: not a loop over ids, the same query again.
                        let first = tree.statement(run[0]);
                        let redundant =
                            first.is_some() && run.iter().all(|&i| tree.statement(i) == first);
                        let kind = if redundant {
                            FindingKind::RedundantCall
                        } else {
                            FindingKind::NPlusOne
                        };
                        let key = GroupKey::new(kind, Some(tree.ops[p]), tree.ops[run[0]], None);
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
                // not break a run; a call of another watched operation (or another statement
                // template) does.
                for child in family.children(p).filter(|&c| is_watched(c)) {
                    let child_template = template(child);
                    if run.first().is_some_and(|&r| {
                        tree.ops[r] != tree.ops[child] || run_template != child_template
                    }) {
                        close(&mut run);
                    }
                    if run.is_empty() {
                        run_template = child_template;
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
            spans.push(("sqlite3.Connection.execute", 0, t + 1.0, 18.0));
            spans.push(("list.append", 0, t + 21.0, 0.01));
            if break_at == Some(i) {
                spans.push(("fetch_other (a.py:20)", 0, t + 22.0, 1.0));
                spans.push(("sqlite3.Connection.execute", 0, t + 22.1, 0.5));
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

    #[test]
    fn n_plus_one_is_structure_not_time() {
        // Six queries of 20 µs each: in CI, with in-process SQLite, still an N+1.
        let fast: Vec<_> = query_loop(6, None)
            .into_iter()
            .map(|(n, t, ts, d)| (n, t, ts / 1000.0, d / 1000.0))
            .collect();
        let found = findings(&fast, "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].count, 6);
    }

    #[test]
    fn generator_frames_and_resumptions_are_never_calls() {
        // `load_prices.<locals>.<genexpr>` matches `load_*`; `fetch_rows` is a generator
        // resumed per row (it calls nothing): neither is a query.
        let mut spans = vec![("load_prices (a.py:1)", 0, 0.0, 1000.0)];
        for i in 0..50 {
            let t = 1.0 + 10.0 * i as f64;
            spans.push(("load_prices.<locals>.<genexpr> (a.py:3)", 0, t, 5.0));
            spans.push(("fetch_rows (a.py:7)", 0, t + 1.0, 2.0));
        }
        for i in 0..50 {
            spans.push(("fetch_rows (a.py:7)", 0, 600.0 + 5.0 * i as f64, 2.0));
        }
        assert!(
            findings(&spans, "").is_empty(),
            "{:?}",
            findings(&spans, "")
        );
    }

    #[test]
    fn exactly_min_count_calls_are_an_n_plus_one() {
        // The default min_count is 5: 5 calls in a row are one, 4 are not.
        let found = findings(&query_loop(5, None), "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].count, 5);
        assert!(findings(&query_loop(4, None), "").is_empty());
        let three = "[detectors.n_plus_one]\nmin_count = 3\n";
        assert_eq!(findings(&query_loop(3, None), three).len(), 1);
        assert!(findings(&query_loop(2, None), three).is_empty());
        // min_total is a floor reached exactly: 6 calls of 20 ms are 120 ms.
        let floor = "[detectors.n_plus_one]\nmin_total = \"120ms\"\n";
        assert_eq!(findings(&query_loop(6, None), floor).len(), 1);
    }

    #[test]
    fn the_ignore_list_silences_a_watched_operation() {
        let ignore = "[detectors.n_plus_one]\nignore = [\"get_item\"]\n";
        assert!(findings(&query_loop(8, None), ignore).is_empty());
        // Another ignore list leaves it reported.
        let other = "[detectors.n_plus_one]\nignore = [\"get_other\"]\n";
        assert_eq!(findings(&query_loop(8, None), other).len(), 1);
    }

    #[test]
    fn sampled_profiles_have_no_n_plus_one() {
        // The same loop read from stack samples: six "calls" are six runs of samples.
        let spans = query_loop(6, None);
        assert!(crate::detect::tests::findings_sampled(&spans, "").is_empty());
    }

    #[test]
    fn the_same_query_text_is_a_redundant_call_and_different_literals_an_n_plus_one() {
        // Five `execute` spans under `handler`, each with its query text (span 0 is the
        // handler, spans 1..=5 the queries).
        let spans: Vec<(&str, u32, f64, f64)> =
            std::iter::once(("handler (a.py:1)", 0, 0.0, 100.0))
                .chain((0..5).map(|k| ("execute", 0, 1.0 + 10.0 * k as f64, 5.0)))
                .collect();
        let with = |texts: [&'static str; 5]| {
            let statements: Vec<(u32, &str)> = texts
                .iter()
                .enumerate()
                .map(|(k, t)| (k as u32 + 1, *t))
                .collect();
            crate::detect::tests::findings_with_statements(&spans, &statements, "")
        };
        let same = with(["SELECT * FROM users WHERE id = 7"; 5]);
        assert_eq!(same.len(), 1, "{same:?}");
        assert_eq!(
            (same[0].kind, same[0].count),
            (FindingKind::RedundantCall, 5)
        );
        let ids = with([
            "SELECT * FROM users WHERE id = 1",
            "SELECT * FROM users WHERE id = 2",
            "SELECT * FROM users WHERE id = 3",
            "SELECT * FROM users WHERE id = 4",
            "SELECT * FROM users WHERE id = 5",
        ]);
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_eq!((ids[0].kind, ids[0].count), (FindingKind::NPlusOne, 5));
    }
}
