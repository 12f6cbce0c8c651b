//! Turns the event stream of one trace into spans: `X` complete events directly, `B`/`E` pairs
//! matched per (pid, tid) in time order, nestable async `b`/`e` matched by cat + id + name.
//! Counter events (`C`) become [`Counter`] series. Other phases without a duration are
//! counted and ignored; odd events are counted in
//! [`ReadNotes`], not fatal.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::str::Utf8Error;

use rustc_hash::FxHashMap;

use super::event::{RawEvent, Text, sanitize_non_finite};
use super::flat;
use super::layout::Layouts;
use super::scan::{EventSink, Framing, Scanner, Taken};
use crate::trace::detect::{describe_binary, describe_non_trace};
use crate::trace::{
    AttrValue, Counter, Id, Limits, NameId, Names, ReadContext, Span, SpanAttr, SpanAttrKey, Trace,
    TraceError, Track, TrackId, TrackKey,
};

/// Reads a Chrome trace from its (decompressed) bytes. `progress_total`, when set, prints
/// progress to stderr.
pub(crate) fn read(input: Box<dyn Read>, ctx: &ReadContext) -> Result<Trace, TraceError> {
    let (name, progress_total, gzip) = (ctx.name.as_str(), ctx.progress_total, ctx.gzip);
    let mut scanner = Scanner::new(input, ctx.limits.max_value_bytes);
    if let Some(total) = progress_total {
        scanner = scanner.with_progress(progress_printer(name.to_string(), total, gzip));
    }
    refuse_non_trace(&mut scanner)?;
    let mut builder = Builder::new(name, ctx.limits);
    let framing = scanner.run(&mut builder)?;
    if progress_total.is_some() {
        eprint!("\r\x1b[2K");
    }
    finish(builder, &framing, scanner.offset(), ctx)
}

/// Reads a Chrome trace held whole in memory on one thread (the reference the parallel
/// reader is checked against, and its fallback).
pub(super) fn read_slice(bytes: &[u8], ctx: &ReadContext) -> Result<Trace, TraceError> {
    let mut scanner = Scanner::over_slice(bytes, 0, ctx.limits.max_value_bytes);
    refuse_non_trace(&mut scanner)?;
    let mut builder = Builder::new(&ctx.name, ctx.limits);
    let framing = scanner.run(&mut builder)?;
    finish(builder, &framing, scanner.offset(), ctx)
}

/// The trace of a builder that saw every event; `bytes` is where the scan ended.
pub(super) fn finish(
    builder: Builder,
    framing: &Framing,
    bytes: u64,
    ctx: &ReadContext,
) -> Result<Trace, TraceError> {
    if !framing.saw_events {
        return Err(TraceError::NotATrace(
            "it is a JSON object without a \"traceEvents\" array (a JSON document, not a trace)"
                .into(),
        ));
    }
    let mut trace = builder.finish();
    trace.notes.bytes = bytes;
    trace.notes.truncated = framing.truncated;
    trace.notes.viztracer_overflow = framing.viztracer_overflow.unwrap_or(false);
    trace.notes.gzip = ctx.gzip;
    Ok(trace)
}

/// Refuses an input whose first significant byte does not open a JSON array or object, saying
/// what it looks like instead. Leading whitespace (JSON's four characters, however many) is
/// skipped as the scanner skips it, so the two always agree on where the document starts.
pub(super) fn refuse_non_trace<R: Read>(scanner: &mut Scanner<'_, R>) -> Result<(), TraceError> {
    let raw = scanner.head(256)?;
    if raw.is_empty() {
        return Err(TraceError::NotATrace("the file is empty".into()));
    }
    if let Some(what) = describe_binary(raw) {
        return Err(TraceError::NotATrace(what));
    }
    match scanner.peek_non_ws()? {
        Some(b'[' | b'{') => Ok(()),
        None => Err(TraceError::NotATrace(
            "the file holds only whitespace".into(),
        )),
        Some(_) => {
            let offset = scanner.offset();
            let what = describe_non_trace(scanner.head(256)?)
                .unwrap_or_else(|| "it does not start with JSON".into());
            Err(TraceError::NotATrace(format!("byte {offset}: {what}")))
        }
    }
}

