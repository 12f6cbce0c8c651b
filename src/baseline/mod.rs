//! Baselines: the committed, compact summary of one comparison side ([`Baseline`]), its file
//! format, merging baselines saved on several CI shards, and reading them at a git revision
//! ([`git`]).
//!
//! The file is a versioned JSON document:
//!
//! ```text
//! {
//!   "perfgate_baseline": 1,
//!   "key_mode": "file",
//!   "sources": ["trace.json"],
//!   "runs": 1,
//!   "operations": {
//!     "call_claude (diagnostic.py)": {"function": .., "count": 12, "total_us": .., "sample_us": [..], ..},
//!     ...
//!   }
//! }
//! ```
//!
//! One operation per line, keys sorted, so a diff shows which operations changed. Times are
//! rounded to the nanosecond (the resolution viztracer writes) and each operation keeps at
//! most [`MAX_SAMPLE`] durations: evenly spaced order statistics of the sorted durations
//! (min and max included), while `count`, `total_us`, `min_us` and `max_us` stay exact. The
//! same traces always give the same bytes: nothing in the file comes from the clock or the
//! machine, only from the traces and the paths they were given as.

pub mod git;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ops::{ChildEdge, KeyMode, OpProfile, Origin, Profile, RunFigures};

/// The version of the file format written by this perfgate.
pub const FORMAT_VERSION: u32 = 1;

/// The most durations kept per operation.
pub const MAX_SAMPLE: usize = 200;

/// The key that identifies a baseline file; written first so that it can be sniffed.
const MAGIC_KEY: &str = "perfgate_baseline";

/// Why a baseline could not be read, merged or written. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The message holds the I/O error (not chained as a source, so it prints once).
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: byte {offset} (line {line}, column {column}): {message}")]
    Syntax {
        path: String,
        offset: usize,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: not a perfgate baseline (no \"perfgate_baseline\" version field)")]
    NotABaseline { path: String },
    #[error(
        "{path}: baseline format version {found} is newer than this perfgate reads ({FORMAT_VERSION}); upgrade perfgate"
    )]
    NewerVersion { path: String, found: u64 },
    #[error("{path}: operation {operation:?}: {message}")]
    Invalid {
        path: String,
        operation: String,
        message: String,
    },
    #[error(
        "cannot merge baselines keyed differently: {first} uses --key {first_mode}, {other} uses --key {other_mode}"
    )]
    KeyModeMismatch {
        first: String,
        first_mode: KeyMode,
        other: String,
        other_mode: KeyMode,
    },
    #[error("nothing to merge")]
    Empty,
    #[error(transparent)]
    Git(#[from] git::GitError),
    #[error(
        "{label}: not a perfgate baseline (a side read from git must be a baseline saved with `perfgate baseline save`)"
    )]
    GitBlobNotABaseline { label: String },
}

/// A saved comparison side: a [`Profile`] whose durations are a bounded sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// How the operations were keyed when it was saved.
    pub key_mode: KeyMode,
    /// Sources, runs and operations; `durations_us` holds the sample.
    pub profile: Profile,
    /// What was odd about the traces it was saved from (a truncated file, unmatched
    /// events), `source: sentence` each, so a comparison with it says so too.
    pub warnings: Vec<String>,
}

/// One operation as the file stores it (field order is the file's key order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FileOp {
    function: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    /// `"library"` for library code: its `file` is then a module path (`json/decoder.py`)
    /// that cannot tell itself from a file of the repository once saved. Absent otherwise
    /// (and in older baselines): the file is located again when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin: Option<Origin>,
    count: u64,
    total_us: f64,
    self_us: f64,
    min_us: f64,
    max_us: f64,
    sample_us: Vec<f64>,
    per_run: Vec<RunFigures>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    children: BTreeMap<String, ChildEdge>,
}

/// The whole document, for reading.
#[derive(Debug, Deserialize)]
struct FileDoc {
    key_mode: KeyMode,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    warnings: Vec<String>,
    runs: u32,
    operations: BTreeMap<String, FileOp>,
}

