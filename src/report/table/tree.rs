//! `summary --tree NAME`: the call paths under the slowest calls of an operation, as an
//! indented tree with each path's time and its share of the calls' time, widest first.

use super::super::escape::terminal;
use crate::outcome::pictures::SlowestCalls;
use crate::outcome::units::human_us;

/// The tree section: a heading line, then one line per call path.
pub fn render(s: &SlowestCalls) -> String {
    let mut out = format!(
        "Where the time of the {} slowest of {} calls of {} goes ({} to {} each, {} in all):\n",
        s.slowest,
        s.calls,
        terminal(&s.pattern),
        human_us(s.shortest_taken_us),
        human_us(s.longest_taken_us),
        human_us(s.slowest_total_us),
    );
    out.push_str(&format!(
        "{:>9} {:>7} {:>9}  call path\n",
        "time", "share", "own time"
    ));
    let frames = &s.paths.frames;
    let whole = s.slowest_total_us.max(f64::MIN_POSITIVE);
    for (i, depth) in depth_first(s) {
        let f = &frames[i];
        let indent = if depth == 0 {
            String::new()
        } else {
            format!("{}└ ", "  ".repeat(depth - 1))
        };
        out.push_str(&format!(
            "{:>9} {:>6.1}% {:>9}  {indent}{}\n",
            human_us(f.total_us),
            f.total_us / whole * 100.0,
            human_us(f.self_us),
            terminal(&f.operation)
        ));
    }
    if s.paths.merged_paths > 0 {
        out.push_str(&format!(
            "({} call paths under {}% of the time are counted in their caller's own time)\n",
            s.paths.merged_paths,
            s.paths.min_share * 100.0
        ));
    }
    out
}

/// The frames in depth-first order, each caller's callees widest first, with their depth.
fn depth_first(s: &SlowestCalls) -> Vec<(usize, usize)> {
    let frames = &s.paths.frames;
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); frames.len()];
    let mut roots = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        match f.parent {
            Some(p) => children[p as usize].push(i),
            None => roots.push(i),
        }
    }
    let widest_first = |v: &mut Vec<usize>| {
        v.sort_by(|&a, &b| frames[b].total_us.total_cmp(&frames[a].total_us));
    };
    widest_first(&mut roots);
    children.iter_mut().for_each(widest_first);
    let mut order = Vec::with_capacity(frames.len());
    let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|&r| (r, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        order.push((i, depth));
        stack.extend(children[i].iter().rev().map(|&c| (c, depth + 1)));
    }
    order
}
