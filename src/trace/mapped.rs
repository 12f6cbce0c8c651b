//! A trace file mapped into memory, so that a reader can walk all of its bytes, on several
//! threads, without copying them: the one place perfgate uses `unsafe`.
//!
//! Why the mapping is sound enough: the bytes are only read, never written, and perfgate
//! holds them for the time of one read. What `memmap2` cannot rule out is another process
//! changing the file meanwhile: a file rewritten in place may show a mix of old and new bytes
//! (the reader then reports malformed JSON, as for any corrupt file), and a file truncated
//! while it is read makes the pages past the new end fault, which the kernel signals with
//! SIGBUS and ends perfgate. Traces are written once by a tracer and read afterwards, so this
//! does not happen in practice; standard input, pipes and other files that are not regular
//! files are never mapped (they are streamed).

#![allow(unsafe_code)]

use std::fs::File;

use memmap2::Mmap;

/// The smallest file worth mapping: below, streaming it through a buffer costs nothing.
const MIN_MAPPED_BYTES: u64 = 1 << 20;

/// The file's bytes, mapped read-only, when it is a regular file of at least
/// [`MIN_MAPPED_BYTES`]; `None` otherwise, or when the system refuses the mapping (the caller
/// streams the file instead).
pub(super) fn map(file: &File) -> Option<Mmap> {
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() < MIN_MAPPED_BYTES {
        return None;
    }
    // SAFETY: read-only mapping of a regular file, read for the time of one command; see the
    // module documentation for what a concurrent truncation does (SIGBUS).
    let map = unsafe { Mmap::map(file) }.ok()?;
    // The reader walks the bytes once from start to end (and each part of a parallel read
    // from its own start): ask the kernel to read ahead.
    let _ = map.advise(memmap2::Advice::Sequential);
    Some(map)
}
