//! One Chrome Trace Event as written by real producers, deserialized straight from the bytes
//! of the event (names borrowed when they contain no escapes, their UTF-8 checked by the
//! reader when first seen).
//!
//! Tolerates what the trace viewers tolerate: `ts`/`dur` as integers, floats or numeric
//! strings; `pid`/`tid` as 64-bit (possibly negative) integers or strings; `args: null`;
//! `NaN`/`Infinity` inside `args` (see [`sanitize_non_finite`]).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;

use crate::trace::Id;

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string id")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                // Ids above i64::MAX keep their bits: they only need to stay distinct.
                Ok(Id::Int(v as i64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
                Ok(Id::Int(v as i64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id::Str(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A timestamp or duration in microseconds: a JSON number, or a number written as a string.
fn de_micros<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number of microseconds")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            v.trim()
                .parse::<f64>()
                .map(Some)
                .map_err(|_| E::custom(format!("expected a number of microseconds, found {v:?}")))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_option(V)
}

/// `id2: {"local": ...}` or `{"global": ...}` of nestable async events.
#[derive(Debug, Deserialize)]
pub struct Id2 {
    pub local: Option<Id>,
    pub global: Option<Id>,
}

/// A JSON string's bytes, unescaped but not yet checked to be UTF-8.
///
/// Checking every name of a large trace costs more than parsing it, and a trace repeats a few
/// thousand names millions of times: the reader checks a name once, when it first sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, [u8]>);

impl Text<'_> {
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, or an error naming what is not UTF-8.
    pub fn to_str(&self) -> Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_vec())))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v.as_bytes())))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.as_bytes().to_vec())))
            }
        }
        // serde_json hands a string's bytes to deserialize_bytes without the UTF-8 check.
        d.deserialize_bytes(V)
    }
}

/// A number of microseconds (see [`de_micros`]).
struct Micros(Option<f64>);

impl<'de> Deserialize<'de> for Micros {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_micros(d).map(Micros)
    }
}

/// The keys of an event that perfgate reads; every other key is `Other`.
#[derive(Clone, Copy)]
enum Field {
    Name,
    Ph,
    Cat,
    Ts,
    Dur,
    Pid,
    Tid,
    Id,
    Id2,
    Args,
    Other,
}

impl Field {
    const ALL: &[&str] = &[
        "name", "ph", "cat", "ts", "dur", "pid", "tid", "id", "id2", "args",
    ];

    fn from_key(key: &[u8]) -> Field {
        match key {
            b"name" => Field::Name,
            b"ph" => Field::Ph,
            b"cat" => Field::Cat,
            b"ts" => Field::Ts,
            b"dur" => Field::Dur,
            b"pid" => Field::Pid,
            b"tid" => Field::Tid,
            b"id" => Field::Id,
            b"id2" => Field::Id2,
            b"args" => Field::Args,
            _ => Field::Other,
        }
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Text::deserialize(d).map(|key| Field::from_key(key.bytes()))
    }
}

/// The fields perfgate reads from one event; every other field is skipped unparsed.
///
/// Deserialized by hand rather than derived: keys and names are read as bytes (no UTF-8 check
/// per event, see [`Text`]), which makes reading a large trace markedly faster. A repeated key
/// is an error, as with a derived implementation.
#[derive(Debug, Default)]
pub struct RawEvent<'a> {
    pub name: Option<Text<'a>>,
    /// The first byte of `ph` (`X`, `B`, `E`, ...); `\0` when absent.
    pub phase: u8,
    pub cat: Option<Text<'a>>,
    pub ts: Option<f64>,
    pub dur: Option<f64>,
    pub pid: Option<Id>,
    pub tid: Option<Id>,
    pub id: Option<Id>,
    /// `id2.local`, else `id2.global`.
    pub id2: Option<Id>,
    pub args: Option<&'a RawValue>,
}

/// Reads the value of one key, refusing a second value for it.
fn next_once<'de, A: de::MapAccess<'de>, T: Deserialize<'de>>(
    seen: &mut u16,
    field: Field,
    map: &mut A,
) -> Result<Option<T>, A::Error> {
    let bit = 1 << field as u16;
    if *seen & bit != 0 {
        return Err(de::Error::duplicate_field(Field::ALL[field as usize]));
    }
    *seen |= bit;
    map.next_value::<Option<T>>()
}

