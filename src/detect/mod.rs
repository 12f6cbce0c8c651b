//! The red-flag detectors of the seed's guide, one per file behind [`Detector`]: N+1 calls
//! ([`n_plus_one`]), repeated expensive calls ([`repeated_call`]), slow calls above their
//! budget's flag ([`slow_call`]), blocking I/O in asyncio tasks ([`blocking_io`]), garbage
//! collection taking a large share of an operation's time ([`gc_pressure`]).
//!
//! A detector owns its table of budgets.toml (`[detectors.NAME]`: its raw serde struct, its
//! validation, its defaults) and its findings. It gets the call trees, the catalog of
//! operations and the budgets' calls ([`Input`]) and returns [`Finding`]s: data (counts, times,
//! the threshold it used), worded by the renderers (`report::text`). Adding one is one file
//! here, one line in [`registry`], one `FindingKind` variant and its sentence in
//! `report/text.rs`.
//!
//! Occurrences of the same (parent operation, operation) are grouped ([`Groups`]) into one
//! finding with counts, the time spent in all and one example call path, so twelve requests
//! with the same N+1 loop give one line.

pub mod blocking_io;
pub mod consecutive_queries;
pub mod gc_pressure;
pub mod n_plus_one;
pub mod repeated_call;
pub mod slow_call;
pub mod statement;
pub mod structure_change;

use std::any::Any;
use std::fmt;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use toml::de::DeValue;

use crate::budget::eval::{BudgetCalls, CallRef};
use crate::config::{Budget, ConfigError, Pattern, PatternSet, Section, Source, Sp};
use crate::ops::tree::ChildLinks;
use crate::ops::{CallTree, Catalog, NO_PARENT, OpId, OpInfo, Origin};
use crate::outcome::{Finding, FindingKind, Severity};

/// Every detector, with its defaults, in the order they run and their tables are read.
pub fn registry() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(n_plus_one::NPlusOne::default()),
        Box::new(repeated_call::RepeatedCall::default()),
        Box::new(slow_call::SlowCall::default()),
        Box::new(blocking_io::BlockingIo::default()),
        Box::new(consecutive_queries::ConsecutiveQueries::default()),
        Box::new(structure_change::StructureChange::default()),
        Box::new(gc_pressure::GcPressure::default()),
    ]
}

/// A red-flag detector and its settings.
pub trait Detector: Any + fmt::Debug + Send + Sync {
    /// Its table in budgets.toml (`[detectors.NAME]`) and its name in messages.
    fn name(&self) -> &'static str;
    /// Whether it runs (`enabled`, true unless the table says otherwise).
    fn enabled(&self) -> bool;
    /// Reads its table over its defaults; errors point at the offending key or value.
    fn configure(&mut self, section: Section<'_>) -> Result<(), ConfigError>;
    /// Its findings in the traces, in the order they were first seen.
    fn detect(&self, input: &Input<'_>) -> Vec<Finding>;
    /// Whether it finds anything in one side's traces (`check`); false for a detector that
    /// only compares two sides.
    fn checks_traces(&self) -> bool {
        true
    }
    /// Whether it counts calls (N+1, repeated calls, consecutive queries): such a detector
    /// does not run on sampled traces, where a "call" is a run of samples.
    fn counts_calls(&self) -> bool {
        false
    }
}

/// Whether any of `trees` is made of stack samples (speedscope `sampled`, a merged call tree),
/// where call counts are not calls.
pub fn any_sampled(trees: &[CallTree]) -> bool {
    trees
        .iter()
        .any(|t| t.notes.sampled || t.notes.merged_call_tree)
}

/// The note said once when count-based detectors were skipped on sampled traces.
pub const SAMPLED_NOTE: &str = "the traces are sampled (stack samples, not calls): the \
     detectors that count calls (n_plus_one, repeated_call, consecutive_queries, \
     structure_change) did not run";

/// What a detector looks at.
pub struct Input<'a> {
    pub trees: &'a [CallTree],
    pub catalog: &'a Catalog,
    /// `links[t]`: the children of every span of `trees[t]`.
    pub links: &'a [ChildLinks<'a>],
    /// The budgets, and `budget_calls[i]` the calls of `budgets[i]` in `trees`.
    pub budgets: &'a [Budget],
    pub budget_calls: &'a [BudgetCalls],
}

