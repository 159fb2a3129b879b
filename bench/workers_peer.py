#!/usr/bin/env python3
"""Optuna side of bench/workers_bench.lua (Debian python3-optuna 3.1, python3-psycopg2).

  workers_peer.py <storage url> <study> <total> <seed>
One worker: joins the study (create_study load_if_exists) in Optuna's RDBStorage and runs trials of a trivial
objective with the default TPESampler (constant_liar=True) until the study has <total> finished trials.
Prints "first <t> last <t> n <trials>" (time.monotonic(): CLOCK_MONOTONIC, comparable across processes).
"""
import sys
import time

import optuna
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState

optuna.logging.set_verbosity(optuna.logging.ERROR)

url, name, total, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
study = optuna.create_study(study_name=name, storage=url, load_if_exists=True,
                            sampler=optuna.samplers.TPESampler(seed=seed, constant_liar=True))
first = [None]


def objective(t):
    if first[0] is None:
        first[0] = time.monotonic()
    return t.suggest_float("x", -1, 1) ** 2 + t.suggest_int("k", 0, 3)


done = MaxTrialsCallback(total, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL))
study.optimize(objective, callbacks=[done])
n = sum(1 for _ in study.get_trials(deepcopy=False))
print("first %.6f last %.6f n %d" % (first[0] or time.monotonic(), time.monotonic(), n))
