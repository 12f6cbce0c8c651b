#!/usr/bin/env bash
# Throughput benchmark: `perfgate summary` against a reference Python script on the same
# viztracer trace (>= 150 MB), in the same run; then `perfgate check` and `perfgate compare`
# (the CI gates) on the same traces. See docs/benchmarks.md.
#
# Usage: benches/run.sh [REPETITIONS]        (default 5; the median is reported)
# Env:   PYTHON  a Python with viztracer installed (default: .venv/bin/python, else python3)
#        CORES   the CPU cores every command may run on (default: all; `CORES=0` pins to one
#                core, as the figures before issue #16 were measured)
#
# Makes, once, in benches/data/ (git-ignored): trace.json (9000 requests, ~170 MB),
# trace.json.gz (the same, gzipped), trace2x.json (18000 requests, ~340 MB, to show that
# memory grows with spans, not bytes) and trace_b.json (9500 requests, ~180 MB: the other
# side of `compare`, another run with other timings and 5 % more calls). `check` and
# `compare` use benches/budgets.toml, whose budgets and detectors match the workload.
# many_a.json and many_b.json (benches/make_many_ops.py: 3000 functions, ~29 MB each) give a
# comparison of thousands of operations, for the reports.
set -euo pipefail

cd "$(dirname "$0")/.."
reps=${1:-5}
cores=${CORES:-0-$(($(nproc) - 1))}
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
command -v taskset >/dev/null || { echo "run.sh needs taskset (apt-get install util-linux)" >&2; exit 2; }

data=benches/data
cargo build --release --quiet
perfgate=target/release/perfgate

[[ -f $data/trace.json ]] || "$PYTHON" benches/make_trace.py "$data/trace.json" 9000
[[ -f $data/trace2x.json ]] || "$PYTHON" benches/make_trace.py "$data/trace2x.json" 18000
[[ -f $data/trace.json.gz ]] || gzip -6 -c "$data/trace.json" > "$data/trace.json.gz"
[[ -f $data/trace_b.json ]] || "$PYTHON" benches/make_trace.py "$data/trace_b.json" 9500
for side in a b; do
    [[ -f $data/many_$side.json ]] || "$PYTHON" benches/make_many_ops.py "$data/many_$side.json"
done
budgets=benches/budgets.toml

# measure LABEL BYTES CMD...: runs CMD $reps times on $cores; prints the median wall time,
# the throughput over BYTES at that time, complete events per second (over $events, set before),
# the median CPU time (user + system: above the wall time when both cores work), the largest
# peak RSS and the largest peak of allocated (anonymous) memory seen, and the load average
# before the runs. Peak RSS counts the touched pages of a memory-mapped trace (page cache);
# the allocated figure does not (benches/measure.py). CMD may exit 0 or 1 (a gate that fails
# is a result, not an error).
measure() {
    local label=$1 bytes=$2
    shift 2
    local walls=() cpus=() rss=0 anon=0 out stats load
    stats=$(mktemp)
    load=$(cut -d' ' -f1 /proc/loadavg)
    for ((i = 0; i < reps; i++)); do
        taskset -c "$cores" "$PYTHON" benches/measure.py "$stats" "$@" ||
            (($? == 1)) || { echo "failed: $*" >&2; exit 2; }
        read -r wall user sys maxrss maxanon < "$stats"
        walls+=("$wall")
        cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')")
        if ((maxrss > rss)); then rss=$maxrss; fi
        if ((maxanon > anon)); then anon=$maxanon; fi
    done
    rm -f "$stats"
    local wall cpu
    wall=$(median "${walls[@]}")
    cpu=$(median "${cpus[@]}")
    awk -v l="$label" -v t="$wall" -v c="$cpu" -v b="$bytes" -v e="$events" -v r="$rss" -v a="$anon" \
        -v load="$load" -v all="${walls[*]}" 'BEGIN {
        printf "%-30s %6.2f s %6.0f MB/s %5.1f M events/s  cpu %5.2f s %5.0f MB RSS %5.0f MB alloc  load %s  (runs: %s)\n", l, t, b / 1e6 / t, e / 1e6 / t, c, r / 1024, a / 1024, load, all
    }'
    last_time=$wall
}

