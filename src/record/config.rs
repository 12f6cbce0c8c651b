//! The `[record]` section of budgets.toml: what `perfgate record` runs when the command line
//! does not say. Read here, from the file's text, so the section's schema lives with the
//! command; `budget::config` only accepts the section's presence.
//!
//! ```toml
//! [record]
//! command = "python app.py --requests 20"       # run through sh -c in each checkout
//! tracer = "viztracer --quiet -o {trace} -- {command}"
//! runs = 5                                        # per side
//! warmup = 1                                      # per side, discarded
//! ```

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::config::ConfigError;

/// What `[record]` says; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordConfig {
    /// The command to trace, a shell command line.
    pub command: Option<String>,
    /// The tracer template, with `{trace}` and `{command}`.
    pub tracer: Option<String>,
    /// Runs per side.
    pub runs: Option<u32>,
    /// Warm-up runs per side, discarded.
    pub warmup: Option<u32>,
}

#[derive(Deserialize)]
struct RawFile {
    record: Option<RawRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    command: Option<Spanned<String>>,
    tracer: Option<Spanned<String>>,
    runs: Option<Spanned<i64>>,
    warmup: Option<Spanned<i64>>,
}

/// Reads `[record]` of the budgets file at `path` (an absent section is the default).
pub fn load(path: &Path) -> Result<RecordConfig, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: name.clone(),
        source,
    })?;
    parse(&name, &text)
}

/// [`load`] of a file's text.
pub fn parse(path: &str, text: &str) -> Result<RecordConfig, ConfigError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let message = e
            .message()
            .trim_end()
            .replace("unknown field", "unknown key")
            .to_string();
        error(path, text, e.span().unwrap_or(0..0), message)
    })?;
    let Some(r) = raw.record else {
        return Ok(RecordConfig::default());
    };
    let non_empty = |s: Option<Spanned<String>>, key: &str| match s {
        Some(v) if v.get_ref().trim().is_empty() => {
            Err(error(path, text, v.span(), format!("`{key}` is empty")))
        }
        Some(v) => Ok(Some(v.into_inner())),
        None => Ok(None),
    };
    let count = |s: Option<Spanned<i64>>, key: &str, min: i64| match s {
        Some(v) if *v.get_ref() < min || *v.get_ref() > 1000 => Err(error(
            path,
            text,
            v.span(),
            format!("`{key}` must be between {min} and 1000"),
        )),
        Some(v) => Ok(Some(*v.get_ref() as u32)),
        None => Ok(None),
    };
    let tracer = match r.tracer {
        Some(t) => match check_template(t.get_ref()) {
            Ok(()) => Some(t.into_inner()),
            Err(message) => return Err(error(path, text, t.span(), message)),
        },
        None => None,
    };
    Ok(RecordConfig {
        command: non_empty(r.command, "command")?,
        tracer,
        runs: count(r.runs, "runs", 2)?,
        warmup: count(r.warmup, "warmup", 0)?,
    })
}

/// A tracer template must say where the trace goes and where the command goes.
pub fn check_template(template: &str) -> Result<(), String> {
    for slot in ["{trace}", "{command}"] {
        if !template.contains(slot) {
            return Err(format!(
                "the tracer template `{template}` has no {slot}: it must say where the trace \
                 is written and where the command goes, e.g. \
                 `viztracer --quiet -o {{trace}} -- {{command}}`"
            ));
        }
    }
    Ok(())
}

/// A [`ConfigError::Invalid`] at `span`, with the line and a caret, as budget::config words it.
fn error(path: &str, text: &str, span: Range<usize>, message: impl Into<String>) -> ConfigError {
    let start = span.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..start].matches('\n').count() + 1;
    let column = text[line_start..start].chars().count() + 1;
    let line_text = text[line_start..]
        .split('\n')
        .next()
        .unwrap_or("")
        .trim_end_matches('\r');
    let width = text[start..span.end.clamp(start, text.len())]
        .split('\n')
        .next()
        .map_or(1, |s| s.chars().count().max(1));
    let gutter = " ".repeat(line.to_string().len());
    let snippet = format!(
        "\n{gutter} |\n{line} | {line_text}\n{gutter} | {}{}",
        " ".repeat(column - 1),
        "^".repeat(width)
    );
    ConfigError::Invalid {
        path: path.to_string(),
        line,
        column,
        message: message.into(),
        snippet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_section_and_ignores_the_others() {
        let c = parse(
            "b.toml",
            "[compare]\nmetric = \"p50\"\n[record]\ncommand = \"python app.py\"\nruns = 4\nwarmup = 0\n\
             tracer = \"viztracer -o {trace} -- {command}\"\n",
        )
        .unwrap();
        assert_eq!(c.command.as_deref(), Some("python app.py"));
        assert_eq!((c.runs, c.warmup), (Some(4), Some(0)));
        assert_eq!(parse("b.toml", "").unwrap(), RecordConfig::default());
    }

    #[test]
    fn errors_name_the_place() {
        let err = |t: &str| parse("b.toml", t).unwrap_err().to_string();
        assert!(err("[record]\nruns = 1\n").contains("b.toml:2:8: `runs` must be between 2"));
        assert!(err("[record]\ncmd = \"x\"\n").contains("b.toml:2:1: unknown key `cmd`"));
        let e = err("[record]\ntracer = \"viztracer -o out.json\"\n");
        assert!(
            e.contains("b.toml:2:10:") && e.contains("no {trace}"),
            "{e}"
        );
        assert!(err("[record]\ncommand = \" \"\n").contains("`command` is empty"));
    }
}
