//! OpenTelemetry traces as OTLP/JSON: the protobuf JSON mapping of an
//! `ExportTraceServiceRequest` (`{"resourceSpans": [{"resource": ..., "scopeSpans": [{"spans":
//! [...]}]}]}`), either one document or JSON Lines (one request per line, as the
//! OpenTelemetry Collector's file exporter writes). The legacy `instrumentationLibrarySpans`
//! key and the proto field names (`resource_spans`, `start_time_unix_nano`...) are accepted;
//! ids may be hex (OTLP/JSON) or base64 (the generic protobuf JSON mapping); 64-bit numbers
//! may be strings or numbers. Unknown fields are ignored.
//!
//! What becomes of a span:
//! - its `name` is the operation; with `code.filepath` + `code.lineno` (or `code.file.path` +
//!   `code.line.number`) it is written `name (file:line)`, the convention of
//!   [`crate::ops::identity`];
//! - start/end nanoseconds become microseconds from the earliest start in the file (absolute
//!   Unix nanoseconds do not fit an `f64` to the nanosecond);
//! - the `service.name` of its resource is the process (`pid`) of its track;
//! - a few attributes are kept in [`Trace::span_attrs`] (see [`SpanAttrKey`]).
//!
//! Tracks. perfgate nests spans by time containment per track, OpenTelemetry by
//! `parentSpanId`. The tracks are chosen so that the first gives the second: a child goes on
//! its parent's track when it is of the same service, lies inside the parent, starts more than
//! 1 ns before the parent ends, and starts at or after the end of the previous child that went
//! there (children taken by start, longer first). Every other span (roots, spans whose parent
//! is not in the file, children that overlap an earlier sibling, children that outlive their
//! parent or belong to another service) heads a subtree of its own and is placed, per
//! service, on the first track free over its whole time (interval partitioning), so that no
//! span ever lands inside a span that is not its parent. Like Chrome's async slices, a child on
//! another track than its parent's is not subtracted from the parent's self time: self time is
//! the time not covered by children that ran one after another. The declared parent stays
//! available as [`SpanAttrKey::Parent`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::io::Read;

use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;

use super::whole::{name_too_long, read_lines, too_many_names};
use super::{
    AttrValue, Format, Id, Limits, NameId, Names, ReadContext, Span, SpanAttr, SpanAttrKey, Trace,
    TraceError, Track, TrackId, TrackKey,
};

/// The OTLP/JSON reader.
pub(crate) struct Otlp;

impl Format for Otlp {
    fn name(&self) -> &'static str {
        "OTLP/JSON"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(head);
        let Some(rest) = trim_start(head).strip_prefix(b"{") else {
            return false;
        };
        let rest = trim_start(rest);
        rest.starts_with(b"\"resourceSpans\"") || rest.starts_with(b"\"resource_spans\"")
    }

    /// The whole input is held; a line longer than [`Limits::max_value_bytes`] (a request
    /// of JSON Lines, a document on one line, or any one string) is refused as it is read.
    fn read(&self, mut input: Box<dyn Read>, ctx: &ReadContext) -> Result<Trace, TraceError> {
        let what = "a line: an OTLP request of JSON Lines, or a document on one line";
        let bytes = read_lines(input.as_mut(), &ctx.limits, what)?;
        let mut trace = read_bytes(&bytes, &ctx.name, ctx.limits)?;
        trace.notes.gzip = ctx.gzip;
        Ok(trace)
    }
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[skip..]
}

/// Reads one OTLP/JSON document or a JSON Lines file of them; a span whose name is past
/// `limits`, or that adds a name past them, is an error at the span's first byte.
fn read_bytes(bytes: &[u8], source: &str, limits: Limits) -> Result<Trace, TraceError> {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    let bom = (bytes.len() - body.len()) as u64;
    let mut builder = Builder {
        body,
        bom,
        limits,
        ..Builder::default()
    };
    let mut requests = 0u64;
    let mut truncated = false;
    let stream = serde_json::Deserializer::from_slice(body).into_iter::<Request>();
    for next in stream {
        match next {
            Ok(request) => {
                builder.add_request(request)?;
                requests += 1;
            }
            // The last line of a file still being written (or cut): keep the lines before.
            Err(e) if e.is_eof() && requests > 0 => {
                truncated = true;
                break;
            }
            Err(e) => return Err(error_at(body, bom, &e)),
        }
    }
    let mut trace = builder.finish(source);
    trace.notes.bytes = bytes.len() as u64;
    trace.notes.truncated = truncated;
    Ok(trace)
}

