//! Reading traces: the neutral span model the rest of perfgate works on, content-based
//! format detection ([`detect`]), and one reader per input format beside it ([`chrome`],
//! [`otlp`], `speedscope`).
//!
//! A [`Trace`] is what one file holds once read: the spans (complete events, matched
//! begin/end pairs, matched nestable async pairs) with interned names, the tracks they ran
//! on, what was odd about the file ([`ReadNotes`]), and for formats that carry them, a few
//! attributes of each span ([`SpanAttr`]). Nothing here knows about operations, budgets or
//! reports.
//!
//! A new input format is one module implementing [`Format`] and one line in
//! [`detect::FORMATS`].

mod chrome;
mod detect;
mod mapped;
mod names;
mod otlp;
mod pipelined;
pub mod schedstat;
mod speedscope;
mod whole;

use std::fmt;
use std::io::Read;
use std::path::PathBuf;

#[cfg(test)]
pub use detect::read_trace;
#[cfg(test)]
pub(crate) use detect::read_trace_from;
pub use detect::{read_trace_limited, read_trace_within};
pub use names::Names;

/// One input format: recognised by its first bytes, read into the span model.
pub(crate) trait Format: Sync {
    /// What to call the format in messages (`Chrome JSON`, `speedscope`...).
    fn name(&self) -> &'static str;
    /// Whether the first bytes of the (decompressed) input look like this format. Formats
    /// are asked in the order of [`detect::FORMATS`]; the first that says yes reads.
    fn sniff(&self, head: &[u8]) -> bool;
    /// Reads the whole input.
    fn read(&self, input: Box<dyn Read>, ctx: &ReadContext) -> Result<Trace, TraceError>;
    /// Reads an input held whole in memory (a memory-mapped file), when the format has a
    /// faster way to than [`Format::read`] (Chrome JSON: on every core); `None` otherwise,
    /// and the caller streams the input through [`Format::read`].
    fn read_bytes(&self, bytes: &[u8], ctx: &ReadContext) -> Option<Result<Trace, TraceError>> {
        let _ = (bytes, ctx);
        None
    }
}

/// What a [`Format`] reader is told besides the bytes.
#[derive(Debug, Clone)]
pub(crate) struct ReadContext {
    /// The name of the input, for messages.
    pub name: String,
    /// Print progress to stderr against this many bytes (large files on a terminal).
    pub progress_total: Option<u64>,
    /// The input was gzip-compressed (the bytes given are already decompressed).
    pub gzip: bool,
    /// How much one input may make perfgate hold.
    pub limits: Limits,
}

/// How much one trace may make perfgate hold, so that a hostile or broken input (a gzip bomb
/// of one huge string, millions of generated names) is an error naming the file and the byte
/// instead of exhausting memory. Commands set them from `PERFGATE_MAX_*` variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest span name, in bytes.
    pub max_name_bytes: usize,
    /// Distinct span names in one trace.
    pub max_names: usize,
    /// The largest single JSON value held at once (one event object), in bytes.
    pub max_value_bytes: usize,
}

impl Limits {
    /// 1 MiB names, 1,000,000 distinct names, 64 MiB events: far above any real trace.
    pub const DEFAULT: Limits = Limits {
        max_name_bytes: 1 << 20,
        max_names: 1_000_000,
        max_value_bytes: 64 << 20,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// A process, thread or async id: integers in most producers, strings in some.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Id {
    Int(i64),
    Str(String),
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Int(i) => write!(f, "{i}"),
            Id::Str(s) => f.write_str(s),
        }
    }
}

/// Why a trace could not be read. Every variant is reported with the file's name.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("this is not a trace perfgate reads ({formats}): {0}", formats = detect::format_names())]
    NotATrace(String),
    #[error("byte {offset}: {message}")]
    Syntax { offset: u64, message: String },
    #[error("byte {offset}: invalid event: {message}")]
    Event { offset: u64, message: String },
    /// A place in a line-oriented or pretty-printed document (JSON Lines): the line and
    /// column (1-based) and the byte offset of that place.
    #[error("line {line}, column {column} (byte {offset}): {message}")]
    At {
        line: u64,
        column: u64,
        offset: u64,
        message: String,
    },
    /// The input goes past one of the [`Limits`]; `message` says which and how to raise it.
    #[error("byte {offset}: {message}")]
    Limit { offset: u64, message: String },
    /// A part of a JSON document that is not what its format says, named by its JSON path.
    #[error("byte {offset}: {path}: {message}")]
    Invalid {
        offset: u64,
        path: String,
        message: String,
    },
}

/// A [`TraceError`] with the file it came from.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {error}")]
pub struct ReadError {
    pub path: String,
    /// Shown in the message itself, so it is not also reported as the error's source.
    pub error: TraceError,
}

/// Where a trace comes from: a file, or standard input (`-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceSource {
    File(PathBuf),
    Stdin,
}

impl TraceSource {
    pub fn parse(arg: &str) -> Self {
        if arg == "-" {
            TraceSource::Stdin
        } else {
            TraceSource::File(PathBuf::from(arg))
        }
    }

