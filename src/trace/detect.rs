//! Format detection by content, never by extension: gzip by its magic bytes, then a look at
//! the first bytes of the (decompressed) stream to tell a JSON trace from what users pass by
//! mistake (a Perfetto protobuf, an HTML report, an empty file, a JSON document that is no
//! trace).

use std::io::{BufRead, BufReader, Read};

use super::TraceError;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Wraps `input` in a gzip decoder when it starts with the gzip magic bytes.
pub fn decompress_if_gzip(input: Box<dyn Read>) -> Result<(Box<dyn Read>, bool), TraceError> {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let head = reader.fill_buf()?;
    if head.starts_with(&GZIP_MAGIC) {
        let decoder = flate2::read::MultiGzDecoder::new(reader);
        Ok((Box::new(decoder), true))
    } else {
        Ok((Box::new(reader), false))
    }
}

/// Says what the first bytes look like when they are not the start of a JSON trace; `None`
/// when they open a JSON array or object (whose contents the reader checks).
pub fn describe_non_trace(head: &[u8]) -> Option<String> {
    if head.first() == Some(&0x0a) && looks_binary(head) {
        return Some(
            "it looks like a Perfetto/Chrome protobuf trace; record with \
             --trace-startup-format=json, or convert it with Perfetto's traceconv to JSON"
                .into(),
        );
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

fn trim_start(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
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
    }
}