/// A serde error as a [`TraceError::At`]: line, column and byte offset.
fn error_at(body: &[u8], bom: u64, e: &serde_json::Error) -> TraceError {
    let (line, column) = (e.line() as u64, e.column() as u64);
    let line_start: usize = if line <= 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', body)
            .nth(line as usize - 2)
            .map_or(body.len(), |i| i + 1)
    };
    let offset = bom + (line_start as u64 + column.saturating_sub(1)).min(body.len() as u64);
    TraceError::At {
        line,
        column,
        offset,
        message: without_position(e),
    }
}

/// A serde error in the part `part` of `body` (a span parsed on its own) as a
/// [`TraceError::At`] in the whole file.
fn error_in(body: &[u8], bom: u64, part: &str, e: &serde_json::Error) -> TraceError {
    let start = offset_in(body, part);
    let in_part: usize = part
        .split('\n')
        .take(e.line().saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum::<usize>()
        + e.column().saturating_sub(1);
    let at = (start + in_part).min(body.len());
    let line_start = memchr::memrchr(b'\n', &body[..at]).map_or(0, |i| i + 1);
    TraceError::At {
        line: memchr::memchr_iter(b'\n', &body[..at]).count() as u64 + 1,
        column: (at - line_start) as u64 + 1,
        offset: bom + at as u64,
        message: without_position(e),
    }
}

/// The byte of `body` where `part`, a slice of it, starts.
fn offset_in(body: &[u8], part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(body.as_ptr() as usize)
}

/// serde_json's message without its "at line L column C" (the caller says where).
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

// --- the JSON mapping ---------------------------------------------------------------------

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(
        default,
        borrow,
        rename = "resourceSpans",
        alias = "resource_spans",
        deserialize_with = "nullable"
    )]
    resource_spans: Vec<ResourceSpans<'a>>,
}

#[derive(Deserialize)]
struct ResourceSpans<'a> {
    #[serde(default)]
    resource: Option<Resource>,
    #[serde(
        default,
        borrow,
        rename = "scopeSpans",
        alias = "scope_spans",
        deserialize_with = "nullable"
    )]
    scope_spans: Vec<ScopeSpans<'a>>,
    #[serde(
        default,
        borrow,
        rename = "instrumentationLibrarySpans",
        alias = "instrumentation_library_spans",
        deserialize_with = "nullable"
    )]
    library_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(default, deserialize_with = "nullable")]
    attributes: Vec<KeyValue>,
}

/// The spans are kept as raw JSON, parsed one by one, so that an error names a span's place.
#[derive(Deserialize)]
struct ScopeSpans<'a> {
    #[serde(default, borrow, deserialize_with = "nullable")]
    spans: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawSpan {
    #[serde(default, rename = "traceId", alias = "trace_id")]
    trace_id: Option<String>,
    #[serde(default, rename = "spanId", alias = "span_id")]
    span_id: Option<String>,
    #[serde(default, rename = "parentSpanId", alias = "parent_span_id")]
    parent_span_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "startTimeUnixNano", alias = "start_time_unix_nano")]
    start: Option<Nanos>,
    #[serde(default, rename = "endTimeUnixNano", alias = "end_time_unix_nano")]
    end: Option<Nanos>,
    #[serde(default, deserialize_with = "nullable")]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct KeyValue {
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: Option<AnyValue>,
}

#[derive(Deserialize)]
struct AnyValue {
    #[serde(default, rename = "stringValue", alias = "string_value")]
    string: Option<String>,
    #[serde(default, rename = "intValue", alias = "int_value")]
    int: Option<Num>,
    #[serde(default, rename = "doubleValue", alias = "double_value")]
    double: Option<Num>,
    #[serde(default, rename = "boolValue", alias = "bool_value")]
    boolean: Option<bool>,
}

/// `null` is the default value in the protobuf JSON mapping.
fn nullable<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A 64-bit number written as a JSON number or a string (the protobuf JSON mapping writes
/// 64-bit integers as strings); `None` when it is neither a number nor a numeric string.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Int(i128),
    Float(f64),
    Invalid,
}