fn progress_printer(name: String, total: u64, gzip: bool) -> Box<dyn FnMut(u64)> {
    let mut last_mb = 0;
    Box::new(move |bytes| {
        let mb = bytes >> 20;
        if mb >= last_mb + 16 {
            last_mb = mb;
            let mut err = std::io::stderr().lock();
            if gzip {
                let line = format!("reading {name}: {mb} MB decompressed");
                let _ = write!(err, "\r{}", crate::log::neutral(&line));
            } else {
                let pct = (bytes * 100).checked_div(total).unwrap_or(0).min(100);
                let line = format!("reading {name}: {mb} / {} MB ({pct}%)", total >> 20);
                let _ = write!(err, "\r{}", crate::log::neutral(&line));
            }
            let _ = err.flush();
        }
    })
}

/// The name of an event as bytes; an event without a name is named "".
fn name_bytes<'e>(event: &'e RawEvent<'_>) -> &'e [u8] {
    event.name.as_ref().map_or(b"", Text::bytes)
}

/// One `B` or `E` event, kept until the end of the file because producers do not promise
/// time order.
#[derive(Clone, Copy)]
struct Edge {
    track: TrackId,
    ts: f64,
    name: Option<NameId>,
    begin: bool,
}

/// One nestable async `b` or `e` event.
#[derive(Clone, Copy)]
struct AsyncEdge {
    track: TrackId,
    name: NameId,
    ts: f64,
    begin: bool,
}

/// Accumulates spans, names and tracks while the events stream by. The parallel reader gives
/// each part of a file its own builder and joins them in file order ([`Builder::absorb`]).
pub(super) struct Builder {
    trace: Trace,
    track_ids: FxHashMap<TrackKey, TrackId>,
    last_thread: Option<(Id, Id, TrackId)>,
    /// (track, counter name, series) → index in `trace.counters`.
    counter_ids: FxHashMap<(TrackId, String, String), usize>,
    edges: Vec<Edge>,
    async_edges: Vec<AsyncEdge>,
    /// `thread_name` metadata in file order: (track, name given), replayed by [`Builder::absorb`].
    named_tracks: Vec<(TrackId, Option<String>)>,
    limits: Limits,
    /// The byte layouts of the events read last, the fastest path ([`Layouts`]).
    layouts: Layouts,
}

/// Why a name could not be registered.
#[derive(Debug)]
pub(super) enum NameError {
    NotUtf8,
    /// Longer than [`Limits::max_name_bytes`]: this many bytes.
    TooLong(usize),
    /// One more than [`Limits::max_names`].
    TooMany,
}

impl From<Utf8Error> for NameError {
    fn from(_: Utf8Error) -> Self {
        NameError::NotUtf8
    }
}

impl NameError {
    /// The error for the event at `offset`; `what` names the field when it is not text.
    fn at(self, offset: u64, what: &str, limits: &Limits) -> TraceError {
        match self {
            NameError::NotUtf8 => TraceError::Event {
                offset,
                message: format!("the {what} is not valid UTF-8"),
            },
            NameError::TooLong(len) => crate::trace::whole::name_too_long(offset, len, limits),
            NameError::TooMany => crate::trace::whole::too_many_names(offset, limits),
        }
    }
}

impl EventSink for Builder {
    fn offer(&mut self, bytes: &[u8], offset: u64) -> Result<Taken, TraceError> {
        if let Some((event, len)) = self.layouts.parse(bytes) {
            self.add(event, offset)?;
            return Ok(Taken::Event(len));
        }
        if let Some((event, len)) = flat::parse(bytes) {
            self.layouts.learn(bytes);
            self.add(event, offset)?;
            return Ok(Taken::Event(len));
        }
        let mut events = serde_json::Deserializer::from_slice(bytes).into_iter::<RawEvent>();
        match events.next() {
            Some(Ok(event)) => {
                let len = events.byte_offset();
                self.add(event, offset)?;
                Ok(Taken::Event(len))
            }
            Some(Err(e)) if e.is_eof() => Ok(Taken::NeedMore),
            // NaN in args, or a real error: the slow path repairs or reports it.
            _ => Ok(Taken::Delimit),
        }
    }

