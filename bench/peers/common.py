"""What the Python peers of bench_bo share: the problems (read from
bench/problems.json, as bench_bo reads them), the test functions (the same
formulas as bench/functions.c; bench/peers/check.py compares the two), the
candidate pools (replicate rows merged exactly as bench_bo merges them),
the mapping of a proposed point to the nearest untested pool row, and the
JSON-lines output that bench/report.py reads.

Run the peers with /usr/bin/python3 (Debian's python3-optuna and
python3-sklearn); a `python3` earlier on PATH may lack them.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


# ---- test functions (minimisation; see bench/functions.c) -----------------

def branin(x):
    b = 5.1 / (4.0 * math.pi * math.pi)
    c = 5.0 / math.pi
    t = 1.0 / (8.0 * math.pi)
    u = x[1] - b * x[0] * x[0] + c * x[0] - 6.0
    return u * u + 10.0 * (1.0 - t) * math.cos(x[0]) + 10.0


_H_ALPHA = (1.0, 1.2, 3.0, 3.2)
_H_A = ((10, 3, 17, 3.5, 1.7, 8),
        (0.05, 10, 17, 0.1, 8, 14),
        (3, 3.5, 1.7, 10, 17, 8),
        (17, 8, 0.05, 10, 0.1, 14))
_H_P = ((1312, 1696, 5569, 124, 8283, 5886),
        (2329, 4135, 8307, 3736, 1004, 9991),
        (2348, 1451, 3522, 2883, 3047, 6650),
        (4047, 8828, 8732, 5743, 1091, 381))


def hartmann6(x):
    total = 0.0
    for i in range(4):
        inner = 0.0
        for j in range(6):
            d = x[j] - _H_P[i][j] * 1e-4
            inner += _H_A[i][j] * d * d
        total += _H_ALPHA[i] * math.exp(-inner)
    return -total


def ackley(x):
    d = len(x)
    s2 = 0.0
    sc = 0.0
    for v in x:
        s2 += v * v
        sc += math.cos(2.0 * math.pi * v)
    return -20.0 * math.exp(-0.2 * math.sqrt(s2 / d)) - math.exp(sc / d) + 20.0 + math.exp(1.0)


def levy(x):
    d = len(x)
    w1 = 1.0 + (x[0] - 1.0) / 4.0
    wd = 1.0 + (x[d - 1] - 1.0) / 4.0
    s = math.sin(math.pi * w1)
    total = s * s
    for i in range(d - 1):
        w = 1.0 + (x[i] - 1.0) / 4.0
        sw = math.sin(math.pi * w + 1.0)
        total += (w - 1.0) * (w - 1.0) * (1.0 + 10.0 * sw * sw)
    t = math.sin(2.0 * math.pi * wd)
    return total + (wd - 1.0) * (wd - 1.0) * (1.0 + t * t)


def rosenbrock(x):
    total = 0.0
    for i in range(len(x) - 1):
        a = x[i + 1] - x[i] * x[i]
        b = x[i] - 1.0
        total += 100.0 * a * a + b * b
    return total


FUNCTIONS = {"branin": branin, "hartmann6": hartmann6, "ackley10": ackley,
             "levy10": levy, "rosenbrock5": rosenbrock}


# ---- problems ----------------------------------------------------------------

class Problem:
    """A function (minimised, `optimum` its known minimum) or a pool
    (`X` rows, `y` values, goal `maximize`, `optimum` its best value)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    @property
    def span(self):
        return self.high - self.low

    def to_unit(self, x):
        return (np.asarray(x, dtype=float) - self.low) / self.span

    def from_unit(self, u):
        return self.low + np.asarray(u, dtype=float) * self.span


def _load_pool(root, name, folder, budget):
    with open(os.path.join(root, folder, "config.json")) as f:
        cfg = json.load(f)
    params = cfg["parameters"]
    dim = len(params)
    index = {}
    xs, sums, counts = [], [], []
    with open(os.path.join(root, folder, "data.csv")) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            vals = [float(v) for v in line.split(",")[:dim + 1]]
            key = tuple(vals[:dim])
            r = index.get(key)
            if r is None:
                r = index[key] = len(xs)
                xs.append(vals[:dim])
                sums.append(0.0)
                counts.append(0)
            sums[r] += vals[dim]
            counts[r] += 1
    y = np.array([s / c for s, c in zip(sums, counts)])
    maximize = cfg["default_goal"] == "maximize"
    return Problem(name=name, kind="pool", dim=dim, budget=budget,
                   names=[p["name"] for p in params],
                   low=np.array([float(p["low"]) for p in params]),
                   high=np.array([float(p["high"]) for p in params]),
                   maximize=maximize, X=np.array(xs), y=y,
                   optimum=float(y.max() if maximize else y.min()))


