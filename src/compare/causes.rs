//! Root causes: of the operations a comparison judged regressed, which ones are causes and
//! which only follow from them.
//!
//! A parent that got slower because a regressed child did (`post_answer` because of
//! `decide_next` because `call_claude` is now called twice) is a symptom, folded under that
//! child; so is a library or builtin operation (`time.sleep`, `list.append`) called from a
//! regressed operation of the project's own code. What remains is a cause, of one of two kinds:
//! the operation's own time grew (`traverse_graph` 2× slower, in its own code or in children
//! that did not regress on their own), or it is called more often per call of its parent
//! (`call_claude` 2× per `decide_next`), which is a fact of the code, not a noisy duration.

use std::collections::{BTreeMap, BTreeSet};

use crate::ops::{OpProfile, Origin, Profile};
use crate::outcome::{
    Cause, CauseKind, ChangeReason, ChangeStatus, Contribution, Metric, OpChange, Severity,
    TimeJudgement,
};

use super::diff::Sides;

/// A regressed parent is folded under its regressed children when they account for at least
/// this share of its growth per call.
const EXPLAINED_SHARE: f64 = 0.5;

/// A child shared by several callers explains one of them only when less than this share of
/// its growth happened under that caller.
const SHARED_GROWTH_HERE: f64 = 0.8;

/// Finds the causes among `operations` and marks every regressed operation that follows from
/// one (`explained_by`). Causes come out largest first.
pub fn find(operations: &mut [OpChange], sides: &Sides, metric: Metric) -> Vec<Cause> {
    let regressed: BTreeSet<String> = operations
        .iter()
        .filter(|o| o.status == ChangeStatus::Regressed)
        .map(|o| o.name.clone())
        .collect();
    // What slowed down on its own: the regressions, and the significant slowdowns of one
    // run per side that the single-run bar held back to a warning (a helper called from
    // several places whose calls slowed only under one caller: its fastest call did not move).
    let moved: BTreeSet<String> = operations
        .iter()
        .filter(|o| regressed.contains(&o.name) || held_back_by_the_single_run_bar(o))
        .map(|o| o.name.clone())
        .collect();
    let callers = callers_of(sides.after);
    let count_regressed: BTreeSet<String> = operations
        .iter()
        .filter(|o| o.count_regressed)
        .map(|o| o.name.clone())
        .collect();
    let mut explained: BTreeMap<String, String> = BTreeMap::new();
    for o in operations.iter().filter(|o| regressed.contains(&o.name)) {
        let explains = |child: &Contribution| {
            regressed.contains(&child.operation)
                && child_explains(
                    o,
                    child,
                    count_regressed.contains(&child.operation),
                    &callers,
                    sides,
                )
        };
        if let Some(by) = explained_by_children(o, explains)
            .or_else(|| confined_to_one_caller(o, &regressed, &callers, sides))
            .or_else(|| follows_own_code(o, &regressed, &callers, sides))
        {
            explained.insert(o.name.clone(), by);
        }
    }
    // A regression that follows from a diffuse one (`<module>` from `main`, whose growth is
    // spread over children none of which regressed) is diffuse too: no cause is behind it.
    let diffuse: BTreeSet<String> = operations
        .iter()
        .filter(|o| regressed.contains(&o.name) && !explained.contains_key(&o.name))
        .filter(|o| is_diffuse(o, &moved))
        .map(|o| o.name.clone())
        .collect();
    let mut causes = Vec::new();
    for o in operations.iter_mut() {
        if !regressed.contains(&o.name) {
            continue;
        }
        let follows_diffuse = root_of(&o.name, &explained).is_some_and(|r| diffuse.contains(r));
        match explained.get(&o.name) {
            Some(_) | None if follows_diffuse || diffuse.contains(&o.name) => {
                // Not a cause of its own: a warning that the whole run may be slower.
                o.diffuse = true;
                o.status = ChangeStatus::Unchanged;
                o.severity = Some(Severity::Warn);
            }
            Some(by) => o.explained_by = Some(by.clone()),
            None => causes.push(cause(o, sides, &explained, metric)),
        }
    }
    causes.sort_by(|a, b| {
        b.added_per_run_us
            .total_cmp(&a.added_per_run_us)
            .then(a.operation.cmp(&b.operation))
    });
    causes
}

/// The end of the `explained_by` chain from `name` (itself when nothing explains it); `None`
/// on a cycle.
fn root_of<'a>(name: &'a str, explained: &'a BTreeMap<String, String>) -> Option<&'a str> {
    let mut at = name;
    for _ in 0..=explained.len() {
        match explained.get(at) {
            Some(by) => at = by,
            None => return Some(at),
        }
    }
    None
}

