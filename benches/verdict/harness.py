#!/usr/bin/env python3
"""Verdict-quality harness for `perfgate compare` (issue 10).

Generates real viztracer traces of benches/verdict/service.py per variant and machine condition,
then runs `perfgate compare --format json` on many A/A pairs (the same code twice: every FAIL is a
false alarm) and A/B pairs (an injected change: FAIL on the changed operation is a detection),
and prints the false-alarm rates and the power table as Markdown.

    python3 benches/verdict/harness.py --smoke            # < 2 minutes, for CI
    python3 benches/verdict/harness.py                    # full: ~15 minutes on 2 cores
    python3 benches/verdict/harness.py --eval-only        # re-judge the traces already made
    python3 benches/verdict/harness.py --eval-only --engine proto   # the prototype rules (rules.py)

Conditions:
    quiet    nothing else started by the harness (the machine may still be busy: the 1-minute
             load average is recorded beside every trace and printed with every figure)
    loaded   BUSY (default 2) busy-loop processes `python -c 'while 1: pass'`, started before the
             batch and stopped by PID after it
    quiet-vs-contended pairs a quiet before with a loaded after (no batch of its own)

Environment / options:
    PYTHON    the Python that has viztracer (default: the one running this script)
    PERFGATE  the perfgate binary (default: target/release/perfgate; build it with
              `cargo build --release`)
    --out DIR where traces go (default benches/data/verdict, git-ignored)
"""

import argparse
import itertools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TARGET = "traverse_graph (service.py)"

# (name, PERFGATE_VARIANT)
VARIANTS = {
    "base": "",
    "slow2": "slow:traverse_graph:2",
    "slow1.5": "slow:traverse_graph:1.5",
    "slow1.2": "slow:traverse_graph:1.2",
    "tail": "tail:traverse_graph:0.1:3",
    "count_key": "count:make_key:2",
    "count_llm": "count:call_llm:2",
    "slow_llm2": "slow:call_llm:2",
}

# traces per (condition, variant)
PLANS = {
    "smoke": {
        "quiet": {"base": 10, "slow2": 2, "tail": 5, "count_llm": 1},
        "loaded": {"base": 5, "slow2": 2},
    },
    "full": {
        "quiet": {"base": 30, "slow2": 10, "slow1.2": 15, "tail": 15, "count_key": 5, "count_llm": 5},
        "loaded": {"base": 30, "slow2": 10, "slow1.5": 15, "slow_llm2": 10},
    },
}


def loadavg():
    """The 1-minute load average, as `uptime` prints it."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def procs_running():
    """Tasks running or runnable right now (/proc/stat), the traced workload included."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("procs_running"):
                return int(line.split()[1])
    return 0


def schedstat(pid):
    """(ns on the CPU, ns waiting on a run queue) of the main thread of pid, or None."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            cpu, delay = f.read().split()[:2]
        return int(cpu), int(delay)
    except (OSError, ValueError):
        return None


class RunnableSampler(threading.Thread):
    """Samples procs_running every 50 ms until stopped: the load while one trace is made (the
    1-minute load average lags a batch that lasts a few seconds). With `pid`, also keeps the
    last /proc/PID/schedstat of the traced process: the time it ran and the time it was
    runnable but waited for a CPU (run_delay)."""

    def __init__(self, pid=None):
        super().__init__(daemon=True)
        self.samples = []
        self.pid = pid
        self.sched = None
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.05):
            self.samples.append(procs_running())
            if self.pid:
                self.sched = schedstat(self.pid) or self.sched

    def mean(self):
        self.stop.set()
        self.join()
        return round(statistics.mean(self.samples), 2) if self.samples else None


class BusyLoops:
    """N busy-loop processes, started on enter and stopped by PID on exit."""

    def __init__(self, n):
        self.n = n
        self.procs = []

    def start(self):
        for _ in range(self.n):
            self.procs.append(
                subprocess.Popen([sys.executable, "-c", "while 1: pass"], stdin=subprocess.DEVNULL)
            )

    def stop(self):
        for p in self.procs:
            try:
                os.kill(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in self.procs:
            p.wait()
        self.procs.clear()

    def __enter__(self):
        self.start()
        time.sleep(1.0)  # let the scheduler see them
        return self

    def __exit__(self, *exc):
        self.stop()


PROBE = """
import time
ratios = []
for _ in range(BURSTS):
    w, c = time.perf_counter(), time.process_time()
    acc = 0
    while time.process_time() - c < 0.005:
        for i in range(2000):
            acc += i
    ratios.append((time.process_time() - c) / (time.perf_counter() - w))
