//! Call trees rebuilt from unsorted spans: every span gets its parent and depth, per track.
//!
//! viztracer writes a call when it returns, so children come before parents and `ts` is not
//! sorted. Spans are sorted per track by start ascending and duration descending (on equal
//! starts the longer span is the parent); a span's parent is the innermost open span that
//! contains it. A span that starts inside another but ends after it (partial overlap, which
//! real files have) is not its child: it nests under the next enclosing span instead.

use crate::trace::{
    AttrValue, Counter, ReadNotes, Span, SpanAttr, SpanAttrKey, Trace, Track, TrackId,
};

use super::{Catalog, OpId, coroutine};

/// `parent` of a root span.
pub const NO_PARENT: u32 = u32::MAX;

/// Tolerance for comparing span boundaries: producers round `ts` and `dur` separately.
const EPSILON_US: f64 = 1e-3;

/// The spans of one trace in call-tree order, with their operations and nesting.
///
/// Spans are stored in pre-order per track (sorted by track, start, longer first), so the
/// descendants of span `i` are the contiguous run `i+1..subtree_end(i)`.
#[derive(Debug, Clone, Default)]
pub struct CallTree {
    /// The trace's name in messages.
    pub source: String,
    pub spans: Vec<Span>,
    /// The operation of each span.
    pub ops: Vec<OpId>,
    /// The index of each span's parent, or [`NO_PARENT`].
    pub parent: Vec<u32>,
    /// 0 for roots.
    pub depth: Vec<u16>,
    pub tracks: Vec<Track>,
    pub notes: ReadNotes,
    /// The query text of the spans that have one (OpenTelemetry `db.statement`), as
    /// (span index in this tree, text), sorted by span; empty for formats without attributes.
    pub statements: Vec<(u32, String)>,
    /// The self time of the coroutine calls merged from several slices (viztracer
    /// `--log_async`, see [`coroutine`](super::coroutine)): the time they actually ran, which
    /// their span (first start to last end, waits included) does not give. As (span index,
    /// µs), sorted by span; empty for traces without asyncio tasks.
    pub running_self: Vec<(u32, f64)>,
    /// The trace's counter series (memory, garbage collection), as read.
    pub counters: Vec<Counter>,
}

impl CallTree {
    /// Builds the tree of one trace, registering its span names as operations in `catalog`.
    pub fn build(trace: Trace, catalog: &mut Catalog) -> CallTree {
        let Trace {
            source,
            names,
            tracks,
            spans,
            notes,
            span_attrs,
            counters,
        } = trace;
        let op_of_name: Vec<OpId> = names.iter().map(|n| catalog.intern_name(n)).collect();
        // Millions of distinct names are hundreds of MB: gone before the sort allocates.
        drop(names);
        let (spans, statements) = sort_spans(spans, span_attrs);
        let (parent, depth) = nest(&spans);
        let calls = coroutine::resumed_calls(&spans, &parent, &tracks, |name| {
            catalog.info(op_of_name[name as usize]).file.is_some()
        });
        let (spans, statements, parent, depth, running_self) = if calls.is_empty() {
            (spans, statements, parent, depth, Vec::new())
        } else {
            let merged = merge_slices(spans, &parent, statements, &calls);
            let (parent, depth) = nest(&merged.spans);
            (
                merged.spans,
                merged.statements,
                parent,
                depth,
                merged.running_self,
            )
        };
        let ops = spans.iter().map(|s| op_of_name[s.name as usize]).collect();
        CallTree {
            source,
            spans,
            ops,
            parent,
            depth,
            tracks,
            notes,
            statements,
            running_self,
            counters,
        }
    }

