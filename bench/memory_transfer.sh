#!/usr/bin/env bash
# The memory predictor's transfer-learning curve of issue 5 in one run (see bench/README.md,
# "Memory transfer learning"): seq:bigru-transformer pretrained on the generated MLP/CNN sets,
# fine-tuned (nothing frozen / encoder frozen) vs trained from scratch on k = 0, 1, 2, 5, 10, all
# timm families, scored on a fixed held-out set of timm families. About 5 minutes on 2 cores.
# Usage: bench/memory_transfer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
build=${GPUOPT_BUILD_DIR:-build}
export GPUOPT_DATA_DIR=${GPUOPT_DATA_DIR:-$(cd .. && pwd)/shared/data}
"$build/bench/bench_memory_transfer"
