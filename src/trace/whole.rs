//! Reading a whole input into memory within [`Limits`], for the formats parsed as whole
//! documents (speedscope, OTLP/JSON), and the limit errors every reader words the same way.
//!
//! The Chrome JSON reader streams and holds one event at a time; these readers hold the
//! whole (decompressed) input, so a gzip bomb of one huge string must be refused while it is
//! read, not after. A JSON string cannot hold a raw line break, so a cap on the length of a
//! line bounds every string; a cap on the whole input bounds a document parsed at once.

use std::io::Read;

use super::{Limits, TraceError};

/// Bytes read at a time.
const CHUNK: usize = 1 << 16;

/// The whole input, refused at byte 0 when it is longer than `limits.max_value_bytes`:
/// `what` names the document in the message (`the speedscope document`).
pub(super) fn read_document(
    input: &mut dyn Read,
    limits: &Limits,
    what: &str,
) -> Result<Vec<u8>, TraceError> {
    let max = limits.max_value_bytes;
    let mut bytes = Vec::new();
    input.take(max as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > max {
        return Err(value_too_long(0, &format!("{what}, read whole"), max));
    }
    Ok(bytes)
}

/// The whole input, refused at the first byte of the first line longer than
/// `limits.max_value_bytes`; `what` names a line in the message (`an OTLP request`).
pub(super) fn read_lines(
    input: &mut dyn Read,
    limits: &Limits,
    what: &str,
) -> Result<Vec<u8>, TraceError> {
    let max = limits.max_value_bytes;
    let mut bytes = Vec::new();
    let mut line_start = 0;
    loop {
        let from = bytes.len();
        let read = (&mut *input).take(CHUNK as u64).read_to_end(&mut bytes)?;
        for end in memchr::memchr_iter(b'\n', &bytes[from..]).map(|i| from + i) {
            if end - line_start > max {
                return Err(value_too_long(line_start as u64, what, max));
            }
            line_start = end + 1;
        }
        if bytes.len() - line_start > max {
            return Err(value_too_long(line_start as u64, what, max));
        }
        if read == 0 {
            return Ok(bytes);
        }
    }
}

/// One JSON value (`what`) of more than `max` bytes starting at `offset`.
pub(super) fn value_too_long(offset: u64, what: &str, max: usize) -> TraceError {
    TraceError::Limit {
        offset,
        message: format!(
            "one JSON value ({what}) runs past {}, the limit (PERFGATE_MAX_VALUE_BYTES raises it)",
            size(max)
        ),
    }
}

/// A name of `len` bytes, longer than the limit, in the value starting at `offset`.
pub(super) fn name_too_long(offset: u64, len: usize, limits: &Limits) -> TraceError {
    TraceError::Limit {
        offset,
        message: format!(
            "a name of {len} bytes, over the limit of {} (PERFGATE_MAX_NAME_BYTES raises it)",
            limits.max_name_bytes
        ),
    }
}

/// One distinct name more than the limit, added by the value starting at `offset`.
pub(super) fn too_many_names(offset: u64, limits: &Limits) -> TraceError {
    TraceError::Limit {
        offset,
        message: format!(
            "more than {} distinct names (PERFGATE_MAX_NAMES raises the limit)",
            limits.max_names
        ),
    }
}

/// `64 MiB` for whole mebibytes, `1000 bytes` otherwise.
fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_value_bytes: usize) -> Limits {
        Limits {
            max_value_bytes,
            ..Limits::DEFAULT
        }
    }

    fn lines(text: &[u8], max: usize) -> Result<Vec<u8>, String> {
        read_lines(&mut &text[..], &limits(max), "a line").map_err(|e| e.to_string())
    }

    #[test]
    fn a_line_past_the_limit_is_refused_at_its_first_byte() {
        assert_eq!(lines(b"abc\nabcd\n", 4).unwrap(), b"abc\nabcd\n");
        assert_eq!(lines(b"abc\nabcd", 4).unwrap(), b"abc\nabcd");
        let err = lines(b"abc\nabcde\nab", 4).unwrap_err();
        assert_eq!(
            err,
            "byte 4: one JSON value (a line) runs past 4 bytes, the limit \
             (PERFGATE_MAX_VALUE_BYTES raises it)"
        );
        // Longer than a chunk read at a time, with its line break in a later chunk.
        let mut long = vec![b'x'; 3 * CHUNK];
        long.insert(0, b'\n');
        assert!(lines(&long, 3 * CHUNK).is_ok());
        assert!(
            lines(&long, 3 * CHUNK - 1)
                .unwrap_err()
                .starts_with("byte 1: ")
        );
    }

    #[test]
    fn a_document_past_the_limit_is_refused_without_reading_it_all() {
        let read = |text: &[u8], max| {
            read_document(&mut &text[..], &limits(max), "the document").map_err(|e| e.to_string())
        };
        assert_eq!(read(b"{}", 2).unwrap(), b"{}");
        assert_eq!(
            read(b"{ }", 2).unwrap_err(),
            "byte 0: one JSON value (the document, read whole) runs past 2 bytes, the limit \
             (PERFGATE_MAX_VALUE_BYTES raises it)"
        );
        let endless = &mut std::io::repeat(b' ');
        let err = read_document(endless, &limits(3 << 20), "the document").unwrap_err();
        assert!(err.to_string().contains("runs past 3 MiB"), "{err}");
    }
}
