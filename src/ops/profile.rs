//! A [`Profile`]: everything a comparison needs to know of one side (one trace, several runs,
//! or a saved baseline), keyed by operation key so that it can be written to a file and
//! compared with traces read by another command.
//!
//! Per operation it keeps the call durations (all of them, or a bounded deterministic sample
//! when it comes from a baseline), per-run figures (run-to-run noise), and the children called
//! directly beneath it (to explain why a parent got slower).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use rustc_hash::FxHashMap;

use super::stats::percentile;
use super::{CallTree, Catalog, NO_PARENT, OpId};

/// One side of a comparison.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The traces (or baselines) this side was built from.
    pub sources: Vec<String>,
    /// How many runs (traces) the side holds.
    pub runs: u32,
    /// By operation key, sorted (so files written from it are stable).
    pub operations: BTreeMap<String, OpProfile>,
    /// Built from stack samples (speedscope sampled profiles): a "call" is a run of samples,
    /// so counts are not calls. Not stored in baselines.
    #[serde(skip)]
    pub sampled: bool,
    /// The share of the CPU it asked for that each run got, in run order, from the
    /// scheduler records beside its traces (`trace::schedstat`, written by `perfgate
    /// record`); empty unless every run has one. Not stored in baselines.
    #[serde(skip)]
    pub run_shares: Vec<f64>,
}

/// One operation on one side.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpProfile {
    pub function: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Whose code it is; set from the catalog. Baselines store only `library` (see
    /// `baseline::FileOp`): own code is located again when read.
    #[serde(skip)]
    pub origin: super::Origin,
    /// Calls in all runs.
    pub count: u64,
    pub total_us: f64,
    pub self_us: f64,
    pub min_us: f64,
    pub max_us: f64,
    /// Inclusive durations, sorted ascending: every call, or a sample of `count` calls.
    pub durations_us: Vec<f64>,
    /// Figures of each run, in run order.
    pub per_run: Vec<RunFigures>,
    /// Operations called directly beneath this one, by key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub children: BTreeMap<String, ChildEdge>,
}

/// The figures of one operation in one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunFigures {
    pub count: u64,
    pub total_us: f64,
    pub mean_us: f64,
    pub p50_us: f64,
    pub p95_us: f64,
    pub max_us: f64,
    /// The fastest call of the run (absent, 0, in files written before it existed).
    #[serde(default)]
    pub min_us: f64,
    /// Self time of all calls in the run (absent in files written before it existed).
    #[serde(default)]
    pub self_us: f64,
}

/// Calls of a child operation directly beneath every call of its parent, summed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChildEdge {
    pub calls: u64,
    /// Sum of the child's inclusive durations.
    pub total_us: f64,
    /// Sum of the child's self times.
    pub self_us: f64,
}

impl OpProfile {
    /// The operation with every time figure (durations, totals, self times, each run's
    /// figures) multiplied by `factor`, for judging it against a measured environment;
    /// counts as they are, child edges left out (judging an operation's own change does not
    /// read them).
    pub fn scaled(&self, factor: f64) -> OpProfile {
        let run = |r: &RunFigures| RunFigures {
            count: r.count,
            total_us: r.total_us * factor,
            mean_us: r.mean_us * factor,
            p50_us: r.p50_us * factor,
            p95_us: r.p95_us * factor,
            max_us: r.max_us * factor,
            min_us: r.min_us * factor,
            self_us: r.self_us * factor,
        };
        OpProfile {
            function: self.function.clone(),
            file: self.file.clone(),
            line: self.line,
            origin: self.origin,
            count: self.count,
            total_us: self.total_us * factor,
            self_us: self.self_us * factor,
            min_us: self.min_us * factor,
            max_us: self.max_us * factor,
            durations_us: self.durations_us.iter().map(|d| d * factor).collect(),
            per_run: self.per_run.iter().map(run).collect(),
            children: BTreeMap::new(),
        }
    }

    /// Whether `durations_us` holds every call or only a sample.
    pub fn is_sampled(&self) -> bool {
        (self.durations_us.len() as u64) < self.count
    }

