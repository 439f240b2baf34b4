#!/usr/bin/python3
"""Turns the JSON lines of bench_bo, the Python peers and bench_speed into
the benchmark's tables: printed on stdout, and written as the newest
section of bench/RESULTS.md (earlier sections are kept below it).

Usage: /usr/bin/python3 bench/report.py --results DIR [--mode full|quick]
       [--command TEXT] [--wall SECONDS] [--commit TEXT] [--load TEXT] [--note TEXT]
       [--date TEXT]
       [--results-md PATH] [--no-write]
DIR holds *.jsonl files: optimisation runs (one line per problem x method x
seed, with the simple-regret trace) and bench_speed lines ("bench": "speed").
bench/README.md explains every column.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import subprocess

import numpy as np

METHOD_ORDER = ["random", "sobol", "tpe", "gp-ei", "bo", "bo-q4"]
GENESIS = ["bo", "bo-q4"]
TARGETS_FIXED = [("branin", 30, 1e-3), ("hartmann6", 60, 0.01)]
SPEED_TARGETS = {100: 0.010, 1000: 0.100, 10000: 2.0}


def load(results):
    runs, speed = [], []
    for path in sorted(glob.glob(os.path.join(results, "*.jsonl"))):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                d = json.loads(line)
                (speed if d.get("bench") == "speed" else runs).append(d)
    return runs, speed


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if v == 0:
        return "0"
    if abs(v) >= 1000 or abs(v) < 1e-3:
        return "%.2e" % v
    return "%.4g" % v


def at(trace, k):
    """Regret after k evaluations (the last one if the run was shorter)."""
    return trace[min(k, len(trace)) - 1]


def evals_to(trace, target):
    for i, r in enumerate(trace):
        if r <= target:
            return i + 1
    return float("inf")


def median_evals(values, budget):
    """The evaluations by which half of the runs (the lower median: 10 of
    20) had reached the target; ">N" when fewer than half ever did."""
    m = sorted(values)[(len(values) + 1) // 2 - 1]
    return ">%d" % budget if not np.isfinite(m) else "%d" % m


class Table:
    def __init__(self, header):
        self.header = header
        self.rows = []

    def add(self, *cells):
        self.rows.append([c if isinstance(c, str) else fmt(c) for c in cells])

    def markdown(self):
        out = ["| " + " | ".join(self.header) + " |", "|" + "|".join(" --- " for _ in self.header) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(out)


def optimisation_tables(runs):
    by = {}
    for r in runs:
        by.setdefault((r["problem"], r["method"]), []).append(r)
    problems = []
    for r in runs:
        if r["problem"] not in problems:
            problems.append(r["problem"])
    kinds = {r["problem"]: r["kind"] for r in runs}
    methods = [m for m in METHOD_ORDER if any(k[1] == m for k in by)]
    methods += sorted({k[1] for k in by} - set(methods))

    main = Table(["problem", "N", "method", "seeds", "regret at N/2 (median)", "regret at N: median",
                  "IQR (25%-75%)", "evals to TPE's median at N (half of the runs)", "s per run"])
    targets = Table(["target", "problem", "method", "measured", "required", "met"])
    stats = {}
    for p in problems:
        tpe = by.get((p, "tpe"))
        for m in methods:
            rs = by.get((p, m))
            if not rs:
                continue
            budget = rs[0]["budget"]
            half = budget // 2
            end = np.array([at(r["regret"], budget) for r in rs])
            mid = np.array([at(r["regret"], half) for r in rs])
            stats[(p, m)] = {"N": budget, "end": float(np.median(end)), "half": float(np.median(mid)),
                             "runs": rs}
            if tpe:
                tgt = float(np.median([at(r["regret"], budget) for r in tpe]))
                ev = median_evals([evals_to(r["regret"], tgt) for r in rs], budget)
            else:
                ev = "no TPE runs"
            q25, q75 = np.percentile(end, [25, 75])
            main.add(p, str(budget), m, str(len(rs)), float(np.median(mid)), float(np.median(end)),
                     "%s - %s" % (fmt(float(q25)), fmt(float(q75))), ev,
                     float(np.mean([r["total_s"] for r in rs])))

    met = total = 0
    for p, k, thr in TARGETS_FIXED:
        for m in GENESIS:
            s = stats.get((p, m))
            if not s:
                continue
            if s["N"] < k:
                targets.add("regret < %g within %d evaluations (median)" % (thr, k), p, m,
                            "budget %d < %d" % (s["N"], k), "< %g" % thr, "not measured")
                continue
            v = float(np.median([at(r["regret"], k) for r in s["runs"]]))
            ok = v < thr
            met += ok
            total += 1
            targets.add("regret < %g within %d evaluations (median)" % (thr, k), p, m, v, "< %g" % thr,
                        "yes" if ok else "NO")
    for p in problems:
        t = stats.get((p, "tpe"))
        rnd = stats.get((p, "random"))
        for m in GENESIS:
            s = stats.get((p, m))
            if not s:
                continue
            if t:
                ok = s["half"] <= t["end"]
                met += ok
                total += 1
                targets.add("2x TPE: regret at N/2 <= TPE's at N (medians)", p, m,
                            "%s at %d" % (fmt(s["half"]), s["N"] // 2), "<= %s (TPE at %d)" % (fmt(t["end"]), t["N"]),
                            "yes" if ok else "NO")
            if rnd:
                ok = s["half"] <= rnd["half"] and s["end"] <= rnd["end"]
                met += ok
                total += 1
                targets.add("never worse than random: medians at N/2 and N", p, m,
                            "%s, %s" % (fmt(s["half"]), fmt(s["end"])),
                            "<= %s, %s (random)" % (fmt(rnd["half"]), fmt(rnd["end"])), "yes" if ok else "NO")
    times = Table(["method", "runs", "wall s (sum over runs)", "CPU s (sum over runs)", "mean wall s per run",
                   "mean planner s per run"])
    for m in methods:
        rs = [r for k, v in by.items() if k[1] == m for r in v]
        cpu = [r["cpu_s"] for r in rs if "cpu_s" in r]
        times.add(m, str(len(rs)), float(sum(r["total_s"] for r in rs)),
                  float(sum(cpu)) if len(cpu) == len(rs) else "-",
                  float(np.mean([r["total_s"] for r in rs])), float(np.mean([r["planner_s"] for r in rs])))
    return main, targets, times, met, total, kinds, methods


def speed_table(speed):
    if not speed:
        return None, None, 0, 0
    rate = next((d["potrf_gflops"] for d in speed if d["phase"] == "potrf"), None)
    threads = next((d.get("blas_threads") for d in speed if d["phase"] == "potrf"), None)
    sizes = sorted({d["n"] for d in speed if d["phase"] != "potrf"})
    t = Table(["n (d = 6)", "suggest, warm (s, median)", "warm min - max", "target", "met", "suggest, cold (s)",
               "gn_gp_fit cold (s)",
               "gn_gp_fit warm (s)", "acquisition ~ warm suggest - warm fit (s)", "gn_gp_set_data (s)",
               "gn_gp_predict 1000 pts (s)", "Cholesky floor n^3/3 (s)", "floor / warm suggest",
               "floor / set_data", "peak MiB (bo / model)"])
    met = total = 0
    for n in sizes:
        rows = {d["phase"]: d for d in speed if d["n"] == n}
        killed = rows.get("model")  # written only when the model phase was killed or failed

        def val(phase, key):
            d = rows.get(phase)
            if d is not None:
                return d.get(key)
            stop = rows.get("bo") if phase == "bo" else killed
            if stop is None:
                return None
            if "timeout" in stop:
                return "> %d s (phase killed)" % stop["timeout"]
            return "failed"

        warm = val("bo", "suggest_warm_s")
        refit = val("refit", "refit_s")
        tgt = SPEED_TARGETS.get(n)
        ok = None
        if tgt is not None:
            total += 1
            ok = isinstance(warm, float) and warm <= tgt
            met += ok
        acq = warm - refit if isinstance(warm, float) and isinstance(refit, float) else None
        floor_s = float(n) ** 3 / 3.0 / (rate * 1e9) if rate else None
        set_s = val("posterior", "set_data_s")
        peaks = [rows[ph].get("peak_mib") for ph in ("bo", "refit", "fit", "posterior") if ph in rows]
        lo, hi = val("bo", "suggest_warm_min_s"), val("bo", "suggest_warm_max_s")
        spread = "%s - %s" % (fmt(lo), fmt(hi)) if isinstance(lo, float) and isinstance(hi, float) else "-"
        t.add(str(n), warm if warm is not None else "-", spread, "<= %g s" % tgt if tgt else "-",
              ("yes" if ok else "NO") if tgt else "-", val("bo", "suggest_cold_s") or "-",
              val("fit", "fit_s") or "-", refit or "-",
              "-" if acq is None else (acq if acq >= 0 else "%s (the planner fits less)" % fmt(acq)),
              set_s or "-", val("posterior", "predict_1000_s") or "-", floor_s,
              floor_s / warm if isinstance(warm, float) and floor_s else "-",
              floor_s / set_s if isinstance(set_s, float) and set_s > 0 and floor_s else "-",
              "%s / %s" % (fmt(rows["bo"].get("peak_mib")) if "bo" in rows else "-",
                           fmt(max(peaks[1:])) if len(peaks) > 1 else "-"))
    head = ("LAPACKE_dpotrf 2000x2000: %.1f GFLOP/s (best of 5 after half a second of warm-up calls, "
            "%s BLAS threads)" % (rate, threads))
    return t, head, met, total


def git_revision():
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        rev = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain"],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"
    return (rev or "unknown") + (" + uncommitted changes" if dirty else "")


def machine(commit=None, load=None):
    cpu = "unknown"
    mem = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem = "%.1f GiB" % (int(line.split()[1]) / 1024.0 / 1024.0)
                    break
    except OSError:
        pass
    rev = commit or git_revision()
    if load is None:
        try:
            with open("/proc/loadavg") as f:
                load = " / ".join(f.read().split()[:3])
        except OSError:
            load = "unknown"
    return ("%d cores (nproc), %s, %s memory, %s %s, commit %s; load average at the end of the run "
            "(1 / 5 / 15 min, this benchmark's own jobs count for about 2): %s" % (
                os.cpu_count() or 0, cpu, mem, platform.system(), platform.release(), rev, load))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--mode", default="full")
    ap.add_argument("--command", default="bench/run")
    ap.add_argument("--wall", type=float, default=None)
    ap.add_argument("--results-md", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--date", default=None, help="the section's date (default: now, UTC)")
    ap.add_argument("--note", default=None, help="a line of explanation for this section")
    ap.add_argument("--commit", default=None, help="the commit that was built (default: git's HEAD now)")
    ap.add_argument("--load", default=None, help="load average at the end of the runs (default: now)")
    args = ap.parse_args()

    runs, speed = load(args.results)
    now = args.date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["## %s - %s run" % (now, args.mode), "",
             "- machine: %s" % machine(args.commit, args.load),
             "- command: `%s`" % args.command]
    if args.wall is not None:
        parts.append("- wall time of the whole run: %.1f min" % (args.wall / 60.0))
    if args.note:
        parts.append("- note: %s" % args.note)
    if runs:
        seeds = sorted({r["seed"] for r in runs})
        methods_seen = sorted({r["method"] for r in runs})
        parts.append("- %d optimisation runs, seeds %d-%d, methods: %s"
                     % (len(runs), seeds[0], seeds[-1], ", ".join(methods_seen)))
        if not any(m in methods_seen for m in GENESIS):
            parts.append("- no runs of the bo planner: baselines only")
    parts.append("")
    summary = []
    if runs:
        main_t, targets, times, met, total, _, _ = optimisation_tables(runs)
        summary.append("optimisation targets met: %d of %d" % (met, total))
        parts += ["### Simple regret (lower is better; N = budget)", "", main_t.markdown(), "",
                  "### Targets", "", targets.markdown(), "", "optimisation targets met: **%d of %d**" % (met, total),
                  "", "### Time per method", "", times.markdown(), ""]
    st, head, smet, stotal = speed_table(speed)
    if st is not None:
        summary.append("speed targets met: %d of %d" % (smet, stotal))
        parts += ["### Suggestion time (bench_speed)", "", head, "", st.markdown(), "",
                  "speed targets (warm suggestion, q = 1) met: **%d of %d**" % (smet, stotal), ""]
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
        f.write(title + section + "\n" + (old if old else ""))


if __name__ == "__main__":
    main()
