//! The two-sample statistics of a comparison: the Mann–Whitney U test (two-sided) and the
//! Hodges–Lehmann shift estimate with its distribution-free confidence interval.
//!
//! Conventions follow `scipy.stats.mannwhitneyu(x, y, alternative="two-sided")` so the test
//! vectors made by scipy check them: `x` is the before sample, `y` the after sample, and `U` is
//! the U of `x` (pairs with `x_i > y_j`, plus one half per tie).
//!
//! - Normal approximation: `z = (max(U, n1 n2 - U) - n1 n2 / 2 - 0.5) / σ` with the tie-corrected
//!   `σ² = n1 n2 / 12 · ((n + 1) - Σ(t³ - t) / (n (n - 1)))`, `p = 2 · P(Z > z)`, at most 1.
//! - Exact: when there are no ties and `n1 · n2 ≤` [`EXACT_MAX_PAIRS`], the null distribution of
//!   U is counted by dynamic programming and `p = 2 · P(U ≥ max(U, n1 n2 - U))`, at most 1.
//! - Hodges–Lehmann: the median of all differences `y_j - x_i`; the confidence interval takes
//!   the `k`-th smallest and `k`-th largest differences, `k` from the normal approximation of
//!   U's null distribution (Lehmann, *Nonparametrics*, 1975, §2.6). Large samples are first
//!   thinned to evenly spaced order statistics (deterministic) to bound the pairs.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use statrs::function::factorial::ln_binomial;

/// Largest `n1 · n2` for which the exact distribution is counted (the count costs about
/// `(n1 · n2)²` additions, so this keeps it under a millisecond).
pub const EXACT_MAX_PAIRS: usize = 400;

/// Most pairwise differences the Hodges–Lehmann estimate uses; larger samples are thinned.
const MAX_PAIRS: usize = 1 << 18;

/// How a p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Counted null distribution (small samples without ties).
    Exact,
    /// Normal approximation with tie and continuity correction.
    Asymptotic,
}

/// The result of a Mann–Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U of the first sample.
    pub u_x: f64,
    /// Two-sided p-value by `method`.
    pub p_value: f64,
    pub method: Method,
}

/// Two-sided Mann–Whitney U test of `x` (before) against `y` (after); `None` when a sample is
/// empty. Exact for small samples without ties, the normal approximation otherwise.
pub fn mann_whitney(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let ranked = rank(x, y);
    let (n1, n2) = (x.len(), y.len());
    let exact = !ranked.has_ties && n1 * n2 <= EXACT_MAX_PAIRS;
    let (p_value, method) = if exact {
        (p_exact(ranked.u_x, n1, n2), Method::Exact)
    } else {
        (
            p_asymptotic(ranked.u_x, n1, n2, ranked.tie_term),
            Method::Asymptotic,
        )
    };
    Some(MannWhitney {
        u_x: ranked.u_x,
        p_value,
        method,
    })
}

/// U of `x` and the tie term Σ(t³ - t) of the pooled sample.
struct Ranked {
    u_x: f64,
    tie_term: f64,
    has_ties: bool,
}

/// Ranks the pooled sample (average ranks for ties). Sorted samples (a profile's durations
/// always are) are merged in one pass; others are sorted first.
fn rank(x: &[f64], y: &[f64]) -> Ranked {
    let ascending = |v: &[f64]| v.is_sorted_by(|a, b| a.total_cmp(b).is_le());
    match (ascending(x), ascending(y)) {
        (true, true) => rank_sorted(x, y),
        _ => rank_sorted(&sorted_copy(x), &sorted_copy(y)),
    }
}

