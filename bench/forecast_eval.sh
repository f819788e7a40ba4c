#!/usr/bin/env bash
# The forecaster's figures in one run (issue 4): cross-validation of every model over the shared
# traces (each trace scored only by models trained without it), anomaly detection on injected
# anomalies, and the online inference cost. Prints the issue's targets with ratios; see
# bench/README.md for recorded results.
#
# Env: GPUOPT_BUILD_DIR (build), GPUOPT_DATA_DIR (../shared/data), FOLDS (6; 0 = one fold per
# trace, i.e. strict leave-one-trace-out, ~6x longer), MAX_STEPS (3000 optimizer steps per sequence
# model and fold), BUDGET (400s per model and fold), THREADS (1 torch / XGBoost thread),
# SPLIT (leave-one-trace-out; leave-one-folder-out holds out each GPU type and workload at once,
# 4 folds, and ignores FOLDS).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
build=${GPUOPT_BUILD_DIR:-build}
data=${GPUOPT_DATA_DIR:-$(cd .. && pwd)/shared/data}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
split=${SPLIT:-leave-one-trace-out}
folds=()
[ "$split" = leave-one-trace-out ] && folds=(--folds "${FOLDS:-6}")
start=$(date +%s)
"$build/gpuopt" --quiet forecast eval --traces "$data/telemetry" --split "$split" "${folds[@]}" \
  --max-steps "${MAX_STEPS:-3000}" --budget "${BUDGET:-400s}" \
  --threads "${THREADS:-1}" --by-dir --anomalies --json >"$out"
echo "cross-validation took $(( $(date +%s) - start )) s"
/usr/bin/python3 bench/forecast_targets.py "$out"
echo
"$build/bench/bench_forecast_latency"
