"""Prototype verdict rules for `perfgate compare` (issue 10), judged offline on the harness traces.

`harness.py --eval-only --engine proto --rule NAME` runs them on the same pairs as perfgate.
Rule sets (RULES below):

    recommended  the rules RESULTS.md specifies
    drift, nodrift, recommended_nodrift: ablations (see RULES)
    calls_mwu    a re-implementation of today's idea (Mann-Whitney on all calls for every metric,
                 effect = change of the metric), for reference

Needs numpy and scipy. Each trace is read once into per-operation arrays (inclusive duration
and self time of every call, µs), cached beside it as TRACE.ops.pkl.
"""

import json
import math
import os
import pickle
from collections import defaultdict

import numpy as np
from scipy import stats

# ---------------------------------------------------------------- reading traces


def op_key(name):
    """viztracer `qual (/abs/dir/file.py:LINE)` -> `qual (file.py)` (perfgate's --key file)."""
    if name.endswith(")") and " (" in name:
        qual, loc = name[:-1].rsplit(" (", 1)
        path = loc.rsplit(":", 1)[0]
        parts = path.replace("\\", "/").split("/")
        base = parts[-1]
        if base in ("__init__.py", "__main__.py") and len(parts) > 1:
            base = parts[-2] + "/" + base
        return "%s (%s)" % (qual, base)
    return name


def read_trace(path):
    with open(path) as f:
        doc = json.load(f)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    by_thread = defaultdict(list)
    for e in events:
        if e.get("ph") == "X" and "dur" in e:
            by_thread[(e.get("pid"), e.get("tid"))].append(e)
    dur = defaultdict(list)
    self_t = defaultdict(list)
    for evs in by_thread.values():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []  # [end, index into self list, key]
        for e in evs:
            ts, d = float(e["ts"]), float(e["dur"])
            while stack and stack[-1][0] <= ts + 1e-3:
                stack.pop()
            key = op_key(e["name"])
            if stack:
                parent = stack[-1]
                self_t[parent[2]][parent[1]] -= d
            dur[key].append(d)
            self_t[key].append(d)
            stack.append([ts + d, len(self_t[key]) - 1, key])
    return {k: {"dur": np.array(dur[k]), "self": np.maximum(np.array(self_t[k]), 0.0)} for k in dur}


_MEMO = {}


def load_ops(path):
    if path not in _MEMO:
        _MEMO[path] = _load_ops(path)
    return _MEMO[path]


def _load_ops(path):
    cache = str(path) + ".ops.pkl"
    if os.path.exists(cache) and os.path.getmtime(cache) >= os.path.getmtime(path):
        with open(cache, "rb") as f:
            return pickle.load(f)
    ops = read_trace(path)
    with open(cache, "wb") as f:
        pickle.dump(ops, f)
    return ops


# ---------------------------------------------------------------- figures

LEVEL = {"p95": 0.95, "p99": 0.99, "p50": 0.50}


def metric_of(durs, metric):
    if metric == "mean":
        return float(np.mean(durs))
    return float(np.percentile(durs, LEVEL[metric] * 100))


def tail_test(x, y, level):
    """Share of calls above the pooled quantile, Fisher exact one-sided (after has more).
    The quantile level is lowered when needed so that the pooled sample has at least 10 calls
    above it. Returns (p, share_before, share_after, level used)."""
    n = len(x) + len(y)
    lvl = min(level, 1.0 - 10.0 / n) if n > 10 else 0.5
    q = np.percentile(np.concatenate([x, y]), lvl * 100)
    kx, ky = int(np.sum(x > q)), int(np.sum(y > q))
    p = stats.fisher_exact([[ky, len(y) - ky], [kx, len(x) - kx]], alternative="greater")[1]
    return float(p), kx / len(x), ky / len(y), lvl


# ---------------------------------------------------------------- rules

