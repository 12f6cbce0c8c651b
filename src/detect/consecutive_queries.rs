//! Consecutive queries: several single queries of different operations (or statements) one
//! after another under one parent call — `get_session`, `get_student`, `get_parent`,
//! `get_district` — where one join would do (the seed's N+1 drawing; Sentry's "Consecutive DB
//! Queries").
//!
//! A query is a call of an operation in `operations` (a driver's `execute`, a wrapper named
//! like one) or a span with a query text (OpenTelemetry `db.statement`); a call under the
//! parent counts when its subtree makes exactly one query (a single-row fetch). Calls that
//! make no query and are not the project's code (`list.append`, `tuple.__getitem__`) and
//! expression frames do not break a run; any other call does (work between the queries, or a
//! call that makes several). Calls are told apart by operation, or by statement template
//! where the trace has query texts (OpenTelemetry spans may all be named `SELECT shop`).

use crate::config::{ConfigError, PatternSet, Section};
use crate::ops::Origin;
use crate::outcome::{Finding, FindingKind, Severity};

use super::{
    Detector, DetectorBase, GroupKey, Groups, Input, Occurrence, QueryRuns, RawDetector,
    is_expression_frame, pattern_set, query_counts, select, statement,
};

const NAME: &str = "consecutive_queries";

/// Default: what a query is (the outermost call matching, so a wrapper and the driver call it
/// makes are one query).
pub const DEFAULT_OPERATIONS: [&str; 2] = ["*execute*", "*query*"];

/// `[detectors.consecutive_queries]`.
#[derive(Debug, Clone)]
pub struct ConsecutiveQueries {
    pub base: DetectorBase,
    /// What a data-access call is, and how long a run makes a finding.
    pub runs: QueryRuns,
}

impl Default for ConsecutiveQueries {
    fn default() -> Self {
        ConsecutiveQueries {
            base: DetectorBase::on(Severity::Warn),
            runs: QueryRuns {
                min_count: 3,
                min_total_us: 0.0,
                operations: pattern_set(&DEFAULT_OPERATIONS),
                ignore: PatternSet::default(),
            },
        }
    }
}

/// A call in a run: the call under the parent, and what tells it apart from the others.
struct Member {
    at: usize,
    identity: (u32, Option<String>),
}

impl Detector for ConsecutiveQueries {
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
        let query_op = self.runs.watched(input.catalog);
        let neutral = select(input.catalog, |i| {
            is_expression_frame(i) || (i.origin != Origin::Own && i.file.is_none())
        });
        let mut groups = Groups::default();
        for (t, (tree, family)) in input.trees.iter().zip(input.links).enumerate() {
            let queries = query_counts(tree, |i| {
                query_op[tree.ops[i] as usize] || tree.statement(i).is_some()
            });
            // The template of the one query under span `i` (its first span with a text).
            let template_under = |i: usize| {
                (i..tree.subtree_end(i))
                    .find_map(|j| tree.statement(j))
                    .map(statement::template)
            };
            for p in 0..tree.len() {
                if queries[p] < self.runs.min_count as u32 {
                    continue;
                }
                let mut run: Vec<Member> = Vec::new();
                let mut close = |run: &mut Vec<Member>| {
                    let mut distinct: Vec<&(u32, Option<String>)> = Vec::new();
                    for m in run.iter() {
                        if !distinct.contains(&&m.identity) {
                            distinct.push(&m.identity);
                        }
                    }
                    let total: f64 = run.iter().map(|m| tree.spans[m.at].dur).sum();
                    if self.runs.is_finding(distinct.len() as u64, total) {
                        let first = run[0].at;
                        let key = GroupKey::new(
                            FindingKind::ConsecutiveQueries,
                            Some(tree.ops[p]),
                            tree.ops[first],
                            None,
                        );
                        let slowest = run.iter().map(|m| tree.spans[m.at].dur).fold(0.0, f64::max);
                        groups.add(
                            key,
                            Occurrence {
                                at: (t, first),
                                count: distinct.len() as u64,
                                total_us: total,
                                slowest_us: slowest,
                                score: distinct.len() as f64,
                            },
                        );
                    }
                    run.clear();
                };
                for c in family.children(p) {
                    match queries[c] {
                        1 => run.push(Member {
                            at: c,
                            identity: (tree.ops[c], template_under(c)),
                        }),
                        0 if neutral[tree.ops[c] as usize] => {}
                        _ => close(&mut run),
                    }
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

    /// `view` calling each of `fetches` (a wrapper making one query), 1 ms apart, with
    /// `tuple.__getitem__` in between and, when `work` is set, own code after the second.
    fn view(fetches: &[&'static str], work: bool) -> Vec<(&'static str, u32, f64, f64)> {
        let mut spans = vec![("load_view (a.py:1)", 0, 0.0, 100.0)];
        for (k, &f) in fetches.iter().enumerate() {
            let t = 1.0 + 10.0 * k as f64;
            spans.push((f, 0, t, 0.05));
            spans.push(("sqlite3.Connection.execute", 0, t + 0.01, 0.03));
            spans.push(("tuple.__getitem__", 0, t + 0.06, 0.001));
            if work && k == 1 {
                spans.push(("render (a.py:40)", 0, t + 5.0, 1.0));
            }
        }
        spans
    }

    #[test]
    fn single_queries_of_different_operations_in_a_row() {
        let four = [
            "get_session (a.py:10)",
            "get_student (a.py:20)",
            "get_parent (a.py:30)",
            "get_district (a.py:40)",
        ];
        let found = findings(&view(&four, false), "");
        let found: Vec<_> = found
            .into_iter()
            .filter(|f| f.kind == FindingKind::ConsecutiveQueries)
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].count, 4);
        assert_eq!(found[0].operation, "get_session (a.py)");
        assert_eq!(found[0].parent.as_deref(), Some("load_view (a.py)"));
        // Two queries, then work, then two: no run of three.
        assert!(findings(&view(&four, true), "").is_empty());
        // The same operation four times is an N+1's business (min_count 5), not this one's.
        let same = ["get_session (a.py:10)"; 4];
        assert!(findings(&view(&same, false), "").is_empty());
        let off = "[detectors.consecutive_queries]\nmin_count = 5\n";
        assert!(findings(&view(&four, false), off).is_empty());
    }

    #[test]
    fn a_run_of_exactly_min_count_queries_with_its_time_at_the_floor() {
        // Three wrappers of 0.05 ms each (0.15 ms in all), the default min_count of 3.
        let three = [
            "get_session (a.py:10)",
            "get_student (a.py:20)",
            "get_parent (a.py:30)",
        ];
        let found = findings(&view(&three, false), "");
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!((f.kind, f.count), (FindingKind::ConsecutiveQueries, 3));
        assert!((f.total_us - 150.0).abs() < 1e-9, "{f:?}");
        assert!((f.slowest_us - 50.0).abs() < 1e-9, "{f:?}");
        // A floor on the run's time: reached exactly (0.05 ms × 1000 is exact), then missed.
        let floor = |t: &str| format!("[detectors.consecutive_queries]\nmin_total = \"{t}\"\n");
        assert_eq!(findings(&view(&three, false), &floor("150us")).len(), 1);
        assert!(findings(&view(&three, false), &floor("151us")).is_empty());
        // Two queries of the same text make a run of two, not three.
        let repeated = [
            "get_session (a.py:10)",
            "get_student (a.py:20)",
            "get_session (a.py:10)",
        ];
        assert!(findings(&view(&repeated, false), "").is_empty());
    }
}
