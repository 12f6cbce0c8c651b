//! Operations: what a span is an instance of ([`identity`]), the call trees spans form
//! ([`tree`]), and the statistics of each operation across traces ([`stats`], [`table`]).
//!
//! A [`Catalog`] is shared by every trace of one command (both sides of a comparison), so an
//! [`OpId`] means the same operation everywhere in that command.

pub mod callpaths;
pub mod coroutine;
pub mod identity;
pub mod memory;
pub mod pattern;
pub mod profile;
pub mod scope;
pub mod slowest;
pub mod source;
pub mod stats;
pub mod table;
pub mod tree;

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};

pub use identity::{KeyMode, parse_name};
pub use profile::{ChildEdge, OpProfile, Profile, RunFigures};
pub use scope::Scope;
pub use source::{Origin, SourceRoots};
#[cfg(test)]
pub use stats::{OpSamples, collect_samples};
pub use stats::{OpStats, percentile};
pub use table::{OpFilter, SortKey};
pub use tree::{CallTree, NO_PARENT};

/// Index of an operation in its [`Catalog`].
pub type OpId = u32;

/// What is known of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpInfo {
    /// The identity key; equal keys are the same operation.
    pub key: String,
    pub function: String,
    /// The source file as people read it: relative to the repository, or the module path of
    /// a library (see [`source`]); never an absolute path of the tracing machine.
    pub file: Option<Arc<str>>,
    /// The line in that file.
    pub line: Option<u32>,
    /// Whose code it is (set by the catalog from the file).
    pub origin: Origin,
}

/// The operations seen by one command, by key.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    mode: KeyMode,
    sources: SourceRoots,
    /// Each source file located once: many operations share a file, and locating one may
    /// look at the disk.
    located: FxHashMap<String, (Arc<str>, Origin)>,
    ops: Vec<OpInfo>,
    /// The ids of `ops` hashed by their key: each key is held once, in its [`OpInfo`]
    /// (a trace may have millions of operations).
    by_key: HashTable<OpId>,
    /// The operations the command looks at ([`scope`]); everything by default.
    scope: Scope,
    /// Per operation: whether `scope` keeps it.
    in_scope: Vec<bool>,
}

impl Catalog {
    /// A catalog that knows no repository: files outside the interpreter's directories keep
    /// only their own name.
    pub fn new(mode: KeyMode) -> Self {
        Catalog {
            mode,
            ..Catalog::default()
        }
    }

    /// A catalog that shows the files under `sources` relative to them.
    pub fn with_sources(mode: KeyMode, sources: SourceRoots) -> Self {
        Catalog {
            mode,
            sources,
            ..Catalog::default()
        }
    }

    /// This catalog with `scope` deciding which operations are in scope.
    pub fn scoped(mut self, scope: Scope) -> Self {
        self.in_scope = self.ops.iter().map(|info| scope.keeps(info)).collect();
        self.scope = scope;
        self
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Whether the command looks at operation `op` (see [`scope`]).
    pub fn in_scope(&self, op: OpId) -> bool {
        self.in_scope[op as usize]
    }

    pub fn mode(&self) -> KeyMode {
        self.mode
    }

    /// The operation of a raw span name, registered on first sight.
    pub fn intern_name(&mut self, raw: &str) -> OpId {
        let parsed = parse_name(raw);
        let key = identity::operation_key(&parsed, raw, self.mode);
        if let Some(id) = self.lookup(&key) {
            return id;
        }
        let file = parsed.file.as_deref();
        self.register(key, parsed.function, file, parsed.line, Origin::Unknown)
    }

    /// Registers an operation by its info (used by baselines, which store keys). Its file is
    /// located against the repository here, whatever the caller set as path; the origin too,
    /// unless the caller says `Library` (a baseline's saved module path such as `random.py`,
    /// which would otherwise read as a file of the repository).
    pub fn intern(&mut self, info: OpInfo) -> OpId {
        if let Some(id) = self.lookup(&info.key) {
            return id;
        }
        let file = info.file.as_deref();
        self.register(info.key, info.function, file, info.line, info.origin)
    }

    /// Adds an operation that is not in the catalog yet, its `file` located.
    fn register(
        &mut self,
        key: String,
        function: String,
        file: Option<&str>,
        line: Option<u32>,
        origin: Origin,
    ) -> OpId {
        let (file, origin) = match file {
            Some(file) => {
                let (shown, located) = self.locate(file);
                let origin = if origin == Origin::Library {
                    Origin::Library
                } else {
                    located
                };
                (Some(shown), origin)
            }
            None => (None, Origin::Unknown),
        };
        let info = OpInfo {
            key,
            function,
            file,
            line,
            origin,
        };
        let id = self.ops.len() as OpId;
        let ops = &self.ops;
        self.by_key.insert_unique(key_hash(&info.key), id, |&op| {
            key_hash(&ops[op as usize].key)
        });
        self.in_scope.push(self.scope.keeps(&info));
        self.ops.push(info);
        id
    }

    /// The file as shown, and whose code it is: located once per file, its text shared by
    /// every operation of the file.
    fn locate(&mut self, file: &str) -> (Arc<str>, Origin) {
        if let Some(known) = self.located.get(file) {
            return known.clone();
        }
        let (shown, origin) = self.sources.locate(file);
        let known = (Arc::<str>::from(shown), origin);
        self.located.insert(file.to_string(), known.clone());
        known
    }

    pub fn lookup(&self, key: &str) -> Option<OpId> {
        self.by_key
            .find(key_hash(key), |&op| self.ops[op as usize].key == key)
            .copied()
    }

    /// What is known of every operation, by id, the catalog given up (a caller that needs
    /// nothing more of it takes the names instead of copying them).
    pub fn into_infos(self) -> Vec<OpInfo> {
        self.ops
    }

    pub fn info(&self, op: OpId) -> &OpInfo {
        &self.ops[op as usize]
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

fn key_hash(key: &str) -> u64 {
    FxBuildHasher.hash_one(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(key: &str, file: &str, origin: Origin) -> OpInfo {
        OpInfo {
            key: key.into(),
            function: key.into(),
            file: Some(file.into()),
            line: Some(1),
            origin,
        }
    }

    #[test]
    fn a_saved_library_path_stays_library_and_other_paths_are_located() {
        let mut catalog = Catalog::new(KeyMode::File);
        // `random.py` alone reads as a relative file of the project...
        let own = catalog.intern(info("a", "random.py", Origin::Unknown));
        assert_eq!(catalog.info(own).origin, Origin::Own);
        // ...unless the baseline that saved it says it is a library module.
        let library = catalog.intern(info("b", "random.py", Origin::Library));
        assert_eq!(catalog.info(library).origin, Origin::Library);
        // What the caller says of own code does not override the location.
        let located = catalog.intern(info(
            "c",
            "/usr/lib/python3.11/json/decoder.py",
            Origin::Own,
        ));
        assert_eq!(catalog.info(located).origin, Origin::Library);
        assert_eq!(
            catalog.info(located).file.as_deref(),
            Some("json/decoder.py")
        );
    }
}
