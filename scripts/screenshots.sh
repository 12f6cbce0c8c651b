#!/usr/bin/env bash
# Remakes the screenshots of docs/reports.md in headless Chromium (Debian's `chromium`), from
# the committed viztracer fixtures: the differential flame graph and the HTML report of
# `compare baseline.json regressed.json`, and the flame graph of `summary n_plus_one.json`.
#
# Usage: scripts/screenshots.sh [PERFGATE]   (default: target/debug/perfgate, built if missing)
# Needs: chromium; ImageMagick's `convert` (optional) to shrink the PNGs to 256 colours.
set -euo pipefail
cd "$(dirname "$0")/.."
perfgate=${1:-target/debug/perfgate}
[[ -x $perfgate ]] || nice -n 19 cargo build --quiet
command -v chromium >/dev/null || { echo "screenshots.sh needs chromium (apt-get install chromium)" >&2; exit 2; }

out=docs/img
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
fixtures=tests/fixtures/viztracer

# compare exits 1 (the regression fails the gate): that is the picture we want.
"$perfgate" compare "$fixtures/baseline.json" "$fixtures/regressed.json" \
    --flamegraph "$work/compare.svg" --html "$work/report.html" >/dev/null || (($? == 1))
"$perfgate" summary "$fixtures/n_plus_one.json" --flamegraph "$work/summary.svg" >/dev/null

# shot FILE PNG WIDTH HEIGHT
shot() {
    nice -n 19 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --hide-scrollbars --virtual-time-budget=3000 \
        --window-size="$3,$4" --screenshot="$2" "file://$1" 2>/dev/null
    # 256 colours: the pictures are flat colours and text, a fraction of the size.
    if convert -version 2>/dev/null | grep -q ImageMagick; then convert "$2" -colors 256 "PNG8:$2"; fi
    echo "$2: $(wc -c <"$2") bytes"
}
shot "$work/compare.svg" "$out/flamegraph-compare.png" 1200 240
shot "$work/summary.svg" "$out/flamegraph-summary.png" 1200 256
shot "$work/report.html" "$out/report-html.png" 1100 1500
