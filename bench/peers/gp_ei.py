#!/usr/bin/python3
"""A GP-EI loop on scikit-learn, after scikit-optimize's gp_minimize, on
the problems of bench_bo, for bench/report.py.

Model (as gp_minimize builds it): inputs scaled to the unit cube,
GaussianProcessRegressor(ConstantKernel(1, (0.01, 1000)) *
Matern(length_scale=ones(d), bounds (0.01, 100), nu=2.5) + WhiteKernel(),
normalize_y=True), refitted after every evaluation. Outcomes are
minimised (a pool whose goal is to maximise is given -y).

Design: N_INITIAL = 10 uniform random points (pools: 10 distinct random
rows), then one point per step maximising expected improvement with
xi = 0.01 (gp_minimize's default):
  functions - EI at N_POINTS uniform random points, then L-BFGS-B (scipy,
              finite-difference gradients) from the best of them; the
              better of the two is evaluated;
  pools     - EI at every untested row (pool-aware, so no mapping).

Cost: gp_minimize fits the hyperparameters from their initial values
with two extra random restarts (n_restarts_optimizer=2) at every step and
scores EI at n_points=10000. Here every step starts the fit from the
previous step's hyperparameters with no extra restart (RESTARTS = 0) and
scores EI at N_POINTS = 2000 random points before the L-BFGS-B polish.
Measured on the project's 2-core machine, one run of Hartmann-6 took 22 s
with gp_minimize's settings, 11 s with warm starts and 10000 points and
4 s with warm starts and 2000 points (Levy-10: 33, 16 and 7 s); the first
two make the 220 GP-EI runs alone take 50 and 25 core-minutes, too much
for a benchmark that must finish in 30 minutes on 2 cores shared with
everything else (bench/README.md).

Usage: /usr/bin/python3 bench/peers/gp_ei.py [--seeds K] [--problem a,b]
       [--budget-functions N] [--budget-pools N] [--shard I/K] [--out FILE]
"""
import time
import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

import common

N_INITIAL = 10
N_POINTS = 2000
RESTARTS = 0
XI = 0.01


def expected_improvement(gp, U, y_min):
    mu, sd = gp.predict(np.atleast_2d(U), return_std=True)
    sd = np.maximum(sd, 1e-12)
    imp = y_min - mu - XI
    z = imp / sd
    return imp * norm.cdf(z) + sd * norm.pdf(z)


def run(p, seed):
    rng = np.random.default_rng(seed)
    d = p.dim
    sign = -1.0 if p.maximize else 1.0
    tracker = common.Tracker(p)
    U, Y = [], []
    planner_s = 0.0
    kernel = (ConstantKernel(1.0, (0.01, 1000.0))
              * Matern(length_scale=np.ones(d), length_scale_bounds=(0.01, 100.0), nu=2.5)
              + WhiteKernel())
    if p.kind == "pool":
        tested = np.zeros(len(p.y), dtype=bool)
        rows_u = (p.X - p.low) / p.span
        budget = min(p.budget, len(p.y))
    else:
        budget = p.budget

    def evaluate(u, row=None):
        if row is not None:
            tested[row] = True
            y = float(p.y[row])
        else:
            y = p.fn(list(p.from_unit(u)))
        U.append(np.asarray(u, dtype=float))
        Y.append(sign * y)
        tracker.add(y)

    t = time.monotonic()
    if p.kind == "pool":
        init_rows = rng.choice(len(p.y), size=min(N_INITIAL, budget), replace=False)
    else:
        init_u = rng.uniform(size=(min(N_INITIAL, budget), d))
    planner_s += time.monotonic() - t
    for i in range(min(N_INITIAL, budget)):
        if p.kind == "pool":
            evaluate(rows_u[init_rows[i]], int(init_rows[i]))
        else:
            evaluate(init_u[i])

    while tracker.n < budget:
        t = time.monotonic()
        gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=RESTARTS,
                                      random_state=int(rng.integers(2**31 - 1)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(np.array(U), np.array(Y))
        kernel = gp.kernel_  # the next fit starts from these hyperparameters
        y_min = min(Y)
        if p.kind == "pool":
            cand = np.flatnonzero(~tested)
            ei = expected_improvement(gp, rows_u[cand], y_min)
            row = int(cand[int(np.argmax(ei))])
            planner_s += time.monotonic() - t
            evaluate(rows_u[row], row)
        else:
            cand = rng.uniform(size=(N_POINTS, d))
            ei = expected_improvement(gp, cand, y_min)
            k = int(np.argmax(ei))
            res = minimize(lambda u: -expected_improvement(gp, u, y_min)[0], cand[k],
                           method="L-BFGS-B", bounds=[(0.0, 1.0)] * d)
            u = np.clip(res.x, 0.0, 1.0) if res.success and -res.fun > ei[k] else cand[k]
            planner_s += time.monotonic() - t
            evaluate(u)
    return tracker, 0, planner_s


if __name__ == "__main__":
    common.main_loop(common.parse_args("scikit-learn GP-EI on the bench_bo problems"), "gp-ei", run)
