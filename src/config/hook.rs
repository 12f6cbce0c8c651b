//! `[hook]`: what the pre-push hook runs (docs/hooks.md).

use serde::Deserialize;

use super::{ConfigError, Source, Sp};
use crate::outcome::Severity;

/// `[hook]`: what the pre-push hook runs; every field optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HookConfig {
    /// Shell command that produces the trace.
    pub command: Option<String>,
    /// The trace file the command writes.
    pub trace: Option<String>,
    /// Baseline: a path, or `REV:PATH` in git.
    pub baseline: Option<String>,
    /// The severity that blocks the push.
    pub fail_on: Option<Severity>,
    /// Run `perfgate record` (the `[record]` section) instead of judging one trace.
    pub record: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHook {
    command: Option<Sp<String>>,
    trace: Option<Sp<String>>,
    baseline: Option<Sp<String>>,
    fail_on: Option<Sp<String>>,
    record: Option<bool>,
}

/// Reads `[hook]`; every key is optional, none may be empty.
pub(super) fn read(src: &Source, raw: Option<RawHook>) -> Result<HookConfig, ConfigError> {
    let Some(r) = raw else {
        return Ok(HookConfig::default());
    };
    let non_empty = |s: &Option<Sp<String>>, key: &str| -> Result<Option<String>, ConfigError> {
        match s {
            Some(v) if v.get_ref().trim().is_empty() => {
                Err(src.error(v.span(), format!("`{key}` is empty")))
            }
            Some(v) => Ok(Some(v.get_ref().clone())),
            None => Ok(None),
        }
    };
    Ok(HookConfig {
        command: non_empty(&r.command, "command")?,
        trace: non_empty(&r.trace, "trace")?
            .map(|t| inside_repository(src, r.trace.as_ref().map_or(0..0, |v| v.span()), t))
            .transpose()?,
        baseline: non_empty(&r.baseline, "baseline")?,
        fail_on: r.fail_on.as_ref().map(|s| src.severity(s)).transpose()?,
        record: r.record.unwrap_or(false),
    })
}

/// `[hook] trace` is removed before the hook's command runs (so that a stale trace is never
/// judged): it must name a file inside the repository, a relative path without `..`.
fn inside_repository(
    src: &Source,
    span: std::ops::Range<usize>,
    trace: String,
) -> Result<String, ConfigError> {
    use std::path::{Component, Path};
    let escapes = Path::new(&trace)
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    if escapes {
        return Err(src.error(
            span,
            "`trace` must be a path inside the repository, relative and without `..` \
             (the hook removes it before running `command`)",
        ));
    }
    Ok(trace)
}
