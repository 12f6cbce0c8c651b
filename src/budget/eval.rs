//! Band evaluation: each budget's calls (pattern, file, `within` scope), its metric's value,
//! and the band it falls in: ≤ target on target, ≤ flag acceptable (warn), above flag flagged
//! (fail); no call at all is "no match" (warn, or fail with `require_match`). A `count`
//! budget with `at_least` is "too few" below it, before any band.

use rustc_hash::FxHashMap;

use crate::ops::identity::short_file;
use crate::ops::tree::ChildLinks;
use crate::ops::{CallTree, Catalog, NO_PARENT, OpId, Origin, memory, percentile};
use crate::outcome::{BudgetResult, BudgetStatus, Severity, Unit};

use crate::config::{Budget, Metric};

/// One call: (tree index, span index).
pub type CallRef = (usize, usize);

/// The calls of one budget, and what they add up to.
#[derive(Debug, Clone, Default)]
pub struct BudgetCalls {
    /// Calls in scope: per tree, their span indices ascending (4 bytes a call: a budget on
    /// a common operation has hundreds of thousands on a large trace).
    pub spans: Vec<Vec<u32>>,
    /// For `count_per_parent`: calls beneath each call of the `within` operation.
    pub per_parent: Vec<u64>,
}

impl BudgetCalls {
    /// The calls, in tree order.
    pub fn iter(&self) -> impl Iterator<Item = CallRef> + '_ {
        self.spans
            .iter()
            .enumerate()
            .flat_map(|(t, spans)| spans.iter().map(move |&i| (t, i as usize)))
    }

    /// The number of calls.
    pub fn len(&self) -> usize {
        self.spans.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.iter().all(Vec::is_empty)
    }
}

/// Which operations of the catalog a budget's pattern (and file pattern) select.
pub fn selected_ops(budget: &Budget, catalog: &Catalog) -> Vec<bool> {
    if budget.counter.is_some() {
        // A counter budget measures a counter series, no call.
        return vec![false; catalog.len()];
    }
    (0..catalog.len() as OpId)
        .map(|op| {
            let info = catalog.info(op);
            let file_ok = budget.file.as_ref().is_none_or(|f| {
                info.file
                    .as_deref()
                    .is_some_and(|path| f.is_match(path) || f.is_match(short_file(path)))
            });
            file_ok && budget.operation.matches_op(info)
        })
        .collect()
}

/// Gathers the calls of `budget` in `trees`, honouring its `within` scope.
pub fn budget_calls(budget: &Budget, trees: &[CallTree], catalog: &Catalog) -> BudgetCalls {
    let selected = selected_ops(budget, catalog);
    let within: Option<Vec<bool>> = budget.within.as_ref().map(|w| {
        (0..catalog.len() as OpId)
            .map(|op| w.matches_op(catalog.info(op)))
            .collect()
    });
    let mut spans = Vec::with_capacity(trees.len());
    let mut per_parent = Vec::new();
    for tree in trees {
        // Calls beneath each `within` instance of this tree, by span index.
        let mut counts: Vec<u64> = Vec::new();
        let mut slot: Vec<u32> = Vec::new();
        if let Some(w) = &within {
            slot = vec![NO_PARENT; tree.len()];
            for i in 0..tree.len() {
                if w[tree.ops[i] as usize] {
                    slot[i] = counts.len() as u32;
                    counts.push(0);
                }
            }
        }
        let mut calls: Vec<u32> =
            Vec::with_capacity(tree.ops.iter().filter(|&&op| selected[op as usize]).count());
        for i in 0..tree.len() {
            if !selected[tree.ops[i] as usize] {
                continue;
            }
            if within.is_some() {
                // The nearest enclosing instance owns the call.
                let Some(owner) = tree.ancestors(i).find(|&a| slot[a] != NO_PARENT) else {
                    continue;
                };
                counts[slot[owner] as usize] += 1;
            }
            calls.push(i as u32);
        }
        if within.is_some() {
            calls.shrink_to_fit();
        }
        spans.push(calls);
        per_parent.extend(counts);
    }
    BudgetCalls { spans, per_parent }
}

