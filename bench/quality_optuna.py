#!/usr/bin/env python3
"""Optuna side of bench/quality_bench.lua (Debian python3-optuna 3.1), one process per function and sampler.

  quality_optuna.py <function> <sampler> <seeds> <n_trials>
      function: branin | hartmann6 | rosenbrock4 | ackley5;  sampler: tpe | tpe_multi
      seeds: N (seeds 1..N) or A-B (seeds A..B)
      prints "best <seed> <n> <best value so far>" after every trial of every seed
The functions are bench/problems.py (the same formulas as bench/problems.lua).
"""
import math
import os
import sys
import warnings

import optuna

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from problems import FUNCTIONS  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")


def main():
    fn = FUNCTIONS[sys.argv[1]]
    multi = {"tpe": False, "tpe_multi": True}[sys.argv[2]]
    first, _, last = sys.argv[3].rpartition("-")
    n = int(sys.argv[4])
    for seed in range(int(first or 1), int(last) + 1):
        st = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed, multivariate=multi))
        best = math.inf

        def cb(study, trial):
            nonlocal best
            best = min(best, trial.value)
            print("best %d %d %.17g" % (seed, trial.number + 1, best))

        st.optimize(fn, n_trials=n, callbacks=[cb])
        sys.stdout.flush()


if __name__ == "__main__":
    main()
