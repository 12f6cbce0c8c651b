//! Repeated expensive calls: an expensive operation (an LLM call by default) called more than
//! once under one parent call, where the first result could be reused.

use crate::config::{ConfigError, PatternSet, Section};
use crate::ops::OpId;
use crate::outcome::{Finding, FindingKind, Severity};

use super::{
    Detector, DetectorBase, GroupKey, Groups, Input, Occurrence, RawDetector, is_expression_frame,
    pattern_set, refuse, select,
};

const NAME: &str = "repeated_call";

/// Default watch list: LLM calls.
pub const DEFAULT_OPERATIONS: [&str; 4] = ["*claude*", "*llm*", "*openai*", "*anthropic*"];

/// `[detectors.repeated_call]`.
#[derive(Debug, Clone)]
pub struct RepeatedCall {
    pub base: DetectorBase,
    /// Calls under one parent call that make a finding.
    pub min_count: u64,
    /// Calls shorter than this are not counted, µs: an optional floor, 0 by default (in CI
    /// the LLM is a mock answering in milliseconds; calling it twice is the red flag).
    pub min_duration_us: f64,
    /// Expensive operations watched.
    pub operations: PatternSet,
}

impl Default for RepeatedCall {
    fn default() -> Self {
        RepeatedCall {
            base: DetectorBase::on(Severity::Fail),
            min_count: 2,
            min_duration_us: 0.0,
            operations: pattern_set(&DEFAULT_OPERATIONS),
        }
    }
}

impl Detector for RepeatedCall {
    fn name(&self) -> &'static str {
        NAME
    }

    fn enabled(&self) -> bool {
        self.base.enabled
    }

    fn counts_calls(&self) -> bool {
        true
    }

    fn configure(&mut self, section: Section<'_>) -> Result<(), ConfigError> {
        let src = section.src;
        let r: RawDetector = section.read()?;
        refuse(src, &r.min_total, "min_total", NAME)?;
        refuse(src, &r.ignore, "ignore", NAME)?;
        self.base = self.base.read(src, r.enabled, r.severity.as_ref())?;
        if let Some(n) = &r.min_count {
            self.min_count = src.count(n, 2)?;
        }
        if let Some(t) = &r.min_duration {
            self.min_duration_us = src.duration_value(t)?;
        }
        if let Some(list) = &r.operations {
            self.operations = src.patterns(list.get_ref())?;
        }
        Ok(())
    }

    fn detect(&self, input: &Input<'_>) -> Vec<Finding> {
        let watched = select(input.catalog, |i| {
            self.operations.matches_op(i) && !is_expression_frame(i)
        });
        let mut groups = Groups::default();
        for (t, (tree, family)) in input.trees.iter().zip(input.links).enumerate() {
            // Spans inside a watched call: the SDK's own calls under one LLM call (its
            // `_build_headers` twice per request) are not repeated calls of the caller.
            let mut inside = vec![false; tree.len()];
            for i in 0..tree.len() {
                let p = tree.parent[i];
                inside[i] = watched[tree.ops[i] as usize]
                    || (p != crate::ops::NO_PARENT && inside[p as usize]);
            }
            for (p, &in_watched) in inside.iter().enumerate() {
                if in_watched {
                    continue;
                }
                // The expensive children of this call, by operation in order of first call.
                let mut seen: Vec<Seen> = Vec::new();
                for child in family.children(p) {
                    let (op, dur) = (tree.ops[child], tree.spans[child].dur);
                    if !watched[op as usize] || dur < self.min_duration_us {
                        continue;
                    }
                    match seen.iter_mut().find(|s| s.op == op) {
                        Some(s) => {
                            s.count += 1;
                            s.total_us += dur;
                            s.slowest_us = s.slowest_us.max(dur);
                        }
                        None => seen.push(Seen {
                            op,
                            first: child,
                            count: 1,
                            total_us: dur,
                            slowest_us: dur,
                        }),
                    }
                }
                for s in seen {
                    if s.count >= self.min_count {
                        let key =
                            GroupKey::new(FindingKind::RepeatedCall, Some(tree.ops[p]), s.op, None);
                        groups.add(
                            key,
                            Occurrence {
                                at: (t, s.first),
                                count: s.count,
                                total_us: s.total_us,
                                slowest_us: s.slowest_us,
                                score: s.count as f64,
                            },
                        );
                    }
                }
            }
        }
        groups.findings(|g| Finding {
            threshold_us: Some(self.min_duration_us),
            ..g.finding(input, self.base.severity, g.max_count)
        })
    }
}

/// The calls of one expensive operation under one parent call.
struct Seen {
    op: OpId,
    first: usize,
    count: u64,
    total_us: f64,
    slowest_us: f64,
}

#[cfg(test)]
mod tests {
    use crate::detect::tests::findings;
    use crate::outcome::FindingKind;

    #[test]
    fn calls_inside_an_llm_call_are_not_repeated_calls() {
        let spans = vec![
            ("decide (a.py:1)", 0, 0.0, 2000.0),
            ("ask_llm (a.py:5)", 0, 1.0, 500.0),
            ("anthropic_build (sdk.py:5)", 0, 2.0, 1.0),
            ("anthropic_build (sdk.py:5)", 0, 4.0, 1.0),
        ];
        assert!(
            findings(&spans, "").is_empty(),
            "{:?}",
            findings(&spans, "")
        );
    }

    #[test]
    fn repeated_calls_count_only_expensive_ones() {
        let spans = |second_ms| {
            vec![
                ("decide (a.py:1)", 0, 0.0, 2000.0),
                ("ask_llm (a.py:5)", 0, 1.0, 500.0),
                ("ask_llm (a.py:5)", 0, 600.0, second_ms),
            ]
        };
        let found = findings(&spans(500.0), "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].kind, found[0].count),
            (FindingKind::RepeatedCall, 2)
        );
        // A mock answering in 5 ms, called twice: the red flag all the same.
        let found = findings(&spans(5.0), "");
        assert_eq!(found.len(), 1, "{found:?}");
        let floor = "[detectors.repeated_call]\nmin_duration = \"100ms\"\n";
        assert!(
            findings(&spans(50.0), floor).is_empty(),
            "a cached second call, below the optional floor"
        );
    }

    #[test]
    fn a_repeated_call_sums_its_calls_and_counts_one_at_the_floor() {
        // Three calls under one parent, the last exactly at the 100 ms floor; a fourth under
        // another parent is alone there.
        let spans = vec![
            ("decide (a.py:1)", 0, 0.0, 2000.0),
            ("ask_llm (a.py:5)", 0, 1.0, 300.0),
            ("ask_llm (a.py:5)", 0, 400.0, 500.0),
            ("ask_llm (a.py:5)", 0, 1000.0, 100.0),
            ("plan (a.py:9)", 0, 3000.0, 900.0),
            ("ask_llm (a.py:5)", 0, 3001.0, 800.0),
        ];
        let floor = "[detectors.repeated_call]\nmin_duration = \"100ms\"\n";
        let found = findings(&spans, floor);
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!((f.count, f.occurrences), (3, 1));
        assert_eq!((f.total_us, f.slowest_us), (900_000.0, 500_000.0));
        assert_eq!(f.threshold_us, Some(100_000.0));
        // Three calls are not enough when four are asked for.
        let four = "[detectors.repeated_call]\nmin_count = 4\n";
        assert!(findings(&spans, four).is_empty());
    }
}
