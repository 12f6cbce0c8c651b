//! Files perfgate writes (reports, baselines, the pre-push hook) are written whole or not at
//! all: the bytes go to a temporary file created exclusively (a fresh random name, never an
//! existing file) in the target's directory, are synced, and the file is renamed over the
//! target. Readers see the old file or the new one, never half of one; a failed write leaves
//! nothing behind.
//!
//! A target that is not a regular file is not replaced: `--json /dev/stdout`, a named pipe or
//! a device is written into as it is, and a symbolic link to a regular file keeps pointing at
//! it (the file it points to is replaced whole).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// The directory a file at `path` lives in (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The bytes of a file, ready to be put in place by [`persist`].
pub(crate) enum Staged {
    /// Complete in a temporary file beside the regular file it will replace (removed again
    /// when dropped).
    Replace { tmp: NamedTempFile, target: PathBuf },
    /// For a device, a pipe or a descriptor alias (`/dev/stdout`): written into it at
    /// [`persist`], since such a target cannot be replaced and must not be.
    Into { bytes: Vec<u8>, target: PathBuf },
}

/// Where the bytes for `path` really go: the regular file to replace (the path itself, or the
/// file a symbolic link points to), or `None` for a target that is written into.
fn replaced_file(path: &Path) -> std::io::Result<Option<PathBuf>> {
    let meta = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Some(path.into())),
        other => other?,
    };
    if meta.is_file() {
        return Ok(Some(path.into()));
    }
    if !meta.file_type().is_symlink() {
        return Ok(None);
    }
    // `/dev/stdout` -> `/proc/self/fd/1` -> wherever standard output goes (a pipe has no
    // path at all): written into, never replaced (replacing the file behind it would cut the
    // shell's redirection).
    if is_system_alias(path) {
        return Ok(None);
    }
    let real = std::fs::canonicalize(path)?;
    Ok((!is_system_alias(&real) && std::fs::metadata(&real)?.is_file()).then_some(real))
}

/// A path under `/dev` or `/proc`: devices and descriptor aliases.
fn is_system_alias(path: &Path) -> bool {
    path.starts_with("/dev") || path.starts_with("/proc")
}

/// Which standard stream (1 or 2) a path names (`/dev/stdout`, `/dev/fd/2`...).
fn standard_stream(path: &Path) -> Option<u8> {
    let name = path.to_str()?;
    let fd = name
        .strip_prefix("/dev/fd/")
        .or_else(|| name.strip_prefix("/proc/self/fd/"))
        .or(match name {
            "/dev/stdout" => Some("1"),
            "/dev/stderr" => Some("2"),
            _ => None,
        })?;
    match fd {
        "1" => Some(1),
        "2" => Some(2),
        _ => None,
    }
}

/// The complete `bytes`, staged for `path`: in a new temporary file in the directory of the
/// regular file to replace, or held for a target that is written into.
pub(crate) fn stage(path: &Path, bytes: &[u8]) -> std::io::Result<Staged> {
    stage_with(path, |out| out.write_all(bytes))
}

/// What `write` writes, staged for `path` as [`stage`] does; written straight into the
/// temporary file (through a buffer), so that a large report is never held whole.
pub(crate) fn stage_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<Staged> {
    match replaced_file(path)? {
        Some(target) => {
            remove_stale(&target);
            let tmp = stage_in(parent_dir(&target), write, 6)?;
            Ok(Staged::Replace { tmp, target })
        }
        None => {
            let mut bytes = Vec::new();
            write(&mut bytes)?;
            Ok(Staged::Into {
                bytes,
                target: path.into(),
            })
        }
    }
}

/// The start of the name of perfgate's temporary files: `.perfgate-PID-`.
fn temp_prefix(pid: u32) -> String {
    format!(".perfgate-{pid}-")
}