# Every rule set: alpha = significance level of a FAIL; threshold / floor = smallest relative /
# absolute change of the (drift-adjusted) metric that counts; min_calls = fewest calls per run
# for a call-level test; min_runs = runs per side from which runs are the unit; env_warn = |log
# drift| from which the report says the whole run is slower; single_fail_ratio = with one run
# per side, the smallest adjusted ratio that may FAIL (below it, beyond the threshold and
# significant: WARN, "compare more runs"); tail = test for p95/p99 with one run per side.
BASE = dict(drift="self", probe=False, alpha=0.01, threshold=0.10, floor=1000.0, min_calls=5, min_runs=3,
            env_warn=math.log(1.25), single_fail_ratio=1.0, tail="fisher", warn_single=True,
            bonferroni=False)
RULES = {
    # runs as the unit with 3+ runs; call-level tests with one run per side; drift from the
    # median self time of the other operations
    "drift": dict(BASE),
    "nodrift": dict(BASE, drift=False),
    "drift_bar1.5": dict(BASE, single_fail_ratio=1.5),
    # drift from the CPU-share probe recorded beside each trace (harness.cpu_share)
    "probe": dict(BASE, drift="probe"),
    "probe_bar1.5": dict(BASE, drift="probe", single_fail_ratio=1.5),
    # both: the larger of the two slowdowns (an operation is judged against the environment
    # the evidence says it ran in)
    "both": dict(BASE, drift="both"),
    "both_bar1.5": dict(BASE, drift="both", single_fail_ratio=1.5),
    "recommended": dict(BASE, drift="both", bonferroni=True),
    "recommended_bar1.5": dict(BASE, drift="both", single_fail_ratio=1.5, bonferroni=True),
    # a re-implementation of today's idea, for reference: Mann-Whitney on all calls for every
    # metric, no run-level unit, no drift
    "calls_mwu": dict(BASE, drift=False, min_runs=99, env_warn=99.0, tail="mwu"),
}

MIN_SELF_US = 1.0  # operations whose median self time is below this measure the tracer, not code


def run_summary(run):
    """Median self time per call of each operation with enough calls, for the drift."""
    return {k: float(np.median(v["self"])) for k, v in run.items()
            if len(v["self"]) >= 5 and np.median(v["self"]) >= MIN_SELF_US}


def drift_logs(ref, other):
    """Per operation, log(median self in other / in ref), for operations in both."""
    return {k: math.log(other[k] / ref[k]) for k in ref if k in other and ref[k] > 0 and other[k] > 0}


def loo_median(logs, exclude, min_ops=3):
    """Median of the log ratios leaving out `exclude`; 0 when fewer than min_ops remain."""
    v = [x for k, x in logs.items() if k != exclude]
    return float(np.median(v)) if len(v) >= min_ops else 0.0


