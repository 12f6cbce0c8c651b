#!/usr/bin/env bash
# Installs perfgate for the GitHub Action from the action's own sources ($GITHUB_ACTION_PATH),
# into a directory keyed by a hash of those sources, so actions/cache can restore it.
#   install.sh key      prints key=perfgate-<os>-<hash> and dir=<install root> to $GITHUB_OUTPUT
#   install.sh install  builds it unless the cache restored it, and puts it on $GITHUB_PATH
set -euo pipefail

src="${GITHUB_ACTION_PATH:?run as a step of the perfgate action}"
# macOS runners have shasum, not sha256sum.
if command -v sha256sum >/dev/null 2>&1; then sha256() { sha256sum; }; else sha256() { shasum -a 256; }; fi
# The names and the contents of the sources: a renamed module changes the key too.
hash="$(cd "$src" && find Cargo.toml Cargo.lock src -type f -print0 | LC_ALL=C sort -z |
    xargs -0 sh -c 'printf "%s\n" "$@"; cat "$@"' sh | sha256 | cut -c1-16)"
key="perfgate-${RUNNER_OS:-unknown}-${hash}"
root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/perfgate/${hash}"

case "${1:-}" in
key)
    printf 'key=%s\ndir=%s\n' "$key" "$root" >>"$GITHUB_OUTPUT"
    ;;
install)
    if [ ! -x "$root/bin/perfgate" ]; then
        cargo install --locked --path "$src" --root "$root"
    fi
    echo "$root/bin" >>"$GITHUB_PATH"
    "$root/bin/perfgate" --version
    ;;
*)
    echo "usage: install.sh key|install" >&2
    exit 2
    ;;
esac
