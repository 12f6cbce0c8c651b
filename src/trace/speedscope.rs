//! speedscope JSON (`"$schema": "https://www.speedscope.app/file-format-schema.json"`), as
//! `py-spy record --format speedscope` (sampled profiles, one per thread) and
//! `pyinstrument -r speedscope` (one evented profile) write it.
//!
//! The document holds `shared.frames` (`{name, file?, line?, col?}`) and `profiles`; each
//! profile becomes its own track (pid 0, tid = the profile's index, named after the profile).
//! A frame is named like viztracer names Python functions, `name (file:line)` (`name (file:0)`
//! when the frame has a file but no line, `name` alone without a file), so operation identity
//! finds the function, file and line.
//!
//! - `evented` profiles: every open (`O`) / close (`C`) pair is one span, times `at` in the
//!   profile's `unit`. Events must nest and be in time order (as speedscope requires); an `O`
//!   never closed is counted and left out.
//! - `sampled` profiles: `samples` are stacks of frame indices (root first) with one `weight`
//!   each. Samples are laid end to end from `startValue`; each maximal run of consecutive
//!   samples in which a frame stays on the stack at the same depth (with the same frames below
//!   it) becomes one span whose duration is the sum of the run's weights. Totals and self
//!   times per function are then its sample time; call counts are runs of samples, not calls,
//!   which [`ReadNotes::sampled`] and its warning say. A sample of weight 0 is skipped.
//!
//! Units: `nanoseconds`, `microseconds`, `milliseconds`, `seconds`; `none` (or no unit) is
//! read as counts, 1 = 1 µs, with a warning; `bytes` (a memory profile) is refused.
//!
//! speedscope files are small: the whole document is read into memory and parsed with
//! serde_json, keeping each profile, event and sample as raw JSON so errors name a byte offset
//! and a JSON path. Within [`Limits`]: a document longer than `max_value_bytes` is refused as
//! it is read, a frame name longer than `max_name_bytes` at the frame, and the frame that
//! brings one distinct name more than `max_names` when a sample or event first uses it.

use std::io::Read;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::whole::{name_too_long, read_document, too_many_names};
use super::{
    Format, Id, Limits, NameId, ReadContext, ReadNotes, Span, Trace, TraceError, Track, TrackKey,
};

/// The speedscope reader.
pub(crate) struct Speedscope;

/// What the `$schema` of every speedscope file ends with.
const SCHEMA: &[u8] = b"speedscope.app/file-format-schema.json";

impl Format for Speedscope {
    fn name(&self) -> &'static str {
        "speedscope"
    }

    /// A JSON object whose first bytes hold the `$schema` key with the speedscope schema
    /// (py-spy, pyinstrument and speedscope's own export all write it before the profiles).
    fn sniff(&self, head: &[u8]) -> bool {
        let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(head);
        let start = head.iter().position(|b| !b.is_ascii_whitespace());
        start.is_some_and(|i| head[i] == b'{')
            && contains(head, b"\"$schema\"")
            && contains(head, SCHEMA)
    }

    fn read(&self, mut input: Box<dyn Read>, ctx: &ReadContext) -> Result<Trace, TraceError> {
        let bytes = read_document(input.as_mut(), &ctx.limits, "the speedscope document")?;
        let mut trace = parse_document(&bytes, &ctx.name, ctx.limits)?;
        trace.notes.gzip = ctx.gzip;
        Ok(trace)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[derive(Deserialize)]
struct Document<'a> {
    #[serde(borrow)]
    profiles: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    shared: Option<&'a RawValue>,
    #[serde(borrow)]
    exporter: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Shared<'a> {
    #[serde(borrow)]
    frames: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Frame {
    name: Option<String>,
    file: Option<String>,
    line: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    unit: Option<String>,
    start_value: Option<f64>,
    #[serde(borrow)]
    events: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    samples: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    weights: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    frame: u64,
    at: f64,
}

/// The whole document, for byte offsets of its parts.
struct Doc<'a> {
    text: &'a str,
}

impl<'a> Doc<'a> {
    /// Byte offset of a part of the document.
    fn offset(&self, part: &RawValue) -> u64 {
        (part.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize) as u64
    }