/// The value of `metric` over the calls; `None` when no call matched. `links` are the trees'
/// child links (for self times).
pub fn metric_value(
    metric: Metric,
    calls: &BudgetCalls,
    trees: &[CallTree],
    links: &[ChildLinks],
) -> Option<f64> {
    if calls.is_empty() {
        return None;
    }
    // Durations sorted ascending, collected only for the metrics that read them (sums are
    // taken over the sorted values, so they do not depend on the trees' order).
    let sorted = || {
        let mut d: Vec<f64> = calls.iter().map(|(t, i)| trees[t].spans[i].dur).collect();
        d.sort_unstable_by(f64::total_cmp);
        d
    };
    Some(match metric {
        Metric::P50 => percentile(&sorted(), 0.50),
        Metric::P90 => percentile(&sorted(), 0.90),
        Metric::P95 => percentile(&sorted(), 0.95),
        Metric::P99 => percentile(&sorted(), 0.99),
        Metric::Max => sorted()[calls.len() - 1],
        Metric::Mean => sorted().iter().sum::<f64>() / calls.len() as f64,
        Metric::Total => sorted().iter().sum(),
        // In call order, from -0.0 as `Iterator::sum` starts.
        Metric::SelfTime => calls
            .iter()
            .fold(-0.0, |sum, (t, i)| sum + links[t].self_time(i)),
        Metric::Count => calls.len() as f64,
        Metric::CountPerParent => calls.per_parent.iter().copied().max().unwrap_or(0) as f64,
        Metric::Gc => gc_during(calls, trees),
        // Metrics of counter series, not of calls (see `counter_value`).
        Metric::Min | Metric::Last | Metric::Growth => return None,
    })
}

/// The garbage-collection time inside the calls (collections that ran within one of them).
fn gc_during(calls: &BudgetCalls, trees: &[CallTree]) -> f64 {
    trees
        .iter()
        .zip(&calls.spans)
        .map(|(tree, spans)| memory::gc_within(tree, &memory::collections(tree), spans))
        .sum()
}

/// The value of a counter budget's metric over the counter's samples in `trees`.
pub fn counter_value(counter: &str, metric: Metric, trees: &[CallTree]) -> Option<f64> {
    let s = memory::counter_summary(trees, counter)?;
    Some(match metric {
        Metric::Min => s.min,
        Metric::Last => s.last,
        Metric::Growth => s.growth,
        _ => s.max,
    })
}

/// The band of a value.
pub fn band(value: f64, target: f64, flag: f64) -> BudgetStatus {
    if value <= target {
        BudgetStatus::OnTarget
    } else if value <= flag {
        BudgetStatus::Acceptable
    } else {
        BudgetStatus::Flagged
    }
}

