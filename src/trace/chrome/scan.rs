//! Streaming framing of a Chrome trace: finds each event object in the byte stream and hands
//! it to an [`EventSink`], without ever holding more than one buffer of the file.
//!
//! The sink parses each event directly out of the buffer and says where the object ended, so
//! event bytes are read once; this module only walks the JSON structure around the events: the top-level array or object,
//! keys, values to skip (such as viztracer's `file_info`, which holds the source of every
//! traced file), trailing commas, and a file cut short.
//!
//! A scanner reads either a stream (through a buffer it refills) or a whole input already in
//! memory (a memory-mapped file, [`Scanner::over_slice`]). Over a slice it can also start
//! inside the event array at a guessed event boundary ([`Scanner::run_from_array`]) and stop
//! when it reaches one of the guessed boundaries of the parts after it ([`Scanner::stop_at`]):
//! the pieces [`super::parallel`] needs to read one trace on several threads.

use std::borrow::Cow;
use std::io::Read;

use crate::trace::TraceError;

/// Bytes read from the source per refill. Large enough that the per-refill overhead vanishes,
/// small enough that memory stays flat whatever the size of the file.
const CHUNK: usize = 1 << 20;

/// What the scanner found at the top level, besides the events.
#[derive(Debug, Default)]
pub struct Framing {
    /// The file ended before the event array (or the enclosing object) was closed.
    pub truncated: bool,
    /// `viztracer_metadata.overflow`, when the scanner met a `viztracer_metadata` object (the
    /// last one met, as a JSON reader would keep it): true when viztracer's ring buffer
    /// dropped the oldest calls.
    pub viztracer_overflow: Option<bool>,
    /// The object form carried a `traceEvents` key (or the file was the array form).
    pub saw_events: bool,
    /// The scanner stopped at this event boundary (one of [`Scanner::stop_at`]'s) before the
    /// end of the input: the framing above covers only the bytes before it.
    pub stopped_at: Option<u64>,
}

/// What an [`EventSink`] did with the bytes it was offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// It read one event, this many bytes long.
    Event(usize),
    /// The event runs past the buffered bytes: offer it again once more are read.
    NeedMore,
    /// It cannot tell where the event ends (the event is malformed or needs repair): hand it
    /// exactly the event's bytes through [`EventSink::event`].
    Delimit,
}

/// Receives the event objects of a trace. Offsets are those of the event's first byte in the
/// (decompressed) stream.
pub trait EventSink {
    /// `bytes` start at an event's `{` and run to the end of the buffered input; the sink
    /// parses the event in place and says how far it went. This is the fast path: the bytes
    /// are walked once, by the JSON parser.
    fn offer(&mut self, bytes: &[u8], offset: u64) -> Result<Taken, TraceError>;

    /// `bytes` are exactly one event object (after [`Taken::Delimit`]).
    fn event(&mut self, bytes: &[u8], offset: u64) -> Result<(), TraceError>;
}

/// Walks a trace byte stream and hands each event object to an [`EventSink`].
pub struct Scanner<'a, R> {
    src: R,
    /// Owned and refilled for a stream; borrowed whole (and never refilled) over a slice.
    buf: Cow<'a, [u8]>,
    pos: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    on_progress: Option<Box<dyn FnMut(u64)>>,
    /// The buffer never grows past this ([`crate::trace::Limits::max_value_bytes`]); over a
    /// slice, an event longer than this is refused the same way.
    max_value_bytes: usize,
    /// Stream offsets of event boundaries to stop at, ascending ([`Scanner::stop_at`]).
    stops: &'a [u64],
    /// Set once the scanner stopped at one of `stops`.
    stopped_at: Option<u64>,
}

impl<'a> Scanner<'a, std::io::Empty> {
    /// A scanner over bytes already in memory (a memory-mapped file): `bytes[0]` is at stream
    /// offset `base`. Nothing is copied.
    pub fn over_slice(bytes: &'a [u8], base: u64, max_value_bytes: usize) -> Self {
        Scanner {
            max_value_bytes,
            src: std::io::empty(),
            end: bytes.len(),
            buf: Cow::Borrowed(bytes),
            pos: 0,
            base,
            eof: true,
            on_progress: None,
            stops: &[],
            stopped_at: None,
        }
    }
}

impl<'a, R: Read> Scanner<'a, R> {
    pub fn new(src: R, max_value_bytes: usize) -> Self {
        Scanner {
            max_value_bytes,
            src,
            buf: Cow::Owned(vec![0; CHUNK]),
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            on_progress: None,
            stops: &[],
            stopped_at: None,
        }
    }

