//! Files perfgate writes (reports, baselines, the pre-push hook) are written whole or not at
//! all: the bytes go to a temporary file created exclusively (a fresh random name, never an
//! existing file) in the target's directory, are synced, and the file is renamed over the
//! target. Readers see the old file or the new one, never half of one; a failed write leaves
//! nothing behind.

use std::io::Write;
use std::path::Path;

use tempfile::NamedTempFile;

/// The directory a file at `path` lives in (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The complete `bytes` in a new temporary file in `path`'s directory, not yet renamed (it is
/// removed again when dropped).
pub(crate) fn stage(path: &Path, bytes: &[u8]) -> std::io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".perfgate-");
    // An ordinary file (tempfile's default is owner-only); the umask still applies.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(parent_dir(path))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// Renames a staged file over `path`.
pub(crate) fn persist(tmp: NamedTempFile, path: &Path) -> std::io::Result<()> {
    tmp.persist(path).map(drop).map_err(|e| e.error)
}

/// Writes `bytes` to `path` whole or not at all.
pub(crate) fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    persist(stage(path, bytes)?, path)
}

/// Writes `bytes` to `path` whole, only if no file is there: an existing file (even one made
/// while the bytes were staged) is left alone and the error is `AlreadyExists`.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    stage(path, bytes)?
        .persist_noclobber(path)
        .map(drop)
        .map_err(|e| e.error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old").unwrap();
        write_whole(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_write_that_fails_leaves_the_old_file_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub");
        std::fs::create_dir(&target).unwrap();
        // Renaming a file over a directory fails: the staged file must be cleaned up.
        assert!(write_whole(&target, b"x").is_err());
        assert!(target.is_dir());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