/// The detectors of a budgets file: every registered one, configured.
#[derive(Debug)]
pub struct Detectors(Vec<Box<dyn Detector>>);

impl Default for Detectors {
    fn default() -> Self {
        Detectors(registry())
    }
}

impl Detectors {
    /// The registered detectors configured by the tables of `[detectors]` (`None` when the file
    /// has none), in registry order. The table names were checked by [`RawDetectors`].
    pub fn read(
        src: &Source<'_>,
        table: Option<Sp<DeValue<'_>>>,
    ) -> Result<Detectors, ConfigError> {
        let mut detectors = Detectors::default();
        let Some(DeValue::Table(mut tables)) = table.map(Sp::into_inner) else {
            return Ok(detectors);
        };
        for d in &mut detectors.0 {
            if let Some(section) = tables.remove(d.name()) {
                d.configure(Section::new(src, section))?;
            }
        }
        Ok(detectors)
    }

    /// Whether any detector runs on the traces of one side.
    pub fn any_enabled(&self) -> bool {
        self.0.iter().any(|d| d.enabled() && d.checks_traces())
    }

    /// The findings of every enabled detector, most severe and most costly first.
    pub fn run(&self, input: &Input<'_>) -> Vec<Finding> {
        let sampled = any_sampled(input.trees);
        let mut findings: Vec<Finding> = self
            .0
            .iter()
            .filter(|d| d.enabled() && !(sampled && d.counts_calls()))
            .flat_map(|d| d.detect(input))
            .collect();
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.total_us.total_cmp(&a.total_us))
                .then(a.operation.cmp(&b.operation))
        });
        findings
    }

    /// The note to print when `trees` are sampled and a detector that counts calls is on.
    pub fn sampled_note(&self, trees: &[CallTree]) -> Option<&'static str> {
        (any_sampled(trees) && self.0.iter().any(|d| d.enabled() && d.counts_calls()))
            .then_some(SAMPLED_NOTE)
    }

    /// The detector of type `D` with its settings.
    pub fn get<D: Detector>(&self) -> &D {
        self.0
            .iter()
            .find_map(|d| (d.as_ref() as &dyn Any).downcast_ref::<D>())
            .expect("every detector type is in the registry")
    }
}

/// The names of the registered detectors, for the unknown-table message.
fn names() -> &'static [&'static str] {
    static NAMES: LazyLock<Vec<&'static str>> =
        LazyLock::new(|| registry().iter().map(|d| d.name()).collect());
    &NAMES
}

/// `[detectors]` as the first pass over the file reads it: the names of its tables, each a
/// registered detector (an unknown one is refused at its key, naming the known ones). Each
/// detector then reads its own table.
pub struct RawDetectors;

impl<'de> Deserialize<'de> for RawDetectors {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Tables;
        impl<'de> Visitor<'de> for Tables {
            type Value = RawDetectors;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("struct RawDetectors")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawDetectors, A::Error> {
                while map.next_key_seed(Name)?.is_some() {
                    map.next_value::<IgnoredAny>()?;
                }
                Ok(RawDetectors)
            }
        }
        d.deserialize_struct("RawDetectors", names(), Tables)
    }
}

