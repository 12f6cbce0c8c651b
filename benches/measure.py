"""Runs one command and prints, on one line: wall seconds, user and system CPU seconds, peak
RSS (KiB, as GNU time's %M) and peak anonymous RSS (KiB).

Usage: python benches/measure.py OUT CMD [ARGS...]      (the line goes to the file OUT)

Peak RSS counts the pages of a memory-mapped trace file that the process touched (page cache,
not memory perfgate allocated); peak anonymous RSS (`RssAnon` of /proc/PID/status, sampled
every 2 ms while the command runs) counts only memory the process allocated: the figure the
issue's "memory allocated by perfgate" means. Sampling can miss a peak shorter than 2 ms.
The command's own exit code is passed on (0 and 1 are both results for a gate).
"""

import os
import resource
import subprocess
import sys
import time


def rss_anon_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, cmd = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak_anon = 0
    while proc.poll() is None:
        peak_anon = max(peak_anon, rss_anon_kib(proc.pid))
        time.sleep(0.002)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as f:
        f.write(f"{wall:.3f} {usage.ru_utime:.3f} {usage.ru_stime:.3f} {usage.ru_maxrss} {peak_anon}\n")
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
