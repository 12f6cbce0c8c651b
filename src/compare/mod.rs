//! The before/after comparison: two [`Profile`]s and the [`Settings`] in, a report
//! [`Comparison`] out. Nothing here reads files or flags, so a side built from traces, from
//! several runs or from a saved baseline is compared the same way.
//!
//! - [`stats`]: Mann–Whitney U and Hodges–Lehmann (checked against scipy's vectors);
//! - [`diff`]: the status of each operation (the rules are in docs/compare.md);
//! - [`attribution`]: which children explain a regressed operation;
//! - [`memory`]: garbage collection and counters set side by side (informational).

pub mod attribution;
pub mod causes;
pub mod coverage;
pub mod diff;
pub mod distributions;
pub mod environment;
pub mod memory;
pub mod paired;
pub mod stats;

use crate::ops::{OpProfile, Profile, RunFigures};
pub use crate::outcome::Metric;
use crate::outcome::{ChangeStatus, Comparison, Evidence, OpChange};

/// How each metric is computed from an operation's calls.
impl Metric {
    /// The metric of one operation on a side of `runs` runs, µs.
    pub fn of(self, op: &OpProfile, runs: u32) -> f64 {
        let runs = f64::from(runs.max(1));
        match self {
            Metric::P95 => op.percentile_us(0.95),
            Metric::P50 => op.percentile_us(0.50),
            Metric::Mean => op.mean_us(),
            Metric::Max => op.max_us,
            Metric::Total => op.total_us / runs,
            Metric::SelfTime => op.self_us / runs,
        }
    }

    /// The metric in one run; `None` for a per-call metric in a run without calls.
    pub fn of_run(self, run: &RunFigures) -> Option<f64> {
        let per_call = |v: f64| (run.count > 0).then_some(v);
        match self {
            Metric::P95 => per_call(run.p95_us),
            Metric::P50 => per_call(run.p50_us),
            Metric::Mean => per_call(run.mean_us),
            Metric::Max => per_call(run.max_us),
            Metric::Total => Some(run.total_us),
            Metric::SelfTime => Some(run.self_us),
        }
    }
}

/// Everything a comparison is decided by, resolved once from defaults, budgets.toml
/// `[compare]` and flags (flags win). The defaults are [`Settings::default`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The figure judged (default p95).
    pub metric: Metric,
    /// Smallest relative change that counts, as a fraction (default 0.10 = 10 %).
    pub threshold: f64,
    /// Smallest absolute change that counts, µs (default 1000 = 1 ms).
    pub noise_floor_us: f64,
    /// Significance level of the Mann–Whitney tests (default 0.01).
    pub alpha: f64,
    /// Fewest calls per side for a test (default 5); below it only thresholds apply.
    pub min_samples: usize,
    /// Share of the before side's operations the after side must measure (default 0.5);
    /// below it the tracer is taken as misconfigured and the gate fails.
    pub min_coverage: f64,
    /// With one or two runs per side (calls as the samples), the smallest after/before ratio
    /// that fails (default 1.5); a significant change between the threshold and it warns.
    pub single_run_fail_ratio: f64,
    /// With one run per side, a significant slowdown whose mean call moved less than this
    /// (default 1.3) is within what two runs of the same code differ by: not warned about.
    pub single_run_warn_ratio: f64,
    /// With one run per side, a significant slowdown whose fastest call moved less than this
    /// (default 1.2) does not fail: slower code slows every call, the fastest too.
    pub single_run_fastest_ratio: f64,
    /// Run `k` of before and run `k` of after were made side by side (`perfgate record`,
    /// `compare --paired`): with 3+ pairs the per-pair ratios are the samples.
    pub paired: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            metric: Metric::P95,
            threshold: 0.10,
            noise_floor_us: 1000.0,
            alpha: 0.01,
            min_samples: 5,
            min_coverage: 0.5,
            single_run_fail_ratio: 1.5,
            single_run_warn_ratio: 1.3,
            single_run_fastest_ratio: 1.2,
            paired: false,
        }
    }
}