/// A table name under `[detectors]`.
struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for Name {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("field identifier")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if names().contains(&v) {
            Ok(())
        } else {
            Err(E::unknown_field(v, names()))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Settings the detectors share.

/// Settings every detector has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectorBase {
    pub enabled: bool,
    pub severity: Severity,
}

impl DetectorBase {
    /// Enabled, with this severity.
    pub const fn on(severity: Severity) -> DetectorBase {
        DetectorBase {
            enabled: true,
            severity,
        }
    }

    /// These settings with `enabled` and `severity` of a table over them.
    pub fn read(
        self,
        src: &Source<'_>,
        enabled: Option<bool>,
        severity: Option<&Sp<String>>,
    ) -> Result<DetectorBase, ConfigError> {
        Ok(DetectorBase {
            enabled: enabled.unwrap_or(self.enabled),
            severity: severity
                .map(|s| src.severity(s))
                .transpose()?
                .unwrap_or(self.severity),
        })
    }
}

/// The keys of the detectors that watch operations, read by each of them; the keys it does
/// not take are refused with [`refuse`], naming the table. (A detector with other keys reads
/// its own struct, as [`slow_call`] does.)
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDetector {
    pub enabled: Option<bool>,
    pub severity: Option<Sp<String>>,
    pub min_count: Option<Sp<i64>>,
    pub min_total: Option<Sp<toml::Value>>,
    pub min_duration: Option<Sp<toml::Value>>,
    pub operations: Option<Sp<Vec<Sp<String>>>>,
    pub ignore: Option<Sp<Vec<Sp<String>>>>,
}

/// Refuses a key of [`RawDetector`] that `detector` does not take.
pub fn refuse<T>(
    src: &Source<'_>,
    v: &Option<Sp<T>>,
    key: &str,
    detector: &str,
) -> Result<(), ConfigError> {
    match v {
        Some(v) => Err(src.error(
            v.span(),
            format!("unknown key `{key}` in [detectors.{detector}]"),
        )),
        None => Ok(()),
    }
}

/// The settings of a detector of runs of data-access calls under one parent call
/// (`n_plus_one`, `consecutive_queries`): the keys they share and read alike.
#[derive(Debug, Clone)]
pub struct QueryRuns {
    /// Calls in a run that make a finding.
    pub min_count: u64,
    /// Time the run must take in all, µs: an optional floor, 0 by default (the structure is
    /// the red flag: in CI a query on in-process SQLite takes microseconds).
    pub min_total_us: f64,
    /// What a data-access call is.
    pub operations: PatternSet,
    /// Operations never counted, although `operations` matches them.
    pub ignore: PatternSet,
}

impl QueryRuns {
    /// `min_count`, `min_total`, `operations` and `ignore` of `r`, over these; a detector of
    /// runs takes no `min_duration`.
    pub fn read(
        &mut self,
        src: &Source<'_>,
        r: &RawDetector,
        detector: &str,
    ) -> Result<(), ConfigError> {
        refuse(src, &r.min_duration, "min_duration", detector)?;
        if let Some(n) = &r.min_count {
            self.min_count = src.count(n, 2)?;
        }
        if let Some(t) = &r.min_total {
            self.min_total_us = src.duration_value(t)?;
        }
        if let Some(list) = &r.operations {
            self.operations = src.patterns(list.get_ref())?;
        }
        if let Some(list) = &r.ignore {
            self.ignore = src.patterns(list.get_ref())?;
        }
        Ok(())
    }

    /// The operations whose calls are data access, by [`OpId`]: matched by `operations`, not
    /// by `ignore`, and not an expression frame.
    pub fn watched(&self, catalog: &Catalog) -> Vec<bool> {
        select(catalog, |i| {
            self.operations.matches_op(i) && !self.ignore.matches_op(i) && !is_expression_frame(i)
        })
    }

    /// A run of `count` calls taking `total_us` in all makes a finding.
    pub fn is_finding(&self, count: u64, total_us: f64) -> bool {
        count >= self.min_count && total_us >= self.min_total_us
    }
}

/// A default watch list.
pub fn pattern_set(patterns: &[&str]) -> PatternSet {
    PatternSet(
        patterns
            .iter()
            .map(|p| Pattern::new(p).expect("default patterns are valid"))
            .collect(),
    )
}

/// Which operations of the catalog `keep` selects, by [`OpId`].
pub fn select(catalog: &Catalog, keep: impl Fn(&OpInfo) -> bool) -> Vec<bool> {
    (0..catalog.len() as OpId)
        .map(|op| keep(catalog.info(op)))
        .collect()
}

/// Whether an operation is a frame Python makes for an expression rather than a call of a
/// function: a generator expression, a comprehension, a lambda (`load.<locals>.<genexpr>`),
/// or a module body. Such frames are never calls of a watched operation, whatever their
/// name matches (`load_*` matches `load_prices.<locals>.<genexpr>`), and each resumption of
/// a generator expression is a "call" in a trace.
pub fn is_expression_frame(info: &OpInfo) -> bool {
    info.function
        .rsplit('.')
        .next()
        .is_some_and(|last| last.starts_with('<'))
}

/// Whether span `i` is a call of the project's own code that calls nothing at all: the
/// resumption of a generator (each `next()` on a generator is a separate call in a
/// viztracer trace, and a generator that streams rows calls nothing the tracer sees), or a
/// getter answering from memory. Neither is a query, whatever its name.
pub fn is_own_leaf(tree: &CallTree, catalog: &Catalog, i: usize) -> bool {
    let info = catalog.info(tree.ops[i]);
    info.origin == Origin::Own
        && info.file.is_some()
        && tree.parent.get(i + 1).is_none_or(|&p| p != i as u32)
}

/// Queries in the subtree of every span: 1 for a span that is a query (`is_query`), else the
/// sum over its children, so a query made through wrappers (`get_session` → `execute_query`
/// → `sqlite3.Connection.execute`) is counted once, at its outermost query span.
pub fn query_counts(tree: &CallTree, is_query: impl Fn(usize) -> bool) -> Vec<u32> {
    let mut q = vec![0u32; tree.len()];
    for i in (0..tree.len()).rev() {
        if is_query(i) {
            q[i] = 1;
        }
        let p = tree.parent[i];
        if p != NO_PARENT {
            q[p as usize] = q[p as usize].saturating_add(q[i]);
        }
    }
    q
}

/// The operation of the parent of span `i`, if it has one.
pub fn parent_op(tree: &CallTree, i: usize) -> Option<OpId> {
    Some(tree.parent[i])
        .filter(|&p| p != NO_PARENT)
        .map(|p| tree.ops[p as usize])
}

// ---------------------------------------------------------------------------------------
// Grouping occurrences into findings.

/// What occurrences are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupKey {
    kind: FindingKind,
    parent: OpId,
    op: OpId,
    /// A distinction of the detector's own (the budget of a slow call).
    detail: u32,
}

