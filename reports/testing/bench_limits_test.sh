#!/usr/bin/env bash
# reports/bench reads a BatchLoader fetch against the direct lookups of the same engine, measured
# by the same binary in the same run: `ratios` prints fetch / lookups for each size, and `diff`
# gives each fetch a change of that ratio (so a machine that is slower as a whole is not read
# as a regression of the loader). Nothing is judged on speed here: the ratio printed must be the
# one computed from the run's own JSON.
set -euo pipefail
bench=$1 loader=$2 peers=$3
out=${TEST_TMPDIR:-$(mktemp -d)}/run
mkdir -p "$out"
"$bench" run --repetitions 3 --min-time 0.01 \
  --filter '^BM_(BatchLoaderCachedFetch|BatchLoaderCachedFetchCallback|EngineLookup)/10$' \
  "$loader" "$out/benchmarks__batch_loader_benchmark.json"
"$bench" run --repetitions 1 --min-time 0.01 --filter 'MutexLockUnlock/real_time/threads:1$' \
  "$peers" "$out/benchmarks__peers_benchmark.json"

echo "== ratios: each fetch against the lookups of its run"
"$bench" ratios "$out" | tee "$out/ratios.txt"
expected=$(python3 - "$out/benchmarks__batch_loader_benchmark.json" <<'PY'
import json, statistics, sys
times = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("run_type", "iteration") == "iteration":
        times.setdefault(b.get("run_name", b["name"]), []).append(b["real_time"])
m = {k: statistics.median(v) for k, v in times.items()}
for fetch in ("BM_BatchLoaderCachedFetch/10", "BM_BatchLoaderCachedFetchCallback/10"):
    print("%s %.2fx" % (fetch, m[fetch] / m["BM_EngineLookup/10"]))
PY
)
while read -r fetch ratio; do
  grep -Eq "^$fetch +[0-9]+ +BM_EngineLookup/10 +$ratio\$" "$out/ratios.txt" || {
    echo "FAIL: ratios does not show $fetch against BM_EngineLookup/10 as $ratio"; exit 1; }
done <<<"$expected"

echo "== diff: a ratio change for each fetch"
"$bench" diff --all "$out/benchmarks__batch_loader_benchmark.json" \
  "$out/benchmarks__batch_loader_benchmark.json" | tee "$out/diff.txt"
for fetch in BatchLoaderCachedFetch BatchLoaderCachedFetchCallback; do
  grep -Eq "^BM_$fetch/10 .* \+0\.0% +same$" "$out/diff.txt" || {
    echo "FAIL: diff gives BM_$fetch/10 no change of its ratio to the lookups"; exit 1; }
done
echo "PASS"