impl Baseline {
    /// Summarises a side built from traces: durations sampled, times rounded to the ns.
    pub fn from_profile(profile: &Profile, key_mode: KeyMode) -> Baseline {
        let operations = profile
            .operations
            .iter()
            .map(|(key, op)| {
                let durations: Vec<f64> = op.durations_us.iter().map(|&d| round_ns(d)).collect();
                let sample = merge_samples(&[(&durations, op.count)]);
                let op = OpProfile {
                    total_us: round_ns(op.total_us),
                    self_us: round_ns(op.self_us),
                    min_us: round_ns(op.min_us),
                    max_us: round_ns(op.max_us),
                    durations_us: sample,
                    per_run: op.per_run.iter().map(round_run).collect(),
                    children: round_children(&op.children),
                    ..op.clone()
                };
                (key.clone(), op)
            })
            .collect();
        Baseline {
            key_mode,
            profile: Profile {
                sampled: false,
                run_shares: Vec::new(),
                sources: profile.sources.clone(),
                runs: profile.runs,
                operations,
            },
            warnings: Vec::new(),
        }
    }

    /// The same baseline, remembering what was odd about its traces.
    pub fn with_warnings(mut self, warnings: Vec<String>) -> Baseline {
        self.warnings = warnings;
        self
    }

    /// The file's bytes: pretty at the top, one operation per line, a final newline.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\n");
        out.push_str(&format!("  \"{MAGIC_KEY}\": {FORMAT_VERSION},\n"));
        out.push_str(&format!("  \"key_mode\": {},\n", json(&self.key_mode)));
        out.push_str(&format!(
            "  \"sources\": {},\n",
            json(&self.profile.sources)
        ));
        if !self.warnings.is_empty() {
            out.push_str(&format!("  \"warnings\": {},\n", json(&self.warnings)));
        }
        out.push_str(&format!("  \"runs\": {},\n", self.profile.runs));
        out.push_str("  \"operations\": {");
        let mut first = true;
        for (key, op) in &self.profile.operations {
            out.push_str(if first { "\n" } else { ",\n" });
            first = false;
            out.push_str(&format!("    {}: {}", json(key), json(&to_file_op(op))));
        }
        out.push_str(if first { "}\n}\n" } else { "\n  }\n}\n" });
        out
    }

    /// Parses a baseline file's bytes; `path` names it in errors.
    pub fn from_slice(bytes: &[u8], path: &str) -> Result<Baseline, BaselineError> {
        let syntax = |e: serde_json::Error| syntax_error(bytes, path, &e);
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(syntax)?;
        match value.get(MAGIC_KEY).and_then(serde_json::Value::as_u64) {
            None => {
                return Err(BaselineError::NotABaseline { path: path.into() });
            }
            Some(v) if v > u64::from(FORMAT_VERSION) => {
                return Err(BaselineError::NewerVersion {
                    path: path.into(),
                    found: v,
                });
            }
            Some(_) => {}
        }
        // Decoding the text again (not the Value) keeps serde's line and column for errors.
        let doc: FileDoc = serde_json::from_slice(bytes).map_err(syntax)?;
        let mut operations = BTreeMap::new();
        for (key, op) in doc.operations {
            validate(&op, doc.runs).map_err(|message| BaselineError::Invalid {
                path: path.into(),
                operation: key.clone(),
                message,
            })?;
            operations.insert(key, from_file_op(op));
        }
        Ok(Baseline {
            key_mode: doc.key_mode,
            profile: Profile {
                sampled: false,
                run_shares: Vec::new(),
                sources: doc.sources,
                runs: doc.runs,
                operations,
            },
            warnings: doc.warnings,
        })
    }

    /// Reads a baseline file.
    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| BaselineError::Io {
            path: name.clone(),
            error,
        })?;
        Baseline::from_slice(&bytes, &name)
    }

    /// Writes the file whole or not at all: a temporary file beside it, then a rename.
    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        write_whole(path, self.to_json().as_bytes()).map_err(|error| BaselineError::Io {
            path: path.display().to_string(),
            error,
        })
    }

    /// Merges baselines as if one run had seen all their traces: runs and counts add up,
    /// per-run figures are concatenated in order, samples are merged by weight, child edges
    /// summed. `names` label the baselines in errors.
    pub fn merge(parts: &[(Baseline, String)]) -> Result<Baseline, BaselineError> {
        let (first, first_name) = parts.first().ok_or(BaselineError::Empty)?;
        if let Some((other, other_name)) = parts.iter().find(|(b, _)| b.key_mode != first.key_mode)
        {
            return Err(BaselineError::KeyModeMismatch {
                first: first_name.clone(),
                first_mode: first.key_mode,
                other: other_name.clone(),
                other_mode: other.key_mode,
            });
        }
        let profiles: Vec<&Profile> = parts.iter().map(|(b, _)| &b.profile).collect();
        let keys: std::collections::BTreeSet<&String> =
            profiles.iter().flat_map(|p| p.operations.keys()).collect();
        let operations = keys
            .into_iter()
            .map(|key| (key.clone(), merge_op(key, &profiles)))
            .collect();
        Ok(Baseline {
            key_mode: first.key_mode,
            profile: Profile {
                sampled: false,
                run_shares: Vec::new(),
                sources: profiles.iter().flat_map(|p| p.sources.clone()).collect(),
                runs: profiles.iter().map(|p| p.runs).sum(),
                operations,
            },
            warnings: parts.iter().flat_map(|(b, _)| b.warnings.clone()).collect(),
        })
    }
}

