//! Per-operation statistics: the samples of every call, and the figures computed from them
//! (count, total, self, mean, min, percentiles, max).
//!
//! Percentiles interpolate linearly between closest ranks, numpy's default
//! (`numpy.percentile(..., method="linear")`): for `n` sorted values and quantile `q`, the
//! rank is `h = (n - 1) q` and the value `x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋+1] - x[⌊h⌋])`.

use serde::Serialize;

use super::{CallTree, Catalog, OpId, OpInfo};

/// Every call of one operation across a set of traces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpSamples {
    pub op: OpId,
    /// Inclusive duration of each call, µs.
    pub durations: Vec<f64>,
    /// Self time of each call, µs.
    pub self_us: Vec<f64>,
    /// Which trace (run) each call came from: an index into the trees given.
    pub run: Vec<u32>,
}

/// Gathers the calls of every operation of `trees`, indexed by operation. Operations with no
/// call in these trees have empty samples.
#[cfg(test)]
pub fn collect_samples(trees: &[CallTree], catalog: &Catalog) -> Vec<OpSamples> {
    // Exact capacities: on a trace of millions of calls, growth by doubling would waste
    // up to half of the largest vectors.
    let mut out: Vec<OpSamples> = calls_per_op(trees, catalog)
        .into_iter()
        .enumerate()
        .map(|(op, n)| OpSamples {
            op: op as OpId,
            durations: Vec::with_capacity(n),
            self_us: Vec::with_capacity(n),
            run: Vec::with_capacity(n),
        })
        .collect();
    for (run, tree) in trees.iter().enumerate() {
        let self_us = tree.self_times();
        for (i, span) in tree.spans.iter().enumerate() {
            let s = &mut out[tree.ops[i] as usize];
            s.durations.push(span.dur);
            s.self_us.push(self_us[i]);
            s.run.push(run as u32);
        }
    }
    out
}

/// What the operation table needs of every operation: the duration of each call and the sum
/// of their self times. Lighter than [`OpSamples`] (no per-call self time or run), which
/// keeps memory low on traces of millions of calls; and the durations of all operations are
/// one vector, grouped by operation, so that an operation costs 16 bytes and no allocation of
/// its own (a trace may have millions of operations called once).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpDurations {
    /// Where the durations of operation `op` start in `durations`; they end where those of
    /// `op + 1` start (one entry more than operations).
    starts: Vec<usize>,
    /// Inclusive duration of each call, µs, grouped by operation, in call order within each.
    durations: Vec<f64>,
    /// Per operation, the sum of the self times of its calls, µs.
    self_us: Vec<f64>,
}

impl OpDurations {
    /// The durations of operation `op`'s calls (in call order until [`OpDurations::stats`]
    /// reorders them).
    #[cfg(test)]
    pub fn of(&self, op: OpId) -> &[f64] {
        &self.durations[self.starts[op as usize]..self.starts[op as usize + 1]]
    }

    /// How many operations the durations are indexed by.
    pub fn operations(&self) -> usize {
        self.self_us.len()
    }

    /// The figures of the last operation, named by `info`, which is then removed (`None` when
    /// it was never called): taking every operation this way, last first, the memory of those
    /// taken is given back along the way by [`OpDurations::shrink_to_fit`].
    pub fn pop_named(&mut self, info: OpInfo) -> Option<(OpId, Option<OpStats>)> {
        let op = self.operations().checked_sub(1)?;
        let (start, end) = (self.starts[op], self.starts[op + 1]);
        let self_us = self.self_us[op];
        let row = (end > start)
            .then(|| OpStats::named(op as OpId, &mut self.durations[start..end], self_us, info));
        self.durations.truncate(start);
        self.starts.truncate(op + 1);
        self.self_us.truncate(op);
        Some((op as OpId, row))
    }

    /// Gives back the memory of the operations taken by [`OpDurations::pop_named`].
    pub fn shrink_to_fit(&mut self) {
        self.durations.shrink_to_fit();
        self.starts.shrink_to_fit();
        self.self_us.shrink_to_fit();
    }

    /// The figures of operation `op` (its durations are reordered by the selection of the
    /// percentiles); `None` when it was never called.
    pub fn stats(&mut self, op: OpId, catalog: &Catalog) -> Option<OpStats> {
        let range = self.starts[op as usize]..self.starts[op as usize + 1];
        OpStats::from_durations(
            op,
            &mut self.durations[range],
            self.self_us[op as usize],
            catalog,
        )
    }
}

