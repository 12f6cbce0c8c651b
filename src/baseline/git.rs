//! Reading baselines at a git revision, from the object database (git2), without a checkout:
//! `REV:PATH` sides (`origin/main:baselines/diagnostic.json`) and the base revision of a
//! pull request (`--base-ref auto`: the merge-base of HEAD with the default branch, or with
//! `GITHUB_BASE_REF` on GitHub Actions).
//!
//! Errors say what to do: not a repository, an unknown revision, a path absent at that
//! revision, and the shallow clone of CI checkouts (`fetch-depth: 0`).

use std::path::{Component, Path, PathBuf};

use git2::{ErrorCode, Oid, Repository};

/// What to tell the user of a shallow clone that lacks the history asked for.
const SHALLOW_HINT: &str = "this clone is shallow (CI checkouts usually are) and does not hold \
that history: fetch it with `git fetch --unshallow`, or with `fetch-depth: 0` on \
actions/checkout";

/// Why a baseline could not be read from git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{dir}: not a git repository (needed to read {what})")]
    NotARepository { dir: String, what: String },
    #[error("unknown revision '{rev}'; {}", unknown_hint(*.shallow))]
    UnknownRevision { rev: String, shallow: bool },
    #[error(
        "--base-ref auto: the pull request's target branch '{branch}' (GITHUB_BASE_REF) is not in \
         this clone as origin/{branch} or {branch}; {}",
        if *.shallow { SHALLOW_HINT.to_string() } else { format!("fetch it: git fetch origin {branch}") }
    )]
    UnknownBaseBranch { branch: String, shallow: bool },
    #[error("'{path}' does not exist at revision '{rev}' ({commit})")]
    PathNotAtRevision {
        rev: String,
        commit: String,
        path: String,
    },
    #[error("'{path}' at revision '{rev}' is not a file")]
    NotAFile { rev: String, path: String },
    #[error(
        "--base-ref auto: no default branch found (tried {tried}); give the base revision with --base-ref REV{}",
        hint(*.shallow, "; ")
    )]
    NoDefaultBranch { tried: String, shallow: bool },
    #[error("HEAD and '{base}' have no common ancestor{}", hint(*.shallow, ": "))]
    NoMergeBase { base: String, shallow: bool },
    #[error("{path}: the path is outside the repository at {root}")]
    OutsideRepository { path: String, root: String },
    /// A loose object whose compressed data is cut short or damaged. libgit2 spins forever
    /// on some of these, so perfgate checks each object it reads before libgit2 does.
    #[error(
        "{file}: the git object {oid} is corrupt (its compressed data is cut short or damaged); \
         `git fsck` names every damaged object, and a fresh clone or `git fetch` restores it"
    )]
    CorruptObject { oid: String, file: String },
    /// Any other libgit2 failure, as libgit2 words it.
    #[error(transparent)]
    Git(#[from] git2::Error),
}

/// What to do about a revision git does not know.
fn unknown_hint(shallow: bool) -> String {
    if shallow {
        SHALLOW_HINT.to_string()
    } else {
        "give a branch, tag or commit of this repository (a remote's branch needs a `git fetch` first)"
            .to_string()
    }
}

fn hint(shallow: bool, sep: &str) -> String {
    if shallow {
        format!("{sep}{SHALLOW_HINT}")
    } else {
        String::new()
    }
}

/// Splits `REV:PATH`. A path that exists on disk is never a revision, so `C:\x` or a file
/// named `a:b` stay files; the caller checks that first.
pub fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let (rev, path) = spec.split_once(':')?;
    (!rev.is_empty() && !path.is_empty()).then_some((rev, path))
}

/// How `--base-ref` names the base revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseRef {
    /// The merge-base of HEAD with the default branch (or with `GITHUB_BASE_REF`).
    Auto {
        /// The value of `GITHUB_BASE_REF`, when set (the target branch of a pull request).
        github_base_ref: Option<String>,
    },
    /// A revision as git understands it (`origin/main`, a tag, a sha).
    Rev(String),
}

impl BaseRef {
    /// `auto` or a revision; `github_base_ref` is the environment's `GITHUB_BASE_REF`.
    pub fn parse(arg: &str, github_base_ref: Option<String>) -> BaseRef {
        if arg == "auto" {
            BaseRef::Auto {
                github_base_ref: github_base_ref.filter(|s| !s.is_empty()),
            }
        } else {
            BaseRef::Rev(arg.to_string())
        }
    }
}

