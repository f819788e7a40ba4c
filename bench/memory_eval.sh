#!/usr/bin/env bash
# The memory-prediction targets of issue 3 in one run (see bench/README.md, "Memory prediction"):
# family-grouped 5-fold cross-validation of every model on the timm set, OOM classification on the
# CNN set, `mem predict` latency of the shipped model, the default model's training time, and the
# floors the timm set itself puts under RMSE, R² and MAPE (bench/memory_target_floor.py).
# Takes about 35 minutes on a shared 2-core machine.
# Usage: bench/memory_eval.sh [MODEL...]   (default: every model)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
build=${GPUOPT_BUILD_DIR:-build}
export GPUOPT_DATA_DIR=${GPUOPT_DATA_DIR:-$(cd .. && pwd)/shared/data}
"$build/bench/bench_memory_eval" "$@"
echo
echo "== default model training (bench/memory_default_model.sh, written to a temporary file)"
tmp=$(mktemp --suffix=.gpuopt)
trap 'rm -f "$tmp"' EXIT
/usr/bin/time -f "cpu %U s user + %S s system" bench/memory_default_model.sh "$tmp"
echo
echo "== what the data allows: the best scores a physically consistent predictor can reach"
bench/memory_target_floor.py "$GPUOPT_DATA_DIR/memory/timm_a100.jsonl"
