//! Escaping of untrusted text for every sink perfgate writes to.
//!
//! Operation names, call paths and finding messages come from traces, and traces come from pull
//! requests: a name may hold `|`, backticks, HTML, `@mentions`, control characters or a GitHub
//! workflow command. Every renderer passes such text through one of these functions, so no name
//! can change the structure of a Markdown table, close a `<details>`, inject HTML or a mention,
//! break XML, or issue a workflow command.

use std::fmt::Write as _;

/// Text for a Markdown (GitHub Flavored) table cell or inline text.
///
/// - line breaks, tabs and other control characters become a space (a cell is one line);
/// - `&`, `<`, `>`, `"` become HTML entities, so no tag (`</details>`, `<script>`) survives;
/// - `|` becomes `\|` (GFM splits table cells on it, even inside code spans);
/// - Markdown punctuation (`` \ ` * _ [ ] ~ ``) is backslash-escaped, so no emphasis, code
///   span, link or strike-through starts inside a name;
/// - `@` is followed by a zero-width space so `@user` or `@org/team` mentions nobody;
/// - bidirectional controls are shown as `\u{202e}` (see [`is_bidi_control`]);
/// - a zero-width space breaks what GitHub would turn into a link: `://` of a URL, `www.`,
///   and `#` before a digit (`#123`, `org/repo#2` link issues).
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if starts_autolink(&chars, i) {
            // `#` and `:` need no escaping of their own.
            out.push(c);
            out.push_str(ZERO_WIDTH_SPACE);
            continue;
        }
        if c == '.' && follows_www(&chars, i) {
            out.push_str(ZERO_WIDTH_SPACE);
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '@' => out.push_str("@&#8203;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c if is_bidi_control(c) => push_code(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// A zero-width space as an HTML entity: invisible, and it stops GitHub's autolinks.
const ZERO_WIDTH_SPACE: &str = "&#8203;";

/// Whether GitHub would start a link at character `i`: a `#` before a digit (an issue
/// reference), or the `:` of `://` (a URL). The zero-width space goes after it.
fn starts_autolink(chars: &[char], i: usize) -> bool {
    match chars[i] {
        '#' => chars.get(i + 1).is_some_and(char::is_ascii_digit),
        ':' => chars.get(i + 1..i + 3) == Some(&['/', '/']),
        _ => false,
    }
}

/// Whether `www` (any case) stands right before character `i`.
fn follows_www(chars: &[char], i: usize) -> bool {
    i >= 3 && chars[i - 3..i].iter().all(|c| c.eq_ignore_ascii_case(&'w'))
}

/// Unicode bidirectional controls (embeddings, overrides, isolates, marks). They are not
/// control characters to `char::is_control`, yet `bidi\u{202e}gnp.exe` displays as
/// `bidiexe.png`: a name from a pull request could make a report read differently from what
/// it says ("Trojan Source", CVE-2021-42574). Every human-facing sink shows them as code.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// `\u{202e}`: a character shown as its code point.
fn push_code(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// Text for XML 1.0 element content or a double-quoted attribute value.
///
/// Markup characters become entities; tab, line feed and carriage return become character
/// references (so attribute values keep them instead of being normalised to spaces); characters
/// XML 1.0 forbids (other C0 controls, U+FFFE, U+FFFF) become U+FFFD.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    // `&#35;` is `#` to every XML reader, and no `##[` workflow command is left in a log
    // the XML is printed into.
    out.replace("##[", "#&#35;[")
}

/// Whether XML 1.0 allows `c` in a document (production `Char`, tab/LF/CR handled apart).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The message (data) part of a GitHub workflow command: `%`, CR and LF are percent-encoded as
/// the runner expects, so the message stays on one line and decodes back to the original.
/// Other control characters (a NUL, ESC) and bidirectional controls are shown as `\u{..}`:
/// the annotation is read by people in the pull request. No `##[` survives (see [`crate::log`]).
pub fn workflow_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            '\t' => out.push(c),
            c if c.is_control() || is_bidi_control(c) => push_code(&mut out, c),
            c => out.push(c),
        }
    }
    // The old `##[command]` form is read anywhere in a line: shown as code, like a control.
    out.replace("##[", "#\\u{23}[")
}

