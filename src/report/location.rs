//! Where a result is in the repository, for the renderers that point into it (the Markdown
//! comment's links to the source, SARIF's artifact locations).
//!
//! The outcome carries source files as people read them: a path relative to the repository for
//! the project's own code, a module path (`json/decoder.py`) for a library, a pseudo-file
//! (`<frozen posixpath>`) or nothing for the rest. Only the first is a file of the repository.

use crate::ops::Origin;

/// `file` when it names a file of the repository: the project's own code, written as a
/// relative path that stays inside the repository (no `/` or drive letter in front, no `..`,
/// no `<pseudo-file>`, no URL).
pub fn repository_file(file: Option<&str>, origin: Origin) -> Option<&str> {
    let path = file?;
    let inside = !path.is_empty()
        && !path.starts_with('/')
        && !path.starts_with('\\')
        && !path.starts_with('<')
        && !path.contains("..")
        && !path.contains(':');
    (origin == Origin::Own && inside).then_some(path)
}

/// A relative path as the path of a URI: every byte but unreserved characters and `/`
/// percent-encoded (so no space, quote, `#`, `?`, `:` or angle bracket survives).
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_own_relative_paths_are_files_of_the_repository() {
        fn own(p: &str) -> Option<&str> {
            repository_file(Some(p), Origin::Own)
        }
        assert_eq!(own("app/db.py"), Some("app/db.py"));
        for outside in [
            "/home/ci/app/db.py",
            "<frozen posixpath>",
            "../other/db.py",
            "C:/app/db.py",
            "https://example.invalid/x.py",
            "",
        ] {
            assert_eq!(own(outside), None, "{outside}");
        }
        assert_eq!(
            repository_file(Some("json/decoder.py"), Origin::Library),
            None
        );
        assert_eq!(repository_file(None, Origin::Own), None);
    }

    #[test]
    fn uri_paths_keep_slashes_and_encode_the_rest() {
        assert_eq!(uri_path("app/db.py"), "app/db.py");
        assert_eq!(uri_path("my app/\"x\"#1?.py"), "my%20app/%22x%22%231%3F.py");
        assert_eq!(uri_path("é.py"), "%C3%A9.py");
    }
}