impl GroupKey {
    pub fn new(kind: FindingKind, parent: Option<OpId>, op: OpId, detail: Option<usize>) -> Self {
        GroupKey {
            kind,
            parent: parent.unwrap_or(OpId::MAX),
            op,
            detail: detail.map_or(u32::MAX, |d| d as u32),
        }
    }

    /// The operation of the occurrences.
    pub fn op(&self) -> OpId {
        self.op
    }

    /// The detail given to [`GroupKey::new`].
    pub fn detail(&self) -> Option<usize> {
        (self.detail != u32::MAX).then_some(self.detail as usize)
    }
}

/// The occurrences of one finding.
#[derive(Debug, Clone)]
pub struct Group {
    pub key: GroupKey,
    pub occurrences: u64,
    /// Calls in all occurrences.
    pub calls: u64,
    /// Largest number of calls in one occurrence.
    pub max_count: u64,
    pub total_us: f64,
    /// The occurrence shown: the one with the highest score (longest run, slowest call).
    pub example: CallRef,
    example_score: f64,
    /// Longest single call seen.
    pub slowest_us: f64,
    /// The trees it occurred in.
    pub traces: Vec<usize>,
}

/// One occurrence of a finding.
pub struct Occurrence {
    /// Where: the first call of a run, the call itself.
    pub at: CallRef,
    /// Offending calls in it.
    pub count: u64,
    /// Their time, µs.
    pub total_us: f64,
    /// The longest of them, µs.
    pub slowest_us: f64,
    /// Which occurrence is the example: the highest score.
    pub score: f64,
}

/// Occurrences grouped by [`GroupKey`], in the order first seen.
#[derive(Default)]
pub struct Groups {
    index: FxHashMap<GroupKey, usize>,
    list: Vec<Group>,
}

impl Groups {
    pub fn add(&mut self, key: GroupKey, o: Occurrence) {
        let i = *self.index.entry(key).or_insert_with(|| {
            self.list.push(Group {
                key,
                occurrences: 0,
                calls: 0,
                max_count: 0,
                total_us: 0.0,
                example: o.at,
                example_score: f64::NEG_INFINITY,
                slowest_us: 0.0,
                traces: Vec::new(),
            });
            self.list.len() - 1
        });
        let g = &mut self.list[i];
        g.occurrences += 1;
        g.calls += o.count;
        g.max_count = g.max_count.max(o.count);
        g.total_us += o.total_us;
        g.slowest_us = g.slowest_us.max(o.slowest_us);
        if o.score > g.example_score {
            g.example = o.at;
            g.example_score = o.score;
        }
        if !g.traces.contains(&o.at.0) {
            g.traces.push(o.at.0);
        }
    }

    /// The groups, in the order first seen.
    pub fn list(&self) -> &[Group] {
        &self.list
    }

    /// One finding per group, made by `finding`, in the order first seen.
    pub fn findings(self, finding: impl FnMut(&Group) -> Finding) -> Vec<Finding> {
        self.list.iter().map(finding).collect()
    }
}

