//! Format detection by content, never by extension: gzip by its magic bytes, then the first
//! bytes of the (decompressed) stream pick the [`Format`] that reads it, or say what users
//! passed by mistake (a Perfetto protobuf, an HTML report, an empty file, a JSON document that
//! is no trace).

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, IsTerminal, Read};
use std::sync::{Arc, OnceLock};

use super::{Format, Limits, ReadContext, ReadError, Trace, TraceError, TraceSource};

/// Every input format, asked in this order; the Chrome reader, last, takes any JSON.
pub(crate) const FORMATS: &[&dyn Format] = &[
    &super::speedscope::Speedscope,
    &super::otlp::Otlp,
    &super::chrome::Chrome,
];

/// The formats perfgate reads, for messages: `Chrome JSON, speedscope or OTLP/JSON`.
pub(crate) fn format_names() -> String {
    let names: Vec<&str> = FORMATS.iter().map(|f| f.name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// Bytes of the decompressed input the formats sniff at.
const SNIFF_BYTES: usize = 4096;

/// Files at least this large get a progress line on a terminal.
const PROGRESS_MIN_BYTES: u64 = 32 << 20;

/// Reads a whole trace from a file or standard input, in whichever format it is, within the
/// default [`Limits`].
#[cfg(test)]
pub fn read_trace(source: &TraceSource) -> Result<Trace, ReadError> {
    read_trace_limited(source, Limits::DEFAULT)
}

/// Reads a whole trace from a file or standard input, in whichever format it is; an input
/// past `limits` is an error.
pub fn read_trace_limited(source: &TraceSource, limits: Limits) -> Result<Trace, ReadError> {
    let name = source.display_name();
    let wrap = |e: TraceError| ReadError {
        path: name.clone(),
        error: e,
    };
    let (input, size): (Box<dyn Read + Send>, Option<u64>) = match source {
        TraceSource::Stdin => (Box::new(std::io::stdin()), None),
        TraceSource::File(path) => {
            let file = File::open(path).map_err(|e| wrap(TraceError::Io(e)))?;
            if let Some(read) = read_mapped(&file, &name, limits) {
                return read.map_err(wrap);
            }
            let size = file.metadata().ok().map(|m| m.len());
            (Box::new(file), size)
        }
    };
    let progress = size.filter(|&s| s >= PROGRESS_MIN_BYTES && std::io::stderr().is_terminal());
    read_trace_within(input, &name, progress, limits).map_err(wrap)
}

/// Reads a plain (not gzip) file through a memory map, when it is a regular file large enough
/// to map and its format reads bytes held in memory faster ([`Format::read_bytes`]); `None`
/// when it must be streamed instead.
fn read_mapped(file: &File, name: &str, limits: Limits) -> Option<Result<Trace, TraceError>> {
    let map = super::mapped::map(file)?;
    if map.starts_with(&GZIP_MAGIC) {
        return None;
    }
    let head = &map[..map.len().min(SNIFF_BYTES)];
    let format = FORMATS.iter().find(|f| f.sniff(head))?;
    let ctx = ReadContext {
        name: name.to_string(),
        progress_total: None,
        gzip: false,
        limits,
    };
    format.read_bytes(&map, &ctx)
}

/// Reads a trace from any byte source. `progress_total`, when set, prints progress to stderr.
#[cfg(test)]
pub fn read_trace_from(
    input: Box<dyn Read + Send>,
    name: &str,
    progress_total: Option<u64>,
) -> Result<Trace, TraceError> {
    read_trace_within(input, name, progress_total, Limits::DEFAULT)
}

/// [`read_trace_from`] within `limits`.
pub fn read_trace_within(
    input: Box<dyn Read + Send>,
    name: &str,
    progress_total: Option<u64>,
    limits: Limits,
) -> Result<Trace, TraceError> {
    let (input, gzip_cut) = decompress_if_gzip(input)?;
    let gzip = gzip_cut.is_some();
    let (head, input) = peek(input, SNIFF_BYTES)?;
    let format = FORMATS
        .iter()
        .find(|f| f.sniff(&head))
        .expect("the last format reads any input");
    let ctx = ReadContext {
        name: name.to_string(),
        progress_total,
        gzip,
        limits,
    };
    let mut trace = format.read(input, &ctx)?;
    trace.notes.gzip_cut = gzip_cut.and_then(|cut| cut.get().copied());
    Ok(trace)
}

/// The decompressed bytes of a gzip stream, read like a plain file: a stream cut short (the
/// last block or only the 8-byte trailer missing) ends where the data ends, as a cut plain
/// file does, and the place is remembered for a warning; corrupt data is an error naming the
/// byte of the decompressed data where it was found.
struct GzipInput {
    decoder: Box<dyn Read + Send>,
    /// Decompressed bytes delivered so far.
    offset: u64,
    cut: CutAt,
}

impl GzipInput {
    fn new(decoder: Box<dyn Read + Send>) -> (Self, CutAt) {
        let cut = Arc::new(OnceLock::new());
        let input = GzipInput {
            decoder,
            offset: 0,
            cut: Arc::clone(&cut),
        };
        (input, cut)
    }
}

impl Read for GzipInput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cut.get().is_some() {
            return Ok(0);
        }
        match self.decoder.read(buf) {
            Ok(n) => {
                self.offset += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                let _ = self.cut.set(self.offset);
                Ok(0)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) => Err(std::io::Error::new(
                e.kind(),
                format!(
                    "corrupt gzip data after byte {} of the decompressed trace: {e}",
                    self.offset
                ),
            )),
        }
    }
}