/// For each operation, the operations that call it (on the after side).
fn callers_of(after: &Profile) -> BTreeMap<&str, Vec<&str>> {
    let mut callers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (parent, op) in &after.operations {
        for child in op.children.keys() {
            callers
                .entry(child.as_str())
                .or_default()
                .push(parent.as_str());
        }
    }
    callers
}

/// The regressed child that explains most of `o`'s growth, when regressed children explain at
/// least [`EXPLAINED_SHARE`] of it. A count regression of `o` itself is never explained away:
/// more calls of `o` are decided by its callers, not its children.
fn explained_by_children(o: &OpChange, explains: impl Fn(&Contribution) -> bool) -> Option<String> {
    if o.count_regressed {
        return None;
    }
    let growth = growth_of(o);
    let by_regressed: Vec<_> = children_of(o)
        .iter()
        .filter(|c| c.delta_us > 0.0 && explains(c))
        .collect();
    let share: f64 = by_regressed.iter().map(|c| c.delta_us).sum();
    (growth > 0.0 && share >= EXPLAINED_SHARE * growth)
        .then(|| by_regressed.first().map(|c| c.operation.clone()))
        .flatten()
}

/// Whether a regressed child's own regression is what grew under this parent: a child called
/// more often overall explains the parent only if the parent calls it more often; a child
/// slower overall explains it only if it is slower under this parent and not only here (a
/// helper shared by several callers that is slower under one of them is that caller's
/// doing: `sleep_until` pads each caller to its own target).
fn child_explains(
    parent: &OpChange,
    c: &Contribution,
    child_count_regressed: bool,
    callers: &BTreeMap<&str, Vec<&str>>,
    sides: &Sides,
) -> bool {
    if child_count_regressed {
        return c.calls_per_parent_after > c.calls_per_parent_before + 1e-9;
    }
    if c.delta_per_call_us.is_nan() || c.delta_per_call_us <= 0.0 {
        return false;
    }
    let shared = callers
        .get(c.operation.as_str())
        .is_some_and(|p| p.len() > 1);
    if !shared {
        return true;
    }
    let here = growth_under(&parent.name, &c.operation, sides);
    let everywhere = growth(&c.operation, sides);
    everywhere > 0.0 && here < SHARED_GROWTH_HERE * everywhere
}

/// A significant slowdown that the single-run bar (or, under measured contention, the
/// unmoved fastest calls) held back to a warning.
fn held_back_by_the_single_run_bar(o: &OpChange) -> bool {
    matches!(
        o.reason,
        ChangeReason::Compared {
            time: TimeJudgement::BelowSingleRunBar
                | TimeJudgement::FastestCallUnmovedUnderContention,
            ..
        }
    )
}

/// A time regression whose growth is mostly in what the operation calls, none of which
/// slowed down on its own (`moved`: regressed, or held back by the single-run bar): the
/// slowdown is spread thin over many children, which is what a slower machine does to
/// `<module>`, `main` or a request handler. Not a cause; a warning.
fn is_diffuse(o: &OpChange, moved: &BTreeSet<String>) -> bool {
    if o.count_regressed {
        return false;
    }
    let own = own_growth(o);
    let children = growth_of(o) - own;
    let by_moved = children_of(o)
        .iter()
        .any(|c| c.delta_us > 0.0 && moved.contains(&c.operation));
    children > 0.0 && own < children && !by_moved
}

/// The children listed in the attribution of `o` (none without one).
fn children_of(o: &OpChange) -> &[Contribution] {
    o.attribution
        .as_ref()
        .map_or(&[], |a| a.children.as_slice())
}

/// How much the own code of `o` grew, in its attribution's basis (0 when it shrank).
fn own_growth(o: &OpChange) -> f64 {
    o.attribution
        .as_ref()
        .map_or(0.0, |a| a.own_code_us.max(0.0))
}

/// The growth of `o` in its attribution's basis: its own code's and its children's, each
/// counted when it grew.
fn growth_of(o: &OpChange) -> f64 {
    let Some(a) = &o.attribution else {
        return 0.0;
    };
    let children: f64 = a.children.iter().map(|c| c.delta_us.max(0.0)).sum();
    children + a.other_children_us.max(0.0) + own_growth(o)
}