def load_problems(root=ROOT, path=None):
    """The problems of bench/problems.json, functions first, and its seed count."""
    path = path or os.path.join(root, "bench", "problems.json")
    with open(path) as f:
        doc = json.load(f)
    out = []
    for fn in doc["functions"]:
        out.append(Problem(name=fn["name"], kind="function", dim=fn["dim"], budget=fn["budget"],
                           names=["x%d" % (j + 1) for j in range(fn["dim"])],
                           low=np.array(fn["low"], dtype=float), high=np.array(fn["high"], dtype=float),
                           maximize=False, optimum=float(fn["optimum"]), fn=FUNCTIONS[fn["name"]]))
    for pool in doc["pools"]:
        out.append(_load_pool(root, pool["name"], pool["dir"], pool["budget"]))
    return out, int(doc.get("seeds", 20))


def nearest_untested(problem, tested, x):
    """Index of the untested row nearest to x in the unit cube of the
    bounds (ties to the lower row), and its squared distance."""
    d = (((problem.X - np.asarray(x, dtype=float)) / problem.span) ** 2).sum(axis=1)
    d[tested] = np.inf
    r = int(np.argmin(d))
    return r, float(d[r])


class Tracker:
    """Best-so-far and simple-regret trace of one run."""

    def __init__(self, problem):
        self.p = problem
        self.best = None
        self.regret = []

    def add(self, y):
        p = self.p
        if self.best is None or (y > self.best if p.maximize else y < self.best):
            self.best = y
        if p.kind == "pool":
            r = p.optimum - self.best if p.maximize else self.best - p.optimum
        else:
            r = self.best - p.optimum
        self.regret.append(max(r, 0.0))

    @property
    def n(self):
        return len(self.regret)


def write_line(out, problem, method, q, seed, tracker, remapped, planner_s, total_s, cpu_s):
    line = {"problem": problem.name, "kind": problem.kind, "method": method, "q": q, "seed": seed,
            "budget": problem.budget, "best": tracker.best, "remapped": remapped,
            "planner_s": round(planner_s, 6), "total_s": round(total_s, 6), "cpu_s": round(cpu_s, 6),
            "regret": [float("%.10g" % r) for r in tracker.regret]}
    out.write(json.dumps(line) + "\n")
    out.flush()


def parse_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("--problems", default=None)
    ap.add_argument("--problem", default=None, help="comma-separated problem names (default: all)")
    ap.add_argument("--seeds", type=int, default=0, help="seeds 0..K-1 (default: problems.json)")
    ap.add_argument("--budget-functions", type=int, default=0)
    ap.add_argument("--budget-pools", type=int, default=0)
    ap.add_argument("--shard", default="0/1", help="I/K: run only the runs whose index mod K is I")
    ap.add_argument("--out", default=None, help="append JSON lines here (default: stdout)")
    return ap.parse_args()


def runs(args):
    """(problem, seed) pairs selected by the arguments, in a fixed order."""
    problems, nseeds = load_problems(args.root, args.problems)
    if args.seeds > 0:
        nseeds = args.seeds
    wanted = set(args.problem.split(",")) if args.problem else None
    shard, nshards = (int(v) for v in args.shard.split("/"))
    k = 0
    for p in problems:
        if wanted and p.name not in wanted:
            continue
        if p.kind == "function" and args.budget_functions > 0:
            p.budget = args.budget_functions
        if p.kind == "pool" and args.budget_pools > 0:
            p.budget = args.budget_pools
        for s in range(nseeds):
            if k % nshards == shard:
                yield p, s
            k += 1


def main_loop(args, method, run_fn):
    """Runs run_fn(problem, seed) -> (tracker, remapped, planner_s) over the
    selected runs and writes one line each."""
    out = open(args.out, "a") if args.out else sys.stdout
    last, t_prob = None, time.monotonic()
    for p, s in runs(args):
        if last is not None and p.name != last:
            print("%s: %-15s done in %.1f s" % (method, last, time.monotonic() - t_prob), file=sys.stderr)
            t_prob = time.monotonic()
        last = p.name
        t0, c0 = time.monotonic(), time.process_time()
        tracker, remapped, planner_s = run_fn(p, s)
        write_line(out, p, method, 1, s, tracker, remapped, planner_s, time.monotonic() - t0,
                   time.process_time() - c0)
    if last is not None:
        print("%s: %-15s done in %.1f s" % (method, last, time.monotonic() - t_prob), file=sys.stderr)
    if out is not sys.stdout:
        out.close()