    fn event(&mut self, bytes: &[u8], offset: u64) -> Result<(), TraceError> {
        self.add_event(bytes, offset)
    }
}

impl Builder {
    pub(super) fn new(source: &str, limits: Limits) -> Self {
        Builder {
            trace: Trace {
                source: source.to_string(),
                ..Trace::default()
            },
            track_ids: FxHashMap::default(),
            last_thread: None,
            counter_ids: FxHashMap::default(),
            edges: Vec::new(),
            async_edges: Vec::new(),
            named_tracks: Vec::new(),
            limits,
            layouts: Layouts::default(),
        }
    }

    /// Adds the events of `part`, read by another builder from the bytes that follow this
    /// builder's, as if this builder had read them itself: names, tracks and counter series
    /// are numbered in order of first sight over both, spans and edges follow in file order.
    /// Fails only when the two together have more distinct names than the limit allows (the
    /// caller then reads the file again on one thread, for the exact error).
    pub(super) fn absorb(&mut self, part: Builder) -> Result<(), NameError> {
        let names = self.absorb_names(&part.trace.names)?;
        let tracks: Vec<TrackId> = part
            .trace
            .tracks
            .into_iter()
            .map(|t| self.track(t.key))
            .collect();
        for (track, name) in part.named_tracks {
            let track = tracks[track as usize];
            self.trace.tracks[track as usize].name.clone_from(&name);
            self.named_tracks.push((track, name));
        }
        let first_span = self.trace.spans.len() as u32;
        self.trace
            .span_attrs
            .extend(part.trace.span_attrs.into_iter().map(|mut a| {
                a.span += first_span;
                a
            }));
        self.trace
            .spans
            .extend(part.trace.spans.iter().map(|s| Span {
                name: names[s.name as usize],
                track: tracks[s.track as usize],
                ..*s
            }));
        for counter in part.trace.counters {
            self.absorb_counter(counter, &tracks);
        }
        self.edges.extend(part.edges.into_iter().map(|e| Edge {
            track: tracks[e.track as usize],
            name: e.name.map(|n| names[n as usize]),
            ..e
        }));
        self.async_edges
            .extend(part.async_edges.into_iter().map(|e| AsyncEdge {
                track: tracks[e.track as usize],
                name: names[e.name as usize],
                ..e
            }));
        let (notes, more) = (&mut self.trace.notes, &part.trace.notes);
        notes.events += more.events;
        notes.dropped_invalid += more.dropped_invalid;
        notes.ignored_phases += more.ignored_phases;
        notes.counter_events += more.counter_events;
        self.last_thread = None;
        Ok(())
    }

    /// The spans read so far.
    pub(super) fn span_count(&self) -> usize {
        self.trace.spans.len()
    }

    /// Makes room for `more` spans, so that joining parts allocates once.
    pub(super) fn reserve_spans(&mut self, more: usize) {
        self.trace.spans.reserve_exact(more);
    }

    /// This builder's ids of `names` (another builder's, in its order), registering the new
    /// ones in that order.
    fn absorb_names(&mut self, names: &Names) -> Result<Vec<NameId>, NameError> {
        let mut ids = Vec::with_capacity(names.len());
        for name in names.iter() {
            let id = match self.trace.names.lookup(name.as_bytes()) {
                Some(id) => id,
                None if self.trace.names.len() >= self.limits.max_names => {
                    return Err(NameError::TooMany);
                }
                None => self.trace.names.intern(name),
            };
            ids.push(id);
        }
        Ok(ids)
    }

