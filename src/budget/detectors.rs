//! The red-flag detectors of the seed's guide: N+1 calls, repeated expensive calls, slow
//! calls (above their budget's flag, with the call path), blocking I/O in asyncio tasks.
//!
//! Every detector walks the call trees and records occurrences; occurrences of the same
//! (parent operation, operation) are grouped into one [`Finding`] with counts, the time spent
//! in all, and one example call path, so twelve requests with the same N+1 loop give one line.

use rustc_hash::FxHashMap;

use crate::ops::tree::ChildLinks;
use crate::ops::{CallTree, Catalog, NO_PARENT, OpId};
use crate::outcome::units::human_us;
use crate::outcome::{Finding, FindingKind};

use super::config::{Budget, Config};
use super::eval::{BudgetCalls, CallRef};

/// Runs every enabled detector. `families[t]` are the child links of `trees[t]`;
/// `budget_calls[i]` are the calls of `config.budgets[i]`.
pub fn detect(
    config: &Config,
    trees: &[CallTree],
    catalog: &Catalog,
    families: &[ChildLinks],
    budget_calls: &[BudgetCalls],
) -> Vec<Finding> {
    let d = &config.detectors;
    let mut groups = Groups::default();
    if d.n_plus_one.base.enabled {
        n_plus_one(config, trees, catalog, families, &mut groups);
    }
    if d.repeated_call.base.enabled {
        repeated_call(config, trees, catalog, families, &mut groups);
    }
    if d.slow_call.base.enabled {
        for (b, (budget, calls)) in config.budgets.iter().zip(budget_calls).enumerate() {
            slow_calls(b, budget, calls, trees, &mut groups);
        }
    }
    if d.blocking_io.base.enabled {
        blocking_io(config, trees, catalog, &mut groups);
    }
    groups.into_findings(config, trees, catalog)
}

/// Which operations a pattern list selects, by [`OpId`].
fn select(catalog: &Catalog, keep: impl Fn(&crate::ops::OpInfo) -> bool) -> Vec<bool> {
    (0..catalog.len() as OpId)
        .map(|op| keep(catalog.info(op)))
        .collect()
}