/// Compares every operation of `before` and `after`: regressions first (largest change
/// first), then improvements, then the rest by name.
pub fn compare(before: &Profile, after: &Profile, settings: &Settings) -> Comparison {
    let measured = environment::measured(before, after, settings.paired);
    let sides = diff::Sides {
        before,
        after,
        after_scale: measured.map_or(1.0, |m| m.after_scale),
    };
    let mut names: Vec<&String> = before.operations.keys().collect();
    names.extend(
        after
            .operations
            .keys()
            .filter(|k| !before.operations.contains_key(*k)),
    );
    // Assessed once: the tests of every operation are needed before any can be judged, since
    // their p-values set each other's levels (Holm).
    let assessed: Vec<(&String, Option<diff::Assessment>)> = names
        .into_iter()
        .map(|name| (name, diff::assess_op(name, &sides, settings)))
        .collect();
    let tested_p: Vec<f64> = assessed
        .iter()
        .filter_map(|(_, x)| x.as_ref().filter(|x| x.is_tested())?.p_value)
        .collect();
    let tested = tested_p.len();
    let mut levels = diff::holm_levels(&tested_p, settings.alpha).into_iter();
    let mut operations: Vec<OpChange> = Vec::with_capacity(assessed.len());
    operations.extend(assessed.iter().filter_map(|(name, x)| {
        // Holm's gentler levels only where the runs are the samples: a test on the calls
        // of one run sees a run that was slower as a whole as significant, and stepping
        // down from such a rejection would turn a warning about a diffuse slowdown into a
        // failure of its children (the harness measured 13 % A/A FAIL against 10.5 %).
        let bonferroni = settings.alpha / tested.max(1) as f64;
        let alpha = match x {
            Some(x) if x.is_tested() => {
                let holm = levels.next().unwrap_or(bonferroni);
                if x.evidence == Evidence::Calls {
                    bonferroni
                } else {
                    holm
                }
            }
            _ => bonferroni,
        };
        let mut change = diff::change_of(name, x.as_ref(), &sides, settings, alpha)?;
        if change.status == ChangeStatus::Regressed {
            change.attribution = attribution::attribute(name, &sides, settings.metric);
        }
        Some(change)
    }));
    drop(assessed);
    let causes = causes::find(&mut operations, &sides, settings.metric);
    // Names are unique (one row per operation): the order is total, and an unstable sort
    // gives the stable sort's order without its buffer of half the rows.
    operations.sort_unstable_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then(magnitude(b).total_cmp(&magnitude(a)))
            .then(a.name.cmp(&b.name))
    });
    Comparison {
        metric: settings.metric,
        threshold_pct: settings.threshold * 100.0,
        noise_floor_us: settings.noise_floor_us,
        alpha: settings.alpha,
        min_samples: settings.min_samples,
        tested,
        // Pairs cancel the machine's drift; a whole-run estimate would name the code's change.
        environment: if settings.paired {
            None
        } else {
            environment::estimate(before, after, settings.min_samples)
        },
        measured_environment: measured,
        before_runs: before.runs,
        after_runs: after.runs,
        coverage: coverage::coverage(before, after, settings.min_coverage),
        causes,
        operations,
        // Set by the caller from the traces' memory (`memory::change`): profiles hold none.
        memory: None,
    }
}

/// Section order: regressions, warnings, improvements, added, removed, the rest.
fn rank(c: &OpChange) -> u8 {
    match (c.status, c.severity) {
        (ChangeStatus::Regressed, _) => 0,
        (_, Some(_)) => 1,
        (ChangeStatus::Improved, _) => 2,
        (ChangeStatus::Added, _) => 3,
        (ChangeStatus::Removed, _) => 4,
        _ => 5,
    }
}

fn magnitude(c: &OpChange) -> f64 {
    c.delta_us.map_or(0.0, f64::abs)
}

/// Settings given by one source (budgets.toml `[compare]`, or flags); `None` keeps what is
/// there. Apply the file first, then the flags.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SettingsOverrides {
    pub metric: Option<Metric>,
    pub threshold: Option<f64>,
    pub noise_floor_us: Option<f64>,
    pub alpha: Option<f64>,
    pub min_samples: Option<usize>,
    pub min_coverage: Option<f64>,
}

impl Settings {
    /// These settings with every value `overrides` sets replaced.
    pub fn with(mut self, overrides: &SettingsOverrides) -> Settings {
        self.metric = overrides.metric.unwrap_or(self.metric);
        self.threshold = overrides.threshold.unwrap_or(self.threshold);
        self.noise_floor_us = overrides.noise_floor_us.unwrap_or(self.noise_floor_us);
        self.alpha = overrides.alpha.unwrap_or(self.alpha);
        self.min_samples = overrides.min_samples.unwrap_or(self.min_samples);
        self.min_coverage = overrides.min_coverage.unwrap_or(self.min_coverage);
        self
    }

