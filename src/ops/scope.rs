//! Which operations a command looks at: `--include`/`--exclude` and the `[scope]` section of
//! budgets.toml, as one [`Scope`].
//!
//! An operation out of scope is dropped as if it had not been traced: its calls leave the call
//! trees ([`prune_tree`]), the calls beneath them hang under the nearest caller in scope, and
//! their time counts as that caller's own time. Inclusive times of the operations kept do not
//! change. The commands apply it once, right after the operations are built (traces in
//! `commands::load`, baselines with [`prune_profile`]), so budgets, red flags, the comparison,
//! saved baselines and every report see the same operations.
//!
//! A selector is one of:
//! - `own`, `library`, `unknown` (or `origin:own`, ...): whose code it is ([`Origin`]);
//! - `file:PATTERN`: the source file as reports show it (relative to the repository, or a
//!   library's module path such as `json/decoder.py`), or its base name;
//! - `name:PATTERN`, or a bare `PATTERN`: the function name or operation key, as budgets match.
//!
//! PATTERN is a glob, or a regular expression after `regex:` ([`Pattern`]). An operation is in
//! scope when it matches an include selector (or there is none) and no exclude selector.

use std::collections::{BTreeMap, BTreeSet};

use super::identity::short_file;
use super::pattern::Pattern;
use super::profile::{ChildEdge, OpProfile, Profile};
use super::tree::{CallTree, NO_PARENT};
use super::{Catalog, OpInfo, Origin};

/// One way of picking operations.
#[derive(Debug, Clone)]
pub enum Selector {
    Origin(Origin),
    File(Pattern),
    Name(Pattern),
}

impl Selector {
    /// Reads one selector; the error names it and says what is accepted.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let text = text.trim();
        let origin = text.strip_prefix("origin:").unwrap_or(text);
        match origin {
            "own" => return Ok(Selector::Origin(Origin::Own)),
            "library" => return Ok(Selector::Origin(Origin::Library)),
            "unknown" => return Ok(Selector::Origin(Origin::Unknown)),
            _ if text.starts_with("origin:") => {
                return Err(format!(
                    "unknown origin `{origin}` in `{text}`; expected own, library or unknown"
                ));
            }
            _ => {}
        }
        let with_context = |e: String| format!("`{text}`: {e}");
        if let Some(file) = text.strip_prefix("file:") {
            return Pattern::new(file).map(Selector::File).map_err(with_context);
        }
        let name = text.strip_prefix("name:").unwrap_or(text);
        Pattern::new(name).map(Selector::Name).map_err(with_context)
    }

    fn matches(&self, info: &OpInfo) -> bool {
        match self {
            Selector::Origin(origin) => info.origin == *origin,
            Selector::File(p) => info
                .file
                .as_deref()
                .is_some_and(|f| p.is_match(f) || p.is_match(short_file(f))),
            Selector::Name(p) => p.matches_op(info),
        }
    }
}

/// The operations a command looks at: everything (the default), or those the selectors keep.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    include: Vec<Selector>,
    exclude: Vec<Selector>,
    /// The selectors as written, for notes: `include own; exclude name:list.*`.
    text: String,
}

impl Scope {
    /// A scope from include and exclude selectors; the error names the bad one.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Scope, String> {
        let parse = |list: &[String]| {
            list.iter()
                .map(|s| Selector::parse(s))
                .collect::<Result<Vec<_>, _>>()
        };
        let mut parts = Vec::new();
        if !include.is_empty() {
            parts.push(format!("include {}", include.join(", ")));
        }
        if !exclude.is_empty() {
            parts.push(format!("exclude {}", exclude.join(", ")));
        }
        Ok(Scope {
            include: parse(include)?,
            exclude: parse(exclude)?,
            text: parts.join("; "),
        })
    }

    /// Whether it keeps every operation.
    pub fn is_everything(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether the operation is in scope.
    pub fn keeps(&self, info: &OpInfo) -> bool {
        let included = self.include.is_empty() || self.include.iter().any(|s| s.matches(info));
        included && !self.exclude.iter().any(|s| s.matches(info))
    }

    /// The selectors as written: `include own; exclude name:list.*`.
    pub fn describe(&self) -> &str {
        &self.text
    }
}