impl<'de> Deserialize<'de> for RawEvent<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawEvent<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event object")
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawEvent<'de>, A::Error> {
                let mut e = RawEvent::default();
                let mut seen = 0u16;
                while let Some(field) = map.next_key::<Field>()? {
                    let (s, m) = (&mut seen, &mut map);
                    match field {
                        Field::Name => e.name = next_once(s, field, m)?,
                        Field::Ph => {
                            let ph: Option<Text> = next_once(s, field, m)?;
                            e.phase = ph.and_then(|p| p.bytes().first().copied()).unwrap_or(0);
                        }
                        Field::Cat => e.cat = next_once(s, field, m)?,
                        Field::Ts => e.ts = next_once::<_, Micros>(s, field, m)?.and_then(|v| v.0),
                        Field::Dur => {
                            e.dur = next_once::<_, Micros>(s, field, m)?.and_then(|v| v.0)
                        }
                        Field::Pid => e.pid = next_once(s, field, m)?,
                        Field::Tid => e.tid = next_once(s, field, m)?,
                        Field::Id => e.id = next_once(s, field, m)?,
                        Field::Id2 => {
                            let id2: Option<Id2> = next_once(s, field, m)?;
                            e.id2 = id2.and_then(|i| i.local.or(i.global));
                        }
                        Field::Args => e.args = next_once(s, field, m)?,
                        Field::Other => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(e)
            }
        }
        d.deserialize_map(V)
    }
}

impl RawEvent<'_> {
    /// The id that pairs nestable async events: `id`, else `id2.local`, else `id2.global`.
    pub fn async_id(&self) -> Option<Id> {
        self.id.clone().or_else(|| self.id2.clone())
    }

    /// `args.name` of a metadata event (`thread_name`, `process_name`).
    pub fn metadata_name(&self) -> Option<String> {
        #[derive(Deserialize)]
        struct NameArg {
            name: Option<String>,
        }
        let raw = self.args?;
        serde_json::from_str::<NameArg>(raw.get()).ok()?.name
    }
}

/// Replaces the bare tokens `NaN`, `Infinity` and `-Infinity` outside strings by `null`, which
/// Python's json module writes into `args` and which strict JSON parsers reject. Only called on
/// an event that failed to parse, so the common path pays nothing.
pub fn sanitize_non_finite(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            out.push(b);
            match b {
                b'\\' if i + 1 < bytes.len() => {
                    out.push(bytes[i + 1]);
                    i += 1;
                }
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        let rest = &bytes[i..];
        let token = [&b"-Infinity"[..], b"Infinity", b"NaN"]
            .into_iter()
            .find(|t| rest.starts_with(t));
        match token {
            Some(t) => {
                out.extend_from_slice(b"null");
                i += t.len();
            }
            None => {
                in_string = b == b'"';
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_strings_and_negative_tids() {
        let e: RawEvent =
            serde_json::from_str(r#"{"ph":"X","ts":"12.5","dur":3,"pid":1,"tid":-1,"name":"a"}"#)
                .unwrap();
        assert_eq!(e.ts, Some(12.5));
        assert_eq!(e.dur, Some(3.0));
        assert_eq!(e.tid, Some(Id::Int(-1)));
    }

    #[test]
    fn string_ids_and_null_args() {
        let e: RawEvent =
            serde_json::from_str(r#"{"ph":"B","ts":1,"pid":"p","tid":"main","args":null}"#)
                .unwrap();
        assert_eq!(e.tid, Some(Id::Str("main".into())));
        assert_eq!(e.phase, b'B');
    }

    #[test]
    fn non_finite_tokens_become_null_outside_strings_only() {
        let raw = br#"{"args":{"x":NaN,"y":-Infinity,"s":"NaN \" Infinity"},"ts":1}"#;
        let clean = sanitize_non_finite(raw);
        assert_eq!(
            String::from_utf8(clean).unwrap(),
            r#"{"args":{"x":null,"y":null,"s":"NaN \" Infinity"},"ts":1}"#
        );
    }
}
