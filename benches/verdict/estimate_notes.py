#!/usr/bin/env python3
"""How often the estimated environment note (docs/compare.md, rule 7, "the whole run is 2x
slower ... environment, not code?") would show, for the harness's base traces: idle A/A pairs
(every note is a false one), loaded A/A pairs and quiet-vs-contended pairs (where a note would
be right), at several floors of own time per call and several bars. A replica of
`compare::environment::estimate` over `perfgate summary --format json` of each trace.

    python3 benches/verdict/estimate_notes.py [--out benches/data/verdict] [--perfgate PATH]
"""
import argparse
import itertools
import json
import math
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--out", default=str(ROOT / "benches" / "data" / "verdict"))
ap.add_argument("--perfgate", default=str(ROOT / "target" / "release" / "perfgate"))
args = ap.parse_args()
out = Path(args.out)
m = json.loads((out / "manifest.json").read_text())
S = {}
for name, info in m.items():
    if info["variant"] != "base":
        continue
    r = json.loads(subprocess.run([args.perfgate, "summary", "--format", "json", str(out / name)],
                                  capture_output=True, text=True, check=True).stdout)
    S[name] = {o["name"]: (o["count"], o["self_us"]) for o in r["operations"]}


def est(b, a, min_us):
    logs = []
    for k, (cb, sb) in b.items():
        if k not in a:
            continue
        ca, sa = a[k]
        vb, va = sb / max(cb, 1), sa / max(ca, 1)
        if cb >= 5 and ca >= 5 and vb >= min_us and va >= min_us:
            logs.append(math.log(va / vb))
    if len(logs) < 3:
        return None
    logs.sort()
    n = len(logs)
    pos = (n - 1) * 0.5
    lo = int(pos)
    hi = min(lo + 1, n - 1)
    return math.exp(logs[lo] + (logs[hi] - logs[lo]) * (pos - lo))


q = sorted(n for n in S if m[n]["condition"] == "quiet")
l = sorted(n for n in S if m[n]["condition"] == "loaded")
sets = (
    ("A/A quiet", list(itertools.combinations(q, 2))),
    ("A/A loaded", list(itertools.combinations(l, 2))),
    ("q-vs-c", [(a, b) for a in q for b in l]),
)
print("| floor (us/call) | bar | pairs | no estimate | note shown (either way) | 'slower' note |")
print("| ---: | ---: | --- | ---: | ---: | ---: |")
for min_us, bar in [(1, 1.25), (10, 1.25), (100, 1.25), (300, 1.25), (1, 1.5), (1, 2.0), (1, 2.5)]:
    for label, pairs in sets:
        rs = [est(S[a], S[b], min_us) for a, b in pairs]
        none = sum(r is None for r in rs)
        rs = [r for r in rs if r is not None]
        notable = sum(r >= bar or r <= 1 / bar for r in rs)
        slower = sum(r >= bar for r in rs)
        print("| %g | %g | %s (%d) | %d | %.1f %% | %.1f %% |" % (
            min_us, bar, label, len(pairs), none, 100 * notable / len(pairs), 100 * slower / len(pairs)))
