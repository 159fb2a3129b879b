#!/bin/sh
# study_side_by_side.sh DATA SEED -- bench/study_bench.lua's study, the peer's once on core 1 while knob's repeats
# on core 0 for as long (this machine's speed drifts by 10-20% over minutes; side by side, a slow spell slows
# both). DATA: 1 breast_cancer, 2 digits. Prints the peer's line and knob's runs, sorted; the ratio to quote is
# the peer's wall time over knob's median. One thread each, Optuna n_jobs = 1.
#   sh bench/study_side_by_side.sh 1 3
set -e
cd "$(dirname "$0")/.."
data=$1; seed=$2
case $data in 1) name=breast_cancer; target=diagnosis ;; 2) name=digits; target=digit ;; *) echo "DATA: 1 or 2" >&2; exit 2 ;; esac
# knob's run once first: it writes the seed's train/test CSVs the peer reads
taskset -c 0 build/knob bench/study_bench.lua --data "$data" --first "$seed" --knob_only 1 > /dev/null
: > /tmp/side_knob.$$
OMP_NUM_THREADS=1 taskset -c 1 /usr/bin/python3 bench/study_peer.py "bench/data/$name-train-$seed.csv" \
  "bench/data/$name-test-$seed.csv" "$target" 100 "$seed" 1 > /tmp/side_peer.$$ &
peer=$!
while kill -0 "$peer" 2>/dev/null; do
  taskset -c 0 build/knob bench/study_bench.lua --data "$data" --first "$seed" --knob_only 1 >> /tmp/side_knob.$$
done
wait "$peer"
echo "peer: $(tr '\n' ' ' < /tmp/side_peer.$$)"
echo "knob wall s ($(grep -c 'knob wall' /tmp/side_knob.$$) runs): $(sed -n 's/.*knob wall \([0-9.]*\).*/\1/p' /tmp/side_knob.$$ | sort -n | tr '\n' ' ')"
rm -f /tmp/side_knob.$$ /tmp/side_peer.$$
