#!/usr/bin/env bash
# The regression gate on real runs, judged only relative to runs in this same test: the
# reference LRU measured twice (with the flat_hash_map limit beside it each time), and an LRU
# slowed by a microsecond per lookup under the same benchmark names. The slowed one must be a
# significant regression; the unchanged rerun must not be.
set -euo pipefail
bench=$1 lru=$2 slowed=$3 peers=$4
out=${TEST_TMPDIR:-$(mktemp -d)}
filter='BM_Lru(LookupHit|ZipfGetOrInsert)/value_bytes:100/real_time/threads:1$'
limit='BM_FlatHashMapFind/value_bytes:100/real_time/threads:1$'
measure() {  # measure <binary> <name>: the engine and the limit, back to back
  "$bench" run --repetitions 9 --min-time 0.02 --filter "$filter" "$1" "$out/$2.json"
  "$bench" run --repetitions 9 --min-time 0.02 --filter "$limit" "$peers" "$out/$2.limit.json"
}
measure "$lru" warmup  # discarded: the first run meets cold caches and a cold CPU
measure "$lru" base
measure "$slowed" slowed
measure "$lru" rerun

echo "== slowed against the baseline (must be flagged)"
if "$bench" diff --threshold 15 --limits-base "$out/base.limit.json" \
    --limits-new "$out/slowed.limit.json" "$out/base.json" "$out/slowed.json" | tee "$out/slowed.txt"; then
  echo "FAIL: the slowed engine was not flagged as a regression"; exit 1
fi
grep -q "BM_LruLookupHit/value_bytes:100/real_time/threads:1 .*REGRESSION" "$out/slowed.txt" || {
  echo "FAIL: the slowed lookup benchmark is not among the regressions"; exit 1; }

echo "== unchanged rerun against the baseline (must not be flagged)"
"$bench" diff --threshold 15 --all --limits-base "$out/base.limit.json" \
  --limits-new "$out/rerun.limit.json" "$out/base.json" "$out/rerun.json" || {
  echo "FAIL: an unchanged rerun was flagged as a regression"; exit 1; }
echo "PASS"
