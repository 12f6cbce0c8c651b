//! The operation table: the statistics of every operation of a set of traces, filtered by
//! name or file glob, sorted, and cut to the top N.

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::stats::collect_durations;
use super::{CallTree, Catalog, OpId, OpStats};

/// Which column orders the table (descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Total,
    SelfTime,
    Count,
    Mean,
    P95,
    Max,
}

/// Keeps operations whose key (or function) matches `name` and whose file matches `file`.
#[derive(Debug, Clone, Default)]
pub struct OpFilter {
    name: Option<GlobSet>,
    file: Option<GlobSet>,
}

impl OpFilter {
    /// Compiles the globs; the error names the bad pattern.
    pub fn new(name: Option<&str>, file: Option<&str>) -> Result<Self, globset::Error> {
        // A set of one glob: building it reports a pattern too large to compile as an error,
        // where `Glob::compile_matcher` panics.
        let compile = |g: &str| {
            let mut set = GlobSetBuilder::new();
            set.add(Glob::new(g)?);
            set.build()
        };
        Ok(OpFilter {
            name: name.map(compile).transpose()?,
            file: file.map(compile).transpose()?,
        })
    }

    pub fn keeps(&self, stats: &OpStats) -> bool {
        let name_ok = self
            .name
            .as_ref()
            .is_none_or(|g| g.is_match(&stats.name) || g.is_match(&stats.function));
        let file_ok = self.file.as_ref().is_none_or(|g| {
            stats
                .file
                .as_deref()
                .is_some_and(|f| g.is_match(f) || g.is_match(super::identity::short_file(f)))
        });
        name_ok && file_ok
    }
}

/// The statistics of every operation called in `trees`, filtered and sorted (ties by name).
pub fn build_table(
    trees: &[CallTree],
    catalog: &Catalog,
    filter: &OpFilter,
    sort: SortKey,
) -> Vec<OpStats> {
    let mut calls = collect_durations(trees, catalog);
    let mut rows: Vec<OpStats> = Vec::with_capacity(calls.operations());
    rows.extend(
        (0..calls.operations() as OpId)
            .filter_map(|op| calls.stats(op, catalog))
            .filter(|s| filter.keeps(s)),
    );
    rows.shrink_to_fit();
    drop(calls);
    // Keys are unique (one row per operation), so the order is total and an unstable sort
    // gives the stable sort's order, without its buffer of half the rows.
    rows.sort_unstable_by(|a, b| {
        sort_value(b, sort)
            .total_cmp(&sort_value(a, sort))
            .then_with(|| a.name.cmp(&b.name))
    });
    rows
}

fn sort_value(s: &OpStats, key: SortKey) -> f64 {
    match key {
        SortKey::Total => s.total_us,
        SortKey::SelfTime => s.self_us,
        SortKey::Count => s.count as f64,
        SortKey::Mean => s.mean_us,
        SortKey::P95 => s.p95_us,
        SortKey::Max => s.max_us,
    }
}