    /// Appends the samples of another builder's counter series to this builder's series of the
    /// same track, name and key (registered when new).
    fn absorb_counter(&mut self, counter: Counter, tracks: &[TrackId]) {
        let key = (tracks[counter.track as usize], counter.name, counter.series);
        match self.counter_ids.get(&key) {
            Some(&i) => self.trace.counters[i].samples.extend(counter.samples),
            None => {
                self.counter_ids
                    .insert(key.clone(), self.trace.counters.len());
                self.trace.counters.push(Counter {
                    track: key.0,
                    name: key.1,
                    series: key.2,
                    samples: counter.samples,
                });
            }
        }
    }

    fn add_event(&mut self, bytes: &[u8], offset: u64) -> Result<(), TraceError> {
        match serde_json::from_slice::<RawEvent>(bytes) {
            Ok(event) => self.add(event, offset),
            Err(first) => {
                let clean = sanitize_non_finite(bytes);
                let event =
                    serde_json::from_slice::<RawEvent>(&clean).map_err(|_| TraceError::Event {
                        offset: offset + byte_in_event(bytes, first.line(), first.column()),
                        message: without_position(&first),
                    })?;
                self.add(event, offset)
            }
        }
    }

    /// Adds one parsed event; `offset` (its first byte) is for the error of a name that is
    /// not UTF-8.
    fn add(&mut self, event: RawEvent<'_>, offset: u64) -> Result<(), TraceError> {
        self.trace.notes.events += 1;
        let limits = self.limits;
        match event.phase {
            b'X' => self
                .add_complete(&event)
                .map_err(|e| e.at(offset, "name", &limits)),
            b'B' | b'E' => self
                .add_edge(&event)
                .map_err(|e| e.at(offset, "name", &limits)),
            b'b' | b'e' => self
                .add_async_edge(&event)
                .map_err(|e| e.at(offset, "name or category", &limits)),
            b'M' => {
                self.add_metadata(&event);
                Ok(())
            }
            b'C' => self
                .add_counter(&event)
                .map_err(|e| e.at(offset, "name", &limits)),
            _ => {
                self.trace.notes.ignored_phases += 1;
                Ok(())
            }
        }
    }

    fn add_complete(&mut self, event: &RawEvent<'_>) -> Result<(), NameError> {
        let (Some(ts), Some(dur)) = (event.ts, event.dur) else {
            self.trace.notes.dropped_invalid += 1;
            return Ok(());
        };
        if !(dur >= 0.0 && ts.is_finite() && dur.is_finite()) {
            self.trace.notes.dropped_invalid += 1;
            return Ok(());
        }
        let track = self.thread_track(event);
        let name = self.intern(name_bytes(event))?;
        let index = self.trace.spans.len() as u32;
        self.trace.spans.push(Span {
            name,
            track,
            ts,
            dur,
        });
        if let Some(sql) = event.args.and_then(|a| func_args_statement(a.get())) {
            self.trace.span_attrs.push(SpanAttr {
                span: index,
                key: SpanAttrKey::DbStatement,
                value: AttrValue::Str(sql),
            });
        }
        Ok(())
    }

    fn add_edge(&mut self, event: &RawEvent<'_>) -> Result<(), NameError> {
        let Some(ts) = event.ts.filter(|t| t.is_finite()) else {
            self.trace.notes.dropped_invalid += 1;
            return Ok(());
        };
        let track = self.thread_track(event);
        let name = match &event.name {
            Some(name) => Some(self.intern(name.bytes())?),
            None => None,
        };
        self.edges.push(Edge {
            track,
            ts,
            name,
            begin: event.phase == b'B',
        });
        Ok(())
    }

    fn add_async_edge(&mut self, event: &RawEvent<'_>) -> Result<(), NameError> {
        let Some(ts) = event.ts.filter(|t| t.is_finite()) else {
            self.trace.notes.dropped_invalid += 1;
            return Ok(());
        };
        let cat = match &event.cat {
            Some(cat) => cat.to_str()?,
            None => "",
        };
        let key = TrackKey::Async {
            pid: event.pid.clone().unwrap_or(Id::Int(0)),
            cat: cat.to_string(),
            id: event.async_id().unwrap_or(Id::Int(0)),
        };
        let track = self.track(key);
        let name = self.intern(name_bytes(event))?;
        self.async_edges.push(AsyncEdge {
            track,
            name,
            ts,
            begin: event.phase == b'b',
        });
        Ok(())
    }

