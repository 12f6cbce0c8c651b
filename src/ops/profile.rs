//! A [`Profile`]: everything a comparison needs to know of one side (one trace, several runs,
//! or a saved baseline), keyed by operation key so that it can be written to a file and
//! compared with traces read by another command.
//!
//! Per operation it keeps the call durations (all of them, or a bounded deterministic sample
//! when it comes from a baseline), per-run figures (run-to-run noise), and the children called
//! directly beneath it (to explain why a parent got slower).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::stats::{percentile, sorted};
use super::{CallTree, Catalog, NO_PARENT, OpSamples, collect_samples};

/// One side of a comparison.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The traces (or baselines) this side was built from.
    pub sources: Vec<String>,
    /// How many runs (traces) the side holds.
    pub runs: u32,
    /// By operation key, sorted (so files written from it are stable).
    pub operations: BTreeMap<String, OpProfile>,
}

/// One operation on one side.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpProfile {
    pub function: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
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
    pub fn from_trees(trees: &[CallTree], catalog: &Catalog) -> Profile {
        let samples = collect_samples(trees, catalog);
        let mut operations = BTreeMap::new();
        for s in samples.iter().filter(|s| !s.durations.is_empty()) {
            let info = catalog.info(s.op);
            let durations = sorted(&s.durations);
            let per_run = (0..trees.len() as u32)
                .map(|run| run_figures(s, run))
                .collect();
            operations.insert(
                info.key.clone(),
                OpProfile {
                    function: info.function.clone(),
                    file: info.file.clone(),
                    line: info.line,
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
        add_child_edges(&mut operations, trees, catalog);
        Profile {
            sources: trees.iter().map(|t| t.source.clone()).collect(),
            runs: trees.len() as u32,
            operations,
        }
    }
}

fn run_figures(samples: &OpSamples, run: u32) -> RunFigures {
    let in_run = |i: &usize| samples.run[*i] == run;
    let d = {
        let mut v: Vec<f64> = (0..samples.durations.len())
            .filter(in_run)
            .map(|i| samples.durations[i])
            .collect();
        v.sort_unstable_by(f64::total_cmp);
        v
    };
    let self_us = (0..samples.self_us.len())
        .filter(in_run)
        .map(|i| samples.self_us[i])
        .sum();
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
        self_us,
    }
}

fn add_child_edges(
    operations: &mut BTreeMap<String, OpProfile>,
    trees: &[CallTree],
    catalog: &Catalog,
) {
    for tree in trees {
        let self_us = tree.self_times();
        for (i, &p) in tree.parent.iter().enumerate() {
            if p == NO_PARENT {
                continue;
            }
            let parent_key = &catalog.info(tree.ops[p as usize]).key;
            let child_key = &catalog.info(tree.ops[i]).key;
            let Some(parent) = operations.get_mut(parent_key) else {
                continue;
            };
            let edge = parent.children.entry(child_key.clone()).or_default();
            edge.calls += 1;
            edge.total_us += tree.spans[i].dur;
            edge.self_us += self_us[i];
        }
    }
}