/// Evaluates one budget into its report row.
pub fn evaluate_budget(
    budget: &Budget,
    calls: &BudgetCalls,
    trees: &[CallTree],
    catalog: &Catalog,
    links: &[ChildLinks],
    require_match: bool,
) -> BudgetResult {
    // No call is a count of 0: a dead-code gate (`count`, target 0) passes when the function
    // is never called. Every other metric of no calls is undefined.
    let value = match &budget.counter {
        Some(counter) => counter_value(counter, budget.metric, trees),
        None => metric_value(budget.metric, calls, trees, links)
            .or((budget.metric == Metric::Count).then_some(0.0)),
    };
    let status = value.map_or(BudgetStatus::NoMatch, |v| match budget.at_least {
        Some(low) if v < low.calls as f64 => BudgetStatus::TooFew,
        _ => band(v, budget.target, budget.flag),
    });
    let severity = match status {
        BudgetStatus::OnTarget => None,
        BudgetStatus::Acceptable => Some(Severity::Warn),
        BudgetStatus::Flagged => Some(Severity::Fail),
        BudgetStatus::TooFew => budget.at_least.map(|low| low.severity),
        BudgetStatus::NoMatch if require_match => Some(Severity::Fail),
        BudgetStatus::NoMatch => Some(Severity::Warn),
    };
    let ops = matched_ops(calls, trees);
    let first = ops.first().map(|&(op, _)| catalog.info(op));
    let mut operations: Vec<String> = ops
        .iter()
        .map(|&(op, _)| catalog.info(op).key.clone())
        .collect();
    operations.sort();
    BudgetResult {
        name: budget.name.clone(),
        metric: budget.metric.as_str().to_string(),
        unit: if budget.metric.is_count() || budget.counter.is_some() {
            Unit::Count
        } else {
            Unit::Us
        },
        value,
        target: budget.target.is_finite().then_some(budget.target),
        flag: budget.flag.is_finite().then_some(budget.flag),
        at_least: budget.at_least.map(|low| low.calls),
        status,
        severity,
        operations,
        pattern: budget.operation.text.clone(),
        samples: if budget.metric == Metric::CountPerParent {
            calls.per_parent.len() as u64
        } else {
            calls.len() as u64
        },
        file: first.and_then(|i| i.file.as_deref().map(str::to_string)),
        line: first.and_then(|i| i.line),
        origin: first.map_or(Origin::Unknown, |i| i.origin),
        within: budget.within.as_ref().map(|w| w.text.clone()),
        counter: budget.counter.clone(),
        did_you_mean: if ops.is_empty() && budget.counter.is_none() {
            nearest_names(&budget.operation.text, catalog)
        } else {
            Vec::new()
        },
    }
}

/// Operation keys whose function name is close to a pattern that matched nothing: at most
/// three, closest first (normalized Levenshtein similarity of at least 0.7, compared without
/// the pattern's wildcards and with the file part of the key dropped).
pub fn nearest_names(pattern: &str, catalog: &Catalog) -> Vec<String> {
    let wanted: String = pattern
        .chars()
        .filter(|c| !matches!(c, '*' | '?' | '[' | ']'))
        .collect::<String>()
        .to_lowercase();
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(f64, String)> = (0..catalog.len())
        .map(|op| catalog.info(op as OpId))
        .map(|info| {
            let name = info.function.to_lowercase();
            let last = name.rsplit('.').next().unwrap_or(&name).to_string();
            let score = strsim::normalized_levenshtein(&wanted, &name)
                .max(strsim::normalized_levenshtein(&wanted, &last));
            (score, info.key.clone())
        })
        .filter(|(score, _)| *score >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, key)| key).collect()
}

