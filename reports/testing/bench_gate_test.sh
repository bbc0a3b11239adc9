#!/usr/bin/env bash
# The regression gate on real runs, judged only relative to runs in this same test: the
# reference LRU, and an LRU slowed by five microseconds per lookup under the same benchmark
# names. The slowed one must be a significant regression, both against a stored run (`run` +
# `diff`, what `compare` does) and interleaved (`pair`, what `commits` does); the LRU against
# itself, interleaved so that drift of the machine hits both sides alike, must not be.
set -euo pipefail
# Tagged exclusive in BUILD: the runs are timings, and a test beside them on the other core
# would make two runs of one binary differ by more than the threshold.
bench=$1 lru=$2 slowed=$3 peers=$4
out=${TEST_TMPDIR:-$(mktemp -d)}
filter='BM_Lru(LookupHit|ZipfGetOrInsert)/value_bytes:100/real_time/threads:1$'
limit='BM_FlatHashMapFind/value_bytes:100/real_time/threads:1$'
measure() {  # measure <binary> <name>: the engine and the limit, back to back
  "$bench" run --repetitions 9 --min-time 0.02 --filter "$filter" "$1" "$out/$2.json"
  "$bench" run --repetitions 9 --min-time 0.02 --filter "$limit" "$peers" "$out/$2.limit.json"
}
echo "== a filter that matches no benchmark (must be an error, not an empty run)"
if "$bench" run --repetitions 1 --filter 'NoSuchBenchmark' "$lru" "$out/none.json" 2> "$out/none.txt"; then
  echo "FAIL: a run of no benchmark succeeded"; exit 1
fi
grep -q "ran no benchmark: Failed to match any benchmarks" "$out/none.txt" || {
  cat "$out/none.txt"; echo "FAIL: the error does not say that the filter matched nothing"; exit 1; }

measure "$lru" warmup  # discarded: the first run meets cold caches and a cold CPU
measure "$lru" base
measure "$slowed" slowed

echo "== slowed against a stored run (must be flagged)"
if "$bench" diff --threshold 15 --all --limits-base "$out/base.limit.json" \
    --limits-new "$out/slowed.limit.json" "$out/base.json" "$out/slowed.json" | tee "$out/slowed.txt"; then
  echo "FAIL: the slowed engine was not flagged as a regression"; exit 1
fi
grep -q "BM_LruLookupHit/value_bytes:100/real_time/threads:1 .*REGRESSION" "$out/slowed.txt" || {
  echo "FAIL: the slowed lookup benchmark is not among the regressions"; exit 1; }

echo "== the same slowdown in a peer's benchmark (a yardstick: shown, must not fail the gate)"
"$bench" diff --yardsticks --threshold 15 --all "$out/base.json" "$out/slowed.json" \
  | tee "$out/yardstick.txt" || { echo "FAIL: a slower yardstick failed the gate"; exit 1; }
grep -q "BM_LruLookupHit/value_bytes:100/real_time/threads:1 .*yardstick moved" "$out/yardstick.txt" || {
  echo "FAIL: the slower yardstick is not reported"; exit 1; }

pair() {  # pair <A> <B>: interleaved rounds, engine and limit
  "$bench" pair --rounds 9 --min-time 0.02 --threshold 15 --all --filter "$filter|$limit" \
    --peers "$peers" "$1" "$2"
}
echo "== slowed against the LRU, interleaved (must be flagged)"
if pair "$lru" "$slowed" | tee "$out/pair_slowed.txt"; then
  echo "FAIL: the slowed engine was not flagged as a regression when interleaved"; exit 1
fi
grep -q "BM_LruLookupHit/value_bytes:100/real_time/threads:1 .*REGRESSION" "$out/pair_slowed.txt" || {
  echo "FAIL: the slowed lookup benchmark is not among the interleaved regressions"; exit 1; }

echo "== the LRU against itself, interleaved (must not be flagged)"
pair "$lru" "$lru" || { echo "FAIL: an unchanged rerun was flagged as a regression"; exit 1; }
echo "PASS"