    /// The query text of span `i`, when the trace gives one.
    pub fn statement(&self, i: usize) -> Option<&str> {
        let k = self
            .statements
            .binary_search_by_key(&(i as u32), |&(s, _)| s)
            .ok()?;
        Some(&self.statements[k].1)
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// One past the last descendant of span `i`.
    pub fn subtree_end(&self, i: usize) -> usize {
        let d = self.depth[i];
        let track = self.spans[i].track;
        let mut j = i + 1;
        while j < self.spans.len() && self.spans[j].track == track && self.depth[j] > d {
            j += 1;
        }
        j
    }

    /// The direct children of span `i`, in start order.
    pub fn children(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.subtree_end(i);
        (i + 1..end).filter(move |&j| self.parent[j] == i as u32)
    }

    /// The ancestors of span `i`, innermost first.
    pub fn ancestors(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let first = Some(self.parent[i]).filter(|&p| p != NO_PARENT);
        std::iter::successors(first, move |&p| {
            Some(self.parent[p as usize]).filter(|&q| q != NO_PARENT)
        })
        .map(|p| p as usize)
    }

    /// Self time of every span: its duration minus its direct children's, never below zero.
    pub fn self_times(&self) -> Vec<f64> {
        let mut self_us: Vec<f64> = self.spans.iter().map(|s| s.dur).collect();
        for (i, &p) in self.parent.iter().enumerate() {
            if p != NO_PARENT {
                self_us[p as usize] -= self.spans[i].dur;
            }
        }
        for v in &mut self_us {
            *v = v.max(0.0);
        }
        for &(i, own) in &self.running_self {
            self_us[i as usize] = own;
        }
        self_us
    }

    /// The self time of a merged coroutine call, when span `i` is one.
    fn running_self_of(&self, i: usize) -> Option<f64> {
        if self.running_self.is_empty() {
            return None;
        }
        let k = self
            .running_self
            .binary_search_by_key(&(i as u32), |&(s, _)| s)
            .ok()?;
        Some(self.running_self[k].1)
    }

    pub fn track(&self, id: TrackId) -> &Track {
        &self.tracks[id as usize]
    }

    /// Links for walking every span's direct children in O(children) (4 bytes a span).
    pub fn child_links(&self) -> ChildLinks<'_> {
        ChildLinks::new(self)
    }
}

/// The direct children of every span of a [`CallTree`], without scanning subtrees.
///
/// In pre-order the first child of `p`, when it has one, is `p + 1`; each child links to its
/// next sibling. One `u32` a span, where first-child/next-sibling lists take two.
#[derive(Debug, Clone)]
pub struct ChildLinks<'a> {
    tree: &'a CallTree,
    next_sibling: Vec<u32>,
}

impl<'a> ChildLinks<'a> {
    fn new(tree: &'a CallTree) -> ChildLinks<'a> {
        let mut next_sibling = vec![NO_PARENT; tree.len()];
        // The path from the root to the previous span, each with its last child seen so far.
        // A span's parent is on that path (everything between a parent and its child in
        // pre-order is inside the parent), so popping down to the parent finds it.
        let mut path: Vec<(u32, u32)> = Vec::new();
        for (i, &p) in tree.parent.iter().enumerate() {
            if p == NO_PARENT {
                path.clear();
            } else {
                while path.last().is_some_and(|&(span, _)| span != p) {
                    path.pop();
                }
                if let Some((_, last_child)) = path.last_mut() {
                    if *last_child != NO_PARENT {
                        next_sibling[*last_child as usize] = i as u32;
                    }
                    *last_child = i as u32;
                }
            }
            path.push((i as u32, NO_PARENT));
        }
        ChildLinks { tree, next_sibling }
    }

    /// The direct children of span `p`, in start order (as [`CallTree::children`]).
    pub fn children(&self, p: usize) -> impl Iterator<Item = usize> + '_ {
        let first = Some(p + 1)
            .filter(|&c| c < self.tree.len() && self.tree.parent[c] == p as u32)
            .map(|c| c as u32);
        std::iter::successors(first, |&c| {
            Some(self.next_sibling[c as usize]).filter(|&s| s != NO_PARENT)
        })
        .map(|c| c as usize)
    }

    /// The self time of span `i`: the value [`CallTree::self_times`] gives it, computed the
    /// same way (children subtracted in start order, never below zero).
    pub fn self_time(&self, i: usize) -> f64 {
        if let Some(own) = self.tree.running_self_of(i) {
            return own;
        }
        let spans = &self.tree.spans;
        let mut own = spans[i].dur;
        for c in self.children(i) {
            own -= spans[c].dur;
        }
        own.max(0.0)
    }
}

