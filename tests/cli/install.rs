//! The Action's installer (scripts/action/install.sh) on a fake runner: a fake release (archives
//! and checksums in a directory, served by a `curl` stub on PATH that logs every URL) and a
//! `cargo` stub that logs the build it was asked for. Every OS/architecture a runner reports
//! gets its release; a checksum that does not match installs nothing; when no release fits,
//! the action's sources are built (the stub stands in for the real `cargo install`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::tool_available;

/// The runners' (RUNNER_OS, RUNNER_ARCH) and the release target each must download.
const PLATFORMS: [(&str, &str, &str); 5] = [
    ("Linux", "X64", "x86_64-unknown-linux-musl"),
    ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
    ("macOS", "X64", "x86_64-apple-darwin"),
    ("macOS", "ARM64", "aarch64-apple-darwin"),
    ("Windows", "X64", "x86_64-pc-windows-msvc"),
];

const SERVER: &str = "https://github.invalid";
const VERSION: &str = "9.9.9";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn have_tools() -> bool {
    let ok = ["bash", "tar", "sha256sum"].iter().all(|t| {
        Command::new(t)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    tool_available("bash, tar and sha256sum", ok)
}

fn write_script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// A fake runner with a fake release of perfgate VERSION for every target.
struct FakeRunner {
    dir: tempfile::TempDir,
}

impl FakeRunner {
    fn new() -> FakeRunner {
        let dir = tempfile::tempdir().unwrap();
        let runner = FakeRunner { dir };
        let bin = runner.path("bin");
        std::fs::create_dir_all(&bin).unwrap();
        write_script(
            &bin.join("curl"),
            r#"#!/bin/sh
out=""; url=""
while [ $# -gt 0 ]; do
    case "$1" in
        -o) out="$2"; shift 2 ;;
        --retry) shift 2 ;;
        -*) shift ;;
        *) url="$1"; shift ;;
    esac
done
echo "$url" >>"$CURL_LOG"
file="$FAKE_RELEASES/${url#"$GITHUB_SERVER_URL"/}"
[ -f "$file" ] || exit 22
cp "$file" "$out"
"#,
        );
        write_script(
            &bin.join("cargo"),
            r#"#!/bin/sh
echo "$*" >>"$CARGO_LOG"
while [ $# -gt 0 ]; do [ "$1" = --root ] && root="$2"; shift; done
mkdir -p "$root/bin"
printf '#!/bin/sh\necho "perfgate built from source"\n' >"$root/bin/perfgate"
chmod +x "$root/bin/perfgate"
"#,
        );
        for (_, _, target) in PLATFORMS {
            runner.publish(target);
        }
        runner
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// The release directory of VERSION, as the server lays it out.
    fn release_dir(&self) -> PathBuf {
        self.path(&format!(
            "releases/acme/perfgate/releases/download/v{VERSION}"
        ))
    }

    /// Writes perfgate-VERSION-TARGET.tar.gz (a folder with a fake binary that names its
    /// target) and its .sha256, as the release workflow does.
    fn publish(&self, target: &str) {
        let name = format!("perfgate-{VERSION}-{target}");
        let stage = self.path(&format!("stage/{name}"));
        std::fs::create_dir_all(&stage).unwrap();
        let exe = if target.contains("windows") {
            "perfgate.exe"
        } else {
            "perfgate"
        };
        write_script(
            &stage.join(exe),
            &format!("#!/bin/sh\necho \"perfgate {VERSION} (fake {target})\"\n"),
        );
        let release = self.release_dir();
        std::fs::create_dir_all(&release).unwrap();
        let archive = release.join(format!("{name}.tar.gz"));
        let tar = Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(self.path("stage"))
            .arg(&name)
            .output()
            .unwrap();
        assert!(tar.status.success());
        let sum = Command::new("sha256sum")
            .arg(format!("{name}.tar.gz"))
            .current_dir(&release)
            .output()
            .unwrap();
        std::fs::write(release.join(format!("{name}.tar.gz.sha256")), sum.stdout).unwrap();
    }

    /// Runs `install.sh MODE` as runner OS/ARCH with `env` added.
    fn run(&self, mode: &str, os: &str, arch: &str, env: &[(&str, &str)]) -> Output {
        for f in ["output.txt", "path.txt", "curl.log", "cargo.log"] {
            std::fs::write(self.path(f), "").unwrap();
        }
        let mut cmd = Command::new("bash");
        cmd.arg(root().join("scripts/action/install.sh"))
            .arg(mode)
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.path("bin").display()),
            )
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_OUTPUT", self.path("output.txt"))
            .env("GITHUB_PATH", self.path("path.txt"))
            .env("GITHUB_SERVER_URL", SERVER)
            .env("PERFGATE_REPOSITORY", "acme/perfgate")
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("RUNNER_TOOL_CACHE", self.path("toolcache"))
            .env("INPUT_VERSION", format!("v{VERSION}"))
            .env("FAKE_RELEASES", self.path("releases"))
            .env("CURL_LOG", self.path("curl.log"))
            .env("CARGO_LOG", self.path("cargo.log"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "--- stdout\n{}\n--- stderr\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn every_runner_gets_the_release_built_for_its_os_and_architecture() {
    if !have_tools() {
        return;
    }
    let runner = FakeRunner::new();
    for (os, arch, target) in PLATFORMS {
        let out = runner.run("install", os, arch, &[]);
        assert_ok(&out);
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains(&format!("perfgate {VERSION} (fake {target})")),
            "{os}/{arch}: {stdout}"
        );
        let asset = format!(
            "{SERVER}/acme/perfgate/releases/download/v{VERSION}/perfgate-{VERSION}-{target}.tar.gz"
        );
        assert_eq!(
            runner.read("curl.log"),
            format!("{asset}\n{asset}.sha256\n"),
            "{os}/{arch}"
        );
        assert_eq!(runner.read("cargo.log"), "", "{os}/{arch}: nothing built");
        assert!(!runner.read("output.txt").contains("built=true"));
        let on_path = runner.read("path.txt");
        assert!(
            on_path.contains(&format!("{os}-{arch}-{VERSION}-release-")),
            "{on_path}"
        );
        // Installed once, the cached binary is used without a download.
        let again = runner.run("install", os, arch, &[]);
        assert_ok(&again);
        assert_eq!(runner.read("curl.log"), "", "{os}/{arch}");
    }
}

#[test]
fn the_cache_key_names_the_os_the_architecture_and_the_version() {
    if !have_tools() {
        return;
    }
    let runner = FakeRunner::new();
    let key = |os, arch, version| {
        let out = runner.run("key", os, arch, &[("INPUT_VERSION", version)]);
        assert_ok(&out);
        runner.read("output.txt")
    };
    let x64 = key("Linux", "X64", "v1.2.3");
    let arm = key("Linux", "ARM64", "v1.2.3");
    let mac = key("macOS", "ARM64", "v1.2.3");
    let newer = key("Linux", "X64", "1.2.4");
    assert!(
        x64.starts_with("key=perfgate-Linux-X64-1.2.3-release-"),
        "{x64}"
    );
    assert!(
        arm.starts_with("key=perfgate-Linux-ARM64-1.2.3-release-"),
        "{arm}"
    );
    assert!(
        mac.starts_with("key=perfgate-macOS-ARM64-1.2.3-release-"),
        "{mac}"
    );
    assert!(
        newer.starts_with("key=perfgate-Linux-X64-1.2.4-release-"),
        "{newer}"
    );
    // Different installs never share a directory either.
    let dir = |out: &str| {
        out.lines()
            .find(|l| l.starts_with("dir="))
            .unwrap()
            .to_string()
    };
    assert_ne!(dir(&x64), dir(&arm));
    // No version: the action's own (Cargo.toml's).
    let cargo_toml = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let own = cargo_toml
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .unwrap()
        .trim_end_matches('"');
    let default = key("Linux", "X64", "");
    assert!(
        default.starts_with(&format!("key=perfgate-Linux-X64-{own}-release-")),
        "{default}"
    );
}

#[test]
fn a_download_that_does_not_match_its_checksum_is_never_installed() {
    if !have_tools() {
        return;
    }
    let runner = FakeRunner::new();
    let target = "x86_64-unknown-linux-musl";
    let sums = runner
        .release_dir()
        .join(format!("perfgate-{VERSION}-{target}.tar.gz.sha256"));
    std::fs::write(&sums, format!("{}  x.tar.gz\n", "0".repeat(64))).unwrap();
    let out = runner.run("install", "Linux", "X64", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("checksum mismatch"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        runner.read("cargo.log"),
        "",
        "no fallback around a bad download"
    );
    assert_eq!(runner.read("path.txt"), "");
    let installed = std::fs::read_dir(runner.path("toolcache/perfgate"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|d| d.path().join("bin/perfgate").exists());
    assert!(!installed);
}

#[test]
fn without_a_fitting_release_the_actions_sources_are_built() {
    if !have_tools() {
        return;
    }
    let runner = FakeRunner::new();
    let src = root().display().to_string();
    // A version that was never released: tried, then built.
    let out = runner.run("install", "Linux", "X64", &[("INPUT_VERSION", "v9.9.8")]);
    assert_ok(&out);
    assert!(text(&out.stdout).contains("perfgate built from source"));
    assert!(
        runner
            .read("curl.log")
            .contains("perfgate-9.9.8-x86_64-unknown-linux-musl.tar.gz")
    );
    let cargo = runner.read("cargo.log");
    assert!(
        cargo.starts_with(&format!("install --locked --path {src} --root ")),
        "{cargo}"
    );
    assert!(runner.read("output.txt").contains("built=true"));

    // A platform no release is built for: no download tried.
    let out = runner.run("install", "Linux", "ARM", &[]);
    assert_ok(&out);
    assert_eq!(runner.read("curl.log"), "");
    assert!(runner.read("cargo.log").contains("--locked"));

    // `version: source` builds even where a release exists.
    let out = runner.run("install", "macOS", "ARM64", &[("INPUT_VERSION", "source")]);
    assert_ok(&out);
    assert_eq!(runner.read("curl.log"), "");
    assert!(runner.read("cargo.log").contains("--locked"));

    // Nothing to download and no cargo: a clear error, not a half install.
    std::fs::remove_file(runner.path("bin/cargo")).unwrap();
    let empty_cache = runner.path("empty-toolcache").display().to_string();
    let out = runner.run(
        "install",
        "Linux",
        "ARM",
        &[("RUNNER_TOOL_CACHE", empty_cache.as_str())],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no release binary for Linux/ARM"),
        "{}",
        text(&out.stderr)
    );
}
