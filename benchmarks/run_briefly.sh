#!/usr/bin/env bash
# Runs each benchmark binary given once, briefly; fails if one fails or reports an error.
set -euo pipefail
for binary in "$@"; do
  out=$("$binary" --benchmark_min_time=0.001 2>&1) || { echo "$out"; exit 1; }
  if grep -q "ERROR OCCURRED" <<<"$out"; then echo "$out"; exit 1; fi
done
echo "ran $# benchmark binaries"