    /// A counter event: one sample per numeric value of its `args` (other values, which no
    /// tracer writes, are left out).
    fn add_counter(&mut self, event: &RawEvent<'_>) -> Result<(), NameError> {
        let (Some(ts), Some(args)) = (event.ts.filter(|t| t.is_finite()), event.args) else {
            self.trace.notes.dropped_invalid += 1;
            return Ok(());
        };
        let name = match &event.name {
            Some(name) => name.to_str()?.to_string(),
            None => String::new(),
        };
        let Ok(values) = serde_json::from_str::<BTreeMap<String, serde_json::Value>>(args.get())
        else {
            self.trace.notes.dropped_invalid += 1;
            return Ok(());
        };
        self.trace.notes.counter_events += 1;
        let track = self.thread_track(event);
        for (series, value) in values {
            let Some(value) = value.as_f64().filter(|v| v.is_finite()) else {
                continue;
            };
            let key = (track, name.clone(), series);
            let index = match self.counter_ids.get(&key) {
                Some(&i) => i,
                None => {
                    let i = self.trace.counters.len();
                    self.trace.counters.push(Counter {
                        name: key.1.clone(),
                        series: key.2.clone(),
                        track,
                        samples: Vec::new(),
                    });
                    self.counter_ids.insert(key, i);
                    i
                }
            };
            self.trace.counters[index].samples.push((ts, value));
        }
        Ok(())
    }

    fn add_metadata(&mut self, event: &RawEvent<'_>) {
        if event.name.as_ref().map(Text::bytes) == Some(b"thread_name") {
            let track = self.thread_track(event);
            let name = event.metadata_name();
            self.trace.tracks[track as usize].name.clone_from(&name);
            self.named_tracks.push((track, name));
        }
    }

    /// The id of a name, registered on first sight. Names are looked up by their bytes and
    /// checked to be UTF-8 only when new: bytes equal to a known name are valid.
    fn intern(&mut self, name: &[u8]) -> Result<NameId, NameError> {
        if let Some(id) = self.trace.names.lookup(name) {
            return Ok(id);
        }
        if name.len() > self.limits.max_name_bytes {
            return Err(NameError::TooLong(name.len()));
        }
        if self.trace.names.len() >= self.limits.max_names {
            return Err(NameError::TooMany);
        }
        Ok(self.intern_str(std::str::from_utf8(name)?))
    }

    /// The id of a name known to be text.
    fn intern_str(&mut self, name: &str) -> NameId {
        self.trace.names.intern(name)
    }

    /// The track of an event's (pid, tid). Consecutive events are nearly always on the same
    /// thread: that case is answered without a lookup or a clone of string ids.
    fn thread_track(&mut self, event: &RawEvent<'_>) -> TrackId {
        const NONE: Id = Id::Int(0);
        let same_as_last = |(p, t, _): &(Id, Id, TrackId)| {
            p == event.pid.as_ref().unwrap_or(&NONE) && t == event.tid.as_ref().unwrap_or(&NONE)
        };
        if let Some(last) = &self.last_thread
            && same_as_last(last)
        {
            return last.2;
        }
        let pid = event.pid.clone().unwrap_or(NONE);
        let tid = event.tid.clone().unwrap_or(NONE);
        let id = self.track(TrackKey::Thread {
            pid: pid.clone(),
            tid: tid.clone(),
        });
        self.last_thread = Some((pid, tid, id));
        id
    }

    fn track(&mut self, key: TrackKey) -> TrackId {
        if let Some(&id) = self.track_ids.get(&key) {
            return id;
        }
        let id = self.trace.tracks.len() as TrackId;
        self.trace.tracks.push(Track {
            key: key.clone(),
            name: None,
        });
        self.track_ids.insert(key, id);
        id
    }

