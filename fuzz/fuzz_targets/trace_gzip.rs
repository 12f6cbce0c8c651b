//! The trace readers behind the gzip decoder: the input is always read as a gzip stream
//! (the magic bytes are put in front when the mutation lost them), so the fuzzer works on
//! the compressed data, its header, blocks and trailer.
#![no_main]

use libfuzzer_sys::fuzz_target;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

fuzz_target!(|data: &[u8]| {
    if data.starts_with(&GZIP_MAGIC) {
        let _ = perfgate::fuzzing::trace(data);
    } else {
        let mut gz = GZIP_MAGIC.to_vec();
        gz.extend_from_slice(data);
        let _ = perfgate::fuzzing::trace(&gz);
    }
});
