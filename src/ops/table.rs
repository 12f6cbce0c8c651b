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
    let operations = calls.operations();
    let rows = (0..operations as OpId).filter_map(|op| calls.stats(op, catalog));
    sorted_rows(rows, operations, filter, sort)
}

/// [`build_table`] for a caller that needs neither the trees nor the catalog afterwards: the
/// trees are freed once their durations are gathered, and the rows take the catalog's names
/// instead of copying them, so that a trace of millions of operations never holds two copies.
pub fn build_table_owned(
    trees: Vec<CallTree>,
    catalog: Catalog,
    filter: &OpFilter,
    sort: SortKey,
) -> Vec<OpStats> {
    let mut calls = collect_durations(&trees, &catalog);
    drop(trees);
    let operations = calls.operations();
    let mut infos = catalog.into_infos();
    // Last operation first, so that the catalog's names move into the rows and the memory of
    // the operations taken is given back as the rows grow (the sort decides the order).
    let rows = std::iter::from_fn(|| {
        let (op, row) = calls.pop_named(infos.pop()?)?;
        if (op as usize).is_multiple_of(SHRINK_EVERY) {
            infos.shrink_to_fit();
            calls.shrink_to_fit();
        }
        Some(row)
    })
    .flatten();
    sorted_rows(rows, operations, filter, sort)
}

/// How many operations [`build_table_owned`] takes from the catalog between two shrinks of
/// its vector.
const SHRINK_EVERY: usize = if cfg!(test) { 64 } else { 1 << 16 };

/// The rows `filter` keeps, sorted by `sort` (ties by name); at most `operations` of them.
fn sorted_rows(
    rows: impl Iterator<Item = OpStats>,
    operations: usize,
    filter: &OpFilter,
    sort: SortKey,
) -> Vec<OpStats> {
    let mut kept: Vec<OpStats> = Vec::with_capacity(operations);
    kept.extend(rows.filter(|s| filter.keeps(s)));
    kept.shrink_to_fit();
    // Keys are unique (one row per operation), so the order is total and an unstable sort
    // gives the stable sort's order, without its buffer of half the rows.
    kept.sort_unstable_by(|a, b| {
        sort_value(b, sort)
            .total_cmp(&sort_value(a, sort))
            .then_with(|| a.name.cmp(&b.name))
    });
    kept
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::KeyMode;
    use crate::ops::tree::tests::trace;

    /// Two runs over more operations than one shrink step, some never called (registered
    /// by another trace of the command), with equal totals so that ties are ordered by name.
    fn runs(catalog: &mut Catalog) -> Vec<CallTree> {
        let names: Vec<String> = (0..SHRINK_EVERY * 4 + 10)
            .map(|i| format!("f{i} (m{}.py:{})", i % 7, i % 13 + 1))
            .collect();
        let spans = |from: usize, step: usize| -> Vec<(&str, u32, f64, f64)> {
            (from..names.len())
                .step_by(step)
                .map(|i| (names[i].as_str(), 0, i as f64 * 10.0, (i % 5) as f64 + 1.0))
                .collect()
        };
        let first = CallTree::build(trace(&spans(0, 1)), catalog);
        let second = CallTree::build(trace(&spans(3, 2)), catalog);
        catalog.intern_name("never_called (z.py:1)");
        vec![first, second]
    }

    #[test]
    fn the_table_that_takes_the_catalog_is_the_table_that_copies_it() {
        for (sort, name) in [
            (SortKey::Total, None),
            (SortKey::Count, Some("f1*")),
            (SortKey::P95, None),
            (SortKey::SelfTime, Some("nothing*")),
        ] {
            let mut catalog = Catalog::new(KeyMode::File);
            let trees = runs(&mut catalog);
            let filter = OpFilter::new(name, None).unwrap();
            let copied = build_table(&trees, &catalog, &filter, sort);
            let taken = build_table_owned(trees, catalog, &filter, sort);
            assert_eq!(taken, copied, "{sort:?} {name:?}");
            if name.is_none() {
                // Every called operation, the one never called left out.
                assert_eq!(taken.len(), SHRINK_EVERY * 4 + 10);
            }
        }
    }
}
