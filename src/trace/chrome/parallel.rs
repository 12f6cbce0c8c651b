//! Reading one Chrome trace held whole in memory (a memory-mapped file) on every core, with
//! the same result as the reader on one thread, byte for byte.
//!
//! The event array is split speculatively: at a few places the bytes are searched for what
//! looks like the start of an event (`}` `,` `{"`, whitespace allowed), and each part is read
//! by its own scanner and builder, in parallel. A guess can be wrong (the same bytes can sit
//! inside a string or a nested `args`), so the parts are joined in file order only where the
//! part before ends exactly where the next one began: the scanner of the part before, which
//! knows where the events really start, stops only at an event of the top-level array that
//! begins exactly at a guessed place ([`super::scan::Scanner::stop_at`]). A part whose start
//! nobody stopped at is dropped, and the part before it simply read on over its bytes.
//!
//! Any error, anywhere, and a join that would pass the limit of distinct names, make the
//! whole input be read again on one thread, which gives the error (and its byte offset)
//! exactly as the serial reader reports it: errors are rare, their cost does not matter.

use rayon::prelude::*;

use super::reader::{Builder, finish, read_slice, refuse_non_trace};
use super::scan::{Framing, Scanner};
use crate::trace::{ReadContext, Trace, TraceError};

/// Parts smaller than this are not worth a thread.
const MIN_PART_BYTES: usize = 4 << 20;

/// Parts per thread: more parts than threads even out a core slowed by other work.
const PARTS_PER_THREAD: usize = 4;

/// Reads a Chrome trace held whole in memory, in parallel when it is large enough and more
/// than one thread is available (`RAYON_NUM_THREADS=1` reads on one).
pub(crate) fn read(bytes: &[u8], ctx: &ReadContext) -> Result<Trace, TraceError> {
    let parts = part_count(bytes.len(), crate::threads::available());
    let stops = guess_boundaries(bytes, parts);
    read_split(bytes, ctx, &stops)
}

/// How many parts to read a file of `len` bytes in on `threads` threads (1: no split).
fn part_count(len: usize, threads: usize) -> usize {
    if threads <= 1 {
        return 1;
    }
    (threads * PARTS_PER_THREAD)
        .min(len / MIN_PART_BYTES)
        .max(1)
}

/// Up to `parts - 1` offsets, ascending and distinct, that look like the start of an event:
/// the first after each `len * k / parts`.
pub(super) fn guess_boundaries(bytes: &[u8], parts: usize) -> Vec<u64> {
    let mut stops: Vec<u64> = (1..parts)
        .filter_map(|k| event_start_after(bytes, bytes.len() * k / parts))
        .map(|at| at as u64)
        .collect();
    stops.dedup();
    stops
}

/// The first `{` at or after `from` that is preceded by `}` and `,` (whitespace between) and
/// followed by `"`: very likely the start of an event in the event array.
fn event_start_after(bytes: &[u8], from: usize) -> Option<usize> {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    let mut at = from;
    while let Some(i) = memchr::memchr(b'{', &bytes[at..]) {
        let brace = at + i;
        at = brace + 1;
        let mut before = bytes[..brace].iter().rev().skip_while(|b| is_ws(b));
        let after = bytes[brace + 1..].iter().find(|b| !is_ws(b));
        if before.next() == Some(&b',')
            && before.find(|b| !is_ws(b)) == Some(&b'}')
            && after == Some(&b'"')
        {
            return Some(brace);
        }
    }
    None
}

/// One part, read: its builder, its framing (where it stopped) and the offset where its scan
/// ended.
struct PartRead {
    builder: Builder,
    framing: Framing,
    end: u64,
}

/// Reads `bytes` in the parts that `stops` (ascending offsets, guessed event starts) cut it
/// into, and joins them; exactly the result of [`read_slice`] whatever the stops. The tests
/// force stops into bad places through this function.
pub(super) fn read_split(
    bytes: &[u8],
    ctx: &ReadContext,
    stops: &[u64],
) -> Result<Trace, TraceError> {
    if stops.is_empty() {
        return read_slice(bytes, ctx);
    }
    let mut parts = read_parts(bytes, ctx, stops);
    match join(&mut parts, stops) {
        Some((builder, framing, end)) => finish(builder, &framing, end, ctx),
        None => {
            drop(parts);
            read_slice(bytes, ctx)
        }
    }
}