/// The first `n` bytes of `input` (fewer if it is shorter), and a reader that still yields
/// every byte from the start.
fn peek(mut input: Box<dyn Read>, n: usize) -> Result<(Vec<u8>, Box<dyn Read>), TraceError> {
    let mut head = Vec::with_capacity(n);
    (&mut input).take(n as u64).read_to_end(&mut head)?;
    let replay: Box<dyn Read> = Box::new(Cursor::new(head.clone()).chain(input));
    Ok((head, replay))
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Where a gzip stream was cut short, once read (see [`GzipInput`]); set by the thread that
/// decompresses, before it ends the stream.
type CutAt = Arc<OnceLock<u64>>;

/// Wraps `input` in a gzip decoder when it starts with the gzip magic bytes; the second value
/// is then set, and tells where the stream was cut once it has been read. The decoder runs on
/// its own thread, a few chunks ahead of the reader ([`super::pipelined`]), so decompressing
/// and parsing use two cores.
fn decompress_if_gzip(
    input: Box<dyn Read + Send>,
) -> Result<(Box<dyn Read>, Option<CutAt>), TraceError> {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let head = reader.fill_buf()?;
    if head.starts_with(&GZIP_MAGIC) {
        let decoder = flate2::read::MultiGzDecoder::new(reader);
        let (input, cut) = GzipInput::new(Box::new(decoder));
        Ok((
            Box::new(super::pipelined::Pipelined::spawn(input)),
            Some(cut),
        ))
    } else {
        Ok((Box::new(reader), None))
    }
}

/// Says what the first bytes look like when they are not the start of a JSON trace; `None`
/// when they open a JSON array or object (whose contents the reader checks).
pub fn describe_non_trace(head: &[u8]) -> Option<String> {
    if let Some(what) = describe_binary(head) {
        return Some(what);
    }
    let trimmed = trim_start(head);
    match trimmed.first() {
        None => Some("the file is empty".into()),
        Some(b'[') | Some(b'{') => None,
        Some(b'<') => Some(
            "it looks like HTML or XML (a viztracer HTML report? pass the .json it was made from)"
                .into(),
        ),
        Some(_) if looks_binary(head) => Some(format!(
            "it is binary data (first bytes: {})",
            hex_prefix(head)
        )),
        Some(_) => Some(format!(
            "it starts with {:?}, not with a JSON array or object",
            String::from_utf8_lossy(&trimmed[..trimmed.len().min(24)])
        )),
    }
}

/// Says what a binary format the first bytes are, when they are one perfgate can name (a
/// protobuf trace starts with a line feed, which JSON would take for whitespace).
pub fn describe_binary(head: &[u8]) -> Option<String> {
    (head.first() == Some(&0x0a) && looks_binary(head)).then(|| {
        "it looks like a Perfetto/Chrome protobuf trace; record with \
         --trace-startup-format=json, or convert it with Perfetto's traceconv to JSON"
            .into()
    })
}

/// Skips a byte-order mark and JSON whitespace (space, tab, line feed, carriage return: not
/// the form feed or vertical tab that `is_ascii_whitespace` also takes, which JSON refuses).
fn trim_start(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    let skip = bytes
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .count();
    &bytes[skip..]
}

fn looks_binary(head: &[u8]) -> bool {
    head.iter()
        .take(64)
        .any(|&b| b < 0x09 || (b > 0x0d && b < 0x20))
}

fn hex_prefix(head: &[u8]) -> String {
    head.iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_what_users_pass_by_mistake() {
        assert!(describe_non_trace(b"").unwrap().contains("empty"));
        assert!(describe_non_trace(b"  \n").unwrap().contains("empty"));
        assert!(
            describe_non_trace(b"<!DOCTYPE html>")
                .unwrap()
                .contains("HTML")
        );
        assert!(
            describe_non_trace(b"\x0a\x8d\x01\x12\x00\x1a")
                .unwrap()
                .contains("protobuf")
        );
        assert!(
            describe_non_trace(b"name = 1")
                .unwrap()
                .contains("not with a JSON")
        );
        assert_eq!(describe_non_trace(b" [{\"ph\":\"X\"}]"), None);
        assert_eq!(describe_non_trace(b"\xEF\xBB\xBF{}"), None);
        assert!(
            describe_non_trace(b"\x0c{}").is_some(),
            "a form feed is not JSON whitespace"
        );
    }
}