/// The operations of the calls with their call counts, most called first.
fn matched_ops(calls: &BudgetCalls, trees: &[CallTree]) -> Vec<(OpId, u64)> {
    let mut by_op: FxHashMap<OpId, u64> = FxHashMap::default();
    for (t, i) in calls.iter() {
        *by_op.entry(trees[t].ops[i]).or_default() += 1;
    }
    let mut counts: Vec<(OpId, u64)> = by_op.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::evaluation;

    /// Five calls of `step` (10, 20, 30, 100 and 40 ms: numpy gives p50 30, p90 76, p95 88,
    /// p99 97.6 ms), three beneath the first `handle` request, one (with a 15 ms child) beneath
    /// the second, one outside any request.
    const STEPS: [(&str, u32, f64, f64); 9] = [
        ("main (a.py:1)", 0, 0.0, 1000.0),
        ("handle (a.py:5)", 0, 0.0, 100.0),
        ("step (a.py:2)", 0, 1.0, 10.0),
        ("step (a.py:2)", 0, 20.0, 20.0),
        ("step (a.py:2)", 0, 50.0, 30.0),
        ("handle (a.py:5)", 0, 200.0, 150.0),
        ("step (a.py:2)", 0, 210.0, 100.0),
        ("inner (a.py:9)", 0, 215.0, 15.0),
        ("step (a.py:2)", 0, 400.0, 40.0),
    ];

    /// The row of one budget (`extra` lines added to its table) on `spans`.
    fn row(spans: &[(&str, u32, f64, f64)], metric: &str, extra: &str) -> BudgetResult {
        let bounds = if metric.starts_with("count") {
            "target = 1000\nflag = 1000\n"
        } else {
            "target = \"10s\"\nflag = \"10s\"\n"
        };
        let text = format!(
            "[[budget]]\nname = \"b\"\noperation = \"step\"\nmetric = \"{metric}\"\n{bounds}{extra}"
        );
        evaluation(spans, &text).budgets.remove(0)
    }

    #[test]
    fn every_metric_of_the_calls_is_its_own_figure() {
        let expected = [
            ("p50", 30_000.0),
            ("p90", 76_000.0),
            ("p95", 88_000.0),
            ("p99", 97_600.0),
            ("max", 100_000.0),
            ("mean", 40_000.0),
            ("total", 200_000.0),
            // The child `inner` is not the step's own time.
            ("self", 185_000.0),
            ("count", 5.0),
        ];
        for (metric, want) in expected {
            let r = row(&STEPS, metric, "");
            let got = r.value.unwrap();
            assert!((got - want).abs() < 1e-6, "{metric}: {got} != {want}");
            assert_eq!(r.samples, 5, "{metric}");
            let unit = if metric == "count" {
                Unit::Count
            } else {
                Unit::Us
            };
            assert_eq!(r.unit, unit, "{metric}");
            assert_eq!(r.operations, ["step (a.py)"], "{metric}");
            assert_eq!((r.file.as_deref(), r.line), (Some("a.py"), Some(2)));
        }
    }

    #[test]
    fn within_counts_only_the_calls_beneath_the_scope() {
        // 3 calls beneath the first request, 1 beneath the second: the largest is 3 (a mean
        // would say 2); the call outside any request is not counted.
        let r = row(&STEPS, "count_per_parent", "within = \"handle\"\n");
        assert_eq!((r.value, r.samples), (Some(3.0), 2));
        assert_eq!(r.unit, Unit::Count);
        assert_eq!(r.within.as_deref(), Some("handle"));
        let r = row(&STEPS, "count", "within = \"handle\"\n");
        assert_eq!((r.value, r.samples), (Some(4.0), 4));
        // numpy.percentile([10, 20, 30, 100], 50) == 25.
        let r = row(&STEPS, "p50", "within = \"handle\"\n");
        assert_eq!(r.value, Some(25_000.0));
    }

    #[test]
    fn the_nearest_enclosing_scope_owns_a_call() {
        // A request inside a request: the inner one owns the two calls beneath it.
        let spans = [
            ("handle (a.py:5)", 0, 0.0, 100.0),
            ("step (a.py:2)", 0, 1.0, 5.0),
            ("handle (a.py:5)", 0, 10.0, 50.0),
            ("step (a.py:2)", 0, 11.0, 5.0),
            ("step (a.py:2)", 0, 20.0, 5.0),
        ];
        let r = row(&spans, "count_per_parent", "within = \"handle\"\n");
        assert_eq!((r.value, r.samples), (Some(2.0), 2));
    }

    #[test]
    fn file_selects_the_operations_of_matching_files() {
        let spans = [
            ("main (a.py:1)", 0, 0.0, 1000.0),
            ("step (a.py:2)", 0, 1.0, 10.0),
            ("step (db/b.py:3)", 0, 20.0, 20.0),
            ("step (db/b.py:3)", 0, 50.0, 30.0),
        ];
        // By base name and by full path.
        for file in ["b.py", "db/*.py"] {
            let r = row(&spans, "total", &format!("file = \"{file}\"\n"));
            assert_eq!(r.value, Some(50_000.0), "{file}");
            assert_eq!(r.operations, ["step (b.py)"], "{file}");
        }
        let r = row(&spans, "count", "");
        assert_eq!(r.value, Some(3.0));
        // Sorted by key; the file and line are those of the most called operation.
        assert_eq!(r.operations, ["step (a.py)", "step (b.py)"]);
        assert_eq!((r.file.as_deref(), r.line), (Some("db/b.py"), Some(3)));
    }

    #[test]
    fn bands_set_the_severity_of_a_row() {
        // p50 is 30 ms.
        let at = |target: &str, flag: &str| {
            let text = format!(
                "[[budget]]\nname = \"b\"\noperation = \"step\"\nmetric = \"p50\"\n\
                 target = \"{target}\"\nflag = \"{flag}\"\n"
            );
            let r = evaluation(&STEPS, &text).budgets.remove(0);
            (r.status, r.severity)
        };
        assert_eq!(at("30ms", "40ms"), (BudgetStatus::OnTarget, None));
        assert_eq!(
            at("20ms", "30ms"),
            (BudgetStatus::Acceptable, Some(Severity::Warn))
        );
        assert_eq!(
            at("10ms", "20ms"),
            (BudgetStatus::Flagged, Some(Severity::Fail))
        );
    }

    #[test]
    fn a_budget_that_matches_nothing_warns_or_fails_and_suggests_names() {
        let text = "[[budget]]\nname = \"b\"\noperation = \"stepp\"\nmetric = \"p95\"\n\
                    target = \"1ms\"\nflag = \"2ms\"\n";
        let r = evaluation(&STEPS, text).budgets.remove(0);
        assert_eq!(r.value, None);
        assert_eq!(r.samples, 0);
        assert_eq!(
            (r.status, r.severity),
            (BudgetStatus::NoMatch, Some(Severity::Warn))
        );
        assert_eq!(r.did_you_mean, ["step (a.py)"]);
        let strict = format!("[defaults]\nrequire_match = true\n{text}");
        let r = evaluation(&STEPS, &strict).budgets.remove(0);
        assert_eq!(
            (r.status, r.severity),
            (BudgetStatus::NoMatch, Some(Severity::Fail))
        );
        // A dead-code gate: no call is a count of 0, on target.
        let dead = "[[budget]]\nname = \"b\"\noperation = \"legacy\"\nmetric = \"count\"\n\
                    target = 0\nflag = 0\n";
        let r = evaluation(&STEPS, dead).budgets.remove(0);
        assert_eq!(
            (r.value, r.status, r.severity),
            (Some(0.0), BudgetStatus::OnTarget, None)
        );
        assert!(r.did_you_mean.is_empty(), "{:?}", r.did_you_mean);
    }

    #[test]
    fn the_three_nearest_names_are_suggested_closest_first() {
        let did_you_mean = |functions: &[&str]| {
            let spans: Vec<(String, u32, f64, f64)> = functions
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("{f} (a.py:{i})"), 0, 10.0 * i as f64, 5.0))
                .collect();
            let spans: Vec<(&str, u32, f64, f64)> = spans
                .iter()
                .map(|(n, t, s, d)| (n.as_str(), *t, *s, *d))
                .collect();
            let text = "[[budget]]\nname = \"b\"\noperation = \"fetch_user*\"\n\
                        metric = \"max\"\ntarget = \"1ms\"\nflag = \"2ms\"\n\
                        file = \"nowhere.py\"\n";
            evaluation(&spans, text).budgets.remove(0).did_you_mean
        };
        // Similarity 1 (the pattern without its `*`), 0.91, 0.9 (the last dotted part), 0.9:
        // three are shown, ties by key.
        assert_eq!(
            did_you_mean(&[
                "render",
                "fetch_uses",
                "db.fetch_usr",
                "fetch_users",
                "fetch_user"
            ]),
            [
                "fetch_user (a.py)",
                "fetch_users (a.py)",
                "db.fetch_usr (a.py)"
            ]
        );
        // Three letters of ten changed is 0.7, the least that is shown; four is too far.
        assert_eq!(
            did_you_mean(&["fetch_uabc", "fetch_abcd"]),
            ["fetch_uabc (a.py)"]
        );
    }

    #[test]
    fn bands_include_their_upper_bound() {
        assert_eq!(band(800.0, 800.0, 1200.0), BudgetStatus::OnTarget);
        assert_eq!(band(800.1, 800.0, 1200.0), BudgetStatus::Acceptable);
        assert_eq!(band(1200.0, 800.0, 1200.0), BudgetStatus::Acceptable);
        assert_eq!(band(1200.1, 800.0, 1200.0), BudgetStatus::Flagged);
        // target == flag: no acceptable band.
        assert_eq!(band(5.0, 4.0, 4.0), BudgetStatus::Flagged);
    }
}