fn sorted_copy(v: &[f64]) -> Vec<f64> {
    let mut v = v.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// [`rank`] of two ascending samples: walks them as one merged sequence, a group of equal
/// values at a time (the groups, their ranks and the order of the sums are those of sorting
/// the pooled sample).
fn rank_sorted(x: &[f64], y: &[f64]) -> Ranked {
    let (mut i, mut j) = (0, 0);
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0;
    let mut before = 0usize; // values ranked so far
    while i < x.len() || j < y.len() {
        // The group starts at the smaller head and takes every following value equal to it.
        let from_x = j == y.len() || (i < x.len() && x[i].total_cmp(&y[j]).is_le());
        let v = if from_x { x[i] } else { y[j] };
        let (mut in_x, mut in_y) = (usize::from(from_x), usize::from(!from_x));
        i += in_x;
        j += in_y;
        while i < x.len() && x[i] == v {
            i += 1;
            in_x += 1;
        }
        while j < y.len() && y[j] == v {
            j += 1;
            in_y += 1;
        }
        let size = in_x + in_y;
        // Ranks before+1 ..= before+size share their average.
        let average = (before + 1 + before + size) as f64 / 2.0;
        rank_sum_x += average * in_x as f64;
        let t = size as f64;
        tie_term += t * t * t - t;
        before += size;
    }
    let n1 = x.len() as f64;
    Ranked {
        u_x: rank_sum_x - n1 * (n1 + 1.0) / 2.0,
        tie_term,
        has_ties: tie_term > 0.0,
    }
}

/// Two-sided p-value by the normal approximation, tie- and continuity-corrected (scipy's
/// `method="asymptotic", use_continuity=True`).
pub fn p_asymptotic(u_x: f64, n1: usize, n2: usize, tie_term: f64) -> f64 {
    let (a, b) = (n1 as f64, n2 as f64);
    let n = a + b;
    let mu = a * b / 2.0;
    let variance = a * b / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 || !variance.is_finite() {
        // Every value equal: no evidence of any shift.
        return 1.0;
    }
    let u = u_x.max(a * b - u_x);
    let z = (u - mu - 0.5) / variance.sqrt();
    (2.0 * Normal::standard().sf(z)).min(1.0)
}

/// Two-sided exact p-value of U for samples of sizes `n1`, `n2` without ties.
pub fn p_exact(u_x: f64, n1: usize, n2: usize) -> f64 {
    let counts = u_distribution(n1, n2);
    let total: f64 = counts.iter().sum();
    let max_u = n1 * n2;
    let u = u_x.max(max_u as f64 - u_x).round() as usize;
    let upper: f64 = counts[u.min(max_u)..].iter().sum();
    (2.0 * upper / total).min(1.0)
}

/// How many arrangements of `m` x's and `n` y's give each U = 0..=m·n, by the recurrence
/// `N(m, n, u) = N(m - 1, n, u - n) + N(m, n - 1, u)` (the largest value is an x, which beats
/// all n y's, or a y, which beats none).
fn u_distribution(m: usize, n: usize) -> Vec<f64> {
    // table[j] holds N(i, j, ·) for the current i.
    let mut table: Vec<Vec<f64>> = (0..=n).map(|_| vec![1.0]).collect();
    for i in 1..=m {
        let mut next: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
        next.push(vec![1.0]); // N(i, 0, ·): only U = 0
        for j in 1..=n {
            let mut row = vec![0.0; i * j + 1];
            for (u, &c) in table[j].iter().enumerate() {
                row[u + j] += c; // from N(i - 1, j, u)
            }
            for (u, &c) in next[j - 1].iter().enumerate() {
                row[u] += c; // from N(i, j - 1, u)
            }
            next.push(row);
        }
        table = next;
    }
    table.swap_remove(n)
}

/// The Hodges–Lehmann shift of `y` against `x` and its confidence interval, µs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shift {
    /// Median of `y_j - x_i` over all pairs.
    pub estimate: f64,
    /// Confidence interval at the level asked for.
    pub ci: (f64, f64),
}

/// The Hodges–Lehmann estimate of the shift from sorted `x` to sorted `y`, with a
/// `confidence` (e.g. 0.99) interval; `None` when a sample is empty.
pub fn hodges_lehmann(x_sorted: &[f64], y_sorted: &[f64], confidence: f64) -> Option<Shift> {
    if x_sorted.is_empty() || y_sorted.is_empty() {
        return None;
    }
    let (x, y) = thin_to_pairs(x_sorted, y_sorted, MAX_PAIRS);
    let mut d: Vec<f64> = y
        .iter()
        .flat_map(|&b| x.iter().map(move |&a| b - a))
        .collect();
    let estimate = median(&mut d);
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let z = Normal::standard().inverse_cdf(1.0 - (1.0 - confidence) / 2.0);
    let half_width = z * (n1 * n2 * (n1 + n2 + 1.0) / 12.0).sqrt();
    // k-th smallest and k-th largest difference (1-based); too few pairs: the whole range.
    let k = (n1 * n2 / 2.0 - half_width).floor().max(1.0) as usize;
    let last = d.len() - 1;
    let ci = (
        order_statistic(&mut d, k - 1),
        order_statistic(&mut d, last + 1 - k),
    );
    Some(Shift { estimate, ci })
}

