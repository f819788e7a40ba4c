#!/usr/bin/env bash
# Installs gpuopt's build dependencies (Debian 12 packages; idempotent) and builds it into build/.
# Usage: scripts/setup.sh            (as root, or with sudo available)
# Env:   GPUOPT_BUILD_DIR (default build), GPUOPT_BUILD_TYPE (default Release), GPUOPT_JOBS (default nproc)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config ninja-build
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libsqlite3-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtorch-dev libopenblas0-openmp  # sequence models (without the OpenMP BLAS torch is ~7x slower)
  libxgboost-dev                     # tree baselines
  libonnx-dev libprotobuf-dev protobuf-compiler  # ONNX model import
  libeigen3-dev
  python3-torch python3-torchvision python3-onnx  # tools/gpuopt-task-from-torch and test fixtures
  sqlite3      # baseline of bench_import
  prometheus   # integration test: a real Prometheus scrapes `gpuopt serve`
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root (or install sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_dir=${GPUOPT_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${GPUOPT_BUILD_TYPE:-Release}" >/dev/null
cmake --build "$build_dir" -j "${GPUOPT_JOBS:-$(nproc)}"