/// Reads a comparison side given on the command line when it is a baseline: a file whose
/// content is one, `REV:PATH` read from git, or, with `base_ref`, the path read at the base
/// revision. Returns `None` for anything else (a trace). The label names it in reports.
pub fn open_side(
    arg: &str,
    base_ref: Option<&git::BaseRef>,
    cwd: &Path,
) -> Result<Option<(Baseline, String)>, BaselineError> {
    let local = cwd.join(arg);
    if let Some(base_ref) = base_ref {
        let repo = git::Repo::discover(cwd, "--base-ref")?;
        let (sha, how) = repo.resolve_base(base_ref)?;
        if how.contains("HEAD itself") {
            crate::log::say!("perfgate: warning: --base-ref: {how}");
        }
        let path = repo.path_in_repo(Path::new(arg), cwd)?;
        let label = format!("{}:{path} ({how})", &sha[..10]);
        // Errors name the base as the user asked for it, not by its sha.
        return read_git_side(&repo, &sha, &path, label)
            .map(Some)
            .map_err(|e| match e {
                BaselineError::Git(git::GitError::PathNotAtRevision { commit, path, .. }) => {
                    BaselineError::Git(git::GitError::PathNotAtRevision {
                        rev: how,
                        commit,
                        path,
                    })
                }
                other => other,
            });
    }
    if local.is_file() {
        if !is_baseline_file(&local) {
            return Ok(None);
        }
        return Baseline::read(&local).map(|b| Some((b, arg.to_string())));
    }
    match git::split_spec(arg) {
        Some((rev, path)) => {
            let repo = git::Repo::discover(cwd, arg)?;
            read_git_side(&repo, rev, path, arg.to_string()).map(Some)
        }
        None => Ok(None),
    }
}

fn read_git_side(
    repo: &git::Repo,
    rev: &str,
    path: &str,
    label: String,
) -> Result<(Baseline, String), BaselineError> {
    let bytes = repo.read_blob(rev, path)?;
    if !looks_like_baseline(&bytes) {
        return Err(BaselineError::GitBlobNotABaseline { label });
    }
    Baseline::from_slice(&bytes, &label).map(|b| (b, label))
}

/// Whether `bytes` start like a baseline file (`{` then the `"perfgate_baseline"` key), as
/// opposed to a trace (`[` or `{"traceEvents"`).
pub fn looks_like_baseline(bytes: &[u8]) -> bool {
    let rest = trim_start(bytes);
    let Some(rest) = rest.strip_prefix(b"{") else {
        return false;
    };
    trim_start(rest).starts_with(format!("\"{MAGIC_KEY}\"").as_bytes())
}

/// Whether the file at `path` is a baseline (reads only its first bytes).
pub fn is_baseline_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 256];
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let n = file.read(&mut head).unwrap_or(0);
    looks_like_baseline(&head[..n])
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// Rounds microseconds to the nanosecond, the resolution of viztracer's timestamps.
fn round_ns(us: f64) -> f64 {
    let r = (us * 1000.0).round() / 1000.0;
    // -0.0 and 0.0 must print the same.
    if r == 0.0 { 0.0 } else { r }
}

fn round_run(r: &RunFigures) -> RunFigures {
    RunFigures {
        count: r.count,
        total_us: round_ns(r.total_us),
        mean_us: round_ns(r.mean_us),
        p50_us: round_ns(r.p50_us),
        p95_us: round_ns(r.p95_us),
        max_us: round_ns(r.max_us),
        min_us: round_ns(r.min_us),
        self_us: round_ns(r.self_us),
    }
}

