//! The fast path for the events that make up almost every large trace: a flat object of plain
//! strings and numbers, such as viztracer's
//! `{"pid": 7, "tid": 7, "ts": 5722.801, "ph": "X", "cat": "fee", "dur": 0.2, "name": "f (a.py:3)"}`.
//!
//! [`parse`] reads such an event about twice as fast as serde_json's generic machinery. It
//! gives up (returns `None`) on anything it does not handle exactly as the serde path does —
//! an escape or control character in a string, a negative number or one with an exponent or
//! more than 18 digits, a value of the wrong type, a repeated key, `id`/`id2`, metadata and
//! async phases, malformed or cut-short JSON — and the caller then parses the event with
//! serde_json ([`super::event::RawEvent`]), which also produces every error message. So the
//! fast path changes no result, only the time it takes.

use std::borrow::Cow;

use serde::de::IgnoredAny;

use super::event::{RawEvent, Text};
use crate::trace::Id;

/// The most digits of a number read here: the significand then fits in a u64 with room to
/// spare, where serde_json computes exactly the same value.
const MAX_DIGITS: usize = 18;

/// Exact powers of ten (up to 1e22 every one is exactly representable).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parses the event object at the start of `bytes`; returns it and its length in bytes, or
/// `None` when the serde path must handle it.
pub fn parse(bytes: &[u8]) -> Option<(RawEvent<'_>, usize)> {
    let mut c = Cursor { b: bytes, i: 0 };
    let mut e = RawEvent::default();
    let mut seen = 0u8;
    c.eat(b'{')?;
    if c.peek()? == b'}' {
        c.i += 1;
        return Some((e, c.i));
    }
    loop {
        let key = c.plain_str()?;
        c.eat(b':')?;
        let bit = match key {
            b"name" => {
                e.name = c.opt_str()?.map(|s| Text(Cow::Borrowed(s)));
                1
            }
            b"ph" => {
                e.phase = c.opt_str()?.and_then(|s| s.first().copied()).unwrap_or(0);
                2
            }
            b"cat" => {
                e.cat = c.opt_str()?.map(|s| Text(Cow::Borrowed(s)));
                4
            }
            b"ts" => {
                e.ts = c.opt_micros()?;
                8
            }
            b"dur" => {
                e.dur = c.opt_micros()?;
                16
            }
            b"pid" => {
                e.pid = c.opt_id()?;
                32
            }
            b"tid" => {
                e.tid = c.opt_id()?;
                64
            }
            // Async ids and metadata args: left to the serde path.
            b"id" | b"id2" => return None,
            // viztracer --log_func_args: the arguments may hold a query text, read there.
            b"args" if c.at_func_args() => return None,
            _ => {
                c.skip_value()?;
                0
            }
        };
        if seen & bit != 0 {
            return None;
        }
        seen |= bit;
        match c.peek()? {
            b',' => c.i += 1,
            b'}' => {
                c.i += 1;
                break;
            }
            _ => return None,
        }
    }
    match e.phase {
        // Metadata and counters read their args, async events their ids: the serde path.
        b'M' | b'C' | b'b' | b'e' => None,
        _ => Some((e, c.i)),
    }
}

