#!/usr/bin/python3
"""The Dask peer of the dispatch benchmark (bench/README.md, section 3).

A LocalCluster of worker processes (threads_per_worker=1) runs N no-op
tasks submitted with client.map and collected with as_completed, after a
warm-up of W tasks on the same cluster: the wall time of the N tasks is
measured, as bench_dispatch measures gn_campaign_run. One JSON line is
appended to --out. Run it with /usr/bin/python3 (Debian's dask).

Usage: /usr/bin/python3 bench/peers/dask_noop.py --workers K --n N
       [--warmup W] --case NAME --out FILE
"""
import argparse
import json
import resource
import sys
import time


def noop(i):
    """The task: the same outcome as the Genesis no-op runners."""
    return {"y": 0.0}


def run(client, n):
    from dask.distributed import as_completed
    futures = client.map(noop, range(n), pure=False)
    done = 0
    for _future, result in as_completed(futures, with_results=True):
        done += 1 if result["y"] == 0.0 else 0
    return done


def cpu_self():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--case", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    import dask
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    try:
        if args.warmup > 0:
            run(client, args.warmup)
        c0 = cpu_self()
        t0 = time.monotonic()
        done = run(client, args.n)
        wall = time.monotonic() - t0
        cpu = cpu_self() - c0
    finally:
        client.close()
        cluster.close()
    if done != args.n:
        print("dask_noop: %d of %d tasks came back" % (done, args.n), file=sys.stderr)
        return 1
    line = {"bench": "dispatch", "case": args.case, "system": "dask", "runner": "python function",
            "executor": "LocalCluster", "workers": args.workers, "n": args.n, "warmup": args.warmup,
            "wall_s": wall, "rate": args.n / wall, "us_per_exp": 1e6 * wall / args.n,
            "cpu_us_per_exp": 1e6 * cpu / args.n, "dask": dask.__version__}
    text = json.dumps(line)
    print(text)
    with open(args.out, "a") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
