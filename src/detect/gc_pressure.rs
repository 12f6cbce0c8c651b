//! GC pressure: garbage collections (viztracer `--log_gc`) taking more than a share of an
//! operation's time. Each collection is charged to the call it interrupted (the innermost
//! call running on its thread, or the function a comprehension runs in, see `ops::memory`); an operation whose calls spent more than
//! `max_share` of their time collecting, and at least `min_total` in all, allocates too many
//! short-lived container objects (cycles, large temporary lists of dicts).

use serde::Deserialize;

use crate::config::{ConfigError, Section, Sp};
use crate::ops::memory;
use crate::outcome::{Finding, FindingKind, Severity};

use super::{Detector, DetectorBase, GroupKey, Groups, Input, Occurrence};

const NAME: &str = "gc_pressure";

/// `[detectors.gc_pressure]`.
#[derive(Debug, Clone, Copy)]
pub struct GcPressure {
    pub base: DetectorBase,
    /// The largest share (0..1) of an operation's time its calls may spend collecting.
    pub max_share: f64,
    /// GC time below this in all (µs) is not reported, whatever its share.
    pub min_total_us: f64,
}

impl Default for GcPressure {
    fn default() -> Self {
        GcPressure {
            base: DetectorBase::on(Severity::Warn),
            max_share: 0.25,
            min_total_us: 5_000.0,
        }
    }
}

/// Its table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGcPressure {
    enabled: Option<bool>,
    severity: Option<Sp<String>>,
    max_share: Option<Sp<f64>>,
    min_total: Option<Sp<toml::Value>>,
}

impl Detector for GcPressure {
    fn name(&self) -> &'static str {
        NAME
    }

    fn enabled(&self) -> bool {
        self.base.enabled
    }

    fn configure(&mut self, section: Section<'_>) -> Result<(), ConfigError> {
        let src = section.src;
        let r: RawGcPressure = section.read()?;
        self.base = self.base.read(src, r.enabled, r.severity.as_ref())?;
        if let Some(share) = &r.max_share {
            let v = *share.get_ref();
            if !(v > 0.0 && v < 1.0) {
                return Err(src.error(
                    share.span(),
                    format!("max_share is a fraction of the operation's time between 0 and 1 (0.25 for 25%), found {v}"),
                ));
            }
            self.max_share = v;
        }
        if let Some(t) = &r.min_total {
            self.min_total_us = src.duration_value(t)?;
        }
        Ok(())
    }

    fn detect(&self, input: &Input<'_>) -> Vec<Finding> {
        let mut groups = Groups::default();
        for (t, tree) in input.trees.iter().enumerate() {
            for c in memory::collections(tree) {
                let Some(i) = c.interrupted else { continue };
                let i = memory::charged_call(tree, input.catalog, i);
                groups.add(
                    GroupKey::new(FindingKind::GcPressure, None, tree.ops[i], None),
                    Occurrence {
                        at: (t, i),
                        count: 1,
                        total_us: c.dur,
                        slowest_us: c.dur,
                        score: c.dur,
                    },
                );
            }
        }
        let time = memory::inclusive_time(input.trees, input.catalog);
        groups
            .list()
            .iter()
            .filter_map(|g| {
                let op_time = time[g.key.op() as usize];
                let share = if op_time > 0.0 {
                    g.total_us / op_time
                } else {
                    0.0
                };
                (share > self.max_share && g.total_us >= self.min_total_us).then(|| Finding {
                    threshold_us: Some(self.min_total_us),
                    share: Some(share),
                    max_share: Some(self.max_share),
                    ..g.finding(input, self.base.severity, g.calls)
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse;
    use crate::detect::gc_pressure::GcPressure;

    #[test]
    fn its_table_is_read_and_checked() {
        let c = parse(
            "[detectors.gc_pressure]\nmax_share = 0.1\nmin_total = \"1ms\"\n",
            "b.toml",
        )
        .unwrap();
        let d = c.detectors.get::<GcPressure>();
        assert_eq!((d.max_share, d.min_total_us), (0.1, 1000.0));
        let e = parse("[detectors.gc_pressure]\nmax_share = 25.0\n", "b.toml").unwrap_err();
        assert!(e.to_string().contains("max_share is a fraction"), "{e}");
    }

    /// `build` runs 50 ms inside `handle`; one collection of `gc_ms` interrupts it.
    fn gc_findings(gc_ms: f64, budgets: &str) -> Vec<crate::outcome::Finding> {
        use crate::ops::memory::GC_COUNTER;
        let spans = [
            ("handle (a.py:1)", 0, 0.0, 100.0),
            ("build (a.py:9)", 0, 10.0, 50.0),
        ];
        let collecting = crate::trace::Counter {
            name: GC_COUNTER.into(),
            series: "collecting".into(),
            track: 0,
            samples: vec![(20_000.0, 1.0), (20_000.0 + gc_ms * 1000.0, 0.0)],
        };
        crate::detect::tests::findings_with_counters(&spans, vec![collecting], budgets)
    }

    #[test]
    fn an_operation_collecting_more_than_its_share_is_flagged() {
        // 15 ms of 50: a share of 0.3, above the default 0.25, and above 5 ms in all.
        let found = gc_findings(15.0, "");
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(f.kind, crate::outcome::FindingKind::GcPressure);
        assert_eq!(f.operation, "build (a.py)");
        assert_eq!((f.count, f.total_us), (1, 15_000.0));
        assert_eq!((f.share, f.max_share), (Some(0.3), Some(0.25)));
        assert_eq!(f.threshold_us, Some(5_000.0));
        // Exactly the largest share allowed (12.5 ms of 50) is not too much.
        assert!(gc_findings(12.5, "").is_empty());
        // The floor on GC time is inclusive.
        let floor = |t: &str| format!("[detectors.gc_pressure]\nmin_total = \"{t}\"\n");
        assert_eq!(gc_findings(15.0, &floor("15ms")).len(), 1);
        assert!(gc_findings(15.0, &floor("16ms")).is_empty());
        let off = "[detectors.gc_pressure]\nenabled = false\n";
        assert!(gc_findings(15.0, off).is_empty());
    }
}
