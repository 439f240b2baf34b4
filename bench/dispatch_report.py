#!/usr/bin/python3
"""The table of the dispatch benchmark (bench/README.md, section 3): reads
the JSON lines that bench/dispatch collected (bench_dispatch, the machine's
spawn floor, the Dask peer), prints the table, and writes it as the newest
section of bench/RESULTS.md (earlier sections are kept below it).

Usage: /usr/bin/python3 bench/dispatch_report.py --results DIR [--mode full|quick]
       [--command TEXT] [--wall SECONDS] [--commit TEXT] [--load TEXT]
       [--results-md PATH] [--no-write]
"""
import argparse
import datetime
import glob
import json
import os
import platform
import subprocess

# Targets on the project's 2-core machine, by case. Slurm rows (bench/dispatch
# --slurm) are judged here too: Slurm pilot mode (its default launch, workers:
# slurm-workers) in experiments per second.
TARGETS = {
    "mpi-library": 20000.0,
    "local-process": 500.0,
    "slurm-workers": 20.0,
}

# Row order and descriptions; unknown cases (new ones) follow in file order.
CASES = [
    ("local-process", "local executor, process runner (a static no-op program), budget.parallel 2"),
    ("local-library", "local executor, library runner (a no-op function), budget.parallel 2"),
    ("local-library-16", "local executor, library runner, budget.parallel 16"),
    ("mpi-library", "mpi executor, library runner, 4 ranks (3 workers) oversubscribed on the cores"),
    ("mpi-process", "mpi executor, process runner, 4 ranks (3 workers x 2 slots)"),
    ("slurm-sbatch", "slurm executor, mode jobs: one sbatch per experiment, budget.parallel 100, "
                     "poll 0.2 s"),
    ("slurm-array", "slurm executor, mode array: one job array per turn, budget.parallel 100, "
                    "poll 0.2 s"),
    ("slurm-workers", "slurm executor, mode pilot, launch workers (the default): P long-lived "
                      "`genesis pilot-worker` steps in one allocation (bench_dispatch submitted "
                      "with sbatch -n P; P = budget.parallel)"),
    ("slurm-steps", "slurm executor, mode pilot, launch steps: one srun step per experiment in the "
                    "same allocation, P at a time"),
    ("sbatch-floor", "Slurm alone: `sbatch --wrap true`, one after another (CPU: the sbatch processes)"),
    ("srun-floor", "Slurm alone: `srun --exact -n1 -N1` of the no-op program from P loops in the "
                   "same allocation (CPU: the srun processes)"),
    ("spawn-floor", "the machine alone: posix_spawn + waitpid of the no-op program, 2 threads"),
    ("dask-2", "Dask LocalCluster, 2 worker processes x 1 thread, client.map + as_completed"),
    ("dask-4", "Dask LocalCluster, 4 worker processes x 1 thread, client.map + as_completed"),
]


def machine(commit, load):
    cpu = mem = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), cpu)
        with open("/proc/meminfo") as f:
            kib = next((int(l.split()[1]) for l in f if l.startswith("MemTotal")), 0)
            mem = "%.1f GiB" % (kib / 1024.0 / 1024.0)
    except OSError:
        pass
    if commit is None:
        here = os.path.dirname(os.path.abspath(__file__))
        commit = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip() or "unknown"
    return "%d cores (nproc), %s, %s memory, %s %s, commit %s; load average (1 / 5 / 15 min) %s" % (
        os.cpu_count() or 0, cpu, mem, platform.system(), platform.release(), commit,
        load or "unknown")


def load(results):
    rows = []
    for path in sorted(glob.glob(os.path.join(results, "*.jsonl"))):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    d = json.loads(line)
                    if d.get("bench") == "dispatch":
                        rows.append(d)
    return rows


def fmt_rate(r):
    return "{:,.0f}".format(r) if r >= 100 else "%.1f" % r