    fn invalid(&self, part: &RawValue, path: &str, message: impl Into<String>) -> TraceError {
        TraceError::Invalid {
            offset: self.offset(part),
            path: path.to_string(),
            message: message.into(),
        }
    }

    /// Parses one part; a serde error names the byte where it happened and the part's path.
    fn parse<T: Deserialize<'a>>(&self, part: &'a RawValue, path: &str) -> Result<T, TraceError> {
        serde_json::from_str(part.get()).map_err(|e| TraceError::Invalid {
            offset: self.offset(part) + byte_of(part.get(), e.line(), e.column()),
            path: path.to_string(),
            message: without_position(&e),
        })
    }
}

/// Parses a whole speedscope document.
fn parse_document(bytes: &[u8], source: &str, limits: Limits) -> Result<Trace, TraceError> {
    let text = std::str::from_utf8(bytes).map_err(|e| TraceError::Syntax {
        offset: e.valid_up_to() as u64,
        message: "the file is not valid UTF-8".into(),
    })?;
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc: Document = serde_json::from_str(body).map_err(|e| TraceError::Syntax {
        offset: (text.len() - body.len()) as u64 + byte_of(body, e.line(), e.column()),
        message: format!("invalid speedscope JSON: {}", without_position(&e)),
    })?;
    let d = Doc { text };
    let missing = |what: &str| TraceError::Invalid {
        offset: 0,
        path: what.to_string(),
        message:
            "missing: a speedscope file has \"shared\": {\"frames\": [...]} and \"profiles\": [...]"
                .into(),
    };
    let shared = doc.shared.ok_or_else(|| missing("shared"))?;
    let shared: Shared = d.parse(shared, "shared")?;
    let frames = shared.frames.ok_or_else(|| missing("shared.frames"))?;
    let profiles = doc.profiles.ok_or_else(|| missing("profiles"))?;

    let mut builder = Builder::new(source, frames.len(), limits);
    for (i, frame) in frames.iter().enumerate() {
        let path = format!("shared.frames[{i}]");
        let parsed: Frame = d.parse(frame, &path)?;
        let name = frame_name(&parsed).map_err(|m| d.invalid(frame, &path, m))?;
        if name.len() > limits.max_name_bytes {
            return Err(name_too_long(d.offset(frame), name.len(), &limits));
        }
        builder.frame_names.push(name);
        builder.frame_offsets.push(d.offset(frame));
    }
    if let Some(exporter) = doc.exporter
        && let Ok(name) = serde_json::from_str::<&str>(exporter.get())
    {
        builder.trace.notes.merged_call_tree = name.starts_with("pyinstrument");
    }
    for (index, raw) in profiles.iter().enumerate() {
        let path = format!("profiles[{index}]");
        let profile: Profile = d.parse(raw, &path)?;
        let unit = unit_factor(profile.unit.as_deref())
            .map_err(|m| d.invalid(raw, &format!("{path}.unit"), m))?;
        if unit.is_none() {
            builder.trace.notes.unitless = true;
        }
        let to_us = unit.unwrap_or(1.0);
        let track = builder.track(index, profile.name.clone());
        match profile.kind.as_deref() {
            Some("evented") => {
                let events = profile
                    .events
                    .as_deref()
                    .ok_or_else(|| d.invalid(raw, &path, "an evented profile needs \"events\""))?;
                builder.evented(&d, &path, events, to_us, track)?;
            }
            Some("sampled") => {
                let (Some(samples), Some(weights)) = (&profile.samples, &profile.weights) else {
                    return Err(d.invalid(
                        raw,
                        &path,
                        "a sampled profile needs \"samples\" and \"weights\"",
                    ));
                };
                if samples.len() != weights.len() {
                    return Err(d.invalid(
                        raw,
                        &path,
                        format!(
                            "{} samples but {} weights (one weight per sample)",
                            samples.len(),
                            weights.len()
                        ),
                    ));
                }
                let start = profile.start_value.unwrap_or(0.0) * to_us;
                builder.sampled(&d, &path, samples, weights, to_us, start, track)?;
            }
            Some(other) => {
                return Err(d.invalid(
                    raw,
                    &format!("{path}.type"),
                    format!("unknown profile type {other:?} (speedscope has \"evented\" and \"sampled\")"),
                ));
            }
            None => return Err(d.invalid(raw, &format!("{path}.type"), "missing")),
        }
    }
    let mut trace = builder.trace;
    trace.notes.bytes = bytes.len() as u64;
    Ok(trace)
}

