#!/usr/bin/python3
"""forest_sklearn.py — the scikit-learn side of bench/forest_bench.lua.

Usage: /usr/bin/python3 bench/forest_sklearn.py CSV TEST_ROWS N_TREES THREADS
Reads CSV (target column "y") and the 0-based test rows, fits RandomForestClassifier and
ExtraTreesClassifier (n_estimators=N_TREES, n_jobs=THREADS, random_state=0) on the other rows and prints
one tab-separated line per model:
  kind  fit_wall_s  fit_cpu_s  test_accuracy  peak_rss_MB  rss_before_fit_MB  total_nodes
(cpu time is this process's; with n_jobs > 1 scikit-learn uses threads, so it is counted.)
"""
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def main():
    csv, rows_file, n_trees, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    d = pd.read_csv(csv)
    y = d.pop("y").to_numpy()
    X = d.to_numpy(dtype=np.float64)
    test = np.zeros(len(y), dtype=bool)
    test[np.loadtxt(rows_file, dtype=np.int64)] = True
    Xtr, ytr, Xte, yte = X[~test], y[~test], X[test], y[test]
    for kind, cls in (("forest", RandomForestClassifier), ("extra_trees", ExtraTreesClassifier)):
        before = rss_mb()
        m = cls(n_estimators=n_trees, n_jobs=threads, random_state=0)
        w0, c0 = time.perf_counter(), time.process_time()
        m.fit(Xtr, ytr)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        acc = m.score(Xte, yte)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        nodes = sum(e.tree_.node_count for e in m.estimators_)
        print("%s\t%.6f\t%.6f\t%.6f\t%.1f\t%.1f\t%d" % (kind, wall, cpu, acc, peak, before, nodes), flush=True)
        del m


if __name__ == "__main__":
    main()
