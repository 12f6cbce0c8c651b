//! Where an operation's code lives: the project's own code, a library (the standard library,
//! site-packages, frozen modules) or unknown (no source file); and its path as people
//! read it — relative to the repository, never an absolute path of the machine that traced it.
//!
//! The repository roots come from the edge (the git work tree of the current directory,
//! `GITHUB_WORKSPACE`, the current directory); this module only compares strings.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::identity::short_file;

/// Whose code an operation is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A source file of the project (inside the repository, or anywhere outside the
    /// interpreter's own directories).
    #[default]
    Own,
    /// The standard library, an installed package, a frozen module.
    Library,
    /// No source file in the trace: a C function of the interpreter (`list.append`,
    /// `time.sleep`), a browser event, a span without a code location.
    Unknown,
}

/// The directories whose files are the project's, most specific first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceRoots {
    roots: Vec<String>,
}

/// Markers after which a path names a library module (`.../site-packages/requests/api.py`).
const LIBRARY_MARKERS: [&str; 3] = ["/site-packages/", "/dist-packages/", "/lib/python"];

impl SourceRoots {
    /// Roots in order of preference; each is also tried canonicalized (a trace records real
    /// paths, a checkout may be reached through a symlink).
    pub fn new(roots: impl IntoIterator<Item = PathBuf>) -> Self {
        let mut out: Vec<String> = Vec::new();
        for root in roots {
            let canonical = std::fs::canonicalize(&root).ok();
            for r in std::iter::once(root).chain(canonical) {
                let s = normalize(&r.to_string_lossy());
                let s = s.trim_end_matches('/').to_string();
                if !s.is_empty() && !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        SourceRoots { roots: out }
    }

    /// The path people read and the origin of a source file as a trace wrote it.
    pub fn locate(&self, file: &str) -> (String, Origin) {
        if file.starts_with('<') {
            // `<frozen posixpath>`, `<string>`: no path of the machine in it.
            return (file.to_string(), Origin::Library);
        }
        let path = normalize(file);
        if let Some(module_path) = library_path(&path) {
            return (module_path, Origin::Library);
        }
        if !is_absolute(&path) {
            return (path, Origin::Own);
        }
        for root in &self.roots {
            if let Some(rest) = path.strip_prefix(root.as_str())
                && let Some(rest) = rest.strip_prefix('/')
                && !rest.is_empty()
            {
                return (rest.to_string(), Origin::Own);
            }
        }
        // Traced in another checkout (a CI runner's, a colleague's): the longest tail of the
        // path that names a file of this repository.
        if let Some(rest) = self.file_in_a_root(&path) {
            return (rest, Origin::Own);
        }
        // Traced elsewhere (a temporary directory): the file's own name says what it is; the
        // directory is the machine's.
        (short_file(&path).to_string(), Origin::Own)
    }
}

impl SourceRoots {
    /// The longest tail of `path` (at least two components) that is a file under one of the
    /// roots: `/home/ci/work/app/src/db.py` → `src/db.py` when the repository has it.
    fn file_in_a_root(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        (0..parts.len().saturating_sub(1)).find_map(|start| {
            let tail = parts[start..].join("/");
            self.roots
                .iter()
                .any(|root| Path::new(root).join(&tail).is_file())
                .then_some(tail)
        })
    }
}

/// The path after the interpreter's library directory: `json/decoder.py`,
/// `requests/sessions.py`.
fn library_path(path: &str) -> Option<String> {
    LIBRARY_MARKERS.iter().find_map(|marker| {
        let at = path.rfind(marker)?;
        let rest = &path[at + marker.len()..];
        // `/lib/python3.11/json/decoder.py`: skip the version directory.
        let rest = if *marker == "/lib/python" {
            rest.split_once('/')?.1
        } else {
            rest
        };
        let rest = rest
            .strip_prefix("site-packages/")
            .or_else(|| rest.strip_prefix("dist-packages/"))
            .unwrap_or(rest);
        (!rest.is_empty()).then(|| rest.to_string())
    })
}

/// Forward slashes, so Windows paths compare like the others.
fn normalize(path: &str) -> String {
    path.replace('\\', "/")
}

fn is_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with('/') || (bytes.len() > 2 && bytes[1] == b':' && bytes[2] == b'/')
}

/// The roots as the edge finds them: `GITHUB_WORKSPACE`, the git work tree around `cwd`, and
/// `cwd` itself.
pub fn roots_around(
    cwd: &Path,
    git_root: Option<PathBuf>,
    workspace: Option<PathBuf>,
) -> SourceRoots {
    SourceRoots::new(
        workspace
            .into_iter()
            .chain(git_root)
            .chain(std::iter::once(cwd.to_path_buf())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots() -> SourceRoots {
        SourceRoots {
            roots: vec!["/home/runner/work/svc/svc".into()],
        }
    }

    #[test]
    fn own_files_are_relative_to_the_repository() {
        assert_eq!(
            roots().locate("/home/runner/work/svc/svc/app/db.py"),
            ("app/db.py".to_string(), Origin::Own)
        );
        assert_eq!(
            roots().locate("service/db.py"),
            ("service/db.py".to_string(), Origin::Own)
        );
        // A root is a directory: /svc/svc2 is not inside /svc/svc.
        assert_eq!(
            roots().locate("/home/runner/work/svc/svc2/x.py"),
            ("x.py".to_string(), Origin::Own)
        );
    }

    #[test]
    fn files_traced_elsewhere_lose_the_machine_directory() {
        assert_eq!(
            roots().locate("/tmp/pytest-7/test_x0/app.py"),
            ("app.py".to_string(), Origin::Own)
        );
        assert_eq!(
            roots().locate("/tmp/x/pkg/__init__.py"),
            ("pkg/__init__.py".to_string(), Origin::Own)
        );
    }

    #[test]
    fn a_file_traced_in_another_checkout_is_found_in_this_one() {
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(repo.path().join("svc/db")).unwrap();
        std::fs::write(repo.path().join("svc/db/query.py"), "").unwrap();
        let roots = SourceRoots::new([repo.path().to_path_buf()]);
        assert_eq!(
            roots.locate("/home/runner/work/app/app/svc/db/query.py"),
            ("svc/db/query.py".to_string(), Origin::Own)
        );
        // Not in this repository: its own name only.
        assert_eq!(
            roots.locate("/home/runner/work/app/app/svc/db/other.py"),
            ("other.py".to_string(), Origin::Own)
        );
    }

    #[test]
    fn libraries_are_named_by_module_path() {
        let r = roots();
        assert_eq!(
            r.locate("/root/.pyenv/versions/3.11.7/lib/python3.11/json/decoder.py"),
            ("json/decoder.py".to_string(), Origin::Library)
        );
        assert_eq!(
            r.locate(
                "/home/runner/work/svc/svc/.venv/lib/python3.11/site-packages/requests/api.py"
            ),
            ("requests/api.py".to_string(), Origin::Library)
        );
        assert_eq!(
            r.locate("/usr/lib/python3/dist-packages/yaml/main.py"),
            ("yaml/main.py".to_string(), Origin::Library)
        );
        assert_eq!(
            r.locate("<frozen posixpath>"),
            ("<frozen posixpath>".to_string(), Origin::Library)
        );
        assert_eq!(
            r.locate(r"C:\Python311\Lib\site-packages\numpy\core.py"),
            ("numpy/core.py".to_string(), Origin::Library)
        );
    }
}
