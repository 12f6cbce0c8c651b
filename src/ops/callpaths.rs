//! Call paths: the call trees of one or two sides merged by their path from the root, the data
//! of a flame graph.
//!
//! Every call is counted at its call path (the operations from the root call down to it): two
//! calls of `fetch_rows` under `handle` → `load` are one path, whatever the trace, thread or
//! time they ran at. Per path [`CallPaths`] sums the calls' own time and inclusive time, for
//! the before side and the after side of a comparison (a summary fills only the after side).
//!
//! [`CallPaths::table`] turns them into a [`CallPathTable`] bounded in size: a path narrower
//! than a share of the whole (what a flame graph could not show anyway) is merged into its
//! nearest wider caller, whose own time takes its time, so every frame kept keeps its width.
//! Figures are per run, so sides with different numbers of runs compare.

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::tree::ChildLinks;
use super::{CallTree, Catalog, NO_PARENT, OpId, Origin};

/// Which side of a comparison a tree belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathSide {
    Before = 0,
    After = 1,
}

/// One call path: its caller's path, its operation, and the time of its calls per side.
#[derive(Debug, Clone)]
struct PathNode {
    parent: u32,
    op: OpId,
    /// Own time of the calls, µs, [before, after].
    self_us: [f64; 2],
    /// Inclusive time of the calls, µs, [before, after].
    total_us: [f64; 2],
}

/// The call paths of the trees added, with their time per side.
#[derive(Debug, Clone, Default)]
pub struct CallPaths {
    nodes: Vec<PathNode>,
    by_parent_and_op: FxHashMap<(u32, OpId), u32>,
    /// Trees (runs) added per side.
    runs: [u32; 2],
}

/// Limits of a [`CallPathTable`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableLimits {
    /// A path whose inclusive time (per run, on the after side) is below this share of the
    /// whole is merged into its caller.
    pub min_share: f64,
    /// The most paths kept; the narrowest beyond it are merged too.
    pub max_frames: usize,
}

impl TableLimits {
    /// 0.1 % of the width (1.2 px of a 1200 px graph: the narrowest frame a flame graph draws)
    /// and 5,000 frames, which keep the SVG of any trace near a megabyte.
    pub const DEFAULT: TableLimits = TableLimits {
        min_share: 0.001,
        max_frames: 5_000,
    };
}

/// The call paths of a command, bounded in size: what its flame graph draws.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CallPathTable {
    /// Runs (traces) of the after side (of the only side for a summary).
    pub runs: u32,
    /// Runs of the before side; `None` when the table has one side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_runs: Option<u32>,
    /// The paths kept, callers before their callees.
    pub frames: Vec<CallPathFrame>,
    /// Paths merged into their callers for being narrower than `min_share` of the whole (or
    /// beyond the most frames kept).
    pub merged_paths: u64,
    /// The share of the whole below which a path was merged.
    pub min_share: f64,
}

/// One call path of a [`CallPathTable`].
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CallPathFrame {
    /// Index of the caller's frame in the table; `None` for a root call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<u32>,
    /// The operation key.
    pub operation: String,
    pub origin: Origin,
    /// Inclusive time per run, µs (after side).
    pub total_us: f64,
    /// Own time per run, µs, with the time of the narrow paths merged into it (after side).
    pub self_us: f64,
    /// The same on the before side (0 when the path was not called there); `None` when the
    /// table has one side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_total_us: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_self_us: Option<f64>,
}

impl CallPaths {
    /// The call paths of `trees`, as one side.
    pub fn of(trees: &[CallTree], side: PathSide) -> CallPaths {
        let mut paths = CallPaths::default();
        paths.add(trees, side);
        paths
    }

    /// Adds the calls of `trees` (one run each) to `side`.
    pub fn add(&mut self, trees: &[CallTree], side: PathSide) {
        for tree in trees {
            self.add_tree(tree, side);
        }
    }

