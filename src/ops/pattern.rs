//! Operation patterns, as budgets.toml, `[scope]` and `--include`/`--exclude` write them: a
//! glob on the function name or the operation key (`call_claude`, `*_query`,
//! `call_claude (diagnostic.py)`), or a regular expression with the `regex:` prefix
//! (`regex:^get_(session|prerequisite)$`), searched unanchored.

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;

use super::OpInfo;

/// A compiled operation pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The pattern as written, for reports.
    pub text: String,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    Glob(GlobSet),
    Regex(Regex),
}

impl Pattern {
    /// Compiles `text`; the error says what is wrong with it.
    pub fn new(text: &str) -> Result<Pattern, String> {
        if text.trim().is_empty() {
            return Err(
                "the pattern is empty; write a function name or a glob like \"get_*\"".into(),
            );
        }
        let length = text.chars().count();
        if length > MAX_PATTERN_CHARS {
            return Err(format!(
                "the pattern is {length} characters long; an operation pattern has at most \
                 {MAX_PATTERN_CHARS}"
            ));
        }
        let matcher = match text.strip_prefix("regex:") {
            Some(re) => Matcher::Regex(
                Regex::new(re).map_err(|e| format!("invalid regular expression `{re}`: {e}"))?,
            ),
            None => Matcher::Glob(compile_glob(text)?),
        };
        Ok(Pattern {
            text: text.to_string(),
            matcher,
        })
    }

    /// Whether `s` matches.
    pub fn is_match(&self, s: &str) -> bool {
        match &self.matcher {
            Matcher::Glob(g) => g.is_match(s),
            Matcher::Regex(r) => r.is_match(s),
        }
    }

    /// Whether the operation's function name or key matches.
    pub fn matches_op(&self, info: &OpInfo) -> bool {
        self.is_match(&info.function) || self.is_match(&info.key)
    }
}

/// The longest operation pattern accepted: a pattern is a name or a short glob, and a huge one
/// made globset panic (and was echoed whole in the message).
pub const MAX_PATTERN_CHARS: usize = 1000;

/// A glob as a set of one: building it reports a pattern too large to compile as an error,
/// where `Glob::compile_matcher` panics.
fn compile_glob(text: &str) -> Result<GlobSet, String> {
    let glob = Glob::new(text).map_err(|e| format!("invalid glob `{text}`: {}", e.kind()))?;
    let mut set = GlobSetBuilder::new();
    set.add(glob);
    set.build()
        .map_err(|e| format!("glob `{text}` cannot be compiled: {}", e.kind()))
}

/// Any of several patterns.
#[derive(Debug, Clone, Default)]
pub struct PatternSet(pub Vec<Pattern>);

impl PatternSet {
    pub fn matches_op(&self, info: &OpInfo) -> bool {
        self.0.iter().any(|p| p.matches_op(info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(key: &str, function: &str) -> OpInfo {
        OpInfo {
            origin: crate::ops::Origin::Own,
            key: key.into(),
            function: function.into(),
            file: None,
            line: None,
        }
    }

    #[test]
    fn globs_match_the_function_or_the_key() {
        let q = op("execute_query (diagnostic.py)", "execute_query");
        assert!(Pattern::new("execute_query").unwrap().matches_op(&q));
        assert!(Pattern::new("*_query").unwrap().matches_op(&q));
        assert!(
            Pattern::new("execute_query (diagnostic.py)")
                .unwrap()
                .matches_op(&q)
        );
        assert!(!Pattern::new("execute").unwrap().matches_op(&q));
        // asyncio.sleep is `sleep (tasks.py)`, not time.sleep.
        let s = op("sleep (tasks.py)", "sleep");
        assert!(!Pattern::new("time.sleep").unwrap().matches_op(&s));
    }

    #[test]
    fn regexes_are_searched() {
        let p = Pattern::new("regex:^get_(session|prerequisite)$").unwrap();
        assert!(p.matches_op(&op("get_session (db.py)", "get_session")));
        assert!(!p.matches_op(&op("get_student (db.py)", "get_student")));
    }

    #[test]
    fn invalid_patterns_are_explained() {
        assert!(Pattern::new("get_[").unwrap_err().contains("invalid glob"));
        assert!(
            Pattern::new("regex:(")
                .unwrap_err()
                .contains("regular expression")
        );
        assert!(Pattern::new("").is_err());
    }
}
