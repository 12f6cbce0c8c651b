//! Why a regressed operation got slower: the change of each direct child's inclusive time per
//! call of the parent, from the children edges of the two [`Profile`](crate::ops::Profile)s.
//!
//! Per parent call, a child contributes `child inclusive time / parent calls`; its contribution
//! to the change is that figure after minus before. It moves with the child's own speed and
//! with how often the parent calls it (`calls_per_parent_before/after`), so "call_claude +290ms
//! (now called 2.0× per call)" and "traverse_graph +18ms" come out of the same sum.

use std::collections::BTreeSet;

use crate::ops::{ChildEdge, OpProfile};
use crate::outcome::Contribution;

use super::diff::Sides;

/// Children shown at most per regressed operation.
pub const MAX_CONTRIBUTIONS: usize = 5;

/// A child is shown when it adds at least this share of the children's total growth.
const MIN_SHARE: f64 = 0.02;

/// The children that explain the growth of `name` (on both sides), largest first.
pub fn attribute(name: &str, sides: &Sides) -> Vec<Contribution> {
    let (Some(b), Some(a)) = (
        sides.before.operations.get(name),
        sides.after.operations.get(name),
    ) else {
        return Vec::new();
    };
    let children: BTreeSet<&String> = b.children.keys().chain(a.children.keys()).collect();
    let mut all: Vec<Contribution> = children
        .into_iter()
        .map(|child| contribution(child, b, a))
        .collect();
    let growth: f64 = all.iter().map(|c| c.delta_us.max(0.0)).sum();
    all.retain(|c| c.delta_us > 0.0 && c.delta_us >= MIN_SHARE * growth);
    all.sort_by(|x, y| {
        y.delta_us
            .total_cmp(&x.delta_us)
            .then(x.operation.cmp(&y.operation))
    });
    all.truncate(MAX_CONTRIBUTIONS);
    all
}

/// One child's figures per parent call on both sides.
fn contribution(child: &str, before: &OpProfile, after: &OpProfile) -> Contribution {
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
        delta_us: per_parent(ea.total_us, after) - per_parent(eb.total_us, before),
        calls_per_parent_before: per_parent(eb.calls as f64, before),
        calls_per_parent_after: per_parent(ea.calls as f64, after),
        delta_per_call_us: per_call(ea) - per_call(eb),
        self_delta_us: per_parent(ea.self_us, after) - per_parent(eb.self_us, before),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Profile;

    fn op(count: u64, children: &[(&str, u64, f64)]) -> OpProfile {
        OpProfile {
            count,
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
        };
        let c = attribute("parent", &sides);
        let names: Vec<&str> = c.iter().map(|c| c.operation.as_str()).collect();
        assert_eq!(names, ["llm", "walk"]);
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
        };
        let c = attribute("parent", &sides);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].delta_us, 200.0);
        assert_eq!(c[0].calls_per_parent_after, 8.0);
        assert!(c[0].delta_per_call_us.is_nan());
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
        };
        let c = attribute("parent", &sides);
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