/// The order of the call tree: by track, start ascending, longer first. Stable: among equal
/// starts and durations, the span opened first (in file order) stays first and is the parent.
fn tree_order(a: &Span, b: &Span) -> std::cmp::Ordering {
    a.track
        .cmp(&b.track)
        .then_with(|| a.ts.total_cmp(&b.ts))
        .then_with(|| b.dur.total_cmp(&a.dur))
}

/// Sorts the spans into call-tree order, carrying along the query texts of the attributes
/// (the only attribute kept), re-indexed to the sorted spans.
fn sort_spans(mut spans: Vec<Span>, span_attrs: Vec<SpanAttr>) -> (Vec<Span>, Vec<(u32, String)>) {
    if !span_attrs.iter().any(|a| a.key == SpanAttrKey::DbStatement) {
        sort_halves_then_merge(&mut spans, tree_order);
        return (spans, Vec::new());
    }
    let statements = span_attrs
        .into_iter()
        .filter(|a| a.key == SpanAttrKey::DbStatement)
        .filter_map(|a| match a.value {
            AttrValue::Str(text) => Some((a.span, text)),
            _ => None,
        })
        .collect();
    reorder(spans, statements)
}

/// A stable sort in the same order as `slice::sort_by`, on two threads: each half is sorted
/// on its own (in parallel), then the halves are merged, the left one first on ties. The
/// extra memory is half the slice, as for `sort_by`.
fn sort_halves_then_merge<T: Copy + Send>(
    items: &mut [T],
    order: impl Fn(&T, &T) -> std::cmp::Ordering + Sync,
) {
    const MIN_PARALLEL: usize = 1 << 16;
    if items.len() < MIN_PARALLEL || crate::threads::available() < 2 {
        items.sort_by(&order);
        return;
    }
    let mid = items.len() / 2;
    let (left, right) = items.split_at_mut(mid);
    rayon::join(|| left.sort_by(&order), || right.sort_by(&order));
    let left = items[..mid].to_vec();
    let (mut l, mut r, mut out) = (0, mid, 0);
    while l < left.len() && r < items.len() {
        if order(&items[r], &left[l]) == std::cmp::Ordering::Less {
            items[out] = items[r];
            r += 1;
        } else {
            items[out] = left[l];
            l += 1;
        }
        out += 1;
    }
    // The rest of the right half is already in place.
    items[out..out + left.len() - l].copy_from_slice(&left[l..]);
}

/// Sorts spans by [`tree_order`] through a permutation, so that the statements (by span index)
/// follow their spans.
fn reorder(spans: Vec<Span>, statements: Vec<(u32, String)>) -> (Vec<Span>, Vec<(u32, String)>) {
    let mut perm: Vec<u32> = (0..spans.len() as u32).collect();
    perm.sort_by(|&a, &b| tree_order(&spans[a as usize], &spans[b as usize]));
    let mut new_index = vec![0u32; spans.len()];
    for (new, &old) in perm.iter().enumerate() {
        new_index[old as usize] = new as u32;
    }
    let spans = perm.iter().map(|&old| spans[old as usize]).collect();
    let mut statements: Vec<(u32, String)> = statements
        .into_iter()
        .map(|(i, text)| (new_index[i as usize], text))
        .collect();
    statements.sort_by_key(|&(i, _)| i);
    (spans, statements)
}

/// The spans once the slices of each coroutine call are one span.
struct Merged {
    spans: Vec<Span>,
    statements: Vec<(u32, String)>,
    running_self: Vec<(u32, f64)>,
}

