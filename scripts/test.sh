#!/usr/bin/env bash
# Sets up and builds gpuopt, then runs the whole test suite with CTest.
# Tests labelled `data` read ../shared/data (or $GPUOPT_DATA_DIR) and are skipped with a message when
# it is absent; with GPUOPT_REQUIRE_DATA=1 (set in CI) they fail instead.
# Extra arguments go to ctest (e.g. -L unit, -LE data, -R store).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# libtorch/OpenMP: spinning worker threads make a loaded 2-core machine 10-20x slower.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
export GPUOPT_DATA_DIR=${GPUOPT_DATA_DIR:-$(cd .. && pwd)/shared/data}
ctest --test-dir "${GPUOPT_BUILD_DIR:-build}" --output-on-failure --timeout 600 -j 2 "$@"
