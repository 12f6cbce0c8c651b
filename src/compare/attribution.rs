//! Why a regressed operation got slower: its change of inclusive time split into each direct
//! child's change under it and the change of its own code (self time), from the children
//! edges of the two [`Profile`](crate::ops::Profile)s.
//!
//! Inclusive time is self time plus the children's inclusive time, call by call, so the split
//! is exact in a sum or a mean: per run for the `total` metric, per call of the parent
//! otherwise ([`AttributionBasis`]). A child's share moves with its own speed and with how
//! often the parent calls it (`calls_per_parent_before/after`), so "call_claude +290ms (now
//! called 2.0× per call)" and "traverse_graph +18ms" come out of the same sum; the children
//! not listed are summed in `other_children_us`, so the lines add up to `change_us`.

use std::collections::BTreeSet;

use crate::ops::{ChildEdge, OpProfile};
use crate::outcome::{Attribution, AttributionBasis, Contribution, Metric};

use super::diff::Sides;

/// Children shown at most per regressed operation.
pub const MAX_CONTRIBUTIONS: usize = 5;

/// A child is shown when it adds at least this share of the children's total growth.
const MIN_SHARE: f64 = 0.02;

/// Where the change of `name` went (on both sides), in the basis that explains a row judged
/// on `metric`; `None` for the `self` metric or an operation one side lacks.
pub fn attribute(name: &str, sides: &Sides, metric: Metric) -> Option<Attribution> {
    let basis = AttributionBasis::of(metric)?;
    let b = sides.before.operations.get(name)?;
    let a = sides.after.operations.get(name)?;
    let per_b = Per::new(basis, b, sides.before.runs);
    let per_a = Per::new(basis, a, sides.after.runs);
    let children: BTreeSet<&String> = b.children.keys().chain(a.children.keys()).collect();
    let mut all: Vec<Contribution> = children
        .into_iter()
        .map(|child| contribution(child, (b, per_b), (a, per_a)))
        .collect();
    all.sort_by(|x, y| {
        y.delta_us
            .total_cmp(&x.delta_us)
            .then(x.operation.cmp(&y.operation))
    });
    let growth: f64 = all.iter().map(|c| c.delta_us.max(0.0)).sum();
    let shown = |i: usize, c: &Contribution| {
        i < MAX_CONTRIBUTIONS && c.delta_us > 0.0 && c.delta_us >= MIN_SHARE * growth
    };
    let (listed, others): (Vec<_>, Vec<_>) =
        all.into_iter().enumerate().partition(|(i, c)| shown(*i, c));
    Some(Attribution {
        basis,
        change_us: per_a.of(a.total_us) - per_b.of(b.total_us),
        children: listed.into_iter().map(|(_, c)| c).collect(),
        other_children_us: others.iter().map(|(_, c)| c.delta_us).sum(),
        own_code_us: per_a.of(a.self_us) - per_b.of(b.self_us),
    })
}

/// What a side's sums are divided by to be in the basis: its runs, or the parent's calls.
#[derive(Debug, Clone, Copy)]
struct Per(f64);

impl Per {
    fn new(basis: AttributionBasis, parent: &OpProfile, runs: u32) -> Per {
        Per(match basis {
            AttributionBasis::TotalPerRun => f64::from(runs.max(1)),
            AttributionBasis::MeanPerCall => parent.count.max(1) as f64,
        })
    }

    fn of(self, sum: f64) -> f64 {
        sum / self.0
    }
}