    /// The mean duration.
    pub fn mean_us(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.total_us / self.count as f64
        }
    }

    /// A percentile (q in 0..=1) of the durations.
    pub fn percentile_us(&self, q: f64) -> f64 {
        percentile(&self.durations_us, q)
    }
}

impl Profile {
    /// Builds a side from call trees (one per run) whose operations are in `catalog`.
    ///
    /// One pass per tree sums self times and child edges by [`OpId`] (keys are looked up once
    /// per operation, not per call), a second gathers each run's durations per operation,
    /// sorted once for the run's figures and then appended to the side's. Memory beyond the
    /// trees is the sorted durations (8 bytes a call) plus one run's; every sum is taken in
    /// the same order as a plain per-call loop would, so the figures are bit for bit those of
    /// [`super::collect_samples`] (checked by a test).
    pub fn from_trees(trees: &[CallTree], catalog: &Catalog) -> Profile {
        let sums = Sums::of(trees, catalog);
        let mut durations = side_durations(trees, catalog);
        let mut operations = BTreeMap::new();
        for (op, (durations, per_run)) in durations.drain(..).enumerate() {
            if durations.is_empty() {
                continue;
            }
            let info = catalog.info(op as OpId);
            operations.insert(
                info.key.clone(),
                OpProfile {
                    function: info.function.clone(),
                    file: info.file.as_deref().map(str::to_string),
                    line: info.line,
                    origin: info.origin,
                    count: durations.len() as u64,
                    total_us: durations.iter().sum(),
                    self_us: sums.self_us[op],
                    min_us: durations[0],
                    max_us: durations[durations.len() - 1],
                    durations_us: durations,
                    per_run: per_run
                        .into_iter()
                        .enumerate()
                        .map(|(run, figures)| RunFigures {
                            self_us: sums.run_self_us[run][op],
                            ..figures
                        })
                        .map(|f| {
                            if f.count == 0 {
                                RunFigures::default()
                            } else {
                                f
                            }
                        })
                        .collect(),
                    children: BTreeMap::new(),
                },
            );
        }
        sums.add_edges(&mut operations, catalog);
        Profile {
            sources: trees.iter().map(|t| t.source.clone()).collect(),
            runs: trees.len() as u32,
            operations,
            sampled: trees.iter().any(|t| t.notes.sampled),
            run_shares: Vec::new(),
        }
    }
}

/// Self-time sums and child edges of a side, by operation.
struct Sums {
    /// Per operation, over every call of every run (in run, then call order).
    self_us: Vec<f64>,
    /// Per run, per operation.
    run_self_us: Vec<Vec<f64>>,
    /// (parent operation, child operation) → edge, with the order edges were first seen.
    edges: FxHashMap<(OpId, OpId), ChildEdge>,
}

impl Sums {
    fn of(trees: &[CallTree], catalog: &Catalog) -> Sums {
        // -0.0 is where `Iterator::sum` starts: the sums match one taken with it.
        let mut self_us = vec![-0.0; catalog.len()];
        let mut run_self_us = Vec::with_capacity(trees.len());
        let mut edges: FxHashMap<(OpId, OpId), ChildEdge> = FxHashMap::default();
        for tree in trees {
            let mut run = vec![-0.0; catalog.len()];
            // One tree's self times at a time, freed before the next.
            let self_times = tree.self_times();
            for (i, (&op, &own)) in tree.ops.iter().zip(&self_times).enumerate() {
                self_us[op as usize] += own;
                run[op as usize] += own;
                let p = tree.parent[i];
                if p == NO_PARENT {
                    continue;
                }
                let edge = edges.entry((tree.ops[p as usize], op)).or_default();
                edge.calls += 1;
                edge.total_us += tree.spans[i].dur;
                edge.self_us += own;
            }
            run_self_us.push(run);
        }
        Sums {
            self_us,
            run_self_us,
            edges,
        }
    }