    fn add_tree(&mut self, tree: &CallTree, side: PathSide) {
        let s = side as usize;
        self.runs[s] += 1;
        let self_us = tree.self_times();
        let mut path_of = Vec::with_capacity(tree.len());
        for (i, &p) in tree.parent.iter().enumerate() {
            let caller = if p == NO_PARENT {
                NO_PARENT
            } else {
                path_of[p as usize]
            };
            let node = self.intern(caller, tree.ops[i]);
            path_of.push(node);
            let n = &mut self.nodes[node as usize];
            n.self_us[s] += self_us[i];
            n.total_us[s] += tree.spans[i].dur;
        }
    }

    /// Adds the call `root` of `tree` and everything beneath it, the call's operation as the
    /// root path, without counting a run (a table of such calls holds sums, not means).
    pub fn add_call(&mut self, tree: &CallTree, root: usize, links: &ChildLinks<'_>) {
        let mut stack = vec![(root, NO_PARENT)];
        while let Some((i, caller)) = stack.pop() {
            let node = self.intern(caller, tree.ops[i]);
            let n = &mut self.nodes[node as usize];
            n.self_us[1] += links.self_time(i);
            n.total_us[1] += tree.spans[i].dur;
            stack.extend(links.children(i).map(|c| (c, node)));
        }
    }

    /// The path of `op` called from `caller`, created on first sight (after its caller, so
    /// callers always come first).
    fn intern(&mut self, caller: u32, op: OpId) -> u32 {
        let next = self.nodes.len() as u32;
        let id = *self.by_parent_and_op.entry((caller, op)).or_insert(next);
        if id == next {
            self.nodes.push(PathNode {
                parent: caller,
                op,
                self_us: [0.0; 2],
                total_us: [0.0; 2],
            });
        }
        id
    }

    /// How many distinct call paths were seen.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The paths as a table of at most `limits.max_frames` frames, narrow paths merged into
    /// their callers; two-sided when a before side was added.
    pub fn table(&self, catalog: &Catalog, limits: TableLimits) -> CallPathTable {
        let two_sided = self.runs[PathSide::Before as usize] > 0;
        let per_run = |s: PathSide| 1.0 / f64::from(self.runs[s as usize].max(1));
        let (before, after) = (per_run(PathSide::Before), per_run(PathSide::After));
        let kept = self.kept(limits);
        // Own time of the kept paths, with the merged paths' time added to their nearest kept
        // caller; a merged root has none and is left out.
        let mut own: Vec<[f64; 2]> = self.nodes.iter().map(|n| n.self_us).collect();
        let mut merged_paths = 0u64;
        for (i, node) in self.nodes.iter().enumerate() {
            if kept[i] {
                continue;
            }
            merged_paths += 1;
            if let Some(k) = self.kept_caller(i, &kept) {
                own[k][0] += node.self_us[0];
                own[k][1] += node.self_us[1];
            }
        }
        let mut index = vec![u32::MAX; self.nodes.len()];
        let mut frames = Vec::new();
        for (i, node) in self.nodes.iter().enumerate().filter(|&(i, _)| kept[i]) {
            index[i] = frames.len() as u32;
            let info = catalog.info(node.op);
            frames.push(CallPathFrame {
                parent: (node.parent != NO_PARENT).then(|| index[node.parent as usize]),
                operation: info.key.clone(),
                origin: info.origin,
                total_us: node.total_us[1] * after,
                self_us: own[i][1] * after,
                before_total_us: two_sided.then(|| node.total_us[0] * before),
                before_self_us: two_sided.then(|| own[i][0] * before),
            });
        }
        CallPathTable {
            runs: self.runs[PathSide::After as usize],
            before_runs: two_sided.then_some(self.runs[PathSide::Before as usize]),
            frames,
            merged_paths,
            min_share: limits.min_share,
        }
    }

