#!/usr/bin/env bash
# Checks formatting (clang-format) and runs clang-tidy over gpuopt's own sources.
# Usage: scripts/lint.sh [--fix]   (needs build/compile_commands.json: run scripts/setup.sh first)
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' | grep -v '^tests/fakes/')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
else
  clang-format --dry-run --Werror "${files[@]}"
fi
mapfile -t sources < <(printf '%s\n' "${files[@]}" | grep -E '^(src|apps)/.*\.cpp$')
clang-tidy -p "${GPUOPT_BUILD_DIR:-build}" --quiet "${sources[@]}"
