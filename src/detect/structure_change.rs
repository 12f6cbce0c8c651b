//! Structure changes between the two sides of a comparison: a watched operation called more
//! often per call of its parent than before, named as what it is — "N+1 introduced:
//! `get_order_items` 1 → 12 calls per `list_orders`", "`call_claude` now called 2× per
//! `decide_next`, was 1×" — whatever the durations (in CI the queries and the mocked LLM take
//! microseconds to milliseconds; the number of calls is what changed).
//!
//! It compares the [`Profile`]s of the sides (so a saved baseline works as well as a trace):
//! calls of a child per call of its parent are the child edge's calls over the parent's
//! calls. The watch lists are those of [`n_plus_one`](super::n_plus_one) (data access, at
//! least its `min_count` calls per parent call after, more than twice as many as before) and
//! [`repeated_call`](super::repeated_call) (LLM calls, at least its `min_count` per parent call
//! after, more than before). The table `[detectors.structure_change]` takes `enabled` and
//! `severity` (fail by default); `check` sees one side and finds nothing here.

use crate::config::{ConfigError, Section};
use crate::ops::{Catalog, OpInfo, OpProfile, Origin, Profile};
use crate::outcome::{CallsPerParent, Finding, FindingKind, Severity};

use super::n_plus_one::NPlusOne;
use super::repeated_call::RepeatedCall;
use super::{Detector, DetectorBase, Detectors, Input, RawDetector, is_expression_frame, refuse};

const NAME: &str = "structure_change";

/// `[detectors.structure_change]`.
#[derive(Debug, Clone)]
pub struct StructureChange {
    pub base: DetectorBase,
}

impl Default for StructureChange {
    fn default() -> Self {
        StructureChange {
            base: DetectorBase::on(Severity::Fail),
        }
    }
}

impl Detector for StructureChange {
    fn name(&self) -> &'static str {
        NAME
    }

    fn enabled(&self) -> bool {
        self.base.enabled
    }

    fn configure(&mut self, section: Section<'_>) -> Result<(), ConfigError> {
        let src = section.src;
        let r: RawDetector = section.read()?;
        refuse(src, &r.min_count, "min_count", NAME)?;
        refuse(src, &r.min_total, "min_total", NAME)?;
        refuse(src, &r.min_duration, "min_duration", NAME)?;
        refuse(src, &r.operations, "operations", NAME)?;
        refuse(src, &r.ignore, "ignore", NAME)?;
        self.base = self.base.read(src, r.enabled, r.severity.as_ref())?;
        Ok(())
    }

    fn detect(&self, _input: &Input<'_>) -> Vec<Finding> {
        Vec::new()
    }

    fn checks_traces(&self) -> bool {
        false
    }

    fn counts_calls(&self) -> bool {
        true
    }
}

/// What an operation of a profile is, for the watch lists.
fn info(key: &str, op: &OpProfile, catalog: &Catalog) -> OpInfo {
    match catalog.lookup(key) {
        Some(id) => catalog.info(id).clone(),
        None => OpInfo {
            key: key.to_string(),
            function: op.function.clone(),
            file: op.file.as_deref().map(Into::into),
            line: op.line,
            origin: op.origin,
        },
    }
}