/// `name (file:line)`, like viztracer's names of Python functions.
fn frame_name(frame: &Frame) -> Result<String, String> {
    let name = frame.name.as_deref().unwrap_or("");
    let line = match frame.line {
        None => 0,
        Some(l) if l >= 0.0 && l.fract() == 0.0 && l <= f64::from(u32::MAX) => l as u32,
        Some(l) => return Err(format!("line {l} is not a line number")),
    };
    Ok(match frame.file.as_deref() {
        Some(file) if !file.is_empty() => format!("{name} ({file}:{line})"),
        _ => name.to_string(),
    })
}

/// Microseconds per unit; `None` for a unit that is no time (`none`, or no unit).
fn unit_factor(unit: Option<&str>) -> Result<Option<f64>, String> {
    Ok(Some(match unit {
        None | Some("none") => return Ok(None),
        Some("nanoseconds") => 1e-3,
        Some("microseconds") => 1.0,
        Some("milliseconds") => 1e3,
        Some("seconds") => 1e6,
        Some("bytes") => {
            return Err(
                "\"bytes\": a memory profile, not time; perfgate reads time profiles".into(),
            );
        }
        Some(other) => {
            return Err(format!(
                "unknown unit {other:?} (nanoseconds, microseconds, milliseconds, seconds or none)"
            ));
        }
    }))
}

/// Converts a value of the profile's unit to microseconds; nanoseconds are divided (exact for
/// whole microseconds).
fn to_micros(value: f64, to_us: f64) -> f64 {
    if to_us < 1.0 {
        value / (1.0 / to_us).round()
    } else {
        value * to_us
    }
}

struct Builder {
    trace: Trace,
    limits: Limits,
    frame_names: Vec<String>,
    /// The byte where each frame starts, for the limit on distinct names.
    frame_offsets: Vec<u64>,
    /// The interned name of each frame, once used.
    frame_ids: Vec<Option<NameId>>,
}

impl Builder {
    fn new(source: &str, frames: usize, limits: Limits) -> Self {
        Builder {
            trace: Trace {
                source: source.to_string(),
                notes: ReadNotes::default(),
                ..Trace::default()
            },
            limits,
            frame_names: Vec::with_capacity(frames),
            frame_offsets: Vec::with_capacity(frames),
            frame_ids: vec![None; frames],
        }
    }

    fn track(&mut self, index: usize, name: Option<String>) -> u32 {
        self.trace.tracks.push(Track {
            key: TrackKey::Thread {
                pid: Id::Int(0),
                tid: Id::Int(index as i64),
            },
            name,
        });
        (self.trace.tracks.len() - 1) as u32
    }

    /// The name of frame `index`, or `None` when there is no such frame; a frame that would
    /// add one distinct name more than the limit is an error at the frame.
    fn name_of(&mut self, index: u64) -> Result<Option<NameId>, TraceError> {
        let Some(i) = usize::try_from(index)
            .ok()
            .filter(|&i| i < self.frame_ids.len())
        else {
            return Ok(None);
        };
        if let Some(id) = self.frame_ids[i] {
            return Ok(Some(id));
        }
        let name = &self.frame_names[i];
        let id = match self.trace.names.lookup(name.as_bytes()) {
            Some(id) => id,
            None if self.trace.names.len() >= self.limits.max_names => {
                return Err(too_many_names(self.frame_offsets[i], &self.limits));
            }
            None => self.trace.names.intern(name),
        };
        self.frame_ids[i] = Some(id);
        Ok(Some(id))
    }

    fn no_frame(&self, index: u64) -> String {
        format!(
            "frame {index} does not exist (shared.frames has {} frames)",
            self.frame_names.len()
        )
    }

