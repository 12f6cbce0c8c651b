#!/usr/bin/env bash
# Throughput benchmark: `perfgate summary` against a reference Python script on the same
# viztracer trace (>= 150 MB), in the same run. See docs/benchmarks.md.
#
# Usage: benches/run.sh [REPETITIONS]        (default 5; the median is reported)
# Env:   PYTHON  a Python with viztracer installed (default: .venv/bin/python, else python3)
#        CORE    the CPU core perfgate and the reference are pinned to (default 0)
#
# Makes, once, in benches/data/ (git-ignored): trace.json (9000 requests, ~170 MB),
# trace.json.gz (the same, gzipped) and trace2x.json (18000 requests, ~340 MB, to show that
# memory grows with spans, not bytes).
set -euo pipefail

cd "$(dirname "$0")/.."
reps=${1:-5}
core=${CORE:-0}
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
for tool in taskset /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "run.sh needs $tool (apt-get install util-linux time)" >&2; exit 2; }
done

data=benches/data
cargo build --release --quiet
perfgate=target/release/perfgate

[[ -f $data/trace.json ]] || "$PYTHON" benches/make_trace.py "$data/trace.json" 9000
[[ -f $data/trace2x.json ]] || "$PYTHON" benches/make_trace.py "$data/trace2x.json" 18000
[[ -f $data/trace.json.gz ]] || gzip -6 -c "$data/trace.json" > "$data/trace.json.gz"

# measure LABEL BYTES CMD...: runs CMD $reps times pinned to one core; prints the median wall
# time, the throughput over BYTES at that time, the median CPU time (user + system: when
# another process shares the core, wall time grows but CPU time barely does) and the largest
# peak RSS seen.
measure() {
    local label=$1 bytes=$2
    shift 2
    local walls=() cpus=() rss=0 out stats
    stats=$(mktemp)
    for ((i = 0; i < reps; i++)); do
        /usr/bin/time -o "$stats" -f '%e %U %S %M' taskset -c "$core" "$@" >/dev/null
        read -r wall user sys maxrss < <(tail -n 1 "$stats")
        walls+=("$wall")
        cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')")
        if ((maxrss > rss)); then rss=$maxrss; fi
    done
    rm -f "$stats"
    local wall cpu
    wall=$(median "${walls[@]}")
    cpu=$(median "${cpus[@]}")
    awk -v l="$label" -v t="$wall" -v c="$cpu" -v b="$bytes" -v r="$rss" -v all="${walls[*]}" 'BEGIN {
        printf "%-30s %6.2f s %6.0f MB/s  cpu %5.2f s %6.0f MB peak RSS  (runs: %s)\n", l, t, b / 1e6 / t, c, r / 1024, all
    }'
    last_time=$wall
}

median() {
    printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

size=$(stat -c %s "$data/trace.json")
size2x=$(stat -c %s "$data/trace2x.json")
gzsize=$(stat -c %s "$data/trace.json.gz")
echo "trace: $data/trace.json, $((size / 1000000)) MB; $reps runs each, pinned to core $core; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "MB/s is over the uncompressed JSON bytes (1 MB = 10^6 bytes)"
measure "perfgate summary" "$size" "$perfgate" summary "$data/trace.json"
perfgate_time=$last_time
measure "reference (python json.load)" "$size" "$PYTHON" benches/reference_summary.py "$data/trace.json"
reference_time=$last_time
awk -v p="$perfgate_time" -v r="$reference_time" 'BEGIN { printf "speedup: %.1fx\n", r / p }'
echo
echo "for information ($((size2x / 1000000)) MB trace with twice the spans; the same trace gzipped to $((gzsize / 1000000)) MB):"
measure "perfgate summary, 2x trace" "$size2x" "$perfgate" summary "$data/trace2x.json"
measure "perfgate summary, gzipped" "$size" "$perfgate" summary "$data/trace.json.gz"
