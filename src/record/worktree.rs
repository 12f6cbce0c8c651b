//! The base revision checked out into a temporary git worktree, removed when dropped (also
//! after an error, and after Ctrl-C since `record` handles SIGINT and unwinds normally).
//!
//! Through the `git` command rather than git2: `git worktree add --detach` checks out a
//! commit without creating a branch (git2's worktree API wants a branch reference), and it
//! applies the repository's own checkout configuration exactly as the user's git does
//! (attributes, filters such as Git LFS, sparse checkout), which libgit2 does not run.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// A detached checkout of one commit in a temporary directory.
#[derive(Debug)]
pub struct BaseCheckout {
    /// The top of the checkout.
    pub path: PathBuf,
    /// The repository it belongs to (its main working tree or the worktree record ran in).
    repo_root: PathBuf,
    /// The temporary directory holding `path`; removed after the worktree.
    dir: Option<tempfile::TempDir>,
}

impl BaseCheckout {
    /// `git worktree add --detach TMP/base SHA`, run in `repo_root`.
    pub fn create(repo_root: &Path, sha: &str) -> anyhow::Result<BaseCheckout> {
        let dir = tempfile::Builder::new()
            .prefix("perfgate-record-")
            .tempdir()
            .context("could not create a temporary directory for the base checkout")?;
        let path = dir.path().join("base");
        let out = git(repo_root)
            .args(["worktree", "add", "--detach", "--quiet"])
            .arg(&path)
            .arg(sha)
            .output()
            .context("could not run git (needed to check out the base revision)")?;
        if !out.status.success() {
            bail!(
                "git worktree add {} {sha} failed: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(BaseCheckout {
            path,
            repo_root: repo_root.to_path_buf(),
            dir: Some(dir),
        })
    }

    /// Removes the worktree now, reporting a failure (drop does the same, quietly).
    pub fn remove(mut self) -> anyhow::Result<()> {
        self.cleanup()
    }

    fn cleanup(&mut self) -> anyhow::Result<()> {
        let Some(dir) = self.dir.take() else {
            return Ok(());
        };
        let out = git(&self.repo_root)
            .args(["worktree", "remove", "--force"])
            .arg(&self.path)
            .output();
        let removed = out.as_ref().is_ok_and(|o| o.status.success());
        // Whatever git did, the directory goes; `prune` then forgets a worktree whose
        // directory is gone.
        let _ = dir.close();
        if !removed {
            let _ = git(&self.repo_root).args(["worktree", "prune"]).output();
        }
        match out {
            Ok(o) if !o.status.success() => bail!(
                "git worktree remove {} failed: {}",
                self.path.display(),
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => Err(e).context("could not run git to remove the base checkout"),
            Ok(_) => Ok(()),
        }
    }
}

impl Drop for BaseCheckout {
    fn drop(&mut self) {
        if let Err(e) = self.cleanup() {
            crate::log::say!("perfgate: warning: {e:#}");
        }
    }
}

fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir);
    cmd
}
