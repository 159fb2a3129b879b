#!/usr/bin/python3
"""csv_pandas.py — the pandas side of bench/csv_bench.lua.

Usage: /usr/bin/python3 bench/csv_pandas.py REPEAT FILE...
For each file and each task prints one tab-separated line
  path  task  wall_seconds  cpu_seconds
with the best of REPEAT runs (wall: time.perf_counter, cpu: time.process_time) of
  read     pd.read_csv(path)                                (pandas' default float parser)
  read_rt  pd.read_csv(path, float_precision="round_trip")  (correctly rounded, like knob)
  write    DataFrame.to_csv(tmp, index=False)
"""
import os
import sys
import tempfile
import time

import pandas as pd


def best(repeat, fn):
    wall = cpu = float("inf")
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def main():
    repeat = int(sys.argv[1])
    fd, out = tempfile.mkstemp(suffix=".csv")
    os.close(fd)
    try:
        for path in sys.argv[2:]:
            df = pd.read_csv(path)
            tasks = {
                "read": lambda: pd.read_csv(path),
                "read_rt": lambda: pd.read_csv(path, float_precision="round_trip"),
                "write": lambda: df.to_csv(out, index=False),
            }
            for task, fn in tasks.items():
                wall, cpu = best(repeat, fn)
                print(f"{path}\t{task}\t{wall:.6f}\t{cpu:.6f}", flush=True)
    finally:
        os.remove(out)


if __name__ == "__main__":
    main()
