#!/usr/bin/env bash
# CACHELAB_BENCH_RESIDENT_KEYS: a bad value is refused with a message naming the variable
# (status 2, before any benchmark runs); a good one is used.
set -uo pipefail
binary=$1
out=$(CACHELAB_BENCH_RESIDENT_KEYS=many "$binary" --benchmark_min_time=0.001 2>&1)
status=$?
if [ "$status" -ne 2 ] || ! grep -q "CACHELAB_BENCH_RESIDENT_KEYS=many: give a positive number" <<<"$out"; then
  echo "expected status 2 and a message for a bad value, got status $status:"; echo "$out"; exit 1
fi
out=$(CACHELAB_BENCH_RESIDENT_KEYS=0 "$binary" --benchmark_min_time=0.001 2>&1)
if [ $? -ne 2 ]; then echo "0 resident keys was accepted:"; echo "$out"; exit 1; fi
out=$(CACHELAB_BENCH_RESIDENT_KEYS=7 "$binary" --benchmark_min_time=0.001 \
      --benchmark_filter='LookupHit/value_bytes:8/' 2>&1) || { echo "$out"; exit 1; }
if ! grep -q "hit_ratio=1" <<<"$out" || grep -q "ERROR OCCURRED" <<<"$out"; then
  echo "7 resident keys did not run as lookups of resident keys:"; echo "$out"; exit 1
fi
echo "refused 'many' and 0, ran with 7"
