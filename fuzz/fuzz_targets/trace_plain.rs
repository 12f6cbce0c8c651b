//! The trace readers (Chrome JSON, speedscope, OTLP/JSON) on uncompressed bytes, through the
//! call tree and the operation table.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = perfgate::fuzzing::trace(data);
});