    /// Which paths are wide enough to keep: inclusive time (after side, or before when the
    /// after side is empty) at least `min_share` of the roots' sum, the widest
    /// `max_frames` at most, and a kept path's caller kept.
    fn kept(&self, limits: TableLimits) -> Vec<bool> {
        let side = if self.nodes.iter().any(|n| n.total_us[1] > 0.0) {
            PathSide::After
        } else {
            PathSide::Before
        } as usize;
        let whole: f64 = self
            .nodes
            .iter()
            .filter(|n| n.parent == NO_PARENT)
            .map(|n| n.total_us[side])
            .sum();
        let mut bar = whole * limits.min_share;
        let wide = self
            .nodes
            .iter()
            .filter(|n| n.total_us[side] >= bar && n.total_us[side] > 0.0)
            .count();
        if wide > limits.max_frames {
            let mut widths: Vec<f64> = self.nodes.iter().map(|n| n.total_us[side]).collect();
            widths.sort_by(|a, b| b.total_cmp(a));
            // Strictly wider than the first path left out: ties are all out, never half in.
            bar = widths[limits.max_frames].next_up();
        }
        let mut kept = vec![false; self.nodes.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            let caller_kept = n.parent == NO_PARENT || kept[n.parent as usize];
            kept[i] = caller_kept && n.total_us[side] >= bar && n.total_us[side] > 0.0;
        }
        kept
    }

    /// The nearest caller of path `i` that is kept.
    fn kept_caller(&self, i: usize, kept: &[bool]) -> Option<usize> {
        let mut p = self.nodes[i].parent;
        while p != NO_PARENT {
            if kept[p as usize] {
                return Some(p as usize);
            }
            p = self.nodes[p as usize].parent;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::KeyMode;
    use crate::trace::{Id, ReadNotes, Span, Trace, Track, TrackKey};

    /// A trace of (name, ts, dur) calls on one thread.
    fn trace(calls: &[(&str, f64, f64)]) -> Trace {
        let mut names: Vec<String> = Vec::new();
        let spans = calls
            .iter()
            .map(|&(name, ts, dur)| {
                let id = names.iter().position(|n| n == name).unwrap_or_else(|| {
                    names.push(name.to_string());
                    names.len() - 1
                });
                Span {
                    name: id as u32,
                    track: 0,
                    ts,
                    dur,
                }
            })
            .collect();
        Trace {
            source: "t".into(),
            names: names.into_iter().collect(),
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
            counters: Vec::new(),
        }
    }

    fn frame<'a>(table: &'a CallPathTable, path: &[&str]) -> &'a CallPathFrame {
        let found = table.frames.iter().enumerate().find(|&(i, _)| {
            let mut names = Vec::new();
            let mut at = Some(i as u32);
            while let Some(k) = at {
                names.push(table.frames[k as usize].operation.as_str());
                at = table.frames[k as usize].parent;
            }
            names.reverse();
            names == path
        });
        found.unwrap_or_else(|| panic!("no frame {path:?}")).1
    }

    #[test]
    fn calls_on_the_same_path_are_summed_and_other_paths_kept_apart() {
        let mut catalog = Catalog::new(KeyMode::Name);
        // handle → load → fetch twice; handle → fetch once directly.
        let t = trace(&[
            ("handle", 0.0, 100.0),
            ("load", 0.0, 60.0),
            ("fetch", 0.0, 20.0),
            ("fetch", 30.0, 20.0),
            ("fetch", 70.0, 10.0),
        ]);
        let tree = CallTree::build(t, &mut catalog);
        let table = CallPaths::of(&[tree], PathSide::After).table(&catalog, TableLimits::DEFAULT);
        assert_eq!(table.frames.len(), 4);
        assert_eq!(frame(&table, &["handle", "load", "fetch"]).total_us, 40.0);
        assert_eq!(frame(&table, &["handle", "fetch"]).total_us, 10.0);
        assert_eq!(frame(&table, &["handle", "load"]).self_us, 20.0);
        assert_eq!(frame(&table, &["handle"]).self_us, 30.0);
        assert_eq!(table.before_runs, None);
        assert_eq!(frame(&table, &["handle"]).before_total_us, None);
    }

