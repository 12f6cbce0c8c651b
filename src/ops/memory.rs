//! Memory as the traces record it: the garbage collections of viztracer `--log_gc` with the
//! calls they interrupted, and the counter series (`ph: "C"`, e.g. a memory counter the
//! application logs) summarized as first / min / max / last / growth.
//!
//! viztracer `--log_gc` writes the counter `garbage collection`: `collecting` goes to 1 when a
//! collection starts (the same event's `collected` says how many objects it freed) and back
//! to 0 when it ends. A collection runs on the thread that allocated, inside whatever call
//! was running: the innermost call of that thread containing the collection is the one it
//! interrupted.

use serde::Serialize;

use super::tree::NO_PARENT;
use super::{CallTree, Catalog, OpId};
use crate::trace::Counter;

/// The counter viztracer `--log_gc` writes.
pub const GC_COUNTER: &str = "garbage collection";

/// One garbage collection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Collection {
    /// Start, µs.
    pub ts: f64,
    pub dur: f64,
    /// Objects it freed (`collected`), 0 when the trace does not say.
    pub collected: f64,
    /// The innermost call (span index) of the collection's thread that contains it.
    pub interrupted: Option<usize>,
}

/// The garbage collections of one trace, in time order per thread.
pub fn collections(tree: &CallTree) -> Vec<Collection> {
    let mut out = Vec::new();
    for c in tree
        .counters
        .iter()
        .filter(|c| c.name == GC_COUNTER && c.series == "collecting")
    {
        let collected = tree
            .counters
            .iter()
            .find(|o| o.name == GC_COUNTER && o.series == "collected" && o.track == c.track);
        let mut samples = c.samples.clone();
        samples.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut open: Option<f64> = None;
        for (ts, value) in samples {
            match (open, value >= 1.0) {
                (None, true) => open = Some(ts),
                (Some(start), false) => {
                    open = None;
                    let freed = collected
                        .and_then(|o| o.samples.iter().find(|s| s.0 == start))
                        .map_or(0.0, |s| s.1);
                    out.push(Collection {
                        ts: start,
                        dur: ts - start,
                        collected: freed,
                        interrupted: innermost_call(tree, c.track, start, ts),
                    });
                }
                _ => {}
            }
        }
    }
    out
}

/// The innermost span of `track` that contains `start..end`.
fn innermost_call(tree: &CallTree, track: u32, start: f64, end: f64) -> Option<usize> {
    // Spans are sorted by track, then start: the last span of the track starting at or before
    // `start` is the containing call or a descendant of a sibling before it, so the containing
    // call is it or one of its ancestors.
    let first = tree.spans.partition_point(|s| s.track < track);
    let past = tree.spans.partition_point(|s| s.track <= track);
    let on_track = &tree.spans[first..past];
    let k = on_track.partition_point(|s| s.ts <= start);
    let mut i = (k > 0).then(|| first + k - 1)?;
    loop {
        if tree.spans[i].end() >= end {
            return Some(i);
        }
        let p = tree.parent[i];
        if p == NO_PARENT {
            return None;
        }
        i = p as usize;
    }
}

/// The call a collection that interrupted span `i` is charged to: `i`, or when `i` is a frame
/// Python makes for an expression (a comprehension, a generator expression, a lambda:
/// `build.<locals>.<listcomp>`), the function it runs in.
pub fn charged_call(tree: &CallTree, catalog: &Catalog, i: usize) -> usize {
    let is_expression = |j: usize| {
        let f = &catalog.info(tree.ops[j]).function;
        f.rsplit('.')
            .next()
            .is_some_and(|last| last.starts_with('<'))
    };
    let mut j = i;
    while is_expression(j) && tree.parent[j] != NO_PARENT {
        j = tree.parent[j] as usize;
    }
    j
}

/// Garbage collection over a set of traces.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct GcSummary {
    pub collections: u64,
    /// Time spent collecting, µs.
    pub total_us: f64,
    /// The longest collection, µs.
    pub max_us: f64,
    /// Objects freed.
    pub collected: u64,
    /// The operations whose calls the collections interrupted (the innermost call running),
    /// most GC time first.
    pub operations: Vec<GcOperation>,
}

/// The collections that interrupted one operation.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct GcOperation {
    pub operation: String,
    pub collections: u64,
    /// Time of those collections, µs.
    pub gc_us: f64,
    /// The operation's own time: the inclusive time of its calls, µs.
    pub total_us: f64,
    /// `gc_us / total_us`: the share of the operation's time spent collecting.
    pub share: f64,
}