/// Gathers the call durations and self-time sums of every operation of `trees`, indexed by
/// operation (the same figures as [`collect_samples`], summed in the same order).
pub fn collect_durations(trees: &[CallTree], catalog: &Catalog) -> OpDurations {
    // Self times first, each tree's vector freed before the durations are allocated and
    // written, so that the two per-call vectors are never resident together.
    let mut self_us = vec![0.0; catalog.len()];
    for tree in trees {
        for (&op, own) in tree.ops.iter().zip(tree.self_times()) {
            self_us[op as usize] += own;
        }
    }
    let mut starts = Vec::with_capacity(catalog.len() + 1);
    let mut calls = 0;
    for n in calls_per_op(trees, catalog) {
        starts.push(calls);
        calls += n;
    }
    starts.push(calls);
    // A counting sort by operation: each call written at the next free place of its
    // operation, in tree then call order.
    let mut next = starts.clone();
    let mut durations = vec![0.0; calls];
    for tree in trees {
        for (&op, span) in tree.ops.iter().zip(&tree.spans) {
            durations[next[op as usize]] = span.dur;
            next[op as usize] += 1;
        }
    }
    OpDurations {
        starts,
        durations,
        self_us,
    }
}

/// The number of calls of every operation in `trees`, indexed by operation.
fn calls_per_op(trees: &[CallTree], catalog: &Catalog) -> Vec<usize> {
    let mut counts = vec![0usize; catalog.len()];
    for tree in trees {
        for &op in &tree.ops {
            counts[op as usize] += 1;
        }
    }
    counts
}

/// The linear-interpolation percentile of sorted values; `q` in 0..=1. NaN when empty.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// The linear-interpolation percentiles of `values` at each of `qs` (ascending, in 0..=1):
/// bit for bit what [`percentile`] gives on the sorted values, found by selection
/// (`select_nth_unstable`) instead of a sort: a few linear passes over shrinking parts of the
/// values. `values` is reordered. NaN for each when empty.
pub fn select_percentiles<const N: usize>(values: &mut [f64], qs: [f64; N]) -> [f64; N] {
    let n = values.len();
    let mut out = [f64::NAN; N];
    if n <= 1 {
        return out.map(|_| values.first().copied().unwrap_or(f64::NAN));
    }
    // values[..from] are settled: each is no larger than any value at or after `from`, and
    // values[from - 1] is the order statistic of rank from - 1.
    let mut from = 0;
    for (slot, q) in out.iter_mut().zip(qs) {
        let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        if lo >= from {
            values[from..].select_nth_unstable_by(lo - from, f64::total_cmp);
            from = lo + 1;
        }
        let at_lo = values[lo];
        let at_hi = if hi == lo {
            at_lo
        } else {
            // The next order statistic: the smallest of the values after rank `lo`.
            values[lo + 1..]
                .iter()
                .copied()
                .min_by(f64::total_cmp)
                .unwrap_or(at_lo)
        };
        *slot = at_lo + (h - lo as f64) * (at_hi - at_lo);
    }
    out
}

/// Sorts a copy of `values` ascending.
#[cfg(test)]
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// The figures of one operation, as `summary` shows them and JSON carries them.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OpStats {
    #[serde(skip)]
    pub op: OpId,
    /// The operation key (see [`super::identity`]).
    pub name: String,
    pub function: String,
    // Shared by every operation of the file (one text per file, not per operation).
    pub file: Option<std::sync::Arc<str>>,
    pub line: Option<u32>,
    /// `own`, `library` or `unknown` (no source file).
    pub origin: super::Origin,
    pub count: u64,
    pub total_us: f64,
    pub self_us: f64,
    pub mean_us: f64,
    pub min_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p95_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

impl OpStats {
    /// Figures of one operation's samples; `None` when it was never called.
    pub fn from_samples(samples: &OpSamples, catalog: &Catalog) -> Option<OpStats> {
        OpStats::from_durations(
            samples.op,
            &mut samples.durations.clone(),
            samples.self_us.iter().sum(),
            catalog,
        )
    }

    /// Figures of operation `op` from its calls' durations `d` (reordered in place by the
    /// selection of the percentiles) and the sum of their self times; `None` when it was
    /// never called.
    pub fn from_durations(
        op: OpId,
        d: &mut [f64],
        self_us: f64,
        catalog: &Catalog,
    ) -> Option<OpStats> {
        (!d.is_empty()).then(|| OpStats::named(op, d, self_us, catalog.info(op).clone()))
    }

