"""Makes the benchmark trace: runs benches/workload.py under the real viztracer.

Usage: python benches/make_trace.py OUT.json [REQUESTS]

Each request of the workload writes about 139 events (~18.7 KB of viztracer JSON), so the
default 9000 requests give a trace of about 170 MB with 1.25 M complete events. The Python
interpreter that runs this script must have viztracer installed (the project's venv has it).
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MIN_BYTES = 150 * 1000 * 1000


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    requests = sys.argv[2] if len(sys.argv) > 2 else "9000"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    subprocess.run(
        [
            sys.executable, "-m", "viztracer",
            "--quiet",
            # Large enough that the ring buffer never overflows: every call is kept.
            "--tracer_entries", "10000000",
            "-o", out,
            "--", os.path.join(HERE, "workload.py"), requests,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    size = os.path.getsize(out)
    print(f"{out}: {size / 1e6:.1f} MB")
    if int(requests) >= 9000 and size < MIN_BYTES:
        sys.exit(f"the trace is smaller than {MIN_BYTES / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
