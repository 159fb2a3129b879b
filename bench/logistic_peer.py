#!/usr/bin/python3
"""logistic_peer.py — scikit-learn's side of bench/logistic_bench.lua.

usage: logistic_peer.py FILE N_ROWS N_TRAIN THREADS MODEL REPEAT
  FILE     N_ROWS x 21 little-endian float64, row-major: 20 features then the target
  N_TRAIN  the first N_TRAIN rows train, the rest test
  MODEL    lbfgs (LogisticRegression(solver="lbfgs", C=1, tol=1e-4)) | ridge (Ridge(alpha=1))
Prints one line: "MODEL fit_seconds=<min over REPEAT fits> metric=<test accuracy or R^2> iterations=<n_iter_>
objective=<mean log loss + ||w||^2 / (2 C n) on train> fit_peak_mb=<peak RSS during the last fit above the RSS
before it> peak_rss_mb=<process peak>". BLAS threads are limited to THREADS (threadpoolctl).
"""
import resource
import sys
import time

import numpy as np


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:  # "5" resets VmHWM (Linux >= 4.0)
        f.write("5")


def main():
    path, n, n_train, threads, model, repeat = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                                                sys.argv[5], int(sys.argv[6]))
    from threadpoolctl import threadpool_limits
    from sklearn.linear_model import LogisticRegression, Ridge
    threadpool_limits(threads)
    data = np.fromfile(path, dtype="<f8").reshape(n, -1)
    X, y = np.ascontiguousarray(data[:, :-1]), data[:, -1]
    del data
    Xtr, ytr, Xte, yte = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    C = 1.0
    best, fit_peak = float("inf"), 0.0
    for _ in range(repeat):
        m = LogisticRegression(solver="lbfgs", C=C, tol=1e-4, max_iter=100) if model == "lbfgs" else Ridge(alpha=1.0)
        rss0 = status_kb("VmRSS")
        reset_peak()
        t0 = time.perf_counter()
        m.fit(Xtr, ytr)
        best = min(best, time.perf_counter() - t0)
        fit_peak = max(fit_peak, (status_kb("VmHWM") - rss0) / 1024.0)
    if model == "lbfgs":
        metric = float((m.predict(Xte) == yte).mean())
        p = np.clip(m.predict_proba(Xtr)[:, 1], 1e-300, 1 - 1e-16)
        loss = -np.mean(ytr * np.log(p) + (1 - ytr) * np.log1p(-p))
        objective = loss + float(m.coef_ @ m.coef_.T) / (2 * C * len(ytr))
        iterations = int(m.n_iter_[0])
    else:
        metric = float(m.score(Xte, yte))
        objective, iterations = float("nan"), 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("%s fit_seconds=%.4f metric=%.6f iterations=%d objective=%.12g fit_peak_mb=%.1f peak_rss_mb=%.1f"
          % (model, best, metric, iterations, objective, fit_peak, peak))


if __name__ == "__main__":
    main()