/// A number as serde_json would see it: an integer, or a decimal fraction.
enum Number {
    Int(u64),
    Decimal(f64),
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        while let Some(&c) = self.b.get(self.i) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(c);
            }
            self.i += 1;
        }
        None
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.peek()? == want).then(|| self.i += 1)
    }

    /// A string with neither escapes nor control characters: its bytes, unchecked UTF-8 (as
    /// the serde path reads names).
    fn plain_str(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let rest = &self.b[self.i..];
        let end = memchr::memchr2(b'"', b'\\', rest)?;
        let s = &rest[..end];
        if rest[end] != b'"' || s.iter().any(|&c| c < 0x20) {
            return None;
        }
        self.i += end + 1;
        Some(s)
    }

    fn is_null(&mut self) -> Option<bool> {
        if self.peek()? != b'n' {
            return Some(false);
        }
        self.b[self.i..].starts_with(b"null").then(|| self.i += 4)?;
        Some(true)
    }

    fn opt_str(&mut self) -> Option<Option<&'a [u8]>> {
        if self.is_null()? {
            return Some(None);
        }
        self.plain_str().map(Some)
    }

    fn opt_micros(&mut self) -> Option<Option<f64>> {
        if self.is_null()? {
            return Some(None);
        }
        Some(Some(match self.number()? {
            Number::Int(v) => v as f64,
            Number::Decimal(v) => v,
        }))
    }

    fn opt_id(&mut self) -> Option<Option<Id>> {
        if self.is_null()? {
            return Some(None);
        }
        if self.peek()? == b'"' {
            let s = std::str::from_utf8(self.plain_str()?).ok()?;
            return Some(Some(Id::Str(s.to_owned())));
        }
        match self.number()? {
            Number::Int(v) => Some(Some(Id::Int(v as i64))),
            Number::Decimal(_) => None,
        }
    }

    /// A non-negative number without exponent and with at most [`MAX_DIGITS`] digits,
    /// computed as serde_json computes it (the integer significand, then one division by an
    /// exact power of ten, so both round the same way).
    fn number(&mut self) -> Option<Number> {
        self.peek()?;
        let start = self.i;
        let mut significand = 0u64;
        let mut digits = 0;
        let mut fraction_digits = None;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'0'..=b'9' => {
                    significand = significand * 10 + u64::from(c - b'0');
                    digits += 1;
                    if let Some(f) = fraction_digits.as_mut() {
                        *f += 1;
                    }
                }
                b'.' if fraction_digits.is_none() && digits > 0 => fraction_digits = Some(0),
                _ => break,
            }
            if digits > MAX_DIGITS {
                return None;
            }
            self.i += 1;
        }
        let int_digits = digits - fraction_digits.unwrap_or(0);
        let leading_zero = self.b[start] == b'0' && int_digits > 1;
        let delimited = matches!(
            self.b.get(self.i),
            Some(b',' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
        );
        if int_digits == 0 || leading_zero || fraction_digits == Some(0) || !delimited {
            return None;
        }
        Some(match fraction_digits {
            None => Number::Int(significand),
            Some(f) => Number::Decimal(significand as f64 / POW10[f]),
        })
    }

    /// Skips the value of a key perfgate does not read.
    /// The value ahead is an object whose first key is `func_args` (viztracer
    /// `--log_func_args`).
    fn at_func_args(&mut self) -> bool {
        if self.peek() != Some(b'{') {
            return false;
        }
        let rest = &self.b[self.i + 1..];
        let start = rest
            .iter()
            .position(|c| !matches!(c, b' ' | b'\n' | b'\r' | b'\t'))
            .unwrap_or(rest.len());
        rest[start..].starts_with(b"\"func_args\"")
    }

    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.plain_str().map(drop),
            b'0'..=b'9' => self.number().map(drop),
            b'{' | b'[' => {
                // Nested values (such as `args`) are checked and skipped by serde_json.
                let mut values = serde_json::Deserializer::from_slice(&self.b[self.i..])
                    .into_iter::<IgnoredAny>();
                values.next()?.ok()?;
                self.i += values.byte_offset();
                Some(())
            }
            _ => {
                let rest = &self.b[self.i..];
                let word = [&b"true"[..], b"false", b"null"]
                    .into_iter()
                    .find(|w| rest.starts_with(w))?;
                self.i += word.len();
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path and serde_json agree on every event the fast path accepts.
    fn same_as_serde(json: &str) -> bool {
        let Some((fast, len)) = parse(json.as_bytes()) else {
            return false;
        };
        let slow: RawEvent = serde_json::from_str(json).unwrap();
        assert_eq!(len, json.len());
        assert_eq!(fast.name, slow.name);
        assert_eq!(fast.phase, slow.phase);
        assert_eq!(fast.cat, slow.cat);
        assert_eq!(fast.ts.map(f64::to_bits), slow.ts.map(f64::to_bits));
        assert_eq!(fast.dur.map(f64::to_bits), slow.dur.map(f64::to_bits));
        assert_eq!(fast.pid, slow.pid);
        assert_eq!(fast.tid, slow.tid);
        true
    }

    #[test]
    fn viztracer_and_chrome_events_match_serde() {
        assert!(same_as_serde(
            r#"{"pid": 8391, "tid": 8391, "ts": 572271245.801, "ph": "X", "cat": "fee", "dur": 0.07, "name": "builtins.isinstance"}"#
        ));
        assert!(same_as_serde(
            r#"{"ph":"B","name":"Task","ts":1234567890123,"pid":"p","tid":null,"args":{"x":[1,{"y":"}"}]}}"#
        ));
        assert!(same_as_serde(
            r#"{ "ph" : "X" , "ts" : 0.1 , "dur" : 12345678.123456789 , "s" : true , "n" : null }"#
        ));
        assert!(same_as_serde(r#"{}"#));
    }

    use crate::trace::chrome::Rng;

    impl Rng {
        /// One of `good`, or, unless `clean`, one of `good` and `bad`.
        fn pick<'a>(&mut self, clean: bool, good: &[&'a str], bad: &[&'a str]) -> &'a str {
            let n = if clean {
                good.len()
            } else {
                good.len() + bad.len()
            };
            let k = self.below(n);
            if k < good.len() {
                good[k]
            } else {
                bad[k - good.len()]
            }
        }

        fn number(&mut self, clean: bool) -> String {
            let max = if clean { 15 } else { 21 };
            let mut s: String = (0..1 + self.below(max))
                .map(|_| char::from(b'0' + self.below(10) as u8))
                .collect();
            if self.below(3) > 0 {
                let at = self.below(s.len() + 1);
                s.insert(at, '.');
            }
            s.insert_str(0, self.pick(clean, &[""], &["-"]));
            s.push_str(self.pick(clean, &[""], &["e3", "E-2"]));
            s
        }
    }

    #[test]
    fn agrees_with_serde_on_generated_events() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut accepted = 0;
        for _ in 0..20_000 {
            // Half the events use only what the fast path reads, so that it is exercised.
            let clean = rng.below(2) == 0;
            let mut fields = Vec::new();
            for key in ["ph", "name", "cat", "ts", "dur", "pid", "tid", "args", "x"] {
                if rng.below(5) == 0 {
                    continue;
                }
                let value = match key {
                    "ph" => rng.pick(
                        clean,
                        &[r#""X""#, r#""B""#, r#""E""#, r#""i""#, "null"],
                        &[r#""""#, r#""M""#, "1"],
                    ),
                    "name" | "cat" => rng.pick(
                        clean,
                        &[r#""f (a.py:1)""#, r#""é ü""#, "null"],
                        &[r#""a\"b""#, r#""\u00e9""#, "3"],
                    ),
                    "args" | "x" => rng.pick(
                        clean,
                        &[r#"{"a":[1,2,{"b":"}"}]}"#, "[]", "true", "null", r#""s""#],
                        &["{", "[1,]", "nul"],
                    ),
                    "pid" | "tid" if rng.below(3) == 0 => r#""main""#,
                    _ => "",
                };
                let value = if value.is_empty() {
                    rng.number(clean)
                } else {
                    value.to_string()
                };
                let space = rng.pick(true, &["", " "], &[]);
                fields.push(format!(r#""{key}"{space}:{space}{value}"#));
            }
            let json = format!("{{{}}}", fields.join(rng.pick(true, &[",", ", "], &[])));
            if serde_json::from_str::<RawEvent>(&json).is_ok() {
                accepted += usize::from(same_as_serde(&json));
            } else {
                let fast = parse(json.as_bytes());
                assert!(
                    fast.is_none(),
                    "serde rejects, the fast path accepts {json}"
                );
            }
        }
        assert!(
            accepted > 2_000,
            "only {accepted} events took the fast path"
        );
    }

    #[test]
    fn gives_up_on_what_the_serde_path_must_decide() {
        for json in [
            r#"{"ph":"X","name":"a\"b","ts":1,"dur":1}"#,
            r#"{"ph":"X","ts":-1,"dur":1}"#,
            r#"{"ph":"X","ts":1e3,"dur":1}"#,
            r#"{"ph":"X","ts":01,"dur":1}"#,
            r#"{"ph":"X","ts":1.,"dur":1}"#,
            r#"{"ph":"X","ts":1234567890123456789,"dur":1}"#,
            r#"{"ph":"X","ts":"12","dur":1}"#,
            r#"{"ph":"X","ts":1,"ts":2}"#,
            r#"{"ph":"X","ts":1,"dur":1,}"#,
            r#"{"ph":"X","args":{"v":NaN}}"#,
            r#"{"ph":"M","name":"thread_name","args":{"name":"w"}}"#,
            r#"{"ph":"b","id":"0x1","ts":1}"#,
            r#"{"ph":"X","ts":1,"dur":2"#,
            r#"{"ph":"X","ts":1,"dur":tru}"#,
        ] {
            assert!(parse(json.as_bytes()).is_none(), "{json}");
        }
    }
}
