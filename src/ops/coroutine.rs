//! Coroutine calls put back together from their resumption slices.
//!
//! viztracer `--log_async` gives every asyncio task its own track (a fake thread named after
//! the task) and records a coroutine the way the interpreter reports it: one slice each time
//! the coroutine runs, from its resumption to its next `await` that suspends. A request handler
//! awaiting four things is five slices, and `handle_request` would count five calls per
//! request. This module finds the slices of one call and makes them one span:
//!
//! - the slices at the top of a task's track are the task's coroutine, one call (a task runs
//!   one coroutine): consecutive top slices of the same function are merged;
//! - inside a merged call, when one slice ends in a coroutine (its last child) and the next
//!   slice starts with the same function (its first child), that child was suspended with its
//!   parent and resumed with it: the two are slices of one call, and so on down the stack.
//!
//! The merged call lasts from its first slice's start to its last slice's end (what a caller
//! waits for); its self time is the time it actually ran (the self times of its slices). C
//! functions (names without a source file) are never resumed, so they are never merged.
//!
//! Limit: a Python function called last before an `await` of something untraced (a bare
//! future) and called again first after the resumption looks like a resumed coroutine; the
//! two calls are counted as one.

use crate::trace::{NameId, Span, Track, TrackKey};

use super::tree::NO_PARENT;

/// The slices of each coroutine call made of more than one slice, as indices into the spans
/// (sorted in call-tree order, `parent` from nesting them), each call's slices in order.
pub fn resumed_calls(
    spans: &[Span],
    parent: &[u32],
    tracks: &[Track],
    resumable: impl Fn(NameId) -> bool,
) -> Vec<Vec<u32>> {
    // Only viztracer's task threads: nestable async tracks (Chrome `b`/`e`) hold operations,
    // not coroutine slices.
    let on_task = |i: usize| {
        let track = &tracks[spans[i].track as usize];
        matches!(track.key, TrackKey::Thread { .. }) && track.is_async_task()
    };
    if !(0..spans.len()).any(on_task) {
        return Vec::new();
    }
    let children = children_on_tasks(spans, parent, &on_task);
    let mut pending = task_coroutines(spans, parent, &on_task);
    let mut calls = Vec::new();
    while let Some(slices) = pending.pop() {
        pending.extend(resumed_children(&slices, spans, &children, &resumable));
        calls.push(slices);
    }
    calls.sort_unstable_by_key(|c| c[0]);
    calls
}

/// The direct children of every span on a task track, in start order (empty elsewhere).
fn children_on_tasks(
    spans: &[Span],
    parent: &[u32],
    on_task: &impl Fn(usize) -> bool,
) -> Vec<Vec<u32>> {
    let mut children = vec![Vec::new(); spans.len()];
    for (i, &p) in parent.iter().enumerate() {
        if p != NO_PARENT && on_task(i) {
            children[p as usize].push(i as u32);
        }
    }
    children
}

/// The top slices of every task track, grouped into calls: runs of consecutive top slices of
/// the same function on one track; only runs of two or more.
fn task_coroutines(
    spans: &[Span],
    parent: &[u32],
    on_task: &impl Fn(usize) -> bool,
) -> Vec<Vec<u32>> {
    let mut calls: Vec<Vec<u32>> = Vec::new();
    let mut run: Vec<u32> = Vec::new();
    for i in (0..spans.len()).filter(|&i| parent[i] == NO_PARENT && on_task(i)) {
        let continues = run.last().is_some_and(|&last| {
            let last = &spans[last as usize];
            last.track == spans[i].track && last.name == spans[i].name
        });
        if !continues {
            calls.extend((run.len() > 1).then(|| std::mem::take(&mut run)));
            run.clear();
        }
        run.push(i as u32);
    }
    calls.extend((run.len() > 1).then_some(run));
    calls
}

/// The calls among the children of one call's slices that were suspended at the end of one
/// slice and resumed at the start of the next (two or more slices each).
fn resumed_children(
    slices: &[u32],
    spans: &[Span],
    children: &[Vec<u32>],
    resumable: &impl Fn(NameId) -> bool,
) -> Vec<Vec<u32>> {
    let mut calls: Vec<Vec<u32>> = Vec::new();
    for pair in slices.windows(2) {
        let (before, after) = (&children[pair[0] as usize], &children[pair[1] as usize]);
        let (Some(&last), Some(&first)) = (before.last(), after.first()) else {
            continue;
        };
        let name = spans[last as usize].name;
        if name != spans[first as usize].name || !resumable(name) {
            continue;
        }
        // A child that is both the last of one slice and the first of the next continues the
        // call begun in an earlier slice.
        match calls.iter_mut().find(|c| c.last() == Some(&last)) {
            Some(call) => call.push(first),
            None => calls.push(vec![last, first]),
        }
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Id;

    fn track(name: &str, tid: i64) -> Track {
        Track {
            key: TrackKey::Thread {
                pid: Id::Int(1),
                tid: Id::Int(tid),
            },
            name: Some(name.into()),
        }
    }

    /// (name, track, ts, dur) in call-tree order, with their parents.
    fn spans(list: &[(u32, u32, f64, f64)]) -> Vec<Span> {
        list.iter()
            .map(|&(name, track, ts, dur)| Span {
                name,
                track,
                ts,
                dur,
            })
            .collect()
    }

    #[test]
    fn slices_of_one_call_are_found_down_the_stack() {
        // Task-1: handler (0) awaits fetch (1) twice in a row, then save (2); `sleep` (3) is
        // asyncio's coroutine under each; 9 is a C function, never resumed.
        let s = spans(&[
            (0, 1, 0.0, 10.0),   // 0 handler, slice 1
            (1, 1, 1.0, 8.0),    // 1   fetch (first call), slice 1
            (3, 1, 2.0, 6.0),    // 2     sleep, slice 1
            (9, 1, 3.0, 1.0),    // 3       C call
            (0, 1, 100.0, 10.0), // 4 handler, slice 2
            (1, 1, 101.0, 2.0),  // 5   fetch (first call), slice 2: returns
            (3, 1, 101.5, 1.0),  // 6     sleep, slice 2
            (1, 1, 104.0, 5.0),  // 7   fetch (second call), slice 1
            (0, 1, 200.0, 10.0), // 8 handler, slice 3
            (1, 1, 201.0, 2.0),  // 9   fetch (second call), slice 2
            (2, 1, 204.0, 5.0),  // 10  save, one slice
            (0, 0, 300.0, 1.0),  // 11 a main-thread span of the same name: not a task
        ]);
        let parent = vec![
            NO_PARENT, 0, 1, 2, NO_PARENT, 4, 5, 4, NO_PARENT, 8, 8, NO_PARENT,
        ];
        let tracks = [track("MainThread", 1), track("Task-1", 2)];
        let calls = resumed_calls(&s, &parent, &tracks, |n| n != 9);
        assert_eq!(
            calls,
            vec![vec![0, 4, 8], vec![1, 5], vec![2, 6], vec![7, 9]]
        );
        // A C function is never a resumption.
        let calls = resumed_calls(&s, &parent, &tracks, |n| n != 1 && n != 9);
        assert_eq!(calls, vec![vec![0, 4, 8]]);
    }

    #[test]
    fn no_task_tracks_no_merging() {
        let s = spans(&[(0, 0, 0.0, 1.0), (0, 0, 2.0, 1.0)]);
        let tracks = [track("MainThread", 1)];
        assert!(resumed_calls(&s, &[NO_PARENT, NO_PARENT], &tracks, |_| true).is_empty());
    }
}