    /// Open/close events: one span per matched pair.
    fn evented(
        &mut self,
        d: &Doc,
        path: &str,
        events: &[&RawValue],
        to_us: f64,
        track: u32,
    ) -> Result<(), TraceError> {
        // (frame, index of its span) of every open frame.
        let mut open: Vec<(u64, usize)> = Vec::new();
        let first = self.trace.spans.len();
        let mut last_at = f64::NEG_INFINITY;
        for (i, raw) in events.iter().enumerate() {
            let at_path = || format!("{path}.events[{i}]");
            let event: Event = d.parse(raw, &at_path())?;
            self.trace.notes.events += 1;
            let ts = to_micros(event.at, to_us);
            if !ts.is_finite() {
                return Err(d.invalid(raw, &at_path(), format!("at {} is out of range", event.at)));
            }
            if event.at < last_at {
                return Err(d.invalid(
                    raw,
                    &at_path(),
                    format!(
                        "at {} comes after at {last_at}: events must be in time order",
                        event.at
                    ),
                ));
            }
            last_at = event.at;
            let name = self
                .name_of(event.frame)?
                .ok_or_else(|| d.invalid(raw, &at_path(), self.no_frame(event.frame)))?;
            match event.kind.as_str() {
                "O" => {
                    open.push((event.frame, self.trace.spans.len()));
                    self.trace.spans.push(Span {
                        name,
                        track,
                        ts,
                        dur: f64::NAN,
                    });
                }
                "C" => match open.last() {
                    Some(&(frame, span)) if frame == event.frame => {
                        open.pop();
                        let s = &mut self.trace.spans[span];
                        s.dur = ts - s.ts;
                    }
                    Some(&(frame, _)) => {
                        return Err(d.invalid(
                            raw,
                            &at_path(),
                            format!(
                                "closes frame {} ({}) while frame {frame} ({}) is open: events must nest",
                                event.frame,
                                self.frame_names[event.frame as usize],
                                self.frame_names[frame as usize],
                            ),
                        ));
                    }
                    None => {
                        return Err(d.invalid(
                            raw,
                            &at_path(),
                            format!("closes frame {} that is not open", event.frame),
                        ));
                    }
                },
                other => {
                    return Err(d.invalid(
                        raw,
                        &format!("{}.type", at_path()),
                        format!(
                            "unknown event type {other:?} (\"O\" opens a frame, \"C\" closes it)"
                        ),
                    ));
                }
            }
        }
        if !open.is_empty() {
            self.trace.notes.unclosed_opens += open.len() as u64;
            let mut k = first;
            self.trace.spans.retain(|s| {
                let keep = k < first || !s.dur.is_nan();
                k += 1;
                keep
            });
        }
        Ok(())
    }

    /// Stacks with weights: one span per run of consecutive samples with a frame at the same
    /// depth (and the same frames below it).
    #[allow(clippy::too_many_arguments)]
    fn sampled(
        &mut self,
        d: &Doc,
        path: &str,
        samples: &[&RawValue],
        weights: &[&RawValue],
        to_us: f64,
        start: f64,
        track: u32,
    ) -> Result<(), TraceError> {
        if !start.is_finite() {
            return Err(TraceError::Invalid {
                offset: 0,
                path: format!("{path}.startValue"),
                message: "out of range".into(),
            });
        }
        self.trace.notes.sampled = true;
        // (frame, index of its span) of every frame of the current run, root first.
        let mut open: Vec<(u64, usize)> = Vec::new();
        let mut now = start;
        for (i, (raw, raw_weight)) in samples.iter().zip(weights).enumerate() {
            let weight: f64 = d.parse(raw_weight, &format!("{path}.weights[{i}]"))?;
            let w = to_micros(weight, to_us);
            if !(w >= 0.0 && w.is_finite()) {
                return Err(d.invalid(
                    raw_weight,
                    &format!("{path}.weights[{i}]"),
                    format!("weight {weight} is not a duration (negative or out of range)"),
                ));
            }
            let stack: Vec<u64> = d.parse(raw, &format!("{path}.samples[{i}]"))?;
            self.trace.notes.events += 1;
            self.trace.notes.samples += 1;
            if w == 0.0 {
                continue;
            }
            let same = open
                .iter()
                .zip(&stack)
                .take_while(|((open_frame, _), frame)| open_frame == *frame)
                .count();
            for &(_, span) in &open[same..] {
                let s = &mut self.trace.spans[span];
                s.dur = now - s.ts;
            }
            open.truncate(same);
            for (depth, &frame) in stack.iter().enumerate().skip(same) {
                let name = self.name_of(frame)?.ok_or_else(|| {
                    d.invalid(
                        raw,
                        &format!("{path}.samples[{i}][{depth}]"),
                        self.no_frame(frame),
                    )
                })?;
                open.push((frame, self.trace.spans.len()));
                self.trace.spans.push(Span {
                    name,
                    track,
                    ts: now,
                    dur: 0.0,
                });
            }
            now += w;
            if !now.is_finite() {
                return Err(d.invalid(
                    raw_weight,
                    &format!("{path}.weights[{i}]"),
                    "the sum of the weights is out of range",
                ));
            }
        }
        for &(_, span) in &open {
            let s = &mut self.trace.spans[span];
            s.dur = now - s.ts;
        }
        Ok(())
    }
}

