//! The fastest path, for a trace whose events all share one byte layout: viztracer writes the
//! keys of every event in the same order with the same separators,
//! `{"pid": 7, "tid": 7, "ts": 5722.801, "ph": "X", "cat": "fee", "dur": 0.2, "name": "f (a.py:3)"}`.
//!
//! A [`Layout`] is learned from one event that [`super::flat`] accepted: the literal bytes
//! before each value (`{"pid": `, `, "tid": `, ...), which field each value is, and the bytes
//! that close the object. Reading the next event is then a comparison of those literals and
//! a direct read of each value, with no key lookup and no serde machinery. Each value is read
//! only in the plainest form, the one where every reader computes the same result:
//! - `ts` and `dur`: `0` or a digit run not starting with `0`, maybe a `.` and more digits,
//!   at most [`MAX_FLOAT_DIGITS`] digits in all, no sign, no exponent. Such a number is a
//!   significand below 2⁵³ and a power of ten up to 10¹⁵, both exact in an `f64`, so the one
//!   correctly rounded division serde_json does is exactly what any correct parser returns;
//!   `fast-float2` computes it.
//! - `pid` and `tid`: a non-negative integer of at most 18 digits (serde_json's `u64`, kept
//!   as `i64` bits as the serde path keeps it).
//! - `name`, `ph` and `cat`: a string without escapes or control characters, its bytes
//!   borrowed unchecked (the reader checks a name's UTF-8 when it first sees it).
//!
//! Anything else — another key order or spacing, a value in another form, a metadata,
//! counter or async phase — makes [`Layout::parse`] return `None`, and the caller reads the
//! event through [`super::flat`] or serde_json as before: the layout changes no result, only
//! the time it takes.

use std::borrow::Cow;

use super::event::{RawEvent, Text};
use crate::trace::Id;

/// The most digits of a `ts` or `dur` read here (see the module documentation).
const MAX_FLOAT_DIGITS: usize = 15;

/// The most digits of a `pid` or `tid` read here: it then fits a `u64`, as in serde_json.
const MAX_ID_DIGITS: usize = 18;

/// The fields a layout reads; an event with any other key has no layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Pid,
    Tid,
    Ts,
    Dur,
    Name,
    Ph,
    Cat,
}

impl Field {
    fn from_key(key: &[u8]) -> Option<Field> {
        Some(match key {
            b"pid" => Field::Pid,
            b"tid" => Field::Tid,
            b"ts" => Field::Ts,
            b"dur" => Field::Dur,
            b"name" => Field::Name,
            b"ph" => Field::Ph,
            b"cat" => Field::Cat,
            _ => return None,
        })
    }

    fn is_string(self) -> bool {
        matches!(self, Field::Name | Field::Ph | Field::Cat)
    }
}

/// One value of the layout: the literal bytes between the previous value and this one, and
/// what the value is.
#[derive(Debug, Clone)]
struct Slot {
    before: Box<[u8]>,
    field: Field,
}

/// The byte layout of one event, learned from it (see the module documentation).
#[derive(Debug, Clone)]
pub struct Layout {
    slots: Vec<Slot>,
    /// The bytes from the end of the last value to the closing `}`, included.
    close: Box<[u8]>,
}

impl Layout {
    /// The layout of the event at the start of `bytes`: `None` when it has a key the layout
    /// does not read, a key twice, or a value not in its plainest form.
    pub fn learn(bytes: &[u8]) -> Option<Layout> {
        let mut i = 0;
        let mut literal_from = 0;
        let mut slots = Vec::new();
        let mut seen = 0u8;
        expect(bytes, &mut i, b'{')?;
        loop {
            expect(bytes, &mut i, b'"')?;
            let key_len = memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?;
            let field = Field::from_key(&bytes[i..i + key_len])?;
            i += key_len;
            expect(bytes, &mut i, b'"')?;
            expect(bytes, &mut i, b':')?;
            skip_ws(bytes, &mut i);
            let bit = 1 << field as u8;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            let before = bytes[literal_from..i].into();
            let mut event = RawEvent::default();
            i += read_value(field, &bytes[i..], &mut event)?;
            slots.push(Slot { before, field });
            literal_from = i;
            skip_ws(bytes, &mut i);
            match bytes.get(i)? {
                b',' => {
                    i += 1;
                    skip_ws(bytes, &mut i);
                }
                b'}' => {
                    let close = bytes[literal_from..=i].into();
                    return Some(Layout { slots, close });
                }
                _ => return None,
            }
        }
    }

