"""Makes a trace with millions of distinct span names, to measure what perfgate holds per
operation (issues #14 and #16: 5 M distinct names in at most 1.5 GB).

Usage: python benches/make_many_names.py OUT.json [NAMES] [SEED]   (default 5000000 and 1)

No real program has millions of distinct functions, so this trace is not recorded by a
tracer: it is written directly, in the layout viztracer writes (one complete `X` event a
call, keys in viztracer's order, names `function (/abs/path/file.py:LINE)`). Every name is
called exactly once; calls come in groups of four on one thread, a parent enclosing three
children, so the trace has NAMES / 4 parents with three child edges each. The names spread
over 1000 files of 100 packages. Two files made with other SEEDs have the same names and
other durations: the two sides of a `compare`.

5 000 000 names make a file of about 620 MB; `gzip` it for a smaller input.
"""

import random
import sys


def name_of(i):
    return f"handler_{i} (/srv/app/pkg{i % 100}/mod{i % 1000}.py:{i % 5000 + 1})"


def event(name, ts, dur):
    return (
        f'{{"pid":4242,"tid":4242,"ts":{ts:.3f},"dur":{dur:.3f},'
        f'"name":"{name}","ph":"X","cat":"FEE"}}'
    )


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    names = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000_000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    ts = 1000.0
    with open(out, "w") as f:
        f.write('{"traceEvents":[')
        first = True
        for group in range(0, names, 4):
            members = range(group, min(group + 4, names))
            children = [rng.uniform(1.0, 50.0) for _ in members[1:]]
            parent_dur = sum(children) + rng.uniform(1.0, 20.0)
            lines = [event(name_of(members[0]), ts, parent_dur)]
            child_ts = ts + 0.5
            for i, dur in zip(members[1:], children):
                lines.append(event(name_of(i), child_ts, dur))
                child_ts += dur
            if not first:
                f.write(",\n")
            f.write(",\n".join(lines))
            first = False
            ts += parent_dur + 2.0
        f.write('],"viztracer_metadata":{"version":"1.1.1","overflow":false}}\n')


if __name__ == "__main__":
    main()
