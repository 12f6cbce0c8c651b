//! `summary --tree NAME`: where the time of an operation's slowest calls goes. The slowest
//! calls of the operations matching NAME are taken, and the calls beneath them merged by call
//! path ([`super::callpaths`]), so the paths that make a call slow stand out with their time
//! and their share of it.

use super::callpaths::{CallPathTable, CallPaths, TableLimits};
use super::pattern::Pattern;
use super::{CallTree, Catalog};

/// The call paths under the slowest calls of one operation.
#[derive(Debug, Clone, PartialEq)]
pub struct SlowestCalls {
    /// What was asked for (`NAME`).
    pub pattern: String,
    /// The operations it matched, by key.
    pub operations: Vec<String>,
    /// Calls of those operations (outermost calls: a recursive call inside another is part
    /// of that one).
    pub calls: u64,
    /// How many of the slowest calls were taken, and their summed duration, µs.
    pub slowest: u64,
    pub slowest_total_us: f64,
    /// The shortest and the longest of the calls taken, µs.
    pub shortest_taken_us: f64,
    pub longest_taken_us: f64,
    /// The paths under them, merged over the calls, figures summed (not per run): the
    /// operations themselves are the roots.
    pub paths: CallPathTable,
}

/// How `--tree` bounds its output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeLimits {
    /// The slowest calls taken.
    pub calls: usize,
    /// Paths below this share of the calls' time are merged into their caller.
    pub min_share: f64,
    /// The most rows.
    pub max_rows: usize,
}

impl TreeLimits {
    pub const DEFAULT: TreeLimits = TreeLimits {
        calls: 10,
        min_share: 0.01,
        max_rows: 40,
    };
}

/// The call paths under the `limits.calls` slowest calls of the operations `pattern` matches;
/// `None` when it matches no operation of the trees.
pub fn slowest_calls(
    trees: &[CallTree],
    catalog: &Catalog,
    pattern: &Pattern,
    limits: TreeLimits,
) -> Option<SlowestCalls> {
    let matched: Vec<bool> = (0..catalog.len() as u32)
        .map(|op| pattern.matches_op(catalog.info(op)))
        .collect();
    // (duration, tree, span) of every outermost call of a matched operation.
    let mut calls: Vec<(f64, usize, usize)> = Vec::new();
    for (t, tree) in trees.iter().enumerate() {
        for i in 0..tree.len() {
            let op = tree.ops[i];
            if matched[op as usize] && !tree.ancestors(i).any(|a| tree.ops[a] == op) {
                calls.push((tree.spans[i].dur, t, i));
            }
        }
    }
    if calls.is_empty() {
        return None;
    }
    let total_calls = calls.len() as u64;
    // Slowest first; ties in trace order, so the choice is the same on every run.
    calls.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    calls.truncate(limits.calls.max(1));
    let mut paths = CallPaths::default();
    let mut operations: Vec<String> = Vec::new();
    for (t, tree) in trees.iter().enumerate() {
        let links = tree.child_links();
        for &(_, _, i) in calls.iter().filter(|c| c.1 == t) {
            paths.add_call(tree, i, &links);
            let key = &catalog.info(tree.ops[i]).key;
            if !operations.contains(key) {
                operations.push(key.clone());
            }
        }
    }
    let table = paths.table(
        catalog,
        TableLimits {
            min_share: limits.min_share,
            max_frames: limits.max_rows,
        },
    );
    Some(SlowestCalls {
        pattern: pattern.text.clone(),
        operations,
        calls: total_calls,
        slowest: calls.len() as u64,
        slowest_total_us: calls.iter().map(|c| c.0).sum(),
        shortest_taken_us: calls.last().map_or(0.0, |c| c.0),
        longest_taken_us: calls[0].0,
        paths: table,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::KeyMode;

    fn fixture_tree(catalog: &mut Catalog, name: &str) -> CallTree {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let trace = crate::trace::read_trace(&crate::trace::TraceSource::parse(&path)).unwrap();
        CallTree::build(trace, catalog)
    }

    #[test]
    fn the_slowest_calls_of_a_real_trace_are_split_into_the_paths_beneath_them() {
        let mut catalog = Catalog::new(KeyMode::File);
        let tree = fixture_tree(&mut catalog, "viztracer/n_plus_one.json");
        let pattern = Pattern::new("post_answer").unwrap();
        let found = slowest_calls(
            std::slice::from_ref(&tree),
            &catalog,
            &pattern,
            TreeLimits::DEFAULT,
        )
        .expect("post_answer is in the trace");
        assert!(found.slowest <= 10 && found.slowest >= 1);
        assert!(found.calls >= found.slowest);
        assert!(found.longest_taken_us >= found.shortest_taken_us);
        let roots: Vec<_> = found
            .paths
            .frames
            .iter()
            .filter(|f| f.parent.is_none())
            .collect();
        assert_eq!(roots.len(), 1, "{roots:?}");
        assert!(roots[0].operation.starts_with("post_answer"));
        // The root's time is the calls' time, summed.
        assert!((roots[0].total_us - found.slowest_total_us).abs() < 1e-6);
        // The N+1 query shows up beneath it.
        assert!(
            found.paths.frames.iter().any(|f| f.parent.is_some()),
            "{:?}",
            found.paths.frames
        );
    }

    #[test]
    fn a_name_that_matches_nothing_gives_none() {
        let mut catalog = Catalog::new(KeyMode::File);
        let tree = fixture_tree(&mut catalog, "viztracer/n_plus_one.json");
        let pattern = Pattern::new("no_such_function").unwrap();
        let found = slowest_calls(&[tree], &catalog, &pattern, TreeLimits::DEFAULT);
        assert!(found.is_none());
    }
}
