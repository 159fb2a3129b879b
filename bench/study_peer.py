#!/usr/bin/env python3
"""Peer side of bench/study_bench.lua: an Optuna TPE study of scikit-learn's HistGradientBoostingClassifier
with the same space, budget and folds (unshuffled StratifiedKFold on the same training rows, which equals
knob's unshuffled stratified_kfold). Prints plain lines the Lua side parses.

  study_peer.py TRAIN.csv TEST.csv TARGET N_TRIALS SEED [JOBS]  ->  "wall <s>", "cpu <s>", "best <cv>", "test <acc>"
JOBS: Optuna's n_jobs (trials at once, in threads); threads inside a trial come from OMP_NUM_THREADS.
"""
import sys
import time

import numpy as np
import optuna
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score

optuna.logging.set_verbosity(optuna.logging.ERROR)
train_path, test_path, target, n_trials, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
jobs = int(sys.argv[6]) if len(sys.argv) > 6 else 1
t0 = time.perf_counter()
c0 = time.process_time()
train, test = pd.read_csv(train_path), pd.read_csv(test_path)
X, y = train.drop(columns=[target]).to_numpy(float), train[target].to_numpy()
Xt, yt = test.drop(columns=[target]).to_numpy(float), test[target].to_numpy()
folds = StratifiedKFold(n_splits=5, shuffle=False)


def model(p):
    return HistGradientBoostingClassifier(
        learning_rate=p["learning_rate"], max_leaf_nodes=p["max_leaves"], min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=p["l2"], max_iter=100, max_bins=255, early_stopping=False, random_state=seed)


def objective(t):
    p = {"learning_rate": t.suggest_float("learning_rate", 0.01, 0.3, log=True),
         "max_leaves": t.suggest_int("max_leaves", 4, 64, log=True),
         "min_samples_leaf": t.suggest_int("min_samples_leaf", 2, 64, log=True),
         "l2": t.suggest_float("l2", 1e-3, 10, log=True)}
    return cross_val_score(model(p), X, y, cv=folds, scoring="accuracy").mean()


study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
study.optimize(objective, n_trials=n_trials, n_jobs=jobs)
best = model(study.best_params).fit(X, y)
acc = float(np.mean(best.predict(Xt) == yt))
print("wall %.6f" % (time.perf_counter() - t0))
print("cpu %.6f" % (time.process_time() - c0))
print("best %.17g" % study.best_value)
print("test %.17g" % acc)
