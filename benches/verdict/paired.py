#!/usr/bin/env python3
"""Paired-session harness for `perfgate record` / `compare --paired` (issue 17).

Each session is what `perfgate record` does on a CI runner: a warm-up pair, then N pairs of runs
of the base and the head made alternately (ABBA order) on this machine, traced by viztracer, then
judged by `perfgate compare --paired`. The head is the base code (A/A: every FAIL is a false
alarm) or an injected slowdown of `traverse_graph` (A/B: FAIL on it is a detection).

Contention ("flaky" condition) starts and stops *during* the session: a controller thread turns
BUSY busy-loop processes on and off at random (exponential on and off times, mean --toggle
seconds), each started and stopped by PID, so pairs straddle changes of the machine's speed the
way a shared CI runner's neighbours come and go. "loaded" keeps BUSY busy loops running for
the whole session (a steadily busy runner). "quiet" starts nothing (the 1-minute load is
recorded beside every figure).

    python3 benches/verdict/paired.py --sessions 20 --variant base --condition flaky
    python3 benches/verdict/paired.py --sessions 20 --variant slow1.2 --condition flaky
    python3 benches/verdict/paired.py --smoke          # 2 short sessions, for CI (~1 minute)
    python3 benches/verdict/paired.py --eval-only      # re-judge the sessions in --out

Every session's traces and schedstat figures stay in --out (git-ignored); --eval-only re-judges
them (with the same binary or another one), also without --paired to show what the pairing buys.
"""

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
import harness  # noqa: E402

TARGET = harness.TARGET


class FlakyContention(threading.Thread):
    """Turns `busy` busy loops on and off at random until stopped; every loop is started and
    stopped by PID. Keeps the on/off timeline (seconds since start)."""

    def __init__(self, busy, mean_toggle, seed):
        super().__init__(daemon=True)
        self.loops = harness.BusyLoops(busy)
        self.mean = mean_toggle
        self.rng = random.Random(seed)
        self.stop_event = threading.Event()
        self.timeline = []
        self.t0 = time.time()

    def _on(self):
        self.loops.start()
        self.timeline.append(("on", round(time.time() - self.t0, 2)))

    def _off(self):
        self.loops.stop()
        self.timeline.append(("off", round(time.time() - self.t0, 2)))

    def run(self):
        on = self.rng.random() < 0.5
        while not self.stop_event.is_set():
            if on:
                self._on()
            if self.stop_event.wait(self.rng.expovariate(1.0 / self.mean)):
                break
            if on:
                self._off()
            on = not on
        if self.loops.procs:
            self._off()

    def stop(self):
        self.stop_event.set()
        self.join()


def schedule(pairs):
    """ABBA…: pair k (from 1) runs base first when k is odd, head first when even (as
    `perfgate record` does)."""
    out = []
    for k in range(1, pairs + 1):
        out += [("base", k), ("head", k)] if k % 2 == 1 else [("head", k), ("base", k)]
    return out


def run_session(args, directory, variant, condition, seed):
    directory.mkdir(parents=True, exist_ok=True)
    contention = FlakyContention(args.busy, args.toggle, seed) if condition == "flaky" else None
    steady = harness.BusyLoops(args.busy) if condition == "loaded" else None
    if contention:
        contention.start()
    if steady:
        steady.__enter__()
    info = {
        "variant": variant, "condition": condition, "pairs": args.pairs,
        "load_start": harness.loadavg(), "runs": {},
    }
    try:
        plan = [(side, 0) for side in ("base", "head")] * args.warmup + schedule(args.pairs)
        for side, k in plan:
            name = "%s_%d.json" % (side, k) if k else "warmup_%s.json" % side
            v = variant if side == "head" else "base"
            info["runs"][name] = harness.trace_one(args.python, v, directory / name, args.requests)
            if k == 0:
                (directory / name).unlink()
    finally:
        if steady:
            steady.__exit__(None, None, None)
        if contention:
            contention.stop()
            info["contention"] = contention.timeline
    info["load_end"] = harness.loadavg()
    (directory / "session.json").write_text(json.dumps(info, indent=1))
    return info


