#!/usr/bin/env python3
"""Optuna side of bench/tpe_bench.lua (Debian python3-optuna 3.1). Prints plain lines that the Lua side parses.

  tpe_optuna.py quality <function> <seed> <n_trials>   -> "best <n> <value>" after every trial
  tpe_optuna.py overhead <n_trials> <window>            -> "window <end> <ms per trial>" per window
"""
import math
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)


def branin(t):
    x = t.suggest_float("x", -5, 10)
    y = t.suggest_float("y", 0, 15)
    b, c = 5.1 / (4 * math.pi ** 2), 5 / math.pi
    return (y - b * x ** 2 + c * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
       [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(t):
    x = [t.suggest_float("x%d" % j, 0, 1) for j in range(1, 7)]
    s = 0.0
    for i in range(4):
        e = sum(H_A[i][j] * (x[j] - H_P[i][j] * 1e-4) ** 2 for j in range(6))
        s -= H_ALPHA[i] * math.exp(-e)
    return s


def trivial(t):
    s = 0.0
    for j in range(1, 5):
        s += t.suggest_float("x%d" % j, -5, 5) ** 2
    s += math.log(t.suggest_float("lr", 1e-5, 1, log=True)) ** 2 / 100
    s += t.suggest_int("n", 1, 100)
    s += t.suggest_int("depth", 1, 12)
    s += 0 if t.suggest_categorical("kind", ["a", "b", "c"]) == "a" else 1
    return s


def main():
    mode = sys.argv[1]
    if mode == "quality":
        fn = {"branin": branin, "hartmann6": hartmann6}[sys.argv[2]]
        seed, n = int(sys.argv[3]), int(sys.argv[4])
        st = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
        best = math.inf

        def cb(study, trial):
            nonlocal best
            best = min(best, trial.value)
            print("best %d %.17g" % (trial.number + 1, best))

        st.optimize(fn, n_trials=n, callbacks=[cb])
    elif mode == "overhead":
        n, window = int(sys.argv[2]), int(sys.argv[3])
        st = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1))
        last = [time.perf_counter()]

        def cb(study, trial):
            if (trial.number + 1) % window == 0:
                now = time.perf_counter()
                print("window %d %.6f" % (trial.number + 1, (now - last[0]) * 1000 / window), flush=True)
                last[0] = now

        st.optimize(trivial, n_trials=n, callbacks=[cb])
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