    /// Writes the edges into the operations, by key.
    fn add_edges(self, operations: &mut BTreeMap<String, OpProfile>, catalog: &Catalog) {
        for ((parent, child), edge) in self.edges {
            if let Some(p) = operations.get_mut(&catalog.info(parent).key) {
                p.children.insert(catalog.info(child).key.clone(), edge);
            }
        }
    }
}

/// Per operation: every call's duration sorted ascending, and each run's figures (without
/// self time; zero counts for a run without calls).
fn side_durations(trees: &[CallTree], catalog: &Catalog) -> Vec<(Vec<f64>, Vec<RunFigures>)> {
    let n_ops = catalog.len();
    let mut per_op_total = vec![0usize; n_ops];
    for tree in trees {
        for &op in &tree.ops {
            per_op_total[op as usize] += 1;
        }
    }
    let single_run = trees.len() == 1;
    let mut out: Vec<(Vec<f64>, Vec<RunFigures>)> = per_op_total
        .iter()
        .map(|&n| {
            // One run: its sorted vector becomes the side's, no copy.
            let capacity = if single_run { 0 } else { n };
            (
                Vec::with_capacity(capacity),
                Vec::with_capacity(trees.len()),
            )
        })
        .collect();
    for tree in trees {
        for (op, run) in run_durations(tree, n_ops).into_iter().enumerate() {
            let (all, per_run) = &mut out[op];
            per_run.push(run_figures(&run));
            if single_run {
                *all = run;
            } else {
                all.extend_from_slice(&run);
            }
        }
    }
    if !single_run {
        for (all, _) in &mut out {
            all.sort_unstable_by(f64::total_cmp);
        }
    }
    out
}

/// One tree's call durations per operation, each sorted ascending (exact capacities).
fn run_durations(tree: &CallTree, n_ops: usize) -> Vec<Vec<f64>> {
    let mut counts = vec![0usize; n_ops];
    for &op in &tree.ops {
        counts[op as usize] += 1;
    }
    let mut out: Vec<Vec<f64>> = counts.into_iter().map(Vec::with_capacity).collect();
    for (&op, span) in tree.ops.iter().zip(&tree.spans) {
        out[op as usize].push(span.dur);
    }
    for d in &mut out {
        d.sort_unstable_by(f64::total_cmp);
    }
    out
}