/// Collections attributed to the operations they interrupted, per operation of `catalog`:
/// (collections, GC µs). Operations never interrupted have (0, 0).
fn gc_per_operation(trees: &[CallTree], catalog: &Catalog) -> Vec<(u64, f64)> {
    let mut per_op = vec![(0u64, 0.0f64); catalog.len()];
    for tree in trees {
        for c in collections(tree) {
            if let Some(i) = c.interrupted.map(|i| charged_call(tree, catalog, i)) {
                let slot = &mut per_op[tree.ops[i] as usize];
                slot.0 += 1;
                slot.1 += c.dur;
            }
        }
    }
    per_op
}

/// The inclusive time of every operation's calls, per operation of `catalog`. A call nested
/// in a call of the same operation (recursion) is not counted twice.
pub fn inclusive_time(trees: &[CallTree], catalog: &Catalog) -> Vec<f64> {
    let mut total = vec![0.0; catalog.len()];
    for tree in trees {
        for (i, span) in tree.spans.iter().enumerate() {
            let op = tree.ops[i];
            if !tree.ancestors(i).any(|a| tree.ops[a] == op) {
                total[op as usize] += span.dur;
            }
        }
    }
    total
}

/// The garbage collection of `trees`; `None` when none of them was traced with `--log_gc`.
pub fn gc_summary(trees: &[CallTree], catalog: &Catalog) -> Option<GcSummary> {
    if !trees
        .iter()
        .any(|t| t.counters.iter().any(|c| c.name == GC_COUNTER))
    {
        return None;
    }
    let all: Vec<Collection> = trees.iter().flat_map(collections).collect();
    let per_op = gc_per_operation(trees, catalog);
    let total = inclusive_time(trees, catalog);
    let mut operations: Vec<GcOperation> = per_op
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| *n > 0)
        .map(|(op, &(n, gc_us))| GcOperation {
            operation: catalog.info(op as OpId).key.clone(),
            collections: n,
            gc_us,
            total_us: total[op],
            share: if total[op] > 0.0 {
                gc_us / total[op]
            } else {
                0.0
            },
        })
        .collect();
    operations.sort_by(|a, b| {
        b.gc_us
            .total_cmp(&a.gc_us)
            .then_with(|| a.operation.cmp(&b.operation))
    });
    Some(GcSummary {
        collections: all.len() as u64,
        total_us: all.iter().map(|c| c.dur).sum(),
        max_us: all.iter().map(|c| c.dur).fold(0.0, f64::max),
        collected: all.iter().map(|c| c.collected.max(0.0) as u64).sum(),
        operations,
    })
}

/// The GC time inside calls `calls` (span indices) of one tree: collections that ran on a
/// call's thread within it. Nested calls are not counted twice.
pub fn gc_within(tree: &CallTree, collections: &[Collection], calls: &[u32]) -> f64 {
    collections
        .iter()
        .filter(|c| {
            c.interrupted.is_some_and(|i| {
                calls.binary_search(&(i as u32)).is_ok()
                    || tree
                        .ancestors(i)
                        .any(|a| calls.binary_search(&(a as u32)).is_ok())
            })
        })
        .map(|c| c.dur)
        .sum()
}

/// One counter series over a set of traces.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CounterSummary {
    /// `counter.series` (`memory.rss_mb`), or the counter's name alone when its one series
    /// is named like it or `value` (viztracer `log_var`, most Chrome counters).
    pub name: String,
    pub samples: u64,
    /// The first value of the first trace.
    pub first: f64,
    pub min: f64,
    pub max: f64,
    /// The last value of the last trace.
    pub last: f64,
    /// The largest rise within one trace: last − first (negative when it fell).
    pub growth: f64,
}

/// The name a series is shown and budgeted by.
pub fn series_name(c: &Counter) -> String {
    if c.series == c.name || c.series == "value" {
        c.name.clone()
    } else {
        format!("{}.{}", c.name, c.series)
    }
}

