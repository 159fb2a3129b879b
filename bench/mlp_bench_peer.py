"""Peer side of bench/mlp_bench.lua: scikit-learn's MLPClassifier on the same train/test CSV files.

Usage: /usr/bin/python3 bench/mlp_bench_peer.py train.csv test.csv EPOCHS
Prints one line: fit_seconds=... cpu_seconds=... epochs=... accuracy=... peak_rss_mb=...
The configuration matches the knob side: hidden (64, 64), relu, adam (lr 0.001, betas 0.9/0.999, eps 1e-8),
batch 128, no L2 (alpha=0), shuffled batches, exactly EPOCHS epochs (the convergence test is disabled).
"""
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier


def load(path):
    df = pd.read_csv(path)
    y = df.pop("y").to_numpy()
    return df.to_numpy(dtype=np.float64), y


def main():
    train_path, test_path, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    X, y = load(train_path)
    Xt, yt = load(test_path)
    clf = MLPClassifier(hidden_layer_sizes=(64, 64), activation="relu", solver="adam", alpha=0.0,
                        batch_size=128, learning_rate_init=0.001, max_iter=epochs, shuffle=True,
                        random_state=0, tol=0.0, n_iter_no_change=epochs + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0, c0 = time.perf_counter(), time.process_time()
        clf.fit(X, y)
        fit, cpu = time.perf_counter() - t0, time.process_time() - c0
    acc = float((clf.predict(Xt) == yt).mean())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"fit_seconds={fit:.6f} cpu_seconds={cpu:.6f} epochs={clf.n_iter_} accuracy={acc:.6f} "
          f"peak_rss_mb={peak:.1f}")


if __name__ == "__main__":
    main()