def judge_op(k, B, A, metric, cfg, d_single, d_runs_b, d_runs_a):
    """(severity if significant, status, p-value or None when no test decides) for operation k,
    sides B and A (lists of per-run op dicts); d_* are log drifts (after relative to before).
    The caller compares p with alpha (divided by the number of tested operations with
    bonferroni)."""
    thr, floor = cfg["threshold"], cfg["floor"]
    if not all(k in r for r in B + A):
        return None, "added_or_removed_or_partial", None
    cb = [len(r[k]["dur"]) for r in B]
    ca = [len(r[k]["dur"]) for r in A]
    # --- counts: structural, exact per run; costed by the median call
    mb, ma = np.mean(cb), np.mean(ca)
    if mb > 0 and (ma - mb) / mb > thr:
        med = float(np.median(np.concatenate([r[k]["dur"] for r in A])))
        cost = (ma - mb) * med
        consistent = min(ca) > max(cb)
        if cost > floor:
            return ("fail" if consistent else "warn"), "count_regressed", None
        return None, "count_changed_below_floor", None
    # --- time, runs as the unit
    runs_mode = len(B) >= cfg["min_runs"] and len(A) >= cfg["min_runs"]
    if runs_mode:
        lb = np.log([metric_of(r[k]["dur"], metric) for r in B])
        la = np.log([metric_of(r[k]["dur"], metric) for r in A])
        if cfg["drift"]:
            lb = lb - d_runs_b
            la = la - d_runs_a
        ratio = math.exp(la.mean() - lb.mean())
        delta = math.exp(lb.mean()) * (ratio - 1)
        if not (ratio - 1 > thr and delta > floor):
            return None, "within", None
        if np.ptp(lb) == 0 and np.ptp(la) == 0:
            p = 0.0
        else:
            p = stats.ttest_ind(la, lb, equal_var=False, alternative="greater").pvalue
        return "fail", "regressed_runs", float(p)
    # --- time, one run (or two) per side: the calls, adjusted by the drift
    if min(cb) < cfg["min_calls"] or min(ca) < cfg["min_calls"]:
        return None, "not_enough_data", None
    x = np.concatenate([r[k]["dur"] for r in B])
    y = np.concatenate([r[k]["dur"] for r in A])
    if cfg["drift"] and d_single:
        y = y / math.exp(d_single)
    before, after = metric_of(x, metric), metric_of(y, metric)
    ratio = after / before if before > 0 else math.inf
    if not (ratio - 1 > thr and after - before > floor):
        return None, "within", None
    if metric in ("p95", "p99") and cfg["tail"] == "fisher":
        p = tail_test(x, y, LEVEL[metric])[0]
    else:
        p = stats.mannwhitneyu(y, x, alternative="greater").pvalue
    if ratio >= cfg["single_fail_ratio"]:
        return "fail", "regressed", float(p)
    return ("warn" if cfg["warn_single"] else None), "regressed_below_single_run_bar", float(p)


def judge_factory(out, metric, rule):
    cfg = RULES[rule]
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)

    def share(name):
        """log of the environment probe of a trace: the traced process's own run share
        (schedstat) when recorded, else the CPU-share probe run beside it."""
        info = manifest.get(name, {})
        v = info.get("run_share") or info.get("cpu_share")
        return math.log(v) if v else 0.0

    def combine(d_self, d_probe):
        mode = cfg["drift"]
        if not mode:
            return 0.0
        if mode == "self":
            return d_self
        if mode == "probe":
            return d_probe
        return d_self if abs(d_self) > abs(d_probe) else d_probe

    def judge(before, after):
        ref_share = float(np.median([share(n) for n in before]))
        probe_single = ref_share - float(np.median([share(n) for n in after]))
        probe_b = np.array([ref_share - share(n) for n in before])
        probe_a = np.array([ref_share - share(n) for n in after])
        B = [load_ops(os.path.join(out, n)) for n in before]
        A = [load_ops(os.path.join(out, n)) for n in after]
        sb, sa = [run_summary(r) for r in B], [run_summary(r) for r in A]
        # reference: per operation, the median over the before runs
        ref = {k: float(np.median([s[k] for s in sb if k in s])) for k in set().union(*sb)}
        pooled_a = {k: float(np.median([s[k] for s in sa if k in s])) for k in set().union(*sa)}
        logs_single = drift_logs(ref, pooled_a)
        logs_b = [drift_logs(ref, s) for s in sb]
        logs_a = [drift_logs(ref, s) for s in sa]
        d_all = combine(loo_median(logs_single, None), probe_single)
        env = None
        if abs(d_all) > cfg["env_warn"]:
            env = "the whole run is %.2fx %s: environment, not code?" % (
                math.exp(abs(d_all)), "slower" if d_all > 0 else "faster")
        fail, warn = [], []
        judged = []
        for k in sorted(set(A[0]) | set(B[0])):
            d_single = combine(loo_median(logs_single, k), probe_single)
            d_rb = np.array([combine(loo_median(lg, k), pb) for lg, pb in zip(logs_b, probe_b)])
            d_ra = np.array([combine(loo_median(lg, k), pa) for lg, pa in zip(logs_a, probe_a)])
            judged.append((k,) + judge_op(k, B, A, metric, cfg, d_single, d_rb, d_ra))
        tested = sum(p is not None for _, _, _, p in judged)
        alpha = cfg["alpha"] / max(tested, 1) if cfg["bonferroni"] else cfg["alpha"]
        for k, sev, _, p in judged:
            if p is not None and p >= alpha:
                continue
            if sev == "fail":
                fail.append(k)
            elif sev == "warn":
                warn.append(k)
        verdict = "fail" if fail else ("warn" if warn else "pass")
        return {"verdict": verdict, "fail": fail, "warn": warn, "env_warning": env}

    return judge


