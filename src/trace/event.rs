//! One Chrome Trace Event as written by real producers, deserialized straight from the bytes
//! of the event (names borrowed when they contain no escapes).
//!
//! Tolerates what the trace viewers tolerate: `ts`/`dur` as integers, floats or numeric
//! strings; `pid`/`tid` as 64-bit (possibly negative) integers or strings; `args: null`;
//! `NaN`/`Infinity` inside `args` (see [`sanitize_non_finite`]).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;

/// A process or thread id: Chrome writes negative integers, some producers strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdValue {
    Int(i64),
    Str(String),
}

impl fmt::Display for IdValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdValue::Int(i) => write!(f, "{i}"),
            IdValue::Str(s) => f.write_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for IdValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IdValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string id")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IdValue, E> {
                Ok(IdValue::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IdValue, E> {
                // Ids above i64::MAX keep their bits: they only need to stay distinct.
                Ok(IdValue::Int(v as i64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<IdValue, E> {
                Ok(IdValue::Int(v as i64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IdValue, E> {
                Ok(IdValue::Str(v.to_owned()))
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
    pub local: Option<IdValue>,
    pub global: Option<IdValue>,
}

/// The fields perfgate reads from one event; every other field is skipped unparsed.
#[derive(Debug, Deserialize)]
pub struct RawEvent<'a> {
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub ph: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub cat: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "de_micros")]
    pub ts: Option<f64>,
    #[serde(default, deserialize_with = "de_micros")]
    pub dur: Option<f64>,
    #[serde(default)]
    pub pid: Option<IdValue>,
    #[serde(default)]
    pub tid: Option<IdValue>,
    #[serde(default)]
    pub id: Option<IdValue>,
    #[serde(default)]
    pub id2: Option<Id2>,
    #[serde(borrow, default)]
    pub args: Option<&'a RawValue>,
}

impl RawEvent<'_> {
    /// The phase letter (`X`, `B`, `E`, ...); `\0` when absent.
    pub fn phase(&self) -> u8 {
        self.ph
            .as_deref()
            .and_then(|p| p.bytes().next())
            .unwrap_or(0)
    }

    /// The id that pairs nestable async events: `id`, else `id2.local`, else `id2.global`.
    pub fn async_id(&self) -> Option<IdValue> {
        self.id.clone().or_else(|| {
            self.id2
                .as_ref()
                .and_then(|i| i.local.clone().or_else(|| i.global.clone()))
        })
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
        assert_eq!(e.tid, Some(IdValue::Int(-1)));
    }

    #[test]
    fn string_ids_and_null_args() {
        let e: RawEvent =
            serde_json::from_str(r#"{"ph":"B","ts":1,"pid":"p","tid":"main","args":null}"#)
                .unwrap();
        assert_eq!(e.tid, Some(IdValue::Str("main".into())));
        assert_eq!(e.phase(), b'B');
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
