//! The pre-push git hook: writing and removing it (honouring `core.hooksPath`, never
//! clobbering a hook perfgate did not write), reading what git is pushing from the hook's
//! standard input, and the gate it runs (the `[hook]` section of budgets.toml).
//!
//! The gate runs perfgate itself as a child process (`perfgate compare BASELINE TRACE` or
//! `perfgate check TRACE`), so the hook's verdict is exactly what the user gets when they run
//! the printed command to reproduce it.

use std::path::{Path, PathBuf};

use git2::Repository;

/// The line that marks a hook as perfgate's; `uninstall` removes only hooks that carry it.
pub const MARKER: &str = "# perfgate-managed pre-push hook";

/// Why a hook could not be installed or removed.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("{dir}: not a git repository (run `perfgate hook` inside the repository)")]
    NotARepository { dir: String },
    #[error(
        "{path}: a pre-push hook already exists and perfgate did not write it; it was left as it is.\n\
         Either replace it: perfgate hook install --force (which keeps it as pre-push.before-perfgate)\n\
         or chain perfgate from it: pre-push hooks read the pushed refs on standard input once, so save it \
         and feed it to perfgate:\n    input=$(cat)\n    printf '%s\\n' \"$input\" | perfgate hook run \"$@\" || exit 1\n\
         and give \"$input\" to the rest of your hook the same way"
    )]
    Exists { path: String },
    /// The message holds the I/O error (not chained as a source, so it prints once).
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    /// Any other libgit2 failure, as libgit2 words it.
    #[error(transparent)]
    Git(#[from] git2::Error),
}

/// What `uninstall` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    Removed(PathBuf),
    /// Removed, and the hook it had replaced (`install --force`) put back from this backup.
    Restored {
        path: PathBuf,
        from: PathBuf,
    },
    /// No pre-push hook at all.
    Absent(PathBuf),
    /// A hook perfgate did not write: left alone.
    NotOurs(PathBuf),
}

/// The repository containing `dir`.
pub fn open_repo(dir: &Path) -> Result<Repository, HookError> {
    Repository::discover(dir).map_err(|e| match e.code() {
        git2::ErrorCode::NotFound => HookError::NotARepository {
            dir: dir.display().to_string(),
        },
        _ => e.into(),
    })
}

/// Where git looks for hooks: `core.hooksPath` (relative to the working tree, as git reads
/// it) or the `hooks` directory of the repository (shared by its worktrees).
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf, HookError> {
    let configured = repo
        .config()?
        .get_path("core.hooksPath")
        .ok()
        .filter(|p| !p.as_os_str().is_empty());
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
        None => repo.commondir().join("hooks"),
    })
}

/// The hook script: runs this perfgate (by its absolute path, else from PATH).
pub fn script(exe: &Path) -> String {
    format!(
        "#!/bin/sh\n\
         {MARKER} (perfgate hook install; remove with: perfgate hook uninstall)\n\
         perfgate={}\n\
         [ -x \"$perfgate\" ] || perfgate=perfgate\n\
         exec \"$perfgate\" hook run \"$@\"\n",
        shell_quote(&exe.display().to_string())
    )
}

/// What `install` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The hook written.
    pub path: PathBuf,
    /// Where a foreign hook replaced with `force` was kept, so it can be chained or restored.
    pub kept: Option<PathBuf>,
}

/// Writes the pre-push hook; refuses to replace a foreign hook unless `force`, and then keeps
/// it next to the new one (`pre-push.before-perfgate`).
pub fn install(repo: &Repository, exe: &Path, force: bool) -> Result<Installed, HookError> {
    let dir = hooks_dir(repo)?;
    let path = dir.join("pre-push");
    let io = |error| HookError::Io {
        path: path.display().to_string(),
        error,
    };
    let mut kept = None;
    if let Some(existing) = read_existing(&path).map_err(io)?
        && !is_ours(&existing)
    {
        if !force {
            return Err(HookError::Exists {
                path: path.display().to_string(),
            });
        }
        let backup = free_name(&dir.join("pre-push.before-perfgate"));
        std::fs::rename(&path, &backup).map_err(io)?;
        kept = Some(backup);
    }
    crate::baseline::write_whole(&path, script(exe).as_bytes()).map_err(io)?;
    make_executable(&path).map_err(io)?;
    Ok(Installed { path, kept })
}

