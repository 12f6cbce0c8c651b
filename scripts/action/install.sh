#!/usr/bin/env bash
# Installs perfgate for the GitHub Action: the release binary that matches the runner's OS and
# architecture, its checksum verified; built from the action's own sources ($GITHUB_ACTION_PATH)
# only when no release fits (an unknown platform, no such release, or `version: source`).
#   install.sh key      prints key=perfgate-<os>-<arch>-<version>-<mode>-<hash> and dir=<root>
#                       to $GITHUB_OUTPUT, for actions/cache/restore and actions/cache/save
#   install.sh install  installs unless the cache restored it, puts it on $GITHUB_PATH, and
#                       prints built=true to $GITHUB_OUTPUT when it built from source (the
#                       binary worth caching)
# Environment: INPUT_VERSION (a release tag such as v0.2.0 or 0.2.0, `source`, or empty for
# the version in the action's Cargo.toml), PERFGATE_REPOSITORY (owner/name of the action, whose
# releases are downloaded), GITHUB_SERVER_URL, RUNNER_OS, RUNNER_ARCH.
set -euo pipefail

src="${GITHUB_ACTION_PATH:?run as a step of the perfgate action}"
os="${RUNNER_OS:-unknown}"
arch="${RUNNER_ARCH:-unknown}"
# macOS runners have shasum, not sha256sum.
if command -v sha256sum >/dev/null 2>&1; then sha256() { sha256sum "$@"; }; else sha256() { shasum -a 256 "$@"; }; fi

# The version of the action's own sources (the [package] version of its Cargo.toml).
source_version() {
    sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$src/Cargo.toml" | head -n 1
}

mode=release
case "${INPUT_VERSION:-}" in
source) mode=source version="$(source_version)" ;;
"") version="$(source_version)" ;;
*) version="${INPUT_VERSION#v}" ;;
esac

# The Rust target of the release built for this runner; empty when there is none.
release_target() {
    case "$os/$arch" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) echo "" ;;
    esac
}

exe=""
[ "$os" != Windows ] || exe=".exe"

# The names and the contents of the sources: a renamed module changes the key too.
hash="$(cd "$src" && find Cargo.toml Cargo.lock src -type f -print0 | LC_ALL=C sort -z |
    xargs -0 sh -c 'printf "%s\n" "$@"; cat "$@"' sh | sha256 | cut -c1-16)"
flavour="${os}-${arch}-${version}-${mode}-${hash}"
key="perfgate-${flavour}"
root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/perfgate/${flavour}"
bin="$root/bin/perfgate$exe"

# Downloads the release asset for `target` into $root/bin and verifies it against its
# published SHA-256. Returns 1 when the release has no such asset (nothing installed); a
# checksum that does not match stops the script: a tampered or broken download is never run.
download_release() {
    local target="$1" repo="${PERFGATE_REPOSITORY:-}"
    if [ -z "$repo" ] || [ -z "${GITHUB_SERVER_URL:-}" ]; then
        echo "perfgate: no release to download (PERFGATE_REPOSITORY or GITHUB_SERVER_URL unset)" >&2
        return 1
    fi
    local asset="perfgate-${version}-${target}.tar.gz"
    local url="${GITHUB_SERVER_URL}/${repo}/releases/download/v${version}/${asset}"
    local tmp
    tmp="$(mktemp -d)"
    if ! curl -fsSL --retry 3 -o "$tmp/$asset" "$url" ||
        ! curl -fsSL --retry 3 -o "$tmp/$asset.sha256" "$url.sha256"; then
        echo "perfgate: no release asset $asset at $url" >&2
        rm -rf "$tmp"
        return 1
    fi
    local expected actual
    expected="$(cut -d' ' -f1 <"$tmp/$asset.sha256" | tr -d '\r\n')"
    actual="$(sha256 "$tmp/$asset" | cut -d' ' -f1)"
    if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
        echo "::error::perfgate: checksum mismatch for $asset: expected '${expected}', got '${actual}'; not installing it" >&2
        rm -rf "$tmp"
        exit 1
    fi
    mkdir -p "$tmp/unpacked" "$root/bin"
    tar -xzf "$tmp/$asset" -C "$tmp/unpacked"
    local found
    found="$(find "$tmp/unpacked" -type f -name "perfgate$exe" | head -n 1)"
    if [ -z "$found" ]; then
        echo "::error::perfgate: $asset has no perfgate$exe inside" >&2
        rm -rf "$tmp"
        exit 1
    fi
    cp "$found" "$bin"
    chmod +x "$bin"
    rm -rf "$tmp"
    echo "perfgate: installed release v${version} for ${target} (sha256 ${actual})"
}

build_from_source() {
    if ! command -v cargo >/dev/null 2>&1; then
        echo "::error::perfgate: no release binary for ${os}/${arch} v${version}, and no cargo to build it from source; use a supported runner or install Rust (dtolnay/rust-toolchain) first" >&2
        exit 1
    fi
    echo "perfgate: building the action's sources (version $(source_version)) with cargo: a few minutes, cached afterwards"
    cargo install --locked --path "$src" --root "$root"
    echo "built=true" >>"$GITHUB_OUTPUT"
}

case "${1:-}" in
key)
    printf 'key=%s\ndir=%s\n' "$key" "$root" >>"$GITHUB_OUTPUT"
    ;;
install)
    if [ ! -x "$bin" ]; then
        target="$(release_target)"
        if [ "$mode" = source ]; then
            build_from_source
        elif [ -z "$target" ]; then
            echo "perfgate: no release is built for ${os}/${arch}" >&2
            build_from_source
        elif ! download_release "$target"; then
            build_from_source
        fi
    fi
    echo "$root/bin" >>"$GITHUB_PATH"
    "$bin" --version
    ;;
*)
    echo "usage: install.sh key|install" >&2
    exit 2
    ;;
esac