/// A repository opened from a directory inside it.
pub struct Repo {
    repo: Repository,
}

impl Repo {
    /// Finds the repository containing `dir`; `what` says what it was needed for.
    pub fn discover(dir: &Path, what: &str) -> Result<Repo, GitError> {
        match Repository::discover(dir) {
            Ok(repo) => Ok(Repo { repo }),
            Err(e) if e.code() == ErrorCode::NotFound => Err(GitError::NotARepository {
                dir: dir.display().to_string(),
                what: what.to_string(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The underlying git2 repository.
    pub fn git2(&self) -> &Repository {
        &self.repo
    }

    /// The commit a revision names.
    fn commit_of(&self, rev: &str) -> Result<git2::Commit<'_>, GitError> {
        let unknown = || GitError::UnknownRevision {
            rev: rev.to_string(),
            shallow: self.repo.is_shallow(),
        };
        if let Some(oid) = self.named_oid(rev) {
            self.check_loose(oid)?;
        }
        let object = self.repo.revparse_single(rev).map_err(|e| match e.code() {
            ErrorCode::NotFound | ErrorCode::InvalidSpec | ErrorCode::Ambiguous => unknown(),
            _ => e.into(),
        })?;
        // A sha of a commit cut off by a shallow clone parses but cannot be read.
        object.peel_to_commit().map_err(|e| match e.code() {
            ErrorCode::NotFound => unknown(),
            _ => e.into(),
        })
    }

    /// The object a full sha or a reference name (`HEAD`, `main`, `origin/main`) names, found
    /// without reading any object; `None` for other revision syntax (`HEAD~1`, a short sha).
    fn named_oid(&self, rev: &str) -> Option<Oid> {
        if rev.len() == 40
            && let Ok(oid) = Oid::from_str(rev)
        {
            return Some(oid);
        }
        let reference = self.repo.resolve_reference_from_short_name(rev).ok()?;
        reference.resolve().ok()?.target()
    }

    /// Refuses a loose object whose compressed data does not inflate to its end (see
    /// [`GitError::CorruptObject`]). Packed objects, and objects not in this repository's
    /// own object directory, are left to libgit2.
    fn check_loose(&self, oid: Oid) -> Result<(), GitError> {
        let hex = oid.to_string();
        let file = self
            .repo
            .commondir()
            .join("objects")
            .join(&hex[..2])
            .join(&hex[2..]);
        let Ok(compressed) = std::fs::read(&file) else {
            return Ok(());
        };
        if inflates_to_the_end(&compressed) {
            return Ok(());
        }
        Err(GitError::CorruptObject {
            oid: hex,
            file: file.display().to_string(),
        })
    }

    /// The bytes of `path` (relative to the repository root) at `rev`. Every object on the
    /// way (commit, trees, blob) is checked with [`Repo::check_loose`] before it is read.
    pub fn read_blob(&self, rev: &str, path: &str) -> Result<Vec<u8>, GitError> {
        let commit = self.commit_of(rev)?;
        let not_there = || GitError::PathNotAtRevision {
            rev: rev.to_string(),
            commit: short(commit.id()),
            path: path.to_string(),
        };
        let not_a_file = || GitError::NotAFile {
            rev: rev.to_string(),
            path: path.to_string(),
        };
        self.check_loose(commit.tree_id())?;
        let mut tree = commit.tree()?;
        let clean = path.trim_start_matches("./");
        let mut parts = Path::new(clean)
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .peekable();
        while let Some(part) = parts.next() {
            let Component::Normal(name) = part else {
                return Err(not_there());
            };
            let (id, kind) = tree
                .get_name(&name.to_string_lossy())
                .map(|entry| (entry.id(), entry.kind()))
                .ok_or_else(not_there)?;
            self.check_loose(id)?;
            if parts.peek().is_none() {
                if kind != Some(git2::ObjectType::Blob) {
                    return Err(not_a_file());
                }
                return Ok(self.repo.find_blob(id)?.content().to_vec());
            }
            if kind != Some(git2::ObjectType::Tree) {
                return Err(not_there());
            }
            tree = self.repo.find_tree(id)?;
        }
        Err(not_a_file())
    }

    /// The base revision `base` names, as a sha, and a description for messages
    /// (`merge-base of HEAD and origin/main`).
    pub fn resolve_base(&self, base: &BaseRef) -> Result<(String, String), GitError> {
        match base {
            BaseRef::Rev(rev) => {
                let commit = self.commit_of(rev)?;
                Ok((commit.id().to_string(), rev.clone()))
            }
            BaseRef::Auto { github_base_ref } => {
                let branch = self.default_branch(github_base_ref.as_deref())?;
                let head = self.commit_of("HEAD")?.id();
                let target = self.commit_of(&branch)?.id();
                let base = self
                    .repo
                    .merge_base(head, target)
                    .map_err(|e| match e.code() {
                        ErrorCode::NotFound => GitError::NoMergeBase {
                            base: branch.clone(),
                            shallow: self.repo.is_shallow(),
                        },
                        _ => e.into(),
                    })?;
                let how = if base == head {
                    // On the target branch itself, or origin/HEAD pointing at this branch (a
                    // `git clone -b feature`): the "before" would be the commit under test.
                    format!(
                        "merge-base of HEAD and {branch}, which is HEAD itself: the before \
                         side is this commit's own baseline; give --base-ref REV to compare \
                         with another"
                    )
                } else {
                    format!("merge-base of HEAD and {branch}")
                };
                Ok((base.to_string(), how))
            }
        }
    }

    /// The branch a pull request targets: `GITHUB_BASE_REF` (as a remote-tracking branch
    /// first), else what origin/HEAD points to, else origin/main, origin/master, main, master.
    fn default_branch(&self, github_base_ref: Option<&str>) -> Result<String, GitError> {
        let mut candidates: Vec<String> = Vec::new();
        if let Some(b) = github_base_ref {
            candidates.extend([format!("origin/{b}"), b.to_string()]);
        } else {
            if let Ok(r) = self.repo.find_reference("refs/remotes/origin/HEAD")
                && let Ok(Some(target)) = r.symbolic_target()
            {
                candidates.push(target.trim_start_matches("refs/remotes/").to_string());
            }
            candidates.extend(["origin/main", "origin/master", "main", "master"].map(String::from));
        }
        candidates
            .iter()
            .find(|c| self.commit_of(c).is_ok())
            .cloned()
            .ok_or_else(|| {
                let tried = candidates.join(", ");
                match github_base_ref {
                    Some(b) => GitError::UnknownBaseBranch {
                        branch: b.to_string(),
                        shallow: self.repo.is_shallow(),
                    },
                    None => GitError::NoDefaultBranch {
                        tried,
                        shallow: self.repo.is_shallow(),
                    },
                }
            })
    }

    /// `path` (relative to the current directory `cwd`, or absolute) as a path from the
    /// repository root with `/` separators, as git names it in a tree.
    pub fn path_in_repo(&self, path: &Path, cwd: &Path) -> Result<String, GitError> {
        let root = self.repo.workdir().unwrap_or_else(|| self.repo.commondir());
        let root = canonical(root);
        let full = normalize(&canonical(cwd).join(path));
        let rel = full
            .strip_prefix(&root)
            .map_err(|_| GitError::OutsideRepository {
                path: path.display().to_string(),
                root: root.display().to_string(),
            })?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Ok(parts.join("/"))
    }
}

/// Whether zlib data inflates up to its end-of-stream marker (a loose object cut short, or
/// with damaged bytes, does not).
fn inflates_to_the_end(compressed: &[u8]) -> bool {
    let mut inflate = flate2::Decompress::new(true);
    let mut out = vec![0u8; 1 << 16];
    loop {
        let (read, written) = (inflate.total_in(), inflate.total_out());
        let rest = &compressed[read as usize..];
        match inflate.decompress(rest, &mut out, flate2::FlushDecompress::None) {
            Ok(flate2::Status::StreamEnd) => return true,
            Err(_) => return false,
            // No progress: the input ended before the stream did.
            Ok(_) if inflate.total_in() == read && inflate.total_out() == written => return false,
            Ok(_) => {}
        }
    }
}

fn short(oid: Oid) -> String {
    oid.to_string()[..10].to_string()
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// Removes `.` and resolves `..` lexically (the file need not exist in the working tree).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository with `file` committed on main, then changed on a `feature` branch.
    fn two_branch_repo(dir: &Path) {
        let repo = Repository::init(dir).unwrap();
        let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
        let commit = |repo: &Repository, content: &str, parents: &[&git2::Commit]| {
            let blob = repo.blob(content.as_bytes()).unwrap();
            let mut sub = repo.treebuilder(None).unwrap();
            sub.insert("b.json", blob, 0o100644).unwrap();
            let sub = sub.write().unwrap();
            let mut root = repo.treebuilder(None).unwrap();
            root.insert("baselines", sub, 0o040000).unwrap();
            let tree = repo.find_tree(root.write().unwrap()).unwrap();
            repo.commit(None, &sig, &sig, content, &tree, parents)
                .unwrap()
        };
        let c1 = commit(&repo, "main-1", &[]);
        let c1 = repo.find_commit(c1).unwrap();
        repo.branch("main", &c1, true).unwrap();
        let c2 = commit(&repo, "feature-2", &[&c1]);
        let c2 = repo.find_commit(c2).unwrap();
        repo.branch("feature", &c2, true).unwrap();
        let c3 = commit(&repo, "main-3", &[&c1]);
        repo.reference("refs/heads/main", c3, true, "advance main")
            .unwrap();
        repo.set_head("refs/heads/feature").unwrap();
    }

    #[test]
    fn reads_blobs_at_revisions_and_finds_the_merge_base() {
        let dir = tempfile::tempdir().unwrap();
        two_branch_repo(dir.path());
        let repo = Repo::discover(dir.path(), "a baseline").unwrap();
        assert_eq!(
            repo.read_blob("main", "baselines/b.json").unwrap(),
            b"main-3"
        );
        assert_eq!(
            repo.read_blob("HEAD", "./baselines/b.json").unwrap(),
            b"feature-2"
        );
        let auto = BaseRef::parse("auto", None);
        let (sha, label) = repo.resolve_base(&auto).unwrap();
        assert_eq!(label, "merge-base of HEAD and main");
        assert_eq!(repo.read_blob(&sha, "baselines/b.json").unwrap(), b"main-1");
        // On Actions the target branch comes from GITHUB_BASE_REF.
        let gh = BaseRef::parse("auto", Some("feature".into()));
        // HEAD is on that branch: the base is HEAD itself, and the description says so.
        let how = repo.resolve_base(&gh).unwrap().1;
        assert!(
            how.starts_with("merge-base of HEAD and feature, which is HEAD itself"),
            "{how}"
        );
    }

    #[test]
    fn errors_say_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        two_branch_repo(dir.path());
        let repo = Repo::discover(dir.path(), "a baseline").unwrap();
        let e = repo.read_blob("nope", "baselines/b.json").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("unknown revision 'nope'; give a branch, tag or commit"),
            "{e}"
        );
        let gh = BaseRef::parse("auto", Some("release".into()));
        let e = repo.resolve_base(&gh).unwrap_err().to_string();
        assert!(
            e.contains("target branch 'release' (GITHUB_BASE_REF)")
                && e.ends_with("fetch it: git fetch origin release"),
            "{e}"
        );
        let e = repo.read_blob("main", "baselines/x.json").unwrap_err();
        assert!(matches!(e, GitError::PathNotAtRevision { .. }), "{e}");
        let e = repo.read_blob("main", "baselines").unwrap_err();
        assert!(matches!(e, GitError::NotAFile { .. }), "{e}");
        let outside = tempfile::tempdir().unwrap();
        let e = Repo::discover(outside.path(), "a baseline").err().unwrap();
        assert!(e.to_string().contains("not a git repository"), "{e}");
    }

    #[test]
    fn paths_are_made_relative_to_the_root() {
        let dir = tempfile::tempdir().unwrap();
        two_branch_repo(dir.path());
        let repo = Repo::discover(dir.path(), "a baseline").unwrap();
        let sub = dir.path().join("baselines");
        std::fs::create_dir_all(&sub).unwrap();
        assert_eq!(
            repo.path_in_repo(Path::new("../baselines/./b.json"), &sub)
                .unwrap(),
            "baselines/b.json"
        );
        assert!(repo.path_in_repo(Path::new("/elsewhere/x"), &sub).is_err());
    }

    #[test]
    fn specs_split_at_the_first_colon() {
        assert_eq!(
            split_spec("origin/main:baselines/x.json"),
            Some(("origin/main", "baselines/x.json"))
        );
        assert_eq!(split_spec("trace.json"), None);
        assert_eq!(split_spec(":x"), None);
    }
}