impl Num {
    fn nanos(self) -> Option<u64> {
        match self {
            Num::Int(i) => u64::try_from(i).ok(),
            Num::Float(f) if f.is_finite() && f >= 0.0 && f < u64::MAX as f64 => Some(f as u64),
            _ => None,
        }
    }

    fn int(self) -> Option<i64> {
        match self {
            Num::Int(i) => i64::try_from(i).ok(),
            Num::Float(f) if f.fract() == 0.0 && f.abs() < i64::MAX as f64 => Some(f as i64),
            _ => None,
        }
    }

    fn float(self) -> Option<f64> {
        match self {
            Num::Int(i) => Some(i as f64),
            Num::Float(f) => Some(f),
            Num::Invalid => None,
        }
    }
}

type Nanos = Num;

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NumVisitor;
        impl Visitor<'_> for NumVisitor {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string holding one")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num::Int(v.into()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num::Int(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
                Ok(Num::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
                let v = v.trim();
                Ok(if let Ok(i) = v.parse::<i128>() {
                    Num::Int(i)
                } else {
                    match v {
                        "NaN" => Num::Float(f64::NAN),
                        "Infinity" => Num::Float(f64::INFINITY),
                        "-Infinity" => Num::Float(f64::NEG_INFINITY),
                        _ => v.parse::<f64>().map_or(Num::Invalid, Num::Float),
                    }
                })
            }
        }
        d.deserialize_any(NumVisitor)
    }
}

/// A trace or span id as lowercase hex: OTLP/JSON writes hex, the generic protobuf JSON
/// mapping base64. Ids that are neither are kept as written; empty and all-zero ids (invalid
/// in OpenTelemetry) are `None`.
fn normalize_id(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let hex = if matches!(raw.len(), 16 | 32) && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        raw.to_ascii_lowercase()
    } else if let Some(bytes) = base64_decode(raw).filter(|b| matches!(b.len(), 8 | 16)) {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    } else {
        raw.to_string()
    };
    (!hex.bytes().all(|b| b == b'0')).then_some(hex)
}

/// Standard or URL-safe base64, padding optional.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn attr_key(key: &str) -> Option<SpanAttrKey> {
    Some(match key {
        "db.statement" | "db.query.text" => SpanAttrKey::DbStatement,
        "db.system" | "db.system.name" => SpanAttrKey::DbSystem,
        "http.route" => SpanAttrKey::HttpRoute,
        "code.function" | "code.function.name" => SpanAttrKey::CodeFunction,
        "code.filepath" | "code.file.path" => SpanAttrKey::CodeFile,
        "code.lineno" | "code.line.number" => SpanAttrKey::CodeLine,
        _ => return None,
    })
}

fn attr_value(value: &AnyValue, key: SpanAttrKey) -> Option<AttrValue> {
    if key == SpanAttrKey::CodeLine {
        // A line is a number, whether the producer wrote an int or a string.
        let line = match (&value.int, &value.string, &value.double) {
            (Some(n), _, _) | (_, _, Some(n)) => n.int(),
            (_, Some(s), _) => s.trim().parse().ok(),
            _ => None,
        };
        return line.map(AttrValue::Int);
    }
    if let Some(s) = &value.string {
        Some(AttrValue::Str(s.clone()))
    } else if let Some(i) = value.int.and_then(Num::int) {
        Some(AttrValue::Int(i))
    } else if let Some(f) = value.double.and_then(Num::float) {
        Some(AttrValue::Float(f))
    } else {
        value.boolean.map(AttrValue::Bool)
    }
}

// --- from spans to tracks -------------------------------------------------------------------

/// A valid span, before its track is chosen.
struct Pending {
    trace_id: u32,
    span_id: String,
    parent_id: Option<String>,
    service: u32,
    name: NameId,
    start: u64,
    end: u64,
    attrs: Vec<(SpanAttrKey, AttrValue)>,
}

#[derive(Default)]
struct Builder<'a> {
    /// The file (after its byte order mark), for the places of errors.
    body: &'a [u8],
    bom: u64,
    limits: Limits,
    names: Names,
    services: Vec<String>,
    service_ids: FxHashMap<String, u32>,
    trace_ids: FxHashMap<String, u32>,
    spans: Vec<Pending>,
    events: u64,
    invalid: u64,
}

