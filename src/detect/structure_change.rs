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
            file: op.file.clone(),
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
                    file: pinfo.file.clone(),
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