    /// Checks the ranges; the message names the setting and what it accepts.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.threshold.is_finite() && self.threshold >= 0.0) {
            return Err(format!(
                "threshold must be 0% or more, not {}",
                self.threshold
            ));
        }
        if !(self.noise_floor_us.is_finite() && self.noise_floor_us >= 0.0) {
            return Err("noise floor must be a duration of 0 or more".into());
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(format!("alpha must be between 0 and 1, not {}", self.alpha));
        }
        if !(0.0..=1.0).contains(&self.min_coverage) {
            return Err(format!(
                "min coverage must be between 0% and 100%, not {}",
                self.min_coverage * 100.0
            ));
        }
        if self.min_samples < 2 {
            return Err("min samples must be 2 or more (a test needs samples)".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let file = SettingsOverrides {
            threshold: Some(0.2),
            alpha: Some(0.05),
            ..SettingsOverrides::default()
        };
        let flags = SettingsOverrides {
            alpha: Some(0.001),
            metric: Some(Metric::Mean),
            ..SettingsOverrides::default()
        };
        let s = Settings::default().with(&file).with(&flags);
        assert_eq!(s.threshold, 0.2);
        assert_eq!(s.alpha, 0.001);
        assert_eq!(s.metric, Metric::Mean);
        assert_eq!(s.noise_floor_us, 1000.0);
        assert!(s.validate().is_ok());
        assert!(Settings { alpha: 1.5, ..s }.validate().is_err());
    }

    /// One run of calls (µs) of each operation.
    fn side(ops: &[(&str, Vec<f64>)]) -> Profile {
        let op = |calls: &[f64]| {
            let mut d = calls.to_vec();
            d.sort_by(f64::total_cmp);
            let total: f64 = d.iter().sum();
            let n = d.len();
            OpProfile {
                function: "f".into(),
                count: n as u64,
                total_us: total,
                self_us: total,
                min_us: d[0],
                max_us: d[n - 1],
                per_run: vec![RunFigures {
                    count: n as u64,
                    total_us: total,
                    mean_us: total / n as f64,
                    p50_us: crate::ops::percentile(&d, 0.5),
                    p95_us: crate::ops::percentile(&d, 0.95),
                    max_us: d[n - 1],
                    min_us: d[0],
                    self_us: total,
                }],
                durations_us: d,
                ..OpProfile::default()
            }
        };
        Profile {
            runs: 1,
            operations: ops.iter().map(|(k, c)| (k.to_string(), op(c))).collect(),
            ..Profile::default()
        }
    }

    /// `n` distinct calls within ±2 % of `centre` µs.
    fn calls(n: usize, centre: f64) -> Vec<f64> {
        (0..n)
            .map(|i| centre * (0.98 + 0.04 * i as f64 / n as f64))
            .collect()
    }

    #[test]
    fn rows_come_by_section_then_by_size_of_change() {
        let before = side(&[
            ("slow", calls(20, 30_000.0)),
            ("slower", calls(20, 30_000.0)),
            ("fast", calls(20, 60_000.0)),
            ("gone", calls(20, 1_000.0)),
            ("same", calls(20, 5_000.0)),
        ]);
        let after = side(&[
            ("slow", calls(20, 60_000.0)),
            ("slower", calls(20, 90_000.0)),
            ("fast", calls(20, 30_000.0)),
            ("same", calls(20, 5_000.0)),
            // 20 ms a run: above the 1 ms noise floor, a warning; 0.5 ms: information.
            ("new_costly", calls(20, 1_000.0)),
            ("new", vec![500.0]),
        ]);
        let c = compare(&before, &after, &Settings::default());
        let rows: Vec<(&str, ChangeStatus)> = c
            .operations
            .iter()
            .map(|o| (o.name.as_str(), o.status))
            .collect();
        assert_eq!(
            rows,
            [
                ("slower", ChangeStatus::Regressed),
                ("slow", ChangeStatus::Regressed),
                ("new_costly", ChangeStatus::Added),
                ("fast", ChangeStatus::Improved),
                ("new", ChangeStatus::Added),
                ("gone", ChangeStatus::Removed),
                ("same", ChangeStatus::Unchanged),
            ]
        );
        // Three tests share alpha; a test on calls is held to alpha / 3 (Bonferroni).
        assert_eq!(c.tested, 3);
        let slow = c.operations.iter().find(|o| o.name == "slow").unwrap();
        assert_eq!(slow.alpha, Some(0.01 / 3.0));
        assert_eq!((c.before_runs, c.after_runs), (1, 1));
    }

    #[test]
    fn settings_are_valid_up_to_the_ends_of_their_ranges() {
        let d = Settings::default();
        let ok = |s: Settings| s.validate().is_ok();
        assert!(ok(Settings {
            threshold: 0.0,
            noise_floor_us: 0.0,
            ..d
        }));
        assert!(!ok(Settings {
            threshold: -0.01,
            ..d
        }));
        assert!(!ok(Settings {
            threshold: f64::NAN,
            ..d
        }));
        assert!(!ok(Settings {
            threshold: f64::INFINITY,
            ..d
        }));
        assert!(!ok(Settings {
            noise_floor_us: -1.0,
            ..d
        }));
        assert!(!ok(Settings {
            noise_floor_us: f64::INFINITY,
            ..d
        }));
        assert!(ok(Settings { alpha: 0.5, ..d }));
        assert!(!ok(Settings { alpha: 0.0, ..d }));
        assert!(!ok(Settings { alpha: 1.0, ..d }));
        assert!(ok(Settings {
            min_coverage: 0.0,
            ..d
        }));
        assert!(ok(Settings {
            min_coverage: 1.0,
            ..d
        }));
        assert!(!ok(Settings {
            min_coverage: 1.01,
            ..d
        }));
        assert!(!ok(Settings {
            min_coverage: -0.01,
            ..d
        }));
        assert!(ok(Settings {
            min_samples: 2,
            ..d
        }));
        assert!(!ok(Settings {
            min_samples: 1,
            ..d
        }));
        let all = SettingsOverrides {
            metric: Some(Metric::Total),
            threshold: Some(0.3),
            noise_floor_us: Some(5.0),
            alpha: Some(0.02),
            min_samples: Some(7),
            min_coverage: Some(0.9),
        };
        let s = d.with(&all);
        assert_eq!(
            (
                s.metric,
                s.threshold,
                s.noise_floor_us,
                s.alpha,
                s.min_samples,
                s.min_coverage
            ),
            (Metric::Total, 0.3, 5.0, 0.02, 7, 0.9)
        );
    }

    #[test]
    fn each_metric_reads_its_own_figure() {
        // Calls of 10, 20, 30, 40 and 100 us over 2 runs (numpy: p50 30, p95 88), 150 us of
        // it the operation's own code.
        let op = OpProfile {
            count: 5,
            total_us: 200.0,
            self_us: 150.0,
            max_us: 100.0,
            durations_us: vec![10.0, 20.0, 30.0, 40.0, 100.0],
            ..OpProfile::default()
        };
        let of = |m: Metric| m.of(&op, 2);
        assert_eq!(of(Metric::P50), 30.0);
        assert!((of(Metric::P95) - 88.0).abs() < 1e-9);
        assert_eq!(of(Metric::Mean), 40.0);
        assert_eq!(of(Metric::Max), 100.0);
        // Sums are per run.
        assert_eq!(of(Metric::Total), 100.0);
        assert_eq!(of(Metric::SelfTime), 75.0);
        assert_eq!(Metric::Total.of(&op, 0), 200.0, "no run counts as one");
        let run = RunFigures {
            count: 2,
            total_us: 30.0,
            mean_us: 15.0,
            p50_us: 14.0,
            p95_us: 19.0,
            max_us: 20.0,
            min_us: 10.0,
            self_us: 12.0,
        };
        let figures: Vec<Option<f64>> = Metric::ALL.iter().map(|m| m.of_run(&run)).collect();
        let want = [19.0, 14.0, 15.0, 20.0, 30.0, 12.0].map(Some);
        assert_eq!(figures, want);
        // A run without a call has no per-call figure, and sums of 0.
        let idle = RunFigures::default();
        assert_eq!(Metric::P95.of_run(&idle), None);
        assert_eq!(Metric::Mean.of_run(&idle), None);
        assert_eq!(Metric::Total.of_run(&idle), Some(0.0));
    }
}
