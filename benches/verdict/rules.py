"""Prototype verdict rules for `perfgate compare` (issue 10), judged offline on the harness traces.

`harness.py --eval-only --engine proto --rule NAME` runs them on the same pairs as perfgate.
Rule sets (RULES below):

    recommended  the rules RESULTS.md specifies
    nodrift      recommended without the environment-drift correction (1 run per side) and the
                 per-run drift correction (several runs)
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


def load_ops(path):
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


def drift(ref_runs, runs, exclude, min_calls=5, min_ops=3):
    """Environment drift of `runs` against `ref_runs`, log scale: the median over operations
    (other than `exclude`, with at least `min_calls` calls per run on both sides) of the log
    ratio of the mean self time per call. None when fewer than `min_ops` operations qualify."""
    logs = []
    for k in ref_runs[0]:
        if k == exclude:
            continue
        if not all(k in r and len(r[k]["self"]) >= min_calls for r in ref_runs + runs):
            continue
        b = np.mean(np.concatenate([r[k]["self"] for r in ref_runs]))
        a = np.mean(np.concatenate([r[k]["self"] for r in runs]))
        if b > 0 and a > 0:
            logs.append(math.log(a / b))
    if len(logs) < min_ops:
        return None
    return float(np.median(logs))


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

RULES = {
    "recommended": dict(drift=True, alpha=0.01, warn_alpha=0.001, threshold=0.10, floor=1000.0,
                        min_calls=5, min_runs=3, env_warn=math.log(1.25), tail="fisher"),
    "nodrift": dict(drift=False, alpha=0.01, warn_alpha=0.001, threshold=0.10, floor=1000.0,
                    min_calls=5, min_runs=3, env_warn=math.log(1.25), tail="fisher"),
    "calls_mwu": dict(drift=False, alpha=0.01, warn_alpha=0.001, threshold=0.10, floor=1000.0,
                      min_calls=5, min_runs=99, env_warn=99.0, tail="mwu"),
}


def judge_op(k, B, A, metric, cfg, d_single, d_runs_b, d_runs_a):
    """Severity ('fail', 'warn', None) and a status for operation k, sides B and A (lists of
    per-run op dicts)."""
    thr, floor, alpha = cfg["threshold"], cfg["floor"], cfg["alpha"]
    if not all(k in r for r in B + A):
        return None, "added_or_removed_or_partial"
    cb = [len(r[k]["dur"]) for r in B]
    ca = [len(r[k]["dur"]) for r in A]
    # --- counts: structural, exact per run
    mb, ma = np.mean(cb), np.mean(ca)
    if mb > 0 and (ma - mb) / mb > thr:
        med = float(np.median(np.concatenate([r[k]["dur"] for r in A])))
        cost = (ma - mb) * med
        consistent = min(ca) > max(cb)
        if cost > floor:
            return ("fail" if consistent else "warn"), "count_regressed"
        return None, "count_changed_below_floor"
    # --- time
    runs_mode = len(B) >= cfg["min_runs"] and len(A) >= cfg["min_runs"]
    if runs_mode:
        fb = np.array([metric_of(r[k]["dur"], metric) for r in B])
        fa = np.array([metric_of(r[k]["dur"], metric) for r in A])
        lb, la = np.log(fb), np.log(fa)
        if cfg["drift"]:
            lb = lb - d_runs_b
            la = la - d_runs_a
        ratio = math.exp(la.mean() - lb.mean())
        delta = np.exp(lb.mean()) * (ratio - 1)
        if not (ratio - 1 > thr and delta > floor):
            return None, "within"
        if np.all(lb == lb[0]) and np.all(la == la[0]):
            p = 0.0
        else:
            p = stats.ttest_ind(la, lb, equal_var=False, alternative="greater").pvalue
        if p < alpha:
            return "fail", "regressed_runs"
        return None, "not_significant"
    if min(cb) < cfg["min_calls"] or min(ca) < cfg["min_calls"]:
        return None, "not_enough_data"
    x = np.concatenate([r[k]["dur"] for r in B])
    y = np.concatenate([r[k]["dur"] for r in A])
    if cfg["drift"] and d_single:
        y = y / math.exp(d_single)
    before, after = metric_of(x, metric), metric_of(y, metric)
    ratio = after / before if before > 0 else math.inf
    delta = after - before
    if not (ratio - 1 > thr and delta > floor):
        return None, "within"
    if metric in ("p95", "p99") and cfg["tail"] == "fisher":
        p = tail_test(x, y, LEVEL[metric])[0]
    else:
        p = stats.mannwhitneyu(y, x, alternative="greater").pvalue
    if p < alpha:
        return "fail", "regressed"
    return None, "not_significant"


def judge_factory(out, metric, rule):
    cfg = RULES[rule]

    def judge(before, after):
        B = [load_ops(os.path.join(out, n)) for n in before]
        A = [load_ops(os.path.join(out, n)) for n in after]
        fail, warn = [], []
        # whole-run drift (for the report) and per-op leave-one-out drift
        d_all = drift(B, A, exclude=None)
        env = None
        if d_all is not None and abs(d_all) > cfg["env_warn"]:
            env = "the whole run is %.2fx %s: environment, not code?" % (
                math.exp(abs(d_all)), "slower" if d_all > 0 else "faster")
        for k in sorted(set(A[0]) | set(B[0])):
            d_single = drift(B, A, exclude=k) if cfg["drift"] else None
            d_rb = np.array([drift(B, [r], exclude=k) or 0.0 for r in B]) if cfg["drift"] else 0.0
            d_ra = np.array([drift(B, [r], exclude=k) or 0.0 for r in A]) if cfg["drift"] else 0.0
            sev, _ = judge_op(k, B, A, metric, cfg, d_single, d_rb, d_ra)
            if sev == "fail":
                fail.append(k)
            elif sev == "warn":
                warn.append(k)
        verdict = "fail" if fail else ("warn" if warn else "pass")
        return {"verdict": verdict, "fail": fail, "warn": warn, "env_warning": env}

    return judge