fn n_plus_one(
    config: &Config,
    trees: &[CallTree],
    catalog: &Catalog,
    families: &[ChildLinks],
    groups: &mut Groups,
) {
    let c = &config.detectors.n_plus_one;
    let watched = select(catalog, |i| {
        c.operations.matches_op(i) && !c.ignore.matches_op(i)
    });
    for (t, (tree, family)) in trees.iter().zip(families).enumerate() {
        for p in 0..tree.len() {
            let mut run: Vec<usize> = Vec::new();
            let mut close = |run: &mut Vec<usize>| {
                let total: f64 = run.iter().map(|&i| tree.spans[i].dur).sum();
                if run.len() as u64 >= c.min_count && total >= c.min_total_us {
                    let key = GroupKey::new(
                        FindingKind::NPlusOne,
                        Some(tree.ops[p]),
                        tree.ops[run[0]],
                        None,
                    );
                    groups.add(key, (t, run[0]), run.len() as u64, total, run.len() as f64);
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
}

fn repeated_call(
    config: &Config,
    trees: &[CallTree],
    catalog: &Catalog,
    families: &[ChildLinks],
    groups: &mut Groups,
) {
    let c = &config.detectors.repeated_call;
    let watched = select(catalog, |i| c.operations.matches_op(i));
    for (t, (tree, family)) in trees.iter().zip(families).enumerate() {
        for p in 0..tree.len() {
            // (operation, first call, calls, time) of the expensive children of this call.
            let mut seen: Vec<(OpId, usize, u64, f64)> = Vec::new();
            for child in family.children(p) {
                let (op, dur) = (tree.ops[child], tree.spans[child].dur);
                if !watched[op as usize] || dur < c.min_duration_us {
                    continue;
                }
                match seen.iter_mut().find(|s| s.0 == op) {
                    Some(s) => {
                        s.2 += 1;
                        s.3 += dur;
                    }
                    None => seen.push((op, child, 1, dur)),
                }
            }
            for (op, first, count, total) in seen {
                if count >= c.min_count {
                    let key = GroupKey::new(FindingKind::RepeatedCall, Some(tree.ops[p]), op, None);
                    groups.add(key, (t, first), count, total, count as f64);
                }
            }
        }
    }
}

fn slow_calls(
    b: usize,
    budget: &Budget,
    calls: &BudgetCalls,
    trees: &[CallTree],
    groups: &mut Groups,
) {
    if !budget.metric.is_per_call() {
        return;
    }
    for (t, i) in calls.iter() {
        let dur = trees[t].spans[i].dur;
        if dur > budget.flag {
            let key = GroupKey::new(FindingKind::SlowCall, None, trees[t].ops[i], Some(b));
            groups.add(key, (t, i), 1, dur, dur);
        }
    }
}

fn blocking_io(config: &Config, trees: &[CallTree], catalog: &Catalog, groups: &mut Groups) {
    let c = &config.detectors.blocking_io;
    let watched = select(catalog, |i| c.operations.matches_op(i));
    for (t, tree) in trees.iter().enumerate() {
        let mut i = 0;
        while i < tree.len() {
            let span = &tree.spans[i];
            let op = tree.ops[i];
            if watched[op as usize]
                && span.dur >= c.min_duration_us
                && tree.track(span.track).is_async_task()
            {
                let parent = Some(tree.parent[i])
                    .filter(|&p| p != NO_PARENT)
                    .map(|p| tree.ops[p as usize]);
                groups.add(
                    GroupKey::new(FindingKind::BlockingIo, parent, op, None),
                    (t, i),
                    1,
                    span.dur,
                    span.dur,
                );
                // What a blocking call does inside is the same stall: report it once.
                i = tree.subtree_end(i);
            } else {
                i += 1;
            }
        }
    }
}

/// What findings are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct GroupKey {
    kind: FindingKind,
    parent: OpId,
    op: OpId,
    /// The budget of a slow call.
    budget: u32,
}

impl GroupKey {
    fn new(kind: FindingKind, parent: Option<OpId>, op: OpId, budget: Option<usize>) -> GroupKey {
        GroupKey {
            kind,
            parent: parent.unwrap_or(OpId::MAX),
            op,
            budget: budget.map_or(u32::MAX, |b| b as u32),
        }
    }
}

/// The occurrences of one finding.
#[derive(Debug, Clone)]
struct Group {
    key: GroupKey,
    occurrences: u64,
    /// Calls in all occurrences.
    calls: u64,
    /// Largest number of calls in one occurrence.
    max_count: u64,
    total_us: f64,
    /// The occurrence shown: the one with the highest score (longest run, slowest call).
    example: CallRef,
    example_score: f64,
    /// Largest single call duration seen.
    slowest_us: f64,
    traces: Vec<usize>,
}

#[derive(Default)]
struct Groups {
    index: FxHashMap<GroupKey, usize>,
    list: Vec<Group>,
}

impl Groups {
    fn add(&mut self, key: GroupKey, at: CallRef, count: u64, total_us: f64, score: f64) {
        let i = *self.index.entry(key).or_insert_with(|| {
            self.list.push(Group {
                key,
                occurrences: 0,
                calls: 0,
                max_count: 0,
                total_us: 0.0,
                example: at,
                example_score: f64::NEG_INFINITY,
                slowest_us: 0.0,
                traces: Vec::new(),
            });
            self.list.len() - 1
        });
        let g = &mut self.list[i];
        g.occurrences += 1;
        g.calls += count;
        g.max_count = g.max_count.max(count);
        g.total_us += total_us;
        if count == 1 {
            g.slowest_us = g.slowest_us.max(total_us);
        }
        if score > g.example_score {
            g.example = at;
            g.example_score = score;
        }
        if !g.traces.contains(&at.0) {
            g.traces.push(at.0);
        }
    }

    fn into_findings(self, config: &Config, trees: &[CallTree], catalog: &Catalog) -> Vec<Finding> {
        let mut findings: Vec<Finding> = self
            .list
            .iter()
            .map(|g| finding(g, config, trees, catalog))
            .collect();
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.total_us.total_cmp(&a.total_us))
                .then(a.operation.cmp(&b.operation))
        });
        findings
    }
}