impl StructureChange {
    /// The structure changes from `before` to `after`, most calls first.
    pub fn compare(
        &self,
        detectors: &Detectors,
        before: &Profile,
        after: &Profile,
        catalog: &Catalog,
    ) -> Vec<Finding> {
        if !self.base.enabled {
            return Vec::new();
        }
        let n_plus_one = detectors.get::<NPlusOne>();
        let repeated = detectors.get::<RepeatedCall>();
        let mut out = Vec::new();
        for (pkey, parent) in &after.operations {
            let Some(parent_before) = before.operations.get(pkey) else {
                continue;
            };
            if parent.count == 0 || parent_before.count == 0 {
                continue;
            }
            let pinfo = info(pkey, parent, catalog);
            // Calls inside an LLM call are its SDK's business.
            if repeated.operations.matches_op(&pinfo) {
                continue;
            }
            for (ckey, edge) in &parent.children {
                let Some(child) = after.operations.get(ckey) else {
                    continue;
                };
                let cinfo = info(ckey, child, catalog);
                if is_expression_frame(&cinfo) {
                    continue;
                }
                let per_after = edge.calls as f64 / parent.count as f64;
                let per_before = parent_before
                    .children
                    .get(ckey)
                    .map_or(0.0, |e| e.calls as f64 / parent_before.count as f64);
                let kind = if repeated.base.enabled
                    && repeated.operations.matches_op(&cinfo)
                    && per_after >= repeated.min_count as f64
                    && per_after.round() > per_before.round()
                {
                    FindingKind::RepeatedCallIntroduced
                } else if n_plus_one.base.enabled
                    && n_plus_one.runs.operations.matches_op(&cinfo)
                    && !n_plus_one.runs.ignore.matches_op(&cinfo)
                    // Own code that calls nothing: a generator's resumptions, not queries.
                    && !(cinfo.origin == Origin::Own
                        && cinfo.file.is_some()
                        && child.children.is_empty())
                    && per_after >= n_plus_one.runs.min_count as f64
                    && per_after > 2.0 * per_before
                {
                    FindingKind::NPlusOneIntroduced
                } else {
                    continue;
                };
                out.push(Finding {
                    kind,
                    severity: self.base.severity,
                    operation: ckey.clone(),
                    parent: Some(pkey.clone()),
                    count: per_after.round() as u64,
                    occurrences: parent.count,
                    total_us: edge.total_us,
                    slowest_us: child.max_us,
                    traces: u64::from(after.runs),
                    threshold_us: None,
                    budget: None,
                    call_path: vec![pkey.clone(), ckey.clone()],
                    source: after.sources.join(", "),
                    file: pinfo.file.as_deref().map(str::to_string),
                    line: pinfo.line,
                    origin: pinfo.origin,
                    per_parent: Some(CallsPerParent {
                        before: per_before,
                        after: per_after,
                    }),
                    share: None,
                    max_share: None,
                });
            }
        }
        out.sort_by(|a, b| b.count.cmp(&a.count).then(a.operation.cmp(&b.operation)));
        out
    }
}