/// A property value of a GitHub workflow command (`file=`, `title=`): like
/// [`workflow_data`], and also `:` and `,`, which end a property.
pub fn workflow_property(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in workflow_data(text).chars() {
        match c {
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

/// Text for a terminal: control characters (line breaks, ESC of ANSI sequences) are shown as
/// `\n`, `\r`, `\t` or `\u{1b}` instead of acting on the terminal or starting a new line;
/// and the text is neutral to GitHub workflow commands ([`crate::log::neutral`]: a leading
/// `::` and any `##[` shown as code), since terminal output is what CI logs hold.
/// Text longer than [`MAX_TERMINAL_CHARS`] is shortened first (see [`shorten`]): a name of a
/// megabyte is no use on a screen, and laying it out in a table took minutes.
pub fn terminal(text: &str) -> String {
    crate::log::neutral(&visible_controls(&shorten(text, MAX_TERMINAL_CHARS))).into_owned()
}

/// Text for a double-quoted string of a Mermaid diagram (an `xychart-beta` axis label),
/// inside a Markdown code fence.
///
/// - `"` becomes `'`: Mermaid strings have no escape for their own quote;
/// - `%` becomes `％` (U+FF05): `%%{ ... }%%` anywhere in a diagram is a directive that
///   reconfigures it, `%%` at a line's start a comment;
/// - `` ` `` becomes `'`, so no run of backticks can close the code fence;
/// - `<`, `>` and `@` become `‹`, `›` and `＠` (U+FF20): no tag and no mention in the
///   diagram's source, whether a viewer draws it or shows it as code;
/// - `#` becomes `＃` (U+FF03): no `#60;` entity that Mermaid would decode, no `##[error]`
///   the Actions runner reads as a command;
/// - line breaks and other control characters, and bidirectional controls, become a space
///   (a label is one line of the diagram).
pub fn mermaid_string(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '`' => '\'',
            '%' => '\u{FF05}',
            '<' => '‹',
            '>' => '›',
            '@' => '\u{FF20}',
            '#' => '\u{FF03}',
            c if c.is_control() || is_bidi_control(c) => ' ',
            c => c,
        })
        .collect()
}

/// The longest piece of text (a name, a sentence holding one) the terminal shows whole.
pub const MAX_TERMINAL_CHARS: usize = 1000;

/// `s`, or when it has more than `max` characters, its beginning and end around
/// `… (N characters) …`, `max` characters in all.
pub fn shorten(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let n = s.chars().count();
    if n <= max {
        return s.into();
    }
    let note = format!("… ({n} characters) …");
    let keep = max.saturating_sub(note.chars().count());
    let head: String = s.chars().take(keep * 3 / 4).collect();
    let tail: String = s.chars().skip(n - (keep - keep * 3 / 4)).collect();
    format!("{head}{note}{tail}").into()
}

/// `text` with its control characters shown as code (see [`terminal`]).
fn visible_controls(text: &str) -> String {
    if !text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) => push_code(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mermaid_strings_cannot_close_their_quote_fence_or_line() {
        assert_eq!(
            mermaid_string("a\"b`c%%{init}%%\n<x>@me ##[e]\u{202e}"),
            "a'b'c\u{FF05}\u{FF05}{init}\u{FF05}\u{FF05} ‹x›\u{FF20}me \u{FF03}\u{FF03}[e] "
        );
        assert_eq!(
            mermaid_string("traverse_graph (graph.py)"),
            "traverse_graph (graph.py)"
        );
    }

    #[test]
    fn markdown_neutralises_tables_code_html_and_mentions() {
        assert_eq!(markdown("a|b"), r"a\|b");
        assert_eq!(markdown("`x`"), r"\`x\`");
        assert_eq!(markdown("</details>"), "&lt;/details&gt;");
        assert_eq!(
            markdown("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(markdown("@octocat"), "@&#8203;octocat");
        assert_eq!(markdown("a\nb\r\tc"), "a b  c");
        assert_eq!(
            markdown("*x* [l](u) ~~s~~ \\"),
            r"\*x\* \[l\](u) \~\~s\~\~ \\"
        );
        assert_eq!(
            markdown("call_claude (diagnostic.py)"),
            r"call\_claude (diagnostic.py)"
        );
    }

    #[test]
    fn markdown_breaks_what_github_would_autolink() {
        assert_eq!(markdown("see #123"), "see #&#8203;123");
        assert_eq!(markdown("org/repo#2"), "org/repo#&#8203;2");
        assert_eq!(
            markdown("https://evil.example/x"),
            "https:&#8203;//evil.example/x"
        );
        assert_eq!(markdown("WWW.evil.example"), "WWW&#8203;.evil.example");
        assert_eq!(markdown("a#b c:d"), "a#b c:d", "nothing else changes");
    }

    #[test]
    fn xml_escapes_markup_and_replaces_forbidden_characters() {
        assert_eq!(
            xml(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        assert_eq!(xml("a\nb\tc\r"), "a&#10;b&#9;c&#13;");
        assert_eq!(xml("bell\u{7}esc\u{1b}"), "bell\u{FFFD}esc\u{FFFD}");
        assert_eq!(xml("ünïcödé ✓"), "ünïcödé ✓");
    }

    #[test]
    fn workflow_commands_cannot_be_injected() {
        let hostile = "x\n::set-output name=x::y %0A";
        let data = workflow_data(hostile);
        assert!(!data.contains('\n'));
        assert_eq!(data, "x%0A::set-output name=x::y %250A");
        let prop = workflow_property("a:b,c\r\n%");
        assert_eq!(prop, "a%3Ab%2Cc%0D%0A%25");
    }

    #[test]
    fn terminal_shows_control_characters_instead_of_obeying_them() {
        assert_eq!(terminal("plain name"), "plain name");
        assert_eq!(terminal("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
    }

    #[test]
    fn bidirectional_controls_are_shown_not_obeyed_in_every_human_sink() {
        let spoof = "bidi\u{202E}gnp.exe \u{2066}x\u{2069}";
        let shown = "bidi\\u{202e}gnp.exe \\u{2066}x\\u{2069}";
        assert_eq!(terminal(spoof), shown);
        assert_eq!(workflow_data(spoof), shown);
        assert_eq!(workflow_property(spoof), shown);
        assert_eq!(markdown(spoof), shown);
        assert_eq!(
            workflow_data("nul\u{0}esc\u{1b}\ttab"),
            "nul\\u{0}esc\\u{1b}\ttab"
        );
    }
}
