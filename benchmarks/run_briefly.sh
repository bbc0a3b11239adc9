#!/usr/bin/env bash
# Runs each benchmark binary given once, briefly; fails if one fails or reports an error.
# The engine benchmarks fill 100 resident keys instead of 1,000 or 10,000 (nothing is timed
# here; filling is what made a smoke run of a chain over Redis take 97 s).
set -euo pipefail
export CACHELAB_BENCH_RESIDENT_KEYS=100
for binary in "$@"; do
  out=$("$binary" --benchmark_min_time=0.001 2>&1) || { echo "$out"; exit 1; }
  if grep -q "ERROR OCCURRED" <<<"$out"; then echo "$out"; exit 1; fi
done
echo "ran $# benchmark binaries"