def table(rows, before=None):
    by_case = {}
    for r in rows:
        by_case[r["case"]] = r  # the last line of a case wins
    dask = [r for r in by_case.values() if r.get("system") == "dask"]
    best_dask = max(dask, key=lambda r: r["rate"]) if dask else None
    known = [c for c, _ in CASES]
    order = [c for c in known if c in by_case] + [c for c in by_case if c not in known]
    desc = dict(CASES)
    before = {r["case"]: r for r in (before or [])}
    lines = ["| case | what | N | experiments/s | us per experiment (wall) | CPU us per experiment "
             "(controlling process) | ratio to Dask (best: %s) | target | met |%s"
             % (best_dask["case"] if best_dask else "not run",
                " before: experiments/s | before: CPU us per experiment |" if before else ""),
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |%s" % (" --- | --- |" if before else "")]
    met = total = 0
    for c in order:
        r = by_case[c]
        ratio = "%.1fx" % (r["rate"] / best_dask["rate"]) if best_dask else "-"
        target = TARGETS.get(c)
        if target is not None:
            total += 1
            ok = r["rate"] >= target
            met += ok
            tcell, mcell = ">= %s/s" % fmt_rate(target), "**yes**" if ok else "**no**"
        else:
            tcell = mcell = ""
        extra = ""
        if before:
            b = before.get(c)
            extra = (" %s | %.1f |" % (fmt_rate(b["rate"]), b.get("cpu_us_per_exp", float("nan")))
                     if b and r.get("system") == "genesis" else " | |")
        lines.append("| %s | %s | %d | %s | %.1f | %.1f | %s | %s | %s |%s"
                     % (c, desc.get(c, r.get("system", "")), r["n"], fmt_rate(r["rate"]),
                        r["us_per_exp"], r.get("cpu_us_per_exp", float("nan")), ratio, tcell, mcell,
                        extra))
    return "\n".join(lines), met, total


def slurm_note(rows):
    """A sentence on the Slurm rows: each next to the floor Slurm itself allows."""
    by_case = {r["case"]: r for r in rows}
    parts = []
    sf, sr = by_case.get("sbatch-floor"), by_case.get("srun-floor")
    for c, floor in (("slurm-sbatch", sf), ("slurm-steps", sr), ("slurm-workers", sr)):
        r = by_case.get(c)
        if r and floor:
            parts.append("%s %s/s = %.0f%% of %s (%s/s, %d at a time)" % (
                c, fmt_rate(r["rate"]), 100.0 * r["rate"] / floor["rate"], floor["case"],
                fmt_rate(floor["rate"]), floor.get("parallel", 1)))
    if not parts:
        return None
    return ("Slurm (a private one-node cluster on this machine, tests/slurm/slurm-cluster): "
            + "; ".join(parts) + ". The floors are Slurm's own commands with nothing of Genesis; "
            "the Slurm rows' CPU column counts the Genesis process only, not the sbatch, squeue "
            "or srun processes it starts.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--mode", default="full")
    ap.add_argument("--command", default="bench/run --only dispatch")
    ap.add_argument("--wall", type=float, default=None)
    ap.add_argument("--commit", default=None)
    ap.add_argument("--load", default=None)
    ap.add_argument("--note", default=None)
    ap.add_argument("--results-md",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--before", default=None, help="results of the same cases with another build")
    ap.add_argument("--before-label", default=None, help="what that build is")
    args = ap.parse_args()

    rows = load(args.results)
    if not rows:
        raise SystemExit("dispatch_report: no dispatch results in %s" % args.results)
    t, met, total = table(rows, load(args.before) if args.before else None)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["## %s - dispatch %s run" % (now, args.mode), "",
             "- machine: %s" % machine(args.commit, args.load),
             "- command: `%s`" % args.command]
    if args.wall is not None:
        parts.append("- wall time of the dispatch benchmark: %.1f min" % (args.wall / 60.0))
    if args.note:
        parts.append("- note: %s" % args.note)
    parts += ["- no-op runners, sobol planner, a fresh SQLite store (WAL, synchronous=FULL: every "
              "outcome durable before it is reported); each case warms up, then N experiments "
              "are timed (bench/README.md, section 3)", "",
              "### Dispatch overhead and throughput", "", t, "",
              "dispatch targets met: **%d of %d**" % (met, total), ""]
    note = slurm_note(rows)
    if note:
        parts[-1:-1] = ["", note]
    if args.before:
        parts[-2:-2] = ["\"before\": the same cases with %s, in the same run." % (args.before_label or args.before), ""]
    section = "\n".join(parts)
    print(section)
    if args.no_write:
        return
    title = ("# Benchmark results\n\nWritten by `bench/report.py` (run by `bench/run`); newest first. "
             "bench/README.md says what each column means.\n\n")
    old = ""
    if os.path.exists(args.results_md):
        with open(args.results_md) as f:
            text = f.read()
        i = text.find("\n## ")
        old = text[i + 1:] if i >= 0 else ""
    with open(args.results_md, "w") as f:
        f.write(title + section + "\n" + old)


if __name__ == "__main__":
    main()
