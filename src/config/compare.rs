//! `[compare]`: the defaults of `perfgate compare` (its flags override them). The metric is
//! [`crate::outcome::Metric`], the one the command line and the JSON report name too.

use serde::Deserialize;

use super::{ConfigError, Source, Sp};
use crate::units::parse_percent;

/// `[compare]`: defaults of `perfgate compare`; every field optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompareConfig {
    pub metric: Option<crate::outcome::Metric>,
    /// Relative change that counts as a regression, percent.
    pub threshold_pct: Option<f64>,
    /// Absolute changes below this are noise, µs.
    pub noise_floor_us: Option<f64>,
    /// Significance level of the Mann–Whitney test, in (0, 1).
    pub alpha: Option<f64>,
    /// Fewest calls per side for a statistical verdict.
    pub min_samples: Option<u64>,
    /// Share of the before side's operations the after side must measure, percent.
    pub min_coverage_pct: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCompare {
    metric: Option<Sp<String>>,
    threshold: Option<Sp<toml::Value>>,
    noise_floor: Option<Sp<toml::Value>>,
    alpha: Option<Sp<f64>>,
    min_samples: Option<Sp<i64>>,
    min_coverage: Option<Sp<String>>,
}

/// Reads `[compare]`; every key is optional.
pub(super) fn read(src: &Source, raw: Option<RawCompare>) -> Result<CompareConfig, ConfigError> {
    let Some(r) = raw else {
        return Ok(CompareConfig::default());
    };
    let metric = r
        .metric
        .as_ref()
        .map(|m| {
            crate::outcome::Metric::parse(m.get_ref())
                .ok_or_else(|| {
                    src.error(
                        m.span(),
                        format!(
                            "unknown compare metric \"{}\"; expected one of p95, p50, mean, max, total, self",
                            m.get_ref()
                        ),
                    )
                })
        })
        .transpose()?;
    let threshold_pct = r
        .threshold
        .as_ref()
        .map(|t| match t.get_ref() {
            toml::Value::String(s) => parse_percent(s).map_err(|e| src.error(t.span(), e)),
            toml::Value::Integer(n) if *n >= 0 => Ok(*n as f64),
            toml::Value::Float(x) if *x > 0.0 && *x < 1.0 => Err(src.error(
                t.span(),
                format!(
                    "threshold {x} is ambiguous: write \"{}%\" for a fraction, or \"{x}%\" for a percentage",
                    x * 100.0
                ),
            )),
            toml::Value::Float(x) if *x >= 0.0 && x.is_finite() => Ok(*x),
            _ => Err(src.error(
                t.span(),
                "threshold must be a percentage like \"10%\" or a non-negative number of percent",
            )),
        })
        .transpose()?;
    let noise_floor_us = r
        .noise_floor
        .as_ref()
        .map(|v| src.duration_value(v))
        .transpose()?;
    let alpha = r
        .alpha
        .as_ref()
        .map(|a| {
            let x = *a.get_ref();
            if x > 0.0 && x < 1.0 {
                Ok(x)
            } else {
                Err(src.error(a.span(), "alpha must be between 0 and 1, e.g. 0.01"))
            }
        })
        .transpose()?;
    let min_samples = r
        .min_samples
        .as_ref()
        // A significance test needs two samples (as `--min-samples` says).
        .map(|n| src.count(n, 2))
        .transpose()?;
    let min_coverage_pct = r
        .min_coverage
        .as_ref()
        .map(|c| match parse_percent(c.get_ref()) {
            Ok(pct) if pct <= 100.0 => Ok(pct),
            Ok(_) => Err(src.error(c.span(), "min_coverage must be at most \"100%\"")),
            Err(e) => Err(src.error(c.span(), e)),
        })
        .transpose()?;
    Ok(CompareConfig {
        metric,
        threshold_pct,
        noise_floor_us,
        alpha,
        min_samples,
        min_coverage_pct,
    })
}
