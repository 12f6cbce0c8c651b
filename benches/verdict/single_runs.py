"""One run per side, judged on traces the rules were not tuned on: the paired sessions' traces.

`paired.py` sessions (benches/data/paired*/SESSION/{base,head}_K.json, with session.json
naming the condition and the head's variant) hold hundreds of traces of the harness service
made under quiet, flaky (busy loops that come and go) and loaded (busy loops throughout)
conditions. This script draws 1+1 pairs from them and judges each with `perfgate compare`
(one trace per side, no --paired):

- A/A: two traces of the base code (a base run and a head run of base-variant sessions, or two
  base runs of any session) of the same condition;
- A/B: a base run against a head run of a session whose head is slowed (slow1.2, slow1.5,
  slow2 on `traverse_graph`).

It prints, per condition and variant, the share of pairs whose verdict FAILs (A/A: false
alarms) or that FAIL on `traverse_graph` (A/B: power), and the WARN share.

    python3 benches/verdict/single_runs.py --sets benches/data/paired benches/data/paired-s2 \
        --perfgate target/release/perfgate [--pairs 200]
"""

import argparse
import json
import random
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import subprocess
import sys

CHANGED = "traverse_graph (service.py)"


def sessions(sets):
    found = defaultdict(list)
    for root in sets:
        for session in sorted(Path(root).glob("*/session.json")):
            meta = json.loads(session.read_text())
            found[(meta["condition"], meta["variant"])].append(session.parent)
    return found


def runs(dirs, side):
    return [str(f) for d in dirs for f in sorted(d.glob("%s_*.json" % side))]


def judge(perfgate, before, after):
    out = subprocess.run(
        [perfgate, "compare", before, after, "--no-budgets", "--format", "json"], capture_output=True, text=True
    )
    if out.returncode not in (0, 1):
        sys.exit("perfgate failed (exit %d) on %s vs %s:\n%s" % (out.returncode, before, after, out.stderr))
    ops = json.loads(out.stdout)["comparison"]["operations"]
    severities = [o.get("severity") for o in ops]
    changed_fails = any(o["name"] == CHANGED and o.get("severity") == "fail" for o in ops)
    return "fail" in severities, "warn" in severities, changed_fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", required=True)
    ap.add_argument("--perfgate", default="target/release/perfgate")
    ap.add_argument("--pairs", type=int, default=200, help="pairs drawn per row")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    perfgate = str(Path(args.perfgate).resolve())
    rng = random.Random(args.seed)
    found = sessions(args.sets)
    rows = []
    for condition in sorted({c for c, _ in found}):
        bases = runs(found.get((condition, "base"), []), "base") + runs(found.get((condition, "base"), []), "head")
        if len(bases) >= 2:
            pairs = [tuple(rng.sample(bases, 2)) for _ in range(args.pairs)]
            rows.append(("A/A", condition, "base", len(bases), pairs))
        for variant in ("slow2", "slow1.5", "slow1.2"):
            dirs = found.get((condition, variant), [])
            before, after = runs(dirs, "base"), runs(dirs, "head")
            if before and after:
                pairs = [(rng.choice(before), rng.choice(after)) for _ in range(args.pairs)]
                rows.append(("A/B", condition, variant, len(after), pairs))
    print("| pairs | condition | head | traces | comparisons | FAIL | FAIL on `traverse_graph` | WARN |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    with ThreadPoolExecutor(2) as pool:
        for kind, condition, variant, traces, pairs in rows:
            verdicts = list(pool.map(lambda p: judge(perfgate, *p), pairs))
            n = len(verdicts)
            pct = lambda k: "%.1f %%" % (100.0 * sum(v[k] for v in verdicts) / n)
            print("| %s | %s | %s | %d | %d | %s | %s | %s |" % (kind, condition, variant, traces, n, pct(0), pct(2), pct(1)), flush=True)


if __name__ == "__main__":
    main()