median() {
    printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# Complete events (spans) of a trace, as perfgate counts them.
spans_of() {
    "$perfgate" summary "$1" --format json | "$PYTHON" -c 'import json, sys; print(sum(i["spans"] for i in json.load(sys.stdin)["inputs"]))'
}

size=$(stat -c %s "$data/trace.json")
size2x=$(stat -c %s "$data/trace2x.json")
size_b=$(stat -c %s "$data/trace_b.json")
gzsize=$(stat -c %s "$data/trace.json.gz")
spans=$(spans_of "$data/trace.json")
spans2x=$(spans_of "$data/trace2x.json")
spans_b=$(spans_of "$data/trace_b.json")
echo "trace: $data/trace.json, $((size / 1000000)) MB, $spans complete events; $reps runs each, on cores $cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "MB/s is over the uncompressed JSON bytes (1 MB = 10^6 bytes)"
events=$spans
measure "perfgate summary" "$size" "$perfgate" summary "$data/trace.json"
perfgate_time=$last_time
measure "reference (python json.load)" "$size" "$PYTHON" benches/reference_summary.py "$data/trace.json"
reference_time=$last_time
awk -v p="$perfgate_time" -v r="$reference_time" 'BEGIN { printf "speedup: %.1fx\n", r / p }'
echo
echo "for information ($((size2x / 1000000)) MB trace with twice the spans; the same trace gzipped to $((gzsize / 1000000)) MB):"
events=$spans2x
measure "perfgate summary, 2x trace" "$size2x" "$perfgate" summary "$data/trace2x.json"
measure "reference, 2x trace" "$size2x" "$PYTHON" benches/reference_summary.py "$data/trace2x.json"
events=$spans
measure "perfgate summary, gzipped" "$size" "$perfgate" summary "$data/trace.json.gz"

echo
echo "the gates: check of the trace against $budgets; compare of it with trace_b.json ($((size_b / 1000000)) MB); MB/s over both files for compare:"
events=$spans_b
measure "perfgate summary, trace_b" "$size_b" "$perfgate" summary "$data/trace_b.json"
events=$spans
measure "perfgate check" "$size" "$perfgate" check "$data/trace.json" --budgets "$budgets"
measure "perfgate check, all reports" "$size" "$perfgate" check "$data/trace.json" \
    --budgets "$budgets" --format json --markdown "$data/check.md" --junit "$data/check.xml"
events=$((spans + spans_b))
measure "perfgate compare" "$((size + size_b))" "$perfgate" compare \
    "$data/trace.json" "$data/trace_b.json" --no-budgets
measure "perfgate compare --budgets" "$((size + size_b))" "$perfgate" compare \
    "$data/trace.json" "$data/trace_b.json" --budgets "$budgets"
measure "perfgate compare, all reports" "$((size + size_b))" "$perfgate" compare \
    "$data/trace.json" "$data/trace_b.json" --budgets "$budgets" \
    --format json --markdown "$data/compare.md" --junit "$data/compare.xml"

many_size=$(($(stat -c %s "$data/many_a.json") + $(stat -c %s "$data/many_b.json")))
events=$(($(spans_of "$data/many_a.json") + $(spans_of "$data/many_b.json")))
echo
echo "reports of thousands of operations: compare of many_a.json and many_b.json (3000 functions each):"
measure "perfgate compare, 3000 ops" "$many_size" "$perfgate" compare \
    "$data/many_a.json" "$data/many_b.json" --no-budgets
measure "compare, 3000 ops, all reports" "$many_size" "$perfgate" compare \
    "$data/many_a.json" "$data/many_b.json" --no-budgets \
    --format json --markdown "$data/many.md" --junit "$data/many.xml"

# Memory per distinct name (issues #14 and #16): two traces of 5 M distinct span names each
# (benches/make_many_names.py, ~670 MB each; the same names, other durations), once each:
# at this size one run says what the memory is, and a run takes tens of seconds.
[[ -f $data/names_a.json ]] || "$PYTHON" benches/make_many_names.py "$data/names_a.json" 5000000 1
[[ -f $data/names_b.json ]] || "$PYTHON" benches/make_many_names.py "$data/names_b.json" 5000000 2
names_size=$(stat -c %s "$data/names_a.json")
names_size_b=$(stat -c %s "$data/names_b.json")
echo
echo "5 M distinct names (names_a.json, $((names_size / 1000000)) MB; PERFGATE_MAX_NAMES=6000000), one run each:"
export PERFGATE_MAX_NAMES=6000000
reps=1
events=5000000
measure "perfgate summary, 5 M names" "$names_size" "$perfgate" summary "$data/names_a.json"
events=10000000
measure "perfgate compare, 5 M names" "$((names_size + names_size_b))" "$perfgate" compare \
    "$data/names_a.json" "$data/names_b.json" --no-budgets