/// The value of rank `i` (0-based) in ascending order: selection, not a full sort (the pairs
/// of two large samples number 2^18).
fn order_statistic(v: &mut [f64], i: usize) -> f64 {
    *v.select_nth_unstable_by(i, f64::total_cmp).1
}

fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n % 2 == 1 {
        order_statistic(v, n / 2)
    } else {
        let (lower, upper, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
        // The largest value below the upper middle is the lower middle.
        let below = lower.iter().copied().max_by(f64::total_cmp);
        (below.unwrap_or(*upper) + *upper) / 2.0
    }
}

/// Evenly spaced order statistics of both samples so that their pairs fit in `max_pairs`;
/// the samples themselves when they already fit.
fn thin_to_pairs(x: &[f64], y: &[f64], max_pairs: usize) -> (Vec<f64>, Vec<f64>) {
    if x.len() * y.len() <= max_pairs {
        return (x.to_vec(), y.to_vec());
    }
    let side = (max_pairs as f64).sqrt() as usize;
    let keep = |v: &[f64], k: usize| -> Vec<f64> {
        if v.len() <= k {
            return v.to_vec();
        }
        (0..k)
            .map(|i| v[(i as f64 * (v.len() - 1) as f64 / (k - 1) as f64).round() as usize])
            .collect()
    };
    // Give a short sample all its values and the long one the rest of the budget.
    let (kx, ky) = if x.len() < side {
        (x.len(), max_pairs / x.len())
    } else if y.len() < side {
        (max_pairs / y.len(), y.len())
    } else {
        (side, side)
    };
    (keep(x, kx), keep(y, ky))
}

/// One-sided Fisher exact test that the after sample has a larger share of calls above a
/// threshold than the before sample: `after_above` of `after_n` against `before_above` of
/// `before_n` (scipy `fisher_exact([[after_above, after_n - after_above], [before_above,
/// before_n - before_above]], alternative="greater")`). The hypergeometric tail is summed in
/// logs, so large counts do not overflow.
pub fn fisher_greater(after_above: u64, after_n: u64, before_above: u64, before_n: u64) -> f64 {
    let total = after_n + before_n;
    let above = after_above + before_above;
    let ln_all = ln_binomial(total, after_n);
    let hi = above.min(after_n);
    let lo = after_above.max((after_n + above).saturating_sub(total));
    let p: f64 = (lo..=hi)
        .map(|k| (ln_binomial(above, k) + ln_binomial(total - above, after_n - k) - ln_all).exp())
        .sum();
    p.clamp(0.0, 1.0)
}

