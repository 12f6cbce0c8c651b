//! Entry points for the fuzz targets (`fuzz/`, cargo-fuzz) and for the replay of the inputs
//! they found (`tests/cli/fuzz_regressions.rs`, on stable): each takes hostile bytes through
//! one reader and the stages after it, as the commands would, and returns the error the user
//! would see. None of them may panic, hang or take memory without bound; that is what the
//! fuzzer checks. Not part of perfgate's interface.

use crate::ops::table::{OpFilter, SortKey, build_table};
use crate::ops::{CallTree, Catalog, KeyMode, Profile};
use crate::trace::Limits;

/// Limits small enough that the fuzzer explores quickly (a value past 4 MiB, a name past
/// 64 KiB, more than 10,000 names are errors), the same code paths as the defaults.
const FUZZ_LIMITS: Limits = Limits {
    max_name_bytes: 64 << 10,
    max_names: 10_000,
    max_value_bytes: 4 << 20,
};

/// A trace (any format, gzip or not) read, built into a call tree, aggregated into the
/// operation table and a baseline profile.
pub fn trace(bytes: &[u8]) -> Result<(), String> {
    let input = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let trace = crate::trace::read_trace_within(input, "fuzz.json", None, FUZZ_LIMITS)
        .map_err(|e| e.to_string())?;
    let _ = trace.notes.warnings();
    let mut catalog = Catalog::new(KeyMode::Function);
    let trees = vec![CallTree::build(trace, &mut catalog)];
    let table = build_table(&trees, &catalog, &OpFilter::default(), SortKey::Total);
    let profile = Profile::from_trees(&trees, &catalog);
    let baseline = crate::baseline::Baseline::from_profile(&profile, KeyMode::Function);
    let _ = (table.len(), baseline.to_json());
    Ok(())
}

/// A budgets.toml file read and validated.
pub fn budgets(bytes: &[u8]) -> Result<(), String> {
    let text = crate::config::utf8(bytes, "budgets.toml").map_err(|e| e.to_string())?;
    crate::config::parse(text, "budgets.toml")
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A baseline file read, and written back.
pub fn baseline(bytes: &[u8]) -> Result<(), String> {
    let baseline =
        crate::baseline::Baseline::from_slice(bytes, "b.json").map_err(|e| e.to_string())?;
    let _ = baseline.to_json();
    Ok(())
}
