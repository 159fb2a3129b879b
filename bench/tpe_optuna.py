#!/usr/bin/env python3
"""Optuna side of bench/tpe_bench.lua (Debian python3-optuna 3.1). Prints plain lines that the Lua side parses.

  tpe_optuna.py quality <function> <seed> <n_trials>   -> "best <n> <value>" after every trial
  tpe_optuna.py overhead <n_trials> <window>            -> "window <end> <ms per trial>" per window
"""
import math
import os
import sys
import time

import optuna

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from problems import branin, hartmann6  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)


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