/// The figures of one run's sorted durations (self time is filled in by the caller).
fn run_figures(d: &[f64]) -> RunFigures {
    if d.is_empty() {
        return RunFigures::default();
    }
    let total: f64 = d.iter().sum();
    RunFigures {
        count: d.len() as u64,
        total_us: total,
        mean_us: total / d.len() as f64,
        p50_us: percentile(d, 0.5),
        p95_us: percentile(d, 0.95),
        max_us: d[d.len() - 1],
        min_us: d[0],
        self_us: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::stats::sorted;
    use crate::ops::{KeyMode, OpSamples, collect_samples};
    use crate::trace::{TraceSource, read_trace};

    /// The profile as the straightforward per-call code builds it: every call's duration, self
    /// time and run collected first, then each figure computed from them.
    fn reference(trees: &[CallTree], catalog: &Catalog) -> Profile {
        let samples = collect_samples(trees, catalog);
        let mut operations = BTreeMap::new();
        for s in samples.iter().filter(|s| !s.durations.is_empty()) {
            let info = catalog.info(s.op);
            let durations = sorted(&s.durations);
            let per_run = (0..trees.len() as u32)
                .map(|run| reference_run(s, run))
                .collect();
            operations.insert(
                info.key.clone(),
                OpProfile {
                    function: info.function.clone(),
                    file: info.file.as_deref().map(str::to_string),
                    line: info.line,
                    origin: info.origin,
                    count: durations.len() as u64,
                    total_us: durations.iter().sum(),
                    self_us: s.self_us.iter().sum(),
                    min_us: durations[0],
                    max_us: durations[durations.len() - 1],
                    durations_us: durations,
                    per_run,
                    children: BTreeMap::new(),
                },
            );
        }
        for tree in trees {
            let self_us = tree.self_times();
            for (i, &p) in tree.parent.iter().enumerate() {
                if p == NO_PARENT {
                    continue;
                }
                let parent = &catalog.info(tree.ops[p as usize]).key;
                let child = &catalog.info(tree.ops[i]).key;
                let edge = operations
                    .get_mut(parent)
                    .unwrap()
                    .children
                    .entry(child.clone())
                    .or_default();
                edge.calls += 1;
                edge.total_us += tree.spans[i].dur;
                edge.self_us += self_us[i];
            }
        }
        Profile {
            sources: trees.iter().map(|t| t.source.clone()).collect(),
            runs: trees.len() as u32,
            operations,
            sampled: false,
            run_shares: Vec::new(),
        }
    }

    fn reference_run(s: &OpSamples, run: u32) -> RunFigures {
        let calls: Vec<usize> = (0..s.run.len()).filter(|&i| s.run[i] == run).collect();
        let d = sorted(&calls.iter().map(|&i| s.durations[i]).collect::<Vec<_>>());
        if d.is_empty() {
            return RunFigures::default();
        }
        let total: f64 = d.iter().sum();
        RunFigures {
            count: d.len() as u64,
            total_us: total,
            mean_us: total / d.len() as f64,
            p50_us: percentile(&d, 0.5),
            p95_us: percentile(&d, 0.95),
            max_us: d[d.len() - 1],
            min_us: d[0],
            self_us: calls.iter().map(|&i| s.self_us[i]).sum(),
        }
    }

    fn trees(files: &[&str], catalog: &mut Catalog) -> Vec<CallTree> {
        files
            .iter()
            .map(|f| {
                let path = format!("{}/tests/fixtures/{f}", env!("CARGO_MANIFEST_DIR"));
                let trace = read_trace(&TraceSource::parse(&path)).unwrap();
                CallTree::build(trace, catalog)
            })
            .collect()
    }

    #[test]
    fn profile_is_bit_for_bit_the_per_call_computation() {
        let sides: [&[&str]; 4] = [
            &["viztracer/baseline.json"],
            &[
                "viztracer/runs/before_1.json",
                "viztracer/runs/before_2.json",
                "viztracer/runs/before_3.json",
                "viztracer/runs/after_1.json",
                "viztracer/runs/after_2.json",
            ],
            &["viztracer/async_blocking.json.gz", "chrome/startup.json.gz"],
            &["pyspy/record.json", "viztracer/n_plus_one.json"],
        ];
        for files in sides {
            let mut catalog = Catalog::new(KeyMode::File);
            let trees = trees(files, &mut catalog);
            let got = Profile::from_trees(&trees, &catalog);
            let want = reference(&trees, &catalog);
            assert!(got.operations.len() > 3, "{files:?}");
            // PartialEq on f64 is exact; the debug text also tells -0.0 from 0.0.
            assert_eq!(got, want, "{files:?}");
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "{files:?}");
        }
    }

    #[test]
    fn a_scaled_operation_has_every_time_figure_times_the_factor_and_its_counts() {
        let run = |k: f64| RunFigures {
            count: 3,
            total_us: 30.0 * k,
            mean_us: 10.0 * k,
            p50_us: 9.0 * k,
            p95_us: 14.0 * k,
            max_us: 15.0 * k,
            min_us: 6.0 * k,
            self_us: 20.0 * k,
        };
        let op = OpProfile {
            function: "f".into(),
            count: 6,
            total_us: 90.0,
            self_us: 60.0,
            min_us: 6.0,
            max_us: 30.0,
            durations_us: vec![6.0, 9.0, 15.0, 12.0, 18.0, 30.0],
            per_run: vec![run(1.0), run(2.0)],
            ..OpProfile::default()
        };
        let s = op.scaled(0.5);
        assert_eq!((s.function.as_str(), s.count), ("f", 6));
        assert_eq!(
            (s.total_us, s.self_us, s.min_us, s.max_us),
            (45.0, 30.0, 3.0, 15.0)
        );
        assert_eq!(s.durations_us, vec![3.0, 4.5, 7.5, 6.0, 9.0, 15.0]);
        assert_eq!(s.per_run, vec![run(0.5), run(1.0)]);
        assert!(s.children.is_empty());
    }
}