    /// The event at the start of `bytes` and its length, when it has exactly this layout and
    /// every value is in its plainest form; `None` otherwise.
    #[inline]
    pub fn parse<'a>(&self, bytes: &'a [u8]) -> Option<(RawEvent<'a>, usize)> {
        let mut event = RawEvent::default();
        let mut i = 0;
        for slot in &self.slots {
            if !starts_with(bytes.get(i..)?, &slot.before) {
                return None;
            }
            i += slot.before.len();
            i += read_value(slot.field, &bytes[i..], &mut event)?;
        }
        if !starts_with(bytes.get(i..)?, &self.close) {
            return None;
        }
        match event.phase {
            // Metadata and counters read their args, async events their ids: other paths.
            b'M' | b'C' | b'b' | b'e' => None,
            _ => Some((event, i + self.close.len())),
        }
    }
}

/// The layouts of the last two shapes of event seen (a trace may alternate two, such as
/// `B` and `E` events), the most recently used first.
#[derive(Debug, Default)]
pub struct Layouts {
    recent: [Option<Layout>; 2],
}

impl Layouts {
    /// The event at the start of `bytes` through one of the layouts (see [`Layout::parse`]).
    #[inline]
    pub fn parse<'a>(&mut self, bytes: &'a [u8]) -> Option<(RawEvent<'a>, usize)> {
        if let Some(read) = self.recent[0].as_ref().and_then(|l| l.parse(bytes)) {
            return Some(read);
        }
        let read = self.recent[1].as_ref().and_then(|l| l.parse(bytes))?;
        self.recent.swap(0, 1);
        Some(read)
    }

    /// Learns the layout of the event at the start of `bytes` (one that no layout read),
    /// in place of the least recently used; keeps both when the event has no layout.
    pub fn learn(&mut self, bytes: &[u8]) {
        if let Some(layout) = Layout::learn(bytes) {
            self.recent[1] = self.recent[0].replace(layout);
        }
    }
}

/// Reads the value of `field` at the start of `bytes` into `event`; returns its length.
#[inline]
fn read_value<'a>(field: Field, bytes: &'a [u8], event: &mut RawEvent<'a>) -> Option<usize> {
    if field.is_string() {
        let (text, len) = plain_string(bytes)?;
        match field {
            Field::Name => event.name = Some(Text(Cow::Borrowed(text))),
            Field::Cat => event.cat = Some(Text(Cow::Borrowed(text))),
            _ => event.phase = text.first().copied().unwrap_or(0),
        }
        return Some(len);
    }
    match field {
        Field::Ts => plain_float(bytes).map(|(v, len)| {
            event.ts = Some(v);
            len
        }),
        Field::Dur => plain_float(bytes).map(|(v, len)| {
            event.dur = Some(v);
            len
        }),
        Field::Pid => plain_id(bytes).map(|(v, len)| {
            event.pid = Some(v);
            len
        }),
        _ => plain_id(bytes).map(|(v, len)| {
            event.tid = Some(v);
            len
        }),
    }
}

/// A string at the start of `bytes` without escapes or control characters: its content and
/// its length with the quotes.
#[inline]
fn plain_string(bytes: &[u8]) -> Option<(&[u8], usize)> {
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let rest = &bytes[1..];
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    let text = &rest[..end];
    if rest[end] != b'"' || has_control(text) {
        return None;
    }
    Some((text, end + 2))
}

/// Whether `text` holds a byte below 0x20 (which JSON strings may not hold raw), eight
/// bytes at a time: a name is checked on every event, and names are tens of bytes long.
#[inline]
fn has_control(text: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut words = text.chunks_exact(8);
    // A byte below 0x20 borrows when 0x20 is subtracted and had its high bit clear.
    let below = |w: u64| w.wrapping_sub(ONES * 0x20) & !w & HIGHS != 0;
    if words.by_ref().any(|w| below(word(w))) {
        return true;
    }
    words.remainder().iter().any(|&c| c < 0x20)
}