/// Reads every part, in parallel; part `k` starts at `stops[k - 1]` (the first at 0).
fn read_parts(
    bytes: &[u8],
    ctx: &ReadContext,
    stops: &[u64],
) -> Vec<Option<Result<PartRead, TraceError>>> {
    let in_object = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        == Some(&b'{');
    (0..=stops.len())
        .into_par_iter()
        .map(|k| Some(read_part(bytes, ctx, stops, k, in_object)))
        .collect()
}

/// Reads part `k`: the first from the start of the document, the others from their guessed
/// start inside the event array; each stops at the first later guess it meets exactly.
fn read_part(
    bytes: &[u8],
    ctx: &ReadContext,
    stops: &[u64],
    k: usize,
    in_object: bool,
) -> Result<PartRead, TraceError> {
    let max = ctx.limits.max_value_bytes;
    let mut builder = Builder::new(&ctx.name, ctx.limits);
    let (framing, end) = if k == 0 {
        let mut scanner = Scanner::over_slice(bytes, 0, max).stop_at(stops);
        refuse_non_trace(&mut scanner)?;
        (scanner.run(&mut builder)?, scanner.offset())
    } else {
        let start = stops[k - 1];
        let Some(rest) = bytes.get(start as usize..) else {
            return Err(TraceError::Syntax {
                offset: start,
                message: "a part starts past the end of the input".into(),
            });
        };
        let mut scanner = Scanner::over_slice(rest, start, max).stop_at(&stops[k..]);
        (
            scanner.run_from_array(&mut builder, in_object)?,
            scanner.offset(),
        )
    };
    Ok(PartRead {
        builder,
        framing,
        end,
    })
}

/// Joins the parts from the first along the chain of exact stops; `None` when the serial
/// reader must decide (an error in a part of the chain, or too many names once joined).
fn join(
    parts: &mut [Option<Result<PartRead, TraceError>>],
    stops: &[u64],
) -> Option<(Builder, Framing, u64)> {
    let chain = chain_of(parts, stops)?;
    let first = parts[0].take()?.ok()?;
    let (mut builder, mut framing, mut end) = (first.builder, first.framing, first.end);
    builder.reserve_spans(
        chain
            .iter()
            .filter_map(|&k| parts[k].as_ref()?.as_ref().ok())
            .map(|p| p.builder.span_count())
            .sum(),
    );
    for k in chain {
        let next = parts[k].take()?.ok()?;
        builder.absorb(next.builder).ok()?;
        framing = Framing {
            viztracer_overflow: next
                .framing
                .viztracer_overflow
                .or(framing.viztracer_overflow),
            saw_events: framing.saw_events || next.framing.saw_events,
            ..next.framing
        };
        end = next.end;
    }
    Some((builder, framing, end))
}