# ---------------------------------------------------------------- drift probe


def drift_estimates(B, A, exclude):
    """Candidate drift estimators (log ratios after/before), for the probe."""
    out = {}
    for name, fig in (("median_self", np.median), ("mean_self", np.mean)):
        logs = []
        for k in B[0]:
            if k == exclude or not all(k in r and len(r[k]["self"]) >= 5 for r in B + A):
                continue
            b = fig(np.concatenate([r[k]["self"] for r in B]))
            a = fig(np.concatenate([r[k]["self"] for r in A]))
            if a > 0 and b > 0:
                logs.append(math.log(a / b))
        out[name] = float(np.median(logs)) if logs else float("nan")
    return out


def probe(out_dir, pairs):
    """Per pair: the log ratio of traverse_graph's median call and the drift estimators."""
    rows = []
    for before, after in pairs:
        B = [load_ops(os.path.join(out_dir, n)) for n in before]
        A = [load_ops(os.path.join(out_dir, n)) for n in after]
        k = "traverse_graph (service.py)"
        t = math.log(np.median(np.concatenate([r[k]["dur"] for r in A]))
                     / np.median(np.concatenate([r[k]["dur"] for r in B])))
        rows.append(dict(target=t, **drift_estimates(B, A, k)))
    return rows


if __name__ == "__main__":
    import random
    import sys

    out_dir = sys.argv[1]
    manifest = json.load(open(os.path.join(out_dir, "manifest.json")))
    names = lambda c, v: sorted(n for n, m in manifest.items() if m["condition"] == c and m["variant"] == v)  # noqa: E731
    rng = random.Random(1)
    sets = {
        "A/A quiet": [([a], [b]) for a, b in zip(names("quiet", "base")[::2], names("quiet", "base")[1::2])],
        "A/A loaded": [([a], [b]) for a, b in zip(names("loaded", "base")[::2], names("loaded", "base")[1::2])],
        "A/A quiet-vs-contended": [([a], [b]) for a, b in zip(names("quiet", "base"), names("loaded", "base"))],
        "2x quiet": [([a], [b]) for a, b in zip(names("quiet", "base"), names("quiet", "slow2"))],
        "2x loaded": [([a], [b]) for a, b in zip(names("loaded", "base"), names("loaded", "slow2"))],
    }
    print("| pairs | n | traverse_graph median ratio | drift: median of median self | drift: median of mean self | residual (median self) | residual (mean self) |")
    print("| --- | ---: | --- | --- | --- | --- | --- |")
    for label, pairs in sets.items():
        rows = probe(out_dir, pairs)
        if not rows:
            continue
        f = lambda key: np.array([r[key] for r in rows])  # noqa: E731
        t, m1, m2 = f("target"), f("median_self"), f("mean_self")
        q = lambda v: "%.2f (%.2f–%.2f)" % tuple(np.exp(np.percentile(v, [50, 5, 95])))  # noqa: E731
        print("| %s | %d | %s | %s | %s | %s | %s |" % (label, len(rows), q(t), q(m1), q(m2), q(t - m1), q(t - m2)))