/// The after side's findings without those a structure change already says: the repeated
/// call (or N+1) of the same operation under the same parent is one problem, told once, by
/// the finding that also says what it was before ("now called 2× per `decide_next`, was
/// 1×"). The structure change keeps the higher of the two severities.
pub fn drop_restated(changes: &mut [Finding], after_side: Vec<Finding>) -> Vec<Finding> {
    let mut kept = Vec::with_capacity(after_side.len());
    for f in after_side {
        let kind = match f.kind {
            FindingKind::RepeatedCall => FindingKind::RepeatedCallIntroduced,
            FindingKind::NPlusOne => FindingKind::NPlusOneIntroduced,
            _ => {
                kept.push(f);
                continue;
            }
        };
        let same = changes
            .iter_mut()
            .find(|c| c.kind == kind && c.operation == f.operation && c.parent == f.parent);
        match same {
            Some(c) => c.severity = c.severity.max(f.severity),
            None => kept.push(f),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{ChildEdge, KeyMode};

    /// A side where `list_orders` is called twice and calls each child `(name, calls in all)`;
    /// children are library code (their names decide what they are).
    fn side(children: &[(&str, u64)]) -> Profile {
        let child = |name: &str| OpProfile {
            function: name.to_string(),
            file: Some("lib.py".into()),
            origin: Origin::Library,
            count: 1,
            max_us: 7.0,
            ..OpProfile::default()
        };
        let parent = OpProfile {
            function: "list_orders".into(),
            file: Some("a.py".into()),
            line: Some(3),
            count: 2,
            children: children
                .iter()
                .map(|&(name, calls)| {
                    let edge = ChildEdge {
                        calls,
                        total_us: 10.0 * calls as f64,
                        self_us: 0.0,
                    };
                    (name.to_string(), edge)
                })
                .collect(),
            ..OpProfile::default()
        };
        let mut operations: std::collections::BTreeMap<String, OpProfile> = children
            .iter()
            .map(|&(name, _)| (name.to_string(), child(name)))
            .collect();
        operations.insert("list_orders".into(), parent);
        Profile {
            runs: 1,
            operations: operations.into_iter().collect(),
            ..Profile::default()
        }
    }

    fn changes(before: &[(&str, u64)], after: &[(&str, u64)]) -> Vec<Finding> {
        let detectors = Detectors::default();
        let catalog = Catalog::new(KeyMode::File);
        StructureChange::default().compare(&detectors, &side(before), &side(after), &catalog)
    }

    #[test]
    fn more_calls_per_parent_call_are_introduced_n_plus_ones_and_repeated_calls() {
        // get_items 2 → 5 per list_orders call (at least 5, more than twice), call_llm 1 → 2.
        let found = changes(
            &[("get_items", 4), ("call_llm", 2)],
            &[("get_items", 10), ("call_llm", 4)],
        );
        assert_eq!(found.len(), 2, "{found:?}");
        let (n1, llm) = (&found[0], &found[1]);
        assert_eq!(
            (n1.kind, n1.operation.as_str(), n1.count),
            (FindingKind::NPlusOneIntroduced, "get_items", 5)
        );
        assert_eq!(n1.parent.as_deref(), Some("list_orders"));
        assert_eq!(
            n1.per_parent,
            Some(CallsPerParent {
                before: 2.0,
                after: 5.0
            })
        );
        assert_eq!(
            (n1.occurrences, n1.total_us, n1.slowest_us),
            (2, 100.0, 7.0)
        );
        assert_eq!((n1.file.as_deref(), n1.line), (Some("a.py"), Some(3)));
        assert_eq!(n1.severity, Severity::Fail);
        assert_eq!(
            (llm.kind, llm.operation.as_str(), llm.count),
            (FindingKind::RepeatedCallIntroduced, "call_llm", 2)
        );
        assert_eq!(
            llm.per_parent,
            Some(CallsPerParent {
                before: 1.0,
                after: 2.0
            })
        );
    }

    #[test]
    fn structure_changes_start_exactly_at_their_bars() {
        // 4 per call after is under the N+1 minimum of 5.
        assert!(changes(&[("get_items", 2)], &[("get_items", 8)]).is_empty());
        // 3 → 6 per call is exactly twice: not more than twice.
        assert!(changes(&[("get_items", 6)], &[("get_items", 12)]).is_empty());
        // 3 → 7 per call is.
        assert_eq!(changes(&[("get_items", 6)], &[("get_items", 14)]).len(), 1);
        // A new child at 5 per call.
        assert_eq!(changes(&[], &[("get_items", 10)]).len(), 1);
        // 2 LLM calls per call already before.
        assert!(changes(&[("call_llm", 4)], &[("call_llm", 4)]).is_empty());
        // 1 per call after is under the repeated-call minimum of 2.
        assert!(changes(&[], &[("call_llm", 2)]).is_empty());
        // Neither watch list: any count.
        assert!(changes(&[("render", 2)], &[("render", 200)]).is_empty());
    }

    #[test]
    fn switched_off_detectors_find_nothing() {
        let before = side(&[("get_items", 4), ("call_llm", 2)]);
        let after = side(&[("get_items", 10), ("call_llm", 4)]);
        let catalog = Catalog::new(KeyMode::File);
        let off = crate::config::parse("[detectors.structure_change]\nenabled = false\n", "b.toml")
            .unwrap();
        let d = off.detectors.get::<StructureChange>();
        assert!(
            d.compare(&off.detectors, &before, &after, &catalog)
                .is_empty()
        );
        // Each watch list goes with its own detector's switch.
        let no_n1 =
            crate::config::parse("[detectors.n_plus_one]\nenabled = false\n", "b.toml").unwrap();
        let found = StructureChange::default().compare(&no_n1.detectors, &before, &after, &catalog);
        let kinds: Vec<FindingKind> = found.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [FindingKind::RepeatedCallIntroduced]);
    }
}