fn round_children(children: &BTreeMap<String, ChildEdge>) -> BTreeMap<String, ChildEdge> {
    children
        .iter()
        .map(|(k, e)| {
            let edge = ChildEdge {
                calls: e.calls,
                total_us: round_ns(e.total_us),
                self_us: round_ns(e.self_us),
            };
            (k.clone(), edge)
        })
        .collect()
}

/// Merges sorted samples, each standing for `count` calls, into at most [`MAX_SAMPLE`]
/// evenly spaced order statistics of the calls they stand for.
///
/// Each sample value weighs `count / len` calls and covers that many consecutive ranks of
/// the merged calls; the k-th output is the value covering rank `round(k (N-1) / (m-1))`. With
/// unit weights (complete samples) this is exactly the order statistics of all the calls, so
/// merging complete shards gives what saving all their traces at once gives; rank 0 and
/// rank N-1 are always taken, so min and max survive.
pub fn merge_samples(parts: &[(&[f64], u64)]) -> Vec<f64> {
    let mut points: Vec<(f64, f64)> = parts
        .iter()
        .filter(|(s, c)| !s.is_empty() && *c > 0)
        .flat_map(|(s, c)| {
            let w = *c as f64 / s.len() as f64;
            s.iter().map(move |&v| (v, w))
        })
        .collect();
    // Stable: equal values keep the order of the parts, so the result is deterministic.
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: u64 = parts
        .iter()
        .filter(|(s, _)| !s.is_empty())
        .map(|(_, c)| c)
        .sum();
    if points.is_empty() {
        return Vec::new();
    }
    let m = (total as usize).clamp(1, MAX_SAMPLE);
    let mut out = Vec::with_capacity(m);
    let mut i = 0;
    let mut covered = points[0].1; // ranks below this are covered by points[..=i]
    for k in 0..m {
        let rank = if m == 1 {
            0.0
        } else {
            (k as f64 * (total - 1) as f64 / (m - 1) as f64).round()
        };
        while covered <= rank && i + 1 < points.len() {
            i += 1;
            covered += points[i].1;
        }
        out.push(points[i].0);
    }
    out
}

fn merge_op(key: &str, profiles: &[&Profile]) -> OpProfile {
    let present: Vec<&OpProfile> = profiles
        .iter()
        .filter_map(|p| p.operations.get(key))
        .collect();
    let first = present[0];
    let samples: Vec<(&[f64], u64)> = present
        .iter()
        .map(|o| (o.durations_us.as_slice(), o.count))
        .collect();
    // Runs where a shard never called the operation still count, as zero-call runs.
    let per_run = profiles
        .iter()
        .flat_map(|p| match p.operations.get(key) {
            Some(o) => o.per_run.clone(),
            None => vec![RunFigures::default(); p.runs as usize],
        })
        .collect();
    let mut children: BTreeMap<String, ChildEdge> = BTreeMap::new();
    for (child, e) in present.iter().flat_map(|o| &o.children) {
        let sum = children.entry(child.clone()).or_default();
        sum.calls += e.calls;
        sum.total_us = round_ns(sum.total_us + e.total_us);
        sum.self_us = round_ns(sum.self_us + e.self_us);
    }
    OpProfile {
        origin: first.origin,
        function: first.function.clone(),
        file: first.file.clone(),
        line: first.line,
        count: present.iter().map(|o| o.count).sum(),
        total_us: round_ns(present.iter().map(|o| o.total_us).sum()),
        self_us: round_ns(present.iter().map(|o| o.self_us).sum()),
        min_us: present
            .iter()
            .map(|o| o.min_us)
            .fold(f64::INFINITY, f64::min),
        max_us: present
            .iter()
            .map(|o| o.max_us)
            .fold(f64::NEG_INFINITY, f64::max),
        durations_us: merge_samples(&samples),
        per_run,
        children,
    }
}

fn to_file_op(op: &OpProfile) -> FileOp {
    FileOp {
        function: op.function.clone(),
        file: op.file.clone(),
        line: op.line,
        origin: (op.origin == Origin::Library).then_some(Origin::Library),
        count: op.count,
        total_us: op.total_us,
        self_us: op.self_us,
        min_us: op.min_us,
        max_us: op.max_us,
        sample_us: op.durations_us.clone(),
        per_run: op.per_run.clone(),
        children: op.children.clone(),
    }
}

