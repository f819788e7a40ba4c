#!/usr/bin/env bash
# Builds gpuopt and runs every benchmark in bench/, printing figures and ratios against the
# baselines measured in the same run. Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# libtorch/OpenMP: spinning worker threads make a loaded 2-core machine 10-20x slower.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
build=${GPUOPT_BUILD_DIR:-build}
export GPUOPT_DATA_DIR=${GPUOPT_DATA_DIR:-$(cd .. && pwd)/shared/data}
echo "== sampler cost (fake NVML)"; "$build/bench/bench_sampler"
echo "== import + store vs sqlite3 .import"; "$build/bench/bench_import"
echo "== query: one day at 10 Hz, 8 GPUs, resampled to 1 min"; "$build/bench/bench_query"