/// Removes the temporary files that perfgate processes killed outright (`kill -9`, a lost
/// runner) left beside `target`: `.perfgate-PID-XXXXXX`, and `.NAME.tmp-PID` of older
/// versions, when they are regular files and process PID is gone. A live process's file is
/// never touched. Best effort: where processes cannot be told (no `/proc`), nothing is removed.
fn remove_stale(target: &Path) {
    let proc = Path::new("/proc/self");
    if !proc.exists() {
        return;
    }
    let dir = parent_dir(target);
    let old_style = target
        .file_name()
        .map(|n| format!(".{}.tmp-", n.to_string_lossy()));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let pid = name
            .strip_prefix(".perfgate-")
            .and_then(|rest| rest.split_once('-'))
            .map(|(pid, _)| pid)
            .or_else(|| name.strip_prefix(old_style.as_deref()?));
        let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let dead = !Path::new("/proc").join(pid.to_string()).exists();
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if dead && regular {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// What `write` writes, in a new file `.perfgate-PID-` + `random` random characters in `dir`.
/// The file is created exclusively (`O_CREAT | O_EXCL`): a name that exists, a symbolic link
/// planted there included, is never opened, so no other file is ever written through it.
fn stage_in(
    dir: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    random: usize,
) -> std::io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    let prefix = temp_prefix(std::process::id());
    builder.prefix(&prefix).rand_bytes(random);
    // An ordinary file (tempfile's default is owner-only); the umask still applies.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder.tempfile_in(dir)?;
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file());
    write(&mut buffered)?;
    buffered.flush()?;
    drop(buffered);
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// Puts a staged file in place: renames it over its target, or writes into the device.
pub(crate) fn persist(staged: Staged) -> std::io::Result<()> {
    match staged {
        Staged::Replace { tmp, target } => tmp.persist(target).map(drop).map_err(|e| e.error),
        Staged::Into { bytes, target } => write_into(&target, &bytes),
    }
}

/// Writes into an existing device, pipe or descriptor alias: opened for appending (a terminal
/// or a redirected standard output is not truncated), never created.
/// Standard output and standard error are written through perfgate's own handles, so the
/// report lands where the shell sent the stream, in order with the rest of the output.
fn write_into(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    match standard_stream(target) {
        Some(1) => write_flushed(&mut std::io::stdout().lock(), bytes),
        Some(_) => write_flushed(&mut std::io::stderr().lock(), bytes),
        None => {
            let mut file: File = OpenOptions::new().append(true).open(target)?;
            write_flushed(&mut file, bytes)
        }
    }
}

fn write_flushed(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}

/// Writes `bytes` to `path` whole or not at all.
pub(crate) fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    persist(stage(path, bytes)?)
}

/// Writes `bytes` to `path` whole, only if no file is there: an existing file (even one made
/// while the bytes were staged) is left alone and the error is `AlreadyExists`.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    match stage(path, bytes)? {
        Staged::Replace { tmp, .. } => tmp.persist_noclobber(path).map(drop).map_err(|e| e.error),
        // A device or a pipe is there already.
        Staged::Into { target, .. } => Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} exists", target.display()),
        )),
    }
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

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_at_the_temporary_name_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        // With no random characters the temporary name is known in advance.
        let known = temp_prefix(std::process::id());
        std::os::unix::fs::symlink(&victim, dir.path().join(known)).unwrap();
        let err = stage_in(dir.path(), |out| out.write_all(b"attacker-controlled"), 0).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_target_keeps_pointing_at_the_file_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_whole(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_into_not_replaced() {
        // /dev/null is a character device everyone may write to.
        write_whole(Path::new("/dev/null"), b"report").unwrap();
        let meta = std::fs::metadata("/dev/null").unwrap();
        assert!(std::os::unix::fs::FileTypeExt::is_char_device(
            &meta.file_type()
        ));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn temporary_files_of_killed_processes_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let alive = std::process::id();
        let stale = [
            format!(".perfgate-{dead}-a1B2c3"),
            format!(".report.json.tmp-{dead}"),
        ];
        let kept = [
            format!(".perfgate-{alive}-x9Y8z7"),
            format!(".other.json.tmp-{dead}"),
            "notes.txt".to_string(),
        ];
        for name in stale.iter().chain(&kept) {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        write_whole(&dir.path().join("report.json"), b"new").unwrap();
        for name in &stale {
            assert!(!dir.path().join(name).exists(), "{name} left behind");
        }
        for name in &kept {
            assert!(dir.path().join(name).exists(), "{name} removed");
        }
    }
}