/// Replaces the slices of every call of `calls` (indices into `spans`, in call-tree order with
/// `parent`) by one span from the first slice's start to the last one's end, whose self time
/// is the sum of the slices' self times. A statement of a slice goes to its call (the first).
fn merge_slices(
    spans: Vec<Span>,
    parent: &[u32],
    statements: Vec<(u32, String)>,
    calls: &[Vec<u32>],
) -> Merged {
    let mut own: Vec<f64> = spans.iter().map(|s| s.dur).collect();
    for (i, &p) in parent.iter().enumerate() {
        if p != NO_PARENT {
            own[p as usize] -= spans[i].dur;
        }
    }
    // The call each slice belongs to.
    let mut call_of = vec![NO_PARENT; spans.len()];
    for (c, slices) in calls.iter().enumerate() {
        for &s in slices {
            call_of[s as usize] = c as u32;
        }
    }
    let mut new_index = vec![0u32; spans.len()];
    let mut call_index = vec![0u32; calls.len()];
    let mut merged = Vec::with_capacity(spans.len());
    let mut running: Vec<(u32, f64)> = Vec::with_capacity(calls.len());
    for (i, span) in spans.iter().enumerate() {
        let c = call_of[i];
        if c == NO_PARENT {
            new_index[i] = merged.len() as u32;
            merged.push(*span);
            continue;
        }
        let slices = &calls[c as usize];
        if slices[0] as usize == i {
            call_index[c as usize] = merged.len() as u32;
            let last = &spans[*slices.last().unwrap_or(&slices[0]) as usize];
            running.push((
                merged.len() as u32,
                slices.iter().map(|&s| own[s as usize].max(0.0)).sum(),
            ));
            merged.push(Span {
                dur: (last.end() - span.ts).max(span.dur),
                ..*span
            });
        }
        new_index[i] = call_index[c as usize];
    }
    // Merging keeps the call-tree order but for ties; sort again, carrying the indices.
    let n = merged.len();
    let mut perm: Vec<u32> = (0..n as u32).collect();
    perm.sort_by(|&a, &b| tree_order(&merged[a as usize], &merged[b as usize]));
    let mut sorted_index = vec![0u32; n];
    for (new, &old) in perm.iter().enumerate() {
        sorted_index[old as usize] = new as u32;
    }
    let mut statements: Vec<(u32, String)> = statements
        .into_iter()
        .map(|(i, text)| (sorted_index[new_index[i as usize] as usize], text))
        .collect();
    statements.sort_by_key(|&(i, _)| i);
    statements.dedup_by_key(|(i, _)| *i);
    for (i, _) in &mut running {
        *i = sorted_index[*i as usize];
    }
    running.sort_by_key(|&(i, _)| i);
    Merged {
        spans: perm.iter().map(|&old| merged[old as usize]).collect(),
        statements,
        running_self: running,
    }
}

