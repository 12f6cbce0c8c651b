//! `[scope]`: the operations every command looks at (`include`, `exclude`; selectors as in
//! [`crate::ops::scope`]). `--include` replaces `include`, `--exclude` adds to `exclude`,
//! `--no-scope` ignores the section.

use serde::Deserialize;

use super::{ConfigError, Source, Sp};
use crate::ops::scope::Selector;

/// `[scope]` as written, each selector checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeConfig {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScope {
    #[serde(default)]
    include: Vec<Sp<String>>,
    #[serde(default)]
    exclude: Vec<Sp<String>>,
}

/// Reads `[scope]`; a bad selector is an error at its line:column.
pub(super) fn read(src: &Source, raw: Option<RawScope>) -> Result<ScopeConfig, ConfigError> {
    let Some(raw) = raw else {
        return Ok(ScopeConfig::default());
    };
    let checked = |list: &[Sp<String>]| {
        list.iter()
            .map(|s| {
                Selector::parse(s.get_ref())
                    .map(|_| s.get_ref().clone())
                    .map_err(|e| src.error(s.span(), format!("invalid scope selector {e}")))
            })
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(ScopeConfig {
        include: checked(&raw.include)?,
        exclude: checked(&raw.exclude)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::parse;
    use crate::config::tests::err;

    #[test]
    fn selectors_are_checked_where_they_are_written() {
        let c = parse(
            "[scope]\ninclude = [\"own\"]\nexclude = [\"list.*\", \"file:tests/*\"]\n",
            "b.toml",
        )
        .unwrap();
        assert_eq!(c.scope.include, ["own"]);
        assert_eq!(c.scope.exclude, ["list.*", "file:tests/*"]);
        let e = err("[scope]\nexclude = [\"origin:mine\"]\n");
        assert!(
            e.starts_with("b.toml:2:12: invalid scope selector unknown origin `mine`"),
            "{e}"
        );
        assert!(err("[scope]\nonly = []\n").contains("b.toml:2:1: unknown key `only`"));
    }
}