impl Builder<'_> {
    fn add_request(&mut self, request: Request) -> Result<(), TraceError> {
        for rs in request.resource_spans {
            let service = rs
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
                .and_then(|kv| kv.value.as_ref()?.string.clone())
                .unwrap_or_else(|| "unknown_service".to_string());
            let service = self.service_id(service);
            for scope in rs.scope_spans.into_iter().chain(rs.library_spans) {
                for raw in scope.spans {
                    let span: RawSpan = serde_json::from_str(raw.get())
                        .map_err(|e| error_in(self.body, self.bom, raw.get(), &e))?;
                    let offset = self.bom + offset_in(self.body, raw.get()) as u64;
                    self.add_span(span, service, offset)?;
                }
            }
        }
        Ok(())
    }

    fn service_id(&mut self, service: String) -> u32 {
        if let Some(&id) = self.service_ids.get(&service) {
            return id;
        }
        let id = self.services.len() as u32;
        self.services.push(service.clone());
        self.service_ids.insert(service, id);
        id
    }

    /// Adds a span that starts at byte `offset` of the file.
    fn add_span(&mut self, span: RawSpan, service: u32, offset: u64) -> Result<(), TraceError> {
        self.events += 1;
        let trace_id = span.trace_id.as_deref().and_then(normalize_id);
        let span_id = span.span_id.as_deref().and_then(normalize_id);
        let start = span.start.and_then(Num::nanos).filter(|&t| t > 0);
        let end = span.end.and_then(Num::nanos).filter(|&t| t > 0);
        let (Some(trace_id), Some(span_id), Some(start), Some(end)) =
            (trace_id, span_id, start, end)
        else {
            self.invalid += 1;
            return Ok(());
        };
        if end < start {
            self.invalid += 1;
            return Ok(());
        }
        let mut attrs: Vec<(SpanAttrKey, AttrValue)> = span
            .attributes
            .iter()
            .filter_map(|kv| {
                let key = attr_key(&kv.key)?;
                Some((key, attr_value(kv.value.as_ref()?, key)?))
            })
            .collect();
        attrs.sort_by_key(|(k, _)| *k);
        attrs.dedup_by_key(|(k, _)| *k);
        let mut name = span.name.unwrap_or_default();
        let file = attrs.iter().find(|(k, _)| *k == SpanAttrKey::CodeFile);
        let line = attrs.iter().find(|(k, _)| *k == SpanAttrKey::CodeLine);
        if let (Some((_, AttrValue::Str(file))), Some((_, AttrValue::Int(line)))) = (file, line)
            && !file.is_empty()
        {
            name = format!("{name} ({file}:{line})");
        }
        let name = self.intern(name, offset)?;
        let next = self.trace_ids.len() as u32;
        let trace_id = *self.trace_ids.entry(trace_id).or_insert(next);
        self.spans.push(Pending {
            trace_id,
            span_id,
            parent_id: span.parent_span_id.as_deref().and_then(normalize_id),
            service,
            name,
            start,
            end,
            attrs,
        });
        Ok(())
    }

    /// The id of the name of the span at `offset`, registered on first sight within the
    /// limits.
    fn intern(&mut self, name: String, offset: u64) -> Result<NameId, TraceError> {
        if let Some(id) = self.names.lookup(name.as_bytes()) {
            return Ok(id);
        }
        if name.len() > self.limits.max_name_bytes {
            return Err(name_too_long(offset, name.len(), &self.limits));
        }
        if self.names.len() >= self.limits.max_names {
            return Err(too_many_names(offset, &self.limits));
        }
        Ok(self.names.intern(&name))
    }

    fn finish(self, source: &str) -> Trace {
        let spans = &self.spans;
        let n = spans.len();
        let layout = layout(spans);
        let base = spans.iter().map(|s| s.start).min().unwrap_or(0);

        let mut tracks: Vec<Track> = Vec::new();
        let mut track_ids: FxHashMap<(u32, u32), TrackId> = FxHashMap::default();
        let mut new_index = vec![u32::MAX; n];
        let mut out = Vec::with_capacity(n);
        for &i in &layout.order {
            let s = &spans[i];
            let lane = layout.lane[i];
            let track = *track_ids.entry((s.service, lane)).or_insert_with(|| {
                tracks.push(Track {
                    key: TrackKey::Thread {
                        pid: Id::Str(self.services[s.service as usize].clone()),
                        tid: Id::Int(i64::from(lane)),
                    },
                    name: Some(format!("lane {lane}")),
                });
                (tracks.len() - 1) as TrackId
            });
            new_index[i] = out.len() as u32;
            out.push(Span {
                name: s.name,
                track,
                ts: (s.start - base) as f64 / 1000.0,
                dur: (s.end - s.start) as f64 / 1000.0,
            });
        }

        let mut span_attrs = Vec::new();
        for &i in &layout.order {
            let span = new_index[i];
            for (key, value) in &spans[i].attrs {
                span_attrs.push(SpanAttr {
                    span,
                    key: *key,
                    value: value.clone(),
                });
            }
            if let Some(p) = layout.parent[i] {
                span_attrs.push(SpanAttr {
                    span,
                    key: SpanAttrKey::Parent,
                    value: AttrValue::Int(i64::from(new_index[p])),
                });
            }
        }

        let mut trace = Trace {
            source: source.to_string(),
            names: self.names,
            tracks,
            spans: out,
            span_attrs,
            ..Trace::default()
        };
        trace.notes.events = self.events;
        trace.notes.invalid_spans = self.invalid;
        trace
    }
}