/// `bytes.starts_with(prefix)` for the short literals of a layout, compared in place eight
/// bytes at a time rather than through a call to `memcmp`.
#[inline]
fn starts_with(bytes: &[u8], prefix: &[u8]) -> bool {
    let Some(head) = bytes.get(..prefix.len()) else {
        return false;
    };
    let (words, rest) = (head.chunks_exact(8), prefix.chunks_exact(8));
    let tail_same = words.remainder().iter().eq(rest.remainder());
    words.zip(rest).all(|(a, b)| word(a) == word(b)) && tail_same
}

/// Eight bytes as one number.
#[inline]
fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]))
}

/// The length of the run of digits at the start of `bytes`.
#[inline]
fn digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// A number of microseconds in its plainest form (see the module documentation) and its
/// length.
#[inline]
fn plain_float(bytes: &[u8]) -> Option<(f64, usize)> {
    let int = digits(bytes);
    if int == 0 || (int > 1 && bytes[0] == b'0') {
        return None;
    }
    let mut len = int;
    if bytes.get(len) == Some(&b'.') {
        let fraction = digits(&bytes[len + 1..]);
        if fraction == 0 {
            return None;
        }
        len += 1 + fraction;
    }
    let all_digits = len - usize::from(len > int);
    if all_digits > MAX_FLOAT_DIGITS || matches!(bytes.get(len), Some(b'e' | b'E')) {
        return None;
    }
    let value: f64 = fast_float2::parse(&bytes[..len]).ok()?;
    Some((value, len))
}

/// A `pid` or `tid` in its plainest form: a non-negative integer without leading zeros.
#[inline]
fn plain_id(bytes: &[u8]) -> Option<(Id, usize)> {
    let len = digits(bytes);
    if len == 0 || len > MAX_ID_DIGITS || (len > 1 && bytes[0] == b'0') {
        return None;
    }
    if matches!(bytes.get(len), Some(b'.' | b'e' | b'E')) {
        return None;
    }
    let value = bytes[..len]
        .iter()
        .fold(0u64, |v, &c| v * 10 + u64::from(c - b'0'));
    Some((Id::Int(value as i64), len))
}

