#!/usr/bin/env bash
# Reproduces models/memory-default.gpuopt, the memory model shipped inside gpuopt: the hybrid
# BiGRU-Transformer trained on every measured set of ../shared/data/memory (status ok, quality
# clean, plus the CNN set's oom rows), seed 1, one thread. Prints the training time (target <= 10
# min on 2 cores). Rebuild gpuopt afterwards to embed the new file.
# Usage: bench/memory_default_model.sh [OUT]   (default: models/memory-default.gpuopt)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
build=${GPUOPT_BUILD_DIR:-build}
data=${GPUOPT_DATA_DIR:-$(cd .. && pwd)/shared/data}/memory
out=${1:-models/memory-default.gpuopt}
start=$(date +%s.%N)
"$build/gpuopt" mem train --model seq:bigru-transformer --seed 1 --threads 1 --out "$out" \
  --data "$data/timm_a100.jsonl" "$data/cnn_a100.jsonl" "$data/mlp_a100.jsonl"
end=$(date +%s.%N)
echo "default model training: $(echo "$end - $start" | bc) s wall; $(stat -c %s "$out") bytes"
