//! Query statement templates: the text of a query with its literals replaced, so that "the
//! same query with different ids" (an N+1) and "the same query twice" (a redundant call) can
//! be told apart, as perf-sentinel and Sentry group queries.
//!
//! String and numeric literals become `?`, every `IN (…)` list becomes `IN (?)`, runs of
//! whitespace one space. Placeholders the producer already used (`?`, `$1`, `%s`, `:name`)
//! become `?` too, so a parameterised statement and its literal form share a template.

/// The template of a query text.
pub fn template(sql: &str) -> String {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let mut prev_word = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' => {
                // A string literal, with '' as an escaped quote.
                i += 1;
                while i < b.len() {
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
                out.push('?');
            }
            b'0'..=b'9' if !prev_word => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                out.push('?');
            }
            b'$' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push('?');
            }
            b'%' if b.get(i + 1) == Some(&b's') => {
                i += 2;
                out.push('?');
            }
            b':' if b
                .get(i + 1)
                .is_some_and(|&n| n.is_ascii_alphabetic() || n == b'_') =>
            {
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push('?');
            }
            _ if c.is_ascii_whitespace() => {
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if !out.is_empty() {
                    out.push(' ');
                }
                prev_word = false;
                continue;
            }
            _ => {
                let ch = sql[i..].chars().next().expect("inside the text");
                out.push(ch);
                i += ch.len_utf8();
                prev_word = ch.is_alphanumeric() || ch == '_';
                continue;
            }
        }
        prev_word = false;
    }
    collapse_in_lists(out.trim_end())
}

/// `IN (?, ?, ?)` → `IN (?)`, whatever the case of `in` and the spaces.
fn collapse_in_lists(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('(') {
        let before = &rest[..open];
        let is_in = before.trim_end().to_ascii_lowercase().ends_with(" in")
            || before.trim_end().eq_ignore_ascii_case("in");
        let close = rest[open..].find(')').map(|c| open + c);
        match close {
            Some(close)
                if is_in
                    && rest[open + 1..close]
                        .split(',')
                        .all(|item| item.trim() == "?") =>
            {
                out.push_str(before);
                out.push_str("(?)");
                rest = &rest[close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::template;

    #[test]
    fn literals_and_in_lists_are_replaced() {
        assert_eq!(
            template("SELECT id, name FROM items WHERE id = 15"),
            "SELECT id, name FROM items WHERE id = ?"
        );
        assert_eq!(
            template("SELECT * FROM t WHERE name = 'O''Brien'  AND x=3.5"),
            "SELECT * FROM t WHERE name = ? AND x=?"
        );
        assert_eq!(
            template("select a from t2 where id in (1, 2, 3) and b IN ($1,$2)"),
            "select a from t2 where id in (?) and b IN (?)"
        );
        assert_eq!(
            template("SELECT * FROM t WHERE id IN (?,?,?,?)"),
            template("SELECT * FROM t WHERE id IN (%s)")
        );
        assert_eq!(
            template("UPDATE s SET q = :q WHERE id = ?"),
            "UPDATE s SET q = ? WHERE id = ?"
        );
        // A digit inside a name is not a literal.
        assert_eq!(template("SELECT col2 FROM t1"), "SELECT col2 FROM t1");
    }

    #[test]
    fn spaces_odd_placeholders_and_lists_that_are_not_in_lists() {
        // Leading and trailing spaces go, inner runs become one.
        assert_eq!(template("  SELECT \t 1  "), "SELECT ?");
        // A string literal cut at the end of the text is still a literal.
        assert_eq!(template("SELECT 'abc"), "SELECT ?");
        // `$` not before a digit and `%` not before `s` are text; a hex number is a literal.
        assert_eq!(template("SELECT $x, 50% FROM t"), "SELECT $x, ?% FROM t");
        assert_eq!(template("SELECT 0x1F"), "SELECT ?");
        // Parentheses that are not an IN list of placeholders stay as they are.
        assert_eq!(
            template("SELECT count(*) FROM t WHERE id IN (a, b)"),
            "SELECT count(*) FROM t WHERE id IN (a, b)"
        );
        assert_eq!(
            template("SELECT * FROM t join (1, 2)"),
            "SELECT * FROM t join (?, ?)"
        );
        // `in` alone before the list, any case.
        assert_eq!(template("in (1,2)"), "in (?)");
        assert_eq!(template("x In(3, 4) AND y IN (5)"), "x In(?) AND y IN (?)");
        // Text beyond ASCII is kept, character by character.
        assert_eq!(template("SELECT 'é' -- ñ"), "SELECT ? -- ñ");
        assert_eq!(template("UPDATE t SET a = :new_a"), "UPDATE t SET a = ?");
    }
}