fn skip_ws(bytes: &[u8], i: &mut usize) {
    while matches!(bytes.get(*i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        *i += 1;
    }
}

/// Skips whitespace, then consumes `want`.
fn expect(bytes: &[u8], i: &mut usize, want: u8) -> Option<()> {
    skip_ws(bytes, i);
    (bytes.get(*i) == Some(&want)).then(|| *i += 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::chrome::Rng;

    const VIZTRACER: &str = r#"{"pid": 25482, "tid": 25482, "ts": 32497429396.604, "ph": "X", "cat": "fee", "dur": 0.22, "name": "builtins.len"}"#;

    /// Checks that the layout either declines `json` or reads exactly what serde_json reads,
    /// to the bit and to the byte; true when it read it.
    fn same_as_serde(layout: &Layout, json: &str) -> bool {
        let Some((fast, len)) = layout.parse(json.as_bytes()) else {
            return false;
        };
        let mut events = serde_json::Deserializer::from_str(json).into_iter::<RawEvent>();
        let slow = match events.next() {
            Some(Ok(slow)) => slow,
            other => panic!("the layout read {json}, serde_json says {other:?}"),
        };
        assert_eq!(len, events.byte_offset(), "{json}");
        assert_eq!(fast.name, slow.name, "{json}");
        assert_eq!(fast.phase, slow.phase, "{json}");
        assert_eq!(fast.cat, slow.cat, "{json}");
        assert_eq!(
            fast.ts.map(f64::to_bits),
            slow.ts.map(f64::to_bits),
            "{json}"
        );
        assert_eq!(
            fast.dur.map(f64::to_bits),
            slow.dur.map(f64::to_bits),
            "{json}"
        );
        assert_eq!(fast.pid, slow.pid, "{json}");
        assert_eq!(fast.tid, slow.tid, "{json}");
        assert!(slow.id.is_none() && slow.id2.is_none() && slow.args.is_none());
        true
    }

    #[test]
    fn reads_viztracer_events_as_serde_does() {
        let layout = Layout::learn(VIZTRACER.as_bytes()).unwrap();
        assert!(same_as_serde(&layout, VIZTRACER));
        let other = r#"{"pid": 1, "tid": 2, "ts": 0, "ph": "i", "cat": "x", "dur": 123456.789012345, "name": "é (a.py:1)"}"#;
        assert!(same_as_serde(&layout, other));
        // Followed by the rest of the array, as the scanner offers it.
        let (_, len) = layout.parse(format!("{VIZTRACER}, {{").as_bytes()).unwrap();
        assert_eq!(len, VIZTRACER.len());
    }

    #[test]
    fn learns_only_flat_events_of_known_keys() {
        for json in [
            r#"{"pid": 1, "ts": 1, "args": {}}"#,
            r#"{"pid": 1, "pid": 2}"#,
            r#"{"pid": "main", "ts": 1}"#,
            r#"{"pid": 1, "ts": 1e3}"#,
            r#"{"pid": 1, "ts": 1,}"#,
            r#"{"n\u0061me": "a"}"#,
            r#"{"name": "a\"b"}"#,
            r#"{"pid": 1, "ts": 1"#,
        ] {
            assert!(Layout::learn(json.as_bytes()).is_none(), "{json}");
        }
    }

    impl Rng {
        fn choose<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }

        fn digits(&mut self, n: usize) -> String {
            (0..n)
                .map(|_| char::from(b'0' + self.below(10) as u8))
                .collect()
        }

        /// A JSON number in any of its forms (and some that are not JSON): signs, leading
        /// zeros, fractions, exponents, up to 40 digits, out of range.
        fn any_number(&mut self) -> String {
            let mut s = String::new();
            s.push_str(self.choose(&["", "", "", "-", "+"]));
            let int_digits = [1, 1, 2, 5, 11, 15, 16, 19, 25, 40][self.below(10)];
            s.push_str(&self.digits(int_digits));
            if self.below(3) > 0 {
                s.push('.');
                let n = [0, 1, 3, 4, 9, 20][self.below(6)];
                s.push_str(&self.digits(n));
            }
            if self.below(5) == 0 {
                s.push_str(self.choose(&["e", "E", "e+", "e-", "E-"]));
                let n = 1 + self.below(3);
                s.push_str(&self.digits(n));
            }
            match self.below(12) {
                0 => "-0".into(),
                1 => "-0.0".into(),
                2 => "0.000000000000001".into(),
                3 => "1e400".into(),
                4 => "9007199254740993".into(),
                5 => format!("0{}", self.digits(3)),
                _ => s,
            }
        }

        /// A string value: plain, escaped, with a control character, huge, or not a string.
        fn any_string(&mut self) -> String {
            match self.below(9) {
                0 => r#""a\"b""#.into(),
                1 => r#""\u00e9t\u00e9""#.into(),
                2 => "\"tab\there\"".into(),
                3 => format!("\"{}\"", "x},{\"".replace('"', "").repeat(20_000)),
                4 => "null".into(),
                5 => "7".into(),
                6 => r#""""#.into(),
                _ => format!("\"f{} (a.py:{})\"", self.below(100), self.below(1000)),
            }
        }
    }

    /// viztracer's keys in a shuffled order, with one of a few separators.
    fn shape(rng: &mut Rng) -> (Vec<&'static str>, &'static str, &'static str) {
        let mut keys = vec!["pid", "tid", "ts", "ph", "cat", "dur", "name"];
        keys.truncate(3 + rng.below(5));
        for i in (1..keys.len()).rev() {
            keys.swap(i, rng.below(i + 1));
        }
        (
            keys,
            rng.choose(&[", ", ",", ",\n  "]),
            rng.choose(&[": ", ":", " : "]),
        )
    }

    fn event(keys: &[&str], comma: &str, colon: &str, value: impl Fn(&str) -> String) -> String {
        let fields: Vec<String> = keys
            .iter()
            .map(|k| format!("\"{k}\"{colon}{}", value(k)))
            .collect();
        format!("{{{}}}", fields.join(comma))
    }

    /// The property the fast path rests on: over events of random shapes, with values in
    /// every form and now and then an extra key, a nested `args`, a reordered key or a
    /// phase left to other paths, a learned layout either declines an event or reads
    /// exactly what serde_json reads.
    #[test]
    fn declines_or_agrees_with_serde_on_generated_events() {
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        let (mut read, mut declined) = (0, 0);
        for _ in 0..400 {
            let (keys, comma, colon) = shape(&mut rng);
            let plain = |k: &str| match k {
                "ph" => r#""X""#.to_string(),
                "name" | "cat" => r#""f (a.py:1)""#.to_string(),
                "ts" | "dur" => "1.5".to_string(),
                _ => "1".to_string(),
            };
            let layout = Layout::learn(event(&keys, comma, colon, plain).as_bytes()).unwrap();
            for _ in 0..100 {
                let wild = rng.below(4) == 0;
                let mut values: Vec<String> = keys
                    .iter()
                    .map(|&k| match k {
                        "ph" => rng
                            .choose(&[r#""X""#, r#""B""#, r#""E""#, r#""i""#, r#""M""#, r#""b""#])
                            .to_string(),
                        "name" | "cat" if wild => rng.any_string(),
                        "name" | "cat" => format!("\"f{} (a.py:1)\"", rng.below(50)),
                        "ts" | "dur" if wild => rng.any_number(),
                        "ts" | "dur" => format!("{}.{}", rng.below(1 << 30), rng.below(1000)),
                        _ if wild => rng.any_number(),
                        _ => rng.below(100_000).to_string(),
                    })
                    .collect();
                let mut order = keys.clone();
                if rng.below(20) == 0 {
                    let last = order.len() - 1;
                    order.swap(0, last);
                    values.swap(0, last);
                }
                let mut json = event(&order, comma, colon, |k| {
                    values[order.iter().position(|o| *o == k).unwrap()].clone()
                });
                if rng.below(20) == 0 {
                    let extra = rng.choose(&[r#""args": {"a": [1, {"b": "}"}]}"#, r#""id": 3"#]);
                    json.insert_str(json.len() - 1, &format!("{comma}{extra}"));
                }
                if same_as_serde(&layout, &json) {
                    read += 1;
                } else {
                    declined += 1;
                }
            }
        }
        // Both sides of the property are exercised.
        assert!(
            read > 15_000 && declined > 3_000,
            "{read} read, {declined} declined"
        );
    }

    /// `ts` and `dur` read exactly as serde_json reads them, over random numbers of up to 15
    /// digits with the point anywhere, and declined beyond.
    #[test]
    fn floats_are_serde_json_floats_to_the_bit() {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        for _ in 0..200_000 {
            let n = 1 + rng.below(20);
            let mut s = rng.digits(n);
            if s.len() > 1 && rng.below(4) > 0 {
                let at = 1 + rng.below(s.len() - 1);
                s.insert(at, '.');
            }
            let text = format!("{s},");
            let serde: Result<f64, _> = serde_json::from_str(&s);
            match plain_float(text.as_bytes()) {
                Some((v, len)) => {
                    assert_eq!(len, s.len(), "{s}");
                    assert_eq!(v.to_bits(), serde.unwrap().to_bits(), "{s}");
                }
                None => assert!(
                    n > MAX_FLOAT_DIGITS || s.starts_with('0') && !s.starts_with("0."),
                    "declined {s}"
                ),
            }
        }
    }

    /// The word-at-a-time helpers say what the plain byte loops say, at every length and
    /// position (a control byte or a difference in each of the eight lanes and the tail).
    #[test]
    fn word_helpers_equal_the_byte_loops() {
        let mut rng = Rng(0x0123_4567_89AB_CDEF);
        for _ in 0..50_000 {
            let len = rng.below(40);
            let text: Vec<u8> = (0..len)
                .map(|_| match rng.below(6) {
                    0 => rng.below(0x20) as u8,
                    1 => 0x80 + rng.below(0x80) as u8,
                    _ => 0x20 + rng.below(0x60) as u8,
                })
                .collect();
            assert_eq!(
                has_control(&text),
                text.iter().any(|&c| c < 0x20),
                "{text:?}"
            );
            let mut other = text.clone();
            if len > 0 && rng.below(2) == 0 {
                let at = rng.below(len);
                other[at] ^= 1 << rng.below(8);
            }
            other.extend((0..rng.below(10)).map(|_| b'x'));
            let cut = rng.below(len + 1);
            assert_eq!(starts_with(&other, &text), other.starts_with(&text));
            assert_eq!(
                starts_with(&other[..cut], &text),
                other[..cut].starts_with(&text)
            );
        }
    }
}