    /// [`OpStats::from_durations`] for a called operation (`d` not empty), named by `info`
    /// (taken, not copied: a table of millions of operations holds each name once).
    fn named(op: OpId, d: &mut [f64], self_us: f64, info: OpInfo) -> OpStats {
        // Call order: the sum does not depend on the reordering the selection leaves.
        let total: f64 = d.iter().sum();
        let min = d.iter().copied().min_by(f64::total_cmp).unwrap_or(f64::NAN);
        let max = d.iter().copied().max_by(f64::total_cmp).unwrap_or(f64::NAN);
        let [p50, p90, p95, p99] = select_percentiles(d, [0.50, 0.90, 0.95, 0.99]);
        OpStats {
            op,
            name: info.key,
            function: info.function,
            file: info.file,
            origin: info.origin,
            line: info.line,
            count: d.len() as u64,
            total_us: total,
            self_us,
            mean_us: total / d.len() as f64,
            min_us: min,
            p50_us: p50,
            p90_us: p90,
            p95_us: p95,
            p99_us: p99,
            max_us: max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::KeyMode;
    use crate::ops::tree::tests::trace;

    /// Two runs: `step` takes 10 ms (with a 4 ms child), 30 and 20 ms in the first, 40 ms in
    /// the second.
    fn two_runs(catalog: &mut Catalog) -> Vec<CallTree> {
        let first = [
            ("main (a.py:1)", 0, 0.0, 100e3),
            ("step (a.py:2)", 0, 1e3, 10e3),
            ("inner (a.py:3)", 0, 2e3, 4e3),
            ("step (a.py:2)", 0, 20e3, 30e3),
            ("step (a.py:2)", 0, 60e3, 20e3),
        ];
        let second = [("step (a.py:2)", 0, 0.0, 40e3)];
        vec![
            CallTree::build(trace(&first), catalog),
            CallTree::build(trace(&second), catalog),
        ]
    }

    #[test]
    fn figures_of_an_operation_over_runs() {
        let mut catalog = Catalog::new(KeyMode::File);
        let trees = two_runs(&mut catalog);
        let step = catalog.lookup("step (a.py)").unwrap();
        let mut calls = collect_durations(&trees, &catalog);
        assert_eq!(calls.operations(), catalog.len());
        assert_eq!(calls.of(step), [10e3, 30e3, 20e3, 40e3]);
        let s = calls.stats(step, &catalog).unwrap();
        assert_eq!((s.name.as_str(), s.count), ("step (a.py)", 4));
        assert_eq!((s.file.as_deref(), s.line), (Some("a.py"), Some(2)));
        // numpy: mean 25, percentile([10, 20, 30, 40], [50, 90, 95, 99]) = 25, 37, 38.5, 39.7.
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert_eq!((s.total_us, s.min_us, s.max_us), (100e3, 10e3, 40e3));
        assert!(close(s.mean_us, 25e3), "{s:?}");
        assert!(close(s.p50_us, 25e3), "{s:?}");
        assert!(close(s.p90_us, 37e3), "{s:?}");
        assert!(close(s.p95_us, 38.5e3), "{s:?}");
        assert!(close(s.p99_us, 39.7e3), "{s:?}");
        // Self time: 100 ms less the 4 ms child.
        assert_eq!(s.self_us, 96e3);
        let main = catalog.lookup("main (a.py)").unwrap();
        assert_eq!(calls.of(main), [100e3]);
        let m = calls.stats(main, &catalog).unwrap();
        assert_eq!((m.count, m.total_us, m.self_us), (1, 100e3, 40e3));
        // The per-call samples give the same figures.
        let samples = collect_samples(&trees, &catalog);
        assert_eq!(samples[step as usize].run, [0, 0, 0, 1]);
        assert_eq!(
            OpStats::from_samples(&samples[step as usize], &catalog),
            Some(s)
        );
        // An operation with no call has no figures.
        assert_eq!(OpStats::from_durations(step, &mut [], 5.0, &catalog), None);
        let inner = catalog.lookup("inner (a.py)").unwrap();
        assert_eq!(calls.of(inner), [4e3]);
        // The calls of each operation are its own, whatever the order of first sight.
        assert_eq!(
            (0..catalog.len() as OpId)
                .map(|op| calls.of(op).len())
                .sum::<usize>(),
            6
        );
    }

    #[test]
    fn percentiles_match_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4, 10], [50, 90, 95, 99]) == [3, 7.6, 8.8, 9.76]
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(percentile(&v, 0.5), 3.0));
        assert!(close(percentile(&v, 0.9), 7.6));
        assert!(close(percentile(&v, 0.95), 8.8));
        assert!(close(percentile(&v, 0.99), 9.76));
        // The ends are the smallest and the largest value, and quantiles are clamped to them.
        assert_eq!((percentile(&v, 0.0), percentile(&v, 1.0)), (1.0, 10.0));
        assert_eq!((percentile(&v, -0.5), percentile(&v, 1.5)), (1.0, 10.0));
        assert!(close(percentile(&[2.0, 4.0], 0.25), 2.5));
        assert_eq!(percentile(&[7.0], 0.95), 7.0);
        assert!(percentile(&[], 0.5).is_nan());
    }

    #[test]
    fn selected_percentiles_are_bit_for_bit_those_of_the_sorted_values() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let qs = [0.0, 0.01, 0.5, 0.9, 0.95, 0.99, 1.0];
        for round in 0..2_000 {
            let n = (next() % 300) as usize;
            // Few distinct values in some rounds: ties, and both zeros.
            let distinct = if round % 3 == 0 { 4 } else { 1 << 20 };
            let values: Vec<f64> = (0..n)
                .map(|_| match next() % distinct {
                    0 => -0.0,
                    v => v as f64 / 7.0,
                })
                .collect();
            let sorted = sorted(&values);
            let mut scratch = values.clone();
            let selected = select_percentiles(&mut scratch, qs);
            for (q, got) in qs.iter().zip(selected) {
                let want = percentile(&sorted, *q);
                assert_eq!(got.to_bits(), want.to_bits(), "n={n} q={q} {values:?}");
            }
        }
    }
}
