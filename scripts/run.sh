#!/usr/bin/env bash
# Sets up and builds gpuopt, then runs its main job: the node agent on 127.0.0.1:9400.
# NVML is used when an NVIDIA driver is present; otherwise gpuopt says so in one line and runs on
# the simulated GPU. Extra arguments go to `gpuopt serve` (e.g. --source replay:FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# libtorch/OpenMP: spinning worker threads make a loaded 2-core machine 10-20x slower.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
exec "${GPUOPT_BUILD_DIR:-build}/gpuopt" serve --listen 127.0.0.1:9400 "$@"