    /// The name used in messages and reports.
    pub fn display_name(&self) -> String {
        match self {
            TraceSource::File(p) => p.display().to_string(),
            TraceSource::Stdin => "<stdin>".into(),
        }
    }
}

/// The id of a name in [`Trace::names`].
pub type NameId = u32;
/// Index of a track in [`Trace::tracks`].
pub type TrackId = u32;

/// One timed slice: a call of a function, a browser task, an async operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub name: NameId,
    pub track: TrackId,
    /// Start, microseconds.
    pub ts: f64,
    /// Duration, microseconds, never negative.
    pub dur: f64,
}

impl Span {
    pub fn end(&self) -> f64 {
        self.ts + self.dur
    }
}

/// What identifies a track: a thread of a process, or a nestable async id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrackKey {
    Thread { pid: Id, tid: Id },
    Async { pid: Id, cat: String, id: Id },
}

/// A timeline that spans nest on.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub key: TrackKey,
    /// From `thread_name` metadata, when the trace has one.
    pub name: Option<String>,
}

impl Track {
    /// viztracer `--log_async` gives each asyncio task a fake thread whose name is the task's
    /// (for example `Task-3` or the coroutine's name); its spans run inside a coroutine.
    pub fn is_async_task(&self) -> bool {
        match (&self.key, &self.name) {
            (TrackKey::Async { .. }, _) => true,
            (TrackKey::Thread { .. }, Some(name)) => {
                name.starts_with("Task-") || name.starts_with("<Task") || name.contains("coro")
            }
            _ => false,
        }
    }
}

/// What was unusual about a trace: reported, never fatal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadNotes {
    /// Bytes of (decompressed) JSON read.
    pub bytes: u64,
    /// Event objects seen, of every phase.
    pub events: u64,
    /// The file ended inside the event array: every complete event before the cut was kept.
    pub truncated: bool,
    pub gzip: bool,
    /// The gzip stream was cut short (its last block or its trailer missing): the data ended
    /// after this many decompressed bytes, and what was read before is kept.
    pub gzip_cut: Option<u64>,
    /// viztracer's ring buffer overflowed: the oldest calls are missing.
    pub viztracer_overflow: bool,
    /// `B` events never closed by an `E` (a stopped tracer, a killed process).
    pub unmatched_begin: u64,
    /// `E` events with no open `B`.
    pub unmatched_end: u64,
    /// Nestable async `b` never closed, and `e` with no `b`.
    pub unmatched_async: u64,
    /// Begin/end pairs (`B`/`E`, `b`/`e`) whose duration is not a finite number (timestamps
    /// near ±1.7e308), dropped.
    pub unbounded_pairs: u64,
    /// `X` events with a negative duration, or without `ts`/`dur`, dropped.
    pub dropped_invalid: u64,
    /// Events of phases that carry no duration and are not kept (instants, flows, samples...).
    pub ignored_phases: u64,
    /// Counter events (`ph: "C"`) kept as [`Counter`] series.
    pub counter_events: u64,
    /// Spans of span-based formats (OpenTelemetry) without a trace or span id, or without
    /// valid start/end times (missing, or the end before the start), dropped.
    pub invalid_spans: u64,
    /// Spans were made from stack samples (speedscope `sampled` profiles): durations are
    /// sample time, and a "call" is a run of consecutive samples, not a real call.
    pub sampled: bool,
    /// Stack samples read.
    pub samples: u64,
    /// A call tree merged by call path (pyinstrument's speedscope export): each span is the
    /// sampled time of one call path, not one call.
    pub merged_call_tree: bool,
    /// Times or weights without a unit of time (speedscope unit `none`): 1 is read as 1 µs.
    pub unitless: bool,
    /// speedscope open (`O`) events never closed.
    pub unclosed_opens: u64,
}

