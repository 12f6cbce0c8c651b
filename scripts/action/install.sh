#!/usr/bin/env bash
# Installs perfgate for the GitHub Action from the action's own sources ($GITHUB_ACTION_PATH),
# into a directory keyed by a hash of those sources, so actions/cache can restore it.
#   install.sh key      prints key=perfgate-<os>-<hash> and dir=<install root> to $GITHUB_OUTPUT
#   install.sh install  builds it unless the cache restored it, and puts it on $GITHUB_PATH
set -euo pipefail

src="${GITHUB_ACTION_PATH:?run as a step of the perfgate action}"
hash="$(cd "$src" && find Cargo.toml Cargo.lock src -type f -print0 | LC_ALL=C sort -z |
    xargs -0 sha256sum | sha256sum | cut -c1-16)"
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