/// One-sided Welch t test that the mean of `after` exceeds the mean of `before` (scipy
/// `ttest_ind(after, before, equal_var=False, alternative="greater")`); `None` with fewer than
/// 2 values on a side. With no spread on either side, 0 when after's mean is larger, else 1.
pub fn welch_greater(after: &[f64], before: &[f64]) -> Option<f64> {
    let (na, nb) = (after.len(), before.len());
    if na < 2 || nb < 2 {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let var =
        |v: &[f64], m: f64| v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
    let (ma, mb) = (mean(after), mean(before));
    let (va, vb) = (var(after, ma) / na as f64, var(before, mb) / nb as f64);
    let se2 = va + vb;
    if se2 <= 0.0 {
        return Some(if ma > mb { 0.0 } else { 1.0 });
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / (va * va / (na - 1) as f64 + vb * vb / (nb - 1) as f64);
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some((1.0 - dist.cdf(t)).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn verdict_vectors() -> Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/vectors/verdict_tests.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn fisher_and_welch_match_scipy() {
        let v = verdict_vectors();
        let close = |a: f64, b: f64, what: &str| {
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1e-12) || (a - b).abs() < 1e-12,
                "{what}: ours {a}, scipy {b}"
            )
        };
        let fisher = v["fisher"].as_array().unwrap();
        assert!(fisher.len() >= 8);
        for c in fisher {
            let n = |k: &str| c[k].as_u64().unwrap();
            let ours = fisher_greater(n("a_above"), n("a_n"), n("b_above"), n("b_n"));
            close(ours, c["p"].as_f64().unwrap(), &format!("fisher {c}"));
        }
        let welch = v["welch"].as_array().unwrap();
        assert!(welch.len() >= 5);
        for c in welch {
            let f = |k: &str| -> Vec<f64> {
                c[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect()
            };
            let ours = welch_greater(&f("la"), &f("lb")).unwrap();
            let theirs = c["p"].as_f64().unwrap();
            assert!(
                (ours - theirs).abs() < 1e-9,
                "welch: ours {ours}, scipy {theirs}"
            );
        }
    }

    fn vectors() -> Vec<Value> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/vectors/mannwhitneyu.json"
        );
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        doc["cases"].as_array().unwrap().clone()
    }

    fn floats(v: &Value) -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_f64().unwrap())
            .collect()
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-12)
    }

    #[test]
    fn u_and_asymptotic_p_match_scipy() {
        let cases = vectors();
        assert!(cases.len() >= 13, "the vectors file has its cases");
        for c in cases {
            let name = c["name"].as_str().unwrap();
            let (x, y) = (floats(&c["x"]), floats(&c["y"]));
            let r = rank(&x, &y);
            assert_eq!(r.u_x, c["u_x"].as_f64().unwrap(), "{name}: U");
            assert_eq!(r.has_ties, c["has_ties"].as_bool().unwrap(), "{name}: ties");
            let p = p_asymptotic(r.u_x, x.len(), y.len(), r.tie_term);
            let want = c["p_asymptotic"].as_f64().unwrap();
            assert!(close(p, want, 1e-9), "{name}: p {p} vs scipy {want}");
        }
    }

    #[test]
    fn exact_p_matches_scipy_and_is_chosen_for_small_untied_samples() {
        let mut checked = 0;
        for c in vectors().iter().filter(|c| !c["p_exact"].is_null()) {
            let name = c["name"].as_str().unwrap();
            let (x, y) = (floats(&c["x"]), floats(&c["y"]));
            let r = mann_whitney(&x, &y).unwrap();
            assert_eq!(r.method, Method::Exact, "{name}");
            let want = c["p_exact"].as_f64().unwrap();
            assert!(
                close(r.p_value, want, 1e-12),
                "{name}: {} vs {want}",
                r.p_value
            );
            checked += 1;
        }
        assert!(checked >= 4);
    }

    #[test]
    fn ties_force_the_normal_approximation() {
        for c in vectors()
            .iter()
            .filter(|c| c["has_ties"].as_bool().unwrap())
        {
            let r = mann_whitney(&floats(&c["x"]), &floats(&c["y"])).unwrap();
            assert_eq!(r.method, Method::Asymptotic);
            let want = c["p_asymptotic"].as_f64().unwrap();
            assert!(close(r.p_value, want, 1e-9));
        }
    }

    #[test]
    fn hodges_lehmann_matches_numpy_median_of_differences() {
        for c in vectors() {
            let name = c["name"].as_str().unwrap();
            let mut x = floats(&c["x"]);
            let mut y = floats(&c["y"]);
            x.sort_by(f64::total_cmp);
            y.sort_by(f64::total_cmp);
            let s = hodges_lehmann(&x, &y, 0.99).unwrap();
            let want = c["hodges_lehmann"].as_f64().unwrap();
            assert!(
                (s.estimate - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{name}: {} vs {want}",
                s.estimate
            );
            assert!(
                s.ci.0 <= s.estimate && s.estimate <= s.ci.1,
                "{name}: {s:?}"
            );
        }
    }

    #[test]
    fn confidence_interval_covers_a_constant_shift_and_excludes_zero() {
        let x: Vec<f64> = (0..30).map(|i| 100.0 + (i * 7 % 30) as f64).collect();
        let mut x = x;
        x.sort_by(f64::total_cmp);
        let y: Vec<f64> = x.iter().map(|v| v + 50.0).collect();
        let s = hodges_lehmann(&x, &y, 0.99).unwrap();
        assert_eq!(s.estimate, 50.0);
        assert!(s.ci.0 > 0.0 && s.ci.0 <= 50.0 && s.ci.1 >= 50.0, "{s:?}");
    }

    #[test]
    fn exact_distribution_sums_to_the_binomial_coefficient() {
        // C(8 + 6, 6) = 3003 arrangements; U is symmetric around n1 n2 / 2.
        let d = u_distribution(8, 6);
        assert_eq!(d.iter().sum::<f64>(), 3003.0);
        assert_eq!(d.len(), 49);
        for u in 0..d.len() {
            assert_eq!(d[u], d[48 - u]);
        }
    }

    #[test]
    fn thinning_keeps_extremes_and_bounds_pairs() {
        let x: Vec<f64> = (0..5000).map(f64::from).collect();
        let y: Vec<f64> = (0..3000).map(|v| f64::from(v) + 10.0).collect();
        let (a, b) = thin_to_pairs(&x, &y, 10_000);
        assert!(a.len() * b.len() <= 10_000);
        assert_eq!((a[0], *a.last().unwrap()), (0.0, 4999.0));
        assert_eq!((b[0], *b.last().unwrap()), (10.0, 3009.0));
    }

    /// Rank sums by sorting the pooled sample, as the definition reads.
    fn rank_by_pooled_sort(x: &[f64], y: &[f64]) -> (f64, f64) {
        let mut pooled: Vec<(f64, bool)> = x.iter().map(|&v| (v, true)).collect();
        pooled.extend(y.iter().map(|&v| (v, false)));
        pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut sum_x, mut ties, mut i) = (0.0, 0.0, 0);
        while i < pooled.len() {
            let mut j = i + 1;
            while j < pooled.len() && pooled[j].0 == pooled[i].0 {
                j += 1;
            }
            let in_x = pooled[i..j].iter().filter(|p| p.1).count();
            sum_x += (i + 1 + j) as f64 / 2.0 * in_x as f64;
            let t = (j - i) as f64;
            ties += t * t * t - t;
            i = j;
        }
        let n1 = x.len() as f64;
        (sum_x - n1 * (n1 + 1.0) / 2.0, ties)
    }

    /// Deterministic pseudo-random durations with many ties, and both zeros.
    fn noisy(n: usize, seed: u64, scale: f64) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match i % 97 {
                    0 => -0.0,
                    1 => 0.0,
                    _ => ((state >> 40) % 200) as f64 * scale,
                }
            })
            .collect()
    }

    #[test]
    fn merged_ranks_and_selected_quantiles_equal_the_sorting_definitions() {
        for (n1, n2, seed) in [(1, 1, 1), (7, 30, 2), (1000, 1500, 3), (4000, 900, 4)] {
            let (x, y) = (noisy(n1, seed, 0.25), noisy(n2, seed + 10, 0.3));
            for (a, b) in [(&x, &y), (&y, &x)] {
                let (u, ties) = rank_by_pooled_sort(a, b);
                let (mut sa, mut sb) = (a.clone(), b.clone());
                sa.sort_by(f64::total_cmp);
                sb.sort_by(f64::total_cmp);
                for r in [rank(a, b), rank(&sa, &sb)] {
                    assert_eq!((r.u_x, r.tie_term), (u, ties), "{n1} {n2}");
                }
                // Hodges–Lehmann by a full sort of the (thinned) differences.
                let (tx, ty) = thin_to_pairs(&sa, &sb, MAX_PAIRS);
                let mut d: Vec<f64> = ty
                    .iter()
                    .flat_map(|&q| tx.iter().map(move |&p| q - p))
                    .collect();
                d.sort_by(f64::total_cmp);
                let m = d.len();
                let want = if m % 2 == 1 {
                    d[m / 2]
                } else {
                    (d[m / 2 - 1] + d[m / 2]) / 2.0
                };
                let s = hodges_lehmann(&sa, &sb, 0.99).unwrap();
                assert_eq!(s.estimate.to_bits(), want.to_bits(), "{n1} {n2}");
                let (f1, f2) = (tx.len() as f64, ty.len() as f64);
                let z = Normal::standard().inverse_cdf(0.995);
                let half = z * (f1 * f2 * (f1 + f2 + 1.0) / 12.0).sqrt();
                let k = (f1 * f2 / 2.0 - half).floor().max(1.0) as usize;
                let ci = (d[k - 1].to_bits(), d[m - k].to_bits());
                assert_eq!((s.ci.0.to_bits(), s.ci.1.to_bits()), ci, "{n1} {n2}");
            }
        }
    }

    #[test]
    fn empty_samples_have_no_test() {
        assert!(mann_whitney(&[], &[1.0]).is_none());
        assert!(hodges_lehmann(&[1.0], &[], 0.99).is_none());
    }
}