/// Every counter series of `trees` but garbage collection's, by name.
pub fn counter_summaries(trees: &[CallTree]) -> Vec<CounterSummary> {
    let mut names: Vec<String> = Vec::new();
    for c in trees.iter().flat_map(|t| &t.counters) {
        let name = series_name(c);
        if c.name != GC_COUNTER && !names.contains(&name) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .filter_map(|name| counter_summary(trees, &name))
        .collect()
}

/// One series summarized over `trees`; `None` when no trace has a sample of it.
pub fn counter_summary(trees: &[CallTree], name: &str) -> Option<CounterSummary> {
    let mut out: Option<CounterSummary> = None;
    for tree in trees {
        let mut samples: Vec<(f64, f64)> = tree
            .counters
            .iter()
            .filter(|c| c.name != GC_COUNTER && series_name(c) == name)
            .flat_map(|c| c.samples.iter().copied())
            .collect();
        samples.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (Some(&(_, first)), Some(&(_, last))) = (samples.first(), samples.last()) else {
            continue;
        };
        let values = samples.iter().map(|s| s.1);
        let (min, max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let growth = last - first;
        out = Some(match out {
            None => CounterSummary {
                name: name.to_string(),
                samples: samples.len() as u64,
                first,
                min,
                max,
                last,
                growth,
            },
            Some(s) => CounterSummary {
                samples: s.samples + samples.len() as u64,
                min: s.min.min(min),
                max: s.max.max(max),
                last,
                growth: s.growth.max(growth),
                ..s
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::KeyMode;
    use crate::trace::{Id, ReadNotes, Span, Trace, Track, TrackKey};

    fn tree(counters: Vec<Counter>) -> (CallTree, Catalog) {
        let spans = vec![
            Span {
                name: 0,
                track: 0,
                ts: 0.0,
                dur: 100.0,
            },
            Span {
                name: 1,
                track: 0,
                ts: 10.0,
                dur: 50.0,
            },
        ];
        let trace = Trace {
            source: "t".into(),
            names: ["handle (a.py:1)", "build (a.py:9)"].into_iter().collect(),
            tracks: vec![Track {
                key: TrackKey::Thread {
                    pid: Id::Int(1),
                    tid: Id::Int(1),
                },
                name: None,
            }],
            spans,
            notes: ReadNotes::default(),
            span_attrs: Vec::new(),
            counters,
        };
        let mut catalog = Catalog::new(KeyMode::File);
        (CallTree::build(trace, &mut catalog), catalog)
    }

    fn series(name: &str, series: &str, samples: &[(f64, f64)]) -> Counter {
        Counter {
            name: name.into(),
            series: series.into(),
            track: 0,
            samples: samples.to_vec(),
        }
    }

    #[test]
    fn collections_pair_start_and_stop_and_name_the_innermost_call() {
        let (t, cat) = tree(vec![
            series(
                GC_COUNTER,
                "collecting",
                &[(20.0, 1.0), (30.0, 0.0), (70.0, 1.0), (75.0, 0.0)],
            ),
            series(
                GC_COUNTER,
                "collected",
                &[(20.0, 40.0), (30.0, 0.0), (70.0, 2.0), (75.0, 0.0)],
            ),
        ]);
        let got = collections(&t);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].dur, got[0].collected), (10.0, 40.0));
        assert_eq!(
            cat.info(t.ops[got[0].interrupted.unwrap()]).key,
            "build (a.py)"
        );
        // After build returned (at 60): handle was running.
        assert_eq!(
            cat.info(t.ops[got[1].interrupted.unwrap()]).key,
            "handle (a.py)"
        );
        let gc = gc_summary(std::slice::from_ref(&t), &cat).unwrap();
        assert_eq!(
            (gc.collections, gc.total_us, gc.max_us, gc.collected),
            (2, 15.0, 10.0, 42)
        );
        assert_eq!(gc.operations[0].operation, "build (a.py)");
        assert_eq!(gc.operations[0].share, 10.0 / 50.0);
        // GC inside handle's call counts the collection in build too.
        assert_eq!(gc_within(&t, &got, &[0]), 15.0);
        assert_eq!(gc_within(&t, &got, &[1]), 10.0);
    }

    #[test]
    fn counters_are_summarized_per_series_without_gc() {
        let (t, _) = tree(vec![
            series("memory", "rss_mb", &[(5.0, 12.0), (1.0, 10.0), (9.0, 11.0)]),
            series("queue", "queue", &[(1.0, 3.0)]),
            series(GC_COUNTER, "collecting", &[(20.0, 1.0), (30.0, 0.0)]),
        ]);
        let got = counter_summaries(std::slice::from_ref(&t));
        assert_eq!(got.len(), 2);
        let m = &got[0];
        assert_eq!(m.name, "memory.rss_mb");
        assert_eq!(
            (m.first, m.min, m.max, m.last, m.growth),
            (10.0, 10.0, 12.0, 11.0, 1.0)
        );
        assert_eq!(got[1].name, "queue");
        assert!(gc_summary(&[], &Catalog::new(KeyMode::File)).is_none());
    }
}
