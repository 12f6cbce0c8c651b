"""Makes a trace with thousands of operations: a generated module of N functions, each called
REPS times, run under the real viztracer. It checks that reports stay fast and bounded when a
comparison has thousands of rows (docs/benchmarks.md).

Usage: python benches/make_many_ops.py OUT.json [FUNCTIONS] [REPS]   (default 3000 and 20)

Each function calls a shared `leaf` twice, so the trace has FUNCTIONS + 1 operations of Python
code and 3 x FUNCTIONS x REPS calls (3000 x 20: 180 000 calls, about 24 MB). The generated
module is written next to OUT.
"""

import os
import subprocess
import sys


def module_source(functions):
    lines = ["import sys", "", "def leaf(x):", "    return x * 2", ""]
    for i in range(functions):
        lines += [f"def op_{i}(x):", f"    return leaf(x) + leaf(x + {i})", ""]
    lines.append("FUNCS = [" + ", ".join(f"op_{i}" for i in range(functions)) + "]")
    lines += [
        "",
        "def main():",
        "    total = 0",
        "    for r in range(int(sys.argv[1])):",
        "        for f in FUNCS:",
        "            total += f(r)",
        "    print(total)",
        "",
        "main()",
    ]
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    functions = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    reps = sys.argv[3] if len(sys.argv) > 3 else "20"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    module = os.path.join(os.path.dirname(out), "many_ops_module.py")
    with open(module, "w") as f:
        f.write(module_source(functions))
    subprocess.run(
        [
            sys.executable, "-m", "viztracer", "--quiet",
            "--tracer_entries", "10000000",
            "-o", out,
            "--", module, reps,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"{out}: {os.path.getsize(out) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