ratios.sort()
print(ratios[len(ratios) // 2])
"""


def cpu_share(python, bursts=20):
    """Environment probe: the median share of wall time a 5 ms CPU burst gets (1.0 on an idle
    core, ~0.67 with two busy loops on two cores): the slowdown a long CPU-bound call suffers
    from the machine alone. Costs ~0.1-0.2 s."""
    r = subprocess.run([python, "-c", PROBE.replace("BURSTS", str(bursts))], capture_output=True, text=True)
    return round(float(r.stdout.strip()), 3) if r.returncode == 0 else None


def wait_until_quiet(max_runnable, max_wait):
    """Waits (at most max_wait s) until the machine runs nothing else for a second:
    procs_running (this process's sampling included) averages at most max_runnable."""
    t0 = time.time()
    while True:
        samples = []
        for _ in range(10):
            samples.append(procs_running())
            time.sleep(0.1)
        mean = statistics.mean(samples)
        if mean <= max_runnable or time.time() - t0 > max_wait:
            return round(mean, 2), round(time.time() - t0, 1)
        time.sleep(2.0)


def trace_one(python, variant, path, requests):
    env = dict(os.environ, PERFGATE_VARIANT=VARIANTS[variant], REQUESTS=str(requests))
    env.pop("PERFGATE_SEED", None)
    share_before = cpu_share(python)
    load = loadavg()
    t0 = time.time()
    proc = subprocess.Popen(
        [python, "-m", "viztracer", "--quiet", "-o", str(path), str(HERE / "service.py")],
        env=env,
        stdin=subprocess.DEVNULL,
    )
    sampler = RunnableSampler(proc.pid)
    sampler.start()
    if proc.wait() != 0:
        raise SystemExit("viztracer failed on %s" % path)
    seconds = round(time.time() - t0, 2)
    runnable = sampler.mean()
    # the traced process's own share of its runnable time (sampled up to 50 ms before its end)
    run_share = None
    if sampler.sched and sum(sampler.sched) > 0:
        run_share = round(sampler.sched[0] / sum(sampler.sched), 3)
        write_schedstat(path, *sampler.sched)
    share_after = cpu_share(python)
    share = None if None in (share_before, share_after) else round((share_before + share_after) / 2, 3)
    return {
        "load": load, "load_end": loadavg(), "runnable": runnable, "seconds": seconds,
        "cpu_share": share, "run_share": run_share, "sched_ns": sampler.sched,
    }


def write_schedstat(trace, cpu_ns, waiting_ns):
    """The scheduler record `perfgate record` writes beside a trace (src/trace/schedstat.rs):
    `perfgate compare` judges an after side that got less CPU relative to it."""
    record = {
        "perfgate_schedstat": 1,
        "cpu_ms": cpu_ns / 1e6,
        "waiting_ms": waiting_ns / 1e6,
        "run_share": cpu_ns / (cpu_ns + waiting_ns),
    }
    Path(str(trace) + ".schedstat").write_text(json.dumps(record, indent=2) + "\n")


def write_missing_schedstat(out, manifest):
    """Scheduler records for traces made before the harness wrote them, from the manifest:
    the measured ns when it kept them, else the run share alone (cpu 1000 ms and the waiting
    time that gives that share)."""
    for name, info in manifest.items():
        trace = out / name
        if Path(str(trace) + ".schedstat").exists() or not trace.exists():
            continue
        if info.get("sched_ns"):
            write_schedstat(trace, *info["sched_ns"])
        elif info.get("run_share"):
            share = info["run_share"]
            write_schedstat(trace, 1e9, 1e9 * (1 / share - 1))


def generate(args, plan):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for condition, counts in plan.items():
        busy = args.busy if condition == "loaded" else 0
        # interleaved in proportion (trace k of n at time (k + 0.5) / n of the batch), so that a
        # change of the machine's load during the batch hits every variant alike
        slots = sorted(
            ((k + 0.5) / n, variant, k) for variant, n in counts.items() for k in range(n)
        )
        todo = []
        for _, variant, k in slots:
            name = "%s_%s_%02d.json" % (condition, variant, k)
            if args.regen or name not in manifest:
                todo.append((variant, name))
        if not todo:
            continue
        print(
            "# %s: %d traces (%d busy loops), load %.2f"
            % (condition, len(todo), busy, loadavg()),
            file=sys.stderr,
        )
        with BusyLoops(busy):
            for variant, name in todo:
                waited = None
                if condition == "quiet" and args.quiet_runnable > 0:
                    waited = wait_until_quiet(args.quiet_runnable, args.quiet_wait)
                info = trace_one(args.python, variant, out / name, args.requests)
                info["quiet_wait"] = waited
                manifest[name] = dict(info, condition=condition, variant=variant, busy=busy)
                manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
                print(
                    "  %s load %.2f runnable %.2f cpu share %s run share %s %.1fs wait %s"
                    % (name, info["load"], info["runnable"], info["cpu_share"], info["run_share"],
                       info["seconds"], waited),
                    file=sys.stderr,
                )
    return manifest


# ---------------------------------------------------------------- pairs


def traces(manifest, condition, variant):
    return sorted(n for n, m in manifest.items() if m["condition"] == condition and m["variant"] == variant)


def pairs_1v1(before, after, cap, rng, same=False):
    if same:
        pairs = [([a], [b]) for a, b in itertools.combinations(before, 2)]
    else:
        pairs = [([a], [b]) for a in before for b in after]
    rng.shuffle(pairs)
    return pairs[:cap]


def pairs_kvk(before, after, k, draws, rng, same=False):
    out = []
    for _ in range(draws):
        if same:
            if len(before) < 2 * k:
                break
            pick = rng.sample(before, 2 * k)
            out.append((sorted(pick[:k]), sorted(pick[k:])))
        else:
            if len(before) < k or len(after) < k:
                break
            out.append((sorted(rng.sample(before, k)), sorted(rng.sample(after, k))))
    return out


def scenarios(manifest, smoke):
    """(kind, name, metric, target, pairs): kind 'aa' or 'ab'."""
    rng = random.Random(10)
    cap = 60 if smoke else 435
    draws = 3 if smoke else 30
    t = lambda c, v: traces(manifest, c, v)  # noqa: E731
    qb, lb = t("quiet", "base"), t("loaded", "base")
    # the quiet traces made while nothing else ran: procs_running averaged <= 2 (the workload
    # and the sampler) and the CPU-share probe read >= 0.95
    idle = lambda names: [  # noqa: E731
        n for n in names
        if manifest[n].get("runnable", 9) <= 2.0 and (manifest[n].get("cpu_share") or 0) >= 0.95
    ]
    qi = idle(qb)
    s = [
        ("aa", "A/A 1+1 quiet", "p95", None, pairs_1v1(qb, qb, cap, rng, same=True)),
        ("aa", "A/A 1+1 quiet, idle traces only", "p95", None, pairs_1v1(qi, qi, cap, rng, same=True)),
        ("aa", "A/A 1+1 loaded", "p95", None, pairs_1v1(lb, lb, cap, rng, same=True)),
        ("aa", "A/A 1+1 quiet-vs-contended", "p95", None, pairs_1v1(qb, lb, cap, rng)),
        ("aa", "A/A 5+5 quiet", "p95", None, pairs_kvk(qb, qb, 5, draws, rng, same=True)),
        ("aa", "A/A 5+5 loaded", "p95", None, pairs_kvk(lb, lb, 5, draws, rng, same=True)),
        ("aa", "A/A 5+5 quiet-vs-contended", "p95", None, pairs_kvk(qb, lb, 5, draws, rng)),
        ("ab", "2x slower 1+1 quiet", "p95", TARGET, pairs_1v1(qb, t("quiet", "slow2"), cap, rng)),
        ("ab", "2x slower 1+1 quiet, idle traces only", "p95", TARGET, pairs_1v1(qi, idle(t("quiet", "slow2")), cap, rng)),
        ("ab", "1.2x slower 5+5 quiet, idle traces only", "p95", TARGET, pairs_kvk(qi, idle(t("quiet", "slow1.2")), 5, draws, rng)),
        ("ab", "2x slower 1+1 loaded", "p95", TARGET, pairs_1v1(lb, t("loaded", "slow2"), cap, rng)),
        ("ab", "2x slower 1+1 quiet-vs-contended", "p95", TARGET, pairs_1v1(qb, t("loaded", "slow2"), cap, rng)),
        ("ab", "1.5x slower 5+5 quiet-vs-contended", "p95", TARGET, pairs_kvk(qb, t("loaded", "slow1.5"), 5, draws, rng)),
        ("ab", "1.5x slower 5+5 loaded", "p95", TARGET, pairs_kvk(lb, t("loaded", "slow1.5"), 5, draws, rng)),
        ("ab", "1.2x slower 5+5 quiet", "p95", TARGET, pairs_kvk(qb, t("quiet", "slow1.2"), 5, draws, rng)),
        ("ab", "tail 10% x3 5+5 quiet", "p95", TARGET, pairs_kvk(qb, t("quiet", "tail"), 5, draws, rng)),
        ("ab", "tail 10% x3 1+1 quiet", "p95", TARGET, pairs_1v1(qb, t("quiet", "tail"), cap, rng)),
        # a sleep-bound slowdown on a contended after side: what judging relative to the CPU
        # the after side got (docs/compare.md, rule 7) costs
        ("ab", "call_llm (sleep) 2x slower 1+1 quiet-vs-contended", "p95", "call_llm (service.py)", pairs_1v1(qb, t("loaded", "slow_llm2"), cap, rng)),
        ("ab", "call_llm 2x calls 1+1 quiet", "p95", "call_llm (service.py)", pairs_1v1(qb, t("quiet", "count_llm"), cap, rng)),
        ("ab", "make_key 2x calls 1+1 quiet", "p95", "make_key (service.py)", pairs_1v1(qb, t("quiet", "count_key"), cap, rng)),
    ]
    return [x for x in s if x[4]]


# ---------------------------------------------------------------- judging


def run_compare(perfgate, before, after, extra=()):
    """`perfgate compare --no-budgets --format json` of the trace paths; the JSON report, and
    its verdict with the names of the operations that failed and warned."""
    cmd = [perfgate, "compare", "--no-budgets", "--format", "json", *extra, "--before"]
    cmd += [str(b) for b in before] + ["--after"] + [str(a) for a in after]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise SystemExit("perfgate failed (%d): %s" % (r.returncode, r.stderr[-2000:]))
    rep = json.loads(r.stdout)
    ops = rep["comparison"]["operations"]
    return rep, {
        "verdict": rep["verdict"],
        "fail": [o["name"] for o in ops if o.get("severity") == "fail"],
        "warn": [o["name"] for o in ops if o.get("severity") == "warn"],
    }


def perfgate_judge(perfgate, out, metric):
    def judge(before, after):
        rep, verdict = run_compare(
            perfgate, [out / b for b in before], [out / a for a in after], ["--metric", metric]
        )
        c = rep["comparison"]
        measured = (c.get("measured_environment") or {}).get("after_scale", 1.0) > 1.0
        estimated = (c.get("environment") or {}).get("notable", False)
        return dict(verdict, env_warning=measured or estimated)

    return judge


def pct(k, n):
    return "%.1f %%" % (100.0 * k / n) if n else "-"


def load_of(manifest, names):
    """`uptime` load range over the traces (at their start and end), the mean number of
    runnable tasks sampled while they were made (r, the workload included) and the mean CPU
    share of the probe (cpu, 1.0 = an idle core)."""
    v = [manifest[n]["load"] for n in names] + [manifest[n].get("load_end", manifest[n]["load"]) for n in names]
    r = [manifest[n]["runnable"] for n in names if manifest[n].get("runnable") is not None]
    c = [manifest[n]["cpu_share"] for n in names if manifest[n].get("cpu_share") is not None]
    if not v:
        return "-"
    text = "%.1f–%.1f" % (min(v), max(v))
    text += " (r %.1f" % statistics.mean(r) if r else " ("
    text += ", cpu %.2f)" % statistics.mean(c) if c else ")"
    return text


def evaluate(args, manifest, engine):
    out = Path(args.out)
    results = []
    for kind, name, metric, target, pairs in scenarios(manifest, args.smoke):
        if engine == "perfgate":
            judge = perfgate_judge(args.perfgate, out, metric)
        else:
            sys.path.insert(0, str(HERE))
            import rules  # noqa: PLC0415

            judge = rules.judge_factory(out, metric, args.rule)
        t0 = time.time()
        verdicts = [judge(b, a) for b, a in pairs]
        bnames = sorted({x for b, _ in pairs for x in b})
        anames = sorted({x for _, a in pairs for x in a})
        row = {
            "kind": kind,
            "scenario": name,
            "pairs": len(pairs),
            "load_before": load_of(manifest, bnames),
            "load_after": load_of(manifest, anames),
            "fail": sum(v["verdict"] == "fail" for v in verdicts),
            "warn": sum(v["verdict"] == "warn" for v in verdicts),
            "env": sum(bool(v.get("env_warning")) for v in verdicts),
            "hit": sum(target in v["fail"] for v in verdicts) if target else None,
            "fail_ops": {},
            "warn_ops": {},
            "seconds": round(time.time() - t0, 1),
        }
        for v in verdicts:
            for sev in ("fail", "warn"):
                for op in v[sev]:
                    if op != target:
                        row[sev + "_ops"][op] = row[sev + "_ops"].get(op, 0) + 1
        results.append(row)
        print("  %s: %d pairs in %.1fs" % (name, len(pairs), row["seconds"]), file=sys.stderr)
    return results


def markdown(results, engine, label):
    lines = ["### %s: %s" % (engine, label), ""]
    lines += [
        "| A/A scenario | pairs | load before | load after | FAIL | WARN | env. note | most frequent FAIL ops | most frequent WARN ops |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        if r["kind"] != "aa":
            continue
        top = lambda d: ", ".join("%s (%d)" % kv for kv in sorted(d.items(), key=lambda kv: -kv[1])[:3])  # noqa: E731
        lines.append(
            "| %s | %d | %s | %s | %s | %s | %s | %s | %s |"
            % (
                r["scenario"], r["pairs"], r["load_before"], r["load_after"],
                pct(r["fail"], r["pairs"]), pct(r["warn"], r["pairs"]), pct(r["env"], r["pairs"]),
                top(r["fail_ops"]), top(r["warn_ops"]),
            )
        )
    lines += [
        "",
        "| A/B scenario | pairs | load before | load after | FAIL on the changed op (power) | verdict FAIL | WARN | env. note |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if r["kind"] != "ab":
            continue
        lines.append(
            "| %s | %d | %s | %s | %s | %s | %s | %s |"
            % (
                r["scenario"], r["pairs"], r["load_before"], r["load_after"],
                pct(r["hit"], r["pairs"]), pct(r["fail"], r["pairs"]), pct(r["warn"], r["pairs"]),
                pct(r["env"], r["pairs"]),
            )
        )
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="few traces and pairs, < 2 minutes")
    ap.add_argument("--out", default=str(ROOT / "benches" / "data" / "verdict"))
    ap.add_argument("--python", default=os.environ.get("PYTHON", sys.executable))
    ap.add_argument("--perfgate", default=os.environ.get("PERFGATE", str(ROOT / "target" / "release" / "perfgate")))
    ap.add_argument("--busy", type=int, default=2, help="busy loops in the loaded condition")
    ap.add_argument("--requests", type=int, default=150)
    ap.add_argument("--quiet-runnable", type=float, default=1.3,
                    help="before each quiet trace wait until procs_running averages at most this (0: no wait)")
    ap.add_argument("--quiet-wait", type=float, default=None,
                    help="longest wait per quiet trace, s (default 20, with --smoke 2)")
    ap.add_argument("--eval-only", action="store_true", help="judge the traces already in --out")
    ap.add_argument("--gen-only", action="store_true", help="only make the traces")
    ap.add_argument("--regen", action="store_true", help="make every trace anew")
    ap.add_argument("--engine", choices=["perfgate", "proto"], default="perfgate")
    ap.add_argument("--rule", default="recommended", help="prototype rule set (rules.py), with --engine proto")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    if args.smoke and args.out == str(ROOT / "benches" / "data" / "verdict"):
        args.out = str(ROOT / "benches" / "data" / "verdict-smoke")
    if args.quiet_wait is None:
        args.quiet_wait = 2.0 if args.smoke else 20.0
    plan = PLANS["smoke" if args.smoke else "full"]
    t0 = time.time()
    if args.eval_only:
        manifest = json.loads((Path(args.out) / "manifest.json").read_text())
    else:
        manifest = generate(args, plan)
    if args.gen_only:
        return
    if args.engine == "perfgate" and not os.access(args.perfgate, os.X_OK):
        raise SystemExit("no perfgate at %s: cargo build --release, or set PERFGATE" % args.perfgate)
    write_missing_schedstat(Path(args.out), manifest)
    results = evaluate(args, manifest, args.engine)
    label = "%s, %d traces, load at judging %.2f" % ("smoke" if args.smoke else "full", len(manifest), loadavg())
    engine = args.engine if args.engine == "perfgate" else "prototype rules `%s`" % args.rule
    print(markdown(results, engine, label))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print("(%.0f s)" % (time.time() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
