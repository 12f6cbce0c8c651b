//! The Chrome Trace Event Format (JSON array or `{"traceEvents": [...]}`), as viztracer,
//! Chrome, py-spy (`--format chrometrace`) and others write it: a streaming scanner that frames
//! each event ([`scan`]), a fast path for the byte layout of the events seen last
//! ([`layout`]), one for any flat event ([`flat`]), serde for the rest ([`event`]), the reader
//! that turns events into spans ([`reader`]), and the parallel reader of a file held whole in
//! memory ([`parallel`]).

mod event;
mod flat;
mod layout;
mod parallel;
mod reader;
mod scan;

/// A small deterministic generator (xorshift) for the readers' generated-input tests, so
/// they need no crate; each test module adds the pickers it needs in an `impl Rng` of its own.
#[cfg(test)]
pub(crate) struct Rng(pub(crate) u64);

#[cfg(test)]
impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

use std::io::Read;

use super::{Trace, TraceError};

/// The Chrome JSON reader; the fallback for any JSON array or object.
pub(crate) struct Chrome;

impl super::Format for Chrome {
    fn name(&self) -> &'static str {
        "Chrome JSON"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let _ = head;
        true
    }

    fn read(&self, input: Box<dyn Read>, ctx: &super::ReadContext) -> Result<Trace, TraceError> {
        reader::read(input, ctx)
    }

    fn read_bytes(
        &self,
        bytes: &[u8],
        ctx: &super::ReadContext,
    ) -> Option<Result<Trace, TraceError>> {
        Some(parallel::read(bytes, ctx))
    }
}