/// Parent and depth of spans sorted by (track, ts asc, dur desc).
fn nest(spans: &[Span]) -> (Vec<u32>, Vec<u16>) {
    let mut parent = vec![NO_PARENT; spans.len()];
    let mut depth = vec![0u16; spans.len()];
    let mut stack: Vec<usize> = Vec::new();
    let mut track = None;
    for (i, span) in spans.iter().enumerate() {
        if track != Some(span.track) {
            stack.clear();
            track = Some(span.track);
        }
        while let Some(&top) = stack.last() {
            let top_end = spans[top].end();
            let ended = top_end <= span.ts + EPSILON_US;
            let overlaps_out = top_end < span.end() - EPSILON_US;
            if ended || overlaps_out {
                stack.pop();
            } else {
                break;
            }
        }
        if let Some(&top) = stack.last() {
            parent[i] = top as u32;
            depth[i] = depth[top].saturating_add(1);
        }
        stack.push(i);
    }
    (parent, depth)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn halves_sorted_then_merged_equal_one_stable_sort() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for n in [0, 1, 5, 1 << 16, (1 << 17) + 3] {
            // Few distinct keys: many ties, whose order (the tag) a stable sort keeps.
            let items: Vec<(u64, u32)> = (0..n as u32)
                .map(|tag| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state % 97, tag)
                })
                .collect();
            let by_key = |a: &(u64, u32), b: &(u64, u32)| a.0.cmp(&b.0);
            let mut want = items.clone();
            want.sort_by(by_key);
            let mut got = items;
            sort_halves_then_merge(&mut got, by_key);
            assert!(got == want, "n = {n}");
        }
    }
    use crate::ops::KeyMode;

    /// A trace of (name, thread, start µs, duration µs).
    pub(crate) fn trace(spans: &[(&str, u32, f64, f64)]) -> Trace {
        let mut names: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for &(name, track, ts, dur) in spans {
            let id = names.iter().position(|n| n == name).unwrap_or_else(|| {
                names.push(name.to_string());
                names.len() - 1
            });
            out.push(Span {
                name: id as u32,
                track,
                ts,
                dur,
            });
        }
        let tracks = (0..2)
            .map(|t| Track {
                key: crate::trace::TrackKey::Thread {
                    pid: crate::trace::Id::Int(1),
                    tid: crate::trace::Id::Int(t),
                },
                name: None,
            })
            .collect();
        Trace {
            source: "t".into(),
            names: names.into_iter().collect(),
            tracks,
            spans: out,
            notes: ReadNotes::default(),
            span_attrs: Vec::new(),
            counters: Vec::new(),
        }
    }

    fn named_parents(tree: &CallTree, cat: &Catalog) -> Vec<(String, Option<String>)> {
        (0..tree.len())
            .map(|i| {
                let name = cat.info(tree.ops[i]).key.clone();
                let p = tree.parent[i];
                let pname = (p != NO_PARENT).then(|| cat.info(tree.ops[p as usize]).key.clone());
                (name, pname)
            })
            .collect()
    }

    #[test]
    fn children_written_before_parents_are_nested() {
        // viztracer order: children return first.
        let t = trace(&[
            ("child_a", 0, 1.0, 2.0),
            ("child_b", 0, 4.0, 3.0),
            ("parent", 0, 0.0, 10.0),
            ("other_thread", 1, 2.0, 1.0),
        ]);
        let mut cat = Catalog::new(KeyMode::File);
        let tree = CallTree::build(t, &mut cat);
        let got = named_parents(&tree, &cat);
        assert_eq!(
            got,
            vec![
                ("parent".into(), None),
                ("child_a".into(), Some("parent".into())),
                ("child_b".into(), Some("parent".into())),
                ("other_thread".into(), None),
            ]
        );
        let self_us = tree.self_times();
        assert_eq!(self_us, vec![5.0, 2.0, 3.0, 1.0]);
        assert_eq!(tree.children(0).collect::<Vec<_>>(), vec![1, 2]);
        let links = tree.child_links();
        assert_eq!(links.children(0).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(links.children(1).count(), 0);
        let linked: Vec<f64> = (0..tree.len()).map(|i| links.self_time(i)).collect();
        assert_eq!(linked, self_us);
        assert_eq!(tree.ancestors(2).collect::<Vec<_>>(), vec![0]);
    }

    #[test]
    fn child_links_give_the_children_and_self_times_of_real_traces() {
        for f in [
            "viztracer/n_plus_one.json",
            "viztracer/async_blocking.json.gz",
            "chrome/startup.json.gz",
            "pyspy/record.json",
        ] {
            let path = format!("{}/tests/fixtures/{f}", env!("CARGO_MANIFEST_DIR"));
            let trace = crate::trace::read_trace(&crate::trace::TraceSource::parse(&path)).unwrap();
            let mut cat = Catalog::new(KeyMode::File);
            let tree = CallTree::build(trace, &mut cat);
            let links = tree.child_links();
            let self_us = tree.self_times();
            let mut with_children = 0;
            for (i, own) in self_us.iter().enumerate() {
                let want: Vec<usize> = tree.children(i).collect();
                assert_eq!(links.children(i).collect::<Vec<_>>(), want, "{f} span {i}");
                assert_eq!(links.self_time(i).to_bits(), own.to_bits(), "{f} {i}");
                with_children += usize::from(!want.is_empty());
            }
            assert!(with_children > 10, "{f}");
        }
    }

    #[test]
    fn equal_start_longer_is_parent_and_partial_overlap_is_no_child() {
        let t = trace(&[
            ("inner", 0, 0.0, 4.0),
            ("outer", 0, 0.0, 10.0),
            ("overlap", 0, 8.0, 5.0),
        ]);
        let mut cat = Catalog::new(KeyMode::File);
        let tree = CallTree::build(t, &mut cat);
        let got = named_parents(&tree, &cat);
        assert_eq!(
            got,
            vec![
                ("outer".into(), None),
                ("inner".into(), Some("outer".into())),
                ("overlap".into(), None),
            ]
        );
    }
}
