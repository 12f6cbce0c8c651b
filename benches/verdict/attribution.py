"""Attribution quality of `perfgate compare` on the verdict harness's traces (issue 10).

Target: "Attribution names the right child in >= 95 % of detected parent regressions, and says
'its own code' when the time is self time". In the harness only `traverse_graph` is slowed
(`slow:traverse_graph:F`, `tail:traverse_graph:...`): its time is its own code (a BFS loop
with two tiny children, `factor` and `builtins.round`), and it is a child of `handle_request`,
which is a child of `main`, `<module>` and `builtins.exec`. For every A/B comparison perfgate
fails, this script checks

- the cause: the first "slower" entry of `comparison.causes` is `traverse_graph` and gives at
  least half of its change to its own code (`own_code_share >= 0.5`);
- every failing ancestor: the largest child of its attribution is the next step down the path
  to `traverse_graph` (`handle_request` -> `traverse_graph`, `main` -> `handle_request`, ...),
  never a builtin or an unrelated function.

Usage (the traces of `harness.py`, which are not committed):

    python3 benches/verdict/attribution.py --out benches/data/verdict [--perfgate BIN]

It prints a Markdown table per scenario: 1+1 pairs (up to 80 drawn per scenario) and 5+5
draws (20), the comparisons perfgate failed, the causes named right, the failing ancestors and
how many of them lead to the slowed function, and each wrong answer.
"""

import argparse
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

CHANGED = "traverse_graph (service.py)"
# Each ancestor of the changed operation and its child on the path down to it.
PATH_CHILD = {
    "handle_request (service.py)": CHANGED,
    "main (service.py)": "handle_request (service.py)",
    "<module> (service.py)": "main (service.py)",
    "builtins.exec": "<module> (service.py)",
}
SCENARIOS = [
    ("quiet", "slow2"),
    ("loaded", "slow2"),
    ("loaded", "slow1.5"),
    ("quiet", "slow1.2"),
    ("quiet", "tail"),
]


def compare(perfgate, cwd, before, after):
    out = subprocess.run(
        [perfgate, "compare", "--before", *before, "--after", *after, "--format", "json"],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    if out.returncode not in (0, 1):
        sys.exit("perfgate failed (exit %d) on %s vs %s:\n%s" % (out.returncode, before, after, out.stderr))
    return json.loads(out.stdout)["comparison"]


def largest_child(row):
    children = (row.get("attribution") or {}).get("children") or []
    return max(children, key=lambda c: c["delta_us"])["operation"] if children else None


def judge(comparison, tally, wrong, label):
    failing = [o for o in comparison["operations"] if o.get("severity") == "fail"]
    if not failing:
        tally["not failed"] += 1
        return
    tally["failed"] += 1
    slower = [c for c in comparison["causes"] if c["kind"] == "slower"]
    if slower and slower[0]["operation"] == CHANGED and (slower[0].get("own_code_share") or 0) >= 0.5:
        tally["cause right"] += 1
    else:
        tally["cause wrong"] += 1
        wrong.append("%s: causes %s" % (label, [c["operation"] for c in slower]))
    for row in failing:
        if row["name"] in PATH_CHILD:
            tally["ancestors failed"] += 1
            child = largest_child(row)
            if child == PATH_CHILD[row["name"]]:
                tally["ancestor to path"] += 1
            else:
                wrong.append("%s: %s explained by %s" % (label, row["name"], child))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="the harness's trace directory (with manifest.json)")
    ap.add_argument("--perfgate", default="target/release/perfgate")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    out = Path(args.out)
    perfgate = str(Path(args.perfgate).resolve())
    manifest = json.loads((out / "manifest.json").read_text())
    rng = random.Random(args.seed)

    def traces(condition, variant):
        return sorted(k for k, v in manifest.items() if v["condition"] == condition and v["variant"] == variant)

    print("| scenario | runs per side | comparisons | FAIL | cause right | failing ancestors | leading to the slowed function |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    wrong = []
    totals = Counter()
    for condition, variant in SCENARIOS:
        base, changed = traces(condition, "base"), traces(condition, variant)
        if not base or not changed:
            continue
        singles = [([b], [a]) for b in base for a in changed]
        rng.shuffle(singles)
        draws = [(rng.sample(base, 5), rng.sample(changed, 5)) for _ in range(20)] if len(base) >= 5 and len(changed) >= 5 else []
        for runs, pairs in (("1+1", singles[:80]), ("5+5", draws)):
            tally = Counter()
            for before, after in pairs:
                judge(compare(perfgate, out, before, after), tally, wrong, "%s %s %s" % (condition, variant, runs))
            totals.update(tally)
            print(
                "| %s %s | %s | %d | %d | %d of %d | %d | %d of %d |"
                % (condition, variant, runs, len(pairs), tally["failed"], tally["cause right"], tally["failed"],
                   tally["ancestors failed"], tally["ancestor to path"], tally["ancestors failed"])
            )
    print()
    print(
        "All: cause right in %d of %d failed comparisons; %d of %d failing ancestors lead to the slowed function."
        % (totals["cause right"], totals["failed"], totals["ancestor to path"], totals["ancestors failed"])
    )
    for line in wrong:
        print("- wrong: " + line)


if __name__ == "__main__":
    main()
