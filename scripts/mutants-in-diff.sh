#!/usr/bin/env bash
# Mutation testing of what a change touches in the code that decides verdicts (docs/testing.md,
# "Mutation testing"): cargo-mutants on the lines of `git diff BASE` under the core's folders,
# the unit tests only, bounded in time.
#
#   scripts/mutants-in-diff.sh [BASE [MINUTES]]      BASE defaults to HEAD~1, MINUTES to 5
#
# Exit status: 0 when every mutant tested was caught (or unviable), also when the time ran out
# first (it says how far it got); 1 when a mutant was missed (listed); cargo-mutants' own status
# for anything else. Results stay in target/mutants-in-diff/mutants.out (missed.txt, diff/).
set -euo pipefail
cd "$(dirname "$0")/.."

base="${1:-HEAD~1}"
minutes="${2:-5}"
out=target/mutants-in-diff
# The core (issue 18): the verdict, the budgets and detectors, the statistics, the baselines and
# the exit-code mapping.
core=(src/compare src/budget src/detect src/ops src/baseline src/commands/mod.rs src/main.rs)

mkdir -p "$out"
git diff "$base" -- "${core[@]}" >"$out/change.diff"
if [ ! -s "$out/change.diff" ]; then
    echo "mutants: the change touches none of ${core[*]}: nothing to mutate"
    exit 0
fi

set +e
RUST_BACKTRACE=0 timeout "${minutes}m" cargo mutants --in-place --no-shuffle --in-diff "$out/change.diff" \
    --timeout 120 --cargo-arg=--lib --output "$out" | tee "$out/log.txt"
status=${PIPESTATUS[0]}
set -e

results="$out/mutants.out"
count() {
    if [ -f "$results/$1.txt" ]; then wc -l <"$results/$1.txt"; else echo 0; fi
}
missed=$(count missed)
echo "mutants: caught $(count caught), missed $missed, unviable $(count unviable)," \
    "timed out $(count timeout)"
if [ "$missed" -gt 0 ]; then
    echo "mutants: the unit tests do not notice these changes (each is a bug they would let"
    echo "through; kill it with a test, or list it as equivalent in docs/testing.md):"
    cat "$results/missed.txt"
    exit 1
fi
case "$status" in
    0) ;;
    124)
        tested=$(($(count caught) + $(count unviable) + $(count timeout)))
        found=$(sed -n 's/^Found \([0-9]*\) mutants.*/\1/p' "$out/log.txt")
        echo "mutants: stopped after ${minutes} minutes, ${tested} of ${found:-?} mutants tested," \
            "none missed; the rest: scripts/mutants-in-diff.sh $base 60"
        ;;
    3) echo "mutants: some mutants made the tests hang (counted as caught by the time limit)" ;;
    *) exit "$status" ;;
esac
