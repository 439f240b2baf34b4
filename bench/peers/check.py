#!/usr/bin/python3
"""Checks that the Python peers and bench_bo see the same problems: the test
functions agree (relative difference <= 1e-12) at the fixed points that
`bench_bo --check` prints, and every pool has the same number of rows (after
merging replicates), goal and best value. Exit status 1 on a mismatch.

Usage: /usr/bin/python3 bench/peers/check.py PATH/TO/bench_bo
"""
import json
import subprocess
import sys

import common


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    doc = json.loads(subprocess.run([sys.argv[1], "--root", common.ROOT, "--check"], check=True,
                                    capture_output=True, text=True).stdout)
    problems, _ = common.load_problems()
    bad = 0
    n = 0
    for p in problems:
        if p.kind == "function":
            for pt in doc["functions"][p.name]:
                f = p.fn(pt["x"])
                n += 1
                if abs(f - pt["f"]) > 1e-12 * max(1.0, abs(f)):
                    print("check: %s at %s: C %r, Python %r" % (p.name, pt["x"], pt["f"], f))
                    bad += 1
        else:
            c = doc["pools"][p.name]
            n += 1
            if c["rows"] != len(p.y) or c["best"] != p.optimum or bool(c["maximize"]) != p.maximize:
                print("check: pool %s: C %r, Python rows %d best %r maximize %r"
                      % (p.name, c, len(p.y), p.optimum, p.maximize))
                bad += 1
    print("check: %d comparisons of the C and Python problems, %d mismatches" % (n, bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