/// The tree without the calls of operations out of `catalog`'s scope: each call kept hangs
/// under its nearest ancestor kept, so an excluded call's time becomes that ancestor's own
/// time (self times are computed from the parent links).
pub fn prune_tree(tree: CallTree, catalog: &Catalog) -> CallTree {
    let keep: Vec<bool> = tree.ops.iter().map(|&op| catalog.in_scope(op)).collect();
    if keep.iter().all(|&k| k) {
        return tree;
    }
    let n = tree.len();
    let mut new_index = vec![NO_PARENT; n];
    // The new index of each span's nearest ancestor kept (itself excluded).
    let mut up = vec![NO_PARENT; n];
    let mut parent = Vec::new();
    let mut depth: Vec<u16> = Vec::new();
    for i in 0..n {
        let p = tree.parent[i];
        up[i] = match p {
            NO_PARENT => NO_PARENT,
            p if keep[p as usize] => new_index[p as usize],
            p => up[p as usize],
        };
        if keep[i] {
            new_index[i] = parent.len() as u32;
            parent.push(up[i]);
            depth.push(match up[i] {
                NO_PARENT => 0,
                q => depth[q as usize] + 1,
            });
        }
    }
    let kept = |i: &usize| keep[*i];
    let spans = (0..n).filter(kept).map(|i| tree.spans[i]).collect();
    let ops = (0..n).filter(kept).map(|i| tree.ops[i]).collect();
    let statements = tree
        .statements
        .into_iter()
        .filter(|(i, _)| keep[*i as usize])
        .map(|(i, text)| (new_index[i as usize], text))
        .collect();
    CallTree {
        spans,
        ops,
        parent,
        depth,
        statements,
        ..tree
    }
}

/// A saved profile (a baseline) without the operations `keeps` rejects (by key), as
/// [`prune_tree`] would have left it: a dropped operation's children move to its callers and
/// its time becomes theirs. A profile has only direct edges summed per operation, so the move
/// is split between callers by their share of the dropped operation's calls: exact for an
/// operation with one caller and no recursion, an estimate otherwise; per-run self times get
/// the added time in proportion to each run's inclusive time.
pub fn prune_profile(profile: &mut Profile, keeps: impl Fn(&str) -> bool) {
    let dropped: BTreeSet<String> = profile
        .operations
        .keys()
        .filter(|k| !keeps(k))
        .cloned()
        .collect();
    for key in &dropped {
        let Some(gone) = profile.operations.remove(key) else {
            continue;
        };
        for caller in profile.operations.values_mut() {
            if let Some(edge) = caller.children.remove(key) {
                adopt_children(caller, &edge, &gone, key);
            }
        }
    }
}