/// One child's change under the parent, in the basis, and its calls per parent call.
fn contribution(
    child: &str,
    (before, per_b): (&OpProfile, Per),
    (after, per_a): (&OpProfile, Per),
) -> Contribution {
    let none = ChildEdge::default();
    let eb = before.children.get(child).unwrap_or(&none);
    let ea = after.children.get(child).unwrap_or(&none);
    let per_parent = |v: f64, parent: &OpProfile| v / parent.count.max(1) as f64;
    let per_call = |e: &ChildEdge| {
        if e.calls == 0 {
            f64::NAN
        } else {
            e.total_us / e.calls as f64
        }
    };
    Contribution {
        operation: child.to_string(),
        delta_us: per_a.of(ea.total_us) - per_b.of(eb.total_us),
        calls_per_parent_before: per_parent(eb.calls as f64, before),
        calls_per_parent_after: per_parent(ea.calls as f64, after),
        delta_per_call_us: per_call(ea) - per_call(eb),
        self_delta_us: per_a.of(ea.self_us) - per_b.of(eb.self_us),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Profile;

    fn op(count: u64, children: &[(&str, u64, f64)]) -> OpProfile {
        let children_us: f64 = children.iter().map(|c| c.2).sum();
        OpProfile {
            count,
            // 100 us of own code per call.
            self_us: 100.0 * count as f64,
            total_us: 100.0 * count as f64 + children_us,
            children: children
                .iter()
                .map(|&(k, calls, total)| {
                    (
                        k.to_string(),
                        ChildEdge {
                            calls,
                            total_us: total,
                            self_us: total / 2.0,
                        },
                    )
                })
                .collect(),
            ..OpProfile::default()
        }
    }

    fn profile(parent: OpProfile) -> Profile {
        Profile {
            runs: 1,
            operations: [("parent".to_string(), parent)].into_iter().collect(),
            ..Profile::default()
        }
    }

    #[test]
    fn doubled_calls_and_slower_child_are_ranked_by_contribution() {
        // 10 parent calls: "llm" goes from 1 to 2 calls per parent call at 400 us each,
        // "walk" from 30 to 48 us per call, "tiny" does not change.
        let before = profile(op(
            10,
            &[("llm", 10, 4000.0), ("walk", 10, 300.0), ("tiny", 10, 5.0)],
        ));
        let after = profile(op(
            10,
            &[("llm", 20, 8000.0), ("walk", 10, 480.0), ("tiny", 10, 5.0)],
        ));
        let sides = Sides {
            before: &before,
            after: &after,
            after_scale: 1.0,
        };
        let split = attribute("parent", &sides, Metric::P95).unwrap();
        assert_eq!(split.basis, AttributionBasis::MeanPerCall);
        let c = &split.children;
        let names: Vec<&str> = c.iter().map(|c| c.operation.as_str()).collect();
        assert_eq!(names, ["llm", "walk"]);
        // The lines add up to the parent's change per call: 400 + 18 + 0 (tiny) + 0 (own).
        assert_eq!(split.change_us, 418.0);
        assert_eq!(split.other_children_us, 0.0);
        assert_eq!(split.own_code_us, 0.0);
        assert_eq!(c[0].delta_us, 400.0);
        assert_eq!(
            (c[0].calls_per_parent_before, c[0].calls_per_parent_after),
            (1.0, 2.0)
        );
        assert_eq!(c[0].delta_per_call_us, 0.0);
        assert_eq!(c[1].delta_us, 18.0);
        assert_eq!(c[1].delta_per_call_us, 18.0);
    }

    #[test]
    fn a_new_child_contributes_everything_it_costs() {
        let before = profile(op(4, &[]));
        let after = profile(op(4, &[("get_prerequisite", 32, 800.0)]));
        let sides = Sides {
            before: &before,
            after: &after,
            after_scale: 1.0,
        };
        let split = attribute("parent", &sides, Metric::Mean).unwrap();
        let c = &split.children;
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].delta_us, 200.0);
        assert_eq!(c[0].calls_per_parent_after, 8.0);
        assert!(c[0].delta_per_call_us.is_nan());
        assert_eq!(split.change_us, 200.0);
    }

    #[test]
    fn per_run_totals_split_with_the_parents_own_code_and_the_rest() {
        // 2 runs per side; the parent is called twice as often after (8 → 16 calls), its own
        // code costs 100 us a call, "a" and six small children share the rest.
        let small: Vec<(String, u64, f64)> = (0..6)
            .map(|i| (format!("s{i}"), 8, 8.0 * (i + 1) as f64))
            .collect();
        let with = |a_us: f64, scale: f64, count: u64| {
            let mut children = vec![("a", count, a_us)];
            children.extend(small.iter().map(|(k, c, t)| (k.as_str(), *c, t * scale)));
            op(count, &children)
        };
        let mut before = profile(with(800.0, 1.0, 8));
        let mut after = profile(with(4000.0, 3.0, 16));
        before.runs = 2;
        after.runs = 2;
        let sides = Sides {
            before: &before,
            after: &after,
            after_scale: 1.0,
        };
        let split = attribute("parent", &sides, Metric::Total).unwrap();
        assert_eq!(split.basis, AttributionBasis::TotalPerRun);
        // Own code: 100 us × 8 more calls per run.
        assert_eq!(split.own_code_us, 400.0);
        // Per run: "a" +1600 us, the small ones +8 to +48 us of a growth of 1768 us: those
        // of at least 2 % (35.36 us) are listed, the rest summed.
        let listed: Vec<(&str, f64)> = split
            .children
            .iter()
            .map(|c| (c.operation.as_str(), c.delta_us))
            .collect();
        assert_eq!(listed, [("a", 1600.0), ("s5", 48.0), ("s4", 40.0)]);
        assert_eq!(split.other_children_us, 8.0 + 16.0 + 24.0 + 32.0);
        assert_eq!(split.change_us, 1600.0 + 48.0 + 40.0 + 80.0 + 400.0);
        let listed: f64 = split.children.iter().map(|c| c.delta_us).sum();
        let sum = listed + split.other_children_us + split.own_code_us;
        assert!((sum - split.change_us).abs() < 1e-9, "{sum} vs {split:?}");
        // The self metric has no children's share.
        assert!(attribute("parent", &sides, Metric::SelfTime).is_none());
    }

    #[test]
    fn at_most_five_children_are_listed_and_none_that_did_not_grow() {
        // Seven children that each got 10 us slower per parent call: five are listed, the
        // other two summed.
        let names: Vec<String> = (0..7).map(|i| format!("c{i}")).collect();
        let edges = |us: f64| -> Vec<(&str, u64, f64)> {
            names.iter().map(|n| (n.as_str(), 1, us)).collect()
        };
        let before = profile(op(1, &edges(100.0)));
        let after = profile(op(1, &edges(110.0)));
        let sides = Sides {
            before: &before,
            after: &after,
            after_scale: 1.0,
        };
        let split = attribute("parent", &sides, Metric::Mean).unwrap();
        let listed: Vec<&str> = split
            .children
            .iter()
            .map(|c| c.operation.as_str())
            .collect();
        assert_eq!(listed, ["c0", "c1", "c2", "c3", "c4"]);
        assert_eq!(split.other_children_us, 20.0);
        // Nothing changed: no child is a cause.
        let sides = Sides {
            before: &before,
            after: &before,
            after_scale: 1.0,
        };
        let split = attribute("parent", &sides, Metric::P95).unwrap();
        assert!(split.children.is_empty(), "{:?}", split.children);
        assert_eq!((split.change_us, split.other_children_us), (0.0, 0.0));
    }

    #[test]
    fn each_side_is_divided_by_its_own_parent_calls() {
        // 4 parent calls before, 12 after (three times the traffic): the child costs 100 µs
        // per parent call on both sides before "walk" gets 50 µs slower per parent call.
        let before = profile(op(4, &[("walk", 4, 400.0)]));
        let after = profile(op(12, &[("walk", 12, 1800.0)]));
        let sides = Sides {
            before: &before,
            after: &after,
            after_scale: 1.0,
        };
        let split = attribute("parent", &sides, Metric::Mean).unwrap();
        assert_eq!(split.basis, AttributionBasis::MeanPerCall);
        let c = &split.children;
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].delta_us, 50.0);
        assert_eq!(
            (c[0].calls_per_parent_before, c[0].calls_per_parent_after),
            (1.0, 1.0)
        );
        assert_eq!(c[0].delta_per_call_us, 50.0);
        // Self times of the edges (half the inclusive time here) the same way.
        assert_eq!(c[0].self_delta_us, 25.0);
    }
}