impl ReadNotes {
    /// One human sentence per note worth a warning.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.truncated {
            out.push(
                "the trace is truncated (the file ends inside the event list); \
                 every complete event before the cut was kept"
                    .to_string(),
            );
        }
        if let Some(at) = self.gzip_cut {
            out.push(format!(
                "the gzip file is cut short (its compressed data ends after byte {at} of the \
                 decompressed trace, before the gzip trailer); what was read before was kept"
            ));
        }
        if self.viztracer_overflow {
            out.push(
                "viztracer's buffer overflowed (viztracer_metadata.overflow): the oldest calls \
                 were dropped, counts are incomplete; raise --tracer_entries"
                    .to_string(),
            );
        }
        if self.unmatched_begin > 0 {
            out.push(format!(
                "{} begin (B) event(s) never ended; they are left out",
                self.unmatched_begin
            ));
        }
        if self.unmatched_end > 0 {
            out.push(format!(
                "{} end (E) event(s) had no matching begin; they are left out",
                self.unmatched_end
            ));
        }
        if self.unmatched_async > 0 {
            out.push(format!(
                "{} async begin/end event(s) (b/e) had no partner; they are left out",
                self.unmatched_async
            ));
        }
        if self.unbounded_pairs > 0 {
            out.push(format!(
                "{} begin/end pair(s) lasted longer than a number can hold (timestamps near \
                 ±1.7e308); they are left out",
                self.unbounded_pairs
            ));
        }
        if self.dropped_invalid > 0 {
            out.push(format!(
                "{} complete (X) event(s) without a valid ts/dur (missing or negative) were left out",
                self.dropped_invalid
            ));
        }
        if self.invalid_spans > 0 {
            out.push(format!(
                "{} span(s) without a trace/span id or valid start/end times (missing, or the \
                 end before the start) were left out",
                self.invalid_spans
            ));
        }
        if self.sampled {
            out.push(format!(
                "speedscope sampled profile: durations are sample time ({} samples), call counts \
                 are not real calls (a count is a run of consecutive samples with the function \
                 at the same stack depth)",
                self.samples
            ));
        }
        if self.merged_call_tree {
            out.push(
                "pyinstrument speedscope profile: a merged call tree of samples, each span is \
                 the sample time of one call path, call counts are not real calls"
                    .to_string(),
            );
        }
        if self.unitless {
            out.push(
                "speedscope profile with unit \"none\": its values are not time, 1 is reported \
                 as 1 µs"
                    .to_string(),
            );
        }
        if self.unclosed_opens > 0 {
            out.push(format!(
                "{} speedscope open (O) event(s) were never closed; they are left out",
                self.unclosed_opens
            ));
        }
        out
    }
}

/// A span attribute perfgate keeps, by meaning rather than by a format's key, so that
/// analyses can use it whatever the input format. Readers fill what their format carries
/// (OpenTelemetry attributes today); the names in brackets are the OpenTelemetry keys read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpanAttrKey {
    /// The query text (`db.statement`, `db.query.text`), as the producer wrote it (literals
    /// may be in it; normalising it into a template is the analysis' job). String.
    DbStatement,
    /// The database system (`db.system`, `db.system.name`: `sqlite`, `postgresql`). String.
    DbSystem,
    /// The route template of an HTTP server span (`http.route`: `/orders/{id}`). String.
    HttpRoute,
    /// The function the span instruments (`code.function`, `code.function.name`). String.
    CodeFunction,
    /// Its source file (`code.filepath`, `code.file.path`). String.
    CodeFile,
    /// Its line (`code.lineno`, `code.line.number`). Integer.
    CodeLine,
    /// The span the producer declared as this span's parent (OpenTelemetry `parentSpanId`),
    /// as an index in [`Trace::spans`], when that span is in the file. Integer. The call tree
    /// nests by time per track; when a parent's children overlap, only the ones that fit one
    /// after another share its track, and this says whose child the others are.
    Parent,
}

/// The value of a [`SpanAttr`].
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl AttrValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            AttrValue::Int(i) => Some(*i),
            _ => None,
        }
    }
}

/// One attribute of one span (see [`Trace::span_attrs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanAttr {
    /// Index of the span in [`Trace::spans`], in the order the reader wrote them.
    pub span: u32,
    pub key: SpanAttrKey,
    pub value: AttrValue,
}

/// Everything perfgate keeps of one trace file.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// What to call the trace in messages.
    pub source: String,
    /// Distinct span names; spans refer to them by id.
    pub names: Names,
    pub tracks: Vec<Track>,
    /// Spans in no particular order.
    pub spans: Vec<Span>,
    pub notes: ReadNotes,
    /// Attributes of spans, sorted by span index (then key); empty for formats without
    /// attributes (Chrome JSON). The indices are those of [`Trace::spans`] as read: whatever
    /// reorders the spans (the call tree sorts them) must carry the attributes along.
    pub span_attrs: Vec<SpanAttr>,
    /// The counter series of the trace (Chrome `ph: "C"` events), in order of first sight.
    pub counters: Vec<Counter>,
}

/// One series of a counter (Chrome `ph: "C"`): a counter event names the counter and sets one
/// value per key of its `args` (`{"name": "memory", "args": {"rss_mb": 12, "objects": 900}}`
/// is two series of `memory`). viztracer `--log_gc` writes the counter `garbage collection`
/// (`collecting` 1 when a collection starts, 0 when it ends; `collected` the objects freed).
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    /// The counter's name (the event's `name`).
    pub name: String,
    /// The key in `args`.
    pub series: String,
    /// The thread of its events.
    pub track: TrackId,
    /// (ts µs, value), in file order.
    pub samples: Vec<(f64, f64)>,
}

impl Trace {
    /// The attributes of span `span` (an index in [`Trace::spans`] as read).
    pub fn attrs_of(&self, span: u32) -> &[SpanAttr] {
        let start = self.span_attrs.partition_point(|a| a.span < span);
        let end = self.span_attrs.partition_point(|a| a.span <= span);
        &self.span_attrs[start..end]
    }

    /// The value of attribute `key` of span `span`, when it has one.
    pub fn attr(&self, span: u32, key: SpanAttrKey) -> Option<&AttrValue> {
        self.attrs_of(span)
            .iter()
            .find(|a| a.key == key)
            .map(|a| &a.value)
    }
}
