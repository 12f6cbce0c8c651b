//! A reader run on its own thread, a few chunks ahead of its consumer: decompressing a gzip
//! trace on one core while the other parses what is already decompressed.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes handed over at a time.
const CHUNK: usize = 1 << 20;

/// Chunks read ahead of the consumer: enough to smooth out the two threads' speeds, few enough
/// that memory stays a few MiB.
const AHEAD: usize = 3;

/// The consumer's end: reads what the thread produced, in order, then its end or its error.
pub(super) struct Pipelined {
    chunks: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
    /// The rest of the input, read here when no thread could start.
    rest: Option<Box<dyn Read + Send>>,
}

impl Pipelined {
    /// Starts reading `input`: its first chunk at once, on the caller's thread, and the rest,
    /// when there is more, on a new thread (an input of one chunk, most gzip traces and every
    /// fuzzed input, costs no thread). The thread ends at the end of the input, at its first
    /// error (handed on after the bytes before it), or when the consumer is dropped. When no
    /// thread can start (a process limit), the rest is read on the caller's thread as it is
    /// asked for.
    pub(super) fn spawn(mut input: impl Read + Send + 'static) -> Pipelined {
        let (sender, chunks) = sync_channel(AHEAD);
        let mut first = vec![0; CHUNK];
        let (filled, error) = fill(&mut input, &mut first);
        first.truncate(filled);
        let mut rest: Option<Box<dyn Read + Send>> = None;
        match error {
            Some(e) => {
                let _ = sender.send(Err(e));
            }
            None if filled < CHUNK => {}
            None => {
                if let Err(input) = produce_on_a_thread(input, sender) {
                    rest = Some(Box::new(input));
                }
            }
        }
        Pipelined {
            chunks,
            chunk: first,
            pos: 0,
            rest,
        }
    }
}

/// Runs [`produce`] on a new thread; `Err(input)` when no thread can start. The thread gets
/// its input only once it runs, so that a failed start leaves the input here.
fn produce_on_a_thread<R: Read + Send + 'static>(
    input: R,
    sender: SyncSender<io::Result<Vec<u8>>>,
) -> Result<(), R> {
    let (give, take) = sync_channel::<R>(1);
    let started = std::thread::Builder::new()
        .name("perfgate-read-ahead".into())
        .spawn(move || {
            if let Ok(input) = take.recv() {
                produce(input, &sender);
            }
        });
    if started.is_err() {
        return Err(input);
    }
    // The channel has room for the one input, and the thread holds its other end.
    give.send(input).map_err(|e| e.0)
}

/// Reads `input` chunk by chunk into `sender` until its end, an error, or a closed channel.
fn produce(mut input: impl Read, sender: &SyncSender<io::Result<Vec<u8>>>) {
    loop {
        let mut chunk = vec![0; CHUNK];
        let (filled, error) = fill(&mut input, &mut chunk);
        chunk.truncate(filled);
        if filled > 0 && sender.send(Ok(chunk)).is_err() {
            return;
        }
        match error {
            Some(e) => {
                let _ = sender.send(Err(e));
                return;
            }
            None if filled == 0 => return,
            None => {}
        }
    }
}

/// Reads into `buf` until it is full, the input ends or fails: the bytes read, and the error.
fn fill(input: &mut impl Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Some(e)),
        }
    }
    (filled, None)
}

impl Read for Pipelined {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.chunk.len() {
            if let Some(rest) = self.rest.as_mut() {
                return rest.read(buf);
            }
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The thread ended: the input did.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields `good` bytes, then fails.
    struct FailsAfter(io::Cursor<Vec<u8>>);

    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::other("broken")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn hands_on_every_byte_in_order_then_the_error() {
        // Longer than a chunk (a thread reads the rest), exactly one, shorter (no thread), none.
        for len in [3 * CHUNK + 17, CHUNK, CHUNK - 1, 17, 0] {
            let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut out = Vec::new();
            Pipelined::spawn(io::Cursor::new(bytes.clone()))
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, bytes, "{len} bytes");
            let mut reader = Pipelined::spawn(FailsAfter(io::Cursor::new(bytes.clone())));
            let mut out = Vec::new();
            let err = reader.read_to_end(&mut out).unwrap_err();
            assert_eq!(err.to_string(), "broken", "{len} bytes");
            assert_eq!(out, bytes, "{len} bytes");
        }
    }
}
