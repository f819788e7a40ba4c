#!/usr/bin/env bash
# Transfer-learning curve of the gpuopt power model: accuracy after 0..6 probes, pretrained on
# the other GPUs (leave-one-GPU-out) vs an uninformed prior, on the Zeus sweeps.
# Usage: bench/power_transfer.sh [GPUOPT_BINARY]   (default: build/gpuopt; data from $GPUOPT_DATA_DIR)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
gpuopt="${1:-$here/build/gpuopt}"
data="${GPUOPT_DATA_DIR:-$here/../shared/data}/power/zeus-nsdi23"
"$gpuopt" --quiet power eval --data "$data/summary_power_v100.csv" "$data/summary_power_a40.csv" --transfer 6
