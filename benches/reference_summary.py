"""The reference perfgate's speed is measured against: the obvious Python script a user would
write to get per-function totals from a trace.

Usage: python benches/reference_summary.py TRACE.json

json.load of the whole file, then, for every complete (X) event, count and total duration per
name; prints the ten names with the largest total. It does less than `perfgate summary` (no
call trees, no self time, no percentiles), so the comparison favours the reference.
"""

import json
import sys
from collections import defaultdict


def main():
    with open(sys.argv[1], "rb") as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    count = defaultdict(int)
    total = defaultdict(float)
    for event in events:
        if event.get("ph") == "X":
            name = event.get("name", "")
            count[name] += 1
            total[name] += event.get("dur", 0.0)
    top = sorted(total, key=total.get, reverse=True)[:10]
    for name in top:
        print(f"{total[name]:>14.1f} us {count[name]:>9} calls  {name}")


if __name__ == "__main__":
    main()