impl Group {
    /// The finding of these occurrences: the example's call path, trace and source location,
    /// and the figures. `count` is what the detector counts (calls in a row, offending calls);
    /// the detector adds the settings it judged by (`threshold_us`, `budget`).
    pub fn finding(&self, input: &Input<'_>, severity: Severity, count: u64) -> Finding {
        let (t, i) = self.example;
        let tree = &input.trees[t];
        let key = |op: OpId| input.catalog.info(op).key.clone();
        let info = input.catalog.info(self.key.op);
        let mut call_path: Vec<String> = tree.ancestors(i).map(|a| key(tree.ops[a])).collect();
        call_path.reverse();
        call_path.push(info.key.clone());
        Finding {
            kind: self.key.kind,
            severity,
            operation: info.key.clone(),
            parent: parent_op(tree, i).map(key),
            count,
            occurrences: self.occurrences,
            total_us: self.total_us,
            slowest_us: self.slowest_us,
            traces: self.traces.len() as u64,
            threshold_us: None,
            budget: None,
            call_path,
            source: tree.source.clone(),
            file: info.file.as_deref().map(str::to_string),
            line: info.line,
            origin: info.origin,
            per_parent: None,
            share: None,
            max_share: None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::parse;
    use crate::config::tests::err;
    use crate::ops::KeyMode;
    use crate::trace::{Id, ReadNotes, Span, Trace, Track, TrackKey};

    /// A trace of (name, track, start ms, duration ms); track 0 is `MainThread`, 1 `Task-1`,
    /// 2 `Task-2`.
    fn tree(spans: &[(&str, u32, f64, f64)], catalog: &mut Catalog) -> CallTree {
        tree_with_counters(spans, Vec::new(), catalog)
    }

    /// The findings of `budgets` on one trace of `spans` where span `i` of each
    /// `(i, text)` has the query text `text` (OpenTelemetry `db.statement`).
    pub(crate) fn findings_with_statements(
        spans: &[(&str, u32, f64, f64)],
        statements: &[(u32, &str)],
        budgets: &str,
    ) -> Vec<Finding> {
        let config = parse(budgets, "b.toml").unwrap();
        let mut catalog = Catalog::new(KeyMode::File);
        let mut t = tree_with_counters(spans, Vec::new(), &mut catalog);
        // The tree keeps its spans in the order given here (sorted by track and start).
        t.statements = statements
            .iter()
            .map(|&(i, text)| (i, text.to_string()))
            .collect();
        crate::budget::evaluate(&config, &[t], &catalog).findings
    }

    /// [`tree`] with counter series (viztracer `--log_gc`, `VizCounter`).
    fn tree_with_counters(
        spans: &[(&str, u32, f64, f64)],
        counters: Vec<crate::trace::Counter>,
        catalog: &mut Catalog,
    ) -> CallTree {
        let mut names: Vec<String> = Vec::new();
        let spans = spans
            .iter()
            .map(|&(name, track, ts, dur)| {
                let id = names.iter().position(|n| n == name).unwrap_or_else(|| {
                    names.push(name.into());
                    names.len() - 1
                });
                Span {
                    name: id as u32,
                    track,
                    ts: ts * 1000.0,
                    dur: dur * 1000.0,
                }
            })
            .collect();
        let tracks = ["MainThread", "Task-1", "Task-2"]
            .iter()
            .enumerate()
            .map(|(tid, name)| Track {
                key: TrackKey::Thread {
                    pid: Id::Int(1),
                    tid: Id::Int(tid as i64),
                },
                name: Some(name.to_string()),
            })
            .collect();
        let trace = Trace {
            source: "t.json".into(),
            names: names.into_iter().collect(),
            tracks,
            spans,
            notes: ReadNotes::default(),
            span_attrs: Vec::new(),
            counters,
        };
        CallTree::build(trace, catalog)
    }

    /// The budget rows and findings of `budgets` (a budgets.toml text) on one trace of `spans`.
    pub(crate) fn evaluation(
        spans: &[(&str, u32, f64, f64)],
        budgets: &str,
    ) -> crate::budget::Evaluation {
        let config = parse(budgets, "b.toml").unwrap();
        let mut catalog = Catalog::new(KeyMode::File);
        let trees = vec![tree(spans, &mut catalog)];
        crate::budget::evaluate(&config, &trees, &catalog)
    }

    /// The findings of `budgets` on one trace of `spans` with `counters`.
    pub(crate) fn findings_with_counters(
        spans: &[(&str, u32, f64, f64)],
        counters: Vec<crate::trace::Counter>,
        budgets: &str,
    ) -> Vec<Finding> {
        let config = parse(budgets, "b.toml").unwrap();
        let mut catalog = Catalog::new(KeyMode::File);
        let trees = vec![tree_with_counters(spans, counters, &mut catalog)];
        crate::budget::evaluate(&config, &trees, &catalog).findings
    }

    /// The findings of `budgets` (a budgets.toml text) on one trace of `spans`.
    pub(crate) fn findings(spans: &[(&str, u32, f64, f64)], budgets: &str) -> Vec<Finding> {
        evaluation(spans, budgets).findings
    }

    /// The findings of `budgets` on one trace of `spans` read from stack samples (a speedscope
    /// `sampled` profile), where a "call" is a run of samples.
    pub(crate) fn findings_sampled(spans: &[(&str, u32, f64, f64)], budgets: &str) -> Vec<Finding> {
        let config = parse(budgets, "b.toml").unwrap();
        let mut catalog = Catalog::new(KeyMode::File);
        let mut sampled = tree(spans, &mut catalog);
        sampled.notes.sampled = true;
        crate::budget::evaluate(&config, &[sampled], &catalog).findings
    }

    #[test]
    fn detector_settings_and_their_errors() {
        let c = parse(
            "[detectors.n_plus_one]\nmin_count = 3\nmin_total = \"0ms\"\nseverity = \"warn\"\n\
             [detectors.blocking_io]\nenabled = false\n",
            "b.toml",
        )
        .unwrap();
        let n_plus_one = c.detectors.get::<n_plus_one::NPlusOne>();
        assert_eq!(n_plus_one.runs.min_count, 3);
        assert_eq!(n_plus_one.base.severity, Severity::Warn);
        assert!(!c.detectors.get::<blocking_io::BlockingIo>().base.enabled);
        let e = err("[detectors.blocking_io]\nmin_count = 3\n");
        assert!(
            e.contains("b.toml:2:13: unknown key `min_count` in [detectors.blocking_io]"),
            "{e}"
        );
        let e = err("[detectors.n_plus_two]\n");
        assert!(e.contains("unknown key `n_plus_two`"), "{e}");
    }

    #[test]
    fn errors_in_detector_tables_read_as_before_the_split() {
        // The messages serde gave when `[detectors]` was one struct, kept byte for byte.
        assert_eq!(
            err("[detectors.n_plus_two]\n"),
            "b.toml:1:12: unknown key `n_plus_two`, expected one of `n_plus_one`, \
             `repeated_call`, `slow_call`, `blocking_io`, `consecutive_queries`, \
             `structure_change`, `gc_pressure`\n  |\n1 | [detectors.n_plus_two]\n  \
             |            ^^^^^^^^^^"
        );
        assert!(
            err("detectors = 5\n").starts_with(
                "b.toml:1:13: invalid type: integer `5`, expected struct RawDetectors"
            ),
            "{}",
            err("detectors = 5\n")
        );
        assert!(
            err("[detectors]\nn_plus_one = 5\n")
                .starts_with("b.toml:2:14: invalid type: integer `5`, expected struct RawDetector"),
            "{}",
            err("[detectors]\nn_plus_one = 5\n")
        );
        assert!(
            err("[detectors.blocking_io]\nthreshold = \"1ms\"\n").starts_with(
                "b.toml:2:1: unknown key `threshold`, expected one of `enabled`, `severity`, \
                 `min_count`, `min_total`, `min_duration`, `operations`, `ignore`"
            ),
            "{}",
            err("[detectors.blocking_io]\nthreshold = \"1ms\"\n")
        );
        assert!(
            err("[detectors.slow_call]\nmin_count = 3\n").starts_with(
                "b.toml:2:1: unknown key `min_count`, expected `enabled` or `severity`"
            ),
            "{}",
            err("[detectors.slow_call]\nmin_count = 3\n")
        );
        assert!(
            err("[detectors.n_plus_one]\nmin_count = \"five\"\n")
                .starts_with("b.toml:2:13: invalid type: string \"five\", expected i64"),
            "{}",
            err("[detectors.n_plus_one]\nmin_count = \"five\"\n")
        );
    }
}
