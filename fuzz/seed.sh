#!/usr/bin/env bash
# Builds the seed corpus of each fuzz target from the test fixtures (real traces, budgets
# files and baselines), in fuzz/corpus/TARGET (not committed: the fixtures are the source).
set -euo pipefail
cd "$(dirname "$0")"
fixtures=../tests/fixtures
mkdir -p corpus/trace_plain corpus/trace_gzip corpus/budgets corpus/baseline
small() { find "$@" -type f -size -2M; }
# Plain traces: every uncompressed fixture that is a trace (JSON), and the gzip ones unpacked.
for f in $(small "$fixtures" -name '*.json' -o -name '*.jsonl'); do
    case "$f" in */expected/*) continue ;; esac
    cp "$f" "corpus/trace_plain/$(echo "${f#$fixtures/}" | tr / _)"
done
for f in $(small "$fixtures" -name '*.json.gz'); do
    name=$(echo "${f#$fixtures/}" | tr / _)
    cp "$f" "corpus/trace_gzip/$name"
    (gzip -dc "$f" | head -c 2000000 > "corpus/trace_plain/${name%.gz}") || true
done
# Budgets files: the repository's and those the tests write are in the fixtures.
cp ../budgets.toml corpus/budgets/repository.toml
for f in $(small "$fixtures" -name '*.toml'); do
    cp "$f" "corpus/budgets/$(echo "${f#$fixtures/}" | tr / _)"
done
# ... and every ```toml example of the docs, one file each.
for doc in ../docs/*.md ../README.md; do
    awk -v out="corpus/budgets/$(basename "$doc" .md)" '
        /^```toml/ { n++; keep = 1; next }
        /^```/ { keep = 0 }
        keep { print > (out "_" n ".toml") }' "$doc"
done
# Baselines: the committed ones and the fixtures that are baselines.
for f in ../baselines/*.json $(grep -rl '"perfgate_baseline"' "$fixtures" || true); do
    cp "$f" "corpus/baseline/$(basename "$f")"
done
# ... and, when a perfgate binary is built, baselines saved from a few real traces of each
# format, in each key mode (the committed ones are of one trace and one mode).
perfgate=$(ls ../target/release/perfgate ../target/debug/perfgate 2>/dev/null | head -n 1 || true)
if [ -n "$perfgate" ]; then
    for trace in viztracer/shop_clean.json.gz otlp/shop_lines.jsonl speedscope/pyspy_threads.json; do
        for key in function file name; do
            "$perfgate" baseline save --key "$key" --output \
                "corpus/baseline/$(basename "${trace%%.*}")-$key.json" "$fixtures/$trace" || true
        done
    done
fi
for d in corpus/*; do echo "$d: $(ls "$d" | wc -l) files"; done