    #[test]
    fn narrow_paths_merge_into_their_caller_which_keeps_its_width() {
        let mut catalog = Catalog::new(KeyMode::Name);
        let t = trace(&[
            ("main", 0.0, 10_000.0),
            ("wide", 0.0, 5_000.0),
            ("tiny", 6_000.0, 5.0),
            ("tiny_child", 6_000.0, 2.0),
        ]);
        let tree = CallTree::build(t, &mut catalog);
        let limits = TableLimits {
            min_share: 0.001,
            max_frames: 100,
        };
        let table = CallPaths::of(&[tree], PathSide::After).table(&catalog, limits);
        let names: Vec<&str> = table.frames.iter().map(|f| f.operation.as_str()).collect();
        assert_eq!(names, ["main", "wide"]);
        assert_eq!(table.merged_paths, 2);
        // main's own time: 4,995 µs, plus tiny's 5 µs (its own 3 and its child's 2).
        assert_eq!(frame(&table, &["main"]).self_us, 5_000.0);
        let sum_self: f64 = table.frames.iter().map(|f| f.self_us).sum();
        assert_eq!(sum_self, frame(&table, &["main"]).total_us);
    }

    #[test]
    fn the_widest_paths_are_kept_when_there_are_too_many() {
        let mut catalog = Catalog::new(KeyMode::Name);
        let mut calls = vec![("main", 0.0, 10_000.0)];
        let names: Vec<String> = (0..50).map(|i| format!("child_{i:02}")).collect();
        let mut ts = 0.0;
        for (i, name) in names.iter().enumerate() {
            let dur = 10.0 + i as f64;
            calls.push((name.as_str(), ts, dur));
            ts += dur + 1.0;
        }
        let tree = CallTree::build(trace(&calls), &mut catalog);
        let limits = TableLimits {
            min_share: 0.0,
            max_frames: 11,
        };
        let table = CallPaths::of(&[tree], PathSide::After).table(&catalog, limits);
        let kept: Vec<&str> = table.frames.iter().map(|f| f.operation.as_str()).collect();
        assert_eq!(kept.len(), 11);
        assert_eq!(kept[0], "main");
        assert!(kept[1..].iter().all(|k| *k >= "child_40"), "{kept:?}");
        assert_eq!(table.merged_paths, 40);
    }

    #[test]
    fn two_sides_are_per_run_and_a_path_of_one_side_has_zero_on_the_other() {
        let mut catalog = Catalog::new(KeyMode::Name);
        let before = [
            CallTree::build(trace(&[("main", 0.0, 100.0)]), &mut catalog),
            CallTree::build(trace(&[("main", 0.0, 300.0)]), &mut catalog),
        ];
        let after = [CallTree::build(
            trace(&[("main", 0.0, 400.0), ("query", 0.0, 150.0)]),
            &mut catalog,
        )];
        let mut paths = CallPaths::of(&before, PathSide::Before);
        paths.add(&after, PathSide::After);
        let table = paths.table(&catalog, TableLimits::DEFAULT);
        assert_eq!((table.runs, table.before_runs), (1, Some(2)));
        let main = frame(&table, &["main"]);
        assert_eq!((main.before_total_us, main.total_us), (Some(200.0), 400.0));
        let query = frame(&table, &["main", "query"]);
        assert_eq!(query.before_total_us, Some(0.0));
        assert_eq!(query.self_us, 150.0);
    }

    #[test]
    fn a_real_trace_keeps_its_whole_time_in_the_kept_frames() {
        let path = format!(
            "{}/tests/fixtures/viztracer/n_plus_one.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let trace = crate::trace::read_trace(&crate::trace::TraceSource::parse(&path)).unwrap();
        let mut catalog = Catalog::new(KeyMode::File);
        let tree = CallTree::build(trace, &mut catalog);
        let paths = CallPaths::of(std::slice::from_ref(&tree), PathSide::After);
        let table = paths.table(&catalog, TableLimits::DEFAULT);
        assert!(table.frames.len() < paths.len(), "some paths are merged");
        let roots: f64 = table
            .frames
            .iter()
            .filter(|f| f.parent.is_none())
            .map(|f| f.total_us)
            .sum();
        let own: f64 = table.frames.iter().map(|f| f.self_us).sum();
        // Only narrow roots are left out: the kept frames' own time is (nearly) the whole.
        assert!(
            (own - roots).abs() <= roots * 0.001 * 10.0,
            "{own} vs {roots}"
        );
    }
}
