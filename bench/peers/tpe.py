#!/usr/bin/python3
"""Optuna's TPE on the problems of bench_bo, for bench/report.py.

TPESampler(seed=s) with its default settings (Optuna 3.1: 10 random
startup trials, independent univariate Parzen estimators, 24 EI
candidates), driven by ask/tell, one evaluation at a time.

Functions: one suggest_float per parameter over the bounds of
problems.json; the trial is told the function value.

Pools: TPE is not pool-aware. Each trial suggests every parameter with
suggest_float over the pool's bounds (config.json); the point is mapped to
the nearest untested row in the unit cube of the bounds (the mapping that
bench_bo applies to random and sobol); the asked trial is then closed as
FAIL (TPE ignores failed trials) and a completed trial with the row's own
parameters and value is added, so that TPE learns the measured point, not
the point it asked for.

Usage: /usr/bin/python3 bench/peers/tpe.py [--seeds K] [--problem a,b]
       [--budget-functions N] [--budget-pools N] [--shard I/K] [--out FILE]
"""
import time

import optuna
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

import common


def run(p, seed):
    study = optuna.create_study(direction="maximize" if p.maximize else "minimize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    dists = {n: FloatDistribution(float(lo), float(hi)) for n, lo, hi in zip(p.names, p.low, p.high)}
    tracker = common.Tracker(p)
    tested = None
    if p.kind == "pool":
        import numpy as np
        tested = np.zeros(len(p.y), dtype=bool)
    remapped = 0
    planner_s = 0.0
    while tracker.n < p.budget and (tested is None or not tested.all()):
        t = time.monotonic()
        trial = study.ask(dists)
        x = [trial.params[n] for n in p.names]
        planner_s += time.monotonic() - t
        if p.kind == "function":
            y = p.fn(x)
            t = time.monotonic()
            study.tell(trial, y)
            planner_s += time.monotonic() - t
        else:
            r, d = common.nearest_untested(p, tested, x)
            remapped += d > 0.0
            tested[r] = True
            y = float(p.y[r])
            t = time.monotonic()
            study.tell(trial, state=TrialState.FAIL)
            study.add_trial(create_trial(params={n: float(v) for n, v in zip(p.names, p.X[r])},
                                         distributions=dists, value=y))
            planner_s += time.monotonic() - t
        tracker.add(y)
    return tracker, remapped, planner_s


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    common.main_loop(common.parse_args("Optuna TPE on the bench_bo problems"), "tpe", run)