    fn finish(mut self) -> Trace {
        self.match_edges();
        self.match_async_edges();
        // The vector grew by doubling: up to half of the largest allocation of a big trace is
        // spare capacity that would stay for the whole command.
        self.trace.spans.shrink_to_fit();
        self.trace.names.shrink_to_fit();
        self.trace
    }

    /// Pairs `B` with `E` per track in time order (file order breaks ties), like a stack.
    fn match_edges(&mut self) {
        let mut edges = std::mem::take(&mut self.edges);
        edges.sort_by(|a, b| a.track.cmp(&b.track).then(a.ts.total_cmp(&b.ts)));
        let mut stack: Vec<usize> = Vec::new();
        let mut current_track = None;
        // (position of the begin edge, span): spans are emitted when they close, inner first;
        // ordering them by their begin keeps "opened first" first among equal ts and dur.
        let mut closed: Vec<(usize, Span)> = Vec::new();
        for (position, edge) in edges.iter().enumerate() {
            if current_track != Some(edge.track) {
                self.trace.notes.unmatched_begin += stack.len() as u64;
                stack.clear();
                current_track = Some(edge.track);
            }
            if edge.begin {
                stack.push(position);
                continue;
            }
            match stack.pop() {
                Some(begin_at) if !(edge.ts - edges[begin_at].ts).is_finite() => {
                    self.trace.notes.unbounded_pairs += 1;
                }
                Some(begin_at) => {
                    let begin = &edges[begin_at];
                    let name = match begin.name.or(edge.name) {
                        Some(name) => name,
                        None => self.intern_str(""),
                    };
                    let span = Span {
                        name,
                        track: begin.track,
                        ts: begin.ts,
                        dur: edge.ts - begin.ts,
                    };
                    closed.push((begin_at, span));
                }
                None => self.trace.notes.unmatched_end += 1,
            }
        }
        self.trace.notes.unmatched_begin += stack.len() as u64;
        closed.sort_unstable_by_key(|(begin_at, _)| *begin_at);
        self.trace
            .spans
            .extend(closed.into_iter().map(|(_, span)| span));
    }

    /// Pairs nestable async `b`/`e` with the same track (pid, cat, id) and name.
    fn match_async_edges(&mut self) {
        let mut edges = std::mem::take(&mut self.async_edges);
        edges.sort_by(|a, b| {
            (a.track, a.name)
                .cmp(&(b.track, b.name))
                .then(a.ts.total_cmp(&b.ts))
        });
        let mut open: Vec<&AsyncEdge> = Vec::new();
        let mut current = None;
        for edge in &edges {
            if current != Some((edge.track, edge.name)) {
                self.trace.notes.unmatched_async += open.len() as u64;
                open.clear();
                current = Some((edge.track, edge.name));
            }
            if edge.begin {
                open.push(edge);
            } else if let Some(begin) = open.pop() {
                if !(edge.ts - begin.ts).is_finite() {
                    self.trace.notes.unbounded_pairs += 1;
                    continue;
                }
                self.trace.spans.push(Span {
                    name: begin.name,
                    track: begin.track,
                    ts: begin.ts,
                    dur: edge.ts - begin.ts,
                });
            } else {
                self.trace.notes.unmatched_async += 1;
            }
        }
        self.trace.notes.unmatched_async += open.len() as u64;
    }
}