fn from_file_op(op: FileOp) -> OpProfile {
    OpProfile {
        // Library when saved so; else own until the catalog locates the file
        // (`commands::baseline`).
        origin: op.origin.unwrap_or_default(),
        function: op.function,
        file: op.file,
        line: op.line,
        count: op.count,
        total_us: op.total_us,
        self_us: op.self_us,
        min_us: op.min_us,
        max_us: op.max_us,
        durations_us: op.sample_us,
        per_run: op.per_run,
        children: op.children,
    }
}

/// What the comparison relies on: a non-empty sorted sample no larger than the count, one
/// figure per run.
fn validate(op: &FileOp, runs: u32) -> Result<(), String> {
    if op.count == 0 || op.sample_us.is_empty() {
        return Err("an operation needs at least one call and one sampled duration".into());
    }
    if op.sample_us.len() as u64 > op.count {
        return Err(format!(
            "sample_us has {} durations but count is {}",
            op.sample_us.len(),
            op.count
        ));
    }
    if op.sample_us.windows(2).any(|w| w[0] > w[1]) {
        return Err("sample_us must be sorted ascending".into());
    }
    if op.per_run.len() != runs as usize {
        return Err(format!(
            "per_run has {} entries but the baseline has {runs} runs",
            op.per_run.len()
        ));
    }
    Ok(())
}

/// A serde_json error with the byte offset, computed from its line and column.
fn syntax_error(bytes: &[u8], path: &str, e: &serde_json::Error) -> BaselineError {
    let (line, column) = (e.line(), e.column());
    let offset = bytes
        .split(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum::<usize>()
        + column.saturating_sub(1);
    let message = e.to_string();
    // serde_json appends " at line L column C"; the prefix already says where.
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_string();
    BaselineError::Syntax {
        path: path.into(),
        offset,
        line,
        column,
        message,
    }
}

/// Writes `bytes` to `path` whole or not at all, creating its directory (`baselines/`) when
/// missing.
pub fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(crate::atomic::parent_dir(path))?;
    crate::atomic::write_whole(path, bytes)
}

