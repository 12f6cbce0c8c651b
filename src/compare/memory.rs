//! Memory before and after: each side's garbage collection (per run) and counter series set
//! side by side. Nothing is judged here (see `outcome::memory_change`): the figures are
//! facts of the traces, and a budget decides when they matter.

use crate::outcome::Memory;
use crate::outcome::memory_change::{CounterChange, GcChange, GcFigures, MemoryChange};

/// One side's memory as its traces recorded it, and how many runs it pools.
#[derive(Debug, Clone, Copy)]
pub struct SideMemory<'a> {
    pub memory: &'a Memory,
    pub runs: u32,
}

/// Both sides' memory; `None` when neither recorded garbage collection or a counter.
pub fn change(before: SideMemory, after: SideMemory) -> Option<MemoryChange> {
    if before.memory.is_empty() && after.memory.is_empty() {
        return None;
    }
    let gc = (before.memory.gc.is_some() || after.memory.gc.is_some()).then(|| GcChange {
        before: gc_figures(before),
        after: gc_figures(after),
    });
    let mut names: Vec<&str> = Vec::new();
    for c in before.memory.counters.iter().chain(&after.memory.counters) {
        if !names.contains(&c.name.as_str()) {
            names.push(&c.name);
        }
    }
    let find = |side: SideMemory, name: &str| {
        side.memory
            .counters
            .iter()
            .find(|c| c.name == name)
            .cloned()
    };
    let counters = names
        .into_iter()
        .map(|name| CounterChange {
            name: name.to_string(),
            before: find(before, name),
            after: find(after, name),
        })
        .collect();
    Some(MemoryChange { gc, counters })
}

/// A side's collections divided by its runs.
fn gc_figures(side: SideMemory) -> Option<GcFigures> {
    let gc = side.memory.gc.as_ref()?;
    let runs = f64::from(side.runs.max(1));
    Some(GcFigures {
        collections_per_run: gc.collections as f64 / runs,
        total_us_per_run: gc.total_us / runs,
        max_us: gc.max_us,
        collected_per_run: gc.collected as f64 / runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{CounterSummary, GcSummary};

    fn gc(collections: u64, total_us: f64) -> GcSummary {
        GcSummary {
            collections,
            total_us,
            max_us: 5.0,
            collected: 100,
            operations: Vec::new(),
        }
    }

    fn counter(name: &str, growth: f64) -> CounterSummary {
        CounterSummary {
            name: name.into(),
            samples: 3,
            first: 0.0,
            min: 0.0,
            max: growth,
            last: growth,
            growth,
        }
    }

    #[test]
    fn gc_is_per_run_and_counters_are_matched_by_name() {
        let before = Memory {
            gc: Some(gc(40, 800.0)),
            counters: vec![counter("memory.cache", 80.0), counter("queue", 1.0)],
        };
        let after = Memory {
            gc: Some(gc(30, 300.0)),
            counters: vec![counter("memory.cache", 2500.0), counter("sockets", 2.0)],
        };
        let got = change(
            SideMemory {
                memory: &before,
                runs: 2,
            },
            SideMemory {
                memory: &after,
                runs: 1,
            },
        )
        .unwrap();
        let gc = got.gc.unwrap();
        let (b, a) = (gc.before.unwrap(), gc.after.unwrap());
        assert_eq!((b.collections_per_run, b.total_us_per_run), (20.0, 400.0));
        assert_eq!((a.collections_per_run, a.total_us_per_run), (30.0, 300.0));
        assert_eq!((b.collected_per_run, a.collected_per_run), (50.0, 100.0));
        let names: Vec<&str> = got.counters.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["memory.cache", "queue", "sockets"]);
        assert_eq!(got.counters[0].after.as_ref().unwrap().growth, 2500.0);
        assert!(got.counters[1].after.is_none() && got.counters[2].before.is_none());
    }

    #[test]
    fn one_side_without_gc_is_none_on_that_side_and_no_memory_is_no_change() {
        let with_gc = Memory {
            gc: Some(gc(4, 10.0)),
            counters: Vec::new(),
        };
        let empty = Memory::default();
        let side = |memory| SideMemory { memory, runs: 1 };
        let got = change(side(&empty), side(&with_gc)).unwrap();
        let gc = got.gc.unwrap();
        assert!(gc.before.is_none() && gc.after.is_some());
        assert!(got.counters.is_empty());
        assert!(change(side(&empty), side(&empty)).is_none());
    }
}