/// The byte index in `event` of serde_json's 1-based line and column.
fn byte_in_event(event: &[u8], line: usize, column: usize) -> u64 {
    let line_start: usize = event
        .split(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    (line_start + column.saturating_sub(1)) as u64
}

/// serde_json's message without its "at line L column C" (the byte offset replaces it).
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::read_trace_from;

    fn read(json: &str) -> Result<Trace, TraceError> {
        read_trace_from(
            Box::new(std::io::Cursor::new(json.as_bytes().to_vec())),
            "t",
            None,
        )
    }

    fn names_and_durs(t: &Trace) -> Vec<(String, f64)> {
        let mut v: Vec<_> = t
            .spans
            .iter()
            .map(|s| (t.names.get(s.name).to_string(), s.dur))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        v
    }

    #[test]
    fn array_form_with_trailing_comma_and_no_closing_bracket() {
        let t = read(r#"[{"ph":"X","name":"a","ts":1,"dur":2,"pid":1,"tid":1},"#).unwrap();
        assert_eq!(names_and_durs(&t), vec![("a".into(), 2.0)]);
        assert!(t.notes.truncated);
    }

    #[test]
    fn cut_in_the_middle_of_an_event_keeps_complete_ones() {
        let t = read(
            r#"{"traceEvents":[{"ph":"X","name":"a","ts":1,"dur":2},{"ph":"X","name":"b","ts":"#,
        )
        .unwrap();
        assert_eq!(names_and_durs(&t), vec![("a".into(), 2.0)]);
        assert!(t.notes.truncated);
    }

    #[test]
    fn begin_end_pairs_unsorted_and_unmatched() {
        let t = read(
            r#"[{"ph":"E","ts":30,"pid":1,"tid":1},
                {"ph":"B","name":"outer","ts":10,"pid":1,"tid":1},
                {"ph":"B","name":"inner","ts":12,"pid":1,"tid":1},
                {"ph":"E","ts":20,"pid":1,"tid":1},
                {"ph":"B","name":"never","ts":40,"pid":1,"tid":1},
                {"ph":"E","ts":5,"pid":1,"tid":2}]"#,
        )
        .unwrap();
        assert_eq!(
            names_and_durs(&t),
            vec![("inner".into(), 8.0), ("outer".into(), 20.0)]
        );
        assert_eq!(t.notes.unmatched_begin, 1);
        assert_eq!(t.notes.unmatched_end, 1);
    }

    #[test]
    fn async_pairs_match_by_cat_id_and_name() {
        let t = read(
            r#"[{"ph":"b","name":"req","cat":"net","id":"0x1","ts":1,"pid":1},
                {"ph":"b","name":"req","cat":"net","id":"0x2","ts":2,"pid":1},
                {"ph":"e","name":"req","cat":"net","id":"0x1","ts":11,"pid":1},
                {"ph":"e","name":"req","cat":"net","id2":{"local":"0x2"},"ts":7,"pid":1}]"#,
        )
        .unwrap();
        assert_eq!(
            names_and_durs(&t),
            vec![("req".into(), 5.0), ("req".into(), 10.0)]
        );
    }

    #[test]
    fn nan_in_args_null_args_metadata_and_other_phases() {
        let t = read(
            r#"{"traceEvents":[
                {"ph":"X","name":"a","ts":1,"dur":2,"args":{"v":NaN,"w":Infinity}},
                {"ph":"X","name":"b","ts":1,"dur":2,"args":null},
                {"ph":"M","name":"thread_name","pid":1,"tid":7,"args":{"name":"worker"}},
                {"ph":"C","name":"mem","ts":1,"args":{"x":1}},
                {"ph":"i","name":"tick","ts":1},
                {"ph":"X","name":"neg","ts":1,"dur":-1}
            ], "displayTimeUnit":"ns", "file_info": {"files": {"a.py": ["x = \"]}\"\n", 1]}}}"#,
        )
        .unwrap();
        assert_eq!(t.spans.len(), 2);
        assert_eq!(t.notes.ignored_phases, 1);
        assert_eq!(t.notes.counter_events, 1);
        assert_eq!(t.counters.len(), 1);
        assert_eq!(
            (t.counters[0].name.as_str(), t.counters[0].series.as_str()),
            ("mem", "x")
        );
        assert_eq!(t.counters[0].samples, vec![(1.0, 1.0)]);
        assert_eq!(t.notes.dropped_invalid, 1);
        assert!(
            t.tracks
                .iter()
                .any(|tr| tr.name.as_deref() == Some("worker"))
        );
        assert!(!t.notes.truncated);
    }

    #[test]
    fn json_document_without_trace_events_is_rejected() {
        let err = read(r#"{"name": "config", "values": [1, 2]}"#).unwrap_err();
        assert!(err.to_string().contains("traceEvents"), "{err}");
    }

    #[test]
    fn malformed_event_names_the_byte_offset() {
        let err = read(r#"[{"ph":"X","ts":1,"dur":2}, {"ph":"X","ts":tru}]"#).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("byte "), "{msg}");
    }

    /// Hands out at most 7 bytes per read, so events straddle every refill.
    struct Trickle(std::io::Cursor<Vec<u8>>);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(7);
            self.0.read(&mut buf[..n])
        }
    }

    #[test]
    fn events_cut_by_refills_are_parsed_whole() {
        let mut json = String::from("[");
        for i in 0..300 {
            let args = if i % 50 == 0 {
                r#","args":{"v":NaN}"#
            } else {
                ""
            };
            json.push_str(&format!(
                r#"{{"ph":"X","name":"f{}","ts":{i},"dur":1.5,"pid":1,"tid":1{args}}},"#,
                i % 3
            ));
        }
        json.push_str(r#"{"ph":"X","name":"cut","ts":1,"#);
        let input = Trickle(std::io::Cursor::new(json.into_bytes()));
        let t = read_trace_from(Box::new(input), "t", None).unwrap();
        assert_eq!(t.spans.len(), 300);
        assert_eq!(t.names, vec!["f0", "f1", "f2"]);
        assert_eq!(t.spans.iter().map(|s| s.dur).sum::<f64>(), 450.0);
        assert!(t.notes.truncated);
    }

    #[test]
    fn gzip_is_detected_by_content() {
        use flate2::write::GzEncoder;
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(br#"[{"ph":"X","name":"a","ts":1,"dur":2}]"#)
            .unwrap();
        let bytes = enc.finish().unwrap();
        let t = read_trace_from(Box::new(std::io::Cursor::new(bytes)), "t.json", None).unwrap();
        assert!(t.notes.gzip);
        assert_eq!(t.spans.len(), 1);
    }
}

/// The query text among the arguments viztracer `--log_func_args` logged for a call
/// (`{"func_args": {"sql": "'SELECT …'"}}`: each value is the argument's Python `repr`): the
/// first argument that is a string starting with an SQL verb, unquoted. `None` when there is
/// none (most calls), which is also the answer for arguments that are not that shape.
fn func_args_statement(args: &str) -> Option<String> {
    if !args.contains("\"func_args\"") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(args).ok()?;
    value
        .get("func_args")?
        .as_object()?
        .values()
        .filter_map(|v| v.as_str())
        .find_map(sql_of_repr)
}

/// `'SELECT …'` or `"SELECT …"` (a Python string's repr) holding a statement, unquoted.
fn sql_of_repr(repr: &str) -> Option<String> {
    let inner = repr
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .or_else(|| repr.strip_prefix('"').and_then(|r| r.strip_suffix('"')))?;
    let text = inner.replace("\\n", " ").replace("\\'", "'");
    let verb: String = text
        .trim_start()
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    const VERBS: [&str; 6] = ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE"];
    VERBS
        .contains(&verb.as_str())
        .then(|| text.trim().to_string())
}

#[cfg(test)]
mod func_args_tests {
    use super::*;

    #[test]
    fn a_query_text_is_found_among_logged_arguments() {
        let args = r#"{"func_args": {"conn": "<sqlite3.Connection object at 0x7f>", "sql": "'SELECT name FROM items WHERE id = 3'"}}"#;
        assert_eq!(
            func_args_statement(args).as_deref(),
            Some("SELECT name FROM items WHERE id = 3")
        );
        // A repr with an escaped quote and a newline.
        let args = r#"{"func_args": {"q": "'select *\\nfrom t where n = \\'x\\''"}}"#;
        assert_eq!(
            func_args_statement(args).as_deref(),
            Some("select * from t where n = 'x'")
        );
        // Arguments without a statement, or not the viztracer shape: nothing.
        for args in [
            r#"{"func_args": {"item_id": "3", "name": "'selection'"}}"#,
            r#"{"func_args": ["'SELECT 1'"]}"#,
            r#"{"sql": "'SELECT 1'"}"#,
            "{}",
        ] {
            assert_eq!(func_args_statement(args), None, "{args}");
        }
    }
}