/// Compact JSON of plain data (strings, numbers, maps with string keys), which cannot fail
/// to serialize.
fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_samples_keep_every_value_up_to_the_cap() {
        let v: Vec<f64> = (0..50).map(f64::from).collect();
        assert_eq!(merge_samples(&[(&v, 50)]), v);
        let big: Vec<f64> = (0..1000).map(f64::from).collect();
        let s = merge_samples(&[(&big, 1000)]);
        assert_eq!(s.len(), MAX_SAMPLE);
        assert_eq!((s[0], s[MAX_SAMPLE - 1]), (0.0, 999.0));
        // Evenly spaced ranks: k * 999 / 199, rounded.
        assert_eq!(s[1], (999.0_f64 / 199.0).round());
        assert!(s.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn merging_complete_shards_equals_sampling_all_calls() {
        let a: Vec<f64> = (0..150).map(|i| f64::from(i * 2)).collect();
        let b: Vec<f64> = (0..120).map(|i| f64::from(i * 2 + 1)).collect();
        let mut all: Vec<f64> = a.iter().chain(&b).copied().collect();
        all.sort_by(f64::total_cmp);
        assert_eq!(
            merge_samples(&[(&a, 150), (&b, 120)]),
            merge_samples(&[(&all, 270)])
        );
    }

    #[test]
    fn weighted_samples_keep_min_and_max() {
        let a = [1.0, 5.0, 9.0];
        let b = [2.0, 100.0];
        let s = merge_samples(&[(&a, 3000), (&b, 10)]);
        assert_eq!(s.len(), MAX_SAMPLE);
        assert_eq!((s[0], s[MAX_SAMPLE - 1]), (1.0, 100.0));
        // 3000 calls stand behind `a`: its values dominate the middle ranks.
        assert_eq!(s[MAX_SAMPLE / 2], 5.0);
    }

    #[test]
    fn a_library_module_path_stays_library_through_the_file_and_a_merge() {
        let (mut b, _) = shard(1, 2, true, "w");
        for (key, origin) in [("parent", Origin::Library), ("other", Origin::Own)] {
            let op = b.profile.operations.get_mut(key).unwrap();
            op.file = Some(format!("{key}.py"));
            op.origin = origin;
        }
        let text = b.to_json();
        // Only the library operation says so; own code is located again when read.
        assert_eq!(text.matches("\"origin\":\"library\"").count(), 1, "{text}");
        let read = Baseline::from_slice(text.as_bytes(), "b.json").unwrap();
        let merged = Baseline::merge(&[(read.clone(), "a".into()), (read, "b".into())]).unwrap();
        assert_eq!(merged.profile.operations["parent"].origin, Origin::Library);
        assert_eq!(merged.profile.operations["other"].origin, Origin::Own);
    }

    /// A shard of `runs` runs with `parent` (calls `count`, each call 10 µs, half of it in
    /// `child`) and, when `with_other`, `other` called once per run.
    fn shard(runs: u32, count: u64, with_other: bool, warning: &str) -> (Baseline, String) {
        let parent = OpProfile {
            function: "parent".into(),
            count,
            total_us: 10.0 * count as f64,
            self_us: 5.0 * count as f64,
            min_us: 10.0,
            max_us: 10.0,
            durations_us: vec![10.0; count as usize],
            per_run: (0..runs)
                .map(|_| RunFigures {
                    count: count / u64::from(runs),
                    ..RunFigures::default()
                })
                .collect(),
            children: [(
                "child".to_string(),
                ChildEdge {
                    calls: count,
                    total_us: 5.0 * count as f64,
                    self_us: 4.0 * count as f64,
                },
            )]
            .into_iter()
            .collect(),
            ..OpProfile::default()
        };
        let mut operations: std::collections::BTreeMap<String, OpProfile> =
            [("parent".to_string(), parent)].into_iter().collect();
        if with_other {
            let other = OpProfile {
                function: "other".into(),
                count: u64::from(runs),
                total_us: f64::from(runs),
                self_us: f64::from(runs),
                min_us: 1.0,
                max_us: 1.0,
                durations_us: vec![1.0; runs as usize],
                per_run: vec![
                    RunFigures {
                        count: 1,
                        ..RunFigures::default()
                    };
                    runs as usize
                ],
                ..OpProfile::default()
            };
            operations.insert("other".to_string(), other);
        }
        let profile = Profile {
            runs,
            operations: operations.into_iter().collect(),
            ..Profile::default()
        };
        let b = Baseline::from_profile(&profile, KeyMode::File).with_warnings(vec![warning.into()]);
        (b, format!("{warning}.json"))
    }

    #[test]
    fn merged_shards_sum_child_edges_keep_every_warning_and_zero_call_runs() {
        let merged =
            Baseline::merge(&[shard(2, 4, true, "first"), shard(3, 6, false, "second")]).unwrap();
        assert_eq!(merged.profile.runs, 5);
        assert_eq!(merged.warnings, ["first", "second"]);
        let parent = &merged.profile.operations["parent"];
        assert_eq!(
            (parent.count, parent.total_us, parent.self_us),
            (10, 100.0, 50.0)
        );
        let edge = &parent.children["child"];
        assert_eq!((edge.calls, edge.total_us, edge.self_us), (10, 50.0, 40.0));
        assert_eq!(parent.per_run.len(), 5);
        // `other` was not called in the second shard's 3 runs: zero-call runs, not no runs.
        let other = &merged.profile.operations["other"];
        let counts: Vec<u64> = other.per_run.iter().map(|r| r.count).collect();
        assert_eq!(counts, [1, 1, 0, 0, 0]);
        assert_eq!(other.count, 2);
    }

    #[test]
    fn merged_shards_keep_the_extremes_and_every_source_of_one_key_mode() {
        let with = |min: f64, max: f64, source: &str| {
            let (mut b, name) = shard(1, 2, false, source);
            let op = b.profile.operations.get_mut("parent").unwrap();
            (op.min_us, op.max_us, op.durations_us) = (min, max, vec![min, max]);
            b.profile.sources = vec![format!("{source}.json")];
            (b, name)
        };
        let merged = Baseline::merge(&[with(3.0, 40.0, "a"), with(1.5, 20.0, "b")]).unwrap();
        let parent = &merged.profile.operations["parent"];
        assert_eq!((parent.min_us, parent.max_us), (1.5, 40.0));
        assert_eq!(parent.durations_us, [1.5, 3.0, 20.0, 40.0]);
        assert_eq!(merged.profile.sources, ["a.json", "b.json"]);
        let (mut other, _) = shard(1, 2, false, "c");
        other.key_mode = KeyMode::Name;
        let e = Baseline::merge(&[with(3.0, 40.0, "a"), (other, "c.json".into())]).unwrap_err();
        assert!(
            matches!(&e, BaselineError::KeyModeMismatch { other, .. } if other == "c.json"),
            "{e}"
        );
        assert!(matches!(Baseline::merge(&[]), Err(BaselineError::Empty)));
    }

    #[test]
    fn a_saved_baseline_reads_back_and_bad_operations_are_refused() {
        let (b, _) = shard(2, 4, true, "w");
        let text = b.to_json();
        assert_eq!(Baseline::from_slice(text.as_bytes(), "b.json").unwrap(), b);
        // As many samples as calls, and equal samples side by side, are valid.
        let op = |sample: &str, count: u64, runs: &str| {
            format!(
                "{{\"perfgate_baseline\": 1, \"key_mode\": \"file\", \"runs\": 2, \
                 \"operations\": {{\"f\": {{\"function\": \"f\", \"count\": {count}, \
                 \"total_us\": 4, \"self_us\": 4, \"min_us\": 1, \"max_us\": 2, \
                 \"sample_us\": {sample}, \"per_run\": {runs}}}}}}}"
            )
        };
        let two_runs = r#"[{"count": 1, "total_us": 1, "mean_us": 1, "p50_us": 1, "p95_us": 1,
            "max_us": 1, "self_us": 1}, {"count": 2, "total_us": 3, "mean_us": 1.5,
            "p50_us": 1.5, "p95_us": 2, "max_us": 2, "self_us": 3}]"#;
        let read = |text: String| Baseline::from_slice(text.as_bytes(), "b.json");
        assert!(read(op("[1, 1, 2]", 3, two_runs)).is_ok());
        let refused = |text: String| match read(text) {
            Err(BaselineError::Invalid {
                operation, message, ..
            }) => {
                assert_eq!(operation, "f");
                message
            }
            other => panic!("{other:?}"),
        };
        assert!(refused(op("[1, 1, 2]", 2, two_runs)).contains("3 durations but count is 2"));
        assert!(refused(op("[2, 1]", 3, two_runs)).contains("sorted ascending"));
        assert!(refused(op("[]", 3, two_runs)).contains("at least one call"));
        assert!(refused(op("[1]", 0, two_runs)).contains("at least one call"));
        assert!(refused(op("[1]", 3, "[]")).contains("per_run has 0 entries"));
    }

    #[test]
    fn saving_rounds_every_time_to_the_nanosecond_and_keeps_at_most_the_sample_cap() {
        // A side as read from traces: times with digits below the ns, more calls than the
        // sample keeps. The file holds ns-rounded figures and an evenly spaced sample.
        let third = 1.0 / 3.0;
        let durations: Vec<f64> = (0..300).map(|i| f64::from(i) + third).collect();
        let op = OpProfile {
            count: 300,
            total_us: 45_100.0 + third,
            self_us: 20.0 + third,
            min_us: third,
            max_us: 299.0 + third,
            durations_us: durations,
            per_run: vec![RunFigures {
                count: 300,
                total_us: 45_100.0 + third,
                mean_us: 150.0 + third,
                p50_us: 149.0 + third,
                p95_us: 284.0 + third,
                max_us: 299.0 + third,
                min_us: third,
                self_us: 20.0 + third,
            }],
            children: [(
                "child".to_string(),
                ChildEdge {
                    calls: 3,
                    total_us: 7.0 + third,
                    self_us: 2.0 + third,
                },
            )]
            .into_iter()
            .collect(),
            ..OpProfile::default()
        };
        let profile = Profile {
            runs: 1,
            operations: [("f".to_string(), op)].into_iter().collect(),
            ..Profile::default()
        };
        let saved = &Baseline::from_profile(&profile, KeyMode::File)
            .profile
            .operations["f"];
        assert_eq!(
            (saved.total_us, saved.self_us, saved.min_us, saved.max_us),
            (45_100.333, 20.333, 0.333, 299.333)
        );
        assert_eq!(saved.durations_us.len(), MAX_SAMPLE);
        assert_eq!(saved.durations_us[0], 0.333);
        assert_eq!(saved.durations_us[MAX_SAMPLE - 1], 299.333);
        let run = &saved.per_run[0];
        assert_eq!(
            [
                run.total_us,
                run.mean_us,
                run.p50_us,
                run.p95_us,
                run.max_us,
                run.min_us,
                run.self_us
            ],
            [
                45_100.333, 150.333, 149.333, 284.333, 299.333, 0.333, 20.333
            ]
        );
        let edge = &saved.children["child"];
        assert_eq!((edge.calls, edge.total_us, edge.self_us), (3, 7.333, 2.333));
    }

    /// A git repository in `dir` whose `main` has `files` (path, content) committed.
    fn repo_with(dir: &Path, files: &[(&str, &str)]) {
        let repo = git2::Repository::init(dir).unwrap();
        let mut index = repo.index().unwrap();
        for (path, content) in files {
            std::fs::write(dir.join(path), content).unwrap();
            index.add_path(Path::new(path)).unwrap();
        }
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
        let c = repo.commit(None, &sig, &sig, "c", &tree, &[]).unwrap();
        repo.reference("refs/heads/main", c, true, "main").unwrap();
        repo.set_head("refs/heads/main").unwrap();
    }

    #[test]
    fn a_side_is_a_baseline_file_a_baseline_at_a_revision_or_else_a_trace() {
        let dir = tempfile::tempdir().unwrap();
        let (b, _) = shard(2, 4, true, "w");
        let trace = r#"[{"ph": "X", "name": "f", "ts": 0, "dur": 1, "pid": 1, "tid": 1}]"#;
        repo_with(dir.path(), &[("b.json", &b.to_json()), ("t.json", trace)]);
        let cwd = dir.path();
        // A file on disk: read back whole, labelled as given; a trace is not a baseline.
        b.write(&cwd.join("saved.json")).unwrap();
        assert!(is_baseline_file(&cwd.join("saved.json")));
        assert!(!is_baseline_file(&cwd.join("t.json")));
        assert!(!is_baseline_file(&cwd.join("missing.json")));
        let (read, label) = open_side("saved.json", None, cwd).unwrap().unwrap();
        assert_eq!((&read, label.as_str()), (&b, "saved.json"));
        assert!(open_side("t.json", None, cwd).unwrap().is_none());
        assert!(open_side("missing.json", None, cwd).unwrap().is_none());
        // `REV:PATH`: the committed blob, which must be a baseline.
        let (read, label) = open_side("main:b.json", None, cwd).unwrap().unwrap();
        assert_eq!((&read, label.as_str()), (&b, "main:b.json"));
        let e = open_side("main:t.json", None, cwd).unwrap_err();
        assert!(
            matches!(&e, BaselineError::GitBlobNotABaseline { label } if label == "main:t.json"),
            "{e}"
        );
        // `--base-ref main`: the path as committed at main, not as it is on disk now.
        std::fs::write(cwd.join("b.json"), "[]").unwrap();
        let base = git::BaseRef::parse("main", None);
        let (read, label) = open_side("b.json", Some(&base), cwd).unwrap().unwrap();
        assert_eq!(read, b);
        assert!(label.contains(":b.json ("), "{label}");
    }

    #[test]
    fn sniffs_baselines_not_traces() {
        assert!(looks_like_baseline(b" {\n  \"perfgate_baseline\": 1"));
        assert!(!looks_like_baseline(b"{\"traceEvents\": []}"));
        assert!(!looks_like_baseline(b"[{\"ph\": \"X\"}]"));
    }

    #[test]
    fn syntax_errors_name_the_byte() {
        let bytes = b"{\n  \"perfgate_baseline\": 1,\n  \"runs\": x\n}";
        let e = Baseline::from_slice(bytes, "b.json")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("b.json: byte 38 (line 3, column 11)"), "{e}");
        assert_eq!(bytes[38], b'x');
    }

    #[test]
    fn newer_versions_are_refused() {
        let e = Baseline::from_slice(br#"{"perfgate_baseline": 2}"#, "b.json").unwrap_err();
        assert!(matches!(e, BaselineError::NewerVersion { found: 2, .. }));
    }
}