/// The parts after the first that join it, in order: each starts where the one before it
/// stopped. `None` when one of them failed.
fn chain_of(parts: &[Option<Result<PartRead, TraceError>>], stops: &[u64]) -> Option<Vec<usize>> {
    let mut chain = Vec::new();
    let mut current = parts[0].as_ref()?.as_ref().ok()?;
    while let Some(at) = current.framing.stopped_at {
        let k = stops.binary_search(&at).ok()? + 1;
        current = parts[k].as_ref()?.as_ref().ok()?;
        chain.push(k);
    }
    Some(chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Limits;

    fn ctx() -> ReadContext {
        ReadContext {
            name: "t".into(),
            progress_total: None,
            gzip: false,
            limits: Limits::DEFAULT,
        }
    }

    /// The whole outcome of a read, as text: every name, track, span (bits of its floats
    /// included, through `Debug`), note and counter, or the error message.
    fn outcome(read: Result<Trace, TraceError>) -> String {
        match read {
            Ok(t) => format!(
                "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
                t.names, t.tracks, t.spans, t.notes, t.span_attrs, t.counters
            ),
            Err(e) => format!("error: {e}"),
        }
    }

    /// How many parts after the first joined it: the parallel work that was kept.
    fn joined(bytes: &[u8], stops: &[u64]) -> usize {
        chain_of(&read_parts(bytes, &ctx(), stops), stops).map_or(0, |c| c.len())
    }

    /// Reads `bytes` on one thread and split at `stops`, and checks the two agree.
    fn check_same(bytes: &[u8], stops: &[u64], what: &str) {
        let serial = outcome(read_slice(bytes, &ctx()));
        let split = outcome(read_split(bytes, &ctx(), stops));
        assert!(
            serial == split,
            "{what}: split at {stops:?} differs from the serial read:\nserial: {}\nsplit:  {}",
            &serial[..serial.len().min(2000)],
            &split[..split.len().min(2000)]
        );
    }

    #[test]
    fn boundaries_are_guessed_at_event_starts() {
        let json = br#"{"traceEvents": [{"ph":"X","a":{}}, {"ph":"X"},{"ph":"X"}]}"#;
        let stops = guess_boundaries(json, 4);
        assert!(!stops.is_empty());
        for &at in &stops {
            assert_eq!(&json[at as usize..at as usize + 6], br#"{"ph":"#);
        }
        assert_eq!(part_count(300 << 20, 1), 1);
        assert_eq!(part_count(1 << 20, 2), 1);
        assert_eq!(part_count(300 << 20, 2), 8);
    }

    #[test]
    fn a_part_that_no_one_stops_at_is_dropped() {
        // The first stop is inside a string: the first part reads over it.
        let json =
            r#"[{"ph":"X","name":"a},{\"b","ts":1,"dur":1},{"ph":"X","name":"c","ts":2,"dur":1}]"#;
        let inside = json.find(r#"{\""#).unwrap() as u64;
        let real = json.rfind(r#"{"ph""#).unwrap() as u64;
        let trace = read_split(json.as_bytes(), &ctx(), &[inside, real]).unwrap();
        assert_eq!(trace.names, vec!["a},{\"b", "c"]);
        assert_eq!(trace.spans.len(), 2);
        check_same(json.as_bytes(), &[inside, real], "string");
    }

    use crate::trace::chrome::Rng;

    impl Rng {
        fn pick_one<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
    }

    /// Names that the fast path reads, that it leaves to serde (escapes), and that look like
    /// an event boundary from inside a string.
    const NAMES: &[&str] = &[
        r#""f (a.py:1)""#,
        r#""g (b.py:2)""#,
        r#""é ü""#,
        r#""a\"b""#,
        r#""\u00e9t\u00e9""#,
        r#""x},{\"y""#,
        r#""}, {""#,
        r#""""#,
        "null",
    ];

    /// Values of `args`: nested objects and arrays, some holding what looks like an event
    /// boundary, non-finite numbers the serde path repairs, viztracer's logged arguments.
    const ARGS: &[&str] = &[
        r#"{"a":[{"x":1},{"y":"}"},{"z":[]}]}"#,
        r#"{"v":NaN,"w":Infinity}"#,
        r#"{"func_args": {"sql": "'SELECT 1 FROM t'"}}"#,
        "null",
        r#"{"name":"worker"}"#,
        r#"[{"k":{}}, {"j":"q"}]"#,
    ];

    /// One event, its keys in a random order, of a random phase.
    fn event(rng: &mut Rng, huge: &str) -> String {
        let phase = rng.pick_one(&["X", "X", "X", "X", "X", "B", "E", "M", "C", "b", "e", "i"]);
        let mut fields = vec![
            format!(r#""ph": "{phase}""#),
            format!(r#""pid": {}"#, rng.pick_one(&["1", "2", r#""p""#])),
            format!(r#""tid": {}"#, rng.pick_one(&["1", "7", r#""main""#])),
            format!(r#""ts": {}.{}"#, rng.below(100_000), rng.below(1000)),
        ];
        if phase == "M" {
            fields.push(r#""name": "thread_name""#.into());
            fields.push(format!(
                r#""args": {{"name": {}}}"#,
                rng.pick_one(&[r#""w1""#, r#""Task-1""#, "null"])
            ));
        } else {
            let name = if rng.below(50) == 0 {
                huge
            } else {
                rng.pick_one(NAMES)
            };
            fields.push(format!(r#""name": {name}"#));
            if rng.below(3) > 0 {
                fields.push(format!(r#""dur": {}.{}"#, rng.below(1000), rng.below(100)));
            }
            if rng.below(3) == 0 {
                fields.push(format!(r#""args": {}"#, rng.pick_one(ARGS)));
            }
            if matches!(phase, "b" | "e") {
                fields.push(format!(r#""id": "0x{}""#, rng.below(3)));
                fields.push(r#""cat": "net""#.into());
            }
        }
        for i in (1..fields.len()).rev() {
            fields.swap(i, rng.below(i + 1));
        }
        format!("{{{}}}", fields.join(rng.pick_one(&[",", ", ", ",\n  "])))
    }

    /// A trace of `n` random events, in the array or the object form, maybe with metadata
    /// before and after the events, maybe cut short, maybe with one malformed event.
    fn document(rng: &mut Rng, n: usize) -> String {
        let huge = format!("\"{}\"", "h},{\"".repeat(5_000 + rng.below(5_000)));
        let events: Vec<String> = (0..n).map(|_| event(rng, &huge)).collect();
        let mut events = events.join(rng.pick_one(&[",", ", ", ",\n", " , "]));
        if rng.below(10) == 0 {
            let at = rng.below(events.len());
            let at = (at..events.len())
                .find(|&i| events.is_char_boundary(i))
                .unwrap();
            events.insert_str(at, rng.pick_one(&["tru", "}{", ",,", "\"\\x\""]));
        }
        let mut doc = match rng.below(3) {
            0 => format!("[{events}]"),
            1 => format!(
                r#"{{"viztracer_metadata": {{"overflow": true}}, "traceEvents": [{events}], "viztracer_metadata": {{"overflow": {}}}, "file_info": {{"files": {{"a.py": ["x = [{{}}, {{\"y\": 1}}]", 1]}}}}}}"#,
                rng.pick_one(&["false", "true"])
            ),
            _ => format!(r#"{{"traceEvents": [{events}], "displayTimeUnit": "ns"}}"#),
        };
        if rng.below(8) == 0 {
            let cut = rng.below(doc.len());
            let cut = (cut..doc.len()).find(|&i| doc.is_char_boundary(i)).unwrap();
            doc.truncate(cut);
        }
        doc
    }

    /// Stops in random places (inside strings, numbers, nested args, between keys), mixed
    /// with real boundaries, ascending and distinct.
    fn random_stops(rng: &mut Rng, bytes: &[u8]) -> Vec<u64> {
        let mut stops: Vec<u64> = (0..1 + rng.below(12))
            .map(|_| rng.below(bytes.len() + 2) as u64)
            .collect();
        stops.extend(guess_boundaries(bytes, 1 + rng.below(16)));
        // Every `{` in some small documents: many are not event starts.
        if bytes.len() < 50_000 && rng.below(4) == 0 {
            stops.extend(memchr::memchr_iter(b'{', bytes).map(|i| i as u64));
        }
        stops.sort_unstable();
        stops.dedup();
        stops
    }

    #[test]
    fn split_reads_equal_the_serial_read_on_generated_traces() {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut joins = 0;
        for round in 0..200 {
            let n = 1 + rng.below(120);
            let doc = document(&mut rng, n);
            for _ in 0..3 {
                let stops = random_stops(&mut rng, doc.as_bytes());
                check_same(doc.as_bytes(), &stops, &format!("document {round}"));
                joins += joined(doc.as_bytes(), &stops);
            }
        }
        // The joins are exercised, not only the fallbacks.
        assert!(joins > 2_000, "only {joins} parts joined");
    }

    #[test]
    fn split_reads_equal_the_serial_read_on_every_chrome_fixture() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut files = Vec::new();
        for dir in ["viztracer", "viztracer/runs", "chrome", "pyspy"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                let name = path.display().to_string();
                if name.ends_with(".json") || name.ends_with(".json.gz") {
                    files.push(path);
                }
            }
        }
        assert!(files.len() >= 20, "{files:?}");
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for path in files {
            let raw = std::fs::read(&path).unwrap();
            let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
                let mut out = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&raw[..]), &mut out)
                    .unwrap();
                out
            } else {
                raw
            };
            let what = path.display().to_string();
            let guessed = guess_boundaries(&bytes, 8);
            check_same(&bytes, &guessed, &what);
            if bytes.len() > 100_000 {
                assert_eq!(joined(&bytes, &guessed), guessed.len(), "{what}");
            }
            check_same(&bytes, &random_stops(&mut rng, &bytes), &what);
        }
    }
}