def judge(perfgate, directory, pairs, paired):
    names = lambda side: [directory / ("%s_%d.json" % (side, k)) for k in range(1, pairs + 1)]  # noqa: E731
    rep, verdict = harness.run_compare(
        perfgate, names("base"), names("head"), ["--paired"] if paired else []
    )
    return dict(verdict, drift_pct=((rep.get("paired") or {}).get("drift") or {}).get("range_pct"))


def sessions_in(out):
    return sorted(p.parent for p in Path(out).glob("*/session.json"))


def table(out, perfgate, pairs):
    groups = {}
    for d in sessions_in(out):
        info = json.loads((d / "session.json").read_text())
        groups.setdefault((info["condition"], info["variant"]), []).append((d, info))
    lines = [
        "| sessions | condition | head | load (uptime) | run share of the traced process | judged as | FAIL | WARN | FAIL on traverse_graph | other FAIL ops |",
        "| ---: | --- | --- | --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for (condition, variant), items in sorted(groups.items()):
        loads = [i["load_start"] for _, i in items] + [i["load_end"] for _, i in items]
        shares = [r["run_share"] for _, i in items for r in i["runs"].values() if r.get("run_share")]
        for paired in (True, False):
            verdicts = [judge(perfgate, d, i.get("pairs", pairs), paired) for d, i in items]
            n = len(verdicts)
            others = {}
            for v in verdicts:
                for op in v["fail"]:
                    if op != TARGET:
                        others[op] = others.get(op, 0) + 1
            top = ", ".join("%s (%d)" % kv for kv in sorted(others.items(), key=lambda kv: -kv[1])[:3])
            lines.append(
                "| %d | %s | %s | %.1f–%.1f | %s | %s | %d (%s) | %d | %s | %s |"
                % (
                    n, condition, variant, min(loads), max(loads),
                    "%.2f–%.2f (mean %.2f)" % (min(shares), max(shares), statistics.mean(shares)) if shares else "-",
                    "paired t (--paired)" if paired else "Welch on runs (unpaired)",
                    sum(v["verdict"] == "fail" for v in verdicts), harness.pct(sum(v["verdict"] == "fail" for v in verdicts), n),
                    sum(v["verdict"] == "warn" for v in verdicts),
                    "-" if variant == "base" else "%d (%s)" % (sum(TARGET in v["fail"] for v in verdicts), harness.pct(sum(TARGET in v["fail"] for v in verdicts), n)),
                    top,
                )
            )
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1, help="warm-up pairs, discarded")
    ap.add_argument("--variant", default="base", choices=sorted(harness.VARIANTS))
    ap.add_argument("--condition", default="flaky", choices=["quiet", "loaded", "flaky"])
    ap.add_argument("--busy", type=int, default=2, help="busy loops while contention is on")
    ap.add_argument("--toggle", type=float, default=4.0, help="mean seconds between contention changes")
    ap.add_argument("--requests", type=int, default=150)
    ap.add_argument("--out", default=str(ROOT / "benches" / "data" / "paired"))
    ap.add_argument("--python", default=os.environ.get("PYTHON", sys.executable))
    ap.add_argument("--perfgate", default=os.environ.get("PERFGATE", str(ROOT / "target" / "release" / "perfgate")))
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="2 sessions of 3 pairs, 60 requests")
    args = ap.parse_args()
    if args.smoke:
        args.sessions, args.pairs, args.requests = 2, 3, 60
        args.out = str(Path(args.out) / "smoke")
    out = Path(args.out)
    if not args.eval_only:
        existing = len(list(out.glob("%s_%s_*" % (args.condition, args.variant))))
        for s in range(existing, existing + args.sessions):
            d = out / ("%s_%s_%02d" % (args.condition, args.variant, s))
            t0 = time.time()
            info = run_session(args, d, args.variant, args.condition, seed=1000 + s)
            v = judge(args.perfgate, d, args.pairs, True)
            print(
                "  %s: %s, fail %s, load %.1f→%.1f, %.0fs"
                % (d.name, v["verdict"], v["fail"], info["load_start"], info["load_end"], time.time() - t0),
                file=sys.stderr,
            )
    print(table(out, args.perfgate, args.pairs))


if __name__ == "__main__":
    main()
