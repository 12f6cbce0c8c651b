//! Every line perfgate writes to a log is neutral to GitHub workflow commands.
//!
//! The Actions runner reads each line of a step's output (standard output and standard error)
//! as a possible command: a line whose text, after leading white space, starts with `::`
//! (`::error::`, `::add-mask::`, `::stop-commands::`), and the older form `##[command]`
//! anywhere in a line. Operation names and file names come from pull requests, so a name
//! printed at the start of a table row, or after a line break in a file name, could issue a
//! command. [`neutral`] changes exactly those sequences into visible, inert text: the first
//! `:` of such a line is shown as `\u{3a}`, the second `#` of `##[` as `\u{23}`, in the
//! notation perfgate uses for every character it will not print as is. The terminal table,
//! the warnings and notes on standard error and the error message all pass through it.

use std::borrow::Cow;

/// `text` with every line that would start a workflow command, and every `##[`, made inert.
/// Lines are split as the runner splits them: at `\n`, `\r` and `\r\n`.
pub fn neutral(text: &str) -> Cow<'_, str> {
    if !needs_change(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).map_or(rest.len(), |i| i + 1);
        let (line, after) = rest.split_at(end);
        push_line(&mut out, line);
        rest = after;
    }
    Cow::Owned(out.replace("##[", "#\\u{23}["))
}

/// Whether any line starts a command or any `##[` is in `text`.
fn needs_change(text: &str) -> bool {
    text.contains("##[") || text.split(['\n', '\r']).any(starts_command)
}

fn starts_command(line: &str) -> bool {
    line.trim_start().starts_with("::")
}

/// One line (with its line break, if any), its leading `:` shown as code when it starts a
/// command.
fn push_line(out: &mut String, line: &str) {
    if starts_command(line) {
        let indent = line.len() - line.trim_start().len();
        out.push_str(&line[..indent]);
        out.push_str("\\u{3a}");
        out.push_str(&line[indent + 1..]);
    } else {
        out.push_str(line);
    }
}

/// Writes one line to standard error, neutral (see [`neutral`]).
pub fn eprint_line(line: &str) {
    eprintln!("{}", neutral(line));
}

/// `eprintln!` for everything perfgate says on standard error: the line passes through
/// [`neutral`] first.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::log::eprint_line(&format!($($arg)*))
    };
}
pub(crate) use say;

#[cfg(test)]
mod tests {
    use super::*;

    /// What the Actions runner takes for a command in one line of output.
    fn runner_sees_command(line: &str) -> bool {
        line.trim_start().starts_with("::") || line.contains("##[")
    }

    #[test]
    fn no_line_of_neutral_text_is_a_workflow_command() {
        let hostile =
            "::error::x\n  ::stop-commands::tok\r::add-mask::s\r\nok ##[error]boom ###[x]\n";
        let safe = neutral(hostile);
        for line in safe.split(['\n', '\r']) {
            assert!(!runner_sees_command(line), "{line:?} in {safe:?}");
        }
        assert_eq!(
            safe,
            "\\u{3a}:error::x\n  \\u{3a}:stop-commands::tok\r\\u{3a}:add-mask::s\r\nok #\\u{23}[error]boom ##\\u{23}[x]\n"
        );
    }

    #[test]
    fn ordinary_text_is_left_as_it_is() {
        let text = "perfgate: warning: a.json: 3 begin (B) event(s) never ended\n  std::fs::read";
        assert!(matches!(neutral(text), Cow::Borrowed(_)));
    }
}
