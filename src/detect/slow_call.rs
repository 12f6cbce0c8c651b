//! Slow calls: single calls above the flag of a budget on a per-call metric (p50 … max,
//! mean), grouped per budget and operation with the slowest call as the example.

use serde::Deserialize;

use crate::config::{ConfigError, Section, Sp};
use crate::outcome::{Finding, FindingKind, Severity};

use super::{Detector, DetectorBase, GroupKey, Groups, Input, Occurrence};

const NAME: &str = "slow_call";

/// `[detectors.slow_call]`.
#[derive(Debug, Clone, Copy)]
pub struct SlowCall {
    pub base: DetectorBase,
}

impl Default for SlowCall {
    fn default() -> Self {
        SlowCall {
            base: DetectorBase::on(Severity::Warn),
        }
    }
}

/// Its table: the thresholds are the budgets' flags.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlowCall {
    enabled: Option<bool>,
    severity: Option<Sp<String>>,
}

impl Detector for SlowCall {
    fn name(&self) -> &'static str {
        NAME
    }

    fn enabled(&self) -> bool {
        self.base.enabled
    }

    fn configure(&mut self, section: Section<'_>) -> Result<(), ConfigError> {
        let src = section.src;
        let r: RawSlowCall = section.read()?;
        self.base = self.base.read(src, r.enabled, r.severity.as_ref())?;
        Ok(())
    }

    fn detect(&self, input: &Input<'_>) -> Vec<Finding> {
        let mut groups = Groups::default();
        for (b, (budget, calls)) in input.budgets.iter().zip(input.budget_calls).enumerate() {
            if !budget.metric.is_per_call() {
                continue;
            }
            for (t, i) in calls.iter() {
                let tree = &input.trees[t];
                let dur = tree.spans[i].dur;
                if dur > budget.flag {
                    let key = GroupKey::new(FindingKind::SlowCall, None, tree.ops[i], Some(b));
                    groups.add(
                        key,
                        Occurrence {
                            at: (t, i),
                            count: 1,
                            total_us: dur,
                            slowest_us: dur,
                            score: dur,
                        },
                    );
                }
            }
        }
        groups.findings(|g| {
            let budget = &input.budgets[g.key.detail().expect("slow calls are keyed by budget")];
            Finding {
                threshold_us: Some(budget.flag),
                budget: Some(budget.name.clone()),
                ..g.finding(input, self.base.severity, g.calls)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::tests::findings;
    use crate::outcome::FindingKind;

    #[test]
    fn slow_calls_are_grouped_per_budget_with_the_slowest_as_example() {
        let spans = vec![
            ("main (a.py:1)", 0, 0.0, 5000.0),
            ("step (a.py:2)", 0, 1.0, 300.0),
            ("step (a.py:2)", 0, 400.0, 900.0),
            ("step (a.py:2)", 0, 1400.0, 10.0),
        ];
        let budget = "[[budget]]\nname = \"Step\"\noperation = \"step\"\nmetric = \"p50\"\n\
                      acceptable = \"100ms..200ms\"\n";
        let found = findings(&spans, budget);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, FindingKind::SlowCall);
        assert_eq!((found[0].count, found[0].total_us), (2, 1_200_000.0));
        assert_eq!(found[0].slowest_us, 900_000.0);
        assert_eq!(found[0].threshold_us, Some(200_000.0));
        assert_eq!(found[0].budget.as_deref(), Some("Step"));
    }

    #[test]
    fn a_call_is_slow_above_the_flag_not_above_the_target() {
        // 150 ms: above the target, within the flag; 200 ms: exactly the flag.
        let spans = vec![
            ("main (a.py:1)", 0, 0.0, 5000.0),
            ("step (a.py:2)", 0, 1.0, 150.0),
            ("step (a.py:2)", 0, 200.0, 200.0),
            ("step (a.py:2)", 0, 500.0, 200.5),
        ];
        let budget = "[[budget]]\nname = \"Step\"\noperation = \"step\"\nmetric = \"max\"\n\
                      target = \"100ms\"\nflag = \"200ms\"\n";
        let found = findings(&spans, budget);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].count, found[0].slowest_us), (1, 200_500.0));
    }

    #[test]
    fn count_and_sum_budgets_have_no_slow_calls() {
        // Calls far above the numbers of a count budget (3) or a total budget (1 ms): these
        // budgets bound a count or a sum, not a call.
        let spans = vec![
            ("main (a.py:1)", 0, 0.0, 5000.0),
            ("step (a.py:2)", 0, 1.0, 300.0),
            ("step (a.py:2)", 0, 400.0, 900.0),
        ];
        for metric in ["count", "total", "self"] {
            let bounds = if metric == "count" {
                "target = 1\nflag = 3\n"
            } else {
                "target = \"1ms\"\nflag = \"2ms\"\n"
            };
            let budget = format!(
                "[[budget]]\nname = \"Step\"\noperation = \"step\"\nmetric = \"{metric}\"\n{bounds}"
            );
            let found = findings(&spans, &budget);
            assert!(found.is_empty(), "{metric}: {found:?}");
        }
    }

    #[test]
    fn slow_calls_follow_their_table_severity_and_switch() {
        let spans = vec![
            ("main (a.py:1)", 0, 0.0, 5000.0),
            ("step (a.py:2)", 0, 1.0, 300.0),
        ];
        let budget = "[[budget]]\nname = \"Step\"\noperation = \"step\"\nmetric = \"p95\"\n\
                      target = \"100ms\"\nflag = \"200ms\"\n";
        let found = findings(&spans, budget);
        assert_eq!(
            found[0].severity,
            crate::outcome::Severity::Warn,
            "warn by default"
        );
        let fail = format!("{budget}[detectors.slow_call]\nseverity = \"fail\"\n");
        assert_eq!(
            findings(&spans, &fail)[0].severity,
            crate::outcome::Severity::Fail
        );
        let off = format!("{budget}[detectors.slow_call]\nenabled = false\n");
        assert!(findings(&spans, &off).is_empty());
    }
}