/// A shared operation whose growth happened almost all under one regressed caller is that
/// caller's doing (`sleep_until` sleeps longer only where `traverse_graph` asks it to).
fn confined_to_one_caller(
    o: &OpChange,
    regressed: &BTreeSet<String>,
    callers: &BTreeMap<&str, Vec<&str>>,
    sides: &Sides,
) -> Option<String> {
    if o.count_regressed {
        return None;
    }
    let parents = callers.get(o.name.as_str())?;
    if parents.len() < 2 {
        return None;
    }
    let everywhere = growth(&o.name, sides);
    if everywhere <= 0.0 {
        return None;
    }
    parents
        .iter()
        .filter(|p| regressed.contains(**p))
        .find(|p| growth_under(p, &o.name, sides) >= SHARED_GROWTH_HERE * everywhere)
        .map(|p| p.to_string())
}

/// How much the inclusive time per run of `op` grew, µs.
fn growth(op: &str, sides: &Sides) -> f64 {
    let total = |p: &Profile| p.operations.get(op).map_or(0.0, |o| per_run(p, o.total_us));
    total(sides.after) - total(sides.before)
}

/// How much the inclusive time per run of `child` under `parent` grew, µs.
fn growth_under(parent: &str, child: &str, sides: &Sides) -> f64 {
    let edge = |p: &Profile| {
        p.operations
            .get(parent)
            .and_then(|o| o.children.get(child))
            .map_or(0.0, |e| per_run(p, e.total_us))
    };
    edge(sides.after) - edge(sides.before)
}

fn per_run(p: &Profile, total: f64) -> f64 {
    total / f64::from(p.runs.max(1))
}

/// A library or builtin operation that regressed under a regressed operation of the
/// project's own code follows from it (`time.sleep` called more because `call_claude` is).
fn follows_own_code(
    o: &OpChange,
    regressed: &BTreeSet<String>,
    callers: &BTreeMap<&str, Vec<&str>>,
    sides: &Sides,
) -> Option<String> {
    if o.origin == Origin::Own {
        return None;
    }
    let own = |name: &&str| {
        sides
            .after
            .operations
            .get(*name)
            .is_some_and(|p| p.origin == Origin::Own)
    };
    callers
        .get(o.name.as_str())?
        .iter()
        .filter(|p| regressed.contains(**p) && own(p))
        .max_by(|a, b| {
            let weight = |p: &str| sides.after.operations.get(p).map_or(0.0, |op| op.total_us);
            weight(a).total_cmp(&weight(b))
        })
        .map(|p| p.to_string())
}

fn cause(
    o: &OpChange,
    sides: &Sides,
    explained: &BTreeMap<String, String>,
    metric: Metric,
) -> Cause {
    let folded: Vec<String> = explained
        .iter()
        .filter(|(_, by)| **by == o.name)
        .map(|(name, _)| name.clone())
        .collect();
    let kind = if o.count_regressed {
        more_calls(o, sides)
    } else {
        slower(o)
    };
    Cause {
        operation: o.name.clone(),
        kind,
        added_per_run_us: added_per_run(o, metric),
        symptoms: folded,
        file: o.file.clone(),
        line: o.line,
        origin: o.origin,
    }
}

/// The operation's calls got slower: by how much, and how much of it in its own code.
fn slower(o: &OpChange) -> CauseKind {
    let (before, after) = (
        o.before.as_ref().map_or(0.0, |s| s.value_us),
        o.after.as_ref().map_or(0.0, |s| s.value_us),
    );
    let growth = growth_of(o);
    let own = own_growth(o);
    CauseKind::Slower {
        ratio: if before > 0.0 {
            after / before
        } else {
            f64::NAN
        },
        delta_us: after - before,
        own_code_share: if growth > 0.0 { own / growth } else { 1.0 },
    }
}

/// The operation is called more often: per call of the caller whose calls of it grew most.
fn more_calls(o: &OpChange, sides: &Sides) -> CauseKind {
    let per_run =
        |s: &Option<crate::outcome::SideFigures>| s.as_ref().map_or(0.0, |f| f.calls_per_run);
    let parent = busiest_caller(&o.name, sides);
    CauseKind::MoreCalls {
        before_per_run: per_run(&o.before),
        after_per_run: per_run(&o.after),
        parent: parent.as_ref().map(|p| p.0.clone()),
        before_per_parent: parent.as_ref().map(|p| p.1),
        after_per_parent: parent.as_ref().map(|p| p.2),
    }
}