fn finding(g: &Group, config: &Config, trees: &[CallTree], catalog: &Catalog) -> Finding {
    let (t, i) = g.example;
    let tree = &trees[t];
    let key = |op: OpId| catalog.info(op).key.clone();
    let info = catalog.info(g.key.op);
    let operation = info.key.clone();
    let parent_op = Some(tree.parent[i])
        .filter(|&p| p != NO_PARENT)
        .map(|p| tree.ops[p as usize]);
    let mut call_path: Vec<String> = tree.ancestors(i).map(|a| key(tree.ops[a])).collect();
    call_path.reverse();
    call_path.push(operation.clone());
    let d = &config.detectors;
    let in_traces = match g.traces.len() {
        1 => String::new(),
        n => format!(" across {n} traces"),
    };
    let parent = parent_op.map(key);
    let parent_name = parent.clone().unwrap_or_else(|| "<root>".into());
    let (severity, message) = match g.key.kind {
        FindingKind::NPlusOne => (
            d.n_plus_one.base.severity,
            format!(
                "N+1: {operation} called {} times in a row under one {parent_name} call, in {} of its calls{in_traces} ({} in all); batch or join these calls",
                g.max_count,
                g.occurrences,
                human_us(g.total_us),
            ),
        ),
        FindingKind::RepeatedCall => (
            d.repeated_call.base.severity,
            format!(
                "repeated expensive call: {operation} called {} times under one {parent_name} call (each ≥ {}), in {} of its calls{in_traces} ({} in all); reuse the first result",
                g.max_count,
                human_us(d.repeated_call.min_duration_us),
                g.occurrences,
                human_us(g.total_us),
            ),
        ),
        FindingKind::SlowCall => {
            let budget = &config.budgets[g.key.budget as usize];
            (
                d.slow_call.base.severity,
                format!(
                    "slow call: {} call(s) of {operation} above the flag {} of budget \"{}\"{in_traces} (slowest {})",
                    g.calls,
                    human_us(budget.flag),
                    budget.name,
                    human_us(g.example_score),
                ),
            )
        }
        FindingKind::BlockingIo => (
            d.blocking_io.base.severity,
            format!(
                "blocking I/O in async code: {operation} blocked the event loop inside {parent_name} on an asyncio task, {} call(s){in_traces} ({} in all, slowest {}); use an async equivalent or run it in an executor",
                g.calls,
                human_us(g.total_us),
                human_us(g.slowest_us),
            ),
        ),
    };
    Finding {
        kind: g.key.kind,
        severity,
        operation,
        parent,
        count: match g.key.kind {
            FindingKind::NPlusOne | FindingKind::RepeatedCall => g.max_count,
            FindingKind::SlowCall | FindingKind::BlockingIo => g.calls,
        },
        occurrences: g.occurrences,
        total_us: g.total_us,
        call_path,
        message,
        source: tree.source.clone(),
        file: info.file.clone(),
        line: info.line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::config::parse;
    use crate::ops::KeyMode;
    use crate::trace::{Id, ReadNotes, Span, Trace, Track, TrackKey};

    /// A trace of (name, track, start ms, duration ms); track 0 is `MainThread`, 1 `Task-1`.
    fn tree(spans: &[(&str, u32, f64, f64)], catalog: &mut Catalog) -> CallTree {
        let mut names: Vec<String> = Vec::new();
        let spans = spans
            .iter()
            .map(|&(name, track, ts, dur)| {
                let id = names.iter().position(|n| n == name).unwrap_or_else(|| {
                    names.push(name.into());
                    names.len() - 1
                });
                Span {
                    name: id as u32,
                    track,
                    ts: ts * 1000.0,
                    dur: dur * 1000.0,
                }
            })
            .collect();
        let tracks = ["MainThread", "Task-1"]
            .iter()
            .enumerate()
            .map(|(tid, name)| Track {
                key: TrackKey::Thread {
                    pid: Id::Int(1),
                    tid: Id::Int(tid as i64),
                },
                name: Some(name.to_string()),
            })
            .collect();
        let trace = Trace {
            source: "t.json".into(),
            names,
            tracks,
            spans,
            notes: ReadNotes::default(),
            span_attrs: Vec::new(),
        };
        CallTree::build(trace, catalog)
    }

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

    fn findings(spans: &[(&str, u32, f64, f64)], budgets: &str) -> Vec<Finding> {
        let config = parse(budgets, "b.toml").unwrap();
        let mut catalog = Catalog::new(KeyMode::File);
        let trees = vec![tree(spans, &mut catalog)];
        crate::budget::evaluate(&config, &trees, &catalog).findings
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

    #[test]
    fn repeated_calls_count_only_expensive_ones() {
        let spans = |second_ms| {
            vec![
                ("decide (a.py:1)", 0, 0.0, 2000.0),
                ("ask_llm (a.py:5)", 0, 1.0, 500.0),
                ("ask_llm (a.py:5)", 0, 600.0, second_ms),
            ]
        };
        let found = findings(&spans(500.0), "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].kind, found[0].count),
            (FindingKind::RepeatedCall, 2)
        );
        assert!(
            findings(&spans(50.0), "").is_empty(),
            "a cached second call"
        );
    }

    #[test]
    fn slow_calls_are_grouped_per_budget_with_the_slowest_as_example() {
        let spans = vec![
            ("main (a.py:1)", 0, 0.0, 5000.0),
            ("step (a.py:2)", 0, 1.0, 300.0),
            ("step (a.py:2)", 0, 400.0, 900.0),
            ("step (a.py:2)", 0, 1400.0, 10.0),
        ];
        let budget = "[[budget]]\nname = \"Step\"\noperation = \"step\"\nmetric = \"p50\"\n\
                      acceptable = \"100ms..200ms\"\n";
        let found = findings(&spans, budget);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, FindingKind::SlowCall);
        assert_eq!((found[0].count, found[0].total_us), (2, 1_200_000.0));
        assert!(
            found[0].message.contains("slowest 900ms"),
            "{}",
            found[0].message
        );
    }
}
