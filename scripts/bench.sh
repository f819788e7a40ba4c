#!/usr/bin/env bash
# Builds gpuopt and runs the benchmarks in bench/, printing figures and ratios against the
# baselines measured in the same run. Not part of the test suite.
# Usage: scripts/bench.sh [GROUP...]   (groups listed below; default: all, about 1.5 hours)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# libtorch/OpenMP: spinning worker threads make a loaded 2-core machine 10-20x slower.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
build=${GPUOPT_BUILD_DIR:-build}
export GPUOPT_DATA_DIR=${GPUOPT_DATA_DIR:-$(cd .. && pwd)/shared/data}
export GPUOPT_BUILD_DIR=$build
# Which groups to run: telemetry (seconds), power (~1 min), memory (~40 min), memory-transfer
# (~15 min), forecast (~20 min); default: all of them.
groups=("$@")
((${#groups[@]})) || groups=(telemetry power memory memory-transfer forecast)
for group in "${groups[@]}"; do
  case $group in
    telemetry)
      echo "== sampler cost (fake NVML)"; "$build/bench/bench_sampler"
      echo "== import + store vs sqlite3 .import"; "$build/bench/bench_import"
      echo "== query: one day at 10 Hz, 8 GPUs, resampled to 1 min"; "$build/bench/bench_query" ;;
    power)
      echo "== power limits, leave-one-GPU-out (issue 5)"; bench/power_eval.sh "$build/gpuopt"
      echo "== power model transfer curve"; bench/power_transfer.sh "$build/gpuopt" ;;
    memory) echo "== memory prediction (issue 3)"; bench/memory_eval.sh ;;
    memory-transfer) echo "== memory predictor transfer learning (issue 5)"; bench/memory_transfer.sh ;;
    forecast) echo "== forecasting and anomalies (issue 4)"; bench/forecast_eval.sh ;;
    *) echo "bench.sh: unknown group '$group' (telemetry, power, memory, memory-transfer, forecast)" >&2; exit 2 ;;
  esac
done