/// Where each span goes: its lane (a track per service), its declared parent, and the order
/// to write the spans in (a parent before the children on its lane, which breaks ties of
/// equal start and duration the right way in the call tree).
struct Layout {
    lane: Vec<u32>,
    parent: Vec<Option<usize>>,
    order: Vec<usize>,
}

/// Smallest gap, in ns, between a child's start and its parent's end for the child to nest
/// under the parent by time: the call tree treats boundaries within 1 ns as equal.
const MIN_OPEN_NS: u64 = 2;

fn layout(spans: &[Pending]) -> Layout {
    let n = spans.len();
    let mut by_id: FxHashMap<(u32, &str), usize> = FxHashMap::default();
    for (i, s) in spans.iter().enumerate() {
        by_id.entry((s.trace_id, s.span_id.as_str())).or_insert(i);
    }
    let parent: Vec<Option<usize>> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let p = *by_id.get(&(s.trace_id, s.parent_id.as_deref()?))?;
            (p != i).then_some(p)
        })
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, p) in parent.iter().enumerate() {
        if let Some(p) = *p {
            children[p].push(i);
        }
    }
    let by_start = |&a: &usize, &b: &usize| {
        let (x, y) = (&spans[a], &spans[b]);
        x.start
            .cmp(&y.start)
            .then_with(|| (y.end - y.start).cmp(&(x.end - x.start)))
            .then_with(|| a.cmp(&b))
    };
    // Which children share their parent's lane: those that run one after another inside it.
    let mut joins = vec![false; n];
    for (p, kids) in children.iter_mut().enumerate() {
        kids.sort_by(by_start);
        let ps = &spans[p];
        let mut free_from = ps.start;
        for &c in kids.iter() {
            let cs = &spans[c];
            if cs.service == ps.service
                && cs.start >= free_from
                && cs.end <= ps.end
                && ps.end - cs.start >= MIN_OPEN_NS
            {
                joins[c] = true;
                free_from = cs.end;
            }
        }
    }
    // Subtrees headed by spans that do not join their parent; a cycle of parent ids (broken
    // input) would leave spans unreached: the first unreached span of a cycle heads it.
    let mut reached = vec![false; n];
    let mut heads: Vec<usize> = (0..n).filter(|&i| !joins[i]).collect();
    let mut stack = heads.clone();
    let mut next_unreached = 0;
    loop {
        while let Some(i) = stack.pop() {
            reached[i] = true;
            stack.extend(children[i].iter().copied().filter(|&c| joins[c]));
        }
        while next_unreached < n && reached[next_unreached] {
            next_unreached += 1;
        }
        if next_unreached == n {
            break;
        }
        joins[next_unreached] = false;
        heads.push(next_unreached);
        stack.push(next_unreached);
    }
    // Interval partitioning per service, heads by start: each head goes on the lane that has
    // been free longest when one is free at its start, else on a new lane (this uses as few
    // lanes as the most heads open at one time).
    heads.sort_by(|a, b| {
        spans[*a]
            .service
            .cmp(&spans[*b].service)
            .then_with(|| by_start(a, b))
    });
    let mut lane = vec![0u32; n];
    let mut order = Vec::with_capacity(n);
    let mut free: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
    let mut lanes = 0u32;
    let mut service = None;
    for &h in &heads {
        let s = &spans[h];
        if service != Some(s.service) {
            service = Some(s.service);
            free.clear();
            lanes = 0;
        }
        let l = match free.peek() {
            Some(&Reverse((end, l))) if end <= s.start => {
                free.pop();
                l
            }
            _ => {
                lanes += 1;
                lanes - 1
            }
        };
        free.push(Reverse((s.end, l)));
        // The head and the children that join it, parents first.
        let first = order.len();
        order.push(h);
        let mut k = first;
        while k < order.len() {
            let i = order[k];
            lane[i] = l;
            order.extend(children[i].iter().copied().filter(|&c| joins[c]));
            k += 1;
        }
    }
    Layout {
        lane,
        parent,
        order,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Trace, TraceError> {
        read_bytes(text.as_bytes(), "t.json", Limits::DEFAULT)
    }

    fn span(trace: &str, id: &str, parent: &str, name: &str, start: u64, end: u64) -> String {
        format!(
            r#"{{"traceId":"{trace}","spanId":"{id}","parentSpanId":"{parent}","name":"{name}",
               "startTimeUnixNano":"{start}","endTimeUnixNano":{end}}}"#
        )
    }

    fn doc(service: &str, spans: &[String]) -> String {
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},
                "scopeSpans":[{{"scope":{{"name":"x"}},"spans":[{}]}}]}}]}}"#,
            spans.join(",")
        )
    }

    const T: &str = "5b8efff798038103d269b633813fc60c";

    /// The parent of every span by time containment per track, by the call tree's rule
    /// (ops/tree.rs: sorted by start, longer first, then index; boundaries within 1 ns equal).
    fn containment_parents(trace: &Trace) -> Vec<Option<usize>> {
        let mut idx: Vec<usize> = (0..trace.spans.len()).collect();
        idx.sort_by(|&a, &b| {
            let (x, y) = (&trace.spans[a], &trace.spans[b]);
            x.track
                .cmp(&y.track)
                .then(x.ts.total_cmp(&y.ts))
                .then(y.dur.total_cmp(&x.dur))
                .then(a.cmp(&b))
        });
        let mut parent = vec![None; trace.spans.len()];
        let mut stack: Vec<usize> = Vec::new();
        let mut track = None;
        for &i in &idx {
            let s = trace.spans[i];
            if track != Some(s.track) {
                stack.clear();
                track = Some(s.track);
            }
            while let Some(&t) = stack.last() {
                let e = trace.spans[t].end();
                if e <= s.ts + 1e-3 || e < s.end() - 1e-3 {
                    stack.pop();
                } else {
                    break;
                }
            }
            parent[i] = stack.last().copied();
            stack.push(i);
        }
        parent
    }

    #[test]
    fn real_sdk_files_nest_every_span_under_its_declared_parent_or_none() {
        for f in ["otlp/shop_document.json", "otlp/shop_lines.jsonl"] {
            let path = format!("{}/tests/fixtures/{f}", env!("CARGO_MANIFEST_DIR"));
            let trace = read(&std::fs::read_to_string(path).unwrap()).unwrap();
            let by_time = containment_parents(&trace);
            let (mut nested, mut detached) = (0, 0);
            for (i, p) in by_time.iter().enumerate() {
                let declared = trace
                    .attr(i as u32, SpanAttrKey::Parent)
                    .and_then(AttrValue::as_int)
                    .map(|p| p as usize);
                match p {
                    Some(p) => {
                        assert_eq!(Some(*p), declared, "{f}: span {i}");
                        nested += 1;
                    }
                    None => detached += usize::from(declared.is_some()),
                }
            }
            assert!(nested > 100 && detached >= 16, "{f}: {nested} {detached}");
            assert_eq!(trace.notes.invalid_spans, 0);
        }
    }

    /// (name, parent name by time containment) of every span, sorted.
    fn nesting(trace: &Trace) -> Vec<(String, Option<String>)> {
        let name = |k: usize| trace.names.get(trace.spans[k].name).to_string();
        let mut out: Vec<_> = containment_parents(trace)
            .into_iter()
            .enumerate()
            .map(|(i, p)| (name(i), p.map(name)))
            .collect();
        out.sort();
        out
    }

    fn pair(a: &str, b: Option<&str>) -> (String, Option<String>) {
        (a.to_string(), b.map(str::to_string))
    }

    #[test]
    fn sniffs_by_the_first_key() {
        assert!(Otlp.sniff(b"{\"resourceSpans\":[]}"));
        assert!(Otlp.sniff(b"\xEF\xBB\xBF \n{ \"resource_spans\": []}"));
        assert!(!Otlp.sniff(b"{\"traceEvents\":[], \"resourceSpans\": 1}"));
        assert!(!Otlp.sniff(b"[{\"ph\":\"X\"}]"));
    }

    #[test]
    fn nests_by_parent_id_with_overlapping_siblings_on_other_tracks() {
        let spans = [
            span(T, "0000000000000001", "", "handler", 1_000, 101_000),
            span(
                T,
                "0000000000000002",
                "0000000000000001",
                "query",
                2_000,
                12_000,
            ),
            // Overlaps the first query: goes on another track.
            span(
                T,
                "0000000000000003",
                "0000000000000001",
                "query",
                5_000,
                20_000,
            ),
            span(
                T,
                "0000000000000004",
                "0000000000000003",
                "row",
                6_000,
                7_000,
            ),
            span(
                T,
                "0000000000000005",
                "0000000000000001",
                "render",
                20_000,
                30_000,
            ),
            // Outlives its parent: its own subtree.
            span(
                T,
                "0000000000000006",
                "0000000000000005",
                "late",
                25_000,
                200_000,
            ),
            // Unknown parent: a root.
            span(
                T,
                "0000000000000007",
                "00000000000000ff",
                "orphan",
                50_000,
                60_000,
            ),
        ];
        let trace = read(&doc("shop", &spans)).unwrap();
        assert_eq!(trace.spans.len(), 7);
        assert_eq!(
            nesting(&trace),
            vec![
                pair("handler", None),
                pair("late", None),
                pair("orphan", None),
                pair("query", None),
                pair("query", Some("handler")),
                pair("render", Some("handler")),
                pair("row", Some("query")),
            ]
        );
        assert_eq!(trace.names.len(), 6);
        let handler = trace.spans.iter().position(|s| s.dur == 100.0).unwrap() as u32;
        let declared: Vec<u32> = trace
            .span_attrs
            .iter()
            .filter(|a| a.key == SpanAttrKey::Parent && a.value.as_int() == Some(handler.into()))
            .map(|a| a.span)
            .collect();
        assert_eq!(declared.len(), 3, "both queries and render declare handler");
        assert!(
            trace
                .tracks
                .iter()
                .all(|t| matches!(&t.key, TrackKey::Thread { pid: Id::Str(s), .. } if s == "shop"))
        );
        // Microseconds from the earliest start, to the nanosecond.
        let first = trace.spans.iter().map(|s| s.ts).fold(f64::MAX, f64::min);
        assert_eq!(first, 0.0);
    }

    #[test]
    fn equal_boundaries_and_zero_durations_keep_the_declared_parent() {
        let spans = [
            span(T, "0000000000000001", "", "a", 1_000, 2_000),
            span(T, "0000000000000002", "0000000000000001", "b", 1_000, 2_000),
            span(T, "0000000000000003", "0000000000000002", "c", 1_000, 1_500),
            span(T, "0000000000000004", "0000000000000002", "d", 1_500, 1_500),
            span(T, "0000000000000005", "0000000000000002", "e", 1_500, 2_000),
            span(T, "0000000000000006", "0000000000000002", "z", 2_000, 2_000),
        ];
        let trace = read(&doc("s", &spans)).unwrap();
        let got = nesting(&trace);
        assert!(got.contains(&pair("b", Some("a"))), "{got:?}");
        assert!(got.contains(&pair("c", Some("b"))), "{got:?}");
        assert!(got.contains(&pair("e", Some("b"))), "{got:?}");
        // d (zero length at c's end) and z (at b's end) cannot nest by time: their own roots,
        // never the child of a span that is not their parent.
        assert!(got.contains(&pair("d", Some("b"))) || got.contains(&pair("d", None)));
        assert!(got.contains(&pair("z", None)), "{got:?}");
    }

    #[test]
    fn json_lines_hex_and_base64_ids_legacy_key_and_numbers() {
        let line1 = doc(
            "a",
            &[span(
                "W47/95gDgQPSabYzgT/GDA==",
                "AAAAAAAAAAE=",
                "",
                "root",
                10,
                50,
            )],
        );
        let line2 = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]},"instrumentationLibrarySpans":[{"spans":[
            {"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"0000000000000002",
             "parentSpanId":"0000000000000001","name":"child","startTimeUnixNano":20,
             "endTimeUnixNano":"40","attributes":[
               {"key":"code.filepath","value":{"stringValue":"/app/shop.py"}},
               {"key":"code.lineno","value":{"intValue":"42"}},
               {"key":"db.statement","value":{"stringValue":"SELECT 1"}},
               {"key":"other","value":{"arrayValue":{}}}]}]}]}]}"#
            .replace('\n', " ");
        let text = format!("{}\n{line2}\n", line1.replace('\n', " "));
        let trace = read(&text).unwrap();
        assert_eq!(
            nesting(&trace),
            vec![
                pair("child (/app/shop.py:42)", Some("root")),
                pair("root", None)
            ]
        );
        let child = trace.spans.iter().position(|s| s.dur == 0.02).unwrap() as u32;
        assert_eq!(
            trace.attr(child, SpanAttrKey::DbStatement),
            Some(&AttrValue::Str("SELECT 1".into()))
        );
        assert_eq!(
            trace.attr(child, SpanAttrKey::CodeLine),
            Some(&AttrValue::Int(42))
        );
        assert_eq!(trace.notes.events, 2);
    }

    #[test]
    fn invalid_spans_are_counted_not_fatal() {
        let spans = [
            span(T, "0000000000000001", "", "ok", 1_000, 2_000),
            span(T, "", "", "no id", 1_000, 2_000),
            span("", "0000000000000003", "", "no trace", 1_000, 2_000),
            span(T, "0000000000000004", "", "backwards", 3_000, 2_000),
            r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"0000000000000005"}"#
                .to_string(),
            span(T, "0000000000000006", "", "not a time", 0, 2_000).replace("\"0\"", "\"x\""),
        ];
        let trace = read(&doc("s", &spans)).unwrap();
        assert_eq!(trace.spans.len(), 1);
        assert_eq!(trace.notes.invalid_spans, 5);
        assert_eq!(trace.notes.events, 6);
        assert!(trace.notes.warnings()[0].contains("5 span(s)"));
    }

    #[test]
    fn parent_cycles_do_not_lose_spans() {
        let spans = [
            span(T, "0000000000000001", "0000000000000002", "a", 1_000, 2_000),
            span(T, "0000000000000002", "0000000000000001", "b", 1_000, 2_000),
        ];
        let trace = read(&doc("s", &spans)).unwrap();
        assert_eq!(trace.spans.len(), 2);
    }

    #[test]
    fn an_invalid_span_is_an_error_at_its_line_column_and_byte_in_the_file() {
        let text = "\u{feff}{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [\n{\"name\": \"a\"},\n  {\"name\": 37}\n]}]}]}";
        let err = read(text).unwrap_err().to_string();
        // serde_json places a wrong type at the value's last character, as the stream does.
        let at = text.find("37}").unwrap() + 1;
        let line_start = text[..at].rfind('\n').unwrap() + 1;
        assert_eq!(
            err,
            format!(
                "line 3, column {} (byte {at}): invalid type: integer `37`, expected a string",
                at - line_start + 1
            )
        );
    }

    #[test]
    fn errors_name_the_line_and_byte() {
        let good = doc("s", &[span(T, "0000000000000001", "", "a", 1, 2)]).replace('\n', " ");
        let text = format!("{good}\n{good}\n{{\"resourceSpans\": 5}}\n{good}\n");
        let err = read(&text).unwrap_err().to_string();
        assert!(err.starts_with("line 3, column "), "{err}");
        assert!(
            err.contains(&format!("(byte {}", 2 * (good.len() + 1) + 18)),
            "{err}"
        );
        // A last line cut in the middle: the lines before are kept.
        let cut = format!("{good}\n{}", &good[..good.len() / 2]);
        let trace = read(&cut).unwrap();
        assert!(trace.notes.truncated);
        assert_eq!(trace.spans.len(), 1);
        // A single document cut: an error.
        assert!(read(&good[..good.len() - 3]).is_err());
        assert!(
            read("{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"name\": 3}]}]}]}")
                .is_err()
        );
    }
}
