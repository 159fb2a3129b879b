#!/usr/bin/python3
"""gbdt_peer.py — the peers of knob's gbdt on the bench data (run by bench/gbdt_bench.lua).

usage: gbdt_peer.py CSV N_TRAIN THREADS MODEL REPEAT
  CSV      features then the target (last column, 0/1), header row
  N_TRAIN  the first N_TRAIN rows train, the rest test
  MODEL    xgboost (tree_method="hist", lossguide) | sklearn (HistGradientBoostingClassifier)
Prints one line: "MODEL fit_seconds=<min over REPEAT fits> accuracy=<test> peak_rss_mb=<process peak>".
Threads: xgboost n_jobs; sklearn through OpenMP (the caller sets OMP_NUM_THREADS too).
"""
import resource
import sys
import time

import numpy as np


def main():
    path, n_train, threads, model, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    X, y = data[:, :-1], data[:, -1].astype(int)
    Xtr, ytr, Xte, yte = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    if model == "xgboost":
        import xgboost as xgb
        make = lambda: xgb.XGBClassifier(n_estimators=100, tree_method="hist", grow_policy="lossguide", max_leaves=31,
                                         max_depth=0, max_bin=255, learning_rate=0.1, reg_lambda=1.0,
                                         min_child_weight=1.0, n_jobs=threads)
    elif model == "sklearn":
        from sklearn.ensemble import HistGradientBoostingClassifier
        from threadpoolctl import threadpool_limits
        threadpool_limits(threads)
        make = lambda: HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=31, learning_rate=0.1,
                                                      max_bins=255, l2_regularization=0.0, min_samples_leaf=20,
                                                      early_stopping=False)
    else:
        raise SystemExit("unknown model " + model)
    best = float("inf")
    for _ in range(repeat):
        m = make()
        t0 = time.perf_counter()
        m.fit(Xtr, ytr)
        best = min(best, time.perf_counter() - t0)
    acc = float((m.predict(Xte) == yte).mean())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("%s fit_seconds=%.4f accuracy=%.4f peak_rss_mb=%.1f" % (model, best, acc, rss))


if __name__ == "__main__":
    main()