/// The caller whose calls of `name` per call grew the most: (caller, before, after).
fn busiest_caller(name: &str, sides: &Sides) -> Option<(String, f64, f64)> {
    let per_parent = |parent: Option<&OpProfile>| {
        parent.map_or(0.0, |p| {
            p.children
                .get(name)
                .map_or(0.0, |e| e.calls as f64 / p.count.max(1) as f64)
        })
    };
    sides
        .after
        .operations
        .iter()
        .filter(|(_, p)| p.children.contains_key(name))
        .map(|(parent, p)| {
            let before = per_parent(sides.before.operations.get(parent));
            (parent.clone(), before, per_parent(Some(p)))
        })
        .filter(|(_, before, after)| after > before)
        .max_by(|a, b| (a.2 - a.1).total_cmp(&(b.2 - b.1)).then(b.0.cmp(&a.0)))
}

/// The time a change adds per run: the metric's change times the calls (a per-call metric),
/// or the change itself (a per-run metric). Orders causes by what they cost.
fn added_per_run(o: &OpChange, metric: Metric) -> f64 {
    if metric.is_per_run() {
        return o.delta_us.unwrap_or(0.0);
    }
    let cost = |s: &Option<crate::outcome::SideFigures>| {
        s.as_ref().map_or(0.0, |f| f.calls_per_run * f.value_us)
    };
    cost(&o.after) - cost(&o.before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Attribution, AttributionBasis, ChangeReason, Evidence, TimeJudgement};

    /// A time regression of `name` whose growth went into `children` (name, µs) and its own
    /// code (`own` µs), every child one call per parent call.
    fn regression(name: &str, children: &[(&str, f64)], own: f64) -> OpChange {
        let listed: f64 = children.iter().map(|(_, d)| d).sum();
        OpChange {
            name: name.into(),
            status: ChangeStatus::Regressed,
            severity: Some(Severity::Fail),
            before: None,
            after: None,
            delta_us: Some(listed + own),
            delta_pct: Some(50.0),
            adjusted_pct: None,
            p_value: Some(1e-5),
            test: Some("paired-t".into()),
            alpha: Some(0.01),
            evidence: Evidence::Pairs,
            tail: None,
            calls_delta_pct: Some(0.0),
            shift_us: None,
            shift_ci_us: None,
            mean_ratio: None,
            min_ratio: None,
            count_regressed: false,
            reason: ChangeReason::Compared {
                time: TimeJudgement::Significant,
                evidence: Evidence::Pairs,
                count: None,
            },
            attribution: Some(Attribution {
                basis: AttributionBasis::MeanPerCall,
                change_us: listed + own,
                children: children
                    .iter()
                    .map(|&(op, d)| Contribution {
                        operation: op.into(),
                        delta_us: d,
                        calls_per_parent_before: 1.0,
                        calls_per_parent_after: 1.0,
                        delta_per_call_us: d,
                        self_delta_us: 0.0,
                    })
                    .collect(),
                other_children_us: 0.0,
                own_code_us: own,
            }),
            origin: crate::ops::Origin::Own,
            self_delta_us: None,
            diffuse: false,
            explained_by: None,
            file: None,
            line: None,
        }
    }

    #[test]
    fn a_child_held_back_by_the_single_run_bar_keeps_its_parent_a_cause() {
        // `traverse` grew in `sleep`, a significant slowdown with one run per side that the
        // single-run bar held back to a warning (its fastest call, from other callers, did
        // not move): `traverse` is not diffuse but the cause, and `sleep` stays a warning.
        let mut held_back = regression("sleep", &[], 99.0);
        held_back.status = ChangeStatus::Unchanged;
        held_back.severity = Some(Severity::Warn);
        held_back.reason = ChangeReason::Compared {
            time: TimeJudgement::BelowSingleRunBar,
            evidence: Evidence::Calls,
            count: None,
        };
        let mut ops = vec![regression("traverse", &[("sleep", 99.0)], 1.0), held_back];
        let empty = crate::ops::Profile::default();
        let sides = Sides {
            before: &empty,
            after: &empty,
            after_scale: 1.0,
        };
        let causes = find(&mut ops, &sides, Metric::P95);
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert_eq!(causes[0].operation, "traverse");
        assert!(!ops[0].diffuse);
        assert_eq!(ops[0].status, ChangeStatus::Regressed);
        assert_eq!(ops[1].severity, Some(Severity::Warn));
        // A child that is within the noise of one run (not held back: never significant
        // enough) leaves the parent diffuse, as before.
        ops[1].reason = ChangeReason::Compared {
            time: TimeJudgement::WithinSingleRunNoise,
            evidence: Evidence::Calls,
            count: None,
        };
        ops[0] = regression("traverse", &[("sleep", 99.0)], 1.0);
        let causes = find(&mut ops, &sides, Metric::P95);
        assert!(causes.is_empty(), "{causes:?}");
        assert!(ops[0].diffuse);
    }

    #[test]
    fn what_follows_a_diffuse_slowdown_is_diffuse_too() {
        // `main` grew in `a` and `b`, neither of which regressed on its own: diffuse, a
        // warning. `<module>` grew in `main`: it follows, and no cause is behind it, so it
        // must not fail the gate either (it did, with "because of the causes above" and no
        // cause above).
        let mut ops = vec![
            regression("<module>", &[("main", 100.0)], 0.0),
            regression("main", &[("a", 50.0), ("b", 49.0)], 1.0),
        ];
        let empty = crate::ops::Profile::default();
        let sides = Sides {
            before: &empty,
            after: &empty,
            after_scale: 1.0,
        };
        let causes = find(&mut ops, &sides, Metric::P95);
        assert!(causes.is_empty(), "{causes:?}");
        for o in &ops {
            assert!(o.diffuse, "{}", o.name);
            assert_eq!(
                (o.status, o.severity),
                (ChangeStatus::Unchanged, Some(Severity::Warn)),
                "{}",
                o.name
            );
        }
        // With `a` regressed on its own, `main` is explained by it and `<module>` by `main`:
        // `a` is the cause, nothing is diffuse.
        let mut ops = vec![
            regression("<module>", &[("main", 100.0)], 0.0),
            regression("main", &[("a", 99.0)], 1.0),
            regression("a", &[], 99.0),
        ];
        let causes = find(&mut ops, &sides, Metric::P95);
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert_eq!(causes[0].operation, "a");
        assert!(
            ops.iter()
                .all(|o| !o.diffuse && o.status == ChangeStatus::Regressed)
        );
    }

    /// `o` with its metric `before` → `after` µs at `calls` calls per run on both sides.
    fn with_figures(mut o: OpChange, before: f64, after: f64, calls: f64) -> OpChange {
        let side = |value_us| crate::outcome::SideFigures {
            count: calls as u64,
            calls_per_run: calls,
            value_us,
        };
        (o.before, o.after) = (Some(side(before)), Some(side(after)));
        o
    }

    #[test]
    fn a_parent_is_folded_under_children_that_explain_half_its_growth() {
        let empty = crate::ops::Profile::default();
        let sides = Sides {
            before: &empty,
            after: &empty,
            after_scale: 1.0,
        };
        let child = || with_figures(regression("child", &[], 50.0), 100.0, 150.0, 2.0);
        // Exactly half of the parent's growth is the regressed child's: a symptom of it.
        let mut ops = vec![regression("parent", &[("child", 50.0)], 50.0), child()];
        let causes = find(&mut ops, &sides, Metric::P95);
        assert_eq!(causes.len(), 1, "{causes:?}");
        let c = &causes[0];
        assert_eq!(
            (c.operation.as_str(), c.symptoms.as_slice()),
            ("child", &["parent".to_string()][..])
        );
        assert_eq!(ops[0].explained_by.as_deref(), Some("child"));
        // 2 calls a run, each 50 us slower, all of it in the child's own code.
        assert_eq!(c.added_per_run_us, 100.0);
        assert_eq!(
            c.kind,
            CauseKind::Slower {
                ratio: 1.5,
                delta_us: 50.0,
                own_code_share: 1.0
            }
        );
        // Just under half: the parent is a cause of its own, the larger first.
        let mut ops = vec![
            with_figures(
                regression("parent", &[("child", 49.0)], 51.0),
                1000.0,
                1100.0,
                2.0,
            ),
            child(),
        ];
        let causes = find(&mut ops, &sides, Metric::P95);
        let names: Vec<&str> = causes.iter().map(|c| c.operation.as_str()).collect();
        assert_eq!(names, ["parent", "child"]);
        assert_eq!(causes[0].added_per_run_us, 200.0);
        assert!(matches!(
            causes[0].kind,
            CauseKind::Slower { own_code_share, .. } if (own_code_share - 0.51).abs() < 1e-12
        ));
        assert_eq!(ops[0].explained_by, None);
    }

    #[test]
    fn the_root_of_an_explanation_chain() {
        let explained: BTreeMap<String, String> = [("x", "y"), ("y", "z"), ("p", "q"), ("q", "p")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(root_of("x", &explained), Some("z"));
        assert_eq!(root_of("z", &explained), Some("z"));
        assert_eq!(root_of("p", &explained), None);
    }
}