    /// Makes the scanner stop when the next element of the event array is an event object
    /// starting exactly at one of `stops` (stream offsets, ascending). Anywhere else, a stop
    /// is passed by: a guessed boundary that is not a real one is never stopped at.
    pub fn stop_at(mut self, stops: &'a [u64]) -> Self {
        self.stops = stops;
        self
    }

    /// Whether the event whose `{` is at `pos` is a boundary to stop at; forgets the stops
    /// already passed.
    fn at_stop(&mut self) -> bool {
        let offset = self.offset();
        while let Some((&first, rest)) = self.stops.split_first() {
            if first > offset {
                return false;
            }
            self.stops = rest;
            if first == offset {
                self.stopped_at = Some(offset);
                return true;
            }
        }
        false
    }

    /// Reports the number of bytes consumed after each refill (for a progress indicator).
    pub fn with_progress(mut self, f: Box<dyn FnMut(u64)>) -> Self {
        self.on_progress = Some(f);
        self
    }

    /// Stream offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Reads more bytes, keeping `buf[keep_from..end]`, which moves to the front. Returns the
    /// number of positions everything shifted left, or `None` at end of input.
    fn refill(&mut self, keep_from: usize) -> Result<Option<usize>, TraceError> {
        if self.eof {
            return Ok(None);
        }
        let shift = keep_from;
        let end = self.end;
        let buf = self.buf.to_mut();
        buf.copy_within(keep_from..end, 0);
        self.end -= shift;
        self.pos -= shift;
        self.base += shift as u64;
        if self.end == buf.len() {
            // One value larger than the buffer: grow, it is held on purpose; up to the limit,
            // so that one endless string (a gzip bomb) is an error, not all the memory.
            let len = buf.len();
            if len >= self.max_value_bytes {
                return Err(self.value_too_long(self.base));
            }
            buf.resize((len * 2).min(self.max_value_bytes.max(CHUNK)), 0);
        }
        loop {
            match self.src.read(&mut self.buf.to_mut()[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(if shift > 0 { Some(shift) } else { None });
                }
                Ok(n) => {
                    self.end += n;
                    if let Some(progress) = self.on_progress.as_mut() {
                        progress(self.base + self.end as u64);
                    }
                    return Ok(Some(shift));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(TraceError::Io(e)),
            }
        }
    }

    /// Ensures at least one unread byte is buffered; false at end of input.
    fn ensure_byte(&mut self) -> Result<bool, TraceError> {
        while self.pos == self.end {
            if self.refill(self.pos)?.is_none() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Skips whitespace (and a UTF-8 byte-order mark at the very start); returns the next byte
    /// without consuming it, or `None` at end of input.
    pub fn peek_non_ws(&mut self) -> Result<Option<u8>, TraceError> {
        loop {
            if !self.ensure_byte()? {
                return Ok(None);
            }
            let b = self.buf[self.pos];
            match b {
                b' ' | b'\n' | b'\r' | b'\t' => self.pos += 1,
                0xEF if self.offset() == 0 => {
                    self.skip_bom()?;
                }
                _ => return Ok(Some(b)),
            }
        }
    }

    fn skip_bom(&mut self) -> Result<(), TraceError> {
        while self.end - self.pos < 3 {
            if self.refill(self.pos)?.is_none() {
                break;
            }
        }
        if self.buf[self.pos..self.end].starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.pos += 3;
            Ok(())
        } else {
            Err(TraceError::NotATrace(
                "it does not start with JSON (found byte 0xEF)".into(),
            ))
        }
    }

    /// The first bytes of the stream, for format sniffing (does not consume them).
    pub fn head(&mut self, n: usize) -> Result<&[u8], TraceError> {
        while self.end - self.pos < n {
            if self.refill(self.pos)?.is_none() {
                break;
            }
        }
        let stop = self.end.min(self.pos + n);
        Ok(&self.buf[self.pos..stop])
    }

    /// The error of one event (JSON value) longer than the limit, starting at `offset`.
    fn value_too_long(&self, offset: u64) -> TraceError {
        crate::trace::whole::value_too_long(offset, "an event", self.max_value_bytes)
    }

    /// Over a slice, where nothing bounds an event by the buffer: refuses an event of `len`
    /// bytes from `offset` as a stream's buffer would.
    fn check_value_len(&self, offset: u64, len: usize) -> Result<(), TraceError> {
        if matches!(self.buf, Cow::Borrowed(_)) && len >= self.max_value_bytes {
            return Err(self.value_too_long(offset));
        }
        Ok(())
    }

    /// Walks the whole stream: the array form, or the object form with `traceEvents`.
    pub fn run(&mut self, sink: &mut impl EventSink) -> Result<Framing, TraceError> {
        let mut framing = Framing::default();
        match self.peek_non_ws()? {
            Some(b'[') => {
                self.pos += 1;
                self.events_then_rest(sink, &mut framing)?;
            }
            Some(b'{') => {
                self.pos += 1;
                self.top_object(sink, &mut framing)?;
            }
            // The reader refuses such input before; kept an error, never a panic.
            Some(_) | None => return Err(self.syntax("expected a JSON array or object")),
        }
        self.end_of_document(framing)
    }

    /// Walks the input from an event boundary inside the top-level event array, as
    /// [`Scanner::run`] would from there: the rest of the array, then, when the document is
    /// the object form (`in_object`), the rest of the top-level object. The first byte must be
    /// an event's `{` (it is a guess: whoever guessed checks that the scan before stopped
    /// exactly there, see [`Scanner::stop_at`]).
    pub fn run_from_array(
        &mut self,
        sink: &mut impl EventSink,
        in_object: bool,
    ) -> Result<Framing, TraceError> {
        let mut framing = Framing::default();
        if self.events_then_rest(sink, &mut framing)? && in_object {
            self.top_object(sink, &mut framing)?;
        }
        self.end_of_document(framing)
    }

    /// Reads the event array after its `[`; true when it closed (and the scanner did not stop).
    fn events_then_rest(
        &mut self,
        sink: &mut impl EventSink,
        framing: &mut Framing,
    ) -> Result<bool, TraceError> {
        framing.saw_events = true;
        let closed = self.event_array(sink)?;
        framing.truncated = !closed;
        Ok(closed && self.stopped_at.is_none())
    }

    /// The framing once the document is walked: nothing but whitespace may follow it.
    fn end_of_document(&mut self, mut framing: Framing) -> Result<Framing, TraceError> {
        if self.stopped_at.is_some() {
            framing.stopped_at = self.stopped_at;
            return Ok(framing);
        }
        if !framing.truncated && self.peek_non_ws()?.is_some() {
            return Err(TraceError::Syntax {
                offset: self.offset(),
                message: "unexpected data after the end of the trace".into(),
            });
        }
        Ok(framing)
    }

    /// Reads `key: value` pairs of the top-level object. Returns when the object closes or the
    /// input ends (which marks the trace truncated).
    fn top_object(
        &mut self,
        sink: &mut impl EventSink,
        framing: &mut Framing,
    ) -> Result<(), TraceError> {
        loop {
            match self.peek_non_ws()? {
                None => {
                    framing.truncated = true;
                    return Ok(());
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b',') => self.pos += 1,
                Some(b'"') => {
                    let Some(key) = self.read_key()? else {
                        framing.truncated = true;
                        return Ok(());
                    };
                    match self.peek_non_ws()? {
                        None => {
                            framing.truncated = true;
                            return Ok(());
                        }
                        Some(b':') => self.pos += 1,
                        Some(_) => return Err(self.syntax("expected ':' after an object key")),
                    }
                    if self.top_value(&key, sink, framing)? {
                        if self.stopped_at.is_some() {
                            return Ok(());
                        }
                        continue;
                    }
                    framing.truncated = true;
                    return Ok(());
                }
                Some(_) => return Err(self.syntax("expected a key or '}' in the top-level object")),
            }
        }
    }

    /// Handles the value of one top-level key; false when the input ended inside it.
    fn top_value(
        &mut self,
        key: &str,
        sink: &mut impl EventSink,
        framing: &mut Framing,
    ) -> Result<bool, TraceError> {
        match (key, self.peek_non_ws()?) {
            (_, None) => Ok(false),
            ("traceEvents", Some(b'[')) => {
                self.pos += 1;
                framing.saw_events = true;
                self.event_array(sink)
            }
            ("viztracer_metadata", Some(b'{')) => {
                let Some((start, end)) = self.capture_value()? else {
                    return Ok(false);
                };
                let meta: serde_json::Value =
                    serde_json::from_slice(&self.buf[start..end]).unwrap_or_default();
                framing.viztracer_overflow = Some(
                    meta.get("overflow")
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false),
                );
                Ok(true)
            }
            _ => self.skip_value(),
        }
    }

    /// Reads an object key (a short string) and returns it unescaped; `None` at end of input.
    fn read_key(&mut self) -> Result<Option<String>, TraceError> {
        let Some((start, end)) = self.capture_value()? else {
            return Ok(None);
        };
        serde_json::from_slice::<String>(&self.buf[start..end])
            .map(Some)
            .map_err(|e| TraceError::Syntax {
                offset: self.base + start as u64,
                message: format!("invalid object key: {e}"),
            })
    }

    /// Reads the elements of an event array up to its `]`. Returns false when the input ended
    /// first (a truncated trace): every complete event before the cut has been delivered.
    fn event_array(&mut self, sink: &mut impl EventSink) -> Result<bool, TraceError> {
        loop {
            match self.peek_non_ws()? {
                None => return Ok(false),
                Some(b']') => {
                    self.pos += 1;
                    return Ok(true);
                }
                // Trailing and doubled commas are tolerated, as the trace viewers do.
                Some(b',') => self.pos += 1,
                Some(b'{') => {
                    if self.at_stop() {
                        return Ok(true);
                    }
                    if !self.deliver_event(sink)? {
                        return Ok(false);
                    }
                }
                Some(_) => {
                    return Err(self.syntax("expected an event object in the event array"));
                }
            }
        }
    }

    /// Hands the event object at `pos` to the sink; false when the input ended inside it.
    fn deliver_event(&mut self, sink: &mut impl EventSink) -> Result<bool, TraceError> {
        loop {
            let offset = self.offset();
            match sink.offer(&self.buf[self.pos..self.end], offset)? {
                Taken::Event(len) => {
                    self.check_value_len(offset, len)?;
                    self.pos += len;
                    return Ok(true);
                }
                Taken::NeedMore => {
                    // Keep the event's first bytes; at end of input the event was cut.
                    if self.refill(self.pos)?.is_none() {
                        return Ok(false);
                    }
                }
                Taken::Delimit => {
                    let Some((start, end)) = self.capture_value()? else {
                        return Ok(false);
                    };
                    self.check_value_len(self.base + start as u64, end - start)?;
                    sink.event(&self.buf[start..end], self.base + start as u64)?;
                    return Ok(true);
                }
            }
        }
    }

    fn syntax(&self, message: &str) -> TraceError {
        TraceError::Syntax {
            offset: self.offset(),
            message: message.into(),
        }
    }

    /// Scans one JSON value starting at `pos`, keeping its bytes in the buffer. Returns its
    /// range in the buffer, or `None` when the input ended inside it.
    fn capture_value(&mut self) -> Result<Option<(usize, usize)>, TraceError> {
        let mut start = self.pos;
        match self.walk_value(&mut start, true)? {
            true => Ok(Some((start, self.pos))),
            false => Ok(None),
        }
    }

    /// Scans past one JSON value without keeping it; false when the input ended inside it.
    fn skip_value(&mut self) -> Result<bool, TraceError> {
        let mut start = self.pos;
        self.walk_value(&mut start, false)
    }

    /// The structural walk shared by capture and skip. `start` is kept pointing at the value's
    /// first byte across refills when `keep` is set.
    fn walk_value(&mut self, start: &mut usize, keep: bool) -> Result<bool, TraceError> {
        let mut depth = 0usize;
        loop {
            if self.pos == self.end {
                let keep_from = if keep { *start } else { self.pos };
                match self.refill(keep_from)? {
                    Some(shift) => {
                        if keep {
                            *start -= shift;
                        }
                        continue;
                    }
                    None => {
                        // A bare scalar may end exactly at end of input.
                        return Ok(depth == 0 && self.pos > *start);
                    }
                }
            }
            let b = self.buf[self.pos];
            match b {
                b'"' => {
                    self.pos += 1;
                    if !self.skip_string_body(start, keep)? {
                        return Ok(false);
                    }
                    if depth == 0 {
                        return Ok(true);
                    }
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' | b']' => {
                    if depth == 0 {
                        // End of a scalar at the end of its container.
                        return Ok(self.pos > *start);
                    }
                    depth -= 1;
                    self.pos += 1;
                    if depth == 0 {
                        return Ok(true);
                    }
                }
                b',' | b' ' | b'\n' | b'\r' | b'\t' | b':' if depth == 0 => {
                    return Ok(self.pos > *start);
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Advances past the rest of a string whose opening quote was consumed.
    fn skip_string_body(&mut self, start: &mut usize, keep: bool) -> Result<bool, TraceError> {
        loop {
            match memchr::memchr2(b'"', b'\\', &self.buf[self.pos..self.end]) {
                Some(i) if self.buf[self.pos + i] == b'"' => {
                    self.pos += i + 1;
                    return Ok(true);
                }
                Some(i) => {
                    // Backslash: skip it and the escaped byte (which may need a refill).
                    self.pos += i + 1;
                    if !self.refill_if_empty(start, keep)? {
                        return Ok(false);
                    }
                    self.pos += 1;
                }
                None => {
                    self.pos = self.end;
                    if !self.refill_if_empty(start, keep)? {
                        return Ok(false);
                    }
                }
            }
        }
    }

    fn refill_if_empty(&mut self, start: &mut usize, keep: bool) -> Result<bool, TraceError> {
        while self.pos == self.end {
            let keep_from = if keep { *start } else { self.pos };
            match self.refill(keep_from)? {
                Some(shift) => {
                    if keep {
                        *start -= shift;
                    }
                }
                None => return Ok(false),
            }
        }
        Ok(true)
    }
}