/// `caller` called the dropped operation `gone` (`edge`): it takes over its share of the
/// children, and the rest of the time becomes its own.
fn adopt_children(caller: &mut OpProfile, edge: &ChildEdge, gone: &OpProfile, key: &str) {
    let share = edge.calls as f64 / gone.count.max(1) as f64;
    let mut moved_us = 0.0;
    let adopted: BTreeMap<&String, &ChildEdge> =
        gone.children.iter().filter(|(k, _)| *k != key).collect();
    for (child, e) in adopted {
        let to = caller.children.entry(child.clone()).or_default();
        to.calls += (e.calls as f64 * share).round() as u64;
        to.total_us += e.total_us * share;
        to.self_us += e.self_us * share;
        moved_us += e.total_us * share;
    }
    let own_us = (edge.total_us - moved_us).max(0.0);
    caller.self_us += own_us;
    let run_total: f64 = caller.per_run.iter().map(|r| r.total_us).sum();
    if run_total > 0.0 {
        for run in &mut caller.per_run {
            run.self_us += own_us * run.total_us / run_total;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{KeyMode, RunFigures};
    use crate::trace::{TraceSource, read_trace};

    fn info(function: &str, file: Option<&str>, origin: Origin) -> OpInfo {
        OpInfo {
            key: match file {
                Some(f) => format!("{function} ({})", short_file(f)),
                None => function.to_string(),
            },
            function: function.to_string(),
            file: file.map(Into::into),
            line: Some(3),
            origin,
        }
    }

    fn scope(include: &[&str], exclude: &[&str]) -> Scope {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Scope::new(&own(include), &own(exclude)).unwrap()
    }

    #[test]
    fn selectors_pick_by_origin_file_and_name() {
        let handler = info("handle", Some("app/web/handler.py"), Origin::Own);
        let decoder = info("decode", Some("json/decoder.py"), Origin::Library);
        let append = info("list.append", None, Origin::Unknown);
        let own = scope(&["own"], &[]);
        assert!(own.keeps(&handler) && !own.keeps(&decoder) && !own.keeps(&append));
        let no_builtins = scope(&[], &["unknown", "file:json/*"]);
        assert!(no_builtins.keeps(&handler));
        assert!(!no_builtins.keeps(&decoder) && !no_builtins.keeps(&append));
        // A bare pattern is a name; file patterns also match the base name.
        let s = scope(&["file:handler.py", "list.*"], &["name:handle"]);
        assert!(!s.keeps(&handler) && s.keeps(&append) && !s.keeps(&decoder));
        assert!(scope(&["regex:^dec"], &[]).keeps(&decoder));
        assert!(Scope::default().keeps(&append) && Scope::default().is_everything());
        assert_eq!(
            scope(&["own"], &["list.*", "file:tests/*"]).describe(),
            "include own; exclude list.*, file:tests/*"
        );
    }

    #[test]
    fn bad_selectors_are_named() {
        let e = Scope::new(&["origin:mine".into()], &[]).unwrap_err();
        assert!(e.contains("unknown origin `mine`"), "{e}");
        let e = Scope::new(&[], &["file:src/[".into()]).unwrap_err();
        assert!(e.starts_with("`file:src/[`: invalid glob"), "{e}");
    }

    /// The n_plus_one fixture: `handle_request` → `get_user` → `fetch` (a viztracer trace).
    fn fixture_tree(catalog: &mut Catalog) -> CallTree {
        let path = format!(
            "{}/tests/fixtures/viztracer/n_plus_one.json",
            env!("CARGO_MANIFEST_DIR")
        );
        CallTree::build(read_trace(&TraceSource::parse(&path)).unwrap(), catalog)
    }

    #[test]
    fn pruned_calls_give_their_time_to_the_caller_kept() {
        let mut full_catalog = Catalog::new(KeyMode::File);
        let full = fixture_tree(&mut full_catalog);
        let full_profile = Profile::from_trees(std::slice::from_ref(&full), &full_catalog);
        // An operation called from one caller only (where a saved profile's prune is exact)
        // that calls others, and that caller.
        let (middle, parent) = full_profile
            .operations
            .iter()
            .flat_map(|(parent, op)| op.children.iter().map(move |(c, e)| (c, parent, e)))
            .find(|(c, _, e)| {
                let op = &full_profile.operations[*c];
                op.count == e.calls && op.children.keys().any(|g| g != *c)
            })
            .map(|(c, parent, _)| (c, parent))
            .expect("the fixture nests three levels");
        let excluded = full_profile.operations[middle].function.clone();
        let mut catalog =
            Catalog::new(KeyMode::File).scoped(scope(&[], &[&format!("name:{excluded}")]));
        let pruned = prune_tree(fixture_tree(&mut catalog), &catalog);
        let profile = Profile::from_trees(std::slice::from_ref(&pruned), &catalog);

        assert!(!profile.operations.contains_key(middle.as_str()));
        let (before, after) = (
            &full_profile.operations[parent],
            &profile.operations[parent],
        );
        // Inclusive time and calls of the caller are untouched; its own time took the
        // excluded calls' time minus what their children took.
        assert_eq!(
            (after.count, after.total_us),
            (before.count, before.total_us)
        );
        // The excluded calls' own time (their self time under this caller) became its own.
        let expected = before.self_us + before.children[middle].self_us;
        assert!((after.self_us - expected).abs() < 1e-6, "{after:?}");
        let children: f64 = after.children.values().map(|e| e.total_us).sum();
        assert!((after.self_us + children - after.total_us).abs() < 1e-6);
        // The grandchildren hang under the caller now.
        for g in full_profile.operations[middle].children.keys() {
            assert!(after.children.contains_key(g), "{g} under {parent}");
        }
        // Depths stay consistent with the parents.
        for (i, &p) in pruned.parent.iter().enumerate() {
            let d = if p == NO_PARENT {
                0
            } else {
                pruned.depth[p as usize] + 1
            };
            assert_eq!(pruned.depth[i], d);
        }

        // The same exclusion on the saved profile gives the same figures.
        let mut saved = full_profile.clone();
        prune_profile(&mut saved, |k| k != middle);
        let s = &saved.operations[parent];
        assert_eq!(
            s.children.keys().collect::<Vec<_>>(),
            after.children.keys().collect::<Vec<_>>()
        );
        assert!((s.self_us - after.self_us).abs() < 1e-6);
        for (k, e) in &after.children {
            assert_eq!(s.children[k].calls, e.calls, "{k}");
            assert!((s.children[k].total_us - e.total_us).abs() < 1e-6, "{k}");
        }
    }

    #[test]
    fn a_profile_prune_spreads_own_time_over_runs() {
        let op = |total: f64, children: &[(&str, u64, f64)], runs: &[f64]| OpProfile {
            count: 2,
            total_us: total,
            self_us: total - children.iter().map(|c| c.2).sum::<f64>(),
            per_run: runs
                .iter()
                .map(|&t| RunFigures {
                    count: 1,
                    total_us: t,
                    ..RunFigures::default()
                })
                .collect(),
            children: children
                .iter()
                .map(|&(k, calls, total_us)| {
                    (
                        k.to_string(),
                        ChildEdge {
                            calls,
                            total_us,
                            self_us: total_us,
                        },
                    )
                })
                .collect(),
            ..OpProfile::default()
        };
        let mut p = Profile {
            runs: 2,
            operations: [
                (
                    "main".to_string(),
                    op(100.0, &[("wrap", 2, 60.0)], &[40.0, 60.0]),
                ),
                (
                    "wrap".to_string(),
                    op(60.0, &[("leaf", 4, 20.0)], &[30.0, 30.0]),
                ),
                ("leaf".to_string(), op(20.0, &[], &[10.0, 10.0])),
            ]
            .into_iter()
            .collect(),
            ..Profile::default()
        };
        prune_profile(&mut p, |k| k != "wrap");
        let main = &p.operations["main"];
        assert_eq!(main.self_us, 40.0 + 40.0);
        assert_eq!(main.children["leaf"].calls, 4);
        assert_eq!(main.children["leaf"].total_us, 20.0);
        assert_eq!(main.per_run[0].self_us, 16.0);
        assert_eq!(main.per_run[1].self_us, 24.0);
    }
}