/// The bytes of the hook at `path`, `None` when there is none. A hook may be any executable
/// (a compiled program, a script in another encoding): it is read as bytes, and any failure
/// other than its absence is an error, never taken for "no hook".
fn read_existing(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether perfgate wrote this hook (it carries [`MARKER`]).
fn is_ours(hook: &[u8]) -> bool {
    memchr::memmem::find(hook, MARKER.as_bytes()).is_some()
}

/// `base`, or `base.1`, `base.2`, ... : the first name not taken, so no backup is overwritten.
fn free_name(base: &Path) -> PathBuf {
    let mut candidate = base.to_path_buf();
    let mut n = 0;
    while candidate.exists() {
        n += 1;
        candidate = PathBuf::from(format!("{}.{n}", base.display()));
    }
    candidate
}

/// Removes the pre-push hook when perfgate wrote it.
pub fn uninstall(repo: &Repository) -> Result<Removal, HookError> {
    let path = hooks_dir(repo)?.join("pre-push");
    match read_existing(&path) {
        Ok(None) => Ok(Removal::Absent(path)),
        Err(error) => Err(HookError::Io {
            path: path.display().to_string(),
            error,
        }),
        Ok(Some(hook)) if !is_ours(&hook) => Ok(Removal::NotOurs(path)),
        Ok(Some(_)) => {
            let io = |error| HookError::Io {
                path: path.display().to_string(),
                error,
            };
            std::fs::remove_file(&path).map_err(io)?;
            match latest_backup(&path.with_file_name("pre-push.before-perfgate")) {
                Some(from) => {
                    std::fs::rename(&from, &path).map_err(io)?;
                    Ok(Removal::Restored { path, from })
                }
                None => Ok(Removal::Removed(path)),
            }
        }
    }
}

/// The most recent backup `install --force` made: the last of `base`, `base.1`, `base.2`, ...
fn latest_backup(base: &Path) -> Option<PathBuf> {
    let mut latest = base.exists().then(|| base.to_path_buf())?;
    for n in 1.. {
        let next = PathBuf::from(format!("{}.{n}", base.display()));
        if !next.exists() {
            break;
        }
        latest = next;
    }
    Some(latest)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// One line of the pre-push standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRef {
    pub local_ref: String,
    pub local_sha: String,
    pub remote_ref: String,
    pub remote_sha: String,
}

impl PushedRef {
    /// A branch deletion (`git push origin :branch`): nothing new reaches the remote.
    pub fn is_deletion(&self) -> bool {
        self.local_ref == "(delete)" || self.local_sha.bytes().all(|b| b == b'0')
    }
}

/// Parses `<local-ref> <local-sha> <remote-ref> <remote-sha>` lines; others are ignored.
pub fn parse_pushed(stdin: &str) -> Vec<PushedRef> {
    stdin
        .lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let r = PushedRef {
                local_ref: f.next()?.to_string(),
                local_sha: f.next()?.to_string(),
                remote_ref: f.next()?.to_string(),
                remote_sha: f.next()?.to_string(),
            };
            Some(r)
        })
        .collect()
}

/// What the `[hook]` section asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSettings {
    /// What the gate judges.
    pub gate: Gate,
    /// `--fail-on` for the gate, when set.
    pub fail_on: Option<String>,
    /// The budgets file the settings came from.
    pub config: String,
}

/// The two kinds of gate `[hook]` can ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// One trace (written by `command`, when given), checked against the budgets or compared
    /// with a baseline.
    Trace {
        /// A shell command that produces the trace (run from the repository root).
        command: Option<String>,
        /// The trace to judge.
        trace: String,
        /// A baseline (file or `REV:PATH`) to compare with; without it the budgets are checked.
        baseline: Option<String>,
    },
    /// `record = true`: `perfgate record` with the `[record]` section, base and head traced
    /// side by side; no baseline needed.
    Record,
}

impl HookSettings {
    /// The perfgate arguments of the gate.
    pub fn gate_args(&self) -> Vec<String> {
        let mut args: Vec<String> = match &self.gate {
            Gate::Trace {
                baseline: Some(b),
                trace,
                ..
            } => ["compare", b, trace, "--budgets", &self.config]
                .map(String::from)
                .to_vec(),
            Gate::Trace { trace, .. } => ["check", trace, "--budgets", &self.config]
                .map(String::from)
                .to_vec(),
            Gate::Record => ["record", "--budgets", &self.config]
                .map(String::from)
                .to_vec(),
        };
        if let Some(f) = &self.fail_on {
            args.extend(["--fail-on".to_string(), f.clone()]);
        }
        args
    }

    /// The command line a user runs to reproduce the gate.
    pub fn reproduce(&self) -> String {
        let gate = std::iter::once("perfgate".to_string())
            .chain(self.gate_args())
            .map(|a| shell_quote(&a))
            .collect::<Vec<_>>()
            .join(" ");
        match &self.gate {
            Gate::Trace {
                command: Some(c), ..
            } => format!("{c} && {gate}"),
            _ => gate,
        }
    }
}

/// Quotes `s` for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@+%".contains(&b));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletions_and_garbage_are_recognised() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let refs = parse_pushed(&format!(
            "refs/heads/x {a} refs/heads/x {z}\n(delete) {z} refs/heads/y {a}\n\nnonsense\n"
        ));
        assert_eq!(refs.len(), 2);
        assert!(!refs[0].is_deletion());
        assert!(refs[1].is_deletion());
    }

    #[test]
    fn the_reproduce_command_is_shell_safe() {
        let s = HookSettings {
            gate: Gate::Trace {
                command: Some("make trace".into()),
                trace: "out dir/trace.json".into(),
                baseline: Some("baselines/d.json".into()),
            },
            fail_on: Some("warn".into()),
            config: "budgets.toml".into(),
        };
        assert_eq!(
            s.reproduce(),
            "make trace && perfgate compare baselines/d.json 'out dir/trace.json' --budgets budgets.toml --fail-on warn"
        );
        let record = HookSettings {
            gate: Gate::Record,
            fail_on: None,
            config: "my budgets.toml".into(),
        };
        assert_eq!(
            record.reproduce(),
            "perfgate record --budgets 'my budgets.toml'"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