/// The byte of `text` at serde_json's 1-based line and column.
fn byte_of(text: &str, line: usize, column: usize) -> u64 {
    let line_start: usize = text
        .split('\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len()) as u64
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

    const HEAD: &str = r#"{"$schema":"https://www.speedscope.app/file-format-schema.json","#;

    fn read(body: &str) -> Result<Trace, TraceError> {
        let json = format!("{HEAD}{body}");
        read_trace_from(Box::new(std::io::Cursor::new(json.into_bytes())), "t", None)
    }

    fn err(body: &str) -> String {
        let e = read(body).expect_err("malformed input is an error");
        let text = e.to_string();
        assert!(text.starts_with("byte "), "{text}");
        text
    }

    /// (name, ts, dur) of every span, sorted by track, then start.
    fn spans(trace: &Trace) -> Vec<(u32, &str, f64, f64)> {
        let mut out: Vec<_> = trace
            .spans
            .iter()
            .map(|s| (s.track, trace.names.get(s.name), s.ts, s.dur))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.total_cmp(&b.2)));
        out
    }

    const FRAMES: &str = r#""shared":{"frames":[{"name":"a","file":"/src/x.py","line":1},
        {"name":"b","file":"/src/x.py","line":5},{"name":"time.sleep"},{"name":"c","file":"y.py"}]}"#;

    #[test]
    fn sniffs_the_schema_not_the_extension() {
        let s = Speedscope;
        assert!(s.sniff(format!("  {HEAD}\"profiles\":[").as_bytes()));
        assert!(s.sniff(br#"{"exporter":"speedscope@1.0","$schema": "https://www.speedscope.app/file-format-schema.json""#));
        assert!(!s.sniff(
            br#"{"traceEvents":[{"ph":"X","name":"speedscope.app/file-format-schema.json"}]}"#
        ));
        assert!(!s.sniff(br#"[{"$schema":"https://www.speedscope.app/file-format-schema.json"}]"#));
    }

    #[test]
    fn evented_pairs_become_spans_named_like_viztracer() {
        let t = read(&format!(
            r#"{FRAMES},"profiles":[{{"type":"evented","name":"main","unit":"milliseconds",
            "startValue":0,"endValue":10,"events":[{{"type":"O","frame":0,"at":0}},
            {{"type":"O","frame":1,"at":1}},{{"type":"O","frame":2,"at":1.5}},
            {{"type":"C","frame":2,"at":2}},{{"type":"C","frame":1,"at":3}},
            {{"type":"O","frame":3,"at":4}},{{"type":"C","frame":3,"at":4}},
            {{"type":"C","frame":0,"at":10}}]}}]}}"#
        ))
        .unwrap();
        assert_eq!(
            spans(&t),
            [
                (0, "a (/src/x.py:1)", 0.0, 10_000.0),
                (0, "b (/src/x.py:5)", 1000.0, 2000.0),
                (0, "time.sleep", 1500.0, 500.0),
                (0, "c (y.py:0)", 4000.0, 0.0),
            ]
        );
        assert_eq!(t.tracks[0].name.as_deref(), Some("main"));
        assert_eq!(t.notes.events, 8);
        assert!(!t.notes.sampled && t.notes.warnings().is_empty());
    }

    #[test]
    fn an_open_never_closed_is_left_out_and_counted() {
        let t = read(&format!(
            r#"{FRAMES},"profiles":[{{"type":"evented","name":"p","unit":"microseconds",
            "events":[{{"type":"O","frame":0,"at":0}},{{"type":"O","frame":1,"at":1}},
            {{"type":"C","frame":1,"at":2}}]}}]}}"#
        ))
        .unwrap();
        assert_eq!(spans(&t), [(0, "b (/src/x.py:5)", 1.0, 1.0)]);
        assert_eq!(t.notes.unclosed_opens, 1);
        assert!(t.notes.warnings()[0].contains("never closed"));
    }

    #[test]
    fn sampled_runs_become_spans_of_summed_weights_one_track_per_profile() {
        // a: 4 samples in a row; b: two runs (2 samples, then 1) with a's own time between;
        // a weight-0 sample changes nothing; the second profile is another thread.
        let t = read(&format!(
            r#"{FRAMES},"profiles":[{{"type":"sampled","name":"Thread 1 \"MainThread\"",
            "unit":"seconds","startValue":1,"endValue":1.004,
            "samples":[[0,1],[0,1],[0,2],[0],[0,1],[]],"weights":[0.001,0.001,0,0.001,0.001,0.5]}},
            {{"type":"sampled","name":"worker","unit":"nanoseconds","startValue":0,
            "samples":[[1],[1]],"weights":[1500,500]}}]}}"#
        ))
        .unwrap();
        assert_eq!(
            spans(&t),
            [
                (0, "a (/src/x.py:1)", 1e6, 4000.0),
                (0, "b (/src/x.py:5)", 1e6, 2000.0),
                (0, "b (/src/x.py:5)", 1e6 + 3000.0, 1000.0),
                (1, "b (/src/x.py:5)", 0.0, 2.0),
            ]
        );
        assert_eq!(
            t.tracks[1].key,
            TrackKey::Thread {
                pid: Id::Int(0),
                tid: Id::Int(1)
            }
        );
        assert_eq!(t.tracks[0].name.as_deref(), Some("Thread 1 \"MainThread\""));
        assert!(t.notes.sampled);
        assert_eq!(t.notes.samples, 8);
        let w = t.notes.warnings();
        assert!(w[0].starts_with("speedscope sampled profile") && w[0].contains("8 samples"));
        // Parents come before their children when both cover the same time (the call tree
        // keeps the first of equal spans as the parent).
        let first_a = t
            .spans
            .iter()
            .position(|s| s.name == t.spans[0].name)
            .unwrap();
        assert_eq!(first_a, 0);
    }

    #[test]
    fn unit_none_is_counts_with_a_warning() {
        let t = read(&format!(
            r#"{FRAMES},"profiles":[{{"type":"sampled","name":"p","unit":"none",
            "samples":[[0],[0]],"weights":[3,4]}}]}}"#
        ))
        .unwrap();
        assert_eq!(spans(&t), [(0, "a (/src/x.py:1)", 0.0, 7.0)]);
        assert!(t.notes.warnings().iter().any(|w| w.contains("\"none\"")));
    }

    #[test]
    fn malformed_documents_are_errors_with_offset_and_path() {
        let sampled = |samples: &str, weights: &str| {
            format!(
                r#"{FRAMES},"profiles":[{{"type":"sampled","name":"p","unit":"seconds",
                "samples":{samples},"weights":{weights}}}]}}"#
            )
        };
        let evented = |events: &str| {
            format!(
                r#"{FRAMES},"profiles":[{{"type":"evented","name":"p","unit":"seconds",
                "events":{events}}}]}}"#
            )
        };
        let cases = [
            (
                sampled("[[0,9]]", "[1]"),
                "profiles[0].samples[0][1]: frame 9 does not exist (shared.frames has 4 frames)",
            ),
            (sampled("[[0]]", "[1,2]"), "1 samples but 2 weights"),
            (
                sampled("[[0]]", "[-1]"),
                "profiles[0].weights[0]: weight -1 is not a duration",
            ),
            (
                sampled("[[0]]", "[1e303]"),
                "profiles[0].weights[0]: weight",
            ),
            (
                sampled("[[18446744073709551616]]", "[1]"),
                "profiles[0].samples[0]:",
            ),
            (sampled("[[-1]]", "[1]"), "profiles[0].samples[0]:"),
            (
                sampled("[[0]]", r#"["1"]"#),
                "profiles[0].weights[0]: invalid type",
            ),
            (
                evented(r#"[{"type":"O","frame":7,"at":0}]"#),
                "profiles[0].events[0]: frame 7 does not exist",
            ),
            (
                evented(r#"[{"type":"O","frame":0,"at":0},{"type":"C","frame":1,"at":1}]"#),
                "events must nest",
            ),
            (evented(r#"[{"type":"C","frame":0,"at":1}]"#), "not open"),
            (
                evented(r#"[{"type":"O","frame":0,"at":2},{"type":"C","frame":0,"at":1}]"#),
                "time order",
            ),
            (
                evented(r#"[{"type":"X","frame":0,"at":0}]"#),
                "events[0].type: unknown event type",
            ),
            (evented(r#"[{"type":"O","at":0}]"#), "missing field `frame`"),
            (
                format!(
                    r#"{FRAMES},"profiles":[{{"type":"sampled","unit":"bytes","samples":[],"weights":[]}}]}}"#
                ),
                "memory profile",
            ),
            (
                format!(
                    r#"{FRAMES},"profiles":[{{"type":"evented","unit":"hours","events":[]}}]}}"#
                ),
                "unknown unit",
            ),
            (
                format!(r#"{FRAMES},"profiles":[{{"type":"flame"}}]}}"#),
                "profiles[0].type: unknown profile type",
            ),
            (
                format!(r#"{FRAMES},"profiles":[{{"type":"sampled"}}]}}"#),
                "needs \"samples\"",
            ),
            (format!(r#"{FRAMES}}}"#), "profiles: missing"),
            (r#""profiles":[]}"#.to_string(), "shared: missing"),
            (
                r#""shared":{"frames":[{"name":"a","line":-3}]},"profiles":[]}"#.to_string(),
                "shared.frames[0]: line -3",
            ),
            (
                r#""shared":{"frames":[{"name":7}]},"profiles":[]}"#.to_string(),
                "shared.frames[0]: invalid type",
            ),
            (sampled("[[0]", "[1]"), "invalid speedscope JSON"),
        ];
        for (body, want) in cases {
            let text = err(&body);
            assert!(text.contains(want), "{want:?} not in {text:?}");
        }
    }

    #[test]
    fn byte_offsets_point_into_the_file() {
        let body = format!(
            r#"{FRAMES},"profiles":[{{"type":"evented","name":"p","unit":"seconds",
            "events":[{{"type":"O","frame":0,"at":0}},{{"type":"O","frame":7,"at":0}}]}}]}}"#
        );
        let doc = format!("{HEAD}{body}");
        let text = err(&body);
        let offset: usize = text["byte ".len()..text.find(':').unwrap()]
            .parse()
            .unwrap();
        assert!(
            doc[offset..].starts_with(r#"{"type":"O","frame":7"#),
            "{text}"
        );
    }

    #[test]
    fn deep_nesting_and_cut_files_are_errors_not_panics() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let d = deep(100_000);
        for body in [
            format!(r#"{FRAMES},"profiles":[{d}]}}"#),
            format!(r#""shared":{{"frames":[{d}]}},"profiles":[]}}"#),
            format!(
                r#"{FRAMES},"profiles":[{{"type":"sampled","samples":[{d}],"weights":[1]}}]}}"#
            ),
        ] {
            err(&body);
        }
        // Valid JSON, however deep, in a key speedscope does not have: skipped.
        assert!(read(&format!(r#"{FRAMES},"profiles":[],"extra":{d}}}"#)).is_ok());
        let cut = format!(r#"{FRAMES},"profiles":[{{"type":"sampled","samples":[[0],[0"#);
        assert!(err(&cut).contains("EOF"));
    }
}
